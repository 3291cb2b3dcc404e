import { entryOf, recordHash } from './chain.js';
import { openCheckpoint, type CheckpointSigner } from './checkpoint.js';
import { LedgerError } from './errors.js';
import { pageSize } from './rows.js';
import { Serializer } from './serial.js';
import {
  genesisHash,
  type Ledger,
  type LedgerRecord,
  type ListQuery,
  type NewEntry,
  type SignedCheckpoint,
  type VerifyResult,
} from './types.js';

export interface CheckpointOptions {
  /** Sign a checkpoint once this many records are unsigned. */
  every: number;
  /** Sign unsigned records at least this often, in milliseconds. */
  intervalMs: number;
}

export function defaultCheckpointOptions(): CheckpointOptions {
  return { every: 100, intervalMs: 60_000 };
}

/** Where the newest checkpoint is published outside the database, e.g. a ConfigMap. */
export interface CheckpointPublisher {
  /** Names the place in messages, e.g. `ConfigMap ballast-system/ballast-ledger-checkpoint`. */
  readonly where: string;
  publish(checkpoint: SignedCheckpoint): Promise<void>;
}

export interface CheckpointingDeps {
  signer: CheckpointSigner;
  publisher?: CheckpointPublisher;
  /**
   * A checkpoint that could not be signed, stored or published. Appends go on: a ledger that
   * cannot sign must not stop reconciling, and verify will report the unsigned records.
   */
  onError: (error: LedgerError) => void;
}

interface Signed {
  seq: number;
  hash: string;
}

/**
 * A ledger that signs a checkpoint of its head every `every` records, every `intervalMs` while
 * records are unsigned, at open and at close. Before signing, it re-checks the records since its
 * last checkpoint, so it never signs a tail someone changed in the database meanwhile.
 */
export class CheckpointingLedger implements Ledger {
  private last: Signed = { seq: 0, hash: genesisHash };
  private unsigned = 0;
  private scheduled = false;
  private readonly work = new Serializer();
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly store: Ledger,
    private readonly deps: CheckpointingDeps,
    private readonly options: CheckpointOptions,
  ) {}

  /** Wraps `store`, signing at once whatever its last checkpoint does not cover. */
  static async open(
    store: Ledger,
    deps: CheckpointingDeps,
    options: CheckpointOptions = defaultCheckpointOptions(),
  ): Promise<CheckpointingLedger> {
    const ledger = new CheckpointingLedger(store, deps, options);
    const mine = (await store.checkpoints()).flatMap((cp) => {
      const o = openCheckpoint(cp, deps.signer.publicKey);
      return o.kind === 'valid' ? [{ cp, payload: o.payload }] : [];
    });
    const newest = mine.at(-1);
    if (newest !== undefined) ledger.last = { seq: newest.payload.seq, hash: newest.payload.hash };
    // A ledger changed while the controller was down is reported, not signed, and not fatal.
    const signed = await ledger.work
      .run(() => ledger.signTail())
      .catch((e: unknown) => {
        ledger.report(e);
        return true;
      });
    // Nothing new to sign: publish the newest checkpoint again, in case the copy outside is gone.
    if (!signed && newest !== undefined) await ledger.publish(newest.cp, newest.payload.seq);
    ledger.timer = setInterval(() => {
      if (ledger.unsigned > 0) ledger.schedule();
    }, options.intervalMs);
    ledger.timer.unref();
    return ledger;
  }

  async append(entry: NewEntry): Promise<LedgerRecord> {
    const record = await this.store.append(entry);
    this.unsigned++;
    if (this.unsigned >= this.options.every) this.schedule();
    return record;
  }

  list(query?: ListQuery): Promise<LedgerRecord[]> {
    return this.store.list(query);
  }

  verify(): Promise<VerifyResult> {
    return this.store.verify();
  }

  saveCheckpoint(checkpoint: SignedCheckpoint, seq: number): Promise<void> {
    return this.store.saveCheckpoint(checkpoint, seq);
  }

  checkpoints(): Promise<SignedCheckpoint[]> {
    return this.store.checkpoints();
  }

  /** Signs, stores and publishes a checkpoint of the head now, if any record is unsigned. */
  async checkpoint(): Promise<void> {
    await this.work.run(() => this.signTail());
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.checkpoint().catch((e: unknown) => {
      this.report(e);
    });
  }

  private report(e: unknown): void {
    this.deps.onError(
      e instanceof LedgerError
        ? e
        : new LedgerError('ledger', 'cannot sign a checkpoint', { cause: e }),
    );
  }

  /** Whether there was a tail to sign (and it was signed). */
  private async signTail(): Promise<boolean> {
    this.scheduled = false;
    const counted = this.unsigned;
    const tail = await this.checkedTail();
    if (tail === undefined) return false;
    const { end, ids } = tail;
    const cp = this.deps.signer.sign({
      seq: end.seq,
      id: end.id,
      hash: end.hash,
      time: new Date().toISOString(),
      every: this.options.every,
      ...(ids.length === end.seq - this.last.seq ? { ids } : {}),
    });
    await this.store.saveCheckpoint(cp, end.seq);
    this.last = { seq: end.seq, hash: end.hash };
    // Only once signed: a failed checkpoint is tried again on the timer and at close.
    this.unsigned = Math.max(0, this.unsigned - counted);
    await this.publish(cp, end.seq);
    return true;
  }

  /** Publishes outside the database; a failure is reported, as the database copy is kept. */
  private async publish(cp: SignedCheckpoint, seq: number): Promise<void> {
    const publisher = this.deps.publisher;
    if (publisher === undefined) return;
    try {
      await publisher.publish(cp);
    } catch (e) {
      this.deps.onError(
        new LedgerError(publisher.where, `cannot publish the checkpoint at seq ${seq}`, {
          cause: e,
        }),
      );
    }
  }

  private changed(detail: string): LedgerError {
    return new LedgerError(
      'ledger',
      `not signing: ${detail}; the database was changed behind the ledger (run ballast audit verify)`,
    );
  }

  /**
   * The records after the last checkpoint, each checked to hash as stored and link to the one
   * before, starting from the signed record itself, which must still be there as signed;
   * undefined when there are none. Ids are kept for the last `every` records only.
   */
  private async checkedTail(): Promise<{ end: LedgerRecord; ids: string[] } | undefined> {
    const signed = this.last;
    if (signed.seq > 0) {
      const [anchor] = await this.store.list({ afterSeq: signed.seq - 1, limit: 1 });
      if (anchor?.seq !== signed.seq || anchor.hash !== signed.hash)
        throw this.changed(`the record signed at seq ${signed.seq} is gone or changed`);
    }
    let prev: Signed = signed;
    let end: LedgerRecord | undefined;
    const ids: string[] = [];
    for (;;) {
      const page = await this.store.list({ afterSeq: prev.seq, limit: pageSize });
      for (const r of page) {
        const sound =
          r.seq === prev.seq + 1 &&
          r.prevHash === prev.hash &&
          recordHash(r.id, r.prevHash, entryOf(r)) === r.hash;
        if (!sound)
          throw this.changed(
            `record ${r.id} at seq ${r.seq} does not follow seq ${prev.seq} as signed at seq ${signed.seq}`,
          );
        prev = r;
        end = r;
        ids.push(r.id);
        if (ids.length > this.options.every) ids.shift();
      }
      if (page.length < pageSize) break;
    }
    return end === undefined ? undefined : { end, ids };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    if (this.unsigned > 0) this.schedule();
    await this.work.idle();
    await this.store.close();
  }
}
