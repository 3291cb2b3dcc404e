import { randomUUID } from 'node:crypto';
import { formatAppKey, type AppKey } from '../api/app-key.js';
import { canonicalJson, sha256Hex, type Canonical } from './canonical.js';
import { LedgerDataError } from './errors.js';
import { sanitizeEntry } from './sanitize.js';
import {
  auditKinds,
  type AppRef,
  type AuditEntry,
  type AuditKind,
  type LedgerRecord,
  type NewEntry,
} from './types.js';

/** One record as every store keeps it: the entry's canonical JSON plus columns to filter on. */
export interface StoredRow {
  seq: number;
  id: string;
  /** Copies of the entry's time, app and kind, for indexes; verify checks they match `body`. */
  time: string;
  app: string;
  kind: string;
  /** `canonicalJson(entry)`. */
  body: string;
  prevHash: string;
  hash: string;
}

/** Bumped if the hashed layout ever changes, so old and new records stay verifiable. */
const chainVersion = 1;

/** The ledger's `app` column: the Application key, as api/app-key.ts builds it. */
export function appKey(app: AppRef): AppKey {
  return formatAppKey(app);
}

/** Records are plain JSON built from the entry types; canonicalJson re-checks that at run time. */
function asCanonical(entry: AuditEntry): Canonical {
  return entry as unknown as Canonical;
}

/** A record's hash: SHA-256 of `canonicalJson({v: 1, id, prevHash, entry})`. */
export function recordHash(id: string, prevHash: string, entry: AuditEntry): string {
  return bodyHash(id, prevHash, canonicalJson(asCanonical(entry)));
}

/**
 * The same hash from the entry's canonical text as stored. The keys entry, id, prevHash, v are
 * already in canonical order, so the encoding of the whole is the parts spliced together; verify
 * hashes the stored bytes without re-encoding, and a body rewritten in any other form fails.
 */
export function bodyHash(id: string, prevHash: string, body: string): string {
  const ids = `"id":${JSON.stringify(id)},"prevHash":${JSON.stringify(prevHash)}`;
  return sha256Hex(`{"entry":${body},${ids},"v":${chainVersion}}`);
}

/** ISO 8601 UTC with milliseconds, so string order is time order in every store. */
export function normalizeTime(time: string, subject: string): string {
  const ms = Date.parse(time);
  if (Number.isNaN(ms))
    throw new LedgerDataError(subject, `time ${JSON.stringify(time)} is not ISO 8601`);
  return new Date(ms).toISOString();
}

/** The entry as it will be hashed: time filled in and normalized, paths sanitized. */
export function prepareEntry(entry: NewEntry, now: () => Date = () => new Date()): AuditEntry {
  const time = normalizeTime(
    entry.time ?? now().toISOString(),
    `${entry.kind} for ${appKey(entry.app)}`,
  );
  if (!auditKinds.includes(entry.kind)) {
    throw new LedgerDataError(
      appKey(entry.app),
      `unknown record kind ${JSON.stringify(entry.kind)}`,
    );
  }
  // The object is rebuilt from its own fields, so time is set whatever the variant.
  return sanitizeEntry({ ...entry, time });
}

/** The row for `entry` placed after a record whose seq and hash are given. */
export function sealRow(entry: AuditEntry, after: { seq: number; hash: string }): StoredRow {
  const id = randomUUID();
  const body = canonicalJson(asCanonical(entry));
  return {
    seq: after.seq + 1,
    id,
    time: entry.time,
    app: appKey(entry.app),
    kind: entry.kind,
    body,
    prevHash: after.hash,
    hash: bodyHash(id, after.hash, body),
  };
}

/** A record without its chain fields: the entry that was hashed. */
export const entryOf = ({
  seq: _s,
  id: _i,
  prevHash: _p,
  hash: _h,
  ...entry
}: LedgerRecord): AuditEntry => entry;

export function rowToRecord(row: StoredRow): LedgerRecord {
  const entry = JSON.parse(row.body) as AuditEntry;
  return { ...entry, seq: row.seq, id: row.id, prevHash: row.prevHash, hash: row.hash };
}

function isEntryLike(v: unknown): v is AuditEntry {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as { kind?: unknown; time?: unknown; app?: unknown };
  return (
    typeof o.kind === 'string' &&
    auditKinds.includes(o.kind as AuditKind) &&
    typeof o.time === 'string' &&
    typeof o.app === 'object' &&
    o.app !== null
  );
}

/**
 * Whether a row still says what was hashed: undefined when sound, else what is wrong. The
 * indexed columns must agree with the body, or filters would show other data than verify checks.
 */
export function rowProblem(row: StoredRow): string | undefined {
  let entry: unknown;
  try {
    entry = JSON.parse(row.body);
  } catch {
    return 'its body is not JSON';
  }
  if (!isEntryLike(entry)) return 'its body is not an audit entry';
  if (row.time !== entry.time) return 'its time column differs from its body';
  if (row.app !== appKey(entry.app)) return 'its app column differs from its body';
  if (row.kind !== entry.kind) return 'its kind column differs from its body';
  return bodyHash(row.id, row.prevHash, row.body) === row.hash
    ? undefined
    : 'its content no longer matches its hash';
}
