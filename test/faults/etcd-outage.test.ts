import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerRecord } from '../../src/audit/types.js';
import { freePort } from '../../src/dev/ports.js';
import { startControllerProcess, type ControllerProcess } from '../support/controller-process.js';
import { FaultWorld } from '../support/fault-world.js';
import { eventually } from '../support/kube.js';
import { startOwnControlPlane, type OwnControlPlane } from '../support/own-etcd.js';
import { tempDirs } from '../support/temp.js';

/**
 * Fault suite, scenario 3: etcd crashes (SIGKILL) under a running `ballast controller` and is
 * started again on the same data dir 15 s later, as a crashed or rebooted etcd member comes
 * back. A kill and restart, not SIGSTOP: a stopped etcd keeps its connections open and
 * silent, while a real outage refuses them and the apiserver must reconnect.
 *
 * The etcd and apiserver are this file's own, so the shared control plane is never touched.
 * Alpha polls every 10 minutes, so only the drift watch can revert a change to it; the others
 * poll every 5 s and so keep reconciling (and failing) through the outage.
 */
const apps = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'] as const;
const polling = apps.filter((a) => a !== 'alpha');
const outageMs = 15_000;
let cp: OwnControlPlane;
let w: FaultWorld;
let first: string;
let second: string;
let healthzPort = 0;
let driftBefore: DriftRecord[] = [];
let driftEventsBefore: string[] = [];
const temp = tempDirs();
/** A replica started while etcd is down, as one is after losing its Lease to the outage. */
let replica: ControllerProcess | undefined;
const ageKey = readFileSync(
  new URL('../../src/secrets/testdata/test.agekey', import.meta.url),
  'utf8',
);

/**
 * Starts a second controller as `ballast install` runs one (`--leader-elect`) with controller-wide
 * decryption keys, which it reads from the apiserver as it starts. It watches an empty
 * namespace, so it never competes with the first for an Application.
 */
async function startReplica(kubeconfig = cp.kubeconfig): Promise<ControllerProcess> {
  const dir = await temp.make('ballast-replica-');
  return startControllerProcess(join(dir, 'controller.log'), [
    ...['--kubeconfig', kubeconfig, '-n', `${w.ns}-idle`, '--cache-dir', join(dir, 'cache')],
    ...['--port', '0', '--bind-address', '127.0.0.1'],
    ...['--ledger', `sqlite:${join(dir, 'audit.db')}`, '--ledger-checkpoint-configmap', 'none'],
    ...['--leader-elect', '--lease-namespace', w.ns, '--decryption-secret', `${w.ns}/keys`],
  ]);
}

type DriftRecord = Extract<LedgerRecord, { kind: 'drift-detected' | 'drift-reverted' }>;
const isDrift = (r: LedgerRecord): r is DriftRecord =>
  r.kind === 'drift-detected' || r.kind === 'drift-reverted';

async function driftRecords(): Promise<DriftRecord[]> {
  return (await Promise.all(apps.map((a) => w.records(a)))).flat().filter(isDrift);
}

/** Each drift Event in the namespace as `reason: message`. */
async function driftEvents(): Promise<string[]> {
  const list = JSON.parse(await w.kubectl('get', 'events', '-o', 'json')) as {
    items: { reason?: string; message?: string }[];
  };
  return list.items
    .filter((e) => /Drift|ManualChange/.test(e.reason ?? ''))
    .map((e) => `${e.reason ?? ''}: ${e.message ?? ''}`);
}

