import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../src/api/object.js';
import { mapBounded } from '../src/apply/pool.js';
import { Cluster } from '../src/cluster/cluster.js';
import { defaultUpOptions, devDown, devUp } from '../src/dev/controlplane.js';
import { ensureTools } from '../src/dev/tools.js';
import { controlPlaneTools } from '../src/dev/versions.js';
import { buildAssignment } from '../src/fleet/assignment-build.js';
import { fleetCrds } from '../src/fleet/crds.js';
import { applyAsHub } from '../src/fleet/hub/kube.js';
import { cluster as clusterFixture, fleetApp, sha1, sha2 } from '../src/fleet/testdata/fixtures.js';
import { percentile, sleep } from './timing.js';

/**
 * The hub's side of "push → all pinned", alone: one apiserver, N cluster namespaces, and the
 * hub's own apply of N Assignments at its write concurrency (16), as a commit makes it. Then
 * the same with one watch per namespace (each agent holds one), and with a stream of status
 * reports on the same Assignments (what agents send while a commit rolls out). `bench:fleet`
 * measures the whole fleet; this says how much of its pin time is the hub's own.
 */
const clusters = Number(process.env.BALLAST_BENCH_CLUSTERS ?? '500');
const concurrency = 16;
const out = (line: string): void => {
  process.stdout.write(line + '\n');
};

export async function benchFleetPin(): Promise<void> {
  await ensureTools(controlPlaneTools, out);
  const state = await mkdtemp(join(tmpdir(), 'ballast-bench-fleet-pin-'));
  const up = await devUp({ ...defaultUpOptions(state), clusters: 1 });
  const kubeconfig = up.state.clusters[0]?.kubeconfig ?? '';
  const hub = Cluster.connect({ kubeconfig });
  const agents = Cluster.connect({ kubeconfig });
  const watches = new AbortController();
  try {
    for (const crd of fleetCrds()) await hub.apply(crd);
    await sleep(3_000);
    const names = Array.from({ length: clusters }, (_, i) => `c${String(i).padStart(4, '0')}`);
    const nsOf = (name: string): string => `ballast-cluster-${name}`;
    await mapBounded(names, concurrency, (n) =>
      hub.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: nsOf(n) } }),
    );
    const assignment = (n: string, revision: string): KubeObject => {
      const a = buildAssignment({
        fleetApplication: fleetApp(),
        cluster: clusterFixture(n),
        revision,
        variables: { cluster_name: n },
      }) as unknown as KubeObject;
      return { ...a, metadata: { ...a.metadata, namespace: nsOf(n) } };
    };
    const pin = async (revision: string, what: string): Promise<number> => {
      const latencies: number[] = [];
      const start = performance.now();
      const results = await mapBounded(names, concurrency, async (n) => {
        const t = performance.now();
        await applyAsHub(hub, assignment(n, revision));
        latencies.push(performance.now() - t);
      });
      const failed = results.filter((r) => r.status === 'rejected').length;
      const wall = performance.now() - start;
      out(
        `  ${what}: ${clusters} applies in ${wall.toFixed(0)} ms; each p50 ${percentile(latencies, 50).toFixed(0)} ms, p95 ${percentile(latencies, 95).toFixed(0)} ms${failed > 0 ? `; ${failed} FAILED` : ''}`,
      );
      return wall;
    };
    out(`${clusters} Assignments, one apiserver, the hub's apply at concurrency ${concurrency}:`);
    await pin(sha1, 'first pin (create)');
    const alone = await pin(sha2, 'new commit, nobody watching (baseline)');
    for (const n of names)
      void hub.http.stream(
        `/apis/ballast.dev/v1alpha1/namespaces/${nsOf(n)}/assignments?watch=1`,
        () => undefined,
        {
          signal: watches.signal,
          idleTimeoutMs: 600_000,
        },
      );
    await sleep(3_000);
    const watched = await pin(sha1, `new commit, ${clusters} watches open`);
    let reports = 0;
    const reporting = { on: true };
    const reporter = (async () => {
      while (reporting.on)
        await mapBounded(names, concurrency, async (n) => {
          if (!reporting.on) return;
          const a = assignment(n, sha1);
          const path = `/apis/ballast.dev/v1alpha1/namespaces/${nsOf(n)}/assignments/${a.metadata.name}/status`;
          const body = {
            status: {
              observedGeneration: 1,
              health: { status: 'Progressing', message: `report ${reports}` },
            },
          };
          await agents.http.request('PATCH', path, JSON.stringify(body), {
            'content-type': 'application/merge-patch+json',
          });
          reports += 1;
        });
    })();
    await sleep(1_000);
    const reportsBefore = reports;
    const busy = await pin(sha2, `new commit, ${clusters} watches and agents' status reports`);
    const reportRate = ((reports - reportsBefore) / busy) * 1000;
    reporting.on = false;
    await reporter;
    out(
      `  ratios to the baseline: watches ${(watched / alone).toFixed(2)}, watches and reports ${(busy / alone).toFixed(2)} (${reportRate.toFixed(0)} status reports/s meanwhile)`,
    );
  } finally {
    watches.abort();
    hub.close();
    agents.close();
    await devDown(state);
  }
}
