import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex, type Canonical } from './canonical.js';
import { prepareEntry, recordHash, rowProblem, sealRow, type StoredRow } from './chain.js';
import { genesisHash, type AuditEntry } from './types.js';
import { verifyChain, type ChainSource } from './verify.js';

const app = { namespace: 'shop', name: 'web' };

function entry(i: number): AuditEntry {
  return prepareEntry({
    kind: 'manual-sync',
    app,
    time: `2026-01-01T00:00:0${i}Z`,
    actor: `user-${i}`,
    revision: `rev-${i}`,
  });
}

/** Five sealed rows and the head a store would hold after writing them. */
function chainOf(n = 5): { rows: StoredRow[]; head: { seq: number; hash: string } } {
  const rows: StoredRow[] = [];
  let after = { seq: 0, hash: genesisHash };
  for (let i = 1; i <= n; i++) {
    const row = sealRow(entry(i), after);
    rows.push(row);
    after = row;
  }
  return { rows, head: { seq: after.seq, hash: after.hash } };
}

function source(rows: StoredRow[], head: { seq: number; hash: string } | undefined): ChainSource {
  const sorted = [...rows].sort((a, b) => a.seq - b.seq);
  return {
    *rows() {
      yield* sorted;
    },
    seqOfHash: (hash) => Promise.resolve(sorted.find((r) => r.hash === hash)?.seq),
    head: () => Promise.resolve(head),
  };
}

const at = (rows: StoredRow[], seq: number): StoredRow => {
  const r = rows.find((x) => x.seq === seq);
  if (r === undefined) throw new Error(`no row ${seq}`);
  return r;
};

describe('sealRow and rowProblem', () => {
  it('chains each row to the one before and hashes id, prevHash and the entry', () => {
    const { rows } = chainOf(2);
    const [first, second] = rows as [StoredRow, StoredRow];
    expect(first.prevHash).toBe(genesisHash);
    expect(second.prevHash).toBe(first.hash);
    expect(second.hash).toBe(recordHash(second.id, second.prevHash, entry(2)));
    expect(rows.map(rowProblem)).toEqual([undefined, undefined]);
  });

  it('hashes the stored body exactly as the canonical encoding of the whole record', () => {
    const { rows } = chainOf(1);
    const row = at(rows, 1);
    const whole = canonicalJson({
      v: 1,
      id: row.id,
      prevHash: row.prevHash,
      entry: JSON.parse(row.body) as Canonical,
    });
    expect(row.hash).toBe(sha256Hex(whole));
  });

  it('calls a body rewritten in a non-canonical form edited', () => {
    const { rows } = chainOf(1);
    const row = at(rows, 1);
    expect(rowProblem({ ...row, body: JSON.stringify(JSON.parse(row.body), null, 2) })).toBe(
      'its content no longer matches its hash',
    );
  });

  it('notices an indexed column that no longer matches the body', () => {
    const { rows } = chainOf(1);
    expect(rowProblem({ ...at(rows, 1), app: 'shop/other' })).toBe(
      'its app column differs from its body',
    );
  });
});

