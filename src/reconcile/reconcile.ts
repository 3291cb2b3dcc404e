import {
  applicationApiVersion,
  ignoreRulesOf,
  parseApplication,
  type Application,
  type ApplicationStatus,
} from '../api/application.js';
import { parseDuration } from '../api/schema-duration.js';
import { refOf, type KubeObject } from '../api/object.js';
import { defaultSyncOptions, sync, type SyncResult } from '../apply/sync.js';
import type { Cluster } from '../cluster/cluster.js';
import { defaultDiffOptions } from '../diff/index.js';
import { aggregateHealth, assessHealth } from '../health/index.js';
import { formatInventory, inventoryOf } from '../inventory/index.js';
import {
  defaultRenderOptions,
  render,
  type RenderedObject,
  type RenderOptions,
} from '../render/index.js';
import { credentialsFromSecretData } from '../source/credentials.js';
import type { GitRemote } from '../source/git.js';
import type { GitSource } from '../source/source.js';
import type { Outcome, ReconcileContext } from './runner.js';
import { appendHistory, recordEvent, setCondition, writeStatus } from './status.js';

/** What the drift path needs to re-diff one object without fetching or rendering again. */
export interface DesiredCache {
  revision: string;
  /** The Application as last reconciled: drift policy, destination, ignore rules. */
  app: Application;
  objects: readonly RenderedObject[];
}

export interface ReconcilerDeps {
  cluster: Cluster;
  source: GitSource;
  /** Last rendered desired state per Application key, shared with the drift path. */
  desired: Map<string, DesiredCache>;
  log: (fields: Record<string, unknown>, msg: string) => void;
}

/** A stage failed; `reason` becomes the Ready condition's reason. */
class StageError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** How soon a reconcile looks again while the app is Progressing. */
const healthRecheckMs = 3_000;

function intervalMs(app: Application): number {
  const ms = parseDuration(app.spec.syncPolicy.interval) ?? 180_000;
  // Jitter spreads the polls of many Applications that were created together.
  return Math.round(ms * (0.9 + Math.random() * 0.2));
}

async function remoteFor(deps: ReconcilerDeps, app: Application): Promise<GitRemote> {
  const src = app.spec.source;
  if (src.secretRef === undefined) return { url: src.repoURL, auth: { kind: 'none' } };
  const ns = app.metadata.namespace ?? '';
  const secret = await deps.cluster.get({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: src.secretRef.name, namespace: ns },
  });
  if (secret === undefined)
    throw new StageError('CredentialsNotFound', `Secret ${ns}/${src.secretRef.name} not found`);
  const creds = credentialsFromSecretData(secret.data as Record<string, string> | undefined);
  if (creds.kind === 'invalid')
    throw new StageError(
      'InvalidCredentials',
      `Secret ${ns}/${src.secretRef.name}: ${creds.problem}`,
    );
  return { url: src.repoURL, ...creds.value };
}

function renderOptionsFor(app: Application): RenderOptions {
  const base = defaultRenderOptions();
  const helm = app.spec.source.helm;
  const renderer =
    app.spec.source.kustomize !== undefined ? 'kustomize' : helm !== undefined ? 'helm' : 'auto';
  return {
    ...base,
    renderer,
    helm: {
      ...base.helm,
      namespace: app.spec.destination.namespace,
      releaseName: helm?.releaseName ?? app.metadata.name,
      valuesFiles: helm?.valuesFiles ?? [],
      values: helm?.values ?? {},
    },
  };
}

/** Fetch, render, diff, apply, prune, assess health: one Application, one pass. */
type Loaded =
  { kind: 'gone' } | { kind: 'invalid'; outcome: Outcome } | { kind: 'ok'; app: Application };

/** Reads and validates the Application; an invalid one is marked Stalled and not retried. */
async function loadApplication(deps: ReconcilerDeps, key: string): Promise<Loaded> {
  const [namespace = '', name = ''] = key.split('/');
  const raw = await deps.cluster.get({
    apiVersion: applicationApiVersion,
    kind: 'Application',
    metadata: { name, namespace },
  });
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
  health: ReturnType<typeof aggregateHealth>;
}

