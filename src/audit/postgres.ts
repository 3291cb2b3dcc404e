import type pg from 'pg';
import { prepareEntry, rowToRecord, sealRow, type StoredRow } from './chain.js';
import { LedgerError } from './errors.js';
import { checkpointTable, readCheckpoint } from './checkpoint-rows.js';
import { pageSize, readRow, rowColumns, whereOf } from './rows.js';
import { Serializer } from './serial.js';
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

export interface PostgresLedgerOptions {
  /** Connections in the pool; appends use one at a time, verify and list the others. */
  maxConnections: number;
  /** Fail a connection attempt after this many milliseconds. */
  connectTimeoutMs: number;
}

export function defaultPostgresLedgerOptions(): PostgresLedgerOptions {
  return { maxConnections: 4, connectTimeoutMs: 10_000 };
}

/** Any constant: it names the lock that serializes schema creation between replicas. */
const schemaLockKey = 0x62616c6c;

const schema = `
CREATE TABLE IF NOT EXISTS ballast_audit_records (
  seq BIGINT PRIMARY KEY,
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
  seq BIGINT NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO ballast_audit_head (one, seq, hash) VALUES (1, 0, '${genesisHash}')
  ON CONFLICT (one) DO NOTHING;
${checkpointTable('BIGINT')}
`;

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/**
 * The ledger in PostgreSQL, for controllers run with several replicas. Every append is one
 * transaction that locks the head row (`SELECT … FOR UPDATE`) before reading it, so appends from
 * all replicas queue on that row and the chain cannot fork; within a process they also queue on
 * a Serializer so they do not each hold a pooled connection while waiting.
 */
export class PostgresLedger implements Ledger {
  private readonly appends = new Serializer();

  private constructor(
    private readonly pool: pg.Pool,
    readonly subject: string,
  ) {}

  static async open(
    url: string,
    options: PostgresLedgerOptions = defaultPostgresLedgerOptions(),
  ): Promise<PostgresLedger> {
    const subject = redactUrl(url);
    // pg adds about 8 MiB of resident memory once imported and most controllers keep their ledger
    // in SQLite, so it is imported only when a Postgres ledger is opened.
    const { Pool } = await import('pg');
    const pool = new Pool({
      connectionString: url,
      max: options.maxConnections,
      connectionTimeoutMillis: options.connectTimeoutMs,
    });
    // An idle client's error (server restart) would otherwise crash the process.
    pool.on('error', () => undefined);
    const ledger = new PostgresLedger(pool, subject);
    try {
      await ledger.transaction(async (c) => {
        await c.query('SELECT pg_advisory_xact_lock($1)', [schemaLockKey]);
        await c.query(schema);
      });
      return ledger;
    } catch (e) {
      await pool.end();
      throw new LedgerError(subject, 'cannot open the ledger', { cause: e });
    }
  }

