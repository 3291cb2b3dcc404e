import {
  applicationApiVersion,
  ignoreRulesOf,
  parseApplication,
  type Application,
} from '../api/application.js';
import { defaultSyncOptions, sync, type SyncResult } from '../apply/sync.js';
import type { Cluster } from '../cluster/cluster.js';
import { countByAction, defaultDiffOptions } from '../diff/index.js';
import { render, type RenderedObject } from '../render/index.js';
import type { DecryptionKeys } from '../secrets/index.js';
import type { SealingKeys } from '../secrets/sealed/index.js';
import type { GitSource } from '../source/source.js';
import type { Outcome, ReconcileContext } from './runner.js';
import { addFinalizer, finalizeApplication, hasFinalizer, isDeleting } from './finalize.js';
import {
  announceHealthTurn,
  recordEvent,
  setCondition,
  writeStatus,
  type OutcomeTap,
} from './status.js';
import { assess, statusAfterSync, type AppHealth } from './sync-status.js';
import { decideTrust, type TrustDecision, type VerificationStatus } from './trust.js';
import { noteLargeCommit } from './large-commit.js';
import { appId, decryptionFor, remoteFor, renderOptionsFor } from './stage.js';
import { appKeyOf, parseAppKey, type AppKey } from '../api/app-key.js';
import { failureOf, StageError, syncFailureOf } from './errors.js';
import type { AuditSink } from './audit.js';
import { Pass, report, type StatusWrite } from './pass.js';
import type { ObservedApp } from './observed.js';
import { AppStates } from './app-state.js';
import { actingFor } from './identity.js';
import { statusInventory, type InventoryStore } from '../apply/store.js';
import { formatInventory } from '../inventory/index.js';
import type { KubeObject } from '../api/object.js';
import { recordRotations, resolveVault, type VaultDeps } from './vault.js';
import { afterStatusWrite, failed, intervalMs } from './failure.js';

export interface ReconcilerDeps {
  cluster: Cluster;
  source: GitSource;
  /** What is known of each Application between reconciles, shared with the drift path. */
  apps: AppStates;
  log: (fields: Record<string, unknown>, msg: string) => void;
  /** The audit ledger's sink; unset: outcomes are not recorded (the CLI's one-shot diff). */
  audit?: AuditSink;
  /** Set while the ledger cannot take records: the pass applies nothing (see LedgerHold). */
  ledgerUnavailable?: () => Error | undefined;
  /** Controller-wide SOPS keys, tried after an Application's own `spec.decryption` keys. */
  decryptionKeys?: DecryptionKeys;
  /**
   * The keys that open SealedSecrets, from the controller's own namespace. Not a tenant's
   * choice: no Application field points elsewhere, so a tenant cannot bring keys of its own.
   */
  sealingKeys?: () => SealingKeys;
  /**
   * Managed objects are watched and their health follows the events, so a settling
   * Application needs no early reconcile to notice it became healthy.
   */
  healthWatched?: boolean;
  /** What the managed-object watches know of an identity; see SyncOptions.untracked. */
  untracked?: (obj: KubeObject) => Promise<boolean>;
  /** See TenancyDeps: the account an Application that names none acts as. */
  defaultServiceAccount?: string | undefined;
  /** Vault values in use and the controller's --vault-address; unset: read afresh each pass. */
  vault?: VaultDeps | undefined;
  /** Hears every outcome announced (notifications); unset: nobody listens. */
  notify?: OutcomeTap | undefined;
}

/** How soon a reconcile looks again while the app is Progressing. */
const healthRecheckMs = 3_000;

/** Fetch, render, diff, apply, prune, assess health: one Application, one pass. */
type Loaded =
  { kind: 'gone' } | { kind: 'invalid'; outcome: Outcome } | { kind: 'ok'; app: Application };

