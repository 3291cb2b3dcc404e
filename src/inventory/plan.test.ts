import { describe, expect, it } from 'vitest';
import { formatRef, refKey, refOf, type KubeObject, type ObjectRef } from '../api/object.js';
import { inventoryOf } from './inventory.js';
import { planPrune, type PrunePlanInput } from './plan.js';
import { parseInventory } from './serialize.js';
import application from './testdata/application.json' with { type: 'json' };
import liveList from './testdata/live.json' with { type: 'json' };
import {
  formatTrackingValue,
  isPruneDisabled,
  parseTrackingValue,
  trackingMetadata,
} from './tracking.js';

const app = { namespace: 'shop', name: 'web' };
const ref = (group: string, kind: string, name: string, namespace = 'shop'): ObjectRef => ({
  group,
  kind,
  namespace,
  name,
});

function previousInventory() {
  const parsed = parseInventory(application.status.inventory.entries);
  if (parsed.kind !== 'ok') throw parsed.error;
  return parsed.value;
}

const desired = [
  ref('', 'ConfigMap', 'web-config'),
  ref('', 'Service', 'web'),
  ref('apps', 'Deployment', 'web'),
  ref('apps', 'Deployment', 'api'),
];

function input(overrides: Partial<PrunePlanInput> = {}): PrunePlanInput {
  return {
    application: app,
    previous: previousInventory(),
    desired,
    live: liveList.items,
    ...overrides,
  };
}

const names = (objects: readonly KubeObject[]) => objects.map((o) => formatRef(refOf(o)));

describe('planPrune', () => {
  it('prunes tracked objects that left Git, in identity order', () => {
    expect(names(planPrune(input()).toPrune)).toEqual([
      'ConfigMap/shop/web-config-old',
      'Deployment.apps/shop/worker',
      'ClusterRole.rbac.authorization.k8s.io/shop:web-reader',
    ]);
  });

  it('never prunes an object whose tracking label was removed, though the inventory lists it', () => {
    const kept = planPrune(input()).toKeep.find((k) => k.ref.name === 'web-debug');
    expect(kept?.reason).toEqual({ kind: 'untracked' });
  });

  it("never prunes a long-named Application's object for another whose hashed label collides", () => {
    const victim = { namespace: 'n'.repeat(60), name: 'a'.repeat(60) };
    const attacker = { namespace: 'n'.repeat(60), name: `${'a'.repeat(59)}z` };
    const held: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      // The label the attacker's app stamps (a collision, made by hand), the victim's identity.
      metadata: {
        name: 'held',
        namespace: victim.namespace,
        labels: trackingMetadata(attacker).labels,
        annotations: trackingMetadata(victim).annotations,
      },
    };
    const heldRef = ref('', 'ConfigMap', 'held', victim.namespace);
    const plan = planPrune({
      application: attacker,
      previous: inventoryOf([heldRef]),
      desired: [],
      live: [held],
    });
    expect(plan.toPrune).toEqual([]);
    expect(plan.toKeep).toEqual([
      { ref: heldRef, reason: { kind: 'tracked-by-other', owner: formatTrackingValue(attacker) } },
    ]);
    // Its owner by identity prunes it once its label is the owner's own.
    held.metadata.labels = trackingMetadata(victim).labels;
    const byVictim = planPrune({
      application: victim,
      previous: inventoryOf([heldRef]),
      desired: [],
      live: [held],
    });
    expect(names(byVictim.toPrune)).toEqual([formatRef(heldRef)]);
  });

  it('never prunes an object another Application now tracks', () => {
    const kept = planPrune(input()).toKeep.find((k) => k.ref.name === 'shared-tls');
    expect(kept?.reason).toEqual({ kind: 'tracked-by-other', owner: 'shop.ingress' });
  });

  it('never prunes an object with prune disabled, and keeps it in the next inventory', () => {
    const plan = planPrune(input());
    const pvc = ref('', 'PersistentVolumeClaim', 'data-web-0');
    expect(plan.toKeep).toContainEqual({ ref: pvc, reason: { kind: 'prune-disabled' } });
    expect(plan.next.entries).toContainEqual(pvc);
  });

  it('reports inventory entries with no live object as gone', () => {
    expect(planPrune(input()).gone).toEqual([ref('batch', 'Job', 'migrate-v2')]);
  });

  it('puts every previous entry in exactly one of prune, keep and gone', () => {
    const plan = planPrune(input());
    const placed = [
      ...plan.toPrune.map((o) => refKey(refOf(o))),
      ...plan.toKeep.map((k) => refKey(k.ref)),
      ...plan.gone.map(refKey),
    ];
    expect(placed.sort()).toEqual(previousInventory().entries.map(refKey).sort());
  });

  it('records the desired set plus prune-disabled objects as the next inventory', () => {
    expect(planPrune(input()).next).toEqual(
      inventoryOf([...desired, ref('', 'PersistentVolumeClaim', 'data-web-0')]),
    );
  });

  it('prunes nothing for a different Application sharing the same objects', () => {
    const plan = planPrune(input({ application: { namespace: 'shop', name: 'other' } }));
    expect(plan.toPrune).toEqual([]);
  });

  it('prunes nothing when everything is still desired', () => {
    const plan = planPrune(input({ desired: previousInventory().entries }));
    expect(plan.toPrune).toEqual([]);
    expect(plan.next).toEqual(previousInventory());
  });
});

describe('tracking', () => {
  it('round-trips the tracking label value, names with dots included', () => {
    const id = { namespace: 'shop', name: 'web.v2' };
    expect(formatTrackingValue(id)).toBe('shop.web.v2');
    expect(parseTrackingValue('shop.web.v2')).toEqual({ kind: 'plain', id });
    expect(parseTrackingValue('shop')).toBeUndefined();
    expect(parseTrackingValue('.web')).toBeUndefined();
    expect(parseTrackingValue(3)).toBeUndefined();
  });

  it('forgives case and spaces in the prune annotation, in the direction of keeping', () => {
    const obj = (value: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', annotations: { 'ballast.dev/prune': value } },
    });
    expect(isPruneDisabled(obj(' Disabled '))).toBe(true);
    expect(isPruneDisabled(obj('enabled'))).toBe(false);
  });
});
