/**
 * The behaviour every ledger store must share, as one suite run against each implementation
 * (SQLite and PostgreSQL, in test/integration/audit-ledger.test.ts). Test-only: nothing in the
 * controller imports this file.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../exec/run.js';
import { packageRoot } from '../fs/package-root.js';
import { prepareEntry, sealRow } from './chain.js';
import { signedBehaviour } from './contract-signed.js';
import { openLedger } from './open.js';
import { objectChange, secretDataChanged } from './sanitize.js';
import {
  genesisHash,
  type AuditEntry,
  type Ledger,
  type LedgerRecord,
  type NewEntry,
  type SafePath,
} from './types.js';

export interface LedgerStoreSubject {
  name: string;
  /** The URL of a new, empty ledger; `openLedger` opens it. */
  fresh(): Promise<string>;
  /**
   * Runs one statement on the store's tables (`ballast_audit_records`, `ballast_audit_head`,
   * `ballast_audit_checkpoints`)
   * behind the ledger's back, as someone with database access would. Placeholders are `?`.
   */
  tamper(url: string, sql: string, params?: readonly (string | number)[]): Promise<void>;
}

const app = { namespace: 'shop', name: 'web' };
const other = { namespace: 'shop', name: 'api' };
const deploy = { group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'web' };
const secret = { group: '', kind: 'Secret', namespace: 'shop', name: 'db' };
const signed = {
  mode: 'signed',
  signer: 'Jane <jane@example.com>',
  fingerprint: 'ABCD',
  commits: 2,
};

/** One entry of every kind, an hour apart from 2026-03-01T10:00Z. */
export function everyKind(): AuditEntry[] {
  const at = (h: number): string => `2026-03-01T${String(10 + h).padStart(2, '0')}:00:00.000Z`;
  const paths = ['/spec/replicas'] as SafePath[];
  return [
    {
      kind: 'sync-applied',
      app,
      time: at(0),
      actor: 'ballast',
      revision: 'a1',
      verification: signed,
      changes: [
        objectChange({ subject: deploy, action: 'configure', changedPaths: ['/spec/replicas'] }),
      ],
    },
    {
      kind: 'drift-detected',
      app,
      time: at(1),
      object: deploy,
      paths,
      fieldManager: 'kubectl-edit',
    },
    {
      kind: 'drift-reverted',
      app,
      time: at(2),
      actor: 'ballast',
      object: deploy,
      paths,
      fieldManager: 'kubectl-edit',
    },
    {
      kind: 'commit-refused',
      app: other,
      time: at(3),
      revision: 'b2',
      reason: 'unsigned',
      verification: { mode: 'signed' },
    },
    { kind: 'rollback', app, time: at(4), actor: 'alice', fromRevision: 'a1', toRevision: 'a0' },
    { kind: 'manual-sync', app: other, time: at(5), actor: 'bob', revision: 'a1' },
    { kind: 'suspend', app, time: at(6), actor: 'alice', reason: 'maintenance' },
    { kind: 'resume', app, time: at(7), actor: 'alice' },
  ];
}

async function withLedger<T>(url: string, fn: (l: Ledger) => Promise<T>): Promise<T> {
  const ledger = await openLedger(url);
  try {
    return await fn(ledger);
  } finally {
    await ledger.close();
  }
}

async function filled(
  subject: LedgerStoreSubject,
  n = 5,
): Promise<{ url: string; records: LedgerRecord[] }> {
  const url = await subject.fresh();
  const records = await withLedger(url, async (l) => {
    const out: LedgerRecord[] = [];
    for (let i = 1; i <= n; i++) {
      out.push(
        await l.append({ kind: 'manual-sync', app, actor: `user-${i}`, revision: `rev-${i}` }),
      );
    }
    return out;
  });
  return { url, records };
}

const nth = (records: readonly LedgerRecord[], seq: number): LedgerRecord => {
  const r = records.find((x) => x.seq === seq);
  if (r === undefined) throw new Error(`no record ${seq}`);
  return r;
};

const strip = ({ seq: _s, id: _i, prevHash: _p, hash: _h, ...entry }: LedgerRecord): object =>
  entry;

export function ledgerContract(subject: LedgerStoreSubject): void {
  describe(`ledger store contract: ${subject.name}`, () => {
    appendBehaviour(subject);
    listBehaviour(subject);
    concurrencyBehaviour(subject);
    tamperBehaviour(subject);
    signedBehaviour(subject);
  });
}

