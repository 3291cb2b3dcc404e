import {
  applicationApiVersion,
  ignoreRulesOf,
  parseApplication,
  type Application,
  type ApplicationStatus,
} from '../api/application.js';
import { parseDuration } from '../api/schema-duration.js';
import { groupedErrors, isForbidden, type SyncObjectError } from '../apply/errors.js';
import { defaultSyncOptions, sync, type SyncResult } from '../apply/sync.js';
import type { Cluster } from '../cluster/cluster.js';
import { countByAction, defaultDiffOptions, jsonEqual } from '../diff/index.js';
import { render, type RenderedObject } from '../render/index.js';
import type { DecryptionKeys } from '../secrets/index.js';
import type { GitSource } from '../source/source.js';
import type { Backoff } from './queue.js';
import type { Outcome, ReconcileContext } from './runner.js';
import { addFinalizer, finalizeApplication, hasFinalizer, isDeleting } from './finalize.js';
import { recordEvent, setCondition, writeStatus } from './status.js';
import { assess, statusAfterSync, type AppHealth } from './sync-status.js';
import { decideTrust, type VerificationStatus } from './trust.js';
import { appId, decryptionFor, remoteFor, renderOptionsFor, StageError } from './stage.js';
import { recordsFor, type AuditedPass, type AuditSink } from './audit.js';
import { ObservedApp } from './observed.js';
import { actingFor } from './identity.js';
import { statusInventory, type InventoryStore } from '../apply/store.js';
import { formatInventory } from '../inventory/index.js';
import type { KubeObject } from '../api/object.js';

/** What the drift path needs to re-diff one object without fetching or rendering again. */
export interface DesiredCache {
  revision: string;
  /** The Application as last reconciled: drift policy, destination, ignore rules. */
  app: Application;
  objects: readonly RenderedObject[];
  /** What is known of the live objects between reconciles; kept across revisions. */
  observed: ObservedApp;
}

/**
 * The Application as the drift and health paths need it: spec and identity. Its status and
 * managedFields, kilobytes per Application, are only read by the next reconcile, which reads
 * the Application afresh.
 */
function cachedApp(app: Application): Application {
  const metadata = { ...app.metadata };
  delete metadata['managedFields'];
  return { apiVersion: app.apiVersion, kind: app.kind, metadata, spec: app.spec };
}

export interface ReconcilerDeps {
  cluster: Cluster;
  source: GitSource;
  /** Last rendered desired state per Application key, shared with the drift path. */
  desired: Map<string, DesiredCache>;
  log: (fields: Record<string, unknown>, msg: string) => void;
  /** The audit ledger's sink; unset: outcomes are not recorded (the CLI's one-shot diff). */
  audit?: AuditSink;
  /** Controller-wide SOPS keys, tried after an Application's own `spec.decryption` keys. */
  decryptionKeys?: DecryptionKeys;
  /**
   * Managed objects are watched and their health follows the events, so a settling
   * Application needs no early reconcile to notice it became healthy.
   */
  healthWatched?: boolean;
  /** What the managed-object watches know of an identity; see SyncOptions.untracked. */
  untracked?: (obj: KubeObject) => Promise<boolean>;
  /** The Application as the controller last listed or watched it, when that is as good as a GET. */
  firstRead?: (key: string) => KubeObject | undefined;
  /** See TenancyDeps: the account an Application that names none acts as. */
  defaultServiceAccount?: string | undefined;
}

/**
 * RBAC refused the Application's identity: a reason of its own, since the fix is a grant (or a
 * smaller repository), never a retry.
 */
function refusedReason(errors: readonly SyncObjectError[], otherwise: string): string {
  return errors.some((e) => isForbidden(e.cause)) ? 'Forbidden' : otherwise;
}

/** How soon a reconcile looks again while the app is Progressing. */
const healthRecheckMs = 3_000;

function intervalMs(app: Application): number {
  const ms = parseDuration(app.spec.syncPolicy.interval) ?? 180_000;
  // Jitter spreads the polls of many Applications that were created together.
  return Math.round(ms * (0.9 + Math.random() * 0.2));
}

/** Fetch, render, diff, apply, prune, assess health: one Application, one pass. */
type Loaded =
  { kind: 'gone' } | { kind: 'invalid'; outcome: Outcome } | { kind: 'ok'; app: Application };

