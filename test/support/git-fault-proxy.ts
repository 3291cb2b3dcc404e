import {
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What the proxy does to the requests it gets:
 * - `pass`: forwards them to the real Git server;
 * - `hang`: reads the request and never answers, as a server whose backend is stuck;
 * - `truncate-pack` / `corrupt-pack`: forwards, but cuts the upload-pack answer in half, or
 *   flips bytes inside the pack it carries (its checksum no longer matches).
 */
export type ProxyMode = 'pass' | 'hang' | 'truncate-pack' | 'corrupt-pack';

/** Connections seen since the last reset: how many fetches reached the "server", and at once. */
export interface ProxyCounts {
  /** Connections accepted. */
  accepted: number;
  /** The most connections open at once. */
  peak: number;
  /** Upload-pack answers truncated or corrupted. */
  tampered: number;
  /** Fetches begun: upload-pack ref advertisements asked for (`GET …/info/refs`). */
  fetches: number;
}

/**
 * A loopback HTTP proxy in front of the test's real Git server (git http-backend), which a test
 * switches between serving, hanging, corrupting and being down. Down is real: the listening
 * socket is closed, so a client gets ECONNREFUSED; up listens on the same port again.
 */
export interface GitFaultProxy {
  /** The proxy's base URL, e.g. `http://127.0.0.1:41234`; repos keep their paths. */
  base: string;
  /** `upstream`'s URL of a repository, with the proxy's host and port instead. */
  url: (upstream: string) => string;
  mode: ProxyMode;
  counts: ProxyCounts;
  resetCounts: () => void;
  /** Closes the listener and every open connection. */
  down: () => Promise<void>;
  /** Listens again on the same port. */
  up: () => Promise<void>;
  stop: () => Promise<void>;
}

/** Flips bytes inside the pack (past its 12-byte header), so index-pack refuses it. */
function corruptPack(body: Buffer): Buffer | undefined {
  const at = body.indexOf('PACK');
  if (at < 0 || body.length < at + 40) return undefined;
  const out = Buffer.from(body);
  for (let i = at + 16; i < at + 24; i += 1) out[i] = (out[i] ?? 0) ^ 0xff;
  return out;
}

export async function startGitFaultProxy(upstreamBase: string): Promise<GitFaultProxy> {
  const upstream = new URL(upstreamBase);
  const sockets = new Set<Socket>();
  const counts: ProxyCounts = { accepted: 0, peak: 0, tampered: 0, fetches: 0 };
  let port = 0;
  const proxy = { mode: 'pass' as ProxyMode };

  const tamper = (req: IncomingMessage, body: Buffer): Buffer | undefined => {
    if (req.method !== 'POST' || !(req.url ?? '').endsWith('/git-upload-pack')) return undefined;
    if (proxy.mode === 'truncate-pack' && body.includes('PACK'))
      return body.subarray(0, Math.floor(body.length / 2));
    if (proxy.mode === 'corrupt-pack') return corruptPack(body);
    return undefined;
  };

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          const changed = tamper(req, body);
          if (changed !== undefined) counts.tampered += 1;
          const sent = changed ?? body;
          const headers = { ...answer.headers, 'content-length': String(sent.length) };
          delete headers['transfer-encoding'];
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(sent);
        });
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  };

  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url ?? '').includes('/info/refs')) counts.fetches += 1;
    if (proxy.mode === 'hang') {
      // Read the request so the client waits for an answer, not for us to read.
      req.resume();
      return;
    }
    forward(req, res);
  });
  server.on('connection', (s: Socket) => {
    counts.accepted += 1;
    sockets.add(s);
    counts.peak = Math.max(counts.peak, sockets.size);
    s.on('close', () => sockets.delete(s));
  });
  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => {
        resolve();
      });
    });
  await listen();
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    url: (u) => {
      const parsed = new URL(u);
      return `${base}${parsed.pathname}`;
    },
    get mode() {
      return proxy.mode;
    },
    set mode(m: ProxyMode) {
      proxy.mode = m;
    },
    counts,
    resetCounts: () => {
      counts.accepted = 0;
      counts.tampered = 0;
      counts.fetches = 0;
      counts.peak = sockets.size;
    },
    down: close,
    up: listen,
    stop: close,
  };
}
