import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { prepareEntry, rowToRecord, sealRow, type StoredRow } from './chain.js';
import { LedgerError } from './errors.js';
import { checkpointTable, readCheckpoint } from './checkpoint-rows.js';
import { pageSize, readRow, rowColumns, whereOf } from './rows.js';
import {
  genesisHash,
  type AuditEntry,
  type Ledger,
  type LedgerRecord,
  type ListQuery,
  type NewEntry,
  type SignedCheckpoint,
  type VerifyResult,
} from './types.js';
import { verifyChain, type ChainSource } from './verify.js';

export interface SqliteLedgerOptions {
  /** How long an append waits for another process's write transaction, in milliseconds. */
  busyTimeoutMs: number;
}

export function defaultSqliteLedgerOptions(): SqliteLedgerOptions {
  return { busyTimeoutMs: 10_000 };
}

/** An append waiting for the next commit. */
interface Queued {
  prepared: AuditEntry;
  kind: string;
  resolve: (record: LedgerRecord) => void;
  reject: (error: Error) => void;
}

const schema = `
CREATE TABLE IF NOT EXISTS ballast_audit_records (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  time TEXT NOT NULL,
  app TEXT NOT NULL,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ballast_audit_records_time ON ballast_audit_records (time);
CREATE INDEX IF NOT EXISTS ballast_audit_records_app_time ON ballast_audit_records (app, time);
CREATE INDEX IF NOT EXISTS ballast_audit_records_hash ON ballast_audit_records (hash);
CREATE TABLE IF NOT EXISTS ballast_audit_head (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL
);
INSERT OR IGNORE INTO ballast_audit_head (one, seq, hash) VALUES (1, 0, '${genesisHash}');
${checkpointTable('INTEGER')}
`;

/**
 * The ledger in one SQLite file (node:sqlite, WAL): the default, and in-cluster a file on a
 * PersistentVolume. node:sqlite is synchronous, so one process cannot interleave appends;
 * BEGIN IMMEDIATE takes the write lock before the head is read, so other processes cannot either.
 */
export class SqliteLedger implements Ledger {
  private constructor(
    private readonly db: DatabaseSync,
    readonly path: string,
  ) {}

