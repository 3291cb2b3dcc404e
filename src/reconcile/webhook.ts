import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Which Git host sent a push notification, and how it proves it knows the shared secret. */
export type WebhookProvider = 'github' | 'gitea' | 'gitlab' | 'generic';

export type WebhookResult =
  | { kind: 'push'; provider: WebhookProvider; repoUrls: string[] }
  | { kind: 'ignored'; reason: string }
  | { kind: 'unauthorized'; reason: string }
  | { kind: 'invalid'; reason: string };

/** The largest webhook body read; GitHub caps its payloads at 25 MB, but a push is kilobytes. */
export const maxBodyBytes = 1024 * 1024;

function hmacHex(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Does the request prove knowledge of the secret? GitHub (`X-Hub-Signature-256: sha256=<hex>`)
 * and Gitea (`X-Gitea-Signature: <hex>`) sign the body with HMAC-SHA256; the generic endpoint
 * does the same with `X-Ballast-Signature: sha256=<hex>`; GitLab sends the secret itself in
 * `X-Gitlab-Token`. Every comparison is constant-time.
 */
export function isAuthentic(
  provider: WebhookProvider,
  headers: Record<string, string | undefined>,
  body: Buffer,
  secret: string,
): boolean {
  const expected = hmacHex(secret, body);
  switch (provider) {
    case 'github':
      return sameText(headers['x-hub-signature-256'] ?? '', `sha256=${expected}`);
    case 'gitea':
      return sameText(headers['x-gitea-signature'] ?? '', expected);
    case 'generic':
      return sameText(headers['x-ballast-signature'] ?? '', `sha256=${expected}`);
    case 'gitlab':
      return sameText(headers['x-gitlab-token'] ?? '', secret);
  }
}

function strings(...values: unknown[]): string[] {
  return values.filter((v): v is string => typeof v === 'string' && v !== '');
}

/** The repository URLs a push payload names, in every form the host gives. */
function repoUrlsOf(provider: WebhookProvider, payload: Record<string, unknown>): string[] {
  if (provider === 'gitlab') {
    const p = (payload.project ?? {}) as Record<string, unknown>;
    return strings(p.git_http_url, p.git_ssh_url, p.web_url);
  }
  if (provider === 'generic') return strings(payload.repoURL);
  const r = (payload.repository ?? {}) as Record<string, unknown>;
  return strings(r.clone_url, r.ssh_url, r.html_url, r.git_url);
}

/** Turns one webhook request into a result value; never throws on bad input. */
export function parseWebhook(
  provider: WebhookProvider,
  headers: Record<string, string | undefined>,
  body: Buffer,
  secret: string,
): WebhookResult {
  if (body.length > maxBodyBytes)
    return { kind: 'invalid', reason: `body over ${maxBodyBytes} bytes` };
  if (!isAuthentic(provider, headers, body, secret))
    return { kind: 'unauthorized', reason: 'bad or missing signature' };
  const event = headers['x-github-event'] ?? headers['x-gitea-event'] ?? headers['x-gitlab-event'];
  if (event !== undefined && !['push', 'Push Hook', 'Tag Push Hook'].includes(event)) {
    return { kind: 'ignored', reason: `event ${event} is not a push` };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    return { kind: 'invalid', reason: 'body is not JSON' };
  }
  if (typeof payload !== 'object' || payload === null)
    return { kind: 'invalid', reason: 'body is not a JSON object' };
  const repoUrls = repoUrlsOf(provider, payload as Record<string, unknown>);
  if (repoUrls.length === 0) return { kind: 'invalid', reason: 'payload names no repository' };
  return { kind: 'push', provider, repoUrls };
}

/**
 * One comparable form of a repository URL, so `https://host/org/repo.git`,
 * `https://host/org/repo` and `git@host:org/repo.git` all match.
 */
export function normalizeRepoUrl(url: string): string {
  let u = url.trim().toLowerCase();
  const scp = /^[\w.-]+@([\w.-]+):(.*)$/.exec(u);
  if (scp !== null) u = `${scp[1] ?? ''}/${scp[2] ?? ''}`;
  u = u.replace(/^[a-z+]+:\/\//, '').replace(/^[^@/]+@/, '');
  u = u.replace(/:\d+\//, '/');
  return u.replace(/\/+$/, '').replace(/\.git$/, '');
}

/** How long, and how many, deliveries are remembered to drop replays. */
export interface DeliveryLogOptions {
  /** A delivery seen again within this window is a replay. */
  windowMs: number;
  /** At most this many remembered; the oldest are forgotten first, so memory stays bounded. */
  maxEntries: number;
}

export function defaultDeliveryLogOptions(): DeliveryLogOptions {
  return { windowMs: 10 * 60_000, maxEntries: 10_000 };
}

/**
 * What identifies one delivery: the host's delivery ID (`X-GitHub-Delivery`,
 * `X-Gitea-Delivery`, GitLab's `Idempotency-Key` or `X-Gitlab-Event-UUID`, the generic
 * endpoint's optional `X-Ballast-Delivery`), and for the hosts that sign or describe each push
 * uniquely, the body itself. The delivery ID is outside the signature, so a replay with a fresh
 * ID still carries the same signed body; the generic body (`{"repoURL": …}`) repeats on every
 * push, so there only the ID counts.
 */
export function deliveryKeys(
  provider: WebhookProvider,
  headers: Record<string, string | undefined>,
  body: Buffer,
): string[] {
  const id =
    provider === 'github'
      ? headers['x-github-delivery']
      : provider === 'gitea'
        ? (headers['x-gitea-delivery'] ?? headers['x-github-delivery'])
        : provider === 'gitlab'
          ? (headers['idempotency-key'] ?? headers['x-gitlab-event-uuid'])
          : headers['x-ballast-delivery'];
  const keys = id === undefined || id === '' ? [] : [`${provider} id ${id}`];
  if (provider !== 'generic')
    keys.push(`${provider} body ${createHash('sha256').update(body).digest('hex')}`);
  return keys;
}

/** Deliveries seen recently, oldest first; a bounded window for dropping replays. */
export class DeliveryLog {
  private readonly seenAt = new Map<string, number>();

  constructor(private readonly opts: DeliveryLogOptions = defaultDeliveryLogOptions()) {}

  /** Records a delivery's keys; true when any of them was seen within the window. */
  replayed(keys: readonly string[], now = Date.now()): boolean {
    this.forget(now);
    const seen = keys.some((k) => this.seenAt.has(k));
    for (const k of keys) {
      // Re-inserted, so insertion order stays oldest first.
      this.seenAt.delete(k);
      this.seenAt.set(k, now);
    }
    while (this.seenAt.size > this.opts.maxEntries) {
      const oldest = this.seenAt.keys().next();
      if (oldest.done === true) break;
      this.seenAt.delete(oldest.value);
    }
    return seen;
  }

  get size(): number {
    return this.seenAt.size;
  }

  private forget(now: number): void {
    for (const [k, at] of this.seenAt) {
      if (now - at < this.opts.windowMs) break;
      this.seenAt.delete(k);
    }
  }
}