/** Reads and validates the Application; an invalid one is marked Stalled and not retried. */
async function loadApplication(deps: ReconcilerDeps, key: string): Promise<Loaded> {
  const [namespace = '', name = ''] = key.split('/');
  const raw =
    deps.firstRead?.(key) ??
    (await deps.cluster.get({
      apiVersion: applicationApiVersion,
      kind: 'Application',
      metadata: { name, namespace },
    }));
  if (raw === undefined) return { kind: 'gone' };
  const parsed = parseApplication(raw);
  if (parsed.kind === 'ok') return { kind: 'ok', app: parsed.value };
  const app = raw as unknown as Application;
  const problems = parsed.problems.join('; ');
  const conditions = setCondition(
    app.status?.conditions ?? [],
    'Stalled',
    'True',
    'InvalidSpec',
    problems,
    raw.metadata.generation as number | undefined,
  );
  await writeStatus(deps.cluster, app, { ...(app.status ?? {}), conditions });
  return {
    kind: 'invalid',
    outcome: { kind: 'terminal', error: new Error(`Application ${key}: ${problems}`) },
  };
}

interface StagesDone {
  sha: string;
  automated: boolean;
  result: Extract<SyncResult, { kind: 'done' }>;
  health: AppHealth;
  verification: VerificationStatus;
  observed: ObservedApp;
}

/** Steps 1 to 7; each failure is a StageError with its own condition reason. */
async function runStages(
  deps: ReconcilerDeps,
  app: Application,
  key: string,
  ctx: ReconcileContext,
  inventory: InventoryStore,
  compareOnly = false,
): Promise<StagesDone> {
  // The Secrets it names (credentials, trusted keys, decryption keys) are read as it, too: a
  // tenant must not borrow a Secret of its namespace that its own account may not read.
  const asApp = { ...deps, cluster: actingFor(deps, app) };
  // 1. Fetch the source and pin the commit.
  const remote = await remoteFor(asApp, app);
  const fetchFailed = (e: unknown): never => {
    throw new StageError('FetchFailed', e instanceof Error ? e.message : String(e), { cause: e });
  };
  // A rollback pins an older commit until `ballast app resume` clears it.
  const pin = await deps.source
    .pin(remote, app.spec.rollback?.revision ?? app.spec.source.targetRevision, {
      freshAfter: ctx.queuedAt,
    })
    .catch(fetchFailed);
  ctx.signal.throwIfAborted();
  // 2. Verify, in the mirror before any file is extracted: the target descends from what is
  // applied, and is signed as the policy says.
  const trust = await decideTrust(asApp, app, remote, pin.sha).catch((e: unknown) => {
    throw new StageError('VerificationError', e instanceof Error ? e.message : String(e), {
      cause: e,
    });
  });
  if (trust.kind === 'refused')
    throw new StageError(trust.reason, trust.message, { verification: trust.status });
  const tree = { sha: pin.sha, dir: await deps.source.materialize(pin).catch(fetchFailed) };
  ctx.signal.throwIfAborted();
  // 3. Render the path at that commit; the drift path re-uses this until the revision moves.
  const decryption = await decryptionFor(asApp, app);
  const rendered = await render(
    { repoRoot: tree.dir, path: app.spec.source.path },
    { ...renderOptionsFor(app), decryption },
  );
  if (rendered.kind === 'error') {
    const reason =
      rendered.error.reason === 'decryption-failed' ? 'DecryptionFailed' : 'RenderFailed';
    throw new StageError(reason, rendered.error.message, { cause: rendered.error });
  }
  const observed = deps.desired.get(key)?.observed ?? new ObservedApp();
  deps.desired.set(key, {
    revision: tree.sha,
    app: cachedApp(app),
    objects: rendered.objects,
    observed,
  });
  // 4-6. Diff; apply and prune when automated, else only compare.
  const automated = app.spec.syncPolicy.automated !== undefined && !compareOnly;
  const result = await syncApp(deps, app, rendered.objects, inventory, {
    dryRun: !automated,
    observed,
    // Only `ballast app diff` prints the diff; a reconcile needs the changed paths alone.
    diffText: compareOnly,
  });
  if (result.kind === 'refused')
    throw new StageError(
      refusedReason(result.errors, 'SyncRefused'),
      groupedErrors(result.errors).join('; '),
    );
  if (result.errors.length > 0)
    throw new StageError(
      refusedReason(result.errors, 'ApplyFailed'),
      groupedErrors(result.errors).join('; '),
    );
  // 7. Assess the health of what is live now.
  observed.keepOnly(
    result.changeSet.entries.filter((e) => e.action !== 'prune').map((e) => e.subject),
  );
  const health = assess(observed, result);
  return { sha: tree.sha, automated, result, health, verification: trust.status, observed };
}

/** What a sync of `app` would change now; nothing is applied and no status is written. */
export async function compareApplication(
  deps: ReconcilerDeps,
  app: Application,
  signal: AbortSignal,
): Promise<{ sha: string; result: Extract<SyncResult, { kind: 'done' }> }> {
  const key = `${app.metadata.namespace ?? ''}/${app.metadata.name}`;
  const ctx = { reconcileId: 'compare', key, signal, attempt: 1, queuedAt: performance.now() };
  const inventory = statusInventory(appId(app, app.status), () => undefined);
  const { sha, result } = await runStages(deps, app, key, ctx, inventory, true);
  return { sha, result };
}

