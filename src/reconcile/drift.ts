import {
  driftReaction,
  ignoreRulesOf,
  type Application,
  type DriftEntry,
} from '../api/application.js';
import {
  byCodePoint,
  formatRef,
  refKey,
  refOf,
  type KubeObject,
  type ObjectRef,
} from '../api/object.js';
import { isNamespaceMissing } from '../apply/errors.js';
import { prepareObjects } from '../apply/prepare.js';
import type { Cluster } from '../cluster/cluster.js';
import { actingFor } from './identity.js';
import { driftOf, holdsDesired } from '../diff/index.js';
import { ownerOf } from '../inventory/index.js';
import { formatAppKey, type AppKey } from '../api/app-key.js';
import { parseDriftKey } from './drift-key.js';
import type { RenderedObject } from '../render/index.js';
import type { DesiredCache } from './app-state.js';
import type { Outcome } from './runner.js';
import { drift, type AuditSink } from './audit.js';
import { recordEvent, setCondition, writeStatus, type OutcomeTap } from './status.js';
import { apiFailureOutcome } from './errors.js';

export const selfHealAnnotation = 'ballast.dev/self-heal';

/** The Application key a tracked object belongs to, from its tracking label (and annotation). */
export function ownerKeyOf(obj: KubeObject): AppKey | undefined {
  const id = ownerOf(obj);
  return id === undefined ? undefined : formatAppKey(id);
}

interface ManagedFieldsEntry {
  manager?: string;
  time?: string;
  subresource?: string;
}

/**
 * Who changed it: the newest managedFields entry that is not Ballast's own. Status writers
 * (controllers reporting progress) are skipped: they write status, not the desired state.
 */
export function lastForeignManager(live: KubeObject): string {
  const entries = ((live.metadata.managedFields ?? []) as ManagedFieldsEntry[]).filter(
    (e) => e.manager !== 'ballast' && e.subresource !== 'status',
  );
  entries.sort((a, b) => byCodePoint(a.time ?? '', b.time ?? ''));
  return entries[entries.length - 1]?.manager ?? 'unknown';
}

/** Below this many rendered objects a scan costs no more than an index, and keeps nothing. */
const indexFrom = 256;

/**
 * The rendered objects of an Application with thousands, by group, kind and name, built once
 * per render: every watch event of a managed object looks its desired state up. Measured at
 * 10k objects in 1000 Applications, an index for every render held 10 MiB more heap.
 */
const byName = new WeakMap<readonly RenderedObject[], Map<string, RenderedObject[]>>();

const nameKey = (r: ObjectRef): string => `${r.group}|${r.kind}|${r.name}`;

/** The rendered objects with the group, kind and name of `ref`, in any namespace. */
export function candidates(objects: readonly RenderedObject[], ref: ObjectRef): RenderedObject[] {
  if (objects.length < indexFrom)
    return objects.filter((d) => {
      const r = refOf(d.object);
      return r.name === ref.name && r.kind === ref.kind && r.group === ref.group;
    });
  let index = byName.get(objects);
  if (index === undefined) {
    index = new Map();
    for (const d of objects) {
      const k = nameKey(refOf(d.object));
      const same = index.get(k);
      if (same === undefined) index.set(k, [d]);
      else same.push(d);
    }
    byName.set(objects, index);
  }
  return index.get(nameKey(ref)) ?? [];
}

/** The object as Ballast applies it (namespace defaulted, tracking label), or undefined. */
export async function desiredFor(
  cluster: Cluster,
  cache: DesiredCache,
  ref: ObjectRef,
): Promise<KubeObject | undefined> {
  const app = cache.app;
  const id = { name: app.metadata.name, namespace: app.metadata.namespace ?? '' };
  // The namespace is compared after preparing: an object naming none gets the destination's.
  for (const d of candidates(cache.objects, ref)) {
    const { prepared } = await prepareObjects(cluster, [d], id, app.spec.destination.namespace);
    const p = prepared[0];
    if (p !== undefined && (p.object.metadata.namespace ?? '') === ref.namespace) return p.object;
  }
  return undefined;
}

export interface DriftDeps {
  cluster: Cluster;
  /** See TenancyDeps: the account an Application that names none acts as. */
  defaultServiceAccount?: string | undefined;
  /** An Application's last rendered desired state (see AppStates.desired). */
  desired: (appKey: AppKey) => DesiredCache | undefined;
  /** Asks for a full reconcile of an Application (its desired state is not cached yet). */
  requestReconcile: (appKey: AppKey) => void;
  /** Called for every drift seen, for metrics. */
  onDrift: (d: { appKey: AppKey; healed: boolean }) => void;
  /** The audit ledger's sink: each drift found or reverted is one record. */
  audit?: AuditSink;
  /** Hears each drift found or reverted, for notifications. */
  notify?: OutcomeTap | undefined;
  /** Set while the ledger cannot take records: a heal waits, as a sync does (see LedgerHold). */
  ledgerUnavailable?: () => Error | undefined;
  /**
   * Runs a status write in the Application's turn (see KeyedTurns). A reconcile writes back
   * the drift list it read when it started, so a drift recorded while it runs would be lost.
   */
  statusTurn?: (appKey: AppKey, write: () => Promise<void>) => Promise<void>;
}

