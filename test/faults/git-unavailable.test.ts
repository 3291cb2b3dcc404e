import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultWorld } from '../support/fault-world.js';
import { eventually } from '../support/kube.js';

/**
 * Fault suite, scenario 1: the Git server goes down during a fetch, or hangs (accepts the
 * connection, never answers). Six Applications (more than the controller's four workers) follow one repository through the fault proxy;
 * the controller is the built CLI with `--git-timeout 3s`. Each step is a promise of
 * docs/reliability.md; the figures it prints are quoted there.
 */
const apps = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'] as const;
const gitTimeoutMs = 3_000;
let w: FaultWorld;
let first: string;
let second: string;

/** Every app Ready=False with FetchFailed and a message that names the proxy's host and `detail`. */
async function allFetchFailed(detail: RegExp): Promise<boolean> {
  for (const a of apps) {
    const r = await w.ready(a);
    if (r?.status !== 'False' || r.reason !== 'FetchFailed') return false;
    if (!r.message.includes(w.proxy.base.replace('http://', '')) || !detail.test(r.message))
      return false;
  }
  return true;
}

/** `kubectl scale`s alpha's Deployment and waits for the controller to put it back. */
async function expectDriftHealed(during: string): Promise<void> {
  await w.kubectl('scale', 'deployment', 'alpha-web', '--replicas=5');
  const scaled = performance.now();
  await eventually('the scaled Deployment is back at 2 replicas', 30_000, async () => {
    return (await w.replicas('alpha')) === 2;
  });
  console.log(
    `faults: ${during}: kubectl scale reverted in ${Math.round(performance.now() - scaled)} ms`,
  );
}

beforeAll(async () => {
  w = new FaultWorld(inject('controlPlane').clusters[0]?.kubeconfig ?? '');
  await w.start(['--git-timeout', `${gitTimeoutMs}ms`]);
  first = await w.push(apps, 'one');
  for (const a of apps) await w.createApp(a, '5s');
  await eventually('every app is Synced at the first commit', 90_000, async () => {
    for (const a of apps) if (!(await w.syncedAt(a, first, 'one'))) return false;
    return true;
  });
});

afterAll(async () => {
  await w.close();
});

describe('Git hanging or down during a fetch', () => {
  it('a hanging Git server is cut off by --git-timeout, each app says FetchFailed naming the host within two timeouts, and the last good revision stays applied', async () => {
    w.proxy.mode = 'hang';
    w.proxy.resetCounts();
    second = await w.push(apps, 'two');
    // One by one, as jittered polls arrive: each asks while an earlier one's fetch hangs.
    for (const a of apps) await w.refresh([a]);
    const hung = performance.now();
    await eventually('every app reports FetchFailed after the timeout', 60_000, () =>
      allFetchFailed(new RegExp(`timed out after ${gitTimeoutMs} ms`)),
    );
    const waited = Math.round(performance.now() - hung);
    console.log(
      `faults: Git hanging → all ${apps.length} apps FetchFailed ${waited} ms after the last asked (--git-timeout ${gitTimeoutMs} ms)`,
    );
    // No pile-up: Applications asking while a fetch hangs share the one fetch queued behind it,
    // so none waits for more than two timeouts after it asked, however many follow the
    // repository. (Each waiting for its own fetch in turn, the last waited six: 18.5 s.) The
    // margin is for the status writes of six Applications on a busy machine.
    expect(waited).toBeLessThan(2 * gitTimeoutMs + 5_000);
    // Nothing lost: every object whole at the old revision, none at the new one.
    for (const a of apps) await w.expectWholeAt(a, 'one');
  });

  it('while Git hangs, drift is still healed and the heal is in the ledger', async () => {
    await expectDriftHealed('Git hanging');
    await eventually('the ledger holds the reverted drift', 30_000, async () => {
      const records = await w.records('alpha');
      return records.some(
        (r) =>
          r.kind === 'drift-reverted' &&
          r.object.name === 'alpha-web' &&
          r.object.kind === 'Deployment',
      );
    });
  });

  it('a Git server that is down (connection refused) says FetchFailed naming the host, and drift is still healed', async () => {
    await w.proxy.down();
    await w.refresh(apps);
    await eventually('every app reports the refused connection', 60_000, () =>
      allFetchFailed(/Failed to connect|Connection refused|Could not connect/i),
    );
    await expectDriftHealed('Git down');
    for (const a of apps) await w.expectWholeAt(a, 'one');
  });

  it('at most one fetch per repository is in flight, however many Applications follow it', () => {
    // Six Applications, their retries and refreshes, through a hang and an outage: the proxy
    // never saw two connections open at once.
    console.log(
      `faults: connections accepted while hanging: ${w.proxy.counts.accepted}, peak in flight: ${w.proxy.counts.peak}`,
    );
    expect(w.proxy.counts.peak).toBe(1);
  });

  it('when Git returns, every app converges at the new commit by its next retry or interval, and the sync is in the ledger', async () => {
    w.proxy.mode = 'pass';
    await w.proxy.up();
    const back = performance.now();
    await eventually('every app is Synced at the second commit', 60_000, async () => {
      for (const a of apps) if (!(await w.syncedAt(a, second, 'two'))) return false;
      return true;
    });
    console.log(
      `faults: Git back → all ${apps.length} apps Synced at the new commit in ${Math.round(performance.now() - back)} ms`,
    );
    for (const a of apps) {
      await w.expectWholeAt(a, 'two');
      const records = await w.records(a);
      const synced = records.filter((r) => r.kind === 'sync-applied');
      expect(synced.map((r) => r.revision)).toEqual([first, second]);
    }
    expect(w.proxy.counts.peak).toBe(1);
    expect(w.controller.alive()).toBe(true);
  });
});