/** Reads and validates the Application; an invalid one is marked Stalled and not retried. */
async function loadApplication(deps: ReconcilerDeps, key: AppKey): Promise<Loaded> {
  // Keys come from AppStates.observe; one that names no Application names nothing to read.
  const id = parseAppKey(key);
  if (id === undefined) return { kind: 'gone' };
  const { namespace, name } = id;
  const raw =
    deps.apps.firstRead(key) ??
    (await deps.cluster.get({
      apiVersion: applicationApiVersion,
      kind: 'Application',
      metadata: { name, namespace },
    }));
  if (raw === undefined) return { kind: 'gone' };
  const parsed = parseApplication(raw);
  if (parsed.kind === 'ok') return { kind: 'ok', app: parsed.value };
  const app = raw as unknown as Application;
  const problems = parsed.error.problems.join('; ');
  const conditions = setCondition(
    app.status?.conditions ?? [],
    'Stalled',
    'True',
    'InvalidSpec',
    problems,
    raw.metadata.generation as number | undefined,
  );
  await writeStatus(deps.cluster, app, { ...(app.status ?? {}), conditions });
  return { kind: 'invalid', outcome: { kind: 'terminal', error: parsed.error } };
}

interface StagesDone {
  sha: string;
  automated: boolean;
  result: Extract<SyncResult, { kind: 'done' }>;
  health: AppHealth;
  verification: VerificationStatus;
  commitPolicy: Extract<TrustDecision, { kind: 'trusted' }>['commitPolicy'];
  observed: ObservedApp;
  /** Wall time of each stage in ms, logged so that a slow sync shows where its time went. */
  stagesMs: { fetch: number; verify: number; render: number; apply: number };
}

/** Each call returns the whole milliseconds since the previous one (or since the start). */
function stopwatch(): () => number {
  let last = performance.now();
  return () => {
    const ms = performance.now() - last;
    last += ms;
    return Math.round(ms);
  };
}

/**
 * Steps 1 to 7. A failed result of a stage is thrown as a StageError with its condition reason;
 * what the stages' dependencies throw (GitError, KubeApiError…) travels as it is to `failed`.
 */
async function runStages(
  deps: ReconcilerDeps,
  app: Application,
  key: AppKey,
  ctx: ReconcileContext,
  inventory: InventoryStore,
  compareOnly = false,
): Promise<StagesDone> {
  // The Secrets it names (credentials, trusted keys, decryption keys) are read as it, too: a
  // tenant must not borrow a Secret of its namespace that its own account may not read.
  const asApp = { ...deps, cluster: actingFor(deps, app) };
  // 1. Fetch the source and pin the commit. A rollback pins an older commit until `ballast app
  // resume` clears it.
  const lap = stopwatch();
  const remote = await remoteFor(asApp, app);
  const ref = app.spec.rollback?.revision ?? app.spec.source.targetRevision;
  const pin = await deps.source.pin(remote, ref, { freshAfter: ctx.queuedAt });
  ctx.signal.throwIfAborted();
  let fetch = lap();
  // 2. Verify, in the mirror before any file is extracted: the target descends from what is
  // applied, is signed as the policy says, and its commits are as small as commitPolicy asks
  // (counted over the Applications this controller knows on the same repository).
  const followers = (url: string): string[] => deps.apps.pathsFollowing(url);
  const trust = await decideTrust({ ...asApp, followers }, app, remote, pin.sha);
  if (trust.kind === 'refused')
    throw new StageError(key, trust.reason, trust.message, { verification: trust.status });
  const verify = lap();
  const tree = { sha: pin.sha, dir: await deps.source.materialize(pin) };
  ctx.signal.throwIfAborted();
  // Extracting the commit's files ends its fetch.
  fetch += lap();
  // 3. Render the path at that commit; the drift path re-uses this until the revision moves.
  const decryption = await decryptionFor(asApp, app);
  const rendered = await render(
    { repoRoot: tree.dir, path: app.spec.source.path },
    { ...renderOptionsFor(app), decryption, sealing: deps.sealingKeys?.() },
  );
  if (rendered.kind === 'error') {
    const reason =
      rendered.error.reason === 'decryption-failed'
        ? 'DecryptionFailed'
        : rendered.error.reason === 'substitution-failed'
          ? 'SubstitutionFailed'
          : rendered.error.reason === 'unseal-failed'
            ? 'UnsealFailed'
            : 'RenderFailed';
    throw new StageError(key, reason, rendered.error.message, { cause: rendered.error });
  }
  // Vault placeholders are filled in memory after rendering, whichever renderer ran.
  const vault = await resolveVault(deps, asApp.cluster, app, key, rendered.objects);
  const observed = deps.apps.rendered(key, { revision: tree.sha, app, objects: vault.objects });
  const renderMs = lap();
  // 4-6. Diff; apply and prune when automated, else only compare.
  const automated = app.spec.syncPolicy.automated !== undefined && !compareOnly;
  // Nothing unaudited: while the ledger refuses records, nothing is applied.
  const ledgerDown = automated ? deps.ledgerUnavailable?.() : undefined;
  if (ledgerDown !== undefined)
    throw new StageError(key, 'LedgerUnavailable', ledgerDown.message, { cause: ledgerDown });
  const result = await syncApp(deps, app, vault.objects, inventory, {
    dryRun: !automated,
    observed,
    // Only `ballast app diff` prints the diff; a reconcile needs the changed paths alone.
    diffText: compareOnly,
  });
  if (result.kind === 'refused') throw syncFailureOf(key, result.errors, 'SyncRefused');
  if (result.errors.length > 0) throw syncFailureOf(key, result.errors, 'ApplyFailed');
  if (automated) {
    await recordRotations(deps, app, tree.sha, vault.rotated);
    deps.vault?.values.applied(key);
  }
  // 7. Assess the health of what is live now.
  observed.keepOnly(
    result.changeSet.entries.filter((e) => e.action !== 'prune').map((e) => e.subject),
  );
  const health = assess(observed, result);
  const stagesMs = { fetch, verify, render: renderMs, apply: lap() };
  const verification = trust.status;
  const { commitPolicy } = trust;
  return {
    sha: tree.sha,
    automated,
    result,
    health,
    verification,
    commitPolicy,
    observed,
    stagesMs,
  };
}

