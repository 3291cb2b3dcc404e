import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatAppKey, type AppKey } from '../api/app-key.js';
import { ShardDrainTimeoutError, ShardGate } from './shard-gate.js';
import { shardOf } from './shard.js';

const shards = 4;
/** The first key found in `shard`. */
function keyIn(shard: number): AppKey {
  for (let i = 0; ; i++) {
    const key = formatAppKey({ namespace: 'team', name: `app-${i}` });
    if (shardOf(key, shards) === shard) return key;
  }
}

describe('the shard gate', () => {
  const events: string[] = [];
  let gate: ShardGate;

  /** A pass that runs until `finish` is called or its signal aborts. */
  const pass = (name: string) => {
    let finish = (): void => undefined;
    const run = (signal: AbortSignal): Promise<string> =>
      new Promise((resolve) => {
        finish = () => {
          events.push(`${name} finished`);
          resolve('ran');
        };
        signal.addEventListener('abort', () => {
          events.push(`${name} aborted: ${(signal.reason as Error).name}`);
          resolve('aborted');
        });
      });
    return {
      run,
      finish: () => {
        finish();
      },
    };
  };

  beforeEach(() => {
    vi.useFakeTimers();
    events.length = 0;
    gate = new ShardGate({
      shards,
      drainMs: 5_000,
      gained: (s) => events.push(`gained ${s}`),
      dropped: (s) => events.push(`dropped ${s}`),
    });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs a pass only while its shard is held', async () => {
    const key = keyIn(1);
    expect(await gate.run(key, () => Promise.resolve('ran'), 'idle')).toBe('idle');
    gate.start(1, new AbortController().signal);
    expect(gate.owns(key)).toBe(true);
    expect(await gate.run(key, () => Promise.resolve('ran'), 'idle')).toBe('ran');
    expect(gate.owns(keyIn(2))).toBe(false);
    expect(events).toEqual(['gained 1']);
  });

  it('stopping a shard lets in-flight passes finish, starts no new one, and resolves after the last returns', async () => {
    const key = keyIn(2);
    gate.start(2, new AbortController().signal);
    const p = pass('first');
    const running = gate.run(key, p.run, 'idle');
    let stopped = false;
    const stop = gate.stop(2).then(() => (stopped = true));
    expect(await gate.run(key, () => Promise.resolve('ran'), 'idle')).toBe('idle');
    await vi.advanceTimersByTimeAsync(4_000);
    expect(stopped).toBe(false);
    p.finish();
    await stop;
    expect(await running).toBe('ran');
    expect(events).toEqual(['gained 2', 'dropped 2', 'first finished', 'dropped 2']);
  });

  it('aborts passes that outlast the drain, and still waits for them to return', async () => {
    const key = keyIn(3);
    gate.start(3, new AbortController().signal);
    const p = pass('slow');
    const running = gate.run(key, p.run, 'idle');
    const stop = gate.stop(3);
    await vi.advanceTimersByTimeAsync(5_000);
    await stop;
    expect(await running).toBe('aborted');
    expect(events).toContain(`slow aborted: ${ShardDrainTimeoutError.name}`);
  });

  it('a lost Lease aborts every in-flight pass of the shard at once', async () => {
    const lease = new AbortController();
    gate.start(0, lease.signal);
    const p = pass('p');
    const running = gate.run(keyIn(0), p.run, 'idle');
    lease.abort(new Error('lost'));
    expect(await running).toBe('aborted');
    await gate.stop(0);
    expect(gate.held()).toEqual([]);
  });
});
