import type { KeyObject } from 'node:crypto';
import { keyIdOf, openCheckpoint } from './checkpoint.js';
import {
  genesisHash,
  type CheckpointPayload,
  type Ledger,
  type SignedCheckpoint,
  type TamperKind,
  type VerifyResult,
} from './types.js';
import { span } from './verify.js';

export interface SignedVerifyOptions {
  /**
   * The checkpoint published outside the database (a ConfigMap or a file). Only it catches a
   * truncated tail whose checkpoints were deleted with it.
   */
  published?: SignedCheckpoint;
}

export function defaultSignedVerifyOptions(): SignedVerifyOptions {
  return {};
}

type Broken = Extract<VerifyResult, { kind: 'broken' }>;

interface Checked {
  payload: CheckpointPayload;
  /** `database` or `published`, for messages. */
  where: string;
}

const short = (hash: string): string => hash.slice(0, 12);

function broken(
  problem: TamperKind,
  atSeq: number,
  detail: string,
  checked: number,
  recordId?: string,
): Broken {
  return {
    kind: 'broken',
    problem,
    atSeq,
    ...(recordId === undefined ? {} : { recordId }),
    detail,
    checked,
  };
}

/**
 * The hash chain, then every signed checkpoint against it. Without the private key nobody can
 * make a checkpoint, so deleting records and re-chaining the rest, editing one, or cutting the
 * tail off all leave a signed seq and hash that the chain no longer reaches.
 */
export async function verifySigned(
  ledger: Ledger,
  key: KeyObject,
  options: SignedVerifyOptions = defaultSignedVerifyOptions(),
): Promise<VerifyResult> {
  const chain = await ledger.verify();
  if (chain.kind === 'broken') return chain;
  const opened = await openAll(ledger, key, options.published);
  if (!Array.isArray(opened)) return { ...opened, checked: chain.records };
  let good = { seq: 0, hash: genesisHash };
  for (const cp of opened) {
    const bad = await against(ledger, cp, good, chain.records);
    if (bad !== undefined) return bad;
    good = cp.payload;
  }
  const last = opened.at(-1);
  if (last === undefined) {
    if (chain.records === 0) return chain;
    return broken(
      'unsigned',
      1,
      `no signed checkpoint covers the ledger's ${chain.records} records: it was written without --ledger-signing-key, or its checkpoints were deleted`,
      0,
    );
  }
  const tail = chain.records - last.payload.seq;
  if (tail >= last.payload.every) {
    return broken(
      'unsigned',
      last.payload.seq + 1,
      `${span(last.payload.seq + 1, chain.records)} are signed by no checkpoint, though one is signed every ${last.payload.every} records: checkpoints after seq ${last.payload.seq} were deleted`,
      last.payload.seq,
    );
  }
  return {
    ...chain,
    signed: {
      through: last.payload.seq,
      at: last.payload.time,
      keyId: keyIdOf(key),
      unsignedTail: tail,
      checkpoints: opened.length,
    },
  };
}

/** Every checkpoint with its signature checked, in seq order; the first forged one stops it. */
async function openAll(
  ledger: Ledger,
  key: KeyObject,
  published: SignedCheckpoint | undefined,
): Promise<Checked[] | Broken> {
  const all = (await ledger.checkpoints()).map((cp) => ({ cp, where: 'database' }));
  if (published !== undefined) all.push({ cp: published, where: 'published' });
  const out: Checked[] = [];
  for (const { cp, where } of all) {
    const o = openCheckpoint(cp, key);
    if (o.kind === 'invalid') {
      const at = /"seq":(\d+)/.exec(cp.body)?.[1] ?? '?';
      return broken(
        'forged',
        Number(at) || 0,
        `the ${where} checkpoint claiming seq ${at} is not genuine: ${o.problem}`,
        0,
      );
    }
    out.push({ payload: o.payload, where });
  }
  return out.sort((a, b) => a.payload.seq - b.payload.seq);
}

/** Whether the chain still holds, at its seq, the record a checkpoint signed. */
async function against(
  ledger: Ledger,
  cp: Checked,
  good: { seq: number },
  records: number,
): Promise<Broken | undefined> {
  const { seq, hash, time } = cp.payload;
  const [now] = await ledger.list({ afterSeq: seq - 1, limit: 1 });
  if (now?.seq === seq && now.hash === hash) return undefined;
  const signs = `the ${cp.where} checkpoint at seq ${seq} (signed ${time}) signs head ${short(hash)}`;
  const reach =
    now?.seq === seq
      ? `the record there hashes to ${short(now.hash)}`
      : `the chain reaches ${records}`;
  const gap = await firstGap(ledger, cp.payload, good.seq);
  // Records gone only from the end are a cut tail; any gap before it is a deletion.
  if (gap !== undefined && gap.from <= records) {
    const gone = span(gap.from, gap.to);
    return broken('deleted', gap.from, `${gone} missing: ${signs}, ${reach}`, good.seq);
  }
  if (now?.seq !== seq) {
    const gone = span(records + 1, seq);
    return broken('truncated', records + 1, `${gone} missing: ${signs}, ${reach}`, good.seq);
  }
  return broken(
    'rewritten',
    good.seq + 1,
    `${span(good.seq + 1, seq)} were deleted, edited or re-chained: ${signs}, ${reach}`,
    good.seq,
    now.id,
  );
}

/**
 * The first run of signed ids absent from the chain after the last sound checkpoint, as the seqs
 * they were signed at; undefined when the checkpoint lists no ids for that stretch or none is
 * missing (then the records were edited, not deleted).
 */
async function firstGap(
  ledger: Ledger,
  cp: CheckpointPayload,
  goodSeq: number,
): Promise<{ from: number; to: number } | undefined> {
  const ids = cp.ids;
  if (ids === undefined || cp.seq - ids.length !== goodSeq) return undefined;
  // Deleting records moves the signed ones down and inserting moves them up; twice the span
  // holds them after as many insertions as there were records.
  const present = new Set(
    (await ledger.list({ afterSeq: goodSeq, limit: 2 * ids.length })).map((r) => r.id),
  );
  const first = ids.findIndex((id) => !present.has(id));
  if (first < 0) return undefined;
  let last = first;
  while (last + 1 < ids.length && !present.has(ids[last + 1] ?? '')) last++;
  return { from: goodSeq + first + 1, to: goodSeq + last + 1 };
}
