import { createServer, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResourceInfo } from './discovery.js';
import { defaultConnectOptions, KubeHttp } from './http.js';
import { WatchManager, type WatchError, type WatchEvent, type WatchHttp } from './watch.js';

const info: ResourceInfo = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  resource: 'configmaps',
  namespaced: true,
  verbs: ['get', 'list', 'watch'],
};

const item = (name: string, rv: string): object => ({
  metadata: {
    name,
    namespace: 'ns',
    resourceVersion: rv,
    labels: { 'ballast.dev/application': 'ns.app' },
  },
});
const line = (type: string, object: object): string => JSON.stringify({ type, object }) + '\n';
const cmEvent = (type: string, name: string, rv: string): string =>
  line(type, { apiVersion: 'v1', kind: 'ConfigMap', ...item(name, rv) });

/** A scripted apiserver: lists and watch streams are served in the order given. */
/** An answer of 429 with this Retry-After, as a throttling apiserver refuses a request. */
type Throttle = { throttle: string };
const isThrottle = (x: object): x is Throttle => 'throttle' in x;

class FakeApiServer {
  readonly requests: URL[] = [];
  /** performance.now() at each request, in the order of `requests`. */
  readonly times: number[] = [];
  lists: ({ rv: string; items: object[] } | Throttle)[] = [];
  watches: ({ lines: string[]; end: 'close' | 'hold' } | Throttle)[] = [];
  private readonly held: ServerResponse[] = [];
  private server: Server | undefined;
  private dir = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      this.requests.push(url);
      this.times.push(performance.now());
      const throttle = (t: Throttle): void => {
        res.writeHead(429, { 'retry-after': t.throttle, 'content-type': 'text/plain' });
        res.end('Too many requests, please try again later.\n');
      };
      if (url.searchParams.get('watch') !== '1') {
        const list = this.lists.shift() ?? { rv: '1', items: [] };
        if (isThrottle(list)) throttle(list);
        else res.end(JSON.stringify({ metadata: { resourceVersion: list.rv }, items: list.items }));
        return;
      }
      const script = this.watches.shift() ?? { lines: [], end: 'hold' };
      if (isThrottle(script)) {
        throttle(script);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      for (const l of script.lines) res.write(l);
      if (script.end === 'close') res.end();
      else this.held.push(res);
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    const { port } = this.server.address() as AddressInfo;
    this.dir = await mkdtemp(join(tmpdir(), 'ballast-watch-'));
    const kubeconfig = join(this.dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'fake',
            cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true },
          },
        ],
        users: [{ name: 'fake', user: {} }],
        contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake' } }],
        'current-context': 'fake',
      }),
    );
    return kubeconfig;
  }

  watchRequests(): URL[] {
    return this.requests.filter((u) => u.searchParams.get('watch') === '1');
  }

  async stop(): Promise<void> {
    for (const r of this.held) r.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((r) =>
      this.server?.close(() => {
        r();
      }),
    );
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function until(what: string, check: () => boolean, withinMs = 3_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('WatchManager', () => {
  let api: FakeApiServer;
  let http: KubeHttp;
  let server: string;
  // KubeHttp.request speaks TLS only, so plain fetch stands in for lists; the watch streams
  // go through the real KubeHttp.stream.
  const client = (): WatchHttp => ({
    request: async (method, path) => {
      const r = await fetch(server + path, { method });
      const retryAfter = r.headers.get('retry-after');
      return { status: r.status, body: await r.text(), ...(retryAfter ? { retryAfter } : {}) };
    },
    stream: (path, onLine, opts) => http.stream(path, onLine, opts),
  });
  const events: WatchEvent[] = [];
  const errors: WatchError[] = [];
  const seen = (): string[][] =>
    events.map((e) => [
      e.type,
      e.object.metadata.name,
      e.origin,
      String(e.object.metadata.resourceVersion),
    ]);

  beforeEach(async () => {
    events.length = 0;
    errors.length = 0;
    api = new FakeApiServer();
    http = KubeHttp.connect({ ...defaultConnectOptions(), kubeconfig: await api.start() });
    server = http.server;
  });
  afterEach(async () => {
    http.close();
    await api.stop();
  });

  const manager = (): WatchManager =>
    new WatchManager(client(), {
      onEvent: (e) => {
        events.push(e);
        if (e.object.metadata.name === 'explosive') throw new Error('handler bug');
      },
      onError: (e) => errors.push(e),
      random: () => 0,
    });

  it('sends a field selector, when given one, on both the list and the watch; none by default', async () => {
    api.lists = [{ rv: '10', items: [] }];
    api.watches = [{ lines: [], end: 'hold' }];
    const wm = new WatchManager(client(), {
      labelSelector: '',
      fieldSelector: 'metadata.name=ballast-agent',
      onError: (e) => errors.push(e),
    });
    await wm.ensure(info);
    await until('the watch', () => api.watchRequests().length === 1);
    await wm.stop();
    expect(api.requests.map((u) => u.searchParams.get('fieldSelector'))).toEqual([
      'metadata.name=ballast-agent',
      'metadata.name=ballast-agent',
    ]);
    const plain = manager();
    await plain.ensure(info);
    await until('the second watch', () => api.watchRequests().length === 2);
    await plain.stop();
    expect(api.requests.slice(2).map((u) => u.searchParams.has('fieldSelector'))).toEqual([
      false,
      false,
    ]);
  });

  it('lists with the tracking selector, then rewatches from the last version after a clean timeout', async () => {
    api.lists = [{ rv: '10', items: [item('a', '5')] }];
    api.watches = [
      {
        lines: [cmEvent('MODIFIED', 'a', '11'), cmEvent('ADDED', 'explosive', '12')],
        end: 'close',
      },
      {
        lines: [
          cmEvent('MODIFIED', 'a', '11'),
          line('BOOKMARK', { metadata: { resourceVersion: '13' } }),
        ],
        end: 'close',
      },
      { lines: [], end: 'hold' },
    ];
    const wm = manager();
    await wm.ensure(info);
    await until('the third watch', () => api.watchRequests().length === 3);
    await wm.stop();

    const list = api.requests[0];
    expect(list?.pathname).toBe('/api/v1/configmaps');
    expect(list?.searchParams.get('labelSelector')).toBe('ballast.dev/application');
    const watches = api.watchRequests();
    expect(watches.map((u) => u.searchParams.get('resourceVersion'))).toEqual(['10', '12', '13']);
    expect(watches[0]?.searchParams.get('allowWatchBookmarks')).toBe('true');
    expect(watches[0]?.searchParams.get('timeoutSeconds')).toBe('300');
    expect(api.requests.length - watches.length).toBe(1);
    // The repeat of a@11 is not reported again.
    expect(seen()).toEqual([
      ['ADDED', 'a', 'relist', '5'],
      ['MODIFIED', 'a', 'watch', '11'],
      ['ADDED', 'explosive', 'watch', '12'],
    ]);
    expect(events[0]?.object.apiVersion).toBe('v1');
    expect(errors.map((e) => e.phase)).toEqual(['handler']);
    expect(wm.cachedObjects()).toBe(2);
    expect(wm.count()).toBe(1);
  });

  it('relists on 410 Gone and reports only what changed meanwhile', async () => {
    api.lists = [
      { rv: '10', items: [item('a', '5'), item('b', '6'), item('c', '7')] },
      { rv: '20', items: [item('a', '15'), item('c', '7')] },
    ];
    const gone = {
      kind: 'Status',
      code: 410,
      reason: 'Expired',
      message: 'too old resource version',
    };
    api.watches = [
      { lines: [line('ERROR', gone)], end: 'close' },
      { lines: [], end: 'hold' },
    ];
    const wm = manager();
    await wm.ensure(info);
    await until('the second watch', () => api.watchRequests().length === 2);
    await wm.stop();

    expect(api.watchRequests().map((u) => u.searchParams.get('resourceVersion'))).toEqual([
      '10',
      '20',
    ]);
    expect(seen().slice(3)).toEqual([
      ['MODIFIED', 'a', 'relist', '15'],
      ['DELETED', 'b', 'relist', '6'],
    ]);
    // Expiry is routine, not an error.
    expect(errors).toEqual([]);
    expect(wm.cachedObjects()).toBe(2);
  });

  it('waits out the Retry-After of a throttled list, and resumes a throttled watch from the same version after its Retry-After, without a relist', async () => {
    api.lists = [{ throttle: '1' }, { rv: '10', items: [item('a', '5')] }];
    api.watches = [{ throttle: '1' }, { lines: [], end: 'hold' }];
    // The backoff alone would try again after 100 ms.
    const wm = manager();
    await wm.ensure(info);
    await until('the second watch', () => api.watchRequests().length === 2, 10_000);
    await wm.stop();

    expect(api.requests.map((u) => u.searchParams.get('watch') ?? 'list')).toEqual([
      'list',
      'list',
      '1',
      '1',
    ]);
    const [list429 = 0, list = 0, watch429 = 0, watch = 0] = api.times;
    expect(list - list429).toBeGreaterThanOrEqual(1_000);
    expect(watch - watch429).toBeGreaterThanOrEqual(1_000);
    expect(api.watchRequests().map((u) => u.searchParams.get('resourceVersion'))).toEqual([
      '10',
      '10',
    ]);
    expect(errors.map((e) => e.phase)).toEqual(['list', 'watch']);
    expect(errors[0]?.message).toMatch(/429/);
    expect(seen()).toEqual([['ADDED', 'a', 'relist', '5']]);
  });

  it('refuses a kind without list and watch', async () => {
    await expect(manager().ensure({ ...info, verbs: ['get'] })).rejects.toThrow(
      /no list and watch/,
    );
  });
});
