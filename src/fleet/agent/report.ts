import type { Application, Condition, DriftEntry } from '../../api/application.js';
import { assignmentStatusSchema, type AssignmentStatus, type Refusal } from '../assignment.js';
import { mirroredGeneration } from './mirror.js';

/** Drift entries named in the summary's message; the spoke's Application has them all. */
const driftNamed = 3;
/** The Ready reasons the Controller gives a refused commit. */
const refusedReasons = new Set(['VerificationFailed', 'NonFastForward']);

function driftSummary(drift: readonly DriftEntry[]): AssignmentStatus['drift'] {
  if (drift.length === 0) return undefined;
  const named = drift.slice(0, driftNamed).map((d) => {
    const where = d.namespace === '' ? d.name : `${d.namespace}/${d.name}`;
    return `${d.kind}/${where}: ${d.paths.join(', ')}`;
  });
  const more = drift.length > driftNamed ? [`and ${drift.length - driftNamed} more`] : [];
  return { objects: drift.length, message: [...named, ...more].join('; ').slice(0, 4096) };
}

/**
 * The refusal of the pinned commit, when the Controller's last pass refused it: its reason
 * in one word (NotDescendant, UnsignedCommit, UntrustedKey…), as status.verification says.
 */
function refusalOf(app: Application, ready: Condition | undefined): Refusal | undefined {
  const v = app.status?.verification;
  if (ready?.status !== 'False' || !refusedReasons.has(ready.reason)) return undefined;
  if (v?.result !== 'Refused') return undefined;
  const reason = v.refusal ?? (ready.reason === 'NonFastForward' ? 'NotDescendant' : ready.reason);
  // A refusal in `all` mode names every unsigned commit; the hub's field holds 4096 characters.
  const message = v.message.length > 4096 ? `${v.message.slice(0, 4095)}…` : v.message;
  return { reason, message, revision: v.revision, time: ready.lastTransitionTime };
}

/**
 * What an Assignment's status says, read from the status of the Application mirroring it.
 * observedGeneration is the Assignment generation the Application was built from, and only
 * once the Controller acted on that spec: until then the hub reads the status as Unknown.
 */
export function assignmentStatusOf(app: Application): AssignmentStatus {
  const s = app.status ?? {};
  const built = mirroredGeneration(app);
  const current =
    app.metadata.generation !== undefined && s.observedGeneration === app.metadata.generation;
  const generation = current ? built : undefined;
  // A condition's observedGeneration is the Application's; the hub reads the Assignment's.
  // An agent's Applications carry no commitPolicy, and an Assignment has no LargeCommit type.
  const conditions = (s.conditions ?? []).flatMap((c) => {
    if (c.type === 'LargeCommit') return [];
    const rest = { ...c, type: c.type };
    delete rest.observedGeneration;
    return [generation === undefined ? rest : { ...rest, observedGeneration: generation }];
  });
  const ready = conditions.find((c) => c.type === 'Ready');
  const drift = driftSummary(s.drift ?? []);
  const refusal = refusalOf(app, ready);
  return {
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    ...(conditions.length === 0 ? {} : { conditions }),
    ...(s.sync === undefined ? {} : { sync: s.sync }),
    ...(s.health === undefined ? {} : { health: s.health }),
    ...(s.lastSyncedRevision === undefined ? {} : { lastSyncedRevision: s.lastSyncedRevision }),
    ...(drift === undefined ? {} : { drift }),
    ...(refusal === undefined ? {} : { refusal }),
  };
}

/**
 * A merge patch setting the Assignment's status to exactly `status`: every field it lacks is
 * null, so a cleared refusal or drift disappears on the hub too.
 */
export function statusPatch(status: AssignmentStatus): { status: Record<string, unknown> } {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fieldsOf(assignmentStatusSchema)))
    out[key] = (status as Record<string, unknown>)[key] ?? null;
  return { status: out };
}

function fieldsOf(schema: typeof assignmentStatusSchema): Record<string, unknown> {
  const node = schema.node;
  return node.type === 'object' ? node.fields : {};
}