describe('verifyChain', () => {
  it('calls an untouched chain intact and reports its head', async () => {
    const { rows, head } = chainOf();
    expect(await verifyChain(source(rows, head))).toEqual({
      kind: 'intact',
      records: 5,
      head: head.hash,
    });
  });

  it('calls an empty ledger intact', async () => {
    expect(await verifyChain(source([], { seq: 0, hash: genesisHash }))).toEqual({
      kind: 'intact',
      records: 0,
      head: genesisHash,
    });
  });

  it('names an edited record', async () => {
    const { rows, head } = chainOf();
    const r3 = at(rows, 3);
    r3.body = r3.body.replace('rev-3', 'rev-X');
    expect(await verifyChain(source(rows, head))).toMatchObject({
      kind: 'broken',
      problem: 'edited',
      atSeq: 3,
      recordId: r3.id,
      checked: 2,
    });
  });

  it('names a record that was edited and hashed again, by the link after it', async () => {
    const { rows, head } = chainOf();
    const r3 = at(rows, 3);
    const forged = { ...entry(3), actor: 'someone-else' };
    Object.assign(r3, sealRow(forged, { seq: 2, hash: r3.prevHash }), { id: r3.id });
    r3.hash = recordHash(r3.id, r3.prevHash, forged);
    expect(await verifyChain(source(rows, head))).toMatchObject({
      problem: 'edited',
      atSeq: 3,
      recordId: r3.id,
    });
  });

  it('names the record after a deleted one', async () => {
    const { rows, head } = chainOf();
    const kept = rows.filter((r) => r.seq !== 3);
    expect(await verifyChain(source(kept, head))).toMatchObject({
      problem: 'deleted',
      atSeq: 4,
      recordId: at(rows, 4).id,
    });
  });

  it('notices the last records deleted through the head', async () => {
    const { rows, head } = chainOf();
    expect(await verifyChain(source(rows.slice(0, 3), head))).toMatchObject({
      problem: 'deleted',
      atSeq: 3,
      recordId: at(rows, 3).id,
    });
  });

  it('names a forged record inserted with a correct hash', async () => {
    const { rows, head } = chainOf();
    for (const r of rows) if (r.seq >= 3) r.seq += 1;
    const forged = sealRow(entry(9), { seq: 2, hash: at(rows, 2).hash });
    expect(await verifyChain(source([...rows, forged], head))).toMatchObject({
      problem: 'inserted',
      atSeq: 3,
      recordId: forged.id,
    });
  });

  it('names a forged record whose hash is wrong', async () => {
    const { rows, head } = chainOf();
    for (const r of rows) if (r.seq >= 3) r.seq += 1;
    const forged = { ...sealRow(entry(9), { seq: 2, hash: genesisHash }), hash: 'f'.repeat(64) };
    expect(await verifyChain(source([...rows, forged], head))).toMatchObject({
      problem: 'inserted',
      atSeq: 3,
      recordId: forged.id,
    });
  });

  it('names a record appended behind the ledger head', async () => {
    const { rows, head } = chainOf();
    const forged = sealRow(entry(9), head);
    expect(await verifyChain(source([...rows, forged], head))).toMatchObject({
      problem: 'inserted',
      atSeq: 6,
      recordId: forged.id,
    });
  });

  it('names the first of two swapped records', async () => {
    const { rows, head } = chainOf();
    const r2 = at(rows, 2);
    const r4 = at(rows, 4);
    r2.seq = 4;
    r4.seq = 2;
    expect(await verifyChain(source(rows, head))).toMatchObject({
      problem: 'reordered',
      atSeq: 2,
      recordId: r4.id,
    });
  });

  it('names two adjacent swapped records as reordered, not inserted', async () => {
    const { rows, head } = chainOf();
    const r2 = at(rows, 2);
    const r3 = at(rows, 3);
    r2.seq = 3;
    r3.seq = 2;
    expect(await verifyChain(source(rows, head))).toMatchObject({
      problem: 'reordered',
      atSeq: 2,
      recordId: r3.id,
    });
  });

  it('names the missing seqs when records were deleted and the rest chained over the hole', async () => {
    const { rows } = chainOf();
    const kept = rows.filter((r) => r.seq !== 3 && r.seq !== 4);
    const five = at(rows, 5);
    Object.assign(five, sealRow(entry(5), at(rows, 2)), { seq: 5 });
    expect(await verifyChain(source(kept, { seq: 5, hash: five.hash }))).toMatchObject({
      problem: 'deleted',
      atSeq: 5,
      recordId: five.id,
      detail: expect.stringMatching(
        /^records 3\.\.4 missing: record .* at seq 5 links straight to seq 2/,
      ) as unknown,
    });
  });
});

describe('actorVerified in the hash', () => {
  it('a record written before actorVerified existed still verifies, and setting it changes the hash', async () => {
    const { rows, head } = chainOf(2);
    // chainOf's entries have no actorVerified: they are the old records.
    expect(rows.every((r) => !r.body.includes('actorVerified'))).toBe(true);
    expect(await verifyChain(source(rows, head))).toMatchObject({ kind: 'intact', records: 2 });
    const r2 = at(rows, 2);
    const claimed = recordHash(r2.id, r2.prevHash, { ...entry(2), actorVerified: false });
    const verified = recordHash(r2.id, r2.prevHash, { ...entry(2), actorVerified: true });
    expect(new Set([r2.hash, claimed, verified]).size).toBe(3);
    const upgraded = {
      ...r2,
      body: r2.body.replace('"actor":"user-2"', '"actor":"user-2","actorVerified":true'),
    };
    expect(upgraded.body).toBe(
      canonicalJson({ ...entry(2), actorVerified: true } as unknown as Canonical),
    );
    expect(rowProblem(upgraded)).toBe('its content no longer matches its hash');
  });
});
