/**
 * The typed client of the UI's JSON API. Types come from src/ui/api.ts (types only, so the bundle
 * pulls nothing from the server). Every POST carries the session's CSRF token; every non-2xx
 * answer becomes an ApiError holding the server's message, which the views show in role=alert.
 */
import type {
  ActionRequest,
  ActionResult,
  AppAction,
  AppDetail,
  AppKey,
  AppList,
  AppListQuery,
  ApiError as ApiErrorBody,
  AuditPage,
  AuditQuery,
  FleetAppDetail,
  FleetOverview,
  ObjectDetail,
  ObjectRef,
  ResourcePage,
  Session,
  StreamMessage,
} from '../../src/ui/api.js';

export class ApiError extends Error implements ApiErrorBody {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly reason?: string;

  constructor(body: ApiErrorBody) {
    super(body.message);
    this.status = body.status;
    if (body.reason !== undefined) this.reason = body.reason;
  }
}

type Query = Record<string, string | number | undefined>;

/** `?a=1&b=x` of the defined values, in the given order; "" when none. */
export function queryString(q: Query): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : '';
}

function appBase(key: AppKey): string {
  return `/api/apps/${encodeURIComponent(key.namespace)}/${encodeURIComponent(key.name)}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

async function errorOf(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`.trim();
  let reason: string | undefined;
  try {
    const body: unknown = await res.json();
    if (isRecord(body) && typeof body['message'] === 'string') message = body['message'];
    if (isRecord(body) && typeof body['reason'] === 'string') reason = body['reason'];
  } catch {
    // Not JSON (a proxy's page): the status line is the best message we have.
  }
  return new ApiError(
    reason === undefined
      ? { status: res.status, message }
      : { status: res.status, message, reason },
  );
}

export class Client {
  /** From the session; sent as x-ballast-csrf on every POST. */
  private csrf = '';

  /** `onUnauthorized`: a 401 after sign-in (the session cookie expired or was revoked). */
  constructor(private readonly onUnauthorized: () => void = () => undefined) {}

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const init: RequestInit = { method, headers, credentials: 'same-origin' };
    if (method === 'POST') {
      headers['content-type'] = 'application/json';
      headers['x-ballast-csrf'] = this.csrf;
      init.body = JSON.stringify(body ?? {});
    }
    let res: Response;
    try {
      res = await fetch(path, init);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new ApiError({ status: 0, message: `The UI server did not answer: ${detail}` });
    }
    if (res.status === 401 && path !== '/api/session' && path !== '/api/login')
      this.onUnauthorized();
    if (!res.ok) throw await errorOf(res);
    return (await res.json()) as T;
  }

  private remember(s: Session): Session {
    this.csrf = s.csrf;
    return s;
  }

  async session(): Promise<Session> {
    return this.remember(await this.request<Session>('GET', '/api/session'));
  }

  async login(token: string): Promise<Session> {
    return this.remember(await this.request<Session>('POST', '/api/login', { token }));
  }

  /** The server answers a sign-out with 401 "signed out": that is success here. */
  async logout(): Promise<void> {
    try {
      await this.request<unknown>('POST', '/api/logout', {});
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) throw err;
    }
    this.csrf = '';
  }

  apps(q: AppListQuery): Promise<AppList> {
    return this.request('GET', `/api/apps${queryString({ ...q })}`);
  }

  app(key: AppKey): Promise<AppDetail> {
    return this.request('GET', appBase(key));
  }

  resources(key: AppKey, q: { offset: number; limit: number; q?: string }): Promise<ResourcePage> {
    return this.request('GET', `${appBase(key)}/resources${queryString(q)}`);
  }

  object(key: AppKey, ref: ObjectRef): Promise<ObjectDetail> {
    const q = { group: ref.group, kind: ref.kind, namespace: ref.namespace, name: ref.name };
    // group and namespace may be "": keep them in the query so the server sees the core group.
    const s = new URLSearchParams(q);
    return this.request('GET', `${appBase(key)}/object?${s.toString()}`);
  }

  action(key: AppKey, action: AppAction, body: ActionRequest = {}): Promise<ActionResult> {
    return this.request('POST', `${appBase(key)}/actions/${action}`, body);
  }

  audit(q: AuditQuery): Promise<AuditPage> {
    return this.request('GET', `/api/audit${queryString({ ...q })}`);
  }

  fleet(): Promise<FleetOverview> {
    return this.request('GET', '/api/fleet');
  }

  fleetApp(key: AppKey): Promise<FleetAppDetail> {
    const path = `/api/fleet/apps/${encodeURIComponent(key.namespace)}/${encodeURIComponent(key.name)}`;
    return this.request('GET', path);
  }

  fleetAction(key: AppKey, action: 'pause' | 'resume' | 'promote'): Promise<ActionResult> {
    const path = `/api/fleet/apps/${encodeURIComponent(key.namespace)}/${encodeURIComponent(key.name)}`;
    return this.request('POST', `${path}/actions/${action}`, {});
  }
}

// ---------------------------------------------------------------- live updates

const STREAM_TYPES: readonly StreamMessage['type'][] = [
  'app',
  'app-deleted',
  'app-changed',
  'fleet-changed',
];

export type StreamListener = (message: StreamMessage) => void;

/**
 * The one EventSource of the page, shared by every view. The browser reconnects by itself after a
 * drop; `onReconnect` lets open views refetch what they may have missed meanwhile.
 */
export class Stream {
  private readonly listeners = new Set<StreamListener>();
  private readonly reconnectListeners = new Set<() => void>();
  private source: EventSource | undefined;
  private dropped = false;

  private url = '';

  /**
   * Opens the stream on `url`, or moves it there (closing the old one) when it differs: the page
   * keeps one EventSource at a time.
   */
  open(url = '/api/stream'): void {
    if (this.source && this.url === url) return;
    this.close();
    this.url = url;
    this.dropped = false;
    const source = new EventSource(url);
    this.source = source;
    for (const type of STREAM_TYPES) {
      source.addEventListener(type, (ev) => {
        this.deliver(ev.data);
      });
    }
    source.addEventListener('error', () => {
      this.dropped = true;
    });
    source.addEventListener('open', () => {
      if (!this.dropped) return;
      this.dropped = false;
      for (const l of this.reconnectListeners) l();
    });
  }

  private deliver(data: unknown): void {
    if (typeof data !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (!isRecord(message) || !STREAM_TYPES.some((t) => t === message['type'])) return;
    for (const l of this.listeners) l(message as StreamMessage);
  }

  subscribe(listener: StreamListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  close(): void {
    this.source?.close();
    this.source = undefined;
    this.url = '';
  }
}

/**
 * The stream a view needs. The server's watches run with the user's identity, and a user who may
 * not watch every namespace gets nothing from a cluster-wide one; so a view about one namespace
 * (an Application, or the list filtered to a namespace) watches only that namespace.
 */
export function streamUrl(namespace: string | undefined): string {
  return namespace ? `/api/stream${queryString({ namespace })}` : '/api/stream';
}
