import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/audit/canonical.js';
import { loadSigningKey } from '../../src/audit/checkpoint.js';
import { CheckpointingLedger, defaultCheckpointOptions } from '../../src/audit/checkpointing.js';
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

/** 250 records of two apps, `payments` every fifth, signed as the controller signs them. */
async function fillSigned(file: string, keyFile: string): Promise<void> {
  const ledger = await CheckpointingLedger.open(
    await openLedger(`sqlite:${file}`),
    { signer: await loadSigningKey(keyFile), onError: (e) => expect.fail(e.message) },
    defaultCheckpointOptions(),
  );
  for (let i = 1; i <= 250; i++) {
    const name = i % 5 === 0 ? 'payments' : 'web';
    await ledger.append({ kind: 'resume', app: { namespace: 'shop', name }, actor: `u${i}` });
  }
  await ledger.close();
}

/**
 * What someone with the database file and sqlite3 does: deletes one app's records, numbers
 * and chains the rest again (the hash is public: SHA-256 of a documented encoding), moves the head.
 */
function rechainWithout(file: string, app: string): void {
  const db = new DatabaseSync(file);
  const rows = db
    .prepare('SELECT id, body FROM ballast_audit_records WHERE app <> ? ORDER BY seq')
    .all(app) as { id: string; body: string }[];
  db.exec('BEGIN; DELETE FROM ballast_audit_records');
  const insert = db.prepare(
    'INSERT INTO ballast_audit_records (seq, id, time, app, kind, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  let prev = '0'.repeat(64);
  rows.forEach((r, i) => {
    const e = JSON.parse(r.body) as { time: string; kind: string };
    const ids = `"id":${JSON.stringify(r.id)},"prevHash":${JSON.stringify(prev)}`;
    const hash = sha256Hex(`{"entry":${r.body},${ids},"v":1}`);
    insert.run(i + 1, r.id, e.time, 'shop/web', e.kind, r.body, prev, hash);
    prev = hash;
  });
  db.prepare('UPDATE ballast_audit_head SET seq = ?, hash = ? WHERE one = 1').run(
    rows.length,
    prev,
  );
  db.exec('COMMIT');
  db.close();
}

describe('ballast audit verify --public-key', () => {
  let key = '';
  let pub = '';

  beforeAll(async () => {
    const r = await ballast(['keygen', '--out', join(dir, 'ledger')]);
    expect(r.code).toBe(0);
    key = join(dir, 'ledger.key');
    pub = join(dir, 'ledger.pub');
  });

  it('keygen writes a private key only its owner can read, and never overwrites it', async () => {
    expect((await stat(key)).mode & 0o777).toBe(0o600);
    const again = await ballast(['keygen', '--out', join(dir, 'ledger')]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('it is never overwritten');
  });

  it('an untouched signed ledger passes, and without the key verify says it checked the chain only', async () => {
    const file = join(dir, 'signed.db');
    await fillSigned(file, key);
    const signed = await ballast(['verify', '--ledger', file, '--public-key', pub]);
    expect(signed.stdout).toMatch(
      /^ledger intact: 250 records, head [0-9a-f]{64}; signed by key [0-9a-f]{16} through seq 250 \(.*, 3 checkpoints\)\n$/,
    );
    expect(signed.code).toBe(0);
    const unsigned = await ballast(['verify', '--ledger', file]);
    expect(unsigned.stdout).toContain('unsigned check, hash chain only');
  });

  it("one app's records deleted and the rest re-chained pass the chain but fail with the key, naming the first gap", async () => {
    const file = join(dir, 'rechained.db');
    await fillSigned(file, key);
    rechainWithout(file, 'shop/payments');
    expect((await ballast(['verify', '--ledger', file])).code).toBe(0);
    const r = await ballast(['verify', '--ledger', file, '--public-key', pub]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^ledger broken at seq 5: deleted: record 5 missing: the database checkpoint at seq 100 \(signed .*\) signs head [0-9a-f]{12}, the record there hashes to [0-9a-f]{12} \(0 records sound before it\)\n$/,
    );
  });

  it('a tail cut off with its checkpoints is caught by the published checkpoint file', async () => {
    const file = join(dir, 'truncated.db');
    await fillSigned(file, key);
    const db = new DatabaseSync(file);
    const published = db
      .prepare(
        'SELECT body, signature, key_id AS keyId FROM ballast_audit_checkpoints ORDER BY seq DESC LIMIT 1',
      )
      .get();
    await writeFile(join(dir, 'published.json'), JSON.stringify(published));
    db.exec('DELETE FROM ballast_audit_records WHERE seq > 150');
    db.exec('DELETE FROM ballast_audit_checkpoints WHERE seq > 150');
    const head = db.prepare('SELECT hash FROM ballast_audit_records WHERE seq = 150').get();
    db.prepare('UPDATE ballast_audit_head SET seq = 150, hash = ? WHERE one = 1').run(
      String(head?.['hash']),
    );
    db.close();
    const dbOnly = await ballast(['verify', '--ledger', file, '--public-key', pub]);
    expect(dbOnly.code).toBe(0);
    expect(dbOnly.stdout).toContain('the last 50 records are not signed yet');
    const r = await ballast([
      'verify',
      '--ledger',
      file,
      '--public-key',
      pub,
      '--checkpoint',
      join(dir, 'published.json'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'truncated: records 151..250 missing: the published checkpoint at seq 250',
    );
    expect(r.stderr).toContain('the chain reaches 150');
  });

  it('a checkpoint without --public-key, or a key that is not ed25519, exits 2', async () => {
    const file = join(dir, 'signed.db');
    const noKey = await ballast(['verify', '--ledger', file, '--checkpoint', join(dir, 'x.json')]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('needs --public-key');
    const notKey = await ballast(['verify', '--ledger', file, '--public-key', file]);
    expect(notKey.code).toBe(2);
    expect(notKey.stderr).toContain('is not a PEM public key');
  });
});
