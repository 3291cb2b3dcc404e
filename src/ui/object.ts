import { stringify } from 'yaml';
import { appKeyOf } from '../api/app-key.js';
import { ignoreRulesOf, parseApplication, type Application } from '../api/application.js';
import { isSecret, refOf, type KubeObject, type ObjectRef } from '../api/object.js';
import type { Cluster } from '../cluster/cluster.js';
import { MASK } from '../diff/index.js';
import { getApp } from '../reconcile/app-requests.js';
import { AppStates, type DesiredCache } from '../reconcile/app-state.js';
import { desiredFor } from '../reconcile/drift.js';
import { compareApplication } from '../reconcile/reconcile.js';
import type { GitSource } from '../source/source.js';
import type { ObjectDetail } from './api.js';
import { eventsOf } from './app-detail.js';
import { isObjectName } from './apps.js';
import { diffLinesOf } from './diff-lines.js';
import { UiHttpError } from './http.js';

/** GET /api/apps/:ns/:name/object: one object's live YAML, Events and diff. */

export function parseObjectQuery(q: URLSearchParams): ObjectRef {
  const get = (k: string): string => q.get(k) ?? '';
  const ref = {
    group: get('group'),
    kind: get('kind'),
    namespace: get('namespace'),
    name: get('name'),
  };
  if (!/^[A-Za-z][A-Za-z0-9]{0,62}$/.test(ref.kind))
    throw new UiHttpError(400, 'kind is missing or not a Kind');
  if (ref.group !== '' && !/^[a-z0-9.-]{1,253}$/.test(ref.group))
    throw new UiHttpError(400, 'group is not an API group');
  if (ref.namespace !== '' && !isObjectName(ref.namespace))
    throw new UiHttpError(400, 'namespace is not a valid name');
  if (!isObjectName(ref.name) && !/^[A-Za-z0-9:._-]{1,253}$/.test(ref.name))
    throw new UiHttpError(400, 'name is not a valid name');
  return ref;
}

/**
 * The live object as YAML for people: managedFields left out (the Diff tab names managers), a
 * Secret's values replaced by a fixed marker before any text exists. Pure.
 */
export function liveYaml(live: KubeObject): string {
  const copy = structuredClone(live) as KubeObject & Record<string, unknown>;
  delete (copy.metadata as Record<string, unknown>)['managedFields'];
  if (isSecret(refOf(live))) {
    // kubectl apply keeps the whole Secret, values included, in this annotation.
    const annotations = copy.metadata.annotations;
    if (annotations !== undefined)
      delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
    for (const field of ['data', 'stringData']) {
      const map = copy[field];
      if (typeof map === 'object' && map !== null)
        for (const k of Object.keys(map)) (map as Record<string, unknown>)[k] = MASK.unchanged;
    }
  }
  return stringify(copy, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Where desired states come from: the same fetch and render as `ballast app diff`. */
export interface DesiredSource {
  source: GitSource;
}

/** Rendered desired states, kept briefly per user and Application version. */
const rendered = new Map<string, { at: number; cache: Promise<DesiredCache | undefined> }>();
const renderedTtlMs = 30_000;

function desiredCacheOf(
  cluster: Cluster,
  deps: DesiredSource,
  sessionId: string,
  app: Application,
): Promise<DesiredCache | undefined> {
  const key = `${sessionId}|${appKeyOf(app)}|${app.metadata.resourceVersion ?? ''}`;
  const now = performance.now();
  for (const [k, v] of rendered) if (now - v.at > renderedTtlMs) rendered.delete(k);
  const kept = rendered.get(key);
  if (kept !== undefined) return kept.cache;
  const cache = (async () => {
    const apps = new AppStates();
    await compareApplication(
      { cluster, source: deps.source, log: () => undefined },
      app,
      AbortSignal.timeout(120_000),
      apps,
    );
    return apps.desired(appKeyOf(app));
  })();
  rendered.set(key, { at: now, cache });
  cache.catch(() => rendered.delete(key));
  return cache;
}

export async function objectDetail(
  cluster: Cluster,
  deps: DesiredSource,
  sessionId: string,
  ns: string,
  name: string,
  ref: ObjectRef,
): Promise<ObjectDetail> {
  const raw = await getApp(cluster, ns, name);
  const read = await cluster.getRef(ref);
  const live = read.kind === 'served' ? read.live : undefined;
  const events = await eventsOf(cluster, ref);
  const yaml = live === undefined ? {} : { yaml: liveYaml(live) };
  const managed = (raw.status?.resources ?? []).some(
    (r) =>
      r.group === ref.group &&
      r.kind === ref.kind &&
      r.namespace === ref.namespace &&
      r.name === ref.name,
  );
  if (!managed)
    return {
      ref,
      ...yaml,
      events,
      diff: {
        state: 'unknown',
        lines: [],
        message: 'not managed by Ballast: Git does not name it',
      },
    };
  const parsed = parseApplication(raw);
  if (parsed.kind === 'error')
    return {
      ref,
      ...yaml,
      events,
      diff: { state: 'unknown', lines: [], message: parsed.error.message },
    };
  let desired: KubeObject | undefined;
  try {
    const cache = await desiredCacheOf(cluster, deps, sessionId, parsed.value);
    const prepared = cache === undefined ? undefined : await desiredFor(cluster, cache, ref);
    // The apiserver's dry run, so defaults and formats match the live side.
    desired = prepared === undefined ? undefined : await cluster.apply(prepared, { dryRun: true });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return {
      ref,
      ...yaml,
      events,
      diff: { state: 'unknown', lines: [], message: `no desired state: ${message}` },
    };
  }
  if (desired === undefined)
    return {
      ref,
      ...yaml,
      events,
      diff: {
        state: 'unknown',
        lines: [],
        message: 'the rendered manifests do not hold this object',
      },
    };
  return { ref, ...yaml, events, diff: diffLinesOf(desired, live, ignoreRulesOf(parsed.value)) };
}