/** What a sync of `app` would change now; nothing is applied and no status is written. */
export async function compareApplication(
  deps: Omit<ReconcilerDeps, 'apps'>,
  app: Application,
  signal: AbortSignal,
  /** Where the rendered desired state is left (`apps.desired(key)`), for a caller that wants it. */
  apps: AppStates = new AppStates(),
): Promise<{ sha: string; result: Extract<SyncResult, { kind: 'done' }> }> {
  const key = appKeyOf(app);
  const ctx = { reconcileId: 'compare', key, signal, attempt: 1, queuedAt: performance.now() };
  const inventory = statusInventory(appId(app, app.status), () => undefined);
  const once = { ...deps, apps };
  const { sha, result } = await runStages(once, app, key, ctx, inventory, true);
  return { sha, result };
}

/** Fetch, render, diff, apply, prune, assess health, then report: one Application, one pass. */
export async function reconcileApplication(
  deps: ReconcilerDeps,
  key: AppKey,
  ctx: ReconcileContext,
): Promise<Outcome> {
  const outcome = await reconcileOnce(deps, key, ctx);
  // Failures count against the retry limit only in a row, as the work queue counts them.
  if (outcome.kind !== 'retry') deps.apps.clearFailures(key);
  return outcome;
}

async function reconcileOnce(
  deps: ReconcilerDeps,
  key: AppKey,
  ctx: ReconcileContext,
): Promise<Outcome> {
  // From the first read on, whatever fails is caught here and reported once, by `failed`.
  const run: { pass?: Pass } = {};
  let outcome: Outcome;
  let written: StatusWrite = { kind: 'written' };
  try {
    outcome = await attempt(deps, key, ctx, run);
  } catch (e) {
    outcome = await failed(deps, ctx, key, run.pass, failureOf(key, e));
  } finally {
    if (run.pass !== undefined) written = await report(deps, key, run.pass);
  }
  return run.pass === undefined ? outcome : afterStatusWrite(run.pass.app, outcome, written);
}

