import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/object.js';
import {
  decideBeforeDryRun,
  decideFromDryRun,
  isColdSync,
  namespacesInSync,
  type BeforeDryRun,
  type PlannedObject,
} from './plan.js';
import type { PreparedObject } from './prepare.js';
import { inventoryKey } from './store.js';
import { trackingMetadata } from '../api/tracking.js';
import { answered, planOptions, refusal, sent } from './testdata/fixtures.js';

const opts = planOptions();

function plannedOf(d: ReturnType<typeof decideBeforeDryRun>): PlannedObject {
  if (d.kind !== 'planned') throw new Error(`expected a plan, got ${JSON.stringify(d)}`);
  return d.planned;
}

function refusedWith(d: BeforeDryRun): string {
  if (d.kind !== 'refused') throw new Error(`expected a refusal, got ${d.kind}`);
  return d.error.message;
}

const renamed = (p: PreparedObject, name: string): PreparedObject => ({
  ...p,
  object: { ...p.object, metadata: { ...p.object.metadata, name } },
});

const configMap = sent('cold-apply-configmap-201');
const deployment = sent('cold-apply-deployment-201');
const imageBumped = sent('deployment-dryrun-image-200');
const deploymentLive = answered('deployment-live');
const job = sent('job-dryrun-immutable-422');

describe('planning an object from its live state, before any dry run', () => {
  it('defers every object of a cold sync: a create of the whole object, applied in order', () => {
    const p = plannedOf(decideBeforeDryRun(deployment, undefined, opts, true));
    expect(p).toMatchObject({ deferred: true, takeover: false, recreate: false, live: undefined });
    expect(p.entry).toMatchObject({ action: 'create', changedPaths: [''] });
  });

  it('defers an object whose CRD comes in the same sync, even when the sync is warm', () => {
    const widget = { ...deployment, crdInSet: true };
    expect(plannedOf(decideBeforeDryRun(widget, undefined, opts, false)).deferred).toBe(true);
  });

  it('plans objects that still hold every value Git sets as unchanged, without a dry run', () => {
    const cm = plannedOf(decideBeforeDryRun(configMap, answered('configmap-live'), opts, false));
    expect(cm).toMatchObject({ deferred: false, takeover: false, entry: { action: 'unchanged' } });
    // The Deployment as the apiserver keeps it: defaulted fields, status, a controller's writes.
    const deploy = plannedOf(decideBeforeDryRun(deployment, deploymentLive, opts, false));
    expect(deploy.entry.action).toBe('unchanged');
    expect(deploy.live).toBe(deploymentLive);
  });

  it('asks for a dry run of a Deployment whose image changed in Git', () => {
    expect(decideBeforeDryRun(imageBumped, deploymentLive, opts, false)).toEqual({
      kind: 'dry-run',
      takeover: false,
    });
  });

  it('asks for a dry run of what kubectl applied client-side, its fields to be taken over', () => {
    const live = answered('configmap-kubectl-live');
    const legacy = sent('configmap-kubectl-dryrun-200');
    expect(decideBeforeDryRun(legacy, live, opts, false)).toEqual({
      kind: 'dry-run',
      takeover: true,
    });
  });

  it("refuses an object carrying another Application's tracking label, naming both and --adopt", () => {
    const live = answered('configmap-other-app-live');
    const ours = renamed(configMap, 'payments');
    expect(refusedWith(decideBeforeDryRun(ours, live, opts, false))).toBe(
      'ConfigMap/shop/payments (shop/configmap.yaml:1): already belongs to application ballast-system.payments, not ballast-system.shop; remove it from one of the two repos, or adopt it explicitly (--adopt)',
    );
    const adopting = planOptions({ adopt: true });
    expect(decideBeforeDryRun(ours, live, adopting, false).kind).toBe('dry-run');
  });

  it("refuses to take over a long-named Application's object whose hashed label its own equals", () => {
    const victim = { namespace: 'n'.repeat(60), name: 'a'.repeat(60) };
    const attacker = { namespace: 'n'.repeat(60), name: `${'a'.repeat(59)}z` };
    // A hash collision, made by hand: the live object carries the label the attacker stamps,
    // but its identity annotation names the victim.
    const live = answered('configmap-other-app-live');
    live.metadata.labels = trackingMetadata(attacker).labels;
    live.metadata.annotations = trackingMetadata(victim).annotations;
    const ours = renamed(configMap, 'payments');
    ours.object.metadata.labels = trackingMetadata(attacker).labels;
    ours.object.metadata.annotations = trackingMetadata(attacker).annotations;
    const asAttacker = planOptions({ app: attacker });
    expect(refusedWith(decideBeforeDryRun(ours, live, asAttacker, false))).toMatch(
      /already belongs to application n{46}_[0-9a-f]{16}, not n{60}\/a{59}z;/,
    );
    // Its rightful owner, whose annotation it carries, is not refused.
    live.metadata.labels = trackingMetadata(victim).labels;
    ours.object.metadata.labels = trackingMetadata(victim).labels;
    ours.object.metadata.annotations = trackingMetadata(victim).annotations;
    expect(decideBeforeDryRun(ours, live, planOptions({ app: victim }), false).kind).toBe(
      'dry-run',
    );
  });

  it('leaves a finished Job the last sync applied and the cluster removed gone, not run again', () => {
    const applied = planOptions({ previouslyApplied: new Set([inventoryKey(job.object)]) });
    const p = plannedOf(decideBeforeDryRun(job, undefined, applied, false));
    expect(p).toMatchObject({ deferred: false, entry: { action: 'unchanged' } });
    // A Job the last sync did not apply is new: it is created.
    expect(decideBeforeDryRun(job, undefined, opts, false).kind).toBe('dry-run');
  });
});

