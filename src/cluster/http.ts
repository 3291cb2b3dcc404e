import { Agent, request, type RequestOptions } from 'node:https';
import { nodeHttp } from './node-http.js';
import { ApiServerUnreachableError, retryAfterSecondsOf } from './errors.js';
import { loadKubeAuth, type KubeAuth } from './kubeconfig.js';
import { LineSplitter } from './watch-lines.js';

/** How Ballast reaches one apiserver. */
export interface ConnectOptions {
  /** Kubeconfig file; when unset, $KUBECONFIG, else ~/.kube/config, else the in-cluster config. */
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
  /**
   * How many times a request answered 429 is sent again, each after the apiserver's
   * Retry-After (as client-go does). A 429 means the request was not processed, so any verb may
   * be sent again; past this many, the 429 is the caller's, whose work queue backs off.
   */
  throttleRetries: number;
  /** The longest Retry-After waited inside one request; a longer one is the caller's to wait. */
  throttleMaxWaitMs: number;
}

export function defaultConnectOptions(): ConnectOptions {
  // Generous: the apiserver's own priority and fairness protects it; this only stops a runaway loop.
  return {
    qps: 500,
    burst: 1000,
    maxSockets: 32,
    requestTimeoutMs: 30_000,
    throttleRetries: 3,
    throttleMaxWaitMs: 5_000,
  };
}

export interface HttpResponse {
  status: number;
  body: string;
  /** The Retry-After header of a 429 or 503, for KubeApiError.from. */
  retryAfter?: string;
}

/** How a long-lived streamed GET (a watch) is run. */
export interface StreamOptions {
  /** Ends the stream; the result is then `aborted`. */
  signal: AbortSignal;
  /** The connection counts as dropped when no byte arrives for this long (half-open TCP). */
  idleTimeoutMs: number;
  /** Called once the apiserver accepted the request (status 200), before any line. */
  onOpen?: () => void;
  /** Bound on one line, so a peer that never sends a newline cannot exhaust memory. */
  maxLineChars?: number;
}

/** How a stream ended. Connection failures are a value too: a watch expects them. */
export type StreamEnd =
  /** The apiserver closed the response cleanly, e.g. after the watch's timeoutSeconds. */
  | { kind: 'ended' }
  /** The caller's signal aborted it. */
  | { kind: 'aborted' }
  /** The apiserver answered with another status than 200; the body is kept for the error. */
  | { kind: 'refused'; status: number; body: string; retryAfter?: string }
  /** The connection failed or went idle before a clean end. */
  | { kind: 'dropped'; error: ApiServerUnreachableError };

/** An object is at most ~1.5 MiB in etcd; a watch line carrying it is bounded well below this. */
const defaultMaxLineChars = 16 * 1024 * 1024;

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

/** Connections of the urgent lane: a few heals in flight at once, no bulk work. */
const urgentSockets = 8;

/** Raw JSON over HTTPS to one apiserver, authenticated from the kubeconfig. */
export class KubeHttp {
  readonly server: string;
  private readonly agent: Agent;
  /**
   * Watches hold a socket for minutes, so they get an agent of their own, without the
   * `maxSockets` bound: they must never starve `request()`, nor be queued behind it. Tests
   * destroy its sockets to simulate a dropped connection.
   */
  readonly watchAgent = new Agent({ keepAlive: true });
  private readonly limiter: RateLimiter;

  /** See `urgent`; the lane itself when this is one. */
  private lane: KubeHttp | undefined;

  private constructor(
    private readonly kube: KubeAuth,
    private readonly opts: ConnectOptions,
    isLane = false,
  ) {
    if (isLane) this.lane = this;
    this.server = kube.server;
    this.agent = new Agent({ keepAlive: true, maxSockets: opts.maxSockets });
    this.limiter = new RateLimiter(opts.qps, opts.burst);
  }

