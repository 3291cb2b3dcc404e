import { appKeyOf } from '../api/app-key.js';
import { patterns } from '../api/application-spec.js';
import { ballastApiVersion } from '../api/resource.js';
import { assignmentKind, type Assignment } from './assignment.js';
import type { Cluster } from './cluster.js';
import type { FleetApplication } from './fleet-application.js';
import {
  assignmentLabels,
  assignmentName,
  clusterNamespace,
  fleetApplicationAnnotation,
  labelValueFor,
} from './names.js';

/** What one Assignment is built from. */
export interface AssignmentInput {
  /** As read from the hub's apiserver, so it has a namespace. */
  fleetApplication: FleetApplication;
  cluster: Pick<Cluster, 'metadata'>;
  /** The full commit SHA the hub resolved the template's targetRevision to. */
  revision: string;
  /** The cluster's variables, from `clusterVariables`. */
  variables: Readonly<Record<string, string>>;
  /** Set when `revision` is an undo: who asked and why. */
  rollback?: { requestedBy: string; reason: string };
}

/** The hub was asked to build an Assignment from something it should have refused earlier. */
export class AssignmentInputError extends Error {
  override readonly name = 'AssignmentInputError';
  constructor(
    /** `namespace/name` of the FleetApplication. */
    readonly subject: string,
    readonly problem: string,
  ) {
    super(`FleetApplication ${subject}: cannot build an Assignment: ${problem}`);
  }
}

const sha = new RegExp(patterns.commitSha.regex);

/**
 * The Assignment the hub writes for one (FleetApplication, Cluster) pair, in the Cluster's
 * namespace `ballast-cluster-<name>`: the template pinned to `revision`, and the variables.
 * Pure and deterministic, so writing it again is a no-op. There is no ownerReference: it would
 * cross namespaces, so the hub deletes Assignments itself.
 * Throws AssignmentInputError only on a caller's bug (no namespace, a revision that is not a SHA).
 */
export function buildAssignment(input: AssignmentInput): Assignment {
  const { fleetApplication: app, cluster, revision } = input;
  const ns = app.metadata.namespace;
  const subject = appKeyOf(app);
  if (ns === undefined || ns === '')
    throw new AssignmentInputError(subject, 'it has no metadata.namespace');
  if (!sha.test(revision))
    throw new AssignmentInputError(
      subject,
      `revision ${revision} is not ${patterns.commitSha.hint}`,
    );
  const template = app.spec.template;
  const uid = app.metadata.uid;
  return {
    apiVersion: ballastApiVersion,
    kind: assignmentKind,
    metadata: {
      name: assignmentName(ns, app.metadata.name),
      namespace: clusterNamespace(cluster.metadata.name),
      labels: {
        [assignmentLabels.cluster]: cluster.metadata.name,
        [assignmentLabels.fleetNamespace]: ns,
        [assignmentLabels.fleetName]: labelValueFor(app.metadata.name),
        'app.kubernetes.io/managed-by': 'ballast',
      },
      annotations: { [fleetApplicationAnnotation]: subject },
    },
    spec: {
      fleetApplication: {
        namespace: ns,
        name: app.metadata.name,
        ...(uid === undefined ? {} : { uid }),
      },
      cluster: cluster.metadata.name,
      revision,
      application: structuredClone({
        ...template,
        source: { ...template.source, targetRevision: revision },
      }),
      ...(input.rollback === undefined ? {} : { rollback: { ...input.rollback } }),
      variables: { ...input.variables },
    },
  };
}
