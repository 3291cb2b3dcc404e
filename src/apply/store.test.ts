import { describe, expect, it } from 'vitest';
import { refOf, type KubeObject, type ObjectRef } from '../api/object.js';
import { SyncObjectError } from './errors.js';
import type { ApplyOutcome } from './execute.js';
import type { PlannedObject } from './plan.js';
import { nextInventory, statusInventory } from './store.js';
import { formatInventory, inventoryOf } from '../inventory/index.js';

const cm = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'shop' },
});

function planned(obj: KubeObject, live?: KubeObject): PlannedObject {
  const ref = refOf(obj);
  return {
    prepared: { object: obj, origin: undefined, namespaced: true, crdInSet: false },
    live,
    entry: {
      subject: ref,
      action: live === undefined ? 'create' : 'configure',
      changedPaths: [],
      diff: '',
    },
    takeover: false,
    recreate: false,
    deferred: false,
  };
}

const applied = (p: PlannedObject): ApplyOutcome => ({
  kind: 'applied',
  planned: p,
  result: p.prepared.object,
  created: p.live === undefined,
});
const failed = (p: PlannedObject): ApplyOutcome => ({
  kind: 'failed',
  planned: p,
  error: new SyncObjectError(refOf(p.prepared.object), undefined, 'refused'),
});
const names = (refs: readonly ObjectRef[]): string[] => refs.map((r) => r.name);
const inv = (...objs: KubeObject[]) => inventoryOf(objs.map(refOf));

describe('the next inventory after a sync', () => {
  it('lists what was applied and drops what was pruned', () => {
    const a = planned(cm('a'));
    const next = nextInventory(
      [a],
      [applied(a)],
      [{ kind: 'deleted', ref: refOf(cm('old')) }],
      [],
      inv(cm('old')),
    );
    expect(names(next.entries)).toEqual(['a']);
  });

  it('keeps an entry whose prune failed, so the next sync deletes it', () => {
    const a = planned(cm('a'));
    const error = new SyncObjectError(refOf(cm('old')), undefined, 'forbidden');
    const next = nextInventory(
      [a],
      [applied(a)],
      [{ kind: 'failed', ref: refOf(cm('old')), error }],
      [],
      inv(cm('old')),
    );
    expect(names(next.entries)).toEqual(['a', 'old']);
  });

  it('drops an entry whose object is already gone from the cluster', () => {
    const next = nextInventory([], [], [], [refOf(cm('old'))], inv(cm('old'), cm('kept')));
    expect(names(next.entries)).toEqual(['kept']);
  });

  it('keeps the old entry of an object an earlier failure left unreached, and a failed existing one', () => {
    const first = planned(cm('first'), cm('first'));
    const unreached = planned(cm('unreached'));
    const fresh = planned(cm('fresh'));
    const next = nextInventory(
      [first, unreached, fresh],
      [failed(first), failed(fresh)],
      [],
      [],
      inv(cm('first'), cm('unreached')),
    );
    // A create that failed left nothing behind, so it is not recorded.
    expect(names(next.entries)).toEqual(['first', 'unreached']);
  });
});

describe('the inventory kept in an Application status', () => {
  const app = (inventory: string[]) => ({ name: 'web', namespace: 'shop', status: { inventory } });

  it('reads the entries the last sync recorded, and hands the next ones to the status', async () => {
    let recorded: string[] = [];
    const store = statusInventory(
      app(['|ConfigMap|shop|a', 'apps|Deployment|shop|web']),
      (next) => {
        recorded = formatInventory(next);
      },
    );
    const read = await store.read();
    expect(read.entries.map((r) => `${r.group}/${r.kind}/${r.name}`)).toEqual([
      '/ConfigMap/a',
      'apps/Deployment/web',
    ]);
    await store.write(inv(cm('b')), read);
    expect(recorded).toEqual(['|ConfigMap|shop|b']);
  });

  it('refuses a malformed entry, naming the Application and what to do, rather than forget objects', async () => {
    const store = statusInventory(app(['|ConfigMap|shop|a', 'no-pipes']), () => undefined);
    await expect(store.read()).rejects.toThrow(
      /Application shop\/web status.inventory: inventory entry 2 "no-pipes".*Repair the entry/,
    );
  });
});