describe("planning from the dry run's answer", () => {
  it('configures a Deployment whose image changed, naming the pointer of the image', () => {
    const answer = { kind: 'answered', stored: answered('deployment-dryrun-image-200') } as const;
    const d = decideFromDryRun(imageBumped, deploymentLive, false, answer, opts, new Set());
    const p = plannedOf(d);
    expect(p.entry).toMatchObject({
      action: 'configure',
      changedPaths: ['/spec/template/spec/containers/0/image'],
    });
    expect(p).toMatchObject({ takeover: false, recreate: false, deferred: false });
  });

  it("configures what kubectl applied though its dry run changes no value: kubectl's fields are taken over", () => {
    const live = answered('configmap-kubectl-live');
    const legacy = sent('configmap-kubectl-dryrun-200');
    const answer = { kind: 'answered', stored: answered('configmap-kubectl-dryrun-200') } as const;
    const p = plannedOf(decideFromDryRun(legacy, live, true, answer, opts, new Set()));
    expect(p.entry).toMatchObject({
      action: 'configure',
      reason: 'fields owned by kubectl are taken over',
    });
    expect(p.takeover).toBe(true);
  });

  it("refuses a Job whose template changed with the apiserver's words and how to recreate it", () => {
    const answer = {
      kind: 'refused',
      error: refusal('job-dryrun-immutable-422', 'apply'),
    } as const;
    const message = refusedWith(
      decideFromDryRun(job, answered('job-live'), false, answer, opts, new Set()),
    );
    expect(message).toMatch(
      /^Job\.batch\/shop\/migrate \(shop\/job\.yaml:1\): Job\.batch "migrate" is invalid: spec\.template: /,
    );
    expect(message).toMatch(
      /field is immutable; to delete and recreate it, annotate it ballast\.dev\/force: enabled or sync with --force$/,
    );
  });

  it('plans that Job for delete and recreate when the sync forces it or the Job is annotated', () => {
    const answer = {
      kind: 'refused',
      error: refusal('job-dryrun-immutable-422', 'apply'),
    } as const;
    const live = answered('job-live');
    const forced = decideFromDryRun(
      job,
      live,
      false,
      answer,
      planOptions({ forceRecreate: true }),
      new Set(),
    );
    expect(plannedOf(forced)).toMatchObject({
      recreate: true,
      takeover: false,
      entry: { action: 'configure', reason: 'recreated: an immutable field changed' },
    });
    const annotated: PreparedObject = {
      ...job,
      object: {
        ...job.object,
        metadata: { ...job.object.metadata, annotations: { 'ballast.dev/force': 'enabled' } },
      },
    };
    expect(
      plannedOf(decideFromDryRun(annotated, live, false, answer, opts, new Set())).recreate,
    ).toBe(true);
  });

  it('defers an object whose namespace this sync creates, when its dry run answers NotFound', () => {
    const next = sent('dryrun-namespace-missing-404');
    const answer = {
      kind: 'refused',
      error: refusal('dryrun-namespace-missing-404', 'apply'),
    } as const;
    const namespace: PreparedObject = {
      object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop-next' } },
      origin: undefined,
      namespaced: false,
      crdInSet: false,
    };
    const inSync = namespacesInSync([namespace, next], []);
    expect(plannedOf(decideFromDryRun(next, undefined, false, answer, opts, inSync))).toMatchObject(
      {
        deferred: true,
        entry: { action: 'create' },
      },
    );
    // createNamespace's namespace counts the same.
    const created = namespacesInSync([next], ['shop-next']);
    expect(decideFromDryRun(next, undefined, false, answer, opts, created).kind).toBe('planned');
  });

  it('refuses an object whose namespace nothing creates, naming both ways to create it', () => {
    const next = sent('dryrun-namespace-missing-404');
    const answer = {
      kind: 'refused',
      error: refusal('dryrun-namespace-missing-404', 'apply'),
    } as const;
    expect(refusedWith(decideFromDryRun(next, undefined, false, answer, opts, new Set()))).toBe(
      'ConfigMap/shop-next/shop (shop/configmap.yaml:1): namespace "shop-next" does not exist: create it, or let the sync create it (`ballast sync --create-namespace`, or spec.syncPolicy.syncOptions.createNamespace: true)',
    );
  });

  it("refuses an invalid object with the apiserver's reason and message, keeping the cause", () => {
    const service = sent('cold-apply-service-422');
    const error = refusal('cold-apply-service-422', 'apply');
    const d = decideFromDryRun(
      service,
      undefined,
      false,
      { kind: 'refused', error },
      opts,
      new Set(),
    );
    expect(refusedWith(d)).toMatch(
      /^Service\/shop\/shop \(shop\/service\.yaml:1\): the apiserver refused it: 422 Invalid: Service "shop" is invalid: \[spec\.ports\[0\]\.port: Invalid value: 0/,
    );
    expect(d.kind === 'refused' && d.error.cause).toBe(error);
  });
});

describe('whether a sync is cold', () => {
  const prepared = [configMap, deployment];
  const nothing = { status: 'fulfilled', value: undefined } as const;
  const found = (value: KubeObject): PromiseSettledResult<KubeObject | undefined> => ({
    status: 'fulfilled',
    value,
  });

  it('is cold when nothing it applies exists yet', () => {
    expect(isColdSync(prepared, [nothing, nothing], opts)).toBe(true);
  });

  it('is warm when one object exists, a read failed, a diff must validate, or a finished Job was applied', () => {
    expect(isColdSync(prepared, [nothing, found(deploymentLive)], opts)).toBe(false);
    const failed = { status: 'rejected', reason: refusal('delete-forbidden-403', 'get') } as const;
    expect(isColdSync(prepared, [nothing, failed], opts)).toBe(false);
    expect(
      isColdSync(prepared, [nothing, nothing], planOptions({ validateColdCreates: true })),
    ).toBe(false);
    const applied = planOptions({ previouslyApplied: new Set([inventoryKey(job.object)]) });
    expect(isColdSync([configMap, job], [nothing, nothing], applied)).toBe(false);
  });
});
