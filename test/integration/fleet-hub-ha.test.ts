import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBallastProcess, type ControllerProcess } from '../support/controller-process.js';
import { prepareHub, type PreparedHub } from '../support/hub-controller.js';
import { eventually } from '../support/kube.js';

let hub: PreparedHub;
const processes: ControllerProcess[] = [];
const fast = ['--lease-duration', '4s', '--renew-deadline', '3s', '--retry-period', '500ms'];

beforeAll(async () => {
  hub = await prepareHub(0);
});

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop(3_000)));
  await hub.close();
});

/** A replica of `ballast hub --leader-elect`, as the ballast-hub ServiceAccount. */
function replica(name: string): ControllerProcess {
  const p = startBallastProcess('hub', join(hub.dir, `${name}.log`), [
    ...['--kubeconfig', hub.hubKubeconfig, '-n', hub.appNs, '--fleet-namespace', hub.fleetNs],
    ...['--cache-dir', join(hub.dir, name), '--port', '0', '--log-level', 'debug'],
    ...['--leader-elect', ...fast],
  ]);
  processes.push(p);
  return p;
}

/** The port a replica serves /readyz and /metrics on, from its log. */
async function portOf(p: ControllerProcess): Promise<number> {
  const line = (await p.lines()).find((l) => l.msg === 'serving /healthz, /readyz and /metrics');
  return line?.['port'] as number;
}

/** The hub's reconciles so far, by its /metrics. */
async function reconciles(p: ControllerProcess): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${String(await portOf(p))}/metrics`)).text();
  return [...text.matchAll(/^ballast_hub_reconciles_total\{[^}]*\} (\d+)$/gm)]
    .map((m) => Number(m[1]))
    .reduce((a, b) => a + b, 0);
}

const readyz = async (p: ControllerProcess): Promise<number> =>
  (await fetch(`http://127.0.0.1:${String(await portOf(p))}/readyz`)).status;

describe('two hub replicas on one Lease', () => {
  it('only the leader writes Assignments; the follower only answers its probes, and takes over when the leader is killed', async () => {
    const a = replica('a');
    await eventually('replica a leads', 30_000, () => a.logged('hub started'));
    const b = replica('b');
    await eventually('replica b follows a', 30_000, async () =>
      (await b.lines()).some((l) => l.msg === 'following' && l.leader === a.identity),
    );

    const [first, second] = [hub.name('first'), hub.name('second')];
    await hub.applyCluster(first, { tier: 'store', region: 'eu' });
    await hub.admin.apply(hub.fleetApp('pos', {}));
    await eventually(
      "the leader writes first's Assignment",
      60_000,
      async () => (await hub.assignment(first, 'pos')) !== undefined,
    );
    expect(await reconciles(a)).toBeGreaterThan(0);
    // The follower watches nothing and reconciles nothing, so it cannot write.
    expect(await reconciles(b)).toBe(0);
    expect(await readyz(a)).toBe(200);
    expect(await readyz(b)).toBe(503);
    expect(await b.logged('started leading')).toBe(false);

    a.kill();
    await eventually('replica b takes over', 30_000, () => b.logged('hub started'));
    const lease = await hub.admin.get({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'ballast-hub', namespace: hub.fleetNs },
    });
    expect((lease?.['spec'] as { holderIdentity?: string }).holderIdentity).toBe(b.identity);
    await hub.applyCluster(second, { tier: 'store', region: 'us' });
    await eventually(
      "the new leader writes second's Assignment",
      60_000,
      async () => (await hub.assignment(second, 'pos')) !== undefined,
    );
    expect(await reconciles(b)).toBeGreaterThan(0);
    expect(await readyz(b)).toBe(200);
    expect(a.alive()).toBe(false);
  }, 180_000);
});
