import { mkdtemp, rm } from 'node:fs/promises';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { ledgerContract } from '../../src/audit/contract.js';
import { parseLedgerUrl } from '../../src/audit/open.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

// Both stores pass the same contract, tampering included. Postgres is a throwaway cluster of
// Debian's package for this file alone; without it, beforeAll fails and says how to install it.
let server: TestPostgres | undefined;
let dir = '';
let databases = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ballast-audit-ledger-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

ledgerContract({
  name: 'sqlite',
  fresh: () => Promise.resolve(`sqlite:${join(dir, `ledger-${++databases}.db`)}`),
  tamper(url, sql, params = []) {
    const at = parseLedgerUrl(url);
    if (at.kind !== 'sqlite') throw new Error(`not a sqlite ledger: ${url}`);
    const db = new DatabaseSync(at.path);
    try {
      db.prepare(sql).run(...(params as SQLInputValue[]));
    } finally {
      db.close();
    }
    return Promise.resolve();
  },
});

describe('with a throwaway PostgreSQL cluster', () => {
  // Fails (not skips) with how to install postgres when its binaries are missing.
  beforeAll(async () => {
    server = await startPostgres();
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
  });

  ledgerContract({
    name: 'postgres',
    fresh() {
      if (server === undefined) throw new Error('postgres did not start');
      return server.createDatabase(`ledger_${++databases}`);
    },
    async tamper(url, sql, params = []) {
      let n = 0;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(
          sql.replaceAll('?', () => `$${++n}`),
          [...params],
        );
      } finally {
        await client.end();
      }
    },
  });
});
