import { formatCacheKey, formatWatchKey, type WatchKey } from './watch-key.js';
import type { KubeObject } from '../api/object.js';
import { apiVersionOf, type ResourceInfo } from './discovery.js';
import { KubeApiError } from './errors.js';
import type { KubeHttp, StreamEnd } from './http.js';
import {
  Relist,
  recordChange,
  trackingLabel,
  type ChangeType,
  type WatchCache,
} from './watch-cache.js';
import { backoffDelay, jitteredSeconds, parseWatchLine } from './watch-protocol.js';

/** What a watch needs of the apiserver client; KubeHttp, or a wrapper around it in tests. */
export type WatchHttp = Pick<KubeHttp, 'request' | 'stream'>;

/** One change to a watched object, as seen by the watch or inferred by a relist. */
export interface WatchEvent {
  type: ChangeType;
  /** The whole object; for a DELETED inferred by a relist, a tombstone (identity and label). */
  object: KubeObject;
  info: ResourceInfo;
  /** `relist` when the change was inferred after the watch was interrupted. */
  origin: 'watch' | 'relist';
}

export interface WatchOptions {
  /** Called for each change, in order per kind; a handler that throws is reported, not fatal. */
  onEvent: (event: WatchEvent) => void;
  /** Failed lists, dropped watches and throwing handlers; the watches keep going regardless. */
  onError: (error: WatchError) => void;
  /** Which objects are watched: those carrying the tracking label, whatever its value. */
  labelSelector: string;
  /**
   * Watch namespaced kinds in this namespace only, for a client whose RBAC is a namespaced
   * Role; undefined: in every namespace. Cluster-scoped kinds are watched as they are.
   */
  namespace: string | undefined;
  /**
   * A field selector too, e.g. `metadata.name=ballast-agent`; none when empty. Besides the
   * traffic, it lets RBAC grant list and watch of one name (resourceNames) instead of all.
   */
  fieldSelector: string;
  /** Server-side watch timeout; the watch then resumes from its last resourceVersion. */
  timeoutSeconds: number;
  /** Each watch's timeout is spread up to this fraction above `timeoutSeconds`. */
  timeoutJitter: number;
  /** Extra silence beyond the timeout after which the connection is taken for dead. */
  idleGraceMs: number;
  /** Objects per list page, so a relist of a large kind does not arrive as one huge body. */
  pageSize: number;
  /** Delay before the first retry after a failure; doubles per consecutive failure. */
  backoffInitialMs: number;
  /** The longest delay between retries. */
  backoffMaxMs: number;
  /** A watch that stayed open this long counts as healthy, resetting the backoff. */
  backoffResetAfterMs: number;
  /** Report the objects found by the first list as ADDED, as an informer does. */
  announceInitialList: boolean;
  /** Source of randomness for jitter; replaceable for deterministic tests. */
  random: () => number;
}

export function defaultWatchOptions(): WatchOptions {
  return {
    onEvent: () => undefined,
    // Not silent by default: a watch that keeps failing must show somewhere.
    onError: (e) => {
      process.emitWarning(e);
    },
    labelSelector: trackingLabel,
    namespace: undefined,
    fieldSelector: '',
    timeoutSeconds: 300,
    timeoutJitter: 0.2,
    idleGraceMs: 30_000,
    pageSize: 500,
    backoffInitialMs: 200,
    backoffMaxMs: 5_000,
    backoffResetAfterMs: 10_000,
    announceInitialList: true,
    random: Math.random,
  };
}

/** A watch of one kind failed in some phase; it retries by itself. */
export class WatchError extends Error {
  override readonly name = 'WatchError';
  constructor(
    readonly info: ResourceInfo,
    readonly phase: 'list' | 'watch' | 'handler',
    detail: string,
    options?: { cause: unknown },
  ) {
    super(`watch ${kindName(info)}: ${phase} ${detail}`, options);
  }
}

/** The kind cannot be watched: the apiserver serves no list or watch verb for it. */
export class UnwatchableKindError extends Error {
  override readonly name = 'UnwatchableKindError';
  constructor(readonly info: ResourceInfo) {
    super(`watch ${kindName(info)}: the apiserver offers no list and watch for this kind`);
  }
}

