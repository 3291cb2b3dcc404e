import { parentPort } from 'node:worker_threads';
import { RenderIoError } from './errors.js';
import { renderHere } from './render-here.js';
import { failed, type RenderResult } from './types.js';
import { encodeChunks, type Chunk } from './stream.js';
import { fromWireOptions, toWireResult, type RenderRequest, type WorkerRequest } from './wire.js';

/**
 * A render worker: renders what the pool sends, one request at a time, and streams each
 * result back in chunks (see stream.ts). Parsing a hostile tree costs this thread, never the
 * controller's.
 */
const port = parentPort;
if (port === null) throw new Error('render worker started outside a worker thread');

async function answer(request: RenderRequest): Promise<RenderResult> {
  try {
    return await renderHere(request.source, await fromWireOptions(request.options));
  } catch (e) {
    const file = request.source.path === '' ? '.' : request.source.path;
    return failed(
      new RenderIoError({ file, cause: e }, `rendering failed unexpectedly: ${String(e)}`),
    );
  }
}

/** Chunks of the result being sent; the next goes only when the pool asks for it. */
let sending: { id: number; chunks: Chunk[] } | undefined;

function sendNext(): void {
  const chunk = sending?.chunks.shift();
  if (sending === undefined || chunk === undefined) return;
  const last = sending.chunks.length === 0;
  port?.postMessage({ id: sending.id, chunk, last }, [chunk.ops.buffer]);
  if (last) sending = undefined;
}

port.on('message', (message: WorkerRequest) => {
  if (message.kind === 'next') {
    if (sending?.id === message.id) sendNext();
    return;
  }
  void answer(message.request).then((result) => {
    // One chunk at a time: had every chunk been posted at once, the main thread would
    // deserialize them all in one go, the very pause the chunks exist to avoid.
    sending = { id: message.request.id, chunks: encodeChunks(toWireResult(result)) };
    sendNext();
  });
});
