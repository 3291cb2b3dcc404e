import { mkdtemp, rm } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everyKind } from '../../src/audit/contract.js';
import { openLedger } from '../../src/audit/open.js';
import type { LedgerRecord } from '../../src/audit/types.js';

import { runCli, type CliResult } from '../support/cli.js';

let dir = '';
let ledgerFile = '';
let written: LedgerRecord[] = [];

const ballast = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  runCli(['audit', ...args], { env, timeoutMs: 60_000 });

async function fill(file: string): Promise<LedgerRecord[]> {
  const ledger = await openLedger(`sqlite:${file}`);
  try {
    const out: LedgerRecord[] = [];
    for (const e of everyKind()) out.push(await ledger.append(e));
    return out;
  } finally {
    await ledger.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ballast-audit-cli-'));
  ledgerFile = join(dir, 'audit.db');
  written = await fill(ledgerFile);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const seqs = (json: string): number[] => (JSON.parse(json) as LedgerRecord[]).map((r) => r.seq);

describe('ballast audit export', () => {
  it('filters by --since (inclusive), --until (exclusive) and --app, as one JSON array', async () => {
    const all = await ballast(['export', '--ledger', `sqlite:${ledgerFile}`]);
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toEqual(written);
    const window = ['--since', '2026-03-01T12:00:00Z', '--until', '2026-03-01T16:00:00Z'];
    const some = await ballast(['export', '--ledger', ledgerFile, ...window, '--app', 'shop/web']);
    expect(seqs(some.stdout)).toEqual([3, 5]);
    const none = await ballast(['export', '--ledger', ledgerFile, '--app', 'shop/nothing']);
    expect(JSON.parse(none.stdout)).toEqual([]);
  });

  it('writes CSV with a header, one row per record and RFC 4180 quoting', async () => {
    const r = await ballast([
      'export',
      '--ledger',
      ledgerFile,
      '--format',
      'csv',
      '--app',
      'shop/api',
    ]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\r\n');
    expect(lines[0]).toBe(
      'seq,id,time,app,kind,actor,actorVerified,revision,objects,detail,prevHash,hash',
    );
    expect(lines.slice(1, -1).map((l) => l.split(',')[4])).toEqual([
      'commit-refused',
      'manual-sync',
    ]);
    expect(lines[1]).toContain('"{""reason"":""unsigned""');
    expect(lines.at(-1)).toBe('');
  });

  it('names Application objects with the one formatter in CSV', async () => {
    const r = await ballast([
      'export',
      '--ledger',
      ledgerFile,
      '--format',
      'csv',
      '--until',
      '2026-03-01T11:00:00Z',
    ]);
    expect(r.stdout).toContain(',Deployment.apps/shop/web,');
  });

  it('reads the ledger from BALLAST_LEDGER when --ledger is absent', async () => {
    const r = await ballast(['export'], { BALLAST_LEDGER: `sqlite:${ledgerFile}` });
    expect(seqs(r.stdout)).toHaveLength(written.length);
  });

  it('exits 2 on a bad flag, not 1, which verify keeps for a broken ledger', async () => {
    expect((await ballast(['export', '--ledger', ledgerFile, '--format', 'xml'])).code).toBe(2);
    expect((await ballast(['export', '--ledger', ledgerFile, '--since', 'soon'])).code).toBe(2);
    expect((await ballast(['export', '--ledger', ledgerFile, '--app', 'no-slash'])).code).toBe(2);
  });
});

describe('ballast audit verify', () => {
  it('exits 0 on an intact ledger and prints its head', async () => {
    const r = await ballast(['verify', '--ledger', ledgerFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`ledger intact: 8 records, head ${written.at(-1)?.hash ?? ''}`);
  });

  it('exits 1 naming the record id and the problem when a record was edited', async () => {
    const file = join(dir, 'tampered.db');
    const rs = await fill(file);
    const db = new DatabaseSync(file);
    db.exec(
      `UPDATE ballast_audit_records SET body = replace(body, 'maintenance', 'nothing') WHERE seq = 7`,
    );
    db.close();
    const r = await ballast(['verify', '--ledger', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`ledger broken at seq 7 (record ${rs[6]?.id ?? ''}): edited`);
    const json = await ballast(['verify', '--ledger', file, '-o', 'json']);
    expect(json.code).toBe(1);
  });

  it('exits 2 when there is no ledger at the path, rather than creating one', async () => {
    const r = await ballast(['verify', '--ledger', join(dir, 'missing.db')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no ledger there');
  });

  it('exits 2 when the database cannot be reached', async () => {
    const r = await ballast(['verify', '--ledger', 'postgres://nobody@127.0.0.1:1/audit']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot open the ledger');
  });
});
