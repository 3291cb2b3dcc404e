import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Cluster } from '../cluster/cluster.js';
import { KubeApiError } from '../cluster/errors.js';
import { parseCookies, UiHttpError } from './http.js';

/**
 * Who a UI request is, and the client that acts as them. Local mode has one user, the
 * kubeconfig's; cluster mode has one per bearer token, carried in an HttpOnly cookie, whose
 * clients hold that token and nothing of the controller's own credentials.
 */

export const sessionCookie = 'ballast_session';

/** What the apiserver calls the user (SelfSubjectReview). */
export interface UiUser {
  user: string;
  groups: string[];
}

/** A signed-in request: who, with which client, and the CSRF token of the session. */
export interface UiSession {
  /** 'local', or a hash of the token: names the session without holding it. */
  id: string;
  cluster: Cluster;
  user: UiUser;
  csrf: string;
}

/** The per-process key that CSRF tokens are HMACs under; a restart signs everyone's anew. */
export class CsrfKey {
  private readonly key = randomBytes(32);

  /** The token of a session; `subject` is its bearer token, or 'local'. */
  tokenFor(subject: string): string {
    return createHmac('sha256', this.key).update(subject).digest('base64url');
  }

  /** Whether `given` (the x-ballast-csrf header) is the session's token; constant time. */
  check(subject: string, given: string | undefined): boolean {
    if (given === undefined) return false;
    const want = Buffer.from(this.tokenFor(subject));
    const got = Buffer.from(given);
    return want.length === got.length && timingSafeEqual(want, got);
  }
}

/** A SelfSubjectReview made with `cluster`'s credentials: who they are, or a 401 refusal. */
export async function reviewSelf(cluster: Cluster): Promise<UiUser> {
  const r = await cluster.http.request(
    'POST',
    '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
    { 'content-type': 'application/json' },
  );
  if (r.status !== 200 && r.status !== 201)
    throw KubeApiError.from('SelfSubjectReview', 'create', r.status, r.body);
  const body = JSON.parse(r.body) as {
    status?: { userInfo?: { username?: string; groups?: string[] } };
  };
  const info = body.status?.userInfo;
  return { user: info?.username ?? 'unknown', groups: info?.groups ?? [] };
}

/** Resolves a request to its session, or throws 401. */
export interface Identities {
  readonly mode: 'local' | 'cluster';
  readonly csrf: CsrfKey;
  sessionOf(req: IncomingMessage): Promise<UiSession>;
  /** Cluster mode: checks a bearer token with the apiserver and keeps its client. */
  signIn(token: string): Promise<UiSession>;
  signOut(req: IncomingMessage): void;
  close(): void;
}

/** `ballast ui`: every request is the kubeconfig's user. */
export class LocalIdentities implements Identities {
  readonly mode = 'local';
  readonly csrf = new CsrfKey();
  private user: Promise<UiUser> | undefined;

  constructor(private readonly cluster: Cluster) {}

  async sessionOf(): Promise<UiSession> {
    this.user ??= reviewSelf(this.cluster).catch((e: unknown) => {
      // Asked again next time: the apiserver may only have been down.
      this.user = undefined;
      throw e;
    });
    return {
      id: 'local',
      cluster: this.cluster,
      user: await this.user,
      csrf: this.csrf.tokenFor('local'),
    };
  }

  signIn(): Promise<UiSession> {
    return this.sessionOf();
  }

  signOut(): void {
    // The kubeconfig's user cannot sign out of it.
  }

  close(): void {
    this.cluster.close();
  }
}

/** A bearer token as the login form sends it: printable, no spaces, of a sane length. */
export function tokenProblem(token: unknown): string | undefined {
  if (typeof token !== 'string' || token === '') return 'give a bearer token';
  if (token.length > 16_384) return 'the token is too long';
  if (!/^[\x21-\x7e]+$/.test(token)) return 'the token holds spaces or characters no token has';
  return undefined;
}

interface Client {
  cluster: Cluster;
  user: UiUser;
  /** When the apiserver last vouched for the token; older ones are reviewed again. */
  reviewedAt: number;
}

export interface ClusterIdentitiesOptions {
  /** Clients kept at once (one per signed-in token); the least recently used is closed. */
  maxClients: number;
  /** How long a SelfSubjectReview of a token is trusted before it is made again. */
  reviewTtlMs: number;
}