/** Fetch, render, diff, apply, prune, assess health, then report: one Application, one pass. */
export async function reconcileApplication(
  deps: ReconcilerDeps,
  key: string,
  ctx: ReconcileContext,
): Promise<Outcome> {
  const loaded = await loadApplication(deps, key);
  if (loaded.kind === 'gone') {
    deps.desired.delete(key);
    return { kind: 'ok' };
  }
  if (loaded.kind === 'invalid') return loaded.outcome;
  if (isDeleting(loaded.app)) return finalize(deps, key, loaded.app);
  // With pruneOnDelete, the finalizer goes on before anything is applied, so no deletion can
  // orphan what we create. Without it, a deletion has nothing to wait for (see FINALIZER).
  const needsFinalizer = loaded.app.spec.syncPolicy.pruneOnDelete && !hasFinalizer(loaded.app);
  const app = needsFinalizer ? await addFinalizer(deps.cluster, loaded.app) : loaded.app;
  const pass = new Pass(app);
  try {
    if (app.spec.suspend) return suspended(deps, key, pass);
    return await synced(deps, key, ctx, pass);
  } catch (e) {
    return await failed(deps, ctx, pass, e);
  } finally {
    // Final status is written whatever happened above, then the ledger hears of the outcome.
    // A pass that changed nothing writes nothing: most periodic resyncs of a settled fleet.
    if (!jsonEqual(pass.status, app.status ?? {}))
      await writeStatus(deps.cluster, app, pass.status).catch((e: unknown) => {
        deps.log({ key, err: String(e) }, 'writing status failed');
      });
    for (const entry of recordsFor(app, app.status, pass.audited)) await deps.audit?.(entry);
  }
}

/** The status one reconcile builds up, and what it tells the ledger. */
class Pass {
  status: ApplicationStatus;
  audited: AuditedPass = { kind: 'failed' };

  constructor(readonly app: Application) {
    const generation = app.metadata.generation;
    this.status = {
      ...(app.status ?? {}),
      ...(generation === undefined ? {} : { observedGeneration: generation }),
    };
  }

  cond(t: 'Ready' | 'Stalled', s: 'True' | 'False', reason: string, message: string): void {
    const conditions = this.status.conditions ?? [];
    const gen = this.app.metadata.generation;
    this.status = {
      ...this.status,
      conditions: setCondition(conditions, t, s, reason, message, gen),
    };
  }
}

function suspended(deps: ReconcilerDeps, key: string, pass: Pass): Outcome {
  // The drift path reads the cached Application, so it must see the suspension too.
  const cached = deps.desired.get(key);
  if (cached !== undefined) deps.desired.set(key, { ...cached, app: cachedApp(pass.app) });
  pass.cond('Ready', 'False', 'Suspended', 'reconciliation is suspended (spec.suspend)');
  pass.audited = { kind: 'suspended' };
  return { kind: 'ok' };
}

async function synced(
  deps: ReconcilerDeps,
  key: string,
  ctx: ReconcileContext,
  pass: Pass,
): Promise<Outcome> {
  const app = pass.app;
  // The inventory is kept in the status this pass writes, even when a later stage fails.
  const inventory = statusInventory(appId(app, app.status), (next) => {
    pass.status = { ...pass.status, inventory: formatInventory(next) };
  });
  const { sha, automated, result, health, verification, observed } = await runStages(
    deps,
    app,
    key,
    ctx,
    inventory,
  );
  // 8. Status, Events and the ledger.
  pass.audited = { kind: 'synced', sha, automated, changeSet: result.changeSet, verification };
  const requested = app.metadata.annotations?.['ballast.dev/sync'];
  pass.status = {
    ...statusAfterSync({ ...pass.status, verification }, result, sha, automated, health),
    ...(requested === undefined ? {} : { lastHandledSync: requested }),
  };
  // Health-only updates between reconciles rewrite this list with fresh health.
  observed.wrote(pass.status.resources ?? [], health);
  const rolledBack = app.spec.rollback !== undefined;
  pass.cond(
    'Ready',
    'True',
    rolledBack ? 'RolledBack' : automated ? 'Synced' : 'Diffed',
    `${automated ? 'applied' : 'compared'} revision ${sha.slice(0, 12)}` +
      (rolledBack ? '; rolled back, new commits wait for `ballast app resume`' : ''),
  );
  pass.cond('Stalled', 'False', 'Succeeded', '');
  const changed = result.changeSet.entries.length - countByAction(result.changeSet).unchanged;
  if (automated && changed > 0) {
    const message = `applied revision ${sha.slice(0, 12)}: ${changed} object(s) changed`;
    await recordEvent(deps.cluster, app, 'Normal', 'Synced', message);
  }
  deps.log({ key, reconcileId: ctx.reconcileId, revision: sha, changed }, 'reconciled');
  // Health moves on its own after a sync (rollouts, Jobs): look again soon until it settles.
  const settling =
    deps.healthWatched !== true && (health.status === 'Progressing' || health.status === 'Unknown');
  return {
    kind: 'ok',
    requeueAfterMs: settling ? Math.min(healthRecheckMs, intervalMs(app)) : intervalMs(app),
  };
}

