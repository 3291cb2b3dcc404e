import { describe, expect, it } from 'vitest';
import { appKeyOf } from '../api/app-key.js';
import { parseApplication, type Application } from '../api/application.js';
import { KubeApiError } from '../cluster/errors.js';
import { AppStates } from './app-state.js';
import { ApiServerRetryError } from './errors.js';
import { afterStatusWrite, failed } from './failure.js';
import type { ReconcilerDeps } from './reconcile.js';
import type { Outcome, ReconcileContext } from './runner.js';

function app(): Application {
  const r = parseApplication({
    apiVersion: 'ballast.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      source: { repoURL: 'https://git.example.com/fleet.git' },
      destination: { namespace: 'shop' },
      syncPolicy: { retry: { backoff: { duration: '250ms', factor: 2, maxDuration: '8s' } } },
    },
  });
  if (r.kind !== 'ok') throw new Error(r.error.problems.join('\n'));
  return r.value;
}

/** The apiserver's answer to a status write, as KubeHttp and writeStatus report it. */
const refused = (status: number, retryAfter?: string): KubeApiError =>
  KubeApiError.from(
    'Application shop/web',
    'write status',
    status,
    'Too many requests, please try again later.\n',
    retryAfter,
  );

const synced: Outcome = { kind: 'ok', requeueAfterMs: 3_600_000 };

describe('a pass whose status could not be written', () => {
  it('is retried with the Application backoff, no sooner than the Retry-After, when the apiserver throttled the write, instead of waiting for its interval', () => {
    const o = afterStatusWrite(app(), synced, { kind: 'failed', error: refused(429, '1') });
    expect(o).toMatchObject({
      kind: 'retry',
      notBeforeMs: 1_000,
      backoff: { baseDelayMs: 250, maxDelayMs: 8_000, factor: 2 },
    });
    expect(o.kind === 'retry' && o.error).toBeInstanceOf(ApiServerRetryError);
    expect(o.kind === 'retry' && o.error.message).toMatch(
      /^shop\/web: the apiserver is throttling/,
    );
  });

  it('is retried after a 5xx too, and keeps a retry already decided, lengthened to the Retry-After', () => {
    expect(afterStatusWrite(app(), synced, { kind: 'failed', error: refused(503) })).toMatchObject({
      kind: 'retry',
    });
    const failed: Outcome = { kind: 'retry', error: new Error('apply'), notBeforeMs: 500 };
    expect(afterStatusWrite(app(), failed, { kind: 'failed', error: refused(429, '2') })).toEqual({
      ...failed,
      notBeforeMs: 2_000,
    });
  });

  it('keeps its outcome when the write was written, or refused for good (a 422 sent again is refused again)', () => {
    expect(afterStatusWrite(app(), synced, { kind: 'written' })).toBe(synced);
    expect(afterStatusWrite(app(), synced, { kind: 'failed', error: refused(422) })).toBe(synced);
  });
});

describe('a pass that could not read its Application', () => {
  const ctx: ReconcileContext = {
    reconcileId: 'r1',
    key: 'shop/web',
    signal: new AbortController().signal,
    attempt: 12,
    queuedAt: 0,
  };
  const throttledGet = new ApiServerRetryError(
    'shop/web',
    'Throttled',
    1_000,
    'Application.ballast.dev/shop/web: get failed: 429',
  );

  it("backs off by the retry policy its last pass read, not the work queue's minutes-long one, no sooner than the Retry-After", async () => {
    const key = appKeyOf(app());
    const apps = new AppStates();
    apps.readRetryPolicy(key, app());
    // Only the log and what is known of the app: with no Application read, nothing is written.
    const deps = { log: () => undefined, apps } as unknown as ReconcilerDeps;
    expect(await failed(deps, ctx, key, undefined, throttledGet)).toMatchObject({
      kind: 'retry',
      notBeforeMs: 1_000,
      backoff: { baseDelayMs: 250, maxDelayMs: 8_000, factor: 2 },
    });
    const unknown = { log: () => undefined, apps: new AppStates() } as unknown as ReconcilerDeps;
    const first = await failed(unknown, ctx, key, undefined, throttledGet);
    expect(first).toMatchObject({ kind: 'retry', notBeforeMs: 1_000 });
    // Never read: the work queue's own backoff, as before.
    expect(first.kind === 'retry' && first.backoff).toBeUndefined();
  });
});
