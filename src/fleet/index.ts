/**
 * The fleet's pure foundations: the hub's kinds (Cluster, FleetApplication, Assignment) with
 * their CRDs and parsers, placement, per-cluster variables and their substitution, building an
 * Assignment, and aggregating Assignments back into a FleetApplication's status. Nothing here
 * talks to an apiserver.
 */
export {
  parseCluster,
  clusterResource,
  type Cluster,
  type ClusterSpec,
  type ClusterStatus,
} from './cluster.js';
export {
  parseFleetApplication,
  fleetApplicationResource,
  maxFailingListed,
  type FleetApplication,
  type FleetApplicationSpec,
  type FleetApplicationStatus,
  type FailingCluster,
  type FleetClusterEntry,
  type FleetSummary,
} from './fleet-application.js';
export {
  parseAssignment,
  assignmentResource,
  type Assignment,
  type AssignmentSpec,
  type AssignmentStatus,
  type Refusal,
} from './assignment.js';
export type { FleetTemplate, Placement, ValuesEntry } from './template.js';
export { fleetCrds, fleetResources } from './crds.js';
export { selectClusters, type PlacedCluster, type PlacementResult } from './placement.js';
export {
  clusterVariables,
  normaliseKey,
  type ClusterVariables,
  type VariableCollision,
  type VariableSource,
} from './variables.js';
export {
  defaultSubstituteOptions,
  formatSubstitutionProblem,
  substituteHelmValues,
  substituteObjects,
  type SubstituteOptions,
  type SubstituteResult,
  type SubstitutionProblem,
  type Where,
} from '../render/substitute.js';
export { buildAssignment, AssignmentInputError, type AssignmentInput } from './assignment-build.js';
export {
  aggregateFleetStatus,
  assignmentState,
  clusterAppCounts,
  type AggregateInput,
  type AssignmentState,
  type Failure,
  type FleetAggregate,
} from './aggregate.js';
export type { Counts } from './counts.js';
export {
  agentLeaseName,
  assignmentLabels,
  assignmentName,
  clusterNamespace,
  defaultFleetNamespace,
  fleetApplicationAnnotation,
  substituteAnnotation,
} from './names.js';
export {
  planRollout,
  strategyOf,
  wavesOf,
  allGroup,
  restGroup,
  type RolloutCluster,
  type RolloutEvent,
  type RolloutInput,
  type RolloutPlan,
} from './rollout.js';
export {
  rolloutSpecSchema,
  rolloutStatusSchema,
  type FleetRollback,
  type RolloutPhase,
  type RolloutSpec,
  type RolloutStatus,
} from './rollout-spec.js';
