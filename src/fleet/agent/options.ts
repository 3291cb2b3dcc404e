import type { ControllerOptions } from '../../reconcile/controller.js';
import { defaultFleetNamespace } from '../names.js';
import { allowedRepoProblems } from './repos.js';

/** The verification policy the spoke itself imposes on every commit an Assignment pins. */
export interface AgentVerification {
  /**
   * head: the pinned commit (or its tag) must be signed by a trusted key; all: every commit
   * since the last applied one too; none: signatures are not checked, so the spoke trusts the
   * hub with what it runs (only for a local try-out).
   */
  mode: 'head' | 'all' | 'none';
  /**
   * A Secret in the agent's namespace on the spoke holding the trusted keys (`*.asc`, `*.pub`,
   * as spec.verification.secretRef). Required unless mode is none.
   */
  secretName: string | undefined;
}

export interface AgentOptions {
  /** The Cluster's name on the hub: the agent reads Assignments in `ballast-cluster-<name>`. */
  clusterName: string;
  /**
   * The spoke namespace of the mirrored Applications and of the Secrets they name (Git
   * credentials, trusted keys, decryption keys).
   */
  namespace: string;
  /**
   * cluster: objects may go anywhere the agent's ClusterRole allows. namespace: the agent has
   * only a Role in `namespace`; every Application's destination is that namespace and the
   * object watches are namespaced.
   */
  scope: 'cluster' | 'namespace';
  /** Imposed on every mirrored Application, whatever the Assignment's template says. */
  verification: AgentVerification;
  /**
   * URL prefixes (`https://git.example.com/org`) of the repositories the spoke fetches from and
   * sends its Git credentials to; an Assignment whose repoURL is under none is refused. Empty:
   * anonymous sources are fetched, and any Assignment naming a secretRef is refused, so a hub
   * cannot send the spoke's credentials to a server of its choosing.
   */
  allowedRepos: readonly string[];
  /** The hub namespace of the Cluster object, whose status the agent writes at start. */
  fleetNamespace: string;
  /** The hub's heartbeat timeout; the Lease is renewed every third of it. */
  heartbeatTimeoutMs: number;
  /** How often the Lease is renewed; at most a third of the timeout. */
  heartbeatIntervalMs: number;
  /** First wait before trying a lost hub again; doubles per failure. */
  backoffInitialMs: number;
  /** The longest wait between tries of a lost hub. */
  backoffMaxMs: number;
  /** The version written to the Cluster's status.agentVersion. */
  agentVersion: string;
  /**
   * How old the spoke's newest SealedSecrets key may grow before the agent makes a new one in
   * its namespace; 0 (the default) never. Off on agents, unlike `ballast controller`: the agent
   * has no leader election, so two replicas would each make a key, and the sealing certificate
   * is handed to tenants out of band per spoke (`ballast secrets cert`), which a key made unasked
   * on one spoke of many silently bypasses. The operator who made the first key renews it.
   */
  sealingKeyRenewPeriodMs: number;
  /** Options of the in-process Controller (workers, HTTP port…); namespace is the agent's. */
  controller: Partial<Omit<ControllerOptions, 'namespace' | 'logger'>>;
}

/** The default namespace of an agent in cluster mode. */
export const defaultAgentNamespace = 'ballast-agent';

export function defaultAgentOptions(): AgentOptions {
  return {
    clusterName: '',
    namespace: defaultAgentNamespace,
    scope: 'cluster',
    verification: { mode: 'head', secretName: undefined },
    allowedRepos: [],
    fleetNamespace: defaultFleetNamespace,
    heartbeatTimeoutMs: 60_000,
    heartbeatIntervalMs: 20_000,
    backoffInitialMs: 1_000,
    backoffMaxMs: 30_000,
    agentVersion: 'unknown',
    sealingKeyRenewPeriodMs: 0,
    controller: {},
  };
}

/** Why options cannot work; the message names the option and what to do. */
export function agentOptionProblems(o: AgentOptions): string[] {
  const problems: string[] = [];
  if (o.clusterName === '') problems.push('cluster name: required (--cluster-name)');
  if (o.verification.mode !== 'none' && o.verification.secretName === undefined)
    problems.push(
      `verification mode ${o.verification.mode} needs a Secret of trusted keys in namespace ${o.namespace} (--trusted-keys-secret)`,
    );
  problems.push(...allowedRepoProblems(o.allowedRepos));
  if (o.heartbeatIntervalMs <= 0 || o.heartbeatIntervalMs > o.heartbeatTimeoutMs / 3)
    problems.push(
      `heartbeat interval ${o.heartbeatIntervalMs} ms: must be positive and at most a third of the ${o.heartbeatTimeoutMs} ms timeout, so one lost renewal does not miss the heartbeat`,
    );
  if (!Number.isFinite(o.sealingKeyRenewPeriodMs) || o.sealingKeyRenewPeriodMs < 0)
    problems.push(
      `sealing key renew period ${o.sealingKeyRenewPeriodMs} ms: must be 0 (never) or positive (--sealing-key-renew-period)`,
    );
  return problems;
}