function appendBehaviour(subject: LedgerStoreSubject): void {
  it('an empty ledger verifies intact with the genesis head', async () => {
    const result = await withLedger(await subject.fresh(), (l) => l.verify());
    expect(result).toEqual({ kind: 'intact', records: 0, head: genesisHash });
  });

  it('appends chain records: seq from 1, each prevHash the hash before, head the last hash', async () => {
    const { url, records } = await filled(subject, 3);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(records.map((r) => r.prevHash)).toEqual([
      genesisHash,
      nth(records, 1).hash,
      nth(records, 2).hash,
    ]);
    expect(await withLedger(url, (l) => l.verify())).toEqual({
      kind: 'intact',
      records: 3,
      head: nth(records, 3).hash,
    });
  });

  it('every kind of record reads back as it was appended, after close and reopen', async () => {
    const url = await subject.fresh();
    const written = await withLedger(url, async (l) => {
      const out: LedgerRecord[] = [];
      for (const e of everyKind()) out.push(await l.append(e));
      return out;
    });
    const read = await withLedger(url, (l) => l.list());
    expect(read).toEqual(written);
    expect(read.map(strip)).toEqual(everyKind());
  });

  it('append fills in a missing time and normalizes given ones to UTC milliseconds', async () => {
    await withLedger(await subject.fresh(), async (l) => {
      const before = new Date().toISOString();
      const now = await l.append({ kind: 'resume', app });
      expect(now.time >= before).toBe(true);
      const given = await l.append({ kind: 'resume', app, time: '2026-03-01T12:00:00+02:00' });
      expect(given.time).toBe('2026-03-01T10:00:00.000Z');
    });
  });

  it('append refuses a time that is not ISO 8601 and leaves the chain as it was', async () => {
    await withLedger(await subject.fresh(), async (l) => {
      await expect(l.append({ kind: 'resume', app, time: 'yesterday' })).rejects.toThrow(
        'is not ISO 8601',
      );
      expect(await l.verify()).toMatchObject({ kind: 'intact', records: 0 });
    });
  });

  it('Secret data paths never reach the store, even forced past the types', async () => {
    const url = await subject.fresh();
    const forced: NewEntry = {
      kind: 'drift-detected',
      app,
      object: secret,
      fieldManager: 'kubectl-edit',
      paths: ['/data/password', '/metadata/labels/x'] as SafePath[],
    };
    await withLedger(url, (l) => l.append(forced));
    const [stored] = await withLedger(url, (l) => l.list());
    expect(stored).toMatchObject({ paths: [secretDataChanged, '/metadata/labels/x'] });
    expect(JSON.stringify(stored)).not.toContain('password');
  });
}

function listBehaviour(subject: LedgerStoreSubject): void {
  it('list filters by since (inclusive), until (exclusive) and app, in seq order', async () => {
    const url = await subject.fresh();
    await withLedger(url, async (l) => {
      for (const e of everyKind()) await l.append(e);
      const kinds = async (q: Parameters<Ledger['list']>[0]): Promise<string[]> =>
        (await l.list(q)).map((r) => r.kind);
      expect(await kinds({ since: '2026-03-01T12:00:00Z', until: '2026-03-01T14:00:00Z' })).toEqual(
        ['drift-reverted', 'commit-refused'],
      );
      expect(await kinds({ app: other })).toEqual(['commit-refused', 'manual-sync']);
      expect(await kinds({ app, since: '2026-03-01T15:00:00.000Z' })).toEqual([
        'suspend',
        'resume',
      ]);
      expect(await kinds({ until: '2026-03-01T10:00:00Z' })).toEqual([]);
    });
  });

  it('list pages with afterSeq and limit', async () => {
    const { url } = await filled(subject, 5);
    await withLedger(url, async (l) => {
      expect((await l.list({ limit: 2 })).map((r) => r.seq)).toEqual([1, 2]);
      expect((await l.list({ afterSeq: 2, limit: 2 })).map((r) => r.seq)).toEqual([3, 4]);
      expect((await l.list({ afterSeq: 4, limit: 2 })).map((r) => r.seq)).toEqual([5]);
    });
  });
}

