import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applicationCrd } from '../../src/api/application-crd.js';
import { formatAppKey, type AppKey } from '../../src/api/app-key.js';
import type { KubeObject } from '../../src/api/object.js';
import { waitForCrds } from '../../src/apply/execute.js';
import { mapBounded } from '../../src/apply/pool.js';
import { Cluster } from '../../src/cluster/cluster.js';
import {
  createBareRepo,
  startGitServer,
  WorkingClone,
  type GitServer,
} from '../../src/dev/git/index.js';
import { toolPath } from '../../src/dev/paths.js';
import { run } from '../../src/exec/run.js';
import { shardOf } from '../../src/reconcile/shard.js';
import { runCli } from '../support/cli.js';
import { startControllerProcess, type ControllerProcess } from '../support/controller-process.js';
import { eventually } from '../support/kube.js';
import { tempDirs } from '../support/temp.js';

/**
 * Fault suite, sharding: three `ballast controller --sharded` replicas share 300 Applications
 * (one ConfigMap each, from one Git repository) over 16 shards. Each app is reconciled by the
 * replica holding its shard and by no other; a SIGKILLed replica's shards are taken over once
 * their Leases lapse and its apps' drift is still healed; a replica joining again gets its
 * share; and no app is ever reconciled by two replicas at once (checked from every replica's
 * log: each reconcile's start and end).
 */
const appCount = 300;
const shards = 16;
const leaseMs = 6_000;
const retryMs = 1_000;
const fast = ['--lease-duration', '6s', '--renew-deadline', '4s', '--retry-period', '1s'];
/** Room for a loaded 2-core CI machine: a round's Lease writes and a re-list after takeover. */
const marginMs = 10_000;
const ns = `shards-${randomBytes(3).toString('hex')}`;
const token = `tok_${randomBytes(12).toString('hex')}`;
const names = Array.from({ length: appCount }, (_, i) => `s${String(i).padStart(3, '0')}`);
const keyOf = (name: string): AppKey => formatAppKey({ namespace: ns, name });
const temp = tempDirs();
const replicas: ControllerProcess[] = [];
let cluster: Cluster;
let server: GitServer;
let repo: WorkingClone;
let kubeconfig = '';
let dir = '';

const timeOf = (line: Record<string, unknown>): number => Date.parse(String(line.time));

function startReplica(name: string): ControllerProcess {
  const p = startControllerProcess(join(dir, `${name}.log`), [
    ...['--kubeconfig', kubeconfig, '-n', ns, '--cache-dir', join(dir, `${name}-cache`)],
    ...['--port', '0', '--bind-address', '127.0.0.1', '--log-level', 'debug'],
    ...['--ledger', 'none', '--ledger-checkpoint-configmap', 'none', '--workers', '8'],
    ...['--sharded', '--shards', String(shards), '--lease-namespace', ns, ...fast],
  ]);
  replicas.push(p);
  return p;
}

/** The shards a replica holds, from its /metrics (ballast_shard_held{shard} = 1). */
async function heldBy(p: ControllerProcess): Promise<number[]> {
  const serving = (await p.lines()).find((l) => l.msg === 'serving /healthz, /readyz and /metrics');
  if (serving === undefined) return [];
  const r = await fetch(`http://127.0.0.1:${String(serving.port)}/metrics`).catch(() => undefined);
  const text = r === undefined ? '' : await r.text();
  return [...text.matchAll(/^ballast_shard_held\{shard="(\d+)"\} 1$/gm)].map((m) => Number(m[1]));
}

/** Whether `live` hold every shard between them, each at most its fair share, none twice. */
async function balanced(live: readonly ControllerProcess[]): Promise<boolean> {
  const held = await Promise.all(live.map(heldBy));
  const all = held.flat();
  const share = Math.ceil(shards / live.length);
  return (
    all.length === shards &&
    new Set(all).size === shards &&
    held.every((h) => h.length <= share && h.length > 0)
  );
}

/** Each finished reconcile in a replica's log: which app, when it started and ended. */
interface Run {
  replica: string;
  key: string;
  start: number;
  end: number;
}

async function runsOf(p: ControllerProcess): Promise<Run[]> {
  return (await p.lines())
    .filter((l) => l.msg === 'reconcile finished' || l.msg === 'reconcile did not finish')
    .map((l) => ({
      replica: p.identity,
      key: String(l.key),
      end: timeOf(l),
      start: timeOf(l) - Number(l.durationMs),
    }));
}

async function allRuns(): Promise<Run[]> {
  return (await Promise.all(replicas.map(runsOf))).flat();
}

