/**
 * Signed checkpoints in every store, as part of the store contract (contract.ts). The attacker
 * here has the database and none of the key: they delete, rewrite and re-chain with SQL, and
 * compute hashes as any script could. Test-only.
 */
import { generateKeyPairSync } from 'node:crypto';
import { expect, it } from 'vitest';
import { canonicalJson, type Canonical } from './canonical.js';
import { appKey, bodyHash, entryOf } from './chain.js';
import { signerOf } from './checkpoint.js';
import { CheckpointingLedger, defaultCheckpointOptions } from './checkpointing.js';
import type { LedgerStoreSubject } from './contract.js';
import { openLedger } from './open.js';
import { verifySigned } from './signed.js';
import { genesisHash, type AppRef, type Ledger } from './types.js';

const web = { namespace: 'shop', name: 'web' };
const evidence = { namespace: 'shop', name: 'payments' };

const key = generateKeyPairSync('ed25519');
const signer = signerOf(key.privateKey);

async function withLedger<T>(url: string, fn: (l: Ledger) => Promise<T>): Promise<T> {
  const ledger = await openLedger(url);
  try {
    return await fn(ledger);
  } finally {
    await ledger.close();
  }
}

/**
 * Twelve records signed every 4, as the controller writes them; `payments` owns seqs 3, 6, 9
 * and 12. Each checkpoint is awaited so the test knows where they fall.
 */
async function signedLedger(subject: LedgerStoreSubject): Promise<string> {
  const url = await subject.fresh();
  const errors: Error[] = [];
  const ledger = await CheckpointingLedger.open(
    await openLedger(url),
    { signer, onError: (e) => errors.push(e) },
    { ...defaultCheckpointOptions(), every: 4 },
  );
  for (let i = 1; i <= 12; i++) {
    const app = i % 3 === 0 ? evidence : web;
    await ledger.append({ kind: 'manual-sync', app, actor: `user-${i}`, revision: `rev-${i}` });
    if (i % 4 === 0) await ledger.checkpoint();
  }
  await ledger.close();
  expect(errors).toEqual([]);
  return url;
}

const records = 'ballast_audit_records';

