import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Ledger } from '../audit/types.js';
import type { GitSource } from '../source/source.js';
import { requestOnApp, type AppRequest } from '../reconcile/app-requests.js';
import type { ActionRequest, ActionResult, AppAction, Session } from './api.js';
import { appDetail, listApps } from './app-detail.js';
import { isObjectName, parseAppListQuery } from './apps.js';
import { auditPage } from './audit.js';
import { fleetAppAction, fleetAppDetail, fleetInstalled, fleetOverview } from './fleet.js';
import {
  cameOverTls,
  readJsonBody,
  securityHeaders,
  sendError,
  sendJson,
  UiHttpError,
} from './http.js';
import { objectDetail, parseObjectQuery } from './object.js';
import { parseResourceQuery, resourcePage } from './resources.js';
import { csrfSubject, sessionCookieHeader, type Identities, type UiSession } from './session.js';
import { defaultWebDir, serveStatic } from './static.js';
import { StreamHub } from './stream.js';
import { SignInThrottle } from './throttle.js';

/**
 * The UI's HTTP handler: the JSON API of api.ts under /api/, and the browser app for every other
 * GET. The same handler serves `ballast ui` (its own server on 127.0.0.1) and `ballast controller
 * --ui` (the controller's server). Every apiserver call is made with the session's client.
 */

export interface UiServerOptions {
  identities: Identities;
  /** The ledger records are read from: the controller's own, or `ballast ui --ledger`. */
  ledger?: Ledger | undefined;
  /**
   * In cluster mode, whose ledger records a user may see is decided per namespace (get on
   * applications there); in local mode the ledger file is the user's own.
   */
  ledgerScope: 'user-file' | 'controller';
  /** Git mirrors for the desired states of the Diff tab (fetched as `ballast app diff` does). */
  source: GitSource;
  webDir?: string;
  /** Where a request's log line goes; never given tokens, cookies or bodies. */
  log: (fields: Record<string, unknown>, msg: string) => void;
}

const actions: readonly AppAction[] = ['sync', 'refresh', 'suspend', 'resume', 'rollback'];

type Params = Record<string, string>;

interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  names: readonly string[];
  run: (ctx: RouteContext) => Promise<void>;
}

interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Params;
}

const seg = '([^/]+)';

export class UiServer {
  private readonly webDir: string;
  private readonly streams: StreamHub;
  private readonly routes: Route[];
  private readonly signIns = new SignInThrottle();

  constructor(private readonly opts: UiServerOptions) {
    this.webDir = opts.webDir ?? defaultWebDir();
    this.streams = new StreamHub();
    const r = (
      method: Route['method'],
      path: string,
      names: readonly string[],
      run: Route['run'],
    ): Route => ({ method, pattern: new RegExp(`^${path}$`), names, run });
    this.routes = [
      r('GET', '/api/session', [], (c) => this.session(c)),
      r('POST', '/api/login', [], (c) => this.login(c)),
      r('POST', '/api/logout', [], (c) => this.logout(c)),
      r('GET', '/api/apps', [], async (c) => {
        const s = await this.sessionOf(c.req);
        sendJson(
          c.res,
          200,
          await listApps(s.cluster, s.id, parseAppListQuery(c.url.searchParams)),
        );
      }),
      r('GET', `/api/apps/${seg}/${seg}`, ['namespace', 'name'], async (c) => {
        const s = await this.sessionOf(c.req);
        sendJson(c.res, 200, await appDetail(s.cluster, s.id, ...nsName(c.params)));
      }),
      r('GET', `/api/apps/${seg}/${seg}/resources`, ['namespace', 'name'], async (c) => {
        const s = await this.sessionOf(c.req);
        const q = parseResourceQuery(c.url.searchParams);
        sendJson(c.res, 200, await resourcePage(s.cluster, s.id, ...nsName(c.params), q));
      }),
      r('GET', `/api/apps/${seg}/${seg}/object`, ['namespace', 'name'], async (c) => {
        const s = await this.sessionOf(c.req);
        const ref = parseObjectQuery(c.url.searchParams);
        sendJson(
          c.res,
          200,
          await objectDetail(s.cluster, this.opts, s.id, ...nsName(c.params), ref),
        );
      }),
      r('POST', `/api/apps/${seg}/${seg}/actions/${seg}`, ['namespace', 'name', 'action'], (c) =>
        this.appAction(c),
      ),
      r('GET', '/api/audit', [], async (c) => {
        const s = await this.sessionOf(c.req);
        sendJson(
          c.res,
          200,
          await auditPage(this.opts.ledger, this.opts.ledgerScope, s.cluster, c.url.searchParams),
        );
      }),
      r('GET', '/api/fleet', [], async (c) => {
        const s = await this.sessionOf(c.req);
        sendJson(c.res, 200, await fleetOverview(s.cluster));
      }),
      r('GET', `/api/fleet/apps/${seg}/${seg}`, ['namespace', 'name'], async (c) => {
        const s = await this.sessionOf(c.req);
        sendJson(c.res, 200, await fleetAppDetail(s.cluster, ...nsName(c.params)));
      }),
      r(
        'POST',
        `/api/fleet/apps/${seg}/${seg}/actions/${seg}`,
        ['namespace', 'name', 'action'],
        async (c) => {
          const s = await this.postSession(c.req);
          await readJsonBody(c.req);
          const [ns, name] = nsName(c.params);
          const result = await fleetAppAction(s.cluster, ns, name, c.params['action'] ?? '');
          this.opts.log({ user: s.user.user, ns, name, action: result.action }, 'ui: fleet action');
          sendJson(c.res, 200, result);
        },
      ),
      r('GET', '/api/stream', [], async (c) => {
        const s = await this.sessionOf(c.req);
        const ns = c.url.searchParams.get('namespace') ?? '';
        if (ns !== '' && !isObjectName(ns))
          throw new UiHttpError(400, 'namespace must be a valid name');
        const fleet = await fleetInstalled(s.cluster);
        this.streams.open(s, c.req, c.res, { fleet, namespace: ns === '' ? undefined : ns });
      }),
    ];
  }

