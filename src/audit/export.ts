import { formatRef, type ObjectRef } from '../api/object.js';
import { canonicalJson } from './canonical.js';
import { appKey } from './chain.js';
import type { LedgerRecord } from './types.js';

/**
 * A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a tab or CR before one),
 * as OWASP's CSV injection guidance lists them. Actors, revisions and reasons come from tenants.
 */
const formulaStart = /^[=+\-@\t\r]/;

/**
 * One CSV field, quoted per RFC 4180 when it holds a comma, a quote, CR or LF. A field that
 * would start a formula gets a leading `'`, so a spreadsheet shows it as text instead of running it.
 */
export function csvField(value: string): string {
  const text = formulaStart.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV line with its CRLF terminator, as RFC 4180 has it. */
export function csvLine(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

export const csvHeader = [
  'seq',
  'id',
  'time',
  'app',
  'kind',
  'actor',
  'actorVerified',
  'revision',
  'objects',
  'detail',
  'prevHash',
  'hash',
] as const;

/** The objects a record is about, named with the one formatter. */
function objectsOf(r: LedgerRecord): ObjectRef[] {
  switch (r.kind) {
    case 'sync-applied':
      return r.changes.map((c) => c.ref);
    case 'drift-detected':
    case 'drift-reverted':
      return [r.object];
    default:
      return [];
  }
}

function revisionOf(r: LedgerRecord): string {
  switch (r.kind) {
    case 'sync-applied':
    case 'commit-refused':
    case 'large-commit':
    case 'secret-rotated':
      return r.revision;
    case 'manual-sync':
      return r.revision ?? '';
    case 'rollback':
      return r.toRevision;
    case 'rollout':
      return r.revision;
    default:
      return '';
  }
}

const commonKeys = new Set([
  'seq',
  'id',
  'time',
  'app',
  'kind',
  'actor',
  'actorVerified',
  'prevHash',
  'hash',
]);

/** The kind's own fields (changes, paths, verification, reason …) as canonical JSON. */
function detailOf(r: LedgerRecord): string {
  const rest = Object.fromEntries(Object.entries(r).filter(([k]) => !commonKeys.has(k)));
  return canonicalJson(rest);
}

/** A record as one CSV row, in `csvHeader` order. */
export function csvRow(r: LedgerRecord): string {
  return csvLine([
    String(r.seq),
    r.id,
    r.time,
    appKey(r.app),
    r.kind,
    r.actor ?? '',
    r.actorVerified === undefined ? '' : String(r.actorVerified),
    revisionOf(r),
    objectsOf(r).map(formatRef).join(' '),
    detailOf(r),
    r.prevHash,
    r.hash,
  ]);
}

export type ExportFormat = 'json' | 'csv';

/**
 * Writes records as they are paged in. JSON is one array with one record per line, so it is
 * valid JSON for `jq` and still greppable line by line; CSV has a header and CRLF line ends.
 */
export async function exportRecords(
  format: ExportFormat,
  pages: AsyncIterable<readonly LedgerRecord[]> | Iterable<readonly LedgerRecord[]>,
  write: (chunk: string) => Promise<void> | void,
): Promise<number> {
  let count = 0;
  await write(format === 'csv' ? csvLine(csvHeader) : '[');
  for await (const page of pages) {
    for (const r of page) {
      if (format === 'csv') await write(csvRow(r));
      else await write(`${count === 0 ? '\n' : ',\n'}${JSON.stringify(r)}`);
      count++;
    }
  }
  if (format === 'json') await write(count === 0 ? ']\n' : '\n]\n');
  return count;
}
