import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FINALIZER } from '../../src/reconcile/finalize.js';
import { startControllerFixture, type ControllerFixture } from '../support/controller.js';
import { eventually } from '../support/kube.js';

let fx: ControllerFixture;

const configMap = (name: string, value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: ${value}\n`;

const valueOf = async (name: string): Promise<string | undefined> =>
  ((await fx.get('v1', 'ConfigMap', name))?.data as Record<string, string> | undefined)?.value;

beforeAll(async () => {
  fx = await startControllerFixture({ clusterIndex: 1 });
  await fx.repo.writeFile('keep/cm.yaml', configMap('kept', 'one'));
  await fx.repo.writeFile('prune/cm.yaml', configMap('pruned', 'one'));
  await fx.repo.writeFile('roll/cm.yaml', configMap('rolled', 'v1'));
  await fx.repo.writeFile('warn/cm.yaml', configMap('warned', 'one'));
  await fx.repo.writeFile('broken/cm.yaml', 'kind: ConfigMap\nmetadata: [unclosed\n');
  await fx.repo.commit('five apps');
  await fx.repo.push();
});

afterAll(async () => {
  await fx.stop();
});

describe('an Application over its lifetime', () => {
  it('holds a finalizer only with pruneOnDelete, prunes on delete only then, and keeps its inventory in status', async () => {
    await fx.cluster.apply(fx.application('keep', 'keep'));
    await fx.cluster.apply(
      fx.application('prune', 'prune', {
        syncPolicy: { automated: { prune: true }, interval: '1h', pruneOnDelete: true },
      }),
    );
    await eventually('both apps have applied their ConfigMap', 60_000, async () => {
      return (await valueOf('kept')) === 'one' && (await valueOf('pruned')) === 'one';
    });
    expect((await fx.app('prune'))?.metadata.finalizers).toContain(FINALIZER);
    // The controller records what it applied in the Application itself: no ConfigMap.
    await eventually('the inventory is in status', 30_000, async () => {
      const inventory = (await fx.app('prune'))?.status?.inventory ?? [];
      return inventory.includes(`|ConfigMap|${fx.ns}|pruned`);
    });
    expect(await fx.get('v1', 'ConfigMap', 'ballast-inventory-prune')).toBeUndefined();
    expect((await fx.app('keep'))?.metadata.finalizers ?? []).not.toContain(FINALIZER);
    await fx.kubectl('-n', fx.ns, 'delete', 'applications.ballast.dev', 'keep', 'prune');
    await eventually('both Applications are gone', 30_000, async () => {
      return (await fx.app('keep')) === undefined && (await fx.app('prune')) === undefined;
    });
    expect(await valueOf('pruned')).toBeUndefined();
    expect(await valueOf('kept')).toBe('one');
  });

  it('stops retrying a failing sync after spec.syncPolicy.retry.limit and reports it Stalled', async () => {
    await fx.cluster.apply(
      fx.application('broken', 'broken', {
        syncPolicy: {
          automated: {},
          interval: '1h',
          retry: { limit: 1, backoff: { duration: '1s' } },
        },
      }),
    );
    await eventually('broken is Stalled with RetriesExhausted', 60_000, async () => {
      const stalled = await fx.condition('broken', 'Stalled');
      return stalled?.status === 'True' && stalled.reason === 'RetriesExhausted';
    });
    const r = await fx.condition('broken', 'Ready');
    expect(r?.status).toBe('False');
    expect(r?.reason).toBe('RenderFailed');
  });

  it('rolls back to a history entry, holds it against new commits, and follows main again on resume', async () => {
    await fx.cluster.apply(fx.application('roll', 'roll'));
    await eventually('v1 is applied', 60_000, async () => (await valueOf('rolled')) === 'v1');
    const first = await fx.repo.head();
    await fx.repo.writeFile('roll/cm.yaml', configMap('rolled', 'v2'));
    const second = await fx.repo.commit('v2');
    await fx.repo.push();
    await fx.cli('app', 'sync', 'roll', '-n', fx.ns);
    await eventually('v2 is applied', 30_000, async () => (await valueOf('rolled')) === 'v2');
    const history = await fx.cli('app', 'history', 'roll', '-n', fx.ns);
    const firstId = history
      .split('\n')
      .find((l) => l.includes(first.slice(0, 12)))
      ?.split(/\s+/)[0];
    expect(firstId).toBeDefined();

    const out = await fx.cli(
      'app',
      'rollback',
      'roll',
      firstId ?? '',
      '-n',
      fx.ns,
      '--reason',
      'v2 broke checkout',
    );
    expect(out).toContain(first.slice(0, 12));
    // The status is written after the objects, so wait for both.
    await eventually('v1 is back and the app reports RolledBack', 30_000, async () => {
      return (
        (await valueOf('rolled')) === 'v1' &&
        (await fx.condition('roll', 'Ready'))?.reason === 'RolledBack'
      );
    });
    const a = await fx.app('roll');
    expect(a?.spec.rollback?.reason).toBe('v2 broke checkout');
    expect(a?.spec.rollback?.requestedBy).not.toBe('unknown');

    // `app diff` compares against the pinned revision: nothing to do while rolled back.
    const same = await fx.cliResult('app', 'diff', 'roll', '-n', fx.ns);
    expect(same.code).toBe(0);
    await fx.kubectl(
      '-n',
      fx.ns,
      'patch',
      'configmap',
      'rolled',
      '-p',
      '{"data":{"value":"hand"}}',
    );
    await eventually(
      'drift is healed to the rolled-back value',
      10_000,
      async () => (await valueOf('rolled')) === 'v1',
    );

    await fx.cli('app', 'resume', 'roll', '-n', fx.ns);
    await eventually('main is followed again', 30_000, async () => {
      const synced = (await fx.app('roll'))?.status?.lastSyncedRevision === second;
      return synced && (await valueOf('rolled')) === 'v2';
    });
  });

  it('prints what a sync would change with `app diff`, exiting 1, and the object tree with health', async () => {
    await fx.cluster.apply(
      fx.application('warn', 'warn', {
        syncPolicy: { automated: {}, drift: 'warn', interval: '1h' },
      }),
    );
    await eventually('warn is applied', 60_000, async () => (await valueOf('warned')) === 'one');
    expect((await fx.cliResult('app', 'diff', 'warn', '-n', fx.ns)).code).toBe(0);
    await fx.kubectl(
      '-n',
      fx.ns,
      'patch',
      'configmap',
      'warned',
      '-p',
      '{"data":{"value":"changed"}}',
    );
    const d = await fx.cliResult('app', 'diff', 'warn', '-n', fx.ns);
    expect(d.code).toBe(1);
    expect(d.stdout).toContain(`ConfigMap/${fx.ns}/warned`);
    expect(d.stdout).toMatch(/-\s*value: changed/);
    expect(d.stdout).toMatch(/\+\s*value: one/);
    const tree = await fx.cli('app', 'tree', 'warn', '-n', fx.ns);
    expect(tree).toMatch(/^NAME\s+SYNC\s+HEALTH/);
    expect(tree).toMatch(new RegExp(`└── ConfigMap/${fx.ns}/warned\\s+Synced\\s+Healthy`));
  });
});
