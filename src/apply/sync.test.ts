import { describe, expect, it } from 'vitest';
import { refOf } from '../api/object.js';
import { diffObject } from '../diff/index.js';
import { SyncObjectError } from './errors.js';
import type { ApplyOutcome } from './execute.js';
import { decideBeforeDryRun, type PlannedObject } from './plan.js';
import { entriesAsApplied, planSummary, storedObjects } from './sync.js';
import { answered, created, planOptions, refusal, sent } from './testdata/fixtures.js';

const opts = planOptions();

function planned(d: ReturnType<typeof decideBeforeDryRun>): PlannedObject {
  if (d.kind !== 'planned') throw new Error(`expected a plan, got ${d.kind}`);
  return d.planned;
}

/** How a blind (first, unread) sync plans an object: a create, applied without force. */
const blindPlan = (fixture: string): PlannedObject =>
  planned(decideBeforeDryRun(sent(fixture), undefined, opts, true));

describe('the change set a sync reports after applying', () => {
  it('reports a blind create that met an object someone made by hand (200) as adopted', () => {
    const p = blindPlan('blind-apply-existing-200');
    expect(p.entry.action).toBe('create');
    const applied: ApplyOutcome = {
      kind: 'applied',
      planned: p,
      result: answered('blind-apply-existing-200'),
      created: created('blind-apply-existing-200'),
    };
    expect(entriesAsApplied([p], [applied])).toEqual([
      {
        subject: { group: '', kind: 'ConfigMap', namespace: 'shop', name: 'existing' },
        action: 'configure',
        changedPaths: [''],
        diff: '',
        reason: 'it existed already: adopted',
      },
    ]);
  });

  it('reports an object planned again after its blind apply conflicted (409) by its new plan', () => {
    const first = blindPlan('blind-apply-conflict-409');
    // Read live after the 409: the value someone set by hand, which Git changes.
    const live = answered('blind-apply-existing-200');
    const again: PlannedObject = {
      ...first,
      live,
      deferred: false,
      entry: diffObject(first.prepared.object, live, opts.diff),
    };
    const applied: ApplyOutcome = { kind: 'applied', planned: again, result: live, created: false };
    expect(entriesAsApplied([first], [applied])).toEqual([
      {
        subject: refOf(first.prepared.object),
        action: 'configure',
        changedPaths: ['/data/tier'],
        diff: '',
      },
    ]);
  });

  it('keeps the planned entry of an object whose apply was refused, and of one never applied', () => {
    const service = blindPlan('cold-apply-service-422');
    const configMap = blindPlan('cold-apply-configmap-201');
    const error = refusal('cold-apply-service-422', 'apply');
    const failed: ApplyOutcome = {
      kind: 'failed',
      planned: service,
      error: new SyncObjectError(refOf(service.prepared.object), undefined, error.message),
    };
    expect(entriesAsApplied([configMap, service], [failed])).toEqual([
      configMap.entry,
      service.entry,
    ]);
  });
});

describe('what a sync hands to health checks', () => {
  it("reports each apply's answer and the live read of what needed none, never a refused apply", () => {
    const created: ApplyOutcome = {
      kind: 'applied',
      planned: blindPlan('cold-apply-configmap-201'),
      result: answered('cold-apply-configmap-201'),
      created: true,
    };
    const deploymentLive = answered('deployment-live');
    const unchanged: ApplyOutcome = {
      kind: 'unchanged',
      planned: planned(
        decideBeforeDryRun(sent('cold-apply-deployment-201'), deploymentLive, opts, false),
      ),
    };
    const service = blindPlan('cold-apply-service-422');
    const refused: ApplyOutcome = {
      kind: 'failed',
      planned: service,
      error: new SyncObjectError(refOf(service.prepared.object), undefined, 'refused'),
    };
    expect(storedObjects([created, unchanged, refused])).toEqual([
      answered('cold-apply-configmap-201'),
      deploymentLive,
    ]);
  });
});

describe("the plan's progress line", () => {
  it('says how many objects are to be created, configured or left as they are', () => {
    const plans = [
      blindPlan('cold-apply-configmap-201'),
      blindPlan('cold-apply-deployment-201'),
      planned(
        decideBeforeDryRun(
          sent('cold-apply-deployment-201'),
          answered('deployment-live'),
          opts,
          false,
        ),
      ),
    ];
    expect(planSummary(plans)).toBe('2 to create, 0 to configure, 1 unchanged');
  });
});
