import { createHmac, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pushWindowMs } from '../../src/reconcile/push-coalesce.js';
import { FaultWorld } from '../support/fault-world.js';
import { eventually } from '../support/kube.js';
import { tempDirs } from '../support/temp.js';

/**
 * Fault suite, scenario 7: a flood on the push webhook. 10,000 GitHub-style deliveries, half
 * signed with a wrong secret, sent over 64 keep-alive sockets to a real `ballast controller`
 * whose one Application follows a repository behind the counting Git proxy. Each step is a
 * promise of docs/reliability.md; the figures it prints are quoted there.
 */
const secret = randomBytes(24).toString('hex');
const sockets = 64;
/** The receiver's limit (webhook.ts), and what the oversized senders announce or stream. */
const limitBytes = 1024 * 1024;
const hugeBytes = 64 * 1024 * 1024;
const temp = tempDirs();
let w: FaultWorld;
let port = 0;
let pid = 0;
let repoURL = '';

interface Sent {
  statuses: Map<number, number>;
  ms: number;
}

/** The controller's RSS now and its high-water mark, in MiB, from /proc/<pid>/status. */
async function memory(): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${String(pid)}/status`, 'utf8');
  const kib = (field: string): number =>
    Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]);
  return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
}

function post(agent: Agent, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/hooks/github', agent, headers },
      (res) => {
        res.resume();
        res.on('end', () => {
          resolve(res.statusCode ?? 0);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A push delivery numbered `n`: a distinct body and delivery ID, signed with `key`. */
function delivery(n: number, key: string): { headers: Record<string, string>; body: string } {
  const body = JSON.stringify({
    ref: 'refs/heads/main',
    after: randomBytes(20).toString('hex'),
    n,
    repository: { clone_url: repoURL },
  });
  const signature = `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': `flood-${String(n)}-${randomBytes(4).toString('hex')}`,
      'x-hub-signature-256': signature,
    },
  };
}

/**
 * Sends `count` deliveries over `sockets` keep-alive sockets, the n-th not before n / `perSecond`
 * seconds (as fast as it goes when `perSecond` is undefined); `forged(n)` picks the bad ones.
 */
async function flood(
  count: number,
  forged: (n: number) => boolean,
  perSecond?: number,
): Promise<Sent> {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const statuses = new Map<number, number>();
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const n = next++;
      const early =
        perSecond === undefined ? 0 : started + (n * 1000) / perSecond - performance.now();
      if (early > 0) await new Promise((resolve) => setTimeout(resolve, early));
      const d = delivery(n, forged(n) ? `not-${secret}` : secret);
      const code = await post(agent, d.headers, d.body);
      statuses.set(code, (statuses.get(code) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: sockets }, worker));
  agent.destroy();
  return { statuses, ms: performance.now() - started };
}

