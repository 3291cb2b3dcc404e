import { describe, expect, it } from 'vitest';
import { csvField, csvHeader, csvRow, exportRecords } from './export.js';
import { safePaths } from './sanitize.js';
import type { LedgerRecord } from './types.js';

const chain = { seq: 1, id: 'r1', prevHash: '0'.repeat(64), hash: 'a'.repeat(64) };
const app = { namespace: 'shop', name: 'web' };
const deploy = { group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'web' };

const synced: LedgerRecord = {
  ...chain,
  kind: 'sync-applied',
  app,
  time: '2026-01-02T03:04:05.000Z',
  actor: 'ballast',
  revision: 'abc123',
  verification: { mode: 'signed', signer: 'Jane "JJ" Doe, Ops' },
  changes: [{ ref: deploy, action: 'configure', paths: safePaths(deploy, ['/spec/replicas']) }],
};

describe('csvField', () => {
  it('quotes only fields holding a comma, quote, CR or LF, doubling quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
  });
});

describe('csvRow', () => {
  it('writes the columns of the header, objects named by formatRef, details as canonical JSON', () => {
    const row = csvRow(synced);
    expect(row.endsWith('\r\n')).toBe(true);
    expect(row).toContain('1,r1,2026-01-02T03:04:05.000Z,shop/web,sync-applied,ballast,abc123,');
    expect(row).toContain('Deployment.apps/shop/web');
    // The signer's quotes are doubled inside a quoted field.
    expect(row).toContain('""signer"":""Jane \\""JJ\\"" Doe, Ops""');
    expect(csvHeader).toHaveLength(11);
  });
});

async function collect(format: 'json' | 'csv', records: LedgerRecord[]): Promise<string> {
  let out = '';
  await exportRecords(format, [records], (s) => {
    out += s;
  });
  return out;
}

describe('exportRecords', () => {
  it('writes JSON as one array with a record per line', async () => {
    const text = await collect('json', [synced, { ...synced, seq: 2, id: 'r2' }]);
    expect(JSON.parse(text)).toHaveLength(2);
    expect(text.split('\n')).toHaveLength(5);
  });

  it('writes an empty JSON array and a header-only CSV when nothing matches', async () => {
    expect(JSON.parse(await collect('json', []))).toEqual([]);
    expect(await collect('csv', [])).toBe(`${csvHeader.join(',')}\r\n`);
  });
});
