import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiServerUnreachableError, KubeApiError } from '../../cluster/errors.js';
import { WatchError } from '../../cluster/watch.js';
import { createLogger } from '../../reconcile/log.js';
import { classifyHubError } from './hub.js';
import { HubLink } from './hub-link.js';

/** A logger whose lines' messages are kept in `lines`. */
function messages(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: {
      write: (l: string) => {
        lines.push((JSON.parse(l) as { msg: string }).msg);
      },
    },
  });
  return { lines, logger };
}

const unreachable = new ApiServerUnreachableError('https://hub', 'hub', new Error('ECONNREFUSED'));
const api = (status: number, details?: { kind: string }): KubeApiError =>
  new KubeApiError('Assignments', 'list', status, 'Reason', 'said no', details);

describe('classifyHubError', () => {
  it('tells a lost hub from a deregistered cluster, also inside a watch error', () => {
    const info = {
      group: 'ballast.dev',
      version: 'v1alpha1',
      kind: 'Assignment',
      resource: 'assignments',
      namespaced: true,
      verbs: ['list', 'watch'],
    };
    const kinds = [
      unreachable,
      api(503),
      api(429),
      api(403),
      api(401),
      api(404, { kind: 'namespaces' }),
      api(404),
      api(422),
      new WatchError(info, 'list', 'failed', { cause: api(403) }),
    ].map((e) => classifyHubError(e).kind);
    expect(kinds).toEqual([
      'unreachable',
      'unreachable',
      'busy',
      'deregistered',
      'deregistered',
      'deregistered',
      'other',
      'other',
      'deregistered',
    ]);
  });
});

describe('HubLink', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('logs one line when the hub is lost and one when it is back, retrying with doubling waits up to the cap', async () => {
    const { lines, logger } = messages();
    const tries: number[] = [];
    let failuresLeft = 5;
    const link = new HubLink({
      logger,
      server: 'https://hub',
      initialMs: 100,
      maxMs: 400,
      reconnect: () => {
        tries.push(Date.now());
        if (failuresLeft-- > 0) return Promise.reject(unreachable);
        return Promise.resolve();
      },
      onDeregistered: () => undefined,
      hubReady: () => Promise.resolve(true),
      beatGraceMs: 0,
    });
    const start = Date.now();
    for (let i = 0; i < 3; i++) link.failed(unreachable);
    expect(link.up).toBe(false);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(link.up).toBe(true);
    expect(tries.map((t) => t - start)).toEqual([100, 300, 700, 1100, 1500, 1900]);
    expect(lines.filter((l) => l.startsWith('lost the hub'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('regained the hub'))).toHaveLength(1);
    link.stop();
  });

  it('backs off from a busy hub without a line, and hands a refusal of the identity to onDeregistered', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: { write: (l: string) => void lines.push(l) },
    });
    const deregistered: string[] = [];
    const link = new HubLink({
      logger,
      server: 'https://hub',
      initialMs: 100,
      maxMs: 400,
      reconnect: () => Promise.reject(api(403)),
      onDeregistered: (m) => void deregistered.push(m),
      hubReady: () => Promise.resolve(true),
      beatGraceMs: 0,
    });
    link.failed(api(429));
    expect(link.up).toBe(false);
    await vi.advanceTimersByTimeAsync(150);
    expect(lines).toEqual([]);
    expect(deregistered).toHaveLength(1);
    link.stop();
  });

  it('takes a refusal from a hub that is not ready (an apiserver starting, its RBAC not loaded) for a lost hub, and goes on retrying', async () => {
    const { lines, logger } = messages();
    const deregistered: string[] = [];
    let ready = false;
    let refusalsLeft = 2;
    const link = new HubLink({
      logger,
      server: 'https://hub',
      initialMs: 100,
      maxMs: 400,
      reconnect: () => (refusalsLeft-- > 0 ? Promise.reject(api(403)) : Promise.resolve()),
      onDeregistered: (m) => void deregistered.push(m),
      hubReady: () => Promise.resolve(ready),
      beatGraceMs: 0,
    });
    link.failed(api(403));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(deregistered).toEqual([]);
    expect(link.up).toBe(true);
    expect(lines.filter((l) => l.startsWith('lost the hub'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('regained the hub'))).toHaveLength(1);

    ready = true;
    link.failed(api(403));
    await vi.advanceTimersByTimeAsync(10);
    expect(deregistered).toHaveLength(1);
    link.stop();
  });

  it('lets a beat whose Lease renewal timed out wait for the next beat while the Lease holds, and loses the hub once it would not', async () => {
    const { lines, logger } = messages();
    let reconnects = 0;
    const link = new HubLink({
      logger,
      server: 'https://hub',
      initialMs: 100,
      maxMs: 400,
      reconnect: () => {
        reconnects++;
        return Promise.resolve();
      },
      onDeregistered: () => undefined,
      hubReady: () => Promise.resolve(true),
      // A 60 s heartbeat timeout with a beat every 20 s.
      beatGraceMs: 40_000,
    });
    const timedOut = new Error('Lease renew: no answer within 10000 ms');
    // The first beat renews; then the hub is busy (429), then too slow to answer.
    const answers: (Error | 'ok')[] = ['ok', api(429), timedOut, 'ok'];
    link.startBeats(() => {
      const answer = answers.shift() ?? timedOut;
      return answer === 'ok' ? Promise.resolve() : Promise.reject(answer);
    }, 20_000);
    await vi.advanceTimersByTimeAsync(40_000);
    // The beat at 40 s failed 20 s after the last renewal: the next beat may still renew.
    expect(link.up).toBe(true);
    await vi.advanceTimersByTimeAsync(20_000);
    // The beat at 60 s failed too, 40 s after the last renewal: the Lease would lapse first.
    expect(link.up).toBe(false);
    expect(lines.filter((l) => l.startsWith('lost the hub'))).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(150);
    expect(reconnects).toBe(1);
    expect(link.up).toBe(true);
    // The reconnect renewed the Lease, so the grace starts again; the beat at 80 s renews.
    await vi.advanceTimersByTimeAsync(20_000);
    expect(link.up).toBe(true);
    link.stop();
  });
});
