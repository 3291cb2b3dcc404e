import type { IncomingMessage, ServerResponse } from 'node:http';
import { applicationApiVersion, type Application } from '../api/application.js';
import type { KubeObject } from '../api/object.js';
import { ballastApiVersion } from '../api/resource.js';
import { parseWatchLine } from '../cluster/watch-protocol.js';
import type { StreamMessage } from './api.js';
import { appListingInFlight } from './app-read.js';
import { summaryOf } from './apps.js';
import { safeJson, securityHeaders, UiHttpError } from './http.js';
import type { UiSession } from './session.js';

/**
 * GET /api/stream: Server-Sent Events fed by watches made with the session's own client, so a
 * user hears only of what they may watch. Each stream has its own watches and ends them when
 * the browser goes.
 */

export interface StreamOptions {
  /** Open streams one session may hold (tabs); more are refused with 429. */
  maxPerSession: number;
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs: number;
}

export function defaultStreamOptions(): StreamOptions {
  return { maxPerSession: 8, heartbeatMs: 15_000 };
}

/** The `event:`/`data:` frame of a message. JSON carries no newline, so one data line. */
export function sseFrame(m: StreamMessage): string {
  return `event: ${m.type}\ndata: ${safeJson(m)}\n\n`;
}

/**
 * What an Application change means for the browser: its row, and app-changed when what the
 * Application view shows moved (status), compared with `before`'s status. Pure.
 */
export function appMessages(
  type: 'ADDED' | 'MODIFIED' | 'DELETED',
  app: Application,
  before: string | undefined,
): { messages: StreamMessage[]; status: string | undefined } {
  const key = { namespace: app.metadata.namespace ?? '', name: app.metadata.name };
  if (type === 'DELETED') return { messages: [{ type: 'app-deleted', key }], status: undefined };
  const status = JSON.stringify([app.status ?? null, app.spec.suspend, app.spec.rollback ?? null]);
  const messages: StreamMessage[] = [{ type: 'app', app: summaryOf(app) }];
  if (before !== status) messages.push({ type: 'app-changed', key });
  return { messages, status };
}

/** One watched collection: listed once for its resourceVersion, then watched from there. */
interface Feed {
  /** Collection path, e.g. /apis/ballast.dev/v1alpha1/applications. */
  path: string;
  /** Extra query of list and watch (a field selector). */
  query: string;
  onList?: (items: KubeObject[]) => void;
  /** A list of the same collection already on its way (the Applications list's), to start from. */
  joined?: () => Promise<{ items: KubeObject[]; resourceVersion: string }> | undefined;
  onChange: (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject) => void;
}

