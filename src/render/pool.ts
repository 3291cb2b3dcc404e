import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { removeThreadScratch } from '../fs/sandbox.js';
import { LimitExceededError, RenderIoError } from './errors.js';
import type { RenderOptions } from './options.js';
import { ChunkDecoder, type Chunk } from './stream.js';
import { failed, type RenderResult, type RenderSource } from './types.js';
import {
  fromWireResult,
  toWireOptions,
  type RenderRequest,
  type WireResult,
  type WorkerRequest,
} from './wire.js';

/** How renders run off the main thread. */
export interface RenderPoolOptions {
  /** Worker threads. Renders beyond this many wait; with two, one slow tree never holds up all. */
  size: number;
  /**
   * Heap of each worker in MiB. A render that needs more (a huge or hostile tree) ends that
   * worker and fails alone; the controller's own heap is untouched. Sized for the installed
   * Pod's 512 MiB limit: a 60k-key ConfigMap needs about 150 MiB to parse.
   */
  maxHeapMb: number;
  /**
   * A render still running this long after it started is ended by terminating its worker.
   * Each tool run has its own, shorter timeout; this bounds the parsing around them.
   */
  renderTimeoutMs: number;
  /** The compiled worker script: by default `worker.js` next to this module. */
  workerUrl: URL;
}

export function defaultRenderPoolOptions(): RenderPoolOptions {
  return { size: 2, maxHeapMb: 256, renderTimeoutMs: 5 * 60_000, workerUrl };
}

interface Task {
  request: RenderRequest;
  plaintextDir: string;
  resolve: (r: RenderResult) => void;
}

interface Slot {
  worker: Worker;
  task: Task | undefined;
  decoder: ChunkDecoder;
  timer: NodeJS.Timeout | undefined;
}

/** The compiled worker next to this module; absent when running from TypeScript sources. */
const workerUrl = new URL('./worker.js', import.meta.url);

let available: boolean | undefined;

export function workerAvailable(): boolean {
  available ??= existsSync(fileURLToPath(workerUrl));
  return available;
}

/** A small pool of render workers. Each render gets a whole worker; results stream back in chunks. */
export class RenderPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;

  constructor(private readonly options: RenderPoolOptions = defaultRenderPoolOptions()) {}

  render(source: RenderSource, options: RenderOptions): Promise<RenderResult> {
    return new Promise((resolve) => {
      const request = { id: this.nextId++, source, options: toWireOptions(options) };
      this.queue.push({ request, plaintextDir: options.plaintextDir, resolve });
      this.dispatch();
    });
  }

  /** Ends every worker; renders in flight fail. */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.task === undefined);
      if (slot === undefined && this.slots.length < this.options.size) slot = this.spawn();
      if (slot === undefined) return;
      const task = this.queue.shift();
      if (task === undefined) return;
      this.start(slot, task);
    }
  }

  private start(slot: Slot, task: Task): void {
    slot.task = task;
    slot.decoder = new ChunkDecoder();
    // A busy worker keeps the process alive (a CLI awaiting its render); an idle one does not.
    slot.worker.ref();
    slot.timer = setTimeout(() => {
      const ms = this.options.renderTimeoutMs;
      this.fail(slot, `the render did not finish within ${ms} ms and was stopped`, 'limit');
    }, this.options.renderTimeoutMs);
    slot.worker.postMessage({ kind: 'render', request: task.request } satisfies WorkerRequest);
  }

  private spawn(): Slot {
    const worker = new Worker(this.options.workerUrl, {
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxHeapMb },
    });
    const slot: Slot = {
      worker,
      task: undefined,
      decoder: new ChunkDecoder(),
      timer: undefined,
    };
    worker.unref();
    worker.on('message', (m: { id: number; chunk: Chunk }) => {
      // Rebuilt on the next turn of the event loop, so I/O waiting now goes first.
      setImmediate(() => {
        this.receive(slot, m.id, m.chunk);
      });
    });
    worker.on('error', (e: Error & { code?: string }) => {
      const outOfMemory = e.code === 'ERR_WORKER_OUT_OF_MEMORY';
      const heap = this.options.maxHeapMb;
      if (outOfMemory)
        this.fail(slot, `the render needed more than ${heap} MiB of memory`, 'limit');
      else this.fail(slot, `the render worker failed: ${e.message}`, 'io');
    });
    worker.on('exit', () => {
      this.fail(slot, 'the render worker exited', 'io');
    });
    this.slots.push(slot);
    return slot;
  }

  /** Rebuilds one chunk, then asks for the next: one chunk per turn of the event loop. */
  private receive(slot: Slot, id: number, chunk: Chunk): void {
    if (slot.task?.request.id !== id) return;
    slot.decoder.push(chunk);
    if (slot.decoder.done) {
      this.settle(slot, fromWireResult(slot.decoder.value as WireResult));
      return;
    }
    slot.worker.postMessage({ kind: 'next', id } satisfies WorkerRequest);
  }

  private settle(slot: Slot, result: RenderResult): void {
    const task = slot.task;
    if (task === undefined) return;
    clearTimeout(slot.timer);
    slot.task = undefined;
    slot.worker.unref();
    task.resolve(result);
    this.dispatch();
  }

  /**
   * Fails the slot's render and retires its worker. The worker's sandboxes are removed here:
   * it can no longer do so itself, and this live process's directories are never swept.
   */
  private fail(slot: Slot, problem: string, kind: 'limit' | 'io'): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    const task = slot.task;
    const id = slot.worker.threadId;
    void slot.worker.terminate().then(async () => {
      await removeThreadScratch(tmpdir(), id).catch(() => undefined);
      if (task !== undefined) {
        await removeThreadScratch(task.plaintextDir, id).catch(() => undefined);
      }
    });
    if (task !== undefined) {
      const path = task.request.source.path;
      const file = path === '' ? '.' : path;
      const error =
        kind === 'limit'
          ? new LimitExceededError({ file }, problem, 'split the application or fix the tree')
          : new RenderIoError({ file }, problem);
      clearTimeout(slot.timer);
      slot.task = undefined;
      task.resolve(failed(error));
    }
    this.dispatch();
  }
}
