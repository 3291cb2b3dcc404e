import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openLedger } from '../../src/audit/open.js';
import { startControllerProcess, type ControllerProcess } from '../support/controller-process.js';
import { FaultWorld, revisionLabel } from '../support/fault-world.js';
import { eventually } from '../support/kube.js';
import { tempDirs } from '../support/temp.js';

/**
 * Fault suite, scenario 5: the leader of two `ballast controller --leader-elect` replicas is
 * SIGKILLed while it applies a pushed commit. Both replicas share one SQLite ledger (as they
 * share one Postgres ledger in a cluster), and each has its own cache. The standby must take
 * the Lease once it expires, reconcile every app to the new commit, and leave the ledger with
 * each change recorded, in order, on an intact chain.
 *
 * The kill lands in the worst place on purpose: after an app's objects were applied, before
 * their record was written. The test holds the ledger's write lock (a second process's write
 * transaction, as SQLite's own locking has it), so the leader's append waits on it; the leader
 * is killed as soon as one app is whole at the new commit, and only then is the lock let go.
 */
const apps = ['fo-1', 'fo-2', 'fo-3', 'fo-4', 'fo-5', 'fo-6'] as const;
const leaseMs = 4_000;
const retryMs = 500;
const fast = ['--lease-duration', '4s', '--renew-deadline', '3s', '--retry-period', '500ms'];
/** Room for a loaded 2-core CI machine: the standby's fetch, render and apply after it leads. */
const marginMs = 10_000;
const temp = tempDirs();
let w: FaultWorld;
let standby: ControllerProcess;
let first: string;
let second: string;

const timeOf = (line: Record<string, unknown>): number => Date.parse(String(line.time));

/** Names of the apps' objects already labelled with `revision`. */
async function objectsAt(revision: string): Promise<string[]> {
  const out = await w.kubectl(
    'get',
    'deployments,configmaps',
    '-l',
    `${revisionLabel}=${revision}`,
    '-o',
    'name',
  );
  return out.split('\n').filter((l) => l !== '');
}

beforeAll(async () => {
  w = new FaultWorld(inject('controlPlane').clusters[0]?.kubeconfig ?? '');
  await w.start(['--leader-elect', '--lease-namespace', w.ns, ...fast]);
  await eventually('the first replica leads', 30_000, () => w.controller.logged('started leading'));
  const dir = await temp.make('ballast-failover-');
  standby = startControllerProcess(join(dir, 'controller.log'), [
    ...['--kubeconfig', w.kubeconfig, '-n', w.ns, '--cache-dir', join(dir, 'cache')],
    ...['--port', '0', '--bind-address', '127.0.0.1', '--log-level', 'debug'],
    ...['--ledger', `sqlite:${w.ledgerFile}`, '--ledger-checkpoint-configmap', 'none'],
    ...['--leader-elect', '--lease-namespace', w.ns, ...fast],
  ]);
  await eventually('the standby follows', 30_000, async () =>
    (await standby.lines()).some(
      (l) => l.msg === 'following' && l.leader === w.controller.identity,
    ),
  );
  first = await w.push(apps, 'one');
  for (const a of apps) await w.createApp(a, '1h');
  await eventually('every app is Synced at the first commit', 90_000, async () =>
    (await Promise.all(apps.map((a) => w.syncedAt(a, first, 'one')))).every(Boolean),
  );
});

afterAll(async () => {
  try {
    await standby.stop(3_000);
    await w.close();
  } finally {
    await temp.removeAll();
  }
});

describe('the leader SIGKILLed while it applies a commit', () => {
  let killedAt = 0;
  /** The app applied whole at the new commit by the killed leader, with no record of it. */
  let applied = '';

  it('the standby leads within the lease duration and its first reconcile follows at once', async () => {
    const lock = new DatabaseSync(w.ledgerFile);
    lock.exec('BEGIN IMMEDIATE');
    let atKill: string[] = [];
    try {
      second = await w.push(apps, 'two');
      await w.refresh(apps);
      // Both objects of one app applied: its record waits on the lock.
      await eventually('the leader applies one app whole', 30_000, async () => {
        atKill = await objectsAt('two');
        return apps.some((a) => atKill.filter((o) => o.includes(`/${a}-`)).length === 2);
      });
      w.controller.kill();
      killedAt = Date.now();
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
    }
    expect(await standby.logged('started leading')).toBe(false);
    // The kill landed between apply and record: the whole app has no record of the new commit.
    applied = apps.find((a) => atKill.filter((o) => o.includes(`/${a}-`)).length === 2) ?? '';
    const before = (await w.records(applied)).filter((r) => r.kind === 'sync-applied');
    expect(before.map((r) => r.revision)).toEqual([first]);

    await eventually('the standby leads', 30_000, () => standby.logged('started leading'));
    await eventually('the standby reconciles', 30_000, async () =>
      (await standby.lines()).some((l) => l.msg === 'reconciled'),
    );
    const lines = await standby.lines();
    const led = timeOf(lines.find((l) => l.msg === 'started leading') ?? {});
    const reconciled = timeOf(lines.find((l) => l.msg === 'reconciled') ?? {});
    console.log(
      `faults: leader failover: SIGKILL with ${atKill.length} of ${apps.length * 2} objects at ` +
        `the new commit; standby led after ${led - killedAt} ms, first reconcile after ` +
        `${reconciled - killedAt} ms (lease ${leaseMs} ms, retry ${retryMs} ms)`,
    );
    // No overlap: the standby did nothing while the leader lived.
    expect(reconciled).toBeGreaterThan(killedAt);
    expect(led - killedAt).toBeLessThan(leaseMs + retryMs + marginMs);
    expect(reconciled - killedAt).toBeLessThan(leaseMs + retryMs + marginMs);
  });

  it('every app converges at the new commit, whole, with each change recorded once and in order, and the chain verifies', async () => {
    await eventually('every app is Synced at the new commit', 60_000, async () =>
      (await Promise.all(apps.map((a) => w.syncedAt(a, second, 'two')))).every(Boolean),
    );
    console.log(
      `faults: leader failover: all apps Synced ${Date.now() - killedAt} ms after SIGKILL`,
    );
    for (const a of apps) {
      await w.expectWholeAt(a, 'two');
      const synced = (await w.records(a)).filter((r) => r.kind === 'sync-applied');
      expect(
        synced.map((r) => r.revision),
        a,
      ).toEqual([first, second]);
    }
    // The standby recorded the revision the killed leader left unrecorded, with nothing to change.
    const late = (await w.records(applied)).filter((r) => r.kind === 'sync-applied').at(-1);
    expect(late?.kind === 'sync-applied' ? late.changes : undefined).toEqual([]);
    const ledger = await openLedger(`sqlite:${w.ledgerFile}`);
    try {
      expect((await ledger.verify()).kind).toBe('intact');
    } finally {
      await ledger.close();
    }
    expect(w.controller.alive()).toBe(false);
    expect(standby.alive()).toBe(true);
  });
});