  private auth: { at: number; options: RequestOptions } | undefined;
  private authHeaders: Record<string, string> = {};

  /**
   * The CA, client certificate and bearer token from the kubeconfig, refreshed every 30 s so
   * exec plugins and rotated token files are honoured, without re-reading files per request.
   * Only TLS material and headers change; our keep-alive agent is kept.
   */
  private async tlsAndAuth(): Promise<RequestOptions> {
    if (this.auth !== undefined && performance.now() - this.auth.at < 30_000)
      return this.auth.options;
    const { options, headers } = await this.kube.credentials();
    this.authHeaders = headers;
    this.auth = { at: performance.now(), options };
    return options;
  }

  static connect(opts: ConnectOptions): KubeHttp {
    return new KubeHttp(loadKubeAuth(opts), opts);
  }

  /** A client for credentials held in memory (a fleet agent's hub certificate), not a kubeconfig. */
  static withAuth(kube: KubeAuth, opts: ConnectOptions): KubeHttp {
    return new KubeHttp(kube, opts);
  }

  /**
   * A client for another user's bearer token (a UI session's) against the same apiserver,
   * trusting the same CA. Nothing of our own credentials (client certificate, token, basic
   * auth, impersonation) goes with it: the apiserver sees that user alone.
   */
  withBearerToken(token: string): KubeHttp {
    const base = this.kube;
    const auth: KubeAuth = {
      server: base.server,
      context: `${base.context} (a user's token)`,
      namespace: undefined,
      credentials: async () => {
        const { ca, rejectUnauthorized, servername } = (await base.credentials()).options;
        return {
          options: {
            ...(ca === undefined ? {} : { ca }),
            ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized }),
            ...(servername === undefined ? {} : { servername }),
          },
          headers: { authorization: `Bearer ${token}` },
        };
      },
    };
    return new KubeHttp(auth, this.opts);
  }

  /**
   * A second lane to the same apiserver with the same credentials, for the few requests a
   * person is waiting on (healing a manual change). It has its own connections and its own
   * rate limit: a resync of thousands of Applications keeps the first lane's sockets busy and
   * its qps spent, and a heal queued behind that took 0.8 s at 2,000 apps.
   */
  urgent(): KubeHttp {
    this.lane ??= new KubeHttp(this.kube, { ...this.opts, maxSockets: urgentSockets }, true);
    return this.lane;
  }

  /** The context name, for messages. */
  get context(): string {
    return this.kube.context;
  }

  /** The context's namespace (the Pod's in a cluster); undefined when it names none. */
  get namespace(): string | undefined {
    return this.kube.namespace;
  }

  /**
   * One request; a 429 is sent again after its Retry-After (plus up to half as much again, so
   * the clients refused together do not all return in the same instant), at most
   * `throttleRetries` times. Other answers are returned as they are.
   */
  async request(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<HttpResponse> {
    for (let retries = 0; ; retries++) {
      const r = await this.requestOnce(method, path, body, headers);
      if (r.status !== 429 || retries >= this.opts.throttleRetries) return r;
      const waitMs = retryAfterSecondsOf(r.retryAfter) * 1000;
      if (waitMs === 0 || waitMs > this.opts.throttleMaxWaitMs) return r;
      await new Promise((resolve) => setTimeout(resolve, waitMs * (1 + Math.random() / 2)));
    }
  }

  private async requestOnce(
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
  ): Promise<HttpResponse> {
    await this.limiter.take();
    const url = new URL(this.server + path);
    const options: RequestOptions = {
      method,
      // The agent speaks TLS only; a plain-HTTP server (a local proxy, a test fake) gets none.
      agent: url.protocol === 'http:' ? undefined : this.agent,
      timeout: this.opts.requestTimeoutMs,
      headers: {
        accept: 'application/json',
        ...headers,
        // Node sends a DELETE body without a length unless told; the apiserver then reads the
        // body as the next request on the keep-alive connection and answers it 400.
        ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
      },
    };
    Object.assign(options, await this.tlsAndAuth());
    options.headers = { ...(options.headers as Record<string, string>), ...this.authHeaders };
    return new Promise((resolve, reject) => {
      const send = url.protocol === 'http:' ? nodeHttp.request : request;
      const req = send(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ...(retryAfter === undefined ? {} : { retryAfter }),
          });
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

  /**
   * A GET whose body is newline-delimited JSON (a `?watch=1` path), read as it arrives: one
   * `onLine` call per complete line. Resolves when the stream ends, however it ends; it does
   * not reject. If `onLine` throws, the stream is dropped with that error.
   */
  async stream(
    path: string,
    onLine: (line: string) => void,
    opts: StreamOptions,
  ): Promise<StreamEnd> {
    await this.limiter.take();
    const url = new URL(this.server + path);
    const options: RequestOptions = {
      method: 'GET',
      // The agent speaks TLS only; a plain-HTTP server (a local proxy, a test fake) gets none.
      agent: url.protocol === 'http:' ? undefined : this.watchAgent,
      timeout: opts.idleTimeoutMs,
      headers: { accept: 'application/json' },
    };
    try {
      Object.assign(options, await this.tlsAndAuth());
    } catch (e) {
      // Credentials that cannot be loaded (a failing exec plugin) end this stream like any
      // other failure, so a watch retries instead of dying.
      return {
        kind: 'dropped',
        error: new ApiServerUnreachableError(this.server, this.context, e),
      };
    }
    options.headers = { ...(options.headers as Record<string, string>), ...this.authHeaders };
    if (opts.signal.aborted) return { kind: 'aborted' };
    return new Promise((resolve) => {
      let settled = false;
      const done = (end: StreamEnd): void => {
        if (settled) return;
        settled = true;
        opts.signal.removeEventListener('abort', onAbort);
        resolve(end);
      };
      // Not the `signal` request option: that destroys with an AbortError, which can surface
      // as an uncaught exception when the abort comes from inside a 'data' handler.
      const onAbort = (): void => {
        done({ kind: 'aborted' });
        req.destroy();
      };
      const fail = (e: unknown): void => {
        if (opts.signal.aborted) done({ kind: 'aborted' });
        else
          done({
            kind: 'dropped',
            error: new ApiServerUnreachableError(this.server, this.context, e),
          });
      };
      const send = url.protocol === 'http:' ? nodeHttp.request : request;
      const req = send(url, options, (res) => {
        res.on('error', fail);
        res.on('close', () => {
          if (!res.complete) fail(new Error('connection closed in the middle of the stream'));
        });
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            if (size < 65_536) chunks.push(c);
            size += c.length;
          });
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            const retryAfter = res.headers['retry-after'];
            const status = res.statusCode ?? 0;
            done({
              kind: 'refused',
              status,
              body,
              ...(retryAfter === undefined ? {} : { retryAfter }),
            });
          });
          return;
        }
        opts.onOpen?.();
        const lines = new LineSplitter(opts.maxLineChars ?? defaultMaxLineChars);
        res.on('data', (c: Buffer) => {
          try {
            for (const line of lines.push(c)) onLine(line);
          } catch (e) {
            req.destroy(e instanceof Error ? e : new Error(String(e)));
          }
        });
        res.on('end', () => {
          try {
            for (const line of lines.end()) onLine(line);
            done({ kind: 'ended' });
          } catch (e) {
            fail(e);
          }
        });
      });
      req.on('timeout', () =>
        req.destroy(new Error(`no data for ${opts.idleTimeoutMs} ms on a streamed request`)),
      );
      req.on('error', fail);
      opts.signal.addEventListener('abort', onAbort);
      req.end();
    });
  }

  close(): void {
    if (this.lane !== this) this.lane?.close();
    this.agent.destroy();
    this.watchAgent.destroy();
  }
}