function concurrencyBehaviour(subject: LedgerStoreSubject): void {
  it('concurrent appends from one process never fork the chain', async () => {
    const url = await subject.fresh();
    await withLedger(url, async (l) => {
      const appended = await Promise.all(
        Array.from({ length: 40 }, (_, i) => l.append({ kind: 'suspend', app, reason: `r${i}` })),
      );
      expect(new Set(appended.map((r) => r.seq)).size).toBe(40);
      expect(await l.verify()).toMatchObject({ kind: 'intact', records: 40 });
    });
  });

  it('two ledgers open on one store (two replicas) append without forking the chain', async () => {
    const url = await subject.fresh();
    const [a, b] = await Promise.all([openLedger(url), openLedger(url)]);
    try {
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          (i % 2 === 0 ? a : b).append({ kind: 'resume', app, actor: `replica-${i % 2}` }),
        ),
      );
      expect(await a.verify()).toMatchObject({ kind: 'intact', records: 30 });
      expect((await b.list()).map((r) => r.seq)).toEqual(
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('replicas in separate processes append at once without forking the chain', async () => {
    const url = await subject.fresh();
    const appendMany = (replica: number): ReturnType<typeof run> =>
      run(
        process.execPath,
        ['--input-type=module', '-e', replicaScript, builtOpen(), url, String(replica)],
        {
          timeoutMs: 120_000,
        },
      );
    const results = await Promise.all([1, 2, 3].map(appendMany));
    expect(results.map((r) => (r.kind === 'ok' ? 'ok' : JSON.stringify(r)))).toEqual([
      'ok',
      'ok',
      'ok',
    ]);
    await withLedger(url, async (l) => {
      expect(await l.verify()).toMatchObject({ kind: 'intact', records: 3 * replicaAppends });
      const actors = new Set((await l.list()).map((r) => r.actor));
      expect(actors).toEqual(new Set(['replica-1', 'replica-2', 'replica-3']));
    });
  });
}

const replicaAppends = 25;

/** The built openLedger, which a child process imports (the integration run builds first). */
const builtOpen = (): string => join(packageRoot(), 'dist', 'src', 'audit', 'open.js');

/** A child process that opens the ledger and appends on its own, as another replica would. */
const replicaScript = `
const [openModule, url, replica] = process.argv.slice(1);
const { openLedger } = await import(openModule);
const ledger = await openLedger(url);
for (let i = 0; i < ${replicaAppends}; i++) {
  await ledger.append({ kind: 'resume', app: { namespace: 'shop', name: 'web' }, actor: 'replica-' + replica });
}
await ledger.close();
`;

const records = 'ballast_audit_records';
const verify = (url: string): ReturnType<Ledger['verify']> => withLedger(url, (l) => l.verify());

/** Someone with database access edits, deletes, inserts or reorders rows; verify names it. */
function tamperBehaviour(subject: LedgerStoreSubject): void {
  editBehaviour(subject);
  structureBehaviour(subject);
}

function editBehaviour(subject: LedgerStoreSubject): void {
  it('verify names a record whose field was edited in the database', async () => {
    const { url, records: rs } = await filled(subject);
    const body = JSON.stringify(strip(nth(rs, 3))).replace('rev-3', 'rev-evil');
    await subject.tamper(url, `UPDATE ${records} SET body = ? WHERE seq = 3`, [body]);
    expect(await verify(url)).toMatchObject({
      kind: 'broken',
      problem: 'edited',
      atSeq: 3,
      recordId: nth(rs, 3).id,
    });
  });

  it('verify names a record that was edited and hashed again', async () => {
    const { url, records: rs } = await filled(subject);
    const r3 = nth(rs, 3);
    const forged = sealRow(
      prepareEntry({ kind: 'manual-sync', app, time: r3.time, actor: 'mallory' }),
      { seq: 2, hash: r3.prevHash },
    );
    await subject.tamper(url, `UPDATE ${records} SET body = ?, hash = ? WHERE seq = 3`, [
      forged.body,
      forged.hash,
    ]);
    expect(await verify(url)).toMatchObject({
      kind: 'broken',
      problem: 'edited',
      atSeq: 3,
      recordId: r3.id,
    });
  });
}

function structureBehaviour(subject: LedgerStoreSubject): void {
  it('verify names the record after a deleted one', async () => {
    const { url, records: rs } = await filled(subject);
    await subject.tamper(url, `DELETE FROM ${records} WHERE seq = 3`);
    expect(await verify(url)).toMatchObject({
      kind: 'broken',
      problem: 'deleted',
      atSeq: 4,
      recordId: nth(rs, 4).id,
    });
  });

  it('verify notices the newest record deleted', async () => {
    const { url, records: rs } = await filled(subject);
    await subject.tamper(url, `DELETE FROM ${records} WHERE seq = 5`);
    expect(await verify(url)).toMatchObject({
      kind: 'broken',
      problem: 'deleted',
      atSeq: 4,
      recordId: nth(rs, 4).id,
    });
  });

  it('verify names a forged record inserted into the middle', async () => {
    const { url, records: rs } = await filled(subject);
    const forged = sealRow(prepareEntry({ kind: 'resume', app, actor: 'mallory' }), nth(rs, 2));
    // Make room at seq 3 in two steps, so no step collides with the primary key.
    await subject.tamper(url, `UPDATE ${records} SET seq = -seq WHERE seq >= 3`);
    await subject.tamper(url, `UPDATE ${records} SET seq = 1 - seq WHERE seq <= -3`);
    await subject.tamper(
      url,
      `INSERT INTO ${records} (seq, id, time, app, kind, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        forged.seq,
        forged.id,
        forged.time,
        forged.app,
        forged.kind,
        forged.body,
        forged.prevHash,
        forged.hash,
      ],
    );
    expect(await verify(url)).toMatchObject({
      kind: 'broken',
      problem: 'inserted',
      atSeq: 3,
      recordId: forged.id,
    });
  });

  it('verify names two swapped records as reordered', async () => {
    const { url, records: rs } = await filled(subject);
    await subject.tamper(url, `UPDATE ${records} SET seq = -1 WHERE seq = 2`);
    await subject.tamper(url, `UPDATE ${records} SET seq = 2 WHERE seq = 4`);
    await subject.tamper(url, `UPDATE ${records} SET seq = 4 WHERE seq = -1`);
    expect(await verify(url)).toMatchObject({
      kind: 'broken',
      problem: 'reordered',
      atSeq: 2,
      recordId: nth(rs, 4).id,
    });
  });
}
