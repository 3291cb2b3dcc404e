import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { objectChange } from '../src/audit/sanitize.js';
import { openLedger } from '../src/audit/open.js';
import type { NewEntry } from '../src/audit/types.js';
import { startPostgres } from '../test/support/postgres.js';

const records = Number(process.env.BALLAST_BENCH_AUDIT_RECORDS ?? '10000');

/** A sync of five objects: about the size of a typical record. */
function entry(i: number): NewEntry {
  const changes = Array.from({ length: 5 }, (_, k) =>
    objectChange({
      subject: { group: 'apps', kind: 'Deployment', namespace: 'shop', name: `web-${k}` },
      action: 'configure',
      changedPaths: ['/spec/replicas', '/spec/template/spec/containers/0/image'],
    }),
  );
  return {
    kind: 'sync-applied',
    app: { namespace: 'shop', name: `app-${i % 20}` },
    actor: 'ballast',
    revision: i.toString(16).padStart(40, '0'),
    verification: {
      mode: 'signed',
      signer: 'Jane <jane@example.com>',
      fingerprint: 'ABCD',
      commits: 1,
    },
    changes,
  };
}

async function measure(store: string, url: string): Promise<void> {
  const ledger = await openLedger(url);
  try {
    // One append at a time, awaited, as the controller writes them.
    const t0 = performance.now();
    for (let i = 0; i < records; i++) await ledger.append(entry(i));
    const appendMs = performance.now() - t0;
    const t1 = performance.now();
    const result = await ledger.verify();
    const verifyMs = performance.now() - t1;
    if (result.kind !== 'intact') throw new Error(`${store}: the bench ledger does not verify`);
    process.stdout.write(
      `${store.padEnd(9)} ${records} appends in ${(appendMs / 1000).toFixed(2)} s ` +
        `(${Math.round((records * 1000) / appendMs)}/s, ${(appendMs / records).toFixed(2)} ms each); ` +
        `verify ${(verifyMs / 1000).toFixed(2)} s (${Math.round((records * 1000) / verifyMs)} records/s)\n`,
    );
  } finally {
    await ledger.close();
  }
}

/**
 * Append throughput and verify time of each ledger store. SQLite runs with synchronous=FULL on
 * the temp dir's disk; the throwaway Postgres has fsync off, so its figure is the protocol and
 * locking cost, not the disk's.
 */
export async function benchAudit(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ballast-bench-audit-'));
  const pg = await startPostgres();
  try {
    await measure('sqlite', `sqlite:${join(dir, 'audit.db')}`);
    await measure('postgres', await pg.createDatabase('bench'));
  } finally {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