/** The wait an apiserver's refusal asked for (Retry-After), in ms; 0 when it asked none. */
function retryAfterMsOf(e: WatchError): number {
  return e.cause instanceof KubeApiError ? e.cause.retryAfterSeconds * 1000 : 0;
}

function kindName(info: ResourceInfo): string {
  return info.group === '' ? info.kind : `${info.kind}.${info.group}`;
}

function collectionPath(info: ResourceInfo, namespace: string | undefined): string {
  const base = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  return namespace !== undefined && info.namespaced
    ? `${base}/namespaces/${encodeURIComponent(namespace)}/${info.resource}`
    : `${base}/${info.resource}`;
}

/** Waits `ms`; false when `signal` aborted first (at once if it already had). */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve(false);
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve(!signal.aborted);
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/** How one watch attempt ended, in the terms the loop acts on. */
type AttemptEnd =
  | { kind: 'stopped' }
  /** Clean server-side timeout: resume from the last resourceVersion. */
  | { kind: 'expired'; openMs: number }
  /** 410 Gone: the resourceVersion is too old to resume from; relist. */
  | { kind: 'gone'; openMs: number }
  /** `relist` unless the apiserver refused the watch: then nothing was missed since the list. */
  | { kind: 'failed'; error: WatchError; openMs: number; relist: boolean };

/** Why a watch attempt was cut short by what it read. */
type Interruption = { kind: 'gone' } | { kind: 'failed'; error: WatchError };

/** One kind's running watch. */
interface Watch {
  info: ResourceInfo;
  cache: WatchCache;
  /** Where the next watch resumes; set by each list, bookmark and event. */
  resourceVersion: string;
  /** A watch connection is open, so the cache follows the apiserver, only as late as events. */
  open: boolean;
  /** Resolves once the first watch connection is open (or the manager stopped). */
  ready: Promise<void>;
  markReady: () => void;
  loop: Promise<void>;
}

/**
 * One shared, cluster-wide watch per kind of the objects carrying the tracking label, kept
 * level-triggered like an informer: list, watch from the list's resourceVersion, and after
 * any gap relist and report only what changed meanwhile. Only the resourceVersion and owner
 * of each object is kept, so memory grows with the number of objects, not their size.
 */
