import { readFileSync } from 'node:fs';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The p-th percentile (nearest rank) of some timings. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

/** `p50 …, p95 …, max …` of timings in milliseconds. */
export function summary(xs: readonly number[]): string {
  return `p50 ${percentile(xs, 50).toFixed(0)} ms, p95 ${percentile(xs, 95).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;
}

/** Polls `check` every 5 ms, so a measured latency is off by at most that. */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  ms: number,
): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(5);
  }
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Waits until the processes together use under a tenth of a core for half a second (at most
 * `ms`), and says how long that took. A measurement then does not pay for work its predecessor
 * left queued: kube-controller-manager, at its default 20 requests per second, takes about a
 * minute and a half to create the ReplicaSets and EndpointSlices of 1000 applied objects.
 */
export async function settle(pids: readonly number[], ms = 60_000): Promise<number> {
  const total = (): number => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const t0 = performance.now();
  for (let before = total(); performance.now() < t0 + ms;) {
    await sleep(500);
    const now = total();
    if (now - before < 0.05) break;
    before = now;
  }
  return performance.now() - t0;
}