/**
 * Re-checks one managed object after a watch event: no Git fetch, no render. The object is
 * re-read live (the event may be stale), dry-run against its desired state, and if it drifted,
 * recorded with the paths and the manager that changed it, and re-applied when healing. The
 * apiserver's failures are retried here (see apiFailureOutcome); anything else is a bug.
 */
export async function handleDrift(deps: DriftDeps, key: string): Promise<Outcome> {
  const parsed = parseDriftKey(key);
  if (parsed === undefined)
    return { kind: 'terminal', error: new Error(`${key}: not a drift key`) };
  try {
    return await checkDrift(deps, parsed);
  } catch (e) {
    return apiFailureOutcome(key, e);
  }
}

async function checkDrift(
  deps: DriftDeps,
  parsed: { appKey: AppKey; ref: ObjectRef },
): Promise<Outcome> {
  const cache = deps.desired(parsed.appKey);
  if (cache === undefined) {
    deps.requestReconcile(parsed.appKey);
    return { kind: 'ok' };
  }
  // A suspended Application is left alone entirely, drift included.
  if (cache.app.spec.suspend) return { kind: 'ok' };
  const desired = await desiredFor(deps.cluster, cache, parsed.ref);
  if (desired === undefined) return { kind: 'ok' };
  // The live read, the dry run and the heal are the Application's own requests.
  const acting = actingFor(deps, cache.app);
  const live = await acting.get(desired);
  // Every value Ballast sets is still there: no need to ask the apiserver for a dry run.
  if (live !== undefined && holdsDesired(desired, live)) return { kind: 'ok' };
  const reaction = driftReaction(cache.app.spec);
  if (reaction === 'ignore') return { kind: 'ok' };
  const optedOut = live?.metadata.annotations?.[selfHealAnnotation] === 'disabled';
  const heal = reaction === 'heal' && !optedOut;
  const rules = ignoreRulesOf(cache.app);
  // A heal is a change too: while the ledger refuses records it waits, and is retried.
  const ledgerDown = heal ? deps.ledgerUnavailable?.() : undefined;
  // With nothing ignored, what a dry run would store is what the heal stores: apply at once,
  // one round trip sooner, and compare its answer. (An apply that changes nothing writes
  // nothing.) Ignored paths need the dry run first, or the heal would overwrite them.
  const healAtOnce = heal && ledgerDown === undefined && rules.length === 0;
  // What the apiserver stores (or would store) when Ballast applies, to compare with the live.
  let wouldStore: KubeObject;
  try {
    wouldStore = await acting.apply(desired, healAtOnce ? {} : { dryRun: true });
  } catch (e) {
    if (!isNamespaceMissing(e)) throw e;
    // Its namespace was deleted with it. Only a sync can create the namespace again (under
    // createNamespace, or else report it missing), so healing hands the Application to one;
    // a warning reports the whole object as gone.
    if (heal) {
      deps.requestReconcile(parsed.appKey);
      return { kind: 'ok' };
    }
    wouldStore = desired;
  }
  if (healAtOnce) cache.observed.stored(wouldStore);
  const found = driftOf(wouldStore, live, rules);
  if (found.kind === 'none') return { kind: 'ok' };
  const { changedPaths } = found;
  const manager = live === undefined ? 'deleted' : lastForeignManager(live);
  if (ledgerDown !== undefined) return { kind: 'retry', error: ledgerDown };
  if (heal && !healAtOnce) cache.observed.stored(await acting.apply(desired));
  deps.onDrift({ appKey: parsed.appKey, healed: heal });
  const ref = refOf(desired);
  await deps.audit?.(drift(cache.app, ref, changedPaths, manager, heal));
  const what = `${formatRef(ref)} changed by ${manager} (${changedPaths.join(', ') || 'whole object'})`;
  await recordEvent(
    deps,
    cache.app,
    heal ? 'Normal' : 'Warning',
    heal ? 'DriftReverted' : 'Drifted',
    heal ? `${what}; reverted` : what,
    { revision: cache.revision },
  );
  const record = (): Promise<void> =>
    recordDrift(deps.cluster, cache.app, { ref, what, paths: changedPaths, manager, heal });
  await (deps.statusTurn?.(parsed.appKey, record) ?? record());
  return { kind: 'ok' };
}

/** Puts one drift in the Application's status: listed while it stands, dropped once healed. */
async function recordDrift(
  cluster: Cluster,
  app: Application,
  d: { ref: ObjectRef; what: string; paths: readonly string[]; manager: string; heal: boolean },
): Promise<void> {
  const { ref, what, paths, manager, heal: healed } = d;
  const fresh = (await cluster.get(app)) as Application | undefined;
  if (fresh === undefined) return;
  const entry: DriftEntry = {
    group: ref.group,
    kind: ref.kind,
    namespace: ref.namespace,
    name: ref.name,
    paths: [...paths],
    manager,
    detectedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  const others = (fresh.status?.drift ?? []).filter((d) => refKey(d) !== refKey(ref));
  const drift = healed ? others : [...others, entry];
  const conditions = setCondition(
    fresh.status?.conditions ?? [],
    'Drifted',
    drift.length > 0 ? 'True' : 'False',
    healed ? 'DriftReverted' : 'ManualChange',
    healed ? `reverted: ${what}` : `${drift.length} object(s) differ from Git`,
    fresh.metadata.generation,
  );
  // Only the fields this path owns: a reconcile may have written the rest since the read above.
  await writeStatus(cluster, fresh, { drift, conditions });
}
