/**
 * The fleet agent: runs on a spoke, mirrors its Cluster's Assignments into Applications there
 * and runs the Controller over them, reporting status, heartbeat and versions to the hub.
 */
export {
  AgentOptionsError,
  startAgent,
  type AgentDeps,
  type AgentEnd,
  type RunningAgent,
} from './agent.js';
export {
  agentOptionProblems,
  defaultAgentNamespace,
  defaultAgentOptions,
  type AgentOptions,
  type AgentVerification,
} from './options.js';
export { classifyHubError, type HubTrouble } from './hub.js';
export { mirrorAnnotations, mirrorAssignment, mirrorLabels, mirroredSpec } from './mirror.js';
export { assignmentStatusOf } from './report.js';
export {
  agentManifests,
  agentName,
  defaultAgentManifestOptions,
  type AgentManifestOptions,
} from './manifests.js';