export class WatchManager {
  private readonly opts: WatchOptions;
  private readonly watches = new Map<WatchKey, Watch>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly http: WatchHttp,
    partial: Partial<WatchOptions> = {},
  ) {
    this.opts = { ...defaultWatchOptions(), ...partial };
  }

  /**
   * Starts watching a kind unless it is watched already. Resolves once the watch is open, so
   * every change after that is reported; rejects only when the kind cannot be watched.
   */
  ensure(info: ResourceInfo): Promise<void> {
    if (!info.verbs.includes('list') || !info.verbs.includes('watch'))
      return Promise.reject(new UnwatchableKindError(info));
    const key = formatWatchKey(info);
    const running = this.watches.get(key);
    if (running !== undefined) return running.ready;
    if (this.stopping.signal.aborted) return Promise.resolve();
    let markReady = (): void => undefined;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const watch: Watch = {
      info,
      cache: new Map(),
      resourceVersion: '',
      open: false,
      ready,
      markReady,
      loop: Promise.resolve(),
    };
    this.watches.set(key, watch);
    watch.loop = this.run(watch).finally(markReady);
    return ready;
  }

  /** Ends every watch and waits until none is running. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all([...this.watches.values()].map((w) => w.loop));
  }

  /** Watches running, for metrics. */
  count(): number {
    return this.watches.size;
  }

  /**
   * Whether an object of this kind and identity carries the tracking label, as far as an open
   * watch knows; undefined when the kind is not watched or its watch is between connections.
   */
  tracked(info: ResourceInfo, namespace: string, name: string): boolean | undefined {
    const w = this.watches.get(formatWatchKey(info));
    if (w?.open !== true) return undefined;
    return w.cache.has(formatCacheKey({ namespace: info.namespaced ? namespace : '', name }));
  }

  /** Objects remembered across all watches, for memory figures. */
  cachedObjects(): number {
    let n = 0;
    for (const w of this.watches.values()) n += w.cache.size;
    return n;
  }

  /** List, then watch, again and again; never rejects. */
  private async run(w: Watch): Promise<void> {
    const stop = this.stopping.signal;
    let failures = 0;
    /** The wait the apiserver asked for with its last refusal (Retry-After). */
    let askedMs = 0;
    let needList = true;
    let firstList = true;
    while (!stop.aborted) {
      const backoff = failures > 0 ? backoffDelay(failures, this.backoff(), this.opts.random) : 0;
      const delay = Math.max(backoff, Math.min(askedMs, this.opts.backoffMaxMs));
      if (delay > 0 && !(await sleep(delay, stop))) return;
      askedMs = 0;
      if (needList) {
        try {
          await this.relist(w, firstList && !this.opts.announceInitialList);
        } catch (e) {
          failures++;
          const detail = `failed: ${e instanceof Error ? e.message : String(e)}`;
          const error =
            e instanceof WatchError ? e : new WatchError(w.info, 'list', detail, { cause: e });
          askedMs = retryAfterMsOf(error);
          this.report(error);
          continue;
        }
        firstList = false;
        needList = false;
      }
      // stream() resolves however the connection ends; this catch only guards the loop.
      const end = await this.watchOnce(w).catch((e: unknown): AttemptEnd => ({
        kind: 'failed',
        error: new WatchError(w.info, 'watch', `failed: ${String(e)}`, { cause: e }),
        openMs: 0,
        relist: true,
      }));
      if (end.kind === 'stopped') return;
      if (end.openMs >= this.opts.backoffResetAfterMs) failures = 0;
      if (end.kind === 'gone') needList = true;
      if (end.kind === 'failed') {
        this.report(end.error);
        failures++;
        askedMs = retryAfterMsOf(end.error);
        needList = end.relist;
      }
    }
  }

  private selectFields(params: URLSearchParams): void {
    if (this.opts.fieldSelector !== '') params.set('fieldSelector', this.opts.fieldSelector);
  }

  private backoff(): { initialMs: number; maxMs: number } {
    return { initialMs: this.opts.backoffInitialMs, maxMs: this.opts.backoffMaxMs };
  }

  /** Lists the kind page by page, reporting what changed since the last known state. */
  private async relist(w: Watch, quiet: boolean): Promise<void> {
    const apiVersion = apiVersionOf(w.info);
    let relist = new Relist(w.cache, { apiVersion, kind: w.info.kind });
    let continueToken = '';
    for (;;) {
      const params = new URLSearchParams({
        labelSelector: this.opts.labelSelector,
        limit: String(this.opts.pageSize),
      });
      this.selectFields(params);
      if (continueToken !== '') params.set('continue', continueToken);
      const r = await this.http.request(
        'GET',
        `${collectionPath(w.info, this.opts.namespace)}?${params.toString()}`,
      );
      if (r.status === 410 && continueToken !== '') {
        // The paging snapshot expired; start over. Changes seen so far are already in the cache.
        relist = new Relist(w.cache, { apiVersion, kind: w.info.kind });
        continueToken = '';
        continue;
      }
      if (r.status !== 200) {
        const subject = `${kindName(w.info)} list`;
        const cause = KubeApiError.from(subject, 'list', r.status, r.body, r.retryAfter);
        throw new WatchError(w.info, 'list', `failed: ${cause.message}`, { cause });
      }
      const page = JSON.parse(r.body) as {
        metadata?: { resourceVersion?: string; continue?: string };
        items?: KubeObject[];
      };
      for (const item of page.items ?? []) {
        // List items omit apiVersion and kind; put them back so consumers get whole objects.
        const change = relist.see({ ...item, apiVersion, kind: w.info.kind });
        if (change !== undefined && !quiet) this.emit(w, change.type, change.object, 'relist');
      }
      w.resourceVersion = page.metadata?.resourceVersion ?? '';
      continueToken = page.metadata?.continue ?? '';
      if (continueToken === '' || this.stopping.signal.aborted) break;
    }
    for (const change of relist.finish()) this.emit(w, change.type, change.object, 'relist');
  }

  /** One watch connection, from `w.resourceVersion` until it ends. */
  private async watchOnce(w: Watch): Promise<AttemptEnd> {
    const timeoutSeconds = jitteredSeconds(
      this.opts.timeoutSeconds,
      this.opts.timeoutJitter,
      this.opts.random,
    );
    const params = new URLSearchParams({
      watch: '1',
      labelSelector: this.opts.labelSelector,
      resourceVersion: w.resourceVersion,
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(timeoutSeconds),
    });
    this.selectFields(params);
    // Aborted by stop(), or by us when the stream says something we cannot resume from.
    const attempt = new AbortController();
    const signal = AbortSignal.any([this.stopping.signal, attempt.signal]);
    // Set from the line callback; the cast keeps TS from narrowing it to its initial value.
    let cut = undefined as Interruption | undefined;
    let openedAt = 0;
    const openMs = (): number => (openedAt === 0 ? 0 : performance.now() - openedAt);
    const end = await this.http.stream(
      `${collectionPath(w.info, this.opts.namespace)}?${params.toString()}`,
      (line) => {
        if (cut !== undefined) return;
        cut = this.onLine(w, line);
        if (cut !== undefined) attempt.abort();
      },
      {
        signal,
        idleTimeoutMs: timeoutSeconds * 1000 + this.opts.idleGraceMs,
        onOpen: () => {
          openedAt = performance.now();
          w.open = true;
          w.markReady();
        },
      },
    );
    w.open = false;
    if (this.stopping.signal.aborted) return { kind: 'stopped' };
    // An event may have been lost with what cut the stream: only a relist makes the state whole.
    if (cut?.kind === 'failed') return { ...cut, openMs: openMs(), relist: true };
    if (cut !== undefined) return { ...cut, openMs: openMs() };
    return this.endOf(w, end, openMs());
  }

  private endOf(w: Watch, end: StreamEnd, openMs: number): AttemptEnd {
    switch (end.kind) {
      case 'ended':
        return { kind: 'expired', openMs };
      case 'aborted':
        return { kind: 'stopped' };
      case 'refused': {
        if (end.status === 410) return { kind: 'gone', openMs };
        const subject = `${kindName(w.info)} watch`;
        const cause = KubeApiError.from(subject, 'watch', end.status, end.body, end.retryAfter);
        return {
          kind: 'failed',
          error: new WatchError(w.info, 'watch', `refused: ${cause.message}`, { cause }),
          openMs,
          // Refused before any event: resuming from the same resourceVersion misses nothing,
          // and a relist would only add LISTs to an apiserver that asked for fewer requests.
          relist: false,
        };
      }
      case 'dropped':
        return {
          kind: 'failed',
          error: new WatchError(w.info, 'watch', `dropped: ${end.error.message}`, {
            cause: end.error,
          }),
          openMs,
          relist: true,
        };
    }
  }

  /** Handles one line; returns how the attempt must end when it cannot go on. */
  private onLine(w: Watch, text: string): Interruption | undefined {
    const line = parseWatchLine(text);
    switch (line.kind) {
      case 'change': {
        const rv = line.object.metadata.resourceVersion;
        if (typeof rv === 'string' && rv !== '') w.resourceVersion = rv;
        if (recordChange(w.cache, line)) this.emit(w, line.type, line.object, 'watch');
        return undefined;
      }
      case 'bookmark':
        w.resourceVersion = line.resourceVersion;
        return undefined;
      case 'error': {
        if (line.code === 410) return { kind: 'gone' };
        const detail = `error event: ${line.code} ${line.reason}: ${line.message}`;
        return { kind: 'failed', error: new WatchError(w.info, 'watch', detail) };
      }
      case 'malformed':
        // An event may have been lost with it; only a relist makes the state whole again.
        return {
          kind: 'failed',
          error: new WatchError(w.info, 'watch', `malformed event: ${line.problem}`),
        };
    }
  }

  private emit(w: Watch, type: ChangeType, object: KubeObject, origin: WatchEvent['origin']): void {
    try {
      this.opts.onEvent({ type, object, info: w.info, origin });
    } catch (e) {
      this.report(new WatchError(w.info, 'handler', 'threw', { cause: e }));
    }
  }

  private report(error: WatchError): void {
    try {
      this.opts.onError(error);
    } catch {
      // An error reporter that fails has nowhere left to report to; the watch must go on.
    }
  }
}
