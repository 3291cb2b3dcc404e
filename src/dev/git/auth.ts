import { timingSafeEqual } from 'node:crypto';

/** One username/password pair accepted via HTTP Basic auth. */
export interface HttpUser {
  /** The username, also passed to git as REMOTE_USER. */
  username: string;
  /** The password. Never logged, never put into an error message. */
  password: string;
}

/** Who may talk to the HTTP side. Both lists empty means no authentication at all. */
export interface HttpAuthOptions {
  /** Username/password pairs accepted via `Authorization: Basic`. */
  users: readonly HttpUser[];
  /**
   * Tokens accepted as `Authorization: Bearer <token>`, or as the password of Basic auth with any
   * username (as GitHub accepts personal access tokens).
   */
  tokens: readonly string[];
}

export function defaultHttpAuthOptions(): HttpAuthOptions {
  return { users: [], tokens: [] };
}

/** What an `Authorization` header claims, before it is checked. */
export type Credentials =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'bearer'; token: string }
  | { kind: 'malformed'; reason: string };

/** Parses an `Authorization` header value. Never throws: clients send all sorts of things. */
export function parseAuthorization(header: string | undefined): Credentials {
  if (header === undefined || header.trim() === '') return { kind: 'none' };
  const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
  if (m === null) return { kind: 'malformed', reason: 'expected "<scheme> <credentials>"' };
  const scheme = (m[1] ?? '').toLowerCase();
  const value = m[2] ?? '';
  if (scheme === 'bearer') return { kind: 'bearer', token: value };
  if (scheme !== 'basic') return { kind: 'malformed', reason: `unsupported scheme ${m[1] ?? ''}` };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) {
    return { kind: 'malformed', reason: 'basic credentials are not base64' };
  }
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { kind: 'malformed', reason: 'basic credentials lack a ":"' };
  return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The outcome of checking credentials against the configured users and tokens. */
export type AuthDecision = { kind: 'allowed'; remoteUser: string | undefined } | { kind: 'denied' };

export function isAuthRequired(auth: HttpAuthOptions): boolean {
  return auth.users.length > 0 || auth.tokens.length > 0;
}

// Constant-time comparison, so a test server does not teach bad habits to code copied from it.
function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The name git sees as REMOTE_USER when a Bearer token was presented. */
export const tokenRemoteUser = 'token';

/** Decides whether a request with these credentials may proceed. */
export function authorize(auth: HttpAuthOptions, creds: Credentials): AuthDecision {
  if (!isAuthRequired(auth)) {
    return { kind: 'allowed', remoteUser: creds.kind === 'basic' ? creds.username : undefined };
  }
  switch (creds.kind) {
    case 'none':
    case 'malformed':
      return { kind: 'denied' };
    case 'bearer':
      return auth.tokens.some((t) => same(t, creds.token))
        ? { kind: 'allowed', remoteUser: tokenRemoteUser }
        : { kind: 'denied' };
    case 'basic': {
      const userOk = auth.users.some(
        (u) => same(u.username, creds.username) && same(u.password, creds.password),
      );
      const tokenOk = auth.tokens.some((t) => same(t, creds.password));
      if (!userOk && !tokenOk) return { kind: 'denied' };
      return {
        kind: 'allowed',
        remoteUser: creds.username === '' ? tokenRemoteUser : creds.username,
      };
    }
  }
}

/** The challenge sent with every 401, so git knows to retry with Basic credentials. */
export const basicChallenge = 'Basic realm="ballast-git", charset="UTF-8"';
