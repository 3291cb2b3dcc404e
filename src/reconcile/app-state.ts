import type { Application } from '../api/application.js';
import type { KubeObject } from '../api/object.js';
import type { RenderedObject } from '../render/index.js';
import { ObservedApp } from './observed.js';
import { normalizeRepoUrl } from './webhook.js';
import { triggerOf, type Trigger } from './trigger.js';
import { appKeyOf, type AppKey } from '../api/app-key.js';

/** What the drift and health paths need to re-diff one object without fetching or rendering again. */
export interface DesiredCache {
  revision: string;
  /** The Application as last reconciled: drift policy, destination, ignore rules. */
  app: Application;
  objects: readonly RenderedObject[];
  /** What is known of the live objects between reconciles; kept across revisions. */
  observed: ObservedApp;
}

/** Everything known of one Application between its reconciles. */
interface AppState {
  /** Generation, refresh and sync annotations, deletion: when it changes, reconcile now. */
  trigger: Trigger | undefined;
  /** `spec.source.repoURL`, normalized, so a webhook's push finds the Applications it moves. */
  repo: string | undefined;
  /** `spec.source.path`, so the small-commit policy can count the Applications a commit touches. */
  path: string;
  /**
   * The Application as listed or watched, kept until this process first reconciles it. That
   * reconcile needs no GET: nothing of ours has written to it yet, so the watch is as new as a
   * read. Later reconciles read afresh, since the status they build on is our own last write.
   */
  listed: KubeObject | undefined;
  /** This process has reconciled it: `listed` is no longer kept. */
  reconciled: boolean;
  /** The last rendered desired state; undefined before the first render and after deletion. */
  desired: DesiredCache | undefined;
  /** Failed passes in a row that count against `spec.syncPolicy.retry.limit`. */
  failures: number;
  /**
   * `spec.syncPolicy.retry` as the last pass read it, for a pass that fails before it can read
   * the Application (a throttled GET): it backs off as its Application asks, not as the work
   * queue's own backoff, which grows to minutes.
   */
  retry: RetryPolicy | undefined;
}

/** An Application's `spec.syncPolicy.retry`. */
export type RetryPolicy = Application['spec']['syncPolicy']['retry'];

/**
 * The Application as the drift and health paths need it: spec and identity. Its status and
 * managedFields, kilobytes per Application, are only read by the next reconcile, which reads
 * the Application afresh.
 */
function cachedApp(app: Application): Application {
  const metadata = { ...app.metadata };
  delete metadata['managedFields'];
  return { apiVersion: app.apiVersion, kind: app.kind, metadata, spec: app.spec };
}

/**
 * What a controller knows of each Application, by key (`namespace/name`): the one place that
 * state lives between reconciles. It holds no queues or watches, so any loop that lists,
 * renders and re-diffs Applications can keep its knowledge here.
 */
export class AppStates {
  private readonly apps = new Map<AppKey, AppState>();

  private stateOf(key: AppKey): AppState {
    let s = this.apps.get(key);
    if (s === undefined) {
      s = {
        trigger: undefined,
        repo: undefined,
        path: '.',
        listed: undefined,
        reconciled: false,
        desired: undefined,
        failures: 0,
        retry: undefined,
      };
      this.apps.set(key, s);
    }
    return s;
  }

  /**
   * The Application as a list or a watch event shows it. `changed` is true when it is new or
   * its trigger moved, i.e. when it should be reconciled now.
   */
  observe(app: KubeObject): { key: AppKey; changed: boolean } {
    const key = appKeyOf(app);
    const s = this.stateOf(key);
    const source = (app.spec as { source?: { repoURL?: unknown; path?: unknown } } | undefined)
      ?.source;
    s.repo = typeof source?.repoURL === 'string' ? normalizeRepoUrl(source.repoURL) : undefined;
    s.path = typeof source?.path === 'string' ? source.path : '.';
    if (!s.reconciled) s.listed = app;
    const trigger = triggerOf(app);
    const changed = s.trigger !== trigger;
    s.trigger = trigger;
    return { key, changed };
  }

  /**
   * The listed copy, for this process's first reconcile of the Application, once; undefined
   * after that (or when it was never listed), and the reconcile reads it from the apiserver.
   */
  firstRead(key: AppKey): KubeObject | undefined {
    const s = this.stateOf(key);
    const listed = s.listed;
    s.listed = undefined;
    s.reconciled = true;
    return listed;
  }

  /** A reconcile rendered `objects` at `revision`; returns what is observed of them. */
  rendered(
    key: AppKey,
    r: { revision: string; app: Application; objects: readonly RenderedObject[] },
  ): ObservedApp {
    const s = this.stateOf(key);
    const observed = s.desired?.observed ?? new ObservedApp();
    s.desired = { revision: r.revision, app: cachedApp(r.app), objects: r.objects, observed };
    return observed;
  }

  /** A reconcile read a spec it did not render, e.g. a suspension: drift must see it too. */
  sawSpec(key: AppKey, app: Application): void {
    const d = this.apps.get(key)?.desired;
    if (d !== undefined) d.app = cachedApp(app);
  }

  /** The last rendered desired state, for the drift and health paths. */
  desired(key: AppKey): DesiredCache | undefined {
    return this.apps.get(key)?.desired;
  }

  /** The Application is gone or being deleted: nothing of it is desired any more. */
  dropDesired(key: AppKey): void {
    const s = this.apps.get(key);
    if (s !== undefined) s.desired = undefined;
  }

  /** A pass read the Application: its retry policy is the one its failures back off by. */
  readRetryPolicy(key: AppKey, app: Application): void {
    this.stateOf(key).retry = app.spec.syncPolicy.retry;
  }

  /** The retry policy the last pass read; undefined before any pass read the Application. */
  retryPolicy(key: AppKey): RetryPolicy | undefined {
    return this.apps.get(key)?.retry;
  }

  /** Counts a failed pass against the retry limit; returns how many failed in a row now. */
  countFailure(key: AppKey): number {
    const s = this.stateOf(key);
    s.failures += 1;
    return s.failures;
  }

  /** A pass ended without a failure to count: the next one starts a new row. */
  clearFailures(key: AppKey): void {
    const s = this.apps.get(key);
    if (s !== undefined) s.failures = 0;
  }

  /** Keys of the Applications whose repository is `url`, however a webhook spells it. */
  byRepo(url: string): AppKey[] {
    const repo = normalizeRepoUrl(url);
    return [...this.apps].filter(([, s]) => s.repo === repo).map(([key]) => key);
  }

  /** The paths of the Applications whose repository is `url`, one entry per Application. */
  pathsFollowing(url: string): string[] {
    const repo = normalizeRepoUrl(url);
    return [...this.apps.values()].filter((s) => s.repo === repo).map((s) => s.path);
  }

  keys(): AppKey[] {
    return [...this.apps.keys()];
  }

  /** The Application was deleted, or is no longer listed: everything about it goes. */
  forget(key: AppKey): void {
    this.apps.delete(key);
  }
}