/** Steps 1 to 6; each failure is a StageError with its own condition reason. */
async function runStages(
  deps: ReconcilerDeps,
  app: Application,
  key: string,
  ctx: ReconcileContext,
): Promise<StagesDone> {
  // 1. Fetch the source and pin the commit.
  const remote = await remoteFor(deps, app);
  const tree = await deps.source
    .checkout(remote, app.spec.source.targetRevision)
    .catch((e: unknown) => {
      throw new StageError('FetchFailed', e instanceof Error ? e.message : String(e), { cause: e });
    });
  ctx.signal.throwIfAborted();
  // 2. Render the path at that commit; the drift path re-uses this until the revision moves.
  const rendered = await render(
    { repoRoot: tree.dir, path: app.spec.source.path },
    renderOptionsFor(app),
  );
  if (rendered.kind === 'error')
    throw new StageError('RenderFailed', rendered.error.message, { cause: rendered.error });
  deps.desired.set(key, { revision: tree.sha, app, objects: rendered.objects });
  // 3-5. Diff; apply and prune when automated, else only compare.
  const automated = app.spec.syncPolicy.automated !== undefined;
  const result = await syncApp(deps, app, rendered.objects, !automated);
  if (result.kind === 'refused')
    throw new StageError('SyncRefused', result.errors.map((e) => e.message).join('; '));
  if (result.errors.length > 0)
    throw new StageError('ApplyFailed', result.errors.map((e) => e.message).join('; '));
  // 6. Assess the health of what is live now.
  return { sha: tree.sha, automated, result, health: await assess(deps.cluster, result) };
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
  const app = loaded.app;
  const generation = app.metadata.generation;
  let status: ApplicationStatus = {
    ...(app.status ?? {}),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
  };
  const cond = (
    t: 'Ready' | 'Stalled',
    s: 'True' | 'False',
    reason: string,
    message: string,
  ): void => {
    status = {
      ...status,
      conditions: setCondition(status.conditions ?? [], t, s, reason, message, generation),
    };
  };
  if (app.spec.suspend) {
    // The drift path reads the cached Application, so it must see the suspension too.
    const cached = deps.desired.get(key);
    if (cached !== undefined) deps.desired.set(key, { ...cached, app });
    cond('Ready', 'False', 'Suspended', 'reconciliation is suspended (spec.suspend)');
    await writeStatus(deps.cluster, app, status);
    return { kind: 'ok' };
  }
  try {
    const { sha, automated, result, health } = await runStages(deps, app, key, ctx);
    // 7. Status and Events.
    status = statusAfterSync(status, result, sha, automated, health);
    cond(
      'Ready',
      'True',
      automated ? 'Synced' : 'Diffed',
      `${automated ? 'applied' : 'compared'} revision ${sha.slice(0, 12)}`,
    );
    cond('Stalled', 'False', 'Succeeded', '');
    const changed = result.changeSet.entries.filter((e) => e.action !== 'unchanged').length;
    if (automated && changed > 0) {
      await recordEvent(
        deps.cluster,
        app,
        'Normal',
        'Synced',
        `applied revision ${sha.slice(0, 12)}: ${changed} object(s) changed`,
      );
    }
    deps.log({ key, reconcileId: ctx.reconcileId, revision: sha, changed }, 'reconciled');
    // Health moves on its own after a sync (rollouts, Jobs): look again soon until it settles.
    const settling = health.status === 'Progressing' || health.status === 'Unknown';
    return {
      kind: 'ok',
      requeueAfterMs: settling ? Math.min(healthRecheckMs, intervalMs(app)) : intervalMs(app),
    };
  } catch (e) {
    const reason = e instanceof StageError ? e.reason : 'ReconcileError';
    const message = e instanceof Error ? e.message : String(e);
    cond('Ready', 'False', reason, message);
    await recordEvent(deps.cluster, app, 'Warning', reason, message);
    deps.log({ key, reconcileId: ctx.reconcileId, reason, err: message }, 'reconcile failed');
    return { kind: 'retry', error: e instanceof Error ? e : new Error(message) };
  } finally {
    // Final status is written whatever happened above.
    await writeStatus(deps.cluster, app, status).catch((e: unknown) => {
      deps.log({ key, err: String(e) }, 'writing status failed');
    });
  }
}

async function syncApp(
  deps: ReconcilerDeps,
  app: Application,
  objects: readonly RenderedObject[],
  dryRun: boolean,
): Promise<SyncResult> {
  const dest = app.spec.destination.namespace;
  if (app.spec.syncPolicy.syncOptions.createNamespace && !dryRun) {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: dest } };
    if ((await deps.cluster.get(ns)) === undefined) await deps.cluster.apply(ns);
  }
  return sync(
    deps.cluster,
    {
      app: { name: app.metadata.name, namespace: app.metadata.namespace ?? '' },
      defaultNamespace: dest,
      objects,
    },
    {
      ...defaultSyncOptions(),
      dryRun,
      prune: app.spec.syncPolicy.automated?.prune === true,
      adopt: app.spec.syncPolicy.syncOptions.adopt,
      forceRecreate: app.spec.syncPolicy.syncOptions.forceRecreate,
      diff: { ...defaultDiffOptions(), ignoreDifferences: ignoreRulesOf(app) },
    },
  );
}

async function assess(
  cluster: Cluster,
  result: Extract<SyncResult, { kind: 'done' }>,
): Promise<ReturnType<typeof aggregateHealth>> {
  const items = await Promise.all(
    result.live.map(async (o: KubeObject) => ({
      subject: refOf(o),
      health: assessHealth(await cluster.get(o)),
    })),
  );
  return aggregateHealth(items);
}

function statusAfterSync(
  status: ApplicationStatus,
  result: Extract<SyncResult, { kind: 'done' }>,
  sha: string,
  automated: boolean,
  health: ReturnType<typeof aggregateHealth>,
): ApplicationStatus {
  const count = (a: string): number =>
    result.changeSet.entries.filter((e) => e.action === a).length;
  const outOfSync = result.changeSet.entries.some(
    (e) => e.action === 'create' || e.action === 'configure' || e.action === 'prune',
  );
  const synced = automated || !outOfSync;
  const counts = {
    created: count('create'),
    configured: count('configure'),
    unchanged: count('unchanged'),
    pruned: result.pruned.filter((p) => p.kind === 'deleted').length,
  };
  const applied = automated && counts.created + counts.configured + counts.pruned > 0;
  return {
    ...status,
    sync: { status: synced ? 'Synced' : 'OutOfSync', revision: sha },
    health: { status: health.status, message: health.message },
    resources: result.changeSet.entries.map((e) => ({
      group: e.subject.group,
      kind: e.subject.kind,
      namespace: e.subject.namespace,
      name: e.subject.name,
      status: automated || e.action === 'unchanged' ? 'Synced' : 'OutOfSync',
    })),
    inventory: formatInventory(
      inventoryOf(
        result.changeSet.entries.filter((e) => e.action !== 'prune').map((e) => e.subject),
      ),
    ),
    ...(automated ? { lastSyncedRevision: sha } : {}),
    ...(applied || status.history === undefined
      ? {
          history: appendHistory(status.history ?? [], {
            revision: sha,
            result: 'Succeeded',
            counts,
          }),
        }
      : {}),
  };
}
