import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { nodeHttp } from '../cluster/node-http.js';
import type { Logger } from './log.js';
import { InvalidOptionsError } from './errors.js';
import {
  DeliveryLog,
  deliveryKeys,
  maxBodyBytes,
  parseWebhook,
  type DeliveryLogOptions,
  type WebhookProvider,
} from './webhook.js';

export interface ControllerHttpOptions {
  /** 0: any free port. */
  port: number;
  host: string;
  /** Shared secret of the webhook receiver; the hooks answer 404 without one. Never empty. */
  webhookSecret: string | undefined;
  /** How replayed deliveries are remembered; defaultDeliveryLogOptions() when unset. */
  deliveries?: DeliveryLogOptions;
  logger: Logger;
  /** /readyz answers 200 only while this is true: the leader, reconciling. */
  ready: () => boolean;
  scrape: () => Promise<{ contentType: string; body: string }>;
  /** A verified push for these repositories; returns the keys it queued. */
  onPush: (repoUrls: readonly string[]) => string[];
  /** Other routes (the UI of `controller --ui`): true when it took the request. */
  routes?: HttpRoutes | undefined;
}

/** A handler of further routes on the controller's server; false leaves the request unanswered. */
export type HttpRoutes = (req: IncomingMessage, res: ServerResponse) => boolean;

const providers: readonly string[] = ['github', 'gitlab', 'gitea', 'generic'];

/** The controller's HTTP server: /healthz, /readyz, /metrics, the webhook receiver, and `routes`. */
export class ControllerHttp {
  private readonly server: Server;
  private readonly deliveries: DeliveryLog;

  private constructor(private readonly opts: ControllerHttpOptions) {
    this.deliveries = new DeliveryLog(opts.deliveries);
    this.server = nodeHttp.createServer((req, res) => {
      if (req.method === 'POST' && req.url?.startsWith('/hooks/') === true) {
        this.onWebhook(req, res);
        return;
      }
      if (req.url === '/healthz') res.writeHead(200).end('ok\n');
      else if (req.url === '/readyz')
        res.writeHead(opts.ready() ? 200 : 503).end(opts.ready() ? 'ok\n' : 'starting\n');
      else if (req.url === '/metrics') this.serveMetrics(res);
      else if (opts.routes?.(req, res) !== true) res.writeHead(404).end();
    });
  }

  /** Listens, resolving with the port; a port in use rejects instead of throwing later. */
  static async start(opts: ControllerHttpOptions): Promise<{ http: ControllerHttp; port: number }> {
    // GitLab's check would pass a request with no token, and an HMAC keyed with '' is no proof.
    if (opts.webhookSecret?.trim() === '')
      throw new InvalidOptionsError('webhookSecret', 'is empty; give a random secret or none');
    const http = new ControllerHttp(opts);
    const server = http.server;
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        const a = server.address();
        resolve(typeof a === 'object' && a !== null ? a.port : opts.port);
      });
    });
    return { http, port };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }

  private serveMetrics(res: ServerResponse): void {
    this.opts.scrape().then(
      (m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body),
      (e: unknown) => res.writeHead(500).end(`${String(e)}\n`),
    );
  }

  /** 413 with `Connection: close`: Node then closes the socket instead of reading on. */
  private tooLarge(provider: string, res: ServerResponse): void {
    const reason = `body over ${String(maxBodyBytes)} bytes`;
    this.opts.logger.info({ provider, result: 'too-large', reason }, 'webhook refused');
    res
      .writeHead(413, { 'content-type': 'application/json', connection: 'close' })
      .end(JSON.stringify({ result: 'too-large', reason }));
  }

  /**
   * A push notification: every Application on that repository is queued now. Many pushes
   * for one repository collapse into one queued reconcile per Application.
   */
  private onWebhook(req: IncomingMessage, res: ServerResponse): void {
    const provider = (req.url ?? '').slice('/hooks/'.length) as WebhookProvider;
    const secret = this.opts.webhookSecret;
    if (secret === undefined || !providers.includes(provider)) {
      res.writeHead(404).end();
      return;
    }
    // Refused from its Content-Length before a byte of the body is read, or once a chunked
    // body passes the limit: reading it whole first would let anyone hold memory and a socket.
    const announced = Number(req.headers['content-length'] ?? 0);
    if (announced > maxBodyBytes) {
      this.tooLarge(provider, res);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= maxBodyBytes) chunks.push(c);
      else if (!res.headersSent) {
        req.pause();
        this.tooLarge(provider, res);
      }
    });
    req.on('end', () => {
      if (size > maxBodyBytes) return;
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]),
      );
      const body = Buffer.concat(chunks);
      const r = parseWebhook(provider, headers, body, secret);
      const log = this.opts.logger;
      if (r.kind !== 'push') {
        log.info({ provider, result: r.kind, reason: r.reason }, 'webhook refused');
        const code = r.kind === 'unauthorized' ? 401 : r.kind === 'ignored' ? 202 : 400;
        res
          .writeHead(code, { 'content-type': 'application/json' })
          .end(JSON.stringify({ result: r.kind, reason: r.reason }));
        return;
      }
      // A replay is answered 200, as GitHub's "Redeliver" expects of a receiver that already
      // has it: the first delivery queued the reconciles, and each one fetches the newest
      // commit anyway. 202 would claim work was queued; an error would show the hook as failing.
      if (this.deliveries.replayed(deliveryKeys(provider, headers, body))) {
        log.info({ provider, repos: r.repoUrls }, 'webhook: duplicate delivery dropped');
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ result: 'duplicate', reason: 'duplicate delivery' }));
        return;
      }
      const queued = this.opts.onPush(r.repoUrls);
      log.info({ provider, repos: r.repoUrls, queued: queued.length }, 'webhook');
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ queued }));
    });
  }
}
