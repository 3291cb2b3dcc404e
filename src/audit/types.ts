import type { ObjectRef } from '../api/object.js';

/** The Application a record is about. */
export interface AppRef {
  namespace: string;
  name: string;
}

declare const safePathBrand: unique symbol;

/**
 * A JSON pointer to a changed field (`/spec/replicas`), or the marker `data changed` for any
 * change under a Secret's `data`/`stringData`. Only the sanitizer in sanitize.ts makes one, so a
 * record can never be built from raw paths that might name Secret keys, and records hold no values
 * at all: only paths and refs.
 */
export type SafePath = string & { readonly [safePathBrand]: true };

/** What happened to one object in a sync. The names follow diff/'s ChangeAction. */
export type ObjectAction = 'create' | 'configure' | 'prune';

/** One object touched by a sync: its identity, the action, and which fields changed. */
export interface ObjectChange {
  ref: ObjectRef;
  action: ObjectAction;
  /** Empty or `[""]` when the whole object was created or pruned. */
  paths: readonly SafePath[];
}

/**
 * What the signature verifier concluded about a revision. Opaque to the ledger: it is stored and
 * hashed as given, and shown in exports.
 */
export interface VerificationInfo {
  /** The verifier's policy name, e.g. `off`, `signed`, `signed-ancestry`. */
  mode: string;
  /** Who signed the revision, as the verifier names them (e.g. `Jane <jane@example.com>`). */
  signer?: string;
  /** The signing key's fingerprint. */
  fingerprint?: string;
  /** How many commits were verified (the ancestry walk from the last trusted revision). */
  commits?: number;
}

interface Base {
  app: AppRef;
  /** When it happened: ISO 8601 UTC with milliseconds. `append` fills in now when absent. */
  time: string;
  /** Who caused it, where known: a user, a field manager, or `ballast` for the controller. */
  actor?: string;
  /**
   * Whether the apiserver vouched for `actor`: true for the controller itself, and for a
   * requester's name while the `ballast-requested-by` admission policy holds it to the
   * authenticated user; false when the name is only what a client wrote. Absent on records
   * written before this field existed, which therefore hash as they always did.
   */
  actorVerified?: boolean;
}

export interface SyncApplied extends Base {
  kind: 'sync-applied';
  revision: string;
  verification: VerificationInfo;
  changes: readonly ObjectChange[];
}

export interface DriftDetected extends Base {
  kind: 'drift-detected';
  object: ObjectRef;
  paths: readonly SafePath[];
  /** The field manager that made the change, or `deleted` when the object was deleted. */
  fieldManager: string;
}

export interface DriftReverted extends Base {
  kind: 'drift-reverted';
  object: ObjectRef;
  paths: readonly SafePath[];
  fieldManager: string;
}

export interface CommitRefused extends Base {
  kind: 'commit-refused';
  revision: string;
  /** Why the verifier refused it, in its words. Must not quote secrets. */
  reason: string;
  verification: VerificationInfo;
}

/** Commits over spec.verification.commitPolicy, applied anyway because its action is warn. */
export interface LargeCommitWarned extends Base {
  kind: 'large-commit';
  /** The revision applied. */
  revision: string;
  /** One sentence naming the first commit over the limits, its author and counts. */
  reason: string;
  /** Every commit of the walk over the limits, with its counts. */
  commits: readonly {
    sha: string;
    author: string;
    filesChanged: number;
    applicationsTouched: number;
  }[];
}

export interface Rollback extends Base {
  kind: 'rollback';
  fromRevision: string;
  toRevision: string;
  reason?: string;
}

export interface ManualSync extends Base {
  kind: 'manual-sync';
  /** The revision asked for, when the request named one. */
  revision?: string;
}

export interface Suspend extends Base {
  kind: 'suspend';
  reason?: string;
}

export interface Resume extends Base {
  kind: 'resume';
}

/**
 * A fleet rollout's step, on the hub's ledger; `app` is the FleetApplication. pause, resume,
 * promote and undo are asked for by a person (`actor`); started, halted and complete are the
 * hub's own decisions (actor `ballast-hub`).
 */
export interface RolloutStep extends Base {
  kind: 'rollout';
  action: 'pause' | 'resume' | 'promote' | 'undo' | 'started' | 'halted' | 'complete';
  /** The commit being rolled out. */
  revision: string;
  /** The group promoted. */
  group?: string;
  /** The clusters that failed, for halted. */
  clusters?: readonly string[];
  reason?: string;
}

/**
 * Values a Secret is filled from changed at their source (Vault) without a commit, and the
 * Secrets holding them were applied again. Holds where the values live, never the values.
 */
export interface SecretRotated extends Base {
  kind: 'secret-rotated';
  /** The commit applied with the new values. */
  revision: string;
  /** Where the values come from: `vault`. */
  source: 'vault';
  /** Each value as `path#key` (`#version` when pinned): the secret rotated from vault. */
  paths: readonly string[];
}

/** One outcome worth keeping, as the controller hands it to the ledger. */
export type AuditEntry =
  | SyncApplied
  | DriftDetected
  | DriftReverted
  | CommitRefused
  | LargeCommitWarned
  | Rollback
  | ManualSync
  | Suspend
  | Resume
  | RolloutStep
  | SecretRotated;