  /**
   * Handles `req` when it is the UI's (under /api/, or a GET or HEAD of the app); false leaves
   * it to the caller (the controller's own routes).
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    let url: URL;
    try {
      // Only the path and query count; a request target such as `//host/x` names no host here.
      url = new URL(
        `http://ui.invalid${(req.url ?? '/').startsWith('/') ? '' : '/'}${req.url ?? '/'}`,
      );
    } catch {
      sendJson(res, 400, { status: 400, message: 'the request target is not a valid path' });
      return true;
    }
    const method = req.method ?? 'GET';
    if (!url.pathname.startsWith('/api/')) {
      if (method !== 'GET' && method !== 'HEAD') return false;
      serveStatic(this.webDir, url.pathname, res, method === 'HEAD');
      return true;
    }
    const path = url.pathname;
    const matched = this.routes
      .map((route) => ({ route, m: route.pattern.exec(path) }))
      .filter((x): x is { route: Route; m: RegExpExecArray } => x.m !== null);
    const route = matched.find((x) => x.route.method === method);
    if (route === undefined) {
      sendJson(
        res,
        matched.length > 0 ? 405 : 404,
        matched.length > 0
          ? { status: 405, message: `${method} is not allowed here` }
          : { status: 404, message: `no such route: ${path}` },
      );
      return true;
    }
    const params: Params = {};
    route.route.names.forEach((n, i) => {
      params[n] = decodeSegment(route.m[i + 1] ?? '');
    });
    route.route.run({ req, res, url, params }).catch((e: unknown) => {
      sendError(res, e);
    });
    return true;
  }

  private sessionOf(req: IncomingMessage): Promise<UiSession> {
    return this.opts.identities.sessionOf(req);
  }

  /**
   * The session of a POST, after its CSRF token is checked: a request without the right token is
   * refused before any apiserver call is made with the user's credentials.
   */
  private async postSession(req: IncomingMessage): Promise<UiSession> {
    const subject = csrfSubject(this.opts.identities, req);
    if (subject === undefined) throw new UiHttpError(401, 'not signed in', 'Unauthorized');
    const header = req.headers['x-ballast-csrf'];
    const given = Array.isArray(header) ? header[0] : header;
    if (!this.opts.identities.csrf.check(subject, given))
      throw new UiHttpError(403, 'missing or wrong CSRF token', 'Forbidden');
    return this.sessionOf(req);
  }

