import type { Cluster } from '../cluster/cluster.js';
import type { DecryptionKeys } from '../secrets/index.js';
import type { SealingKeys } from '../secrets/sealed/index.js';
import type { GitSource } from '../source/source.js';
import type { AuditSink } from './audit.js';
import type { OutcomeTap } from './status.js';
import { createLogger, type Logger } from './log.js';
import type { ManagedEvent, ManagedWatches } from './managed-watches.js';
import { defaultStopOptions } from './runner.js';
import type { HttpRoutes } from './http-server.js';

/** What a Controller is told (options) and given (deps). */

export interface ControllerOptions {
  /** Reconciles of different Applications at once. */
  workers: number;
  /**
   * How often the whole Application list is re-read. Applications are watched, so this is
   * only a resync that catches anything a watch could have missed.
   */
  appPollMs: number;
  /** Port of /healthz, /readyz, /metrics and /hooks (0: any free port; undefined: none). */
  httpPort: number | undefined;
  /** Address the HTTP server binds; in a Pod, 0.0.0.0 so kubelet probes reach it. */
  httpHost: string;
  /** Shared secret of the webhook receiver (`POST /hooks/{github,gitlab,gitea,generic}`); off when undefined. */
  webhookSecret: string | undefined;
  /** Only Applications in this namespace; all namespaces when undefined. */
  namespace: string | undefined;
  /** JSON logger; each reconcile logs through a child carrying its reconcileId and key. */
  logger: Logger;
  /**
   * The ServiceAccount, in each Application's own namespace, that an Application naming none
   * in `spec.serviceAccountName` acts as. Undefined: such Applications use our own rights.
   */
  defaultServiceAccount: string | undefined;
  /**
   * Namespaces whose Applications may use the controller-wide decryption keys. Those keys open
   * any file encrypted to them, so a tenant who copies another's encrypted file into its own
   * repository must not get them: list the namespaces trusted with them, or `all`.
   */
  sharedDecryptionNamespaces: 'all' | readonly string[];
  /** On stop(), how long in-flight reconciles may finish before they are aborted. */
  drainMs: number;
  /** Further routes of the HTTP server (the UI of `controller --ui`); none when undefined. */
  httpRoutes: HttpRoutes | undefined;
  /**
   * Undefined: every Application is this controller's. A number: the Applications are split
   * into this many shards, and this controller works only on those of the shards handed to it
   * through `Controller.shardWork` (by a ShardElector); see docs/architecture.md, "Sharding".
   */
  shards: number | undefined;
}

export function defaultControllerOptions(): ControllerOptions {
  return {
    // A reconcile mostly waits on the apiserver: on 2 cores, 1000 Applications took 171 s
    // with 4 workers and 75 s with 16; 32 was no faster and used more memory.
    workers: 16,
    appPollMs: 30_000,
    httpPort: undefined,
    httpHost: '127.0.0.1',
    namespace: undefined,
    webhookSecret: undefined,
    logger: createLogger({ level: 'silent' }),
    defaultServiceAccount: undefined,
    sharedDecryptionNamespaces: [],
    drainMs: defaultStopOptions().drainMs,
    httpRoutes: undefined,
    shards: undefined,
  };
}

export interface ControllerDeps {
  cluster: Cluster;
  source: GitSource;
  /** Built by the caller with `onEvent` as its handler; undefined disables drift watching. */
  watches?: (onEvent: (e: ManagedEvent) => void) => ManagedWatches;
  /** The audit ledger's sink; every outcome is also counted in ballast_outcomes_total. */
  audit?: AuditSink;
  /** Why the ledger cannot take records now; while set, nothing is applied (see LedgerHold). */
  ledgerUnavailable?: () => Error | undefined;
  /** Controller-wide SOPS keys, tried after an Application's own. */
  decryptionKeys?: DecryptionKeys;
  /** The keys that open SealedSecrets, read from the controller's own namespace. */
  sealingKeys?: () => SealingKeys;
  /** `--vault-address`: Vault for Applications whose spec.vault names no address. */
  vaultAddress?: string;
  /** `--vault-allowed-address`: other Vaults a spec.vault.address may name. */
  vaultAllowedAddresses?: readonly string[];
  /** Hears every outcome announced, for notifications; it queues and returns at once. */
  notify?: OutcomeTap;
}