/** Apps whose status says Synced. */
async function syncedApps(): Promise<Set<string>> {
  const info = await cluster.discovery.resolve('ballast.dev/v1alpha1', 'Application');
  if (info === undefined) return new Set();
  const apps = (await cluster.list(info, { namespace: ns })) as (KubeObject & {
    status?: { sync?: { status?: string } };
  })[];
  return new Set(
    apps.filter((a) => a.status?.sync?.status === 'Synced').map((a) => a.metadata.name),
  );
}

async function kubectl(...args: string[]): Promise<string> {
  const r = await run(toolPath('kubectl'), ['-n', ns, ...args], {
    env: { KUBECONFIG: kubeconfig },
    timeoutMs: 60_000,
  });
  if (r.kind !== 'ok') throw new Error(`kubectl ${args.join(' ')}: ${JSON.stringify(r)}`);
  return r.stdout.toString('utf8');
}

async function configMapData(name: string): Promise<Record<string, string> | undefined> {
  const cm = await cluster.get({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${name}-config`, namespace: ns },
  });
  return cm?.data as Record<string, string> | undefined;
}

beforeAll(async () => {
  kubeconfig = inject('controlPlane').clusters[0]?.kubeconfig ?? '';
  cluster = Cluster.connect({ kubeconfig });
  dir = await temp.make('ballast-sharding-');
  server = await startGitServer({
    auth: { users: [], tokens: [token] },
    allowPush: true,
    ssh: false,
  });
  await createBareRepo(server, 'apps');
  repo = await WorkingClone.clone({
    url: server.httpUrl('apps'),
    access: { kind: 'bearer', token },
  });
  for (const n of names)
    await repo.writeFile(
      `${n}/cm.yaml`,
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${n}-config}\ndata: {app: ${n}}\n`,
    );
  await repo.commit('300 apps');
  await repo.push();
  await waitForCrds(cluster, [await cluster.apply(applicationCrd())], 30_000);
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await cluster.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'repo-creds', namespace: ns },
    data: { token: Buffer.from(token).toString('base64') },
  });
  const t0 = Date.now();
  await mapBounded(names, 16, (n) =>
    cluster.apply({
      apiVersion: 'ballast.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: n, namespace: ns },
      spec: {
        source: {
          repoURL: server.httpUrl('apps'),
          targetRevision: 'main',
          path: n,
          secretRef: { name: 'repo-creds' },
          insecureAllowHttpCredentials: true,
        },
        destination: { namespace: ns },
        syncPolicy: { automated: { prune: true, selfHeal: true }, drift: 'heal', interval: '1h' },
      },
    }),
  );
  const t1 = Date.now();
  for (const r of ['a', 'b', 'c']) startReplica(r);
  await eventually(
    'all 300 apps are Synced',
    110_000,
    async () => (await syncedApps()).size === appCount,
  );
  console.log(
    `faults: sharding: ${appCount} Applications created in ${t1 - t0} ms; ` +
      `all Synced ${Date.now() - t1} ms after the three replicas started`,
  );
}, 240_000);

afterAll(async () => {
  try {
    await Promise.all(replicas.map((r) => r.stop(3_000)));
    await cluster.http.request('DELETE', `/api/v1/namespaces/${ns}`).catch(() => undefined);
    cluster.close();
    await repo.remove();
    await server.stop();
  } finally {
    await temp.removeAll();
  }
});

