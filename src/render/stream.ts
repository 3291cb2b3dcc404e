/**
 * Moves a render's result from a worker to the main thread without one long pause. A single
 * `postMessage` of a 60k-key ConfigMap costs the receiving thread 170-250 ms of structured-clone
 * work in one piece, which is the freeze the worker exists to avoid. Instead the value is
 * flattened into a stream of small chunks, and the receiver rebuilds it a chunk per turn of the
 * event loop, so health checks and other reconciles run between the chunks.
 */

/** One piece of a flattened value: opcodes (transferred, not copied) and the leaves they consume. */
export interface Chunk {
  ops: Int32Array<ArrayBuffer>;
  values: unknown[];
}

/** The next leaf (a string, number, boolean, null, or a rare non-JSON value) is a value. */
const opValue = 0;
/** A plain object of `ops[i + 1]` entries follows, each a key (a value) then its value. */
const opObject = 1;
/** An array of `ops[i + 1]` items follows. */
const opArray = 2;

/** Opcodes per chunk: rebuilding one takes a few milliseconds. */
export const chunkOps = 2048;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Flattens `value` into chunks. Plain objects and arrays are taken apart; anything else (Map,
 * Uint8Array from `!!binary`) travels whole as a leaf, cloned as postMessage would.
 */
export function encodeChunks(value: unknown): Chunk[] {
  const chunks: Chunk[] = [];
  let ops: number[] = [];
  let values: unknown[] = [];
  const flush = (): void => {
    chunks.push({ ops: Int32Array.from(ops), values });
    ops = [];
    values = [];
  };
  // An explicit stack: documents may nest deeper than the call stack allows.
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (Array.isArray(v)) {
      ops.push(opArray, v.length);
      for (let i = v.length - 1; i >= 0; i--) pending.push(v[i]);
    } else if (isPlainObject(v)) {
      const keys = Object.keys(v);
      ops.push(opObject, keys.length);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] ?? '';
        pending.push(v[key], key);
      }
    } else {
      ops.push(opValue);
      values.push(v);
    }
    if (ops.length >= chunkOps) flush();
  }
  if (ops.length > 0 || chunks.length === 0) flush();
  return chunks;
}

interface Frame {
  container: Record<string, unknown> | unknown[];
  remaining: number;
  /** For objects: the key read and waiting for its value. */
  key: string | undefined;
  index: number;
}

/** Rebuilds a value from its chunks, fed in order; `done` once the whole value is back. */
export class ChunkDecoder {
  private readonly stack: Frame[] = [];
  private root: unknown;
  done = false;

  get value(): unknown {
    return this.root;
  }

  push(chunk: Chunk): void {
    let leaf = 0;
    const { ops, values } = chunk;
    for (let i = 0; i < ops.length; i++) {
      if (this.done) throw new Error('the result stream holds more than one value');
      const op = ops[i];
      if (op === opValue) {
        this.place(values[leaf++]);
      } else {
        const count = ops[++i] ?? 0;
        const container: Frame['container'] = op === opArray ? new Array<unknown>(count) : {};
        this.place(container);
        if (count > 0) this.stack.push({ container, remaining: count, key: undefined, index: 0 });
      }
      this.done = this.stack.length === 0;
    }
  }

  /** Puts a value where the stream is: the root, an array's next slot, an object's key or value. */
  private place(v: unknown): void {
    const top = this.stack.at(-1);
    if (top === undefined) {
      this.root = v;
      return;
    }
    if (Array.isArray(top.container)) {
      top.container[top.index++] = v;
    } else if (top.key === undefined) {
      top.key = String(v);
      return;
    } else {
      if (top.key === '__proto__') {
        // A YAML key `__proto__` is data: assigning it would replace the object's prototype.
        Object.defineProperty(top.container, top.key, {
          value: v,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      } else {
        top.container[top.key] = v;
      }
      top.key = undefined;
    }
    if (--top.remaining === 0) this.stack.pop();
  }
}