/** One pass up to its report; `run.pass` is set once there is a status to write. */
async function attempt(
  deps: ReconcilerDeps,
  key: AppKey,
  ctx: ReconcileContext,
  run: { pass?: Pass },
): Promise<Outcome> {
  const loaded = await loadApplication(deps, key);
  if (loaded.kind === 'gone') {
    deps.apps.dropDesired(key);
    deps.vault?.values.forget(key);
    return { kind: 'ok' };
  }
  if (loaded.kind === 'invalid') return loaded.outcome;
  if (isDeleting(loaded.app)) return await finalize(deps, key, loaded.app);
  deps.apps.readRetryPolicy(key, loaded.app);
  const pass = new Pass(loaded.app);
  run.pass = pass;
  // With pruneOnDelete, the finalizer goes on before anything is applied, so no deletion
  // can orphan what we create. Without it, a deletion has nothing to wait for (FINALIZER).
  if (pass.app.spec.syncPolicy.pruneOnDelete && !hasFinalizer(pass.app))
    pass.app = await addFinalizer(deps.cluster, pass.app);
  if (pass.app.spec.suspend) return suspended(deps, key, pass);
  return await synced(deps, key, ctx, pass);
}

function suspended(deps: ReconcilerDeps, key: AppKey, pass: Pass): Outcome {
  // The drift path reads the cached Application, so it must see the suspension too.
  deps.apps.sawSpec(key, pass.app);
  pass.cond('Ready', 'False', 'Suspended', 'reconciliation is suspended (spec.suspend)');
  pass.audited = { kind: 'suspended' };
  return { kind: 'ok' };
}

async function synced(
  deps: ReconcilerDeps,
  key: AppKey,
  ctx: ReconcileContext,
  pass: Pass,
): Promise<Outcome> {
  const app = pass.app;
  // The inventory is kept in the status this pass writes, even when a later stage fails.
  const inventory = statusInventory(appId(app, app.status), (next) => {
    pass.status = { ...pass.status, inventory: formatInventory(next) };
  });
  const { sha, automated, result, health, verification, commitPolicy, observed, stagesMs } =
    await runStages(deps, app, key, ctx, inventory);
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
  await noteLargeCommit(deps, pass, commitPolicy, automated);
  const changed = result.changeSet.entries.length - countByAction(result.changeSet).unchanged;
  const synced = automated && changed > 0;
  if (synced) {
    const message = `applied revision ${sha.slice(0, 12)}: ${changed} object(s) changed`;
    await recordEvent(deps, app, 'Normal', 'Synced', message, {
      revision: sha,
      health: health.status,
    });
  }
  // A turn of health in this pass is announced (no Event: status shows it); a Synced Event
  // already said Healthy.
  if (!(synced && health.status === 'Healthy'))
    announceHealthTurn(deps.notify, app, {
      before: app.status?.health?.status,
      status: health.status,
      message: health.message,
      revision: sha,
    });
  deps.log({ key, reconcileId: ctx.reconcileId, revision: sha, changed, stagesMs }, 'reconciled');
  // Health moves on its own after a sync (rollouts, Jobs): look again soon until it settles.
  const settling =
    deps.healthWatched !== true && (health.status === 'Progressing' || health.status === 'Unknown');
  return {
    kind: 'ok',
    requeueAfterMs: settling ? Math.min(healthRecheckMs, intervalMs(app)) : intervalMs(app),
  };
}

/** A deleted Application: prune if asked, release the finalizer, forget its desired state. */
async function finalize(deps: ReconcilerDeps, key: AppKey, app: Application): Promise<Outcome> {
  deps.apps.dropDesired(key);
  if (!hasFinalizer(app)) return { kind: 'ok' };
  const result = await finalizeApplication(
    { cluster: deps.cluster, acting: actingFor(deps, app) },
    app,
  );
  if (result.kind === 'failed') {
    await recordEvent(deps, app, 'Warning', 'PruneFailed', result.error.message);
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
