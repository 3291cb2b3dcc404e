import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { table } from '../src/cli/table.js';
import { defaultUpOptions, devDown, devStatus, devUp } from '../src/dev/controlplane.js';
import { ensureTools } from '../src/dev/tools.js';
import { controlPlaneTools } from '../src/dev/versions.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function startOnce(clusters: number): Promise<{ ms: number; stateDir: string }> {
  const stateDir = await mkdtemp(join(tmpdir(), 'ballast-bench-'));
  const t0 = performance.now();
  await devUp({ ...defaultUpOptions(stateDir), clusters });
  return { ms: performance.now() - t0, stateDir };
}

/**
 * Warm start time (tools cached) of one cluster and of three, and the RSS of every process
 * after 20 s idle. Cold build time is what tools/build.sh prints on an empty cache.
 */
export async function benchDevStartup(): Promise<void> {
  await ensureTools(controlPlaneTools, (l) => process.stdout.write(l + '\n'));
  const rounds = 3;
  for (const clusters of [1, 3]) {
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const { ms, stateDir } = await startOnce(clusters);
      times.push(ms);
      if (i === rounds - 1) {
        await sleep(20_000);
        const s = await devStatus(stateDir);
        if (s.kind === 'found') {
          process.stdout.write(`idle RSS, ${clusters} cluster(s):\n`);
          const rows = s.rows.map((r) => [
            r.cluster,
            r.role,
            `${((r.rssKiB ?? 0) / 1024).toFixed(0)} MiB`,
          ]);
          const total = s.rows.reduce((a, r) => a + (r.rssKiB ?? 0), 0) / 1024;
          process.stdout.write(
            table(
              ['CLUSTER', 'COMPONENT', 'RSS'],
              [...rows, ['', 'total', `${total.toFixed(0)} MiB`]],
            ) + '\n',
          );
        }
      }
      await devDown(stateDir);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)] ?? 0;
    process.stdout.write(
      `warm start, ${clusters} cluster(s) to nodes Ready: median ${(median / 1000).toFixed(2)} s over ${rounds} (min ${((times[0] ?? 0) / 1000).toFixed(2)} s)\n`,
    );
  }
}