/** Deletes every record of `app`, numbers and chains the rest again, and moves the head. */
async function rechainWithout(
  subject: LedgerStoreSubject,
  url: string,
  app: AppRef,
): Promise<void> {
  const kept = (await withLedger(url, (l) => l.list())).filter(
    (r) => appKey(r.app) !== appKey(app),
  );
  await subject.tamper(url, `DELETE FROM ${records}`);
  let prev = genesisHash;
  for (const [i, r] of kept.entries()) {
    const body = canonicalJson(entryOf(r) as unknown as Canonical);
    const hash = bodyHash(r.id, prev, body);
    await subject.tamper(
      url,
      `INSERT INTO ${records} (seq, id, time, app, kind, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [i + 1, r.id, r.time, appKey(r.app), r.kind, body, prev, hash],
    );
    prev = hash;
  }
  await subject.tamper(url, 'UPDATE ballast_audit_head SET seq = ?, hash = ? WHERE one = 1', [
    kept.length,
    prev,
  ]);
}

const verifyWithKey = (url: string, published?: Parameters<typeof verifySigned>[2]) =>
  withLedger(url, (l) => verifySigned(l, key.publicKey, published));

export function signedBehaviour(subject: LedgerStoreSubject): void {
  it('an untouched signed ledger verifies, every checkpoint holding', async () => {
    const url = await signedLedger(subject);
    expect(await verifyWithKey(url)).toMatchObject({
      kind: 'intact',
      records: 12,
      signed: { through: 12, unsignedTail: 0, checkpoints: 3, keyId: signer.keyId },
    });
  });

  it("deleting one app's records and re-chaining the rest passes the hash chain but not the signatures, which name the first gap", async () => {
    const url = await signedLedger(subject);
    await rechainWithout(subject, url, evidence);
    // The attack that used to pass: the chain alone is intact.
    expect(await withLedger(url, (l) => l.verify())).toMatchObject({ kind: 'intact', records: 8 });
    const result = await verifyWithKey(url);
    expect(result).toMatchObject({ kind: 'broken', problem: 'deleted', atSeq: 3 });
    expect(result.kind === 'broken' ? result.detail : '').toMatch(
      /^record 3 missing: the database checkpoint at seq 4 \(signed .*\) signs head [0-9a-f]{12}, the record there hashes to [0-9a-f]{12}$/,
    );
  });

  it('the same rewrite with every checkpoint deleted is refused as unsigned', async () => {
    const url = await signedLedger(subject);
    await rechainWithout(subject, url, evidence);
    await subject.tamper(url, 'DELETE FROM ballast_audit_checkpoints');
    expect(await verifyWithKey(url)).toMatchObject({
      kind: 'broken',
      problem: 'unsigned',
      detail: expect.stringContaining('no signed checkpoint covers') as unknown,
    });
  });

  it('a tail cut off with its checkpoint is caught by the published checkpoint', async () => {
    const url = await signedLedger(subject);
    const published = (await withLedger(url, (l) => l.checkpoints())).at(-1);
    const nine = (await withLedger(url, (l) => l.list({ afterSeq: 8, limit: 1 })))[0];
    await subject.tamper(url, `DELETE FROM ${records} WHERE seq > 9`);
    await subject.tamper(url, 'DELETE FROM ballast_audit_checkpoints WHERE seq > 8');
    await subject.tamper(url, 'UPDATE ballast_audit_head SET seq = 9, hash = ? WHERE one = 1', [
      nine?.hash ?? '',
    ]);
    // What the database alone still says: one record after the last checkpoint, as if unsigned yet.
    expect(await verifyWithKey(url)).toMatchObject({ kind: 'intact', signed: { through: 8 } });
    expect(await verifyWithKey(url, published === undefined ? {} : { published })).toMatchObject({
      kind: 'broken',
      problem: 'truncated',
      atSeq: 10,
      detail: expect.stringMatching(
        /^records 10\.\.12 missing: the published checkpoint at seq 12 .*the chain reaches 9$/,
      ) as unknown,
    });
  });

  it('a checkpoint forged with another key is named, with both key ids', async () => {
    const url = await signedLedger(subject);
    const mallory = signerOf(generateKeyPairSync('ed25519').privateKey);
    const forged = mallory.sign({ seq: 12, id: 'x', hash: 'f'.repeat(64), time: '', every: 4 });
    await subject.tamper(url, 'DELETE FROM ballast_audit_checkpoints WHERE seq = 12');
    await withLedger(url, (l) => l.saveCheckpoint(forged, 12));
    const result = await verifyWithKey(url);
    expect(result).toMatchObject({ kind: 'broken', problem: 'forged', atSeq: 12 });
    expect(result.kind === 'broken' ? result.detail : '').toContain(
      `it names key ${mallory.keyId}, this is ${signer.keyId}`,
    );
  });

  it('the writer refuses to sign records changed behind its back since its last checkpoint', async () => {
    const url = await signedLedger(subject);
    const errors: Error[] = [];
    const ledger = await CheckpointingLedger.open(
      await openLedger(url),
      { signer, onError: (e) => errors.push(e) },
      defaultCheckpointOptions(),
    );
    try {
      await ledger.append({ kind: 'resume', app: web, actor: 'alice' });
      await ledger.append({ kind: 'resume', app: evidence, actor: 'bob' });
      await rechainWithout(subject, url, evidence);
      await ledger.append({ kind: 'resume', app: web, actor: 'carol' });
      await expect(ledger.checkpoint()).rejects.toThrow(
        /^ledger: not signing: the record signed at seq 12 is gone or changed/,
      );
    } finally {
      await ledger.close();
    }
    // close tried once more and reported it rather than sign.
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('not signing')]);
  });

  it('each new checkpoint is published, and the newest again at open when nothing is new', async () => {
    const url = await subject.fresh();
    const published: number[] = [];
    const publisher = {
      where: 'memory',
      publish: (cp: { body: string }): Promise<void> => {
        published.push((JSON.parse(cp.body) as { seq: number }).seq);
        return Promise.resolve();
      },
    };
    const open = async (): Promise<CheckpointingLedger> =>
      CheckpointingLedger.open(
        await openLedger(url),
        { signer, publisher, onError: (e) => expect.fail(e.message) },
        { ...defaultCheckpointOptions(), every: 3 },
      );
    const first = await open();
    for (let i = 0; i < 3; i++) await first.append({ kind: 'resume', app: web });
    // The third append set a checkpoint going; this waits for it.
    await first.checkpoint();
    await first.append({ kind: 'resume', app: web });
    await first.close();
    const second = await open();
    await second.close();
    expect(published).toEqual([3, 4, 4]);
  });
}