async function failed(
  deps: ReconcilerDeps,
  ctx: ReconcileContext,
  pass: Pass,
  e: unknown,
): Promise<Outcome> {
  const app = pass.app;
  const reason =
    e instanceof StageError ? e.reason : isForbidden(e) ? 'Forbidden' : 'ReconcileError';
  const message = e instanceof Error ? e.message : String(e);
  pass.cond('Ready', 'False', reason, message);
  await recordEvent(deps.cluster, app, 'Warning', reason, message);
  deps.log(
    { key: ctx.key, reconcileId: ctx.reconcileId, reason, err: message },
    'reconcile failed',
  );
  if (e instanceof StageError && e.verification !== undefined) {
    pass.status = { ...pass.status, verification: e.verification };
    const sha = e.verification.revision;
    pass.audited = { kind: 'refused', sha, reason: message, verification: e.verification };
    // Retrying cannot make a commit trusted; a new commit can, so look again at the next poll.
    return { kind: 'ok', requeueAfterMs: intervalMs(app) };
  }
  if (retriesExhausted(app, ctx)) {
    // Stop hammering a failure that retries did not cure; the next interval starts over.
    const limit = app.spec.syncPolicy.retry.limit;
    pass.cond(
      'Stalled',
      'True',
      'RetriesExhausted',
      `${reason} after ${limit} retries: ${message}`,
    );
    return { kind: 'ok', requeueAfterMs: intervalMs(app) };
  }
  const error = e instanceof Error ? e : new Error(message);
  return { kind: 'retry', error, backoff: backoffOf(app) };
}

/** `spec.syncPolicy.retry.backoff` as the work queue takes it. */
function backoffOf(app: Application): Backoff {
  const b = app.spec.syncPolicy.retry.backoff;
  const base = parseDuration(b.duration) ?? 5_000;
  return {
    baseDelayMs: base,
    maxDelayMs: Math.max(base, parseDuration(b.maxDuration) ?? 180_000),
    factor: b.factor,
  };
}

/** Has this failure used up `spec.syncPolicy.retry.limit`? `attempt` counts runs since the last success. */
function retriesExhausted(app: Application, ctx: ReconcileContext): boolean {
  return ctx.attempt - 1 >= app.spec.syncPolicy.retry.limit;
}

/** A deleted Application: prune if asked, release the finalizer, forget its desired state. */
async function finalize(deps: ReconcilerDeps, key: string, app: Application): Promise<Outcome> {
  deps.desired.delete(key);
  if (!hasFinalizer(app)) return { kind: 'ok' };
  const result = await finalizeApplication(
    { cluster: deps.cluster, acting: actingFor(deps, app) },
    app,
  );
  if (result.kind === 'failed') {
    await recordEvent(deps.cluster, app, 'Warning', 'PruneFailed', result.error.message);
    return { kind: 'retry', error: result.error };
  }
  deps.log({ key, pruned: result.pruned }, 'finalized');
  return { kind: 'ok' };
}

async function syncApp(
  deps: ReconcilerDeps,
  app: Application,
  objects: readonly RenderedObject[],
  inventory: InventoryStore,
  { dryRun, observed, diffText }: { dryRun: boolean; observed: ObservedApp; diffText: boolean },
): Promise<SyncResult> {
  return sync(
    actingFor(deps, app),
    { app: appId(app), defaultNamespace: app.spec.destination.namespace, objects, inventory },
    {
      ...defaultSyncOptions(),
      dryRun,
      createNamespace: app.spec.syncPolicy.syncOptions.createNamespace,
      prune: app.spec.syncPolicy.automated?.prune === true,
      adopt: app.spec.syncPolicy.syncOptions.adopt,
      forceRecreate: app.spec.syncPolicy.syncOptions.forceRecreate,
      diff: { ...defaultDiffOptions(), ignoreDifferences: ignoreRulesOf(app), text: diffText },
      onStored: (o) => {
        observed.stored(o);
      },
      ...(deps.untracked === undefined ? {} : { untracked: deps.untracked }),
    },
  );
}