async function healthz(): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${healthzPort}/healthz`, {
    signal: AbortSignal.timeout(5_000),
  }).catch(() => undefined);
  return r?.status ?? 0;
}

const since = (t: number): number => Math.round(performance.now() - t);

beforeAll(async () => {
  cp = await startOwnControlPlane();
  w = new FaultWorld(cp.kubeconfig);
  await w.start([]);
  await w.cluster.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'keys', namespace: w.ns },
    data: { 'ops.agekey': Buffer.from(ageKey).toString('base64') },
  });
  first = await w.push(apps, 'one');
  for (const a of apps) await w.createApp(a, a === 'alpha' ? '10m' : '5s');
  await eventually('every app is Synced at the first commit', 90_000, async () => {
    for (const a of apps) if (!(await w.syncedAt(a, first, 'one'))) return false;
    return true;
  });
  const serving = (await w.controller.lines()).find((l) => l.msg?.toString().includes('/healthz'));
  healthzPort = Number(serving?.port);
  driftBefore = await driftRecords();
  driftEventsBefore = await driftEvents();
});

afterAll(async () => {
  await replica?.stop(3_000);
  await w.close();
  await cp.stop();
  await temp.removeAll();
});

describe('etcd down for 15 s under a running controller', () => {
  it('while etcd is down, the controller keeps running and its /healthz answers, and a replica started meanwhile waits instead of exiting', async () => {
    expect(healthzPort).toBeGreaterThan(0);
    cp.killEtcd();
    const down = performance.now();
    replica = await startReplica();
    // Git is up: a commit pushed during the outage must be applied once etcd is back.
    second = await w.push(apps, 'two');
    let slowest = 0;
    while (performance.now() - down < outageMs) {
      const t = performance.now();
      expect(await healthz()).toBe(200);
      slowest = Math.max(slowest, since(t));
      expect(w.controller.alive()).toBe(true);
      expect(replica.alive()).toBe(true);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(await cp.apiserverReady()).toBe(false);
    console.log(`faults: etcd down ${since(down)} ms: /healthz slowest answer ${slowest} ms`);
  });

  it('once etcd is back, reconciles succeed again unaided and a scaled Deployment is reverted by the drift watch', async () => {
    await cp.restartEtcd();
    const back = performance.now();
    expect(cp.apiserverAlive()).toBe(true);
    const firstSync = (async () => {
      await eventually('one polling app is Synced at the outage commit', 60_000, async () => {
        for (const a of polling) if (await w.syncedAt(a, second, 'two')) return true;
        return false;
      });
      return since(back);
    })();
    const reverted = (async () => {
      // kubectl fails until the apiserver has its etcd again; the scale is the first it takes.
      await eventually('kubectl scale is accepted', 30_000, () =>
        w.kubectl('scale', 'deployment', 'alpha-web', '--replicas=5').then(
          () => true,
          () => false,
        ),
      );
      const scaled = since(back);
      await eventually('the scaled Deployment is back at 2 replicas', 30_000, async () => {
        return (await w.replicas('alpha')) === 2;
      });
      return { scaled, reverted: since(back) };
    })();
    const ready = (async () => {
      await eventually('the apiserver is ready again', 60_000, () => cp.apiserverReady());
      return since(back);
    })();
    const [synced, drift, readyz] = await Promise.all([firstSync, reverted, ready]);
    console.log(
      `faults: etcd back → apiserver /readyz 200 at ${readyz} ms; first reconcile Synced at the outage commit at ${synced} ms; apiserver took a scale at ${drift.scaled} ms, reverted at ${drift.reverted} ms`,
    );
    // Alpha polls every 10 minutes: only the drift watch heals it, and it records the heal.
    const healed = (await w.records('alpha')).filter(
      (r) => r.kind === 'drift-reverted' && r.object.name === 'alpha-web',
    );
    expect(healed).toHaveLength(1);
    // The replica started during the outage leads once it can, without having been restarted.
    await eventually(
      'the replica started during the outage leads',
      30_000,
      async () => (await replica?.logged('controller started')) ?? false,
    );
    expect(replica?.alive()).toBe(true);
    // SIGTERM hands its Lease back for the last scenario's controller, which campaigns for it.
    await replica?.stop(3_000);
  });

  it('every app converges at the commit pushed during the outage, each commit applied once, and the controller never restarted', async () => {
    const asked = performance.now();
    await w.refresh(['alpha']);
    await eventually('every app is Synced at the outage commit', 60_000, async () => {
      for (const a of apps) if (!(await w.syncedAt(a, second, 'two'))) return false;
      return true;
    });
    console.log(
      `faults: all ${apps.length} apps Synced at the outage commit ${since(asked)} ms after the refresh of alpha`,
    );
    for (const a of apps) {
      await w.expectWholeAt(a, 'two');
      const synced = (await w.records(a)).filter((r) => r.kind === 'sync-applied');
      expect(synced.map((r) => r.revision)).toEqual([first, second]);
    }
    expect(w.controller.alive()).toBe(true);
    expect(await healthz()).toBe(200);
  });

  it('no spurious drift: after a full poll interval more, the only drift recorded or evented since the outage is the one scale', async () => {
    // Every polling app reconciles at least once more on the restarted etcd.
    await new Promise((r) => setTimeout(r, 6_000));
    const newRecords = (await driftRecords()).filter(
      (r) => !driftBefore.some((b) => b.id === r.id),
    );
    expect(newRecords.map((r) => `${r.kind} ${r.object.name}`)).toEqual([
      'drift-reverted alpha-web',
    ]);
    const newEvents = (await driftEvents()).filter((e) => !driftEventsBefore.includes(e));
    expect(newEvents).toHaveLength(1);
    expect(newEvents[0]).toMatch(/^DriftReverted: .*alpha-web/);
    expect(w.controller.alive()).toBe(true);
    // What the outage cost in the controller's log: warnings and errors, never a fatal.
    const lines = await w.controller.lines();
    const noisy = new Map<string, number>();
    for (const l of lines.filter((x) => x.level === 'warn' || x.level === 'error')) {
      const key = `${String(l.level)} ${String(l.msg)}`;
      noisy.set(key, (noisy.get(key) ?? 0) + 1);
    }
    console.log(`faults: controller log through the outage: ${JSON.stringify([...noisy])}`);
    expect(lines.filter((l) => l.level === 'fatal')).toEqual([]);
  });
});

describe('the apiserver unreachable while a controller starts', () => {
  let forwarder: Server | undefined;
  let late: ControllerProcess | undefined;
  afterAll(async () => {
    await late?.stop(3_000);
    forwarder?.close();
  });

  it('a controller started with --decryption-secret while its apiserver refuses connections waits for it, then leads', async () => {
    // The apiserver as a restarting control plane node shows it: nothing listens on its port yet.
    const port = await freePort();
    const kubeconfig = join(await temp.make('ballast-late-'), 'kubeconfig');
    const text = await readFile(cp.kubeconfig, 'utf8');
    await writeFile(kubeconfig, text.replaceAll(cp.server, `https://127.0.0.1:${port}`));
    late = await startReplica(kubeconfig);
    await new Promise((r) => setTimeout(r, 4_000));
    // A process that exits here crash-loops in its Pod for as long as the apiserver is away.
    expect(late.alive()).toBe(true);
    // The apiserver comes back on that port (a TCP forward to the real one).
    const target = new URL(cp.server);
    forwarder = createServer((c) => {
      const up = connect(Number(target.port), target.hostname);
      c.pipe(up).pipe(c);
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
    }).listen(port, '127.0.0.1');
    await eventually(
      'the late controller leads once its apiserver answers',
      30_000,
      () => late?.logged('controller started') ?? Promise.resolve(false),
    );
    expect(late.alive()).toBe(true);
  });
});
