import { readFileSync } from 'node:fs';

/** Busy and total jiffies of all CPUs so far, from /proc/stat. */
function cpuJiffies(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  // idle and iowait
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * Waits until the machine's CPUs were busy at most `maxBusy` (a fraction) over one second, or
 * `timeoutMs` passed; returns the last second's fraction. A latency test run right after the
 * shared control plane started would otherwise measure the apiservers settling, not the code.
 */
export async function untilMachineQuiet(maxBusy: number, timeoutMs: number): Promise<number> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const a = cpuJiffies();
    await new Promise((r) => setTimeout(r, 1_000));
    const b = cpuJiffies();
    const busy = (b.busy - a.busy) / Math.max(1, b.total - a.total);
    if (busy <= maxBusy || performance.now() >= end) return busy;
  }
}
