import {
  applicationApiVersion,
  applicationKind,
  type ApplicationSpec,
} from '../../api/application.js';
import type { KubeObject } from '../../api/object.js';
import type { Assignment } from '../assignment.js';
import { assignmentLabels, clusterNamespace, labelValueFor, pinnedAtAnnotation } from '../names.js';
import type { AgentOptions } from './options.js';
import { repoDecision } from './repos.js';

/** Labels and annotations linking a mirrored Application on the spoke to its Assignment. */
export const mirrorLabels = {
  /** The Cluster whose agent wrote it: how the agent lists and watches its own Applications. */
  agent: 'ballast.dev/agent-cluster',
} as const;

export const mirrorAnnotations = {
  /** `<hub namespace>/<name>` of the Assignment. */
  assignment: 'ballast.dev/assignment',
  /** The Assignment's metadata.uid, so a recreated one is told apart. */
  uid: 'ballast.dev/assignment-uid',
  /** The Assignment's metadata.generation this spec was built from: its observedGeneration. */
  generation: 'ballast.dev/assignment-generation',
} as const;

/**
 * Why an Assignment is not mirrored, as the reason of its Ready condition. InvalidAssignment:
 * the hub wrote something this agent cannot run. RepositoryNotAllowed: its repoURL is not one
 * the spoke fetches from (or sends its credentials to).
 */
export type MirrorRefusal = 'InvalidAssignment' | 'RepositoryNotAllowed' | 'RollbackRefused';

/** What the spoke knows that decides whether an undo may run there. */
export interface SpokeFacts {
  /** Commits the mirrored Application applied: its lastSyncedRevision and history. */
  applied: readonly string[];
  /** Who the agent is on the spoke: the requester of the Application's rollback. */
  spokeUser: () => Promise<string>;
}

/** The commits a mirrored Application says it applied. */
export function appliedRevisions(app: KubeObject | undefined): string[] {
  const s = (app as { status?: { lastSyncedRevision?: unknown; history?: unknown } } | undefined)
    ?.status;
  const history = Array.isArray(s?.history) ? (s.history as { revision?: unknown }[]) : [];
  const out = history.flatMap((h) => (typeof h.revision === 'string' ? [h.revision] : []));
  if (typeof s?.lastSyncedRevision === 'string') out.push(s.lastSyncedRevision);
  return out;
}

/** The Application to apply, or why not; the agent reports a refusal on the Assignment. */
export type MirrorResult =
  | { kind: 'ok'; application: KubeObject }
  | { kind: 'refused'; reason: MirrorRefusal; message: string };

/**
 * The spec the spoke runs for an Assignment: the hub's template, pinned to spec.revision, with
 * the cluster's variables. What decides whether a commit may run is the spoke's alone:
 * verification comes from the agent's options and fastForwardOnly is always on, so a hub that
 * edits an Assignment (to `verification.mode: none`, or to an older commit) cannot weaken it.
 * Deleting the Assignment prunes (pruneOnDelete), as leaving placement must.
 */
export function mirroredSpec(
  a: Assignment,
  opts: AgentOptions,
  rollback?: ApplicationSpec['rollback'],
): ApplicationSpec {
  const t = a.spec.application;
  const { mode, secretName } = opts.verification;
  return {
    source: { ...t.source, targetRevision: a.spec.revision },
    destination: {
      namespace: opts.scope === 'namespace' ? opts.namespace : t.destination.namespace,
    },
    syncPolicy: { ...t.syncPolicy, pruneOnDelete: true },
    ...(t.ignoreDifferences === undefined ? {} : { ignoreDifferences: t.ignoreDifferences }),
    suspend: false,
    verification: {
      mode,
      ...(secretName === undefined ? {} : { secretRef: { name: secretName } }),
      fastForwardOnly: true,
    },
    ...(t.decryption === undefined ? {} : { decryption: t.decryption }),
    postBuild: { substitute: { ...a.spec.variables } },
    ...(rollback === undefined ? {} : { rollback }),
  };
}

/**
 * The Application's rollback for an undo, or why the spoke refuses it. The spoke goes back
 * only to a commit it applied before: a hub cannot send it to an old commit it never ran.
 */
async function undoFor(
  a: Assignment,
  facts: SpokeFacts,
): Promise<
  | { kind: 'ok'; rollback: ApplicationSpec['rollback'] }
  | { kind: 'refused'; reason: MirrorRefusal; message: string }
> {
  const rb = a.spec.rollback;
  if (rb === undefined) return { kind: 'ok', rollback: undefined };
  if (!facts.applied.includes(a.spec.revision))
    return {
      kind: 'refused',
      reason: 'RollbackRefused',
      message: `spec.revision ${a.spec.revision.slice(0, 12)} is an undo to a commit this spoke never applied; an agent moves its spoke back only to a commit it ran before`,
    };
  const pinnedAt = a.metadata.annotations?.[pinnedAtAnnotation] ?? '1970-01-01T00:00:00Z';
  return {
    kind: 'ok',
    rollback: {
      revision: a.spec.revision,
      reason: `ballast fleet rollout undo by ${rb.requestedBy} on the hub${rb.reason === '' ? '' : `: ${rb.reason}`}`,
      requestedBy: await facts.spokeUser(),
      // The time the hub pinned it: the same on every mirror, so re-applying changes nothing.
      requestedAt: pinnedAt,
    },
  };
}

/** The Application the agent applies on the spoke for `a`, or why it will not. */
export async function mirrorAssignment(
  a: Assignment,
  opts: AgentOptions,
  facts: SpokeFacts,
): Promise<MirrorResult> {
  if (a.spec.cluster !== opts.clusterName)
    return {
      kind: 'refused',
      reason: 'InvalidAssignment',
      message: `spec.cluster is ${a.spec.cluster}, but this agent runs Cluster ${opts.clusterName}; the hub wrote it into the wrong namespace`,
    };
  // Decided before anything reaches the spoke: no Application, so no fetch, so no credentials.
  const repos = repoDecision(a.spec.application.source, opts.allowedRepos);
  if (repos.kind === 'refused')
    return { kind: 'refused', reason: 'RepositoryNotAllowed', message: repos.message };
  const undo = await undoFor(a, facts);
  if (undo.kind === 'refused') return undo;
  const fleet = a.spec.fleetApplication;
  const generation = a.metadata.generation;
  const application: KubeObject = {
    apiVersion: applicationApiVersion,
    kind: applicationKind,
    metadata: {
      name: a.metadata.name,
      namespace: opts.namespace,
      labels: {
        [mirrorLabels.agent]: opts.clusterName,
        [assignmentLabels.cluster]: opts.clusterName,
        [assignmentLabels.fleetNamespace]: fleet.namespace,
        [assignmentLabels.fleetName]: labelValueFor(fleet.name),
      },
      annotations: {
        [mirrorAnnotations.assignment]: `${clusterNamespace(opts.clusterName)}/${a.metadata.name}`,
        ...(a.metadata.uid === undefined ? {} : { [mirrorAnnotations.uid]: a.metadata.uid }),
        ...(generation === undefined ? {} : { [mirrorAnnotations.generation]: String(generation) }),
      },
    },
    spec: mirroredSpec(a, opts, undo.rollback),
  };
  return { kind: 'ok', application };
}

/** The Assignment generation a mirrored Application was built from, if it says. */
export function mirroredGeneration(app: KubeObject): number | undefined {
  const text = app.metadata.annotations?.[mirrorAnnotations.generation];
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}
