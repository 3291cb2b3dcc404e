import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { VaultRequestError } from './errors.js';

export interface VaultClientOptions {
  /** Abandon a request that has not answered in full after this long. */
  timeoutMs: number;
  /** Refuse an answer longer than this: a KV document is small, a hostile server's may not be. */
  maxResponseBytes: number;
}

export function defaultVaultClientOptions(): VaultClientOptions {
  return { timeoutMs: 10_000, maxResponseBytes: 1024 * 1024 };
}

/** How to log in, as `spec.vault.auth` says once its Secret or ServiceAccount token is read. */
export type VaultLogin =
  | { kind: 'token'; token: string }
  | { kind: 'kubernetes'; mountPath: string; role: string; jwt: string };

export interface VaultServer {
  /** `https://host:port`, without a trailing slash. */
  address: string;
  /** PEM CA certificates; unset: Node's default trust. */
  ca?: string;
}

interface Answer {
  status: number;
  body: unknown;
}

/**
 * A minimal Vault HTTP client on Node's own http(s): a login and KV reads, each bounded in time
 * and size. Tokens travel only in headers and bodies, never in a message or a log line.
 */
export class VaultClient {
  constructor(
    private readonly server: VaultServer,
    private readonly opts: VaultClientOptions = defaultVaultClientOptions(),
  ) {}

  /** A client token for `login`: the token itself, or the kubernetes auth method's answer. */
  async token(login: VaultLogin): Promise<string> {
    if (login.kind === 'token') return login.token;
    const path = `auth/${login.mountPath}/login`;
    const r = await this.send('POST', path, undefined, { role: login.role, jwt: login.jwt });
    if (r.status !== 200) throw this.refusal(path, r, login.jwt);
    const auth = (r.body as { auth?: { client_token?: unknown } } | null)?.auth;
    if (typeof auth?.client_token !== 'string')
      throw new VaultRequestError(
        this.server.address,
        path,
        r.status,
        'the login answer holds no client_token',
      );
    return auth.client_token;
  }

  /**
   * The key/value data at `path` (with `?version=N` for a pinned KV version 2 read), or
   * `missing` when Vault has nothing there. KV version 2 nests it in `data.data`.
   */
  async read(
    token: string,
    path: string,
    version: number | undefined,
  ): Promise<{ kind: 'ok'; data: Record<string, unknown> } | { kind: 'missing' }> {
    const query = version === undefined ? '' : `?version=${String(version)}`;
    const r = await this.send('GET', path + query, token);
    if (r.status === 404) return { kind: 'missing' };
    if (r.status !== 200) throw this.refusal(path, r, token);
    const data = (r.body as { data?: unknown } | null)?.data;
    if (typeof data !== 'object' || data === null)
      throw new VaultRequestError(this.server.address, path, r.status, 'the answer holds no data');
    const inner = (data as { data?: unknown; metadata?: unknown }).data;
    const kv2 = (data as { metadata?: unknown }).metadata !== undefined;
    if (kv2 && inner === null) return { kind: 'missing' }; // a deleted or destroyed version
    return {
      kind: 'ok',
      data: (kv2 && typeof inner === 'object' ? inner : data) as Record<string, unknown>,
    };
  }

  /**
   * Vault's own error strings name the problem (permission denied, invalid role) and no secret;
   * one that quotes what was sent (a hostile server echoing the token) is left out.
   */
  private refusal(path: string, r: Answer, sent: string): VaultRequestError {
    const errors = (r.body as { errors?: unknown } | null)?.errors;
    const said = Array.isArray(errors)
      ? errors
          .filter((e): e is string => typeof e === 'string' && !e.includes(sent))
          .map((e) => e.slice(0, 200))
          .join('; ')
      : '';
    return new VaultRequestError(
      this.server.address,
      path,
      r.status,
      `answered ${String(r.status)}${said === '' ? '' : `: ${said}`}`,
    );
  }

  private send(method: string, path: string, token?: string, body?: unknown): Promise<Answer> {
    const url = new URL(`${this.server.address}/v1/${path}`);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined) headers['x-vault-token'] = token;
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const fail = (problem: string, status?: number, cause?: unknown): VaultRequestError =>
      new VaultRequestError(this.server.address, path, status, problem, { cause });
    return new Promise((resolve, reject) => {
      // The first outcome wins; whatever the socket reports after it is noise.
      let done = false;
      const settle = (outcome: Answer | VaultRequestError): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (outcome instanceof VaultRequestError) {
          reject(outcome);
          req.destroy();
        } else resolve(outcome);
      };
      const onAnswer = (res: IncomingMessage): void => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          const limit = this.opts.maxResponseBytes;
          if (size > limit)
            settle(fail(`the answer is over ${String(limit)} bytes`, res.statusCode));
          else chunks.push(c);
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            settle({ status, body: text === '' ? null : (JSON.parse(text) as unknown) });
          } catch (e) {
            settle(fail(`answered ${String(status)} with something that is not JSON`, status, e));
          }
        });
        res.on('error', (e) => {
          settle(fail(`the answer broke off (${e.message})`, res.statusCode, e));
        });
      };
      const options = {
        method,
        headers,
        timeout: this.opts.timeoutMs,
        ...(this.server.ca === undefined ? {} : { ca: this.server.ca }),
      };
      const req =
        url.protocol === 'https:'
          ? httpsRequest(url, options, onAnswer)
          : httpRequest(url, options, onAnswer);
      // The socket timeout bounds idle time only; this bounds the whole exchange.
      const late = (): void => {
        settle(fail(`no answer within ${String(this.opts.timeoutMs)} ms`));
      };
      const timer = setTimeout(late, this.opts.timeoutMs);
      req.on('timeout', late);
      req.on('error', (e) => {
        settle(fail(`unreachable (${e.message})`, undefined, e));
      });
      req.end(payload);
    });
  }
}
