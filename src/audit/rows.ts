import type { StoredRow } from './chain.js';
import { appKey, normalizeTime } from './chain.js';
import { LedgerDataError, LedgerError } from './errors.js';
import type { ListQuery } from './types.js';

/** Columns in the order every store selects them. */
export const rowColumns = 'seq, id, time, app, kind, body, prev_hash, hash';

function text(r: Record<string, unknown>, col: string, subject: string): string {
  const v = r[col];
  if (typeof v !== 'string') throw new LedgerError(subject, `column ${col} is not text`);
  return v;
}

/** A database row as a StoredRow; Postgres returns BIGINT as a string, SQLite as a number. */
export function readRow(r: Record<string, unknown>, subject: string): StoredRow {
  const seq = Number(r['seq']);
  if (!Number.isSafeInteger(seq)) throw new LedgerError(subject, 'column seq is not an integer');
  return {
    seq,
    id: text(r, 'id', subject),
    time: text(r, 'time', subject),
    app: text(r, 'app', subject),
    kind: text(r, 'kind', subject),
    body: text(r, 'body', subject),
    prevHash: text(r, 'prev_hash', subject),
    hash: text(r, 'hash', subject),
  };
}

export interface WhereClause {
  sql: string;
  params: (string | number)[];
  limit: number | undefined;
}

/**
 * The WHERE and LIMIT of a list query, with placeholders made by `ph(n)` for the n-th parameter
 * (`?` for SQLite, `$n` for Postgres). Times are normalized as they are on append, so string
 * comparison is time comparison.
 */
export function whereOf(query: ListQuery, ph: (n: number) => string): WhereClause {
  const conds: string[] = [];
  const params: (string | number)[] = [];
  const add = (cond: (p: string) => string, value: string | number): void => {
    params.push(value);
    conds.push(cond(ph(params.length)));
  };
  if (query.since !== undefined) add((p) => `time >= ${p}`, normalizeTime(query.since, '--since'));
  if (query.until !== undefined) add((p) => `time < ${p}`, normalizeTime(query.until, '--until'));
  if (query.app !== undefined) add((p) => `app = ${p}`, appKey(query.app));
  if (query.afterSeq !== undefined) add((p) => `seq > ${p}`, query.afterSeq);
  const limit = query.limit;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new LedgerDataError('limit', `${limit} is not a count`);
  }
  return { sql: conds.length === 0 ? '' : `WHERE ${conds.join(' AND ')}`, params, limit };
}

/** Rows fetched per round trip when walking the whole chain. */
export const pageSize = 1000;