export type AuditKind = AuditEntry['kind'];

export const auditKinds: readonly AuditKind[] = [
  'sync-applied',
  'drift-detected',
  'drift-reverted',
  'commit-refused',
  'large-commit',
  'rollback',
  'manual-sync',
  'suspend',
  'resume',
  'rollout',
  'secret-rotated',
];

type WithOptionalTime<T> = T extends Base ? Omit<T, 'time'> & { time?: string } : never;

/** What `append` takes: an entry whose time may be left to the ledger. */
export type NewEntry = WithOptionalTime<AuditEntry>;

/** The chain fields the ledger adds to every entry. */
export interface ChainFields {
  /** 1, 2, 3, … in append order: the storage position. Not hashed; the chain is `prevHash`. */
  seq: number;
  /** A random UUID naming the record in verify reports and exports. */
  id: string;
  /** The previous record's hash; 64 zeros for the first. */
  prevHash: string;
  /** Lowercase hex SHA-256 of the canonical encoding of id, prevHash and the entry. */
  hash: string;
}

/** An entry as stored: the entry and its place in the chain. */
export type LedgerRecord = AuditEntry & ChainFields;

export interface ListQuery {
  /** Only records with time ≥ since (ISO 8601). */
  since?: string;
  /** Only records with time < until (ISO 8601). */
  until?: string;
  app?: AppRef;
  /** Only records with seq > afterSeq: the cursor for paging. */
  afterSeq?: number;
  /** At most this many records, in seq order. */
  limit?: number;
}

/**
 * How the ledger was found changed. The first four come from the hash chain; the rest only from
 * signed checkpoints: `truncated` (the chain ends before a signed seq), `rewritten` (a signed
 * head no longer matches, as after deleting records and re-chaining the rest), `forged` (a
 * checkpoint whose signature does not hold) and `unsigned` (records that a checkpoint should
 * cover are not covered: checkpoints were deleted, or the ledger was never signed).
 */
export type TamperKind =
  | 'edited'
  | 'deleted'
  | 'inserted'
  | 'reordered'
  | 'truncated'
  | 'rewritten'
  | 'forged'
  | 'unsigned';

export type VerifyResult =
  | {
      kind: 'intact';
      /** How many records were checked. */
      records: number;
      /** The last record's hash, or 64 zeros when empty: publish it to anchor the chain. */
      head: string;
      /** What signed checkpoints vouch for; absent when only the hash chain was checked. */
      signed?: SignedCoverage;
    }
  | {
      kind: 'broken';
      problem: TamperKind;
      /** The seq of the first record at which the chain stops holding. */
      atSeq: number;
      /** That record's id; absent only when no record survives. */
      recordId?: string;
      /** One sentence for people: what is wrong and where. */
      detail: string;
      /** Records checked and found sound before the break. */
      checked: number;
    };

/** What signed checkpoints vouch for in a ledger found intact. */
export interface SignedCoverage {
  /** The newest checkpoint's seq: every record up to it is as the key holder signed it. */
  through: number;
  /** When that checkpoint was signed. */
  at: string;
  /** The signing key's id (see checkpoint.ts). */
  keyId: string;
  /** Records after `through`, not signed yet (fewer than one checkpoint interval). */
  unsignedTail: number;
  /** Checkpoints checked, the published one included. */
  checkpoints: number;
}

/**
 * The signed statement that the chain's record `seq` is `id` with hash `hash`, which vouches for
 * every record before it. `every` is the writer's interval: it signs at least every that many
 * records, so a longer unsigned tail means checkpoints were removed.
 */
export interface CheckpointPayload {
  type: 'ballast.dev/ledger-checkpoint';
  v: 1;
  seq: number;
  id: string;
  hash: string;
  time: string;
  every: number;
  /**
   * The ids of the records this checkpoint adds to the one before, ending with `id` at `seq`, so
   * a verifier can name exactly which records went missing. Absent when more than `every`
   * records had no checkpoint (a key first used on an old ledger).
   */
  ids?: string[];
}

/** A checkpoint as stored and published: the exact signed text, its signature and key id. */
export interface SignedCheckpoint {
  /** `canonicalJson(payload)`: the bytes that were signed. */
  body: string;
  /** Base64 ed25519 signature of `body`'s UTF-8 bytes. */
  signature: string;
  /** Which key signed it, so a verifier holding another key says so. */
  keyId: string;
}

/**
 * An append-only, hash-chained store of audit records. Appends are serialized (within a process
 * and, through the database, across processes) so the chain never forks.
 */
export interface Ledger {
  append(entry: NewEntry): Promise<LedgerRecord>;
  list(query?: ListQuery): Promise<LedgerRecord[]>;
  verify(): Promise<VerifyResult>;
  /** Stores a signed checkpoint; one already stored at its seq is kept. */
  saveCheckpoint(checkpoint: SignedCheckpoint, seq: number): Promise<void>;
  /** Every stored checkpoint, in seq order. */
  checkpoints(): Promise<SignedCheckpoint[]>;
  close(): Promise<void>;
}

export const genesisHash = '0'.repeat(64);