  private async sessionView(s: UiSession): Promise<Session> {
    return {
      mode: this.opts.identities.mode,
      user: s.user.user,
      groups: s.user.groups,
      csrf: s.csrf,
      fleet: await fleetInstalled(s.cluster),
    };
  }

  private async session(c: RouteContext): Promise<void> {
    sendJson(c.res, 200, await this.sessionView(await this.sessionOf(c.req)));
  }

  private async login(c: RouteContext): Promise<void> {
    const body = await readJsonBody(c.req);
    const token =
      typeof body === 'object' && body !== null ? (body as { token?: unknown }).token : undefined;
    if (this.opts.identities.mode === 'local') {
      await this.session(c);
      return;
    }
    const address = c.req.socket.remoteAddress ?? '';
    const waitMs = this.signIns.waitMs(address);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      this.opts.log({ address }, 'ui: sign-in refused, too many failures');
      sendJson(
        c.res,
        429,
        {
          status: 429,
          message: `too many failed sign-ins from this address; try again in ${seconds} s`,
          reason: 'TooManyRequests',
        },
        { 'retry-after': String(seconds) },
      );
      return;
    }
    const s = await this.opts.identities
      .signIn(typeof token === 'string' ? token : '')
      .catch((e: unknown) => {
        if (e instanceof UiHttpError && (e.status === 400 || e.status === 401))
          this.signIns.failed(address);
        throw e;
      });
    this.signIns.succeeded(address);
    this.opts.log({ user: s.user.user }, 'ui: signed in');
    sendJson(c.res, 200, await this.sessionView(s), {
      'set-cookie': sessionCookieHeader(token as string, cameOverTls(c.req)),
    });
  }

  private async logout(c: RouteContext): Promise<void> {
    await this.postSession(c.req);
    this.opts.identities.signOut(c.req);
    sendJson(
      c.res,
      401,
      { status: 401, message: 'signed out', reason: 'Unauthorized' },
      { 'set-cookie': sessionCookieHeader(undefined, cameOverTls(c.req)) },
    );
  }

  private async appAction(c: RouteContext): Promise<void> {
    const s = await this.postSession(c.req);
    const body = (await readJsonBody(c.req)) as ActionRequest;
    const [ns, name] = nsName(c.params);
    const action = c.params['action'] as AppAction;
    if (!actions.includes(action))
      throw new UiHttpError(404, `no action ${action}; one of ${actions.join(', ')}`);
    const message = await requestOnApp(s.cluster, ns, name, requestOf(action, body));
    this.opts.log({ user: s.user.user, ns, name, action }, 'ui: action');
    sendJson(c.res, 200, { action, message } satisfies ActionResult);
  }

  /** Ends every live stream; the server itself is closed by whoever listens. */
  close(): void {
    this.streams.close();
    this.opts.identities.close();
  }
}

function requestOf(action: AppAction, body: ActionRequest): AppRequest {
  if (action !== 'rollback') return { kind: action };
  const id = body.historyId;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0)
    throw new UiHttpError(400, 'a rollback needs historyId, the id of a history entry');
  const reason = body.reason;
  if (typeof reason !== 'string' || reason.trim() === '')
    throw new UiHttpError(400, 'a rollback needs a reason; it is recorded in the audit ledger');
  if (reason.length > 1024) throw new UiHttpError(400, 'the reason is over 1024 characters');
  return { kind: 'rollback', historyId: id, reason: reason.trim() };
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return '';
  }
}

function nsName(p: Params): [string, string] {
  const ns = p['namespace'] ?? '';
  const name = p['name'] ?? '';
  if (!isObjectName(ns) || !isObjectName(name))
    throw new UiHttpError(400, 'the namespace and name must be valid Kubernetes names');
  return [ns, name];
}

/** A host check for `ballast ui`: only 127.0.0.1:<port> and localhost:<port> (DNS rebinding). */
export function hostAllowed(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const h = host.toLowerCase();
  return h === `127.0.0.1:${String(port)}` || h === `localhost:${String(port)}`;
}

/** The plain refusal of a request whose Host is not ours. */
export function refuseHost(res: ServerResponse): void {
  res
    .writeHead(421, { ...securityHeaders, 'content-type': 'text/plain; charset=utf-8' })
    .end('wrong Host header: open the UI at the address `ballast ui` printed\n');
}
