import { LedgerError } from './errors.js';
import type { SignedCheckpoint } from './types.js';

/**
 * The checkpoints table, the same in every store. `seq` only orders rows: verify trusts the seq
 * inside the signed body, never this column.
 */
export function checkpointTable(seqType: 'INTEGER' | 'BIGINT'): string {
  return `
CREATE TABLE IF NOT EXISTS ballast_audit_checkpoints (
  seq ${seqType} PRIMARY KEY,
  body TEXT NOT NULL,
  signature TEXT NOT NULL,
  key_id TEXT NOT NULL
);`;
}

/** A checkpoints row as a SignedCheckpoint. */
export function readCheckpoint(r: Record<string, unknown>, subject: string): SignedCheckpoint {
  const { body, signature, key_id: keyId } = r;
  if (typeof body !== 'string' || typeof signature !== 'string' || typeof keyId !== 'string') {
    throw new LedgerError(subject, 'a checkpoint row is malformed');
  }
  return { body, signature, keyId };
}
