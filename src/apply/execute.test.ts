import { describe, expect, it } from 'vitest';
import { formatRef, refOf, type ObjectRef } from '../api/object.js';
import { SyncObjectError } from './errors.js';
import {
  afterBatch,
  createdNewestFirst,
  isEstablished,
  rollBackCreates,
  shouldApply,
  type ApplyOutcome,
} from './execute.js';
import { planBatches } from './order.js';
import { decideBeforeDryRun, decideFromDryRun, type PlannedObject } from './plan.js';
import type { PreparedObject } from './prepare.js';
import { answered, created, planOptions, refusal, sent } from './testdata/fixtures.js';

const opts = planOptions();

function planned(d: ReturnType<typeof decideBeforeDryRun>): PlannedObject {
  if (d.kind !== 'planned') throw new Error(`expected a plan, got ${d.kind}`);
  return d.planned;
}

/** An object of a cold sync, planned (deferred) and applied as the captured answer says. */
function coldApply(fixture: string): ApplyOutcome {
  const p = planned(decideBeforeDryRun(sent(fixture), undefined, opts, true));
  return { kind: 'applied', planned: p, result: answered(fixture), created: created(fixture) };
}

/** An object of a cold sync whose apply the apiserver refused, as the captured answer says. */
function coldRefused(fixture: string): ApplyOutcome {
  const p = planned(decideBeforeDryRun(sent(fixture), undefined, opts, true));
  const error = refusal(fixture, 'apply');
  const o = p.prepared;
  return {
    kind: 'failed',
    planned: p,
    error: new SyncObjectError(refOf(o.object), o.origin, error.message, { cause: error }),
  };
}

// The cold sync as captured: the ConfigMap and the Deployment were created, the Service refused.
const configMapCreated = coldApply('cold-apply-configmap-201');
const deploymentCreated = coldApply('cold-apply-deployment-201');
const coldSync = [configMapCreated, deploymentCreated, coldRefused('cold-apply-service-422')];

/** A cluster whose deletes answer as `answers` says, recording what was asked, in order. */
function deletes(answers: Record<string, () => Promise<boolean>> = {}): {
  asked: string[];
  cluster: { delete: (ref: ObjectRef & { apiVersion: string }) => Promise<boolean> };
} {
  const asked: string[] = [];
  return {
    asked,
    cluster: {
      delete: (ref) => {
        asked.push(formatRef(ref));
        return answers[formatRef(ref)]?.() ?? Promise.resolve(true);
      },
    },
  };
}

describe('which planned objects are written', () => {
  it('writes what is new, changed, deferred or taken over, and leaves an unchanged object alone', () => {
    const deferred = planned(
      decideBeforeDryRun(sent('cold-apply-configmap-201'), undefined, opts, true),
    );
    const unchanged = planned(
      decideBeforeDryRun(
        sent('cold-apply-deployment-201'),
        answered('deployment-live'),
        opts,
        false,
      ),
    );
    const bumped = planned(
      decideFromDryRun(
        sent('deployment-dryrun-image-200'),
        answered('deployment-live'),
        false,
        { kind: 'answered', stored: answered('deployment-dryrun-image-200') },
        opts,
        new Set(),
      ),
    );
    const takenOver = planned(
      decideFromDryRun(
        sent('configmap-kubectl-dryrun-200'),
        answered('configmap-kubectl-live'),
        true,
        { kind: 'answered', stored: answered('configmap-kubectl-dryrun-200') },
        opts,
        new Set(),
      ),
    );
    expect([deferred, unchanged, bumped, takenOver].map(shouldApply)).toEqual([
      true,
      false,
      true,
      true,
    ]);
  });
});

describe('the order of a sync and its batches', () => {
  const widget: PreparedObject = {
    object: {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: 'shop' },
    },
    origin: undefined,
    namespaced: true,
    crdInSet: true,
  };

  it('applies the CRD in the first batch and the objects of its kind after it', () => {
    const objects = [widget, sent('cold-apply-deployment-201'), sent('crd-apply-201')].map(
      (p) => p.object,
    );
    const batches = planBatches(objects).map((b) => b.objects.map((o) => o.kind));
    expect(batches).toEqual([['CustomResourceDefinition'], ['Deployment', 'Widget']]);
  });

  it('waits for a CRD the batch created before the next batch, and counts the batch', () => {
    const verdict = afterBatch([coldApply('crd-apply-201')]);
    expect(verdict.kind === 'continue' && verdict.newCrds.map((c) => c.metadata.name)).toEqual([
      'widgets.example.com',
    ]);
    expect(verdict.counts).toEqual({ applied: 1, unchanged: 0 });
  });

  it('stops after a batch with a refused apply: later batches may depend on it', () => {
    expect(afterBatch(coldSync)).toEqual({ kind: 'stop', counts: { applied: 2, unchanged: 0 } });
  });

  it('sees a CRD as its apply answered it not served yet, and as read once Established, served', () => {
    expect(isEstablished(answered('crd-apply-201'))).toBe(false);
    expect(isEstablished(answered('crd-established'))).toBe(true);
    expect(isEstablished(undefined)).toBe(false);
  });
});

describe('rolling back a cold sync', () => {
  it('deletes what a cold sync refused at its Service had created, newest first', async () => {
    const { asked, cluster } = deletes();
    const undone = await rollBackCreates(cluster, coldSync);
    expect(asked).toEqual(['Deployment.apps/shop/shop', 'ConfigMap/shop/shop']);
    expect(undone.deleted.map(formatRef)).toEqual(asked);
    expect(undone.left).toEqual([]);
  });

  it('names a created object whose delete RBAC refuses as left behind, and still deletes the rest', async () => {
    const forbidden = refusal('delete-forbidden-403', 'delete');
    const { asked, cluster } = deletes({
      'Deployment.apps/shop/shop': () => Promise.reject(forbidden),
    });
    const undone = await rollBackCreates(cluster, coldSync);
    expect(asked).toEqual(['Deployment.apps/shop/shop', 'ConfigMap/shop/shop']);
    expect(undone.left.map(formatRef)).toEqual(['Deployment.apps/shop/shop']);
    expect(undone.deleted.map(formatRef)).toEqual(['ConfigMap/shop/shop']);
  });

  it('counts an object already gone (the delete answered 404) as deleted', async () => {
    const { cluster } = deletes({ 'ConfigMap/shop/shop': () => Promise.resolve(false) });
    const undone = await rollBackCreates(cluster, coldSync);
    expect(undone.deleted.map(formatRef)).toEqual([
      'Deployment.apps/shop/shop',
      'ConfigMap/shop/shop',
    ]);
  });

  it('never deletes an object a blind apply found already there (it answered 200, not 201)', () => {
    const existing = coldApply('blind-apply-existing-200');
    expect(existing.kind === 'applied' && existing.created).toBe(false);
    const doomed = createdNewestFirst([configMapCreated, existing, deploymentCreated]);
    expect(doomed.map((o) => o.metadata.name + ':' + o.kind)).toEqual([
      'shop:Deployment',
      'shop:ConfigMap',
    ]);
  });
});