class Stream {
  private readonly abort = new AbortController();
  private readonly statuses = new Map<string, string>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly session: UiSession,
    private readonly res: ServerResponse,
    opts: StreamOptions,
    fleet: boolean,
    /** One namespace, for a user who may not watch every namespace; all when undefined. */
    namespace: string | undefined,
  ) {
    res.writeHead(200, {
      ...securityHeaders,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // A write racing the browser's going away must not become an unhandled error.
    res.on('error', () => {
      this.close();
    });
    res.write(': connected\n\n');
    this.heartbeat = setInterval(() => res.write(': ping\n\n'), opts.heartbeatMs);
    const inNs = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
    const appsPath = `/apis/${applicationApiVersion}${inNs}/applications`;
    const appKey = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    void this.run({
      path: appsPath,
      query: '',
      joined: () => appListingInFlight(session.id, namespace),
      onList: (items) => {
        // A comment, so a client (a test) can tell from here on no change is missed.
        if (!this.closed) this.res.write(': applications listed\n\n');
        this.statuses.clear();
        for (const o of items)
          this.statuses.set(
            appKey(o),
            appMessages('ADDED', o as unknown as Application, undefined).status ?? '',
          );
      },
      onChange: (type, o) => {
        const k = appKey(o);
        const { messages, status } = appMessages(
          type,
          o as unknown as Application,
          this.statuses.get(k),
        );
        if (status === undefined) this.statuses.delete(k);
        else this.statuses.set(k, status);
        for (const m of messages) this.send(m);
      },
    });
    void this.run({
      path: `/api/v1${inNs}/events`,
      query: `fieldSelector=${encodeURIComponent('involvedObject.kind=Application')}`,
      onChange: (_type, o) => {
        const involved = (
          o as unknown as { involvedObject?: { namespace?: string; name?: string } }
        ).involvedObject;
        if (involved?.name === undefined) return;
        this.send({
          type: 'app-changed',
          key: { namespace: involved.namespace ?? '', name: involved.name },
        });
      },
    });
    if (fleet)
      for (const plural of ['fleetapplications', 'clusters'])
        void this.run({
          path: `/apis/${ballastApiVersion}/${plural}`,
          query: '',
          onChange: () => {
            this.send({ type: 'fleet-changed' });
          },
        });
  }

  get closed(): boolean {
    return this.abort.signal.aborted;
  }

  private send(m: StreamMessage): void {
    if (!this.closed) this.res.write(sseFrame(m));
  }

  /** List, then watch from the list's resourceVersion, again after every end, until closed. */
  private async run(feed: Feed): Promise<void> {
    const http = this.session.cluster.http;
    const sep = (q: string): string => (q === '' ? '' : `&${q}`);
    let rv: string | undefined;
    let failures = 0;
    let join = feed.joined?.();
    while (!this.closed) {
      if (rv === undefined && join !== undefined) {
        const listed = await join.catch(() => undefined);
        join = undefined;
        if (listed !== undefined) {
          rv = listed.resourceVersion;
          feed.onList?.(listed.items);
        }
      }
      if (rv === undefined) {
        const r = await http
          .request('GET', `${feed.path}?limit=500${sep(feed.query)}`)
          .catch(() => undefined);
        if (r === undefined || r.status !== 200) {
          // Forbidden or absent: this feed stays quiet; a dropped apiserver is tried again.
          if (r !== undefined && r.status < 500 && r.status !== 429) return;
          await this.pause(++failures);
          continue;
        }
        const list = JSON.parse(r.body) as {
          metadata?: { resourceVersion?: string };
          items?: KubeObject[];
        };
        rv = list.metadata?.resourceVersion ?? '0';
        feed.onList?.(list.items ?? []);
      }
      const path =
        `${feed.path}?watch=1&allowWatchBookmarks=true&timeoutSeconds=300` +
        `&resourceVersion=${encodeURIComponent(rv)}${sep(feed.query)}`;
      const seen = { gone: false };
      const end = await http.stream(
        path,
        (line) => {
          const w = parseWatchLine(line);
          if (w.kind === 'bookmark') rv = w.resourceVersion;
          else if (w.kind === 'error') seen.gone = true;
          else if (w.kind === 'change') {
            const next = w.object.metadata.resourceVersion;
            if (typeof next === 'string') rv = next;
            feed.onChange(w.type, w.object);
          }
        },
        { signal: this.abort.signal, idleTimeoutMs: 330_000 },
      );
      if (end.kind === 'aborted') return;
      if (seen.gone || end.kind === 'refused') rv = undefined;
      if (end.kind === 'ended') failures = 0;
      else await this.pause(++failures);
    }
  }

  private pause(failures: number): Promise<void> {
    const ms = Math.min(30_000, 500 * 2 ** Math.min(failures, 6));
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.abort.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.abort.abort();
    clearInterval(this.heartbeat);
    this.res.end();
  }
}

/** The open streams, by session, so their number stays bounded and all end on shutdown. */
export class StreamHub {
  private readonly bySession = new Map<string, Set<Stream>>();

  constructor(private readonly opts: StreamOptions = defaultStreamOptions()) {}

  open(
    session: UiSession,
    req: IncomingMessage,
    res: ServerResponse,
    o: { fleet: boolean; namespace: string | undefined },
  ): void {
    const mine = this.bySession.get(session.id) ?? new Set<Stream>();
    if (mine.size >= this.opts.maxPerSession)
      throw new UiHttpError(
        429,
        `at most ${String(this.opts.maxPerSession)} live streams per session; close a tab`,
      );
    const stream = new Stream(session, res, this.opts, o.fleet, o.namespace);
    mine.add(stream);
    this.bySession.set(session.id, mine);
    const done = (): void => {
      stream.close();
      mine.delete(stream);
      if (mine.size === 0) this.bySession.delete(session.id);
    };
    req.on('close', done);
    res.on('close', done);
  }

  close(): void {
    for (const set of this.bySession.values()) for (const s of set) s.close();
    this.bySession.clear();
  }
}
