import { Agent, request, type RequestOptions } from 'node:https';
import { request as plainRequest } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiServerUnreachableError } from './errors.js';

/** How Ballast reaches one apiserver. */
export interface ConnectOptions {
  /** Kubeconfig file; when unset, in-cluster config, else $KUBECONFIG / ~/.kube/config. */
  kubeconfig?: string;
  /** Context in the kubeconfig; the current one when unset. */
  context?: string;
  /** Sustained requests per second (client-side rate limit, like client-go's QPS). */
  qps: number;
  /** Requests allowed above `qps` in a burst. */
  burst: number;
  /** Connections kept open to the apiserver; also the bound on requests in flight. */
  maxSockets: number;
  /** Per-request timeout. */
  requestTimeoutMs: number;
}

export function defaultConnectOptions(): ConnectOptions {
  // Generous: the apiserver's own priority and fairness protects it; this only stops a runaway loop.
  return { qps: 500, burst: 1000, maxSockets: 32, requestTimeoutMs: 30_000 };
}

export interface HttpResponse {
  status: number;
  body: string;
}

/** A token bucket: `qps` tokens a second, at most `burst` saved up. */
class RateLimiter {
  private tokens: number;
  private last = performance.now();
  constructor(
    private readonly qps: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  async take(): Promise<void> {
    for (;;) {
      const now = performance.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await new Promise((r) => setTimeout(r, Math.ceil(((1 - this.tokens) * 1000) / this.qps)));
    }
  }
}

function loadKubeConfig(opts: ConnectOptions): KubeConfig {
  const kc = new KubeConfig();
  if (opts.kubeconfig !== undefined) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  if (opts.context !== undefined) kc.setCurrentContext(opts.context);
  return kc;
}

/** Raw JSON over HTTPS to one apiserver, authenticated by client-node's KubeConfig. */
export class KubeHttp {
  readonly server: string;
  private readonly agent: Agent;
  private readonly limiter: RateLimiter;

  private constructor(
    private readonly kc: KubeConfig,
    private readonly opts: ConnectOptions,
  ) {
    const cluster = kc.getCurrentCluster();
    if (cluster === null)
      throw new Error(`kubeconfig: context "${kc.getCurrentContext()}" names no cluster`);
    this.server = cluster.server.replace(/\/+$/, '');
    this.agent = new Agent({ keepAlive: true, maxSockets: opts.maxSockets });
    this.limiter = new RateLimiter(opts.qps, opts.burst);
  }

  private auth: { at: number; options: RequestOptions } | undefined;
  private authHeaders: Record<string, string> = {};

  /**
   * The CA, client certificate and bearer token from the kubeconfig, refreshed every 30 s so
   * exec plugins and rotated token files are honoured. client-node would also set a new Agent
   * on every call, which costs a TLS handshake per request; only the TLS material and headers
   * are taken, and our keep-alive agent is kept.
   */
  private async tlsAndAuth(): Promise<RequestOptions> {
    if (this.auth !== undefined && performance.now() - this.auth.at < 30_000)
      return this.auth.options;
    const scratch: RequestOptions = { headers: {} };
    await this.kc.applyToHTTPSOptions(scratch);
    const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername, auth } = scratch;
    const options: RequestOptions = Object.fromEntries(
      Object.entries({
        ca,
        cert,
        key,
        pfx,
        passphrase,
        rejectUnauthorized,
        servername,
        auth,
      }).filter(([, v]) => v !== undefined),
    );
    this.authHeaders = { ...(scratch.headers as Record<string, string>) };
    this.auth = { at: performance.now(), options };
    return options;
  }

  static connect(opts: ConnectOptions): KubeHttp {
    return new KubeHttp(loadKubeConfig(opts), opts);
  }

  /** The context name, for messages. */
  get context(): string {
    return this.kc.getCurrentContext();
  }

  async request(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<HttpResponse> {
    await this.limiter.take();
    const url = new URL(this.server + path);
    const options: RequestOptions = {
      method,
      agent: this.agent,
      timeout: this.opts.requestTimeoutMs,
      headers: { accept: 'application/json', ...headers },
    };
    Object.assign(options, await this.tlsAndAuth());
    options.headers = { ...(options.headers as Record<string, string>), ...this.authHeaders };
    return new Promise((resolve, reject) => {
      const send = url.protocol === 'http:' ? plainRequest : request;
      const req = send(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (e) => {
          reject(new ApiServerUnreachableError(this.server, this.context, e));
        });
      });
      req.on('timeout', () =>
        req.destroy(new Error(`no answer within ${this.opts.requestTimeoutMs} ms`)),
      );
      req.on('error', (e) => {
        reject(new ApiServerUnreachableError(this.server, this.context, e));
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