  private async transaction<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  append(entry: NewEntry): Promise<LedgerRecord> {
    // Bad input fails before the queue, so it never waits behind other appends.
    let prepared: AuditEntry;
    try {
      prepared = prepareEntry(entry);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return this.appends.run(async () => {
      try {
        const row = await this.transaction(async (c) => {
          const head = await c.query(
            'SELECT seq, hash FROM ballast_audit_head WHERE one = 1 FOR UPDATE',
          );
          const sealed = sealRow(
            prepared,
            parseHead(head.rows[0]) ?? { seq: 0, hash: genesisHash },
          );
          await c.query(
            `INSERT INTO ballast_audit_records (${rowColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
            [
              sealed.seq,
              sealed.id,
              sealed.time,
              sealed.app,
              sealed.kind,
              sealed.body,
              sealed.prevHash,
              sealed.hash,
            ],
          );
          await c.query('UPDATE ballast_audit_head SET seq = $1, hash = $2 WHERE one = 1', [
            sealed.seq,
            sealed.hash,
          ]);
          return sealed;
        });
        return rowToRecord(row);
      } catch (e) {
        throw new LedgerError(this.subject, `cannot append a ${entry.kind} record`, { cause: e });
      }
    });
  }

  private async select(query: ListQuery, db: Queryable = this.pool): Promise<StoredRow[]> {
    const where = whereOf(query, (n) => `$${n}`);
    const limit = where.limit === undefined ? '' : ` LIMIT ${where.limit}`;
    const sql = `SELECT ${rowColumns} FROM ballast_audit_records ${where.sql} ORDER BY seq${limit}`;
    const r = await db.query(sql, where.params);
    return r.rows.map((row: Record<string, unknown>) => readRow(row, this.subject));
  }

  async list(query: ListQuery = {}): Promise<LedgerRecord[]> {
    try {
      return (await this.select(query)).map(rowToRecord);
    } catch (e) {
      if (e instanceof LedgerError) throw e;
      throw new LedgerError(this.subject, 'cannot list records', { cause: e });
    }
  }

  /** The chain as one snapshot, so appends made while verify runs do not look like tampering. */
  private chainSource(client: pg.PoolClient): ChainSource {
    const select = (q: ListQuery): Promise<StoredRow[]> => this.select(q, client);
    const pool = client;
    return {
      async *rows() {
        let afterSeq = Number.MIN_SAFE_INTEGER;
        for (;;) {
          const page = await select({ afterSeq, limit: pageSize });
          yield* page;
          const last = page.at(-1);
          if (last === undefined || page.length < pageSize) return;
          afterSeq = last.seq;
        }
      },
      async seqOfHash(hash) {
        const r = await pool.query(
          'SELECT seq FROM ballast_audit_records WHERE hash = $1 ORDER BY seq LIMIT 1',
          [hash],
        );
        const row = r.rows[0] as { seq?: unknown } | undefined;
        return row === undefined ? undefined : Number(row.seq);
      },
      async head() {
        const r = await pool.query('SELECT seq, hash FROM ballast_audit_head WHERE one = 1');
        return parseHead(r.rows[0]);
      },
    };
  }

  async verify(): Promise<VerifyResult> {
    try {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        return await verifyChain(this.chainSource(client));
      } finally {
        await client.query('ROLLBACK').catch(() => undefined);
        client.release();
      }
    } catch (e) {
      throw new LedgerError(this.subject, 'cannot verify the chain', { cause: e });
    }
  }

  async saveCheckpoint(cp: SignedCheckpoint, seq: number): Promise<void> {
    try {
      await this.pool.query(
        'INSERT INTO ballast_audit_checkpoints (seq, body, signature, key_id) VALUES ($1, $2, $3, $4) ON CONFLICT (seq) DO NOTHING',
        [seq, cp.body, cp.signature, cp.keyId],
      );
    } catch (e) {
      throw new LedgerError(this.subject, `cannot store the checkpoint at seq ${seq}`, {
        cause: e,
      });
    }
  }

  async checkpoints(): Promise<SignedCheckpoint[]> {
    try {
      const r = await this.pool.query(
        'SELECT body, signature, key_id FROM ballast_audit_checkpoints ORDER BY seq',
      );
      return r.rows.map((row: Record<string, unknown>) => readCheckpoint(row, this.subject));
    } catch (e) {
      if (e instanceof LedgerError) throw e;
      throw new LedgerError(this.subject, 'cannot read checkpoints', { cause: e });
    }
  }

  async close(): Promise<void> {
    await this.appends.idle();
    await this.pool.end();
  }
}

type Queryable = Pick<pg.Pool, 'query'>;

function parseHead(row: unknown): { seq: number; hash: string } | undefined {
  if (typeof row !== 'object' || row === null) return undefined;
  const { seq, hash } = row as { seq?: unknown; hash?: unknown };
  const n = Number(seq);
  return typeof hash === 'string' && Number.isSafeInteger(n) ? { seq: n, hash } : undefined;
}
