import { CheckpointingLedger, defaultCheckpointOptions } from '../audit/checkpointing.js';
import { loadSigningKey } from '../audit/checkpoint.js';
import { openLedger, parseLedgerUrl } from '../audit/open.js';
import { redactUrl } from '../audit/postgres.js';
import { ConfigMapCheckpointPublisher, defaultCheckpointConfigMap } from '../audit/publish.js';
import type { Ledger } from '../audit/types.js';
import type { Cluster } from '../cluster/cluster.js';
import { withActorCheck, type AuditSink } from '../reconcile/audit.js';
import { LedgerHold, type LedgerUnavailableError } from '../reconcile/ledger-hold.js';
import type { Logger } from '../reconcile/log.js';
import {
  RequesterPolicyWatch,
  defaultRequesterPolicyOptions,
} from '../reconcile/requester-policy.js';
import type { Command } from 'commander';
import { parseObjectRef, type ObjectRef } from './parse.js';

const parseConfigMapOrNone = (text: string): ObjectRef | 'none' =>
  text === 'none' ? 'none' : parseObjectRef(text);

/** `--ledger`, `--ledger-signing-key` and `--ledger-checkpoint-configmap`. */
export function ledgerOptions(
  cmd: Command,
  o: { what: string; file: string; env: string; default: string },
): Command {
  return cmd
    .option(
      '--ledger <url>',
      `${o.what}: sqlite:/path/${o.file}, postgres://…, or none ($${o.env})`,
      o.default,
    )
    .option('--ledger-signing-key <file>', 'ed25519 key (PKCS#8 PEM) signing ledger checkpoints')
    .option(
      '--ledger-checkpoint-configmap <ns/name>',
      'publish the newest signed checkpoint here, or none (default: $POD_NAMESPACE/ballast-ledger-checkpoint)',
      parseConfigMapOrNone,
    );
}

export interface ControllerLedgerFlags {
  /** `--ledger`: a URL, or `none`. */
  ledger: string;
  /** `--ledger-signing-key`: the ed25519 private key (PKCS#8 PEM) signing checkpoints. */
  ledgerSigningKey?: string;
  /** `--ledger-checkpoint-configmap`: NAMESPACE/NAME or `none`; default in $POD_NAMESPACE. */
  ledgerCheckpointConfigmap?: ObjectRef | 'none';
  /** Where the ConfigMap goes when not named: the controller's namespace. */
  fallbackNamespace: string;
  /** The admission policy whose presence makes requesters verified; ballast-requested-by. */
  requesterPolicy?: string;
}

export interface ControllerLedger {
  audit: AuditSink;
  /** The ledger itself, for reading (the UI's Audit view). */
  ledger: Ledger;
  /** Set while records are held because the store refuses them: no change may be applied. */
  unavailable: () => LedgerUnavailableError | undefined;
  close(): Promise<void>;
}

function publisherOf(
  f: ControllerLedgerFlags,
  cluster: Cluster,
): ConfigMapCheckpointPublisher | undefined {
  const ref = f.ledgerCheckpointConfigmap ?? {
    namespace: process.env['POD_NAMESPACE'] ?? f.fallbackNamespace,
    name: defaultCheckpointConfigMap,
  };
  return ref === 'none' ? undefined : new ConfigMapCheckpointPublisher(cluster, ref);
}

/**
 * The controller's ledger and its sink: checkpoints signed with --ledger-signing-key and
 * published to a ConfigMap when a key is given, and requesters marked verified while the
 * `ballast-requested-by` admission policy is installed. Undefined with `--ledger none`.
 */
export async function openControllerLedger(
  f: ControllerLedgerFlags,
  cluster: Cluster,
  logger: Logger,
): Promise<ControllerLedger | undefined> {
  if (f.ledger === 'none') return undefined;
  const signer =
    f.ledgerSigningKey === undefined ? undefined : await loadSigningKey(f.ledgerSigningKey);
  const store = await openLedger(f.ledger);
  let ledger: Ledger = store;
  if (signer === undefined) {
    logger.warn({}, 'audit ledger checkpoints are not signed: pass --ledger-signing-key');
  } else {
    const publisher = publisherOf(f, cluster);
    ledger = await CheckpointingLedger.open(
      store,
      {
        signer,
        ...(publisher === undefined ? {} : { publisher }),
        onError: (e) => {
          logger.error({ err: e.message }, 'audit ledger checkpoint failed');
        },
      },
      defaultCheckpointOptions(),
    );
    logger.info(
      { keyId: signer.keyId, publishTo: publisher?.where ?? 'none' },
      'audit ledger signs checkpoints',
    );
  }
  const defaults = defaultRequesterPolicyOptions();
  const policyName = f.requesterPolicy ?? defaults.policyName;
  const policy = await RequesterPolicyWatch.start(cluster, {
    ...defaults,
    policyName,
    onError: (e) => {
      logger.warn(
        { err: String(e) },
        `cannot look up the ${policyName} admission policy; requesters are recorded as claimed`,
      );
    },
  });
  const at = parseLedgerUrl(f.ledger);
  const hold = new LedgerHold((entry) => ledger.append(withActorCheck(entry, policy.check())), {
    store: at.kind === 'postgres' ? redactUrl(at.url) : `sqlite:${at.path}`,
    retryMs: 1_000,
    onError: (entry, e) => {
      logger.error(
        { kind: entry.kind, err: String(e) },
        'audit ledger append failed; the record is held and no change is applied until it is written',
      );
    },
    onRecovered: (written) => {
      logger.info({ written }, 'audit ledger writable again; held records written');
    },
  });
  return {
    audit: hold.sink,
    ledger,
    unavailable: () => hold.unavailable(),
    async close() {
      // Records the store never took are logged whole (they hold no secrets), so none is lost
      // without a trace.
      for (const entry of await hold.close())
        logger.error({ entry }, 'audit ledger record never written: the store refused it');
      policy.stop();
      await ledger.close();
    },
  };
}
