import { rowProblem, type StoredRow } from './chain.js';
import { genesisHash, type TamperKind, type VerifyResult } from './types.js';

/** What the chain walker needs from a store. */
export interface ChainSource {
  /** Every row in seq order, read in pages so a long ledger is never held in memory. */
  rows(): AsyncIterable<StoredRow> | Iterable<StoredRow>;
  /** The seq of a row whose stored hash is `hash`, if any. */
  seqOfHash(hash: string): Promise<number | undefined>;
  /** The head the store wrote with its last append: a second copy of the chain's end. */
  head(): Promise<{ seq: number; hash: string } | undefined>;
}

interface Link {
  seq: number;
  id: string;
  hash: string;
}

const genesis: Link = { seq: 0, id: '', hash: genesisHash };

/** How many recent sound records are kept to name the first of several inserted ones. */
const windowSize = 1024;

class Walk {
  prev: Link = genesis;
  readonly recent: Link[] = [];
  checked = 0;

  accept(row: StoredRow): void {
    this.prev = { seq: row.seq, id: row.id, hash: row.hash };
    this.recent.push(this.prev);
    if (this.recent.length > windowSize) this.recent.shift();
    this.checked++;
  }

  broken(problem: TamperKind, at: Link, detail: string): VerifyResult {
    return {
      kind: 'broken',
      problem,
      atSeq: at.seq,
      ...(at.id === '' ? {} : { recordId: at.id }),
      detail,
      checked: this.checked,
    };
  }

  /** The first record after seq `after` that this walk accepted, else the last one. */
  firstAcceptedAfter(after: number): Link {
    return this.recent.find((l) => l.seq > after) ?? this.prev;
  }
}

/**
 * Walks the chain in seq order and names the first link that does not hold, with the most
 * likely tamper. Each row must hash to its stored hash and link to the row before it; when it
 * does not, where its `prevHash` points tells the kinds apart:
 * - nowhere, with a gap in seq: rows were deleted;
 * - nowhere, without a gap: the row before was rewritten (edited and hashed again);
 * - to a later row: rows were reordered;
 * - to an earlier row: the rows in between were inserted.
 * A row whose content does not match its own hash was edited, unless the next row links past
 * it, in which case it was inserted. The store's head catches changes at the end of the chain.
 */
export async function verifyChain(source: ChainSource): Promise<VerifyResult> {
  const walk = new Walk();
  // Each row is judged once the row after it is known (or known to be absent).
  let pending: StoredRow | undefined;
  for await (const row of source.rows()) {
    if (pending !== undefined) {
      const bad = await judge(walk, pending, row, source);
      if (bad !== undefined) return bad;
      walk.accept(pending);
    }
    pending = row;
  }
  if (pending !== undefined) {
    const bad = await judge(walk, pending, undefined, source);
    if (bad !== undefined) return bad;
    walk.accept(pending);
  }
  return judgeHead(walk, await source.head());
}

async function judge(
  walk: Walk,
  row: StoredRow,
  after: StoredRow | undefined,
  source: ChainSource,
): Promise<VerifyResult | undefined> {
  const { prev } = walk;
  const problem = rowProblem(row);
  const linked = row.prevHash === prev.hash;
  if (problem === undefined && linked) {
    if (row.seq === prev.seq + 1) return undefined;
    // Linked across a gap: someone deleted records and hashed the chain again over the hole.
    return walk.broken(
      'deleted',
      row,
      `${span(prev.seq + 1, row.seq - 1)} missing: record ${row.id} at seq ${row.seq} links straight to seq ${prev.seq}, so the chain was re-linked over them`,
    );
  }
  // The row after links straight to `prev`: this row sits where no record was.
  const skippedBy = after !== undefined && after.prevHash === prev.hash;
  if (problem !== undefined) {
    return skippedBy
      ? walk.broken(
          'inserted',
          row,
          `record ${row.id} is not part of the chain: the record after it links past it`,
        )
      : walk.broken('edited', row, `record ${row.id} was edited: ${problem}`);
  }
  const target = await source.seqOfHash(row.prevHash);
  // Checked before `skippedBy`: two adjacent swapped rows also look skipped.
  if (target !== undefined && target > row.seq) {
    return walk.broken(
      'reordered',
      row,
      `record ${row.id} is out of order: it links to seq ${target}, which comes after it`,
    );
  }
  if (skippedBy) {
    return walk.broken(
      'inserted',
      row,
      `record ${row.id} is not part of the chain: the record after it links past it`,
    );
  }
  if (target === undefined) {
    if (row.seq > prev.seq + 1 || prev.seq === 0) {
      return walk.broken(
        'deleted',
        row,
        `records before ${row.id} (after seq ${prev.seq}) were deleted: it links to a record no longer in the ledger`,
      );
    }
    return walk.broken(
      'edited',
      prev,
      `record ${prev.id} was rewritten: its hash changed after ${row.id} was chained to it`,
    );
  }
  const first = walk.firstAcceptedAfter(target);
  return walk.broken(
    'inserted',
    first,
    `record ${first.id} was inserted: ${row.id} links to seq ${target}, before it`,
  );
}

/** `record 5` or `records 5..9`. */
export function span(from: number, to: number): string {
  return from === to ? `record ${from}` : `records ${from}..${to}`;
}

function judgeHead(walk: Walk, head: { seq: number; hash: string } | undefined): VerifyResult {
  const { prev } = walk;
  if (head === undefined) {
    if (prev.seq === 0) return { kind: 'intact', records: 0, head: genesisHash };
    return walk.broken('deleted', prev, 'the ledger head is missing');
  }
  if (head.seq === prev.seq && head.hash === prev.hash) {
    return { kind: 'intact', records: walk.checked, head: prev.hash };
  }
  if (head.seq > prev.seq) {
    const last = prev.seq === 0 ? 'the start' : `record ${prev.id}`;
    return walk.broken('deleted', prev, `records after ${last} up to seq ${head.seq} were deleted`);
  }
  if (head.seq < prev.seq) {
    const first = walk.firstAcceptedAfter(head.seq);
    return walk.broken(
      'inserted',
      first,
      `record ${first.id} was inserted after the ledger head (seq ${head.seq})`,
    );
  }
  return walk.broken(
    'edited',
    prev,
    `record ${prev.id} was rewritten: it no longer matches the ledger head`,
  );
}
