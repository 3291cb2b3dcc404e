import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConnectOptions, KubeHttp, type ConnectOptions } from './http.js';

/** An apiserver that answers 429 with `retryAfter` to the first `throttled` requests, then 200. */
class ThrottlingServer {
  /** performance.now() at each request. */
  readonly times: number[] = [];
  throttled = 0;
  retryAfter: string | undefined = '1';
  private server: Server | undefined;
  private dir = '';

  async start(): Promise<string> {
    this.server = createServer((_req, res) => {
      this.times.push(performance.now());
      if (this.times.length <= this.throttled) {
        const headers = this.retryAfter === undefined ? {} : { 'retry-after': this.retryAfter };
        res.writeHead(429, { ...headers, 'content-type': 'text/plain' });
        res.end('Too many requests, please try again later.\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"kind":"ConfigMap"}');
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    const { port } = this.server.address() as AddressInfo;
    this.dir = await mkdtemp(join(tmpdir(), 'ballast-http-'));
    const kubeconfig = join(this.dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'fake', cluster: { server: `http://127.0.0.1:${port}` } }],
        users: [{ name: 'fake', user: {} }],
        contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake' } }],
        'current-context': 'fake',
      }),
    );
    return kubeconfig;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) =>
      this.server?.close(() => {
        r();
      }),
    );
    await rm(this.dir, { recursive: true, force: true });
  }
}

describe('KubeHttp.request, when the apiserver throttles', () => {
  let api: ThrottlingServer;
  let kubeconfig: string;
  const clients: KubeHttp[] = [];
  const client = (opts: Partial<ConnectOptions> = {}): KubeHttp => {
    const http = KubeHttp.connect({ ...defaultConnectOptions(), kubeconfig, ...opts });
    clients.push(http);
    return http;
  };

  beforeEach(async () => {
    api = new ThrottlingServer();
    kubeconfig = await api.start();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await api.stop();
  });

  it('sends a request answered 429 again no sooner than its Retry-After, and returns the answer that follows', async () => {
    api.throttled = 2;
    const r = await client().request('PATCH', '/api/v1/namespaces/a/configmaps/b', '{}');
    expect(r.status).toBe(200);
    expect(api.times).toHaveLength(3);
    const [first = 0, second = 0, third = 0] = api.times;
    expect(second - first).toBeGreaterThanOrEqual(1_000);
    expect(third - second).toBeGreaterThanOrEqual(1_000);
  });

  it('returns the 429 to the caller after throttleRetries sends', async () => {
    api.throttled = 10;
    const r = await client({ throttleRetries: 1 }).request('GET', '/api/v1/namespaces');
    expect(r.status).toBe(429);
    expect(r.retryAfter).toBe('1');
    expect(api.times).toHaveLength(2);
  });

  it('leaves a 429 without Retry-After, or asking for longer than throttleMaxWaitMs, to the caller at once', async () => {
    api.throttled = 10;
    api.retryAfter = undefined;
    expect((await client().request('GET', '/api')).status).toBe(429);
    api.retryAfter = '30';
    expect((await client().request('GET', '/api')).status).toBe(429);
    expect(api.times).toHaveLength(2);
  });
});

describe('KubeHttp.urgent, while the first lane has spent its rate limit', () => {
  let api: ThrottlingServer;
  let http: KubeHttp;

  beforeEach(async () => {
    api = new ThrottlingServer();
    const kubeconfig = await api.start();
    // One request a second: a resync that has used it up makes the next one wait about 1 s.
    http = KubeHttp.connect({ ...defaultConnectOptions(), kubeconfig, qps: 1, burst: 1 });
  });
  afterEach(async () => {
    http.close();
    await api.stop();
  });

  it('answers a heal before the bulk request waiting behind the spent limit', async () => {
    await http.request('GET', '/api/v1/namespaces/a/configmaps/first');
    const answered: string[] = [];
    const bulk = http.request('GET', '/api/v1/namespaces/a/configmaps/second').then((r) => {
      answered.push('bulk');
      return r;
    });
    const heal = await http.urgent().request('PATCH', '/api/v1/namespaces/a/configmaps/b', '{}');
    answered.push('heal');
    expect(heal.status).toBe(200);
    expect((await bulk).status).toBe(200);
    expect(answered).toEqual(['heal', 'bulk']);
    expect(http.urgent()).toBe(http.urgent());
    expect(http.urgent().urgent()).toBe(http.urgent());
  });
});