describe('three sharded replicas and 300 Applications', () => {
  it('each app is reconciled by the replica holding its shard, and by no other', async () => {
    const live = replicas.slice(0, 3);
    await eventually('the three replicas hold every shard, a fair share each', 30_000, () =>
      balanced(live),
    );
    const held = await Promise.all(live.map(heldBy));
    const owner = (name: string): string => {
      const s = shardOf(keyOf(name), shards);
      return live[held.findIndex((h) => h.includes(s))]?.identity ?? 'nobody';
    };
    const refreshedAt = Date.now();
    await kubectl(
      'annotate',
      'applications.ballast.dev',
      '--all',
      `ballast.dev/refresh=${refreshedAt}`,
      '--overwrite',
    );
    let after: Run[] = [];
    await eventually('every app is reconciled after the refresh', 60_000, async () => {
      after = (await allRuns()).filter((r) => r.start >= refreshedAt);
      return new Set(after.map((r) => r.key)).size === appCount;
    });
    // The shards did not move meanwhile, so each app had one owner throughout.
    expect(await Promise.all(live.map(heldBy))).toEqual(held);
    const wrong = after.filter((r) => r.replica !== owner(r.key.split('/')[1] ?? ''));
    expect(wrong).toEqual([]);
    console.log(
      `faults: sharding: shards held ${held.map((h) => h.length).join('/')}; apps reconciled ` +
        live.map((p) => after.filter((r) => r.replica === p.identity).length).join('/'),
    );
  });

  let killed: ControllerProcess;
  let killedAt = 0;
  let moved: string[] = [];

  it("a SIGKILLed replica's shards are taken over once their Leases lapse, and drift on its apps is healed", async () => {
    const [a, b, c] = replicas;
    if (a === undefined || b === undefined || c === undefined) throw new Error('three replicas');
    const lost = await heldBy(c);
    moved = names.filter((n) => lost.includes(shardOf(keyOf(n), shards)));
    killed = c;
    c.kill();
    killedAt = Date.now();
    await eventually('the two survivors hold every shard', leaseMs + retryMs + marginMs, () =>
      balanced([a, b]),
    );
    const takeoverMs = Date.now() - killedAt;
    // Every app of the dead replica is reconciled by a survivor.
    await eventually('each moved app is reconciled by a survivor', 60_000, async () => {
      const runs = (await allRuns()).filter((r) => r.start >= killedAt);
      const done = new Set(runs.map((r) => r.key));
      return moved.every((n) => done.has(keyOf(n)));
    });
    const target = moved[0] ?? '';
    // Before the patch: the heal may be logged before kubectl has even exited.
    const driftAt = Date.now();
    await kubectl(
      'patch',
      'configmap',
      `${target}-config`,
      '--type',
      'merge',
      '-p',
      '{"data":{"app":"changed"}}',
    );
    await eventually(
      'the drift is reverted',
      30_000,
      async () => (await configMapData(target))?.app === target,
    );
    const healed = (await Promise.all([a, b].map((p) => p.lines())))
      .flat()
      .find(
        (l) =>
          l.msg === 'drift reverted' &&
          String(l.key).startsWith(`${keyOf(target)}#`) &&
          timeOf(l) >= driftAt,
      );
    // Healed by a survivor's drift path, not by the dead replica or a resync.
    expect(healed).toBeDefined();
    console.log(
      `faults: sharding: SIGKILL of a replica holding ${lost.length} shards (${moved.length} apps): ` +
        `all shards held again after ${takeoverMs} ms (lease ${leaseMs} ms, retry ${retryMs} ms); ` +
        `drift on a moved app reverted by a survivor ${timeOf(healed ?? {}) - driftAt} ms after the patch was sent`,
    );
    expect(takeoverMs).toBeLessThan(leaseMs + retryMs + marginMs);
  });

  it('a replica joining again gets its share, handed over without two replicas reconciling one app at once', async () => {
    const [a, b] = replicas;
    if (a === undefined || b === undefined) throw new Error('two survivors');
    const joinedAt = Date.now();
    const d = startReplica('d');
    await eventually('the shards are rebalanced over three replicas', 60_000, () =>
      balanced([a, b, d]),
    );
    const rebalanceMs = Date.now() - joinedAt;
    const mine = await heldBy(d);
    // The two others keep ceil(16 / 3) = 6 each; the newcomer takes the rest.
    expect(mine.length).toBe(shards - 2 * Math.ceil(shards / 3));
    // The newcomer works on its apps: a refresh of one of them is reconciled by it.
    const app = names.find((n) => mine.includes(shardOf(keyOf(n), shards))) ?? '';
    const refreshedAt = Date.now();
    await kubectl(
      'annotate',
      'applications.ballast.dev',
      app,
      `ballast.dev/refresh=${refreshedAt}`,
      '--overwrite',
    );
    await eventually('the newcomer reconciles its app', 30_000, async () =>
      (await runsOf(d)).some((r) => r.key === keyOf(app) && r.start >= refreshedAt),
    );
    console.log(
      `faults: sharding: a replica joining got ${mine.length} shards after ${rebalanceMs} ms`,
    );
    // `ballast app get` names the replica working on the app, from its shard's Lease.
    const get = await runCli([
      'app',
      'get',
      app,
      '-n',
      ns,
      '--lease-namespace',
      ns,
      '--kubeconfig',
      kubeconfig,
    ]);
    expect(get.stdout.split('\n')[0]).toBe(
      `# owner: ${d.identity} (shard ${shardOf(keyOf(app), shards)} of ${shards}, ` +
        `Lease ${ns}/ballast-controller-shard-${shardOf(keyOf(app), shards)})`,
    );

    // Over the whole test, every replica included: no app's reconciles overlap across replicas.
    const runs = await allRuns();
    const byKey = new Map<string, Run[]>();
    for (const r of runs) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
    const overlaps: string[] = [];
    for (const [key, rs] of byKey)
      for (const x of rs)
        for (const y of rs)
          if (x.replica < y.replica && x.start < y.end && y.start < x.end)
            overlaps.push(
              `${key}: ${x.replica} ${x.start}-${x.end}, ${y.replica} ${y.start}-${y.end}`,
            );
    expect(overlaps).toEqual([]);
    expect(killed.alive()).toBe(false);
    console.log(
      `faults: sharding: ${runs.length} reconciles checked, none overlapping across replicas`,
    );
  });
});