  static open(
    path: string,
    options: SqliteLedgerOptions = defaultSqliteLedgerOptions(),
  ): SqliteLedger {
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      const db = new DatabaseSync(path, { timeout: options.busyTimeoutMs });
      db.exec('PRAGMA journal_mode = WAL');
      // An audit record that was reported as written must survive a power cut.
      db.exec('PRAGMA synchronous = FULL');
      db.exec(`BEGIN IMMEDIATE; ${schema} COMMIT;`);
      return new SqliteLedger(db, path);
    } catch (e) {
      throw new LedgerError(`sqlite:${path}`, 'cannot open the ledger', { cause: e });
    }
  }

  private get subject(): string {
    return `sqlite:${this.path}`;
  }

  /**
   * Appends made in one turn of the event loop share a transaction, so one fsync covers them:
   * a thousand reconciles finishing together wait on a few commits, not a thousand, and the
   * event loop is not held once per record. Each append still resolves only when its record
   * is durable, and the chain follows the order of the calls.
   */
  append(entry: NewEntry): Promise<LedgerRecord> {
    let prepared: AuditEntry;
    try {
      prepared = prepareEntry(entry);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return new Promise((resolve, reject) => {
      if (this.queued.length === 0)
        setImmediate(() => {
          this.commitQueued();
        });
      this.queued.push({ prepared, kind: entry.kind, resolve, reject });
    });
  }

  private queued: Queued[] = [];

  private commitQueued(): void {
    const batch = this.queued;
    this.queued = [];
    if (batch.length === 0) return;
    let rows: StoredRow[];
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        let head = this.headRow() ?? { seq: 0, hash: genesisHash };
        rows = batch.map((q) => {
          const row = sealRow(q.prepared, head);
          this.insert(row);
          head = row;
          return row;
        });
        this.db.exec('COMMIT');
      } catch (e) {
        this.db.exec('ROLLBACK');
        throw e;
      }
    } catch (e) {
      for (const q of batch)
        q.reject(new LedgerError(this.subject, `cannot append a ${q.kind} record`, { cause: e }));
      return;
    }
    batch.forEach((q, i) => {
      q.resolve(rowToRecord(rows[i] as StoredRow));
    });
  }

  private insert(row: StoredRow): void {
    this.db
      .prepare(`INSERT INTO ballast_audit_records (${rowColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(row.seq, row.id, row.time, row.app, row.kind, row.body, row.prevHash, row.hash);
    this.db
      .prepare('UPDATE ballast_audit_head SET seq = ?, hash = ? WHERE one = 1')
      .run(row.seq, row.hash);
  }

  private headRow(db: DatabaseSync = this.db): { seq: number; hash: string } | undefined {
    const r = db.prepare('SELECT seq, hash FROM ballast_audit_head WHERE one = 1').get();
    if (r === undefined) return undefined;
    const { seq, hash } = r;
    if (typeof seq !== 'number' || typeof hash !== 'string') {
      throw new LedgerError(this.subject, 'the ledger head is malformed');
    }
    return { seq, hash };
  }

  private select(query: ListQuery, db: DatabaseSync = this.db): StoredRow[] {
    const where = whereOf(query, () => '?');
    const params: SQLInputValue[] = [...where.params];
    const limit = where.limit === undefined ? '' : ` LIMIT ${where.limit}`;
    const sql = `SELECT ${rowColumns} FROM ballast_audit_records ${where.sql} ORDER BY seq${limit}`;
    return db
      .prepare(sql)
      .all(...params)
      .map((r) => readRow(r, this.subject));
  }

  list(query: ListQuery = {}): Promise<LedgerRecord[]> {
    try {
      return Promise.resolve(this.select(query).map(rowToRecord));
    } catch (e) {
      return Promise.reject(
        e instanceof LedgerError
          ? e
          : new LedgerError(this.subject, 'cannot list records', { cause: e }),
      );
    }
  }

  private chainSource(db: DatabaseSync): ChainSource {
    const select = (q: ListQuery): StoredRow[] => this.select(q, db);
    return {
      *rows() {
        let afterSeq = Number.MIN_SAFE_INTEGER;
        for (;;) {
          const page = select({ afterSeq, limit: pageSize });
          yield* page;
          const last = page.at(-1);
          if (last === undefined || page.length < pageSize) return;
          afterSeq = last.seq;
        }
      },
      seqOfHash: (hash) => {
        const r = db
          .prepare('SELECT seq FROM ballast_audit_records WHERE hash = ? ORDER BY seq LIMIT 1')
          .get(hash);
        return Promise.resolve(typeof r?.['seq'] === 'number' ? r['seq'] : undefined);
      },
      head: () => Promise.resolve(this.headRow(db)),
    };
  }

  async verify(): Promise<VerifyResult> {
    try {
      // A second connection in a read transaction sees one snapshot of the WAL, so appends made
      // while verify runs (here or in another process) do not look like tampering.
      const reader = new DatabaseSync(this.path, { readOnly: true });
      try {
        reader.exec('BEGIN');
        return await verifyChain(this.chainSource(reader));
      } finally {
        reader.close();
      }
    } catch (e) {
      throw new LedgerError(this.subject, 'cannot verify the chain', { cause: e });
    }
  }

  saveCheckpoint(cp: SignedCheckpoint, seq: number): Promise<void> {
    try {
      this.db
        .prepare(
          'INSERT OR IGNORE INTO ballast_audit_checkpoints (seq, body, signature, key_id) VALUES (?, ?, ?, ?)',
        )
        .run(seq, cp.body, cp.signature, cp.keyId);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(
        new LedgerError(this.subject, `cannot store the checkpoint at seq ${seq}`, { cause: e }),
      );
    }
  }

  checkpoints(): Promise<SignedCheckpoint[]> {
    try {
      const rows = this.db
        .prepare('SELECT body, signature, key_id FROM ballast_audit_checkpoints ORDER BY seq')
        .all();
      return Promise.resolve(rows.map((r) => readCheckpoint(r, this.subject)));
    } catch (e) {
      return Promise.reject(
        e instanceof LedgerError
          ? e
          : new LedgerError(this.subject, 'cannot read checkpoints', { cause: e }),
      );
    }
  }

  close(): Promise<void> {
    if (this.db.isOpen) {
      this.commitQueued();
      this.db.close();
    }
    return Promise.resolve();
  }
}