/** Samples the controller's RSS and /healthz latency until `until` settles. */
async function watchWhile<T>(
  until: Promise<T>,
): Promise<{ result: T; peakRss: number; healthz: number[]; worstHealthzMs: number }> {
  const state = { done: false };
  let peakRss = 0;
  const healthz: number[] = [];
  let worst = 0;
  const sampler = (async () => {
    while (!state.done) {
      peakRss = Math.max(peakRss, (await memory()).rss);
      const asked = performance.now();
      const r = await fetch(`http://127.0.0.1:${String(port)}/healthz`);
      healthz.push(r.status);
      worst = Math.max(worst, performance.now() - asked);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const result = await until.finally(() => {
    state.done = true;
  });
  await sampler;
  return { result, peakRss, healthz, worstHealthzMs: Math.round(worst) };
}

/**
 * Announces (or, chunked, streams) a `hugeBytes` body 64 KiB every 50 ms, and reports what the
 * server did before the body was sent whole: its status, or that it closed the connection.
 */
function slowHugeBody(chunked: boolean): Promise<{ status: number | 'closed'; sentBytes: number }> {
  return new Promise((resolve) => {
    const d = delivery(0, secret);
    const headers: Record<string, string> = { ...d.headers };
    if (!chunked) headers['content-length'] = String(hugeBytes);
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/hooks/github',
      headers,
    });
    let sent = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const timer = setInterval(() => {
      if (sent >= hugeBytes) {
        clearInterval(timer);
        req.end();
        return;
      }
      req.write(chunk);
      sent += chunk.length;
    }, 50);
    const settle = (status: number | 'closed'): void => {
      clearInterval(timer);
      req.destroy();
      resolve({ status, sentBytes: sent });
    };
    req.on('response', (res) => {
      settle(res.statusCode ?? 0);
    });
    req.on('error', () => {
      settle('closed');
    });
    req.on('close', () => {
      settle('closed');
    });
  });
}

beforeAll(async () => {
  const dir = await temp.make('ballast-webhook-flood-');
  const secretFile = join(dir, 'hook.secret');
  await writeFile(secretFile, secret, { mode: 0o600 });
  w = new FaultWorld(inject('controlPlane').clusters[0]?.kubeconfig ?? '');
  await w.start(['--webhook-secret-file', secretFile]);
  const sha = await w.push(['alpha'], 'one');
  // A long interval: every fetch the proxy counts during the flood is one a webhook caused.
  await w.createApp('alpha', '10m');
  repoURL = (await w.app('alpha'))?.spec.source.repoURL ?? '';
  await eventually('alpha is Synced at the first commit', 90_000, () =>
    w.syncedAt('alpha', sha, 'one'),
  );
  const serving = (await w.controller.lines()).find(
    (l) => l.msg === 'serving /healthz, /readyz and /metrics',
  );
  port = Number(serving?.port);
  pid = Number(serving?.pid);
});

afterAll(async () => {
  await w.close();
  await temp.removeAll();
});

describe('a flood on the push webhook', () => {
  it('5,000 deliveries with bad signatures are all refused with 401 and cost no fetch', async () => {
    w.proxy.resetCounts();
    const sent = await flood(5_000, () => true);
    console.log(
      `faults: 5,000 forged deliveries in ${Math.round(sent.ms)} ms (${Math.round(5_000 / (sent.ms / 1000))}/s); fetches at the Git proxy: ${String(w.proxy.counts.fetches)}`,
    );
    expect([...sent.statuses]).toEqual([[401, 5_000]]);
    expect(w.proxy.counts.fetches).toBe(0);
    expect(w.proxy.counts.accepted).toBe(0);
  });

  it('10,000 deliveries, half forged: the good ones for one repo collapse to a few fetches, RSS stays bounded, /healthz answers and a scaled Deployment is reverted meanwhile', async () => {
    const before = await memory();
    w.proxy.resetCounts();
    const second = await w.push(['alpha'], 'two');
    const sending = flood(10_000, (n) => n % 2 === 1, 1_000);
    // Drift during the flood: scaled once, and the controller puts it back.
    const healing = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await w.kubectl('scale', 'deployment', 'alpha-web', '--replicas=5');
      const scaled = performance.now();
      await eventually('the scaled Deployment is back at 2 replicas', 30_000, async () => {
        return (await w.replicas('alpha')) === 2;
      });
      return { ms: Math.round(performance.now() - scaled), at: performance.now() };
    })();
    const seen = await watchWhile(sending);
    const floodEnded = performance.now();
    const healed = await healing;
    const after = await memory();
    const sent = seen.result;
    console.log(
      `faults: 10,000 deliveries (half forged) in ${Math.round(sent.ms)} ms (${Math.round(10_000 / (sent.ms / 1000))}/s) over ${String(sockets)} sockets; answers ${JSON.stringify([...sent.statuses])}; fetches at the Git proxy: ${String(w.proxy.counts.fetches)}`,
    );
    console.log(
      `faults: controller RSS ${before.rss.toFixed(0)} MiB before, peak sampled ${seen.peakRss.toFixed(0)} MiB, VmHWM ${after.hwm.toFixed(0)} MiB; /healthz ${String(seen.healthz.length)} probes, worst ${String(seen.worstHealthzMs)} ms; kubectl scale reverted in ${String(healed.ms)} ms, ${String(Math.round(floodEnded - healed.at))} ms before the flood ended`,
    );
    expect(sent.statuses.get(401)).toBe(5_000);
    expect(sent.statuses.get(202)).toBe(5_000);
    expect(w.proxy.counts.fetches).toBeGreaterThanOrEqual(1);
    // Pushes queue an Application at most once per 2 s (pushWindowMs): one fetch at once, then
    // at most one per window while the flood lasts. (Before, back to back: 8 in 5.7 s.)
    expect(w.proxy.counts.fetches).toBeLessThanOrEqual(2 + sent.ms / pushWindowMs);
    expect(after.hwm).toBeLessThan(before.rss + 100);
    expect(seen.healthz.every((s) => s === 200)).toBe(true);
    expect(seen.worstHealthzMs).toBeLessThan(5_000);
    // Healed while the flood still ran, not after it.
    expect(healed.at).toBeLessThan(floodEnded);
    await eventually('alpha is Synced at the pushed commit', 30_000, () =>
      w.syncedAt('alpha', second, 'two'),
    );
    expect(w.controller.alive()).toBe(true);
  });

  it('a body announced over the limit is refused with 413 before it is sent, let alone read', async () => {
    const r = await slowHugeBody(false);
    console.log(
      `faults: Content-Length ${String(hugeBytes)}: ${String(r.status)} after ${String(r.sentBytes)} bytes sent`,
    );
    expect(r.status).toBe(413);
    expect(r.sentBytes).toBeLessThan(limitBytes);
  });

  it('a chunked body that grows over the limit is refused with 413 once past it, not read whole', async () => {
    const r = await slowHugeBody(true);
    console.log(
      `faults: chunked ${String(hugeBytes)}: ${String(r.status)} after ${String(r.sentBytes)} bytes sent`,
    );
    expect(r.status).toBe(413);
    expect(r.sentBytes).toBeLessThan(4 * limitBytes);
    expect(w.controller.alive()).toBe(true);
  });
});
