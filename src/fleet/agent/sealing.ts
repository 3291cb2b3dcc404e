import type { Cluster } from '../../cluster/cluster.js';
import {
  defaultSealingKeyOptions,
  clusterKeyStore,
  SealingKeyRing,
  type SealingKeyOptions,
} from '../../reconcile/sealing-keys.js';
import type { AgentOptions } from './options.js';

/**
 * The spoke's own SealedSecrets keys: the active key Secrets of the agent's namespace, read
 * with the agent's own identity on the spoke. The hub never holds them, just as it never holds
 * the keys that check signatures. In namespace mode that namespace is the only one the agent
 * may read, and its Role there already allows listing Secrets; in cluster mode the applier
 * ClusterRole does. Renewal is off unless the agent was given a period (see AgentOptions).
 */
export function spokeSealingKeyOptions(
  opts: Pick<AgentOptions, 'namespace' | 'sealingKeyRenewPeriodMs'>,
): SealingKeyOptions {
  return {
    ...defaultSealingKeyOptions(opts.namespace),
    renewPeriodMs: opts.sealingKeyRenewPeriodMs,
  };
}

export function spokeSealingKeyRing(
  spoke: Cluster,
  opts: Pick<AgentOptions, 'namespace' | 'sealingKeyRenewPeriodMs'>,
  warn: (fields: Record<string, unknown>, msg: string) => void,
): SealingKeyRing {
  return new SealingKeyRing(clusterKeyStore(spoke), spokeSealingKeyOptions(opts), warn);
}
