import { agentLeaseName } from '../names.js';
import { parseMicroTime } from '../../reconcile/microtime.js';
import { clusterNamespace } from '../names.js';
import { rfc3339, type ConditionValue } from './conditions.js';

/** What the hub remembers of one agent Lease between its events. */
export interface Beat {
  /** The Lease's renewTime as last seen, verbatim. */
  renewTime: string | undefined;
  /** When the hub takes the agent to have last renewed, on the hub's own clock; undefined: never. */
  atMs: number | undefined;
}

/**
 * The hub's clock for one agent: a renewal counts when the hub sees renewTime change, so clock
 * skew between agent and hub cannot make a live agent look dead (the node lifecycle controller
 * does the same with kubelet Leases). The first sight of a Lease has no earlier one to compare
 * with, so it counts at its renewTime, never later than now: a hub restarted next to a dead
 * agent reports it at once.
 */
export function observeBeat(
  previous: Beat | undefined,
  renewTime: string | undefined,
  nowMs: number,
): Beat {
  if (previous !== undefined && previous.renewTime === renewTime) return previous;
  const parsed = renewTime === undefined ? undefined : parseMicroTime(renewTime);
  if (parsed === undefined) return { renewTime, atMs: undefined };
  return { renewTime, atMs: previous === undefined ? Math.min(parsed, nowMs) : nowMs };
}

/** What the hub judges of a Cluster's agent at one moment. */
export interface Readiness {
  ready: ConditionValue<'Ready'>;
  /**
   * status.lastHeartbeatTime to write: the recorded one until `reportEveryMs` has passed, so a
   * beat costs no status write.
   */
  lastHeartbeatTime: string | undefined;
  /** The latest beat, RFC 3339: what a status write made for another reason may carry. */
  seenAt: string | undefined;
  /** When the verdict changes by time alone (the Lease goes stale), in ms from now. */
  recheckInMs: number | undefined;
}

export interface ReadinessInput {
  cluster: string;
  /** The agent's Lease as the hub saw it; undefined when it does not exist. */
  beat: Beat | undefined;
  nowMs: number;
  timeoutMs: number;
  /** status.lastHeartbeatTime as recorded. */
  recorded: string | undefined;
}

const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;

/**
 * How often status.lastHeartbeatTime moves on beats alone: every 5 minutes, as a kubelet
 * reports an unchanged NodeStatus (nodeStatusReportFrequency), or every half timeout when that
 * is longer. Liveness is judged from the Lease, never from this field, so writing it rarely
 * delays no Ready=False; at idle it was most of the hub's writes (one per cluster per 30 s).
 */
export function heartbeatReportMs(timeoutMs: number): number {
  return Math.max(300_000, timeoutMs / 2);
}

/**
 * The Cluster's Ready condition from its agent's Lease: True while renewed within the timeout,
 * False (HeartbeatMissed) after, Unknown (AgentNotRegistered) while no agent ever wrote one.
 */
export function judgeReadiness(input: ReadinessInput): Readiness {
  const { beat, nowMs, timeoutMs } = input;
  const lease = `${clusterNamespace(input.cluster)}/${agentLeaseName}`;
  if (beat === undefined)
    return {
      ready: {
        type: 'Ready',
        status: 'Unknown',
        reason: 'AgentNotRegistered',
        message: `no agent has written its Lease ${lease} yet: run \`ballast agent\` on the cluster and register it with the hub`,
      },
      lastHeartbeatTime: input.recorded,
      seenAt: undefined,
      recheckInMs: undefined,
    };
  if (beat.atMs === undefined)
    return {
      ready: {
        type: 'Ready',
        status: 'False',
        reason: 'HeartbeatMissed',
        message: `the agent's Lease ${lease} has no readable spec.renewTime`,
      },
      lastHeartbeatTime: input.recorded,
      seenAt: undefined,
      recheckInMs: undefined,
    };
  const age = nowMs - beat.atMs;
  const recordedMs = input.recorded === undefined ? undefined : Date.parse(input.recorded);
  const seenAt = rfc3339(beat.atMs);
  const lastHeartbeatTime =
    recordedMs === undefined ||
    Number.isNaN(recordedMs) ||
    beat.atMs - recordedMs >= heartbeatReportMs(timeoutMs)
      ? seenAt
      : input.recorded;
  if (age > timeoutMs)
    return {
      ready: {
        type: 'Ready',
        status: 'False',
        reason: 'HeartbeatMissed',
        message: `the agent last renewed its Lease ${lease} ${seconds(age)} ago, more than the ${seconds(timeoutMs)} heartbeat timeout`,
      },
      lastHeartbeatTime,
      seenAt,
      recheckInMs: undefined,
    };
  return {
    ready: {
      type: 'Ready',
      status: 'True',
      reason: 'AgentHeartbeat',
      message: `the agent renewed its Lease within the ${seconds(timeoutMs)} heartbeat timeout`,
    },
    lastHeartbeatTime,
    seenAt,
    // One ms past the deadline, so the recheck finds it stale rather than just on time.
    recheckInMs: Math.max(0, timeoutMs - age) + 1,
  };
}