export function defaultClusterIdentitiesOptions(): ClusterIdentitiesOptions {
  return { maxClients: 64, reviewTtlMs: 60_000 };
}

/** `ballast controller --ui`: each request is the holder of its cookie's bearer token. */
export class ClusterIdentities implements Identities {
  readonly mode = 'cluster';
  readonly csrf = new CsrfKey();
  /** By a hash of the token; Map order is use order (least recent first). */
  private readonly clients = new Map<string, Client>();

  constructor(
    /** The controller's own client: only its apiserver URL and CA are used. */
    private readonly base: Cluster,
    private readonly opts: ClusterIdentitiesOptions = defaultClusterIdentitiesOptions(),
  ) {}

  private static idOf(token: string): string {
    return createHash('sha256').update(token).digest('hex').slice(0, 32);
  }

  private sessionFor(token: string, client: Client): UiSession {
    return {
      id: ClusterIdentities.idOf(token),
      cluster: client.cluster,
      user: client.user,
      csrf: this.csrf.tokenFor(token),
    };
  }

  private async clientFor(token: string): Promise<Client> {
    const id = ClusterIdentities.idOf(token);
    const kept = this.clients.get(id);
    if (kept !== undefined && performance.now() - kept.reviewedAt < this.opts.reviewTtlMs) {
      this.clients.delete(id);
      this.clients.set(id, kept);
      return kept;
    }
    const cluster = kept?.cluster ?? this.base.withBearerToken(token);
    let user: UiUser;
    try {
      user = await reviewSelf(cluster);
    } catch (e) {
      this.drop(id);
      if (!kept) cluster.close();
      if (e instanceof KubeApiError && e.status === 401)
        throw new UiHttpError(
          401,
          'the apiserver did not accept the token; sign in again',
          'Unauthorized',
        );
      throw e;
    }
    const client = { cluster, user, reviewedAt: performance.now() };
    this.clients.delete(id);
    this.clients.set(id, client);
    this.evict();
    return client;
  }

  private evict(): void {
    while (this.clients.size > this.opts.maxClients) {
      const oldest = this.clients.keys().next();
      if (oldest.done === true) return;
      this.drop(oldest.value);
    }
  }

  private drop(id: string): void {
    const c = this.clients.get(id);
    if (c === undefined) return;
    this.clients.delete(id);
    c.cluster.close();
  }

  private tokenOf(req: IncomingMessage): string {
    const token = parseCookies(req.headers.cookie).get(sessionCookie);
    if (token === undefined || tokenProblem(token) !== undefined)
      throw new UiHttpError(401, 'not signed in', 'Unauthorized');
    return token;
  }

  async sessionOf(req: IncomingMessage): Promise<UiSession> {
    const token = this.tokenOf(req);
    return this.sessionFor(token, await this.clientFor(token));
  }

  async signIn(token: string): Promise<UiSession> {
    const problem = tokenProblem(token);
    if (problem !== undefined) throw new UiHttpError(400, problem);
    // A fresh review: signing in must be the apiserver's word now, not a cached one.
    this.drop(ClusterIdentities.idOf(token));
    return this.sessionFor(token, await this.clientFor(token));
  }

  signOut(req: IncomingMessage): void {
    const token = parseCookies(req.headers.cookie).get(sessionCookie);
    if (token !== undefined) this.drop(ClusterIdentities.idOf(token));
  }

  /** The bearer token a session's CSRF token is made from: the cookie's. */
  subjectOf(req: IncomingMessage): string {
    return this.tokenOf(req);
  }

  close(): void {
    for (const id of [...this.clients.keys()]) this.drop(id);
  }
}

/** The CSRF subject of a request: 'local', or its cookie's token in cluster mode. */
export function csrfSubject(identities: Identities, req: IncomingMessage): string | undefined {
  if (identities instanceof ClusterIdentities) {
    try {
      return identities.subjectOf(req);
    } catch {
      return undefined;
    }
  }
  return 'local';
}

/** The Set-Cookie header that signs a browser in (or, with no token, out). */
export function sessionCookieHeader(token: string | undefined, secure: boolean): string {
  const attrs = ['HttpOnly', 'SameSite=Strict', 'Path=/', ...(secure ? ['Secure'] : [])];
  return token === undefined
    ? [`${sessionCookie}=`, 'Max-Age=0', ...attrs].join('; ')
    : [`${sessionCookie}=${token}`, ...attrs].join('; ');
}
