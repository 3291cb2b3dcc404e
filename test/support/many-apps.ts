import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Application } from '../../src/api/application.js';
import type { KubeObject } from '../../src/api/object.js';
import { mapBounded } from '../../src/apply/pool.js';
import { openLedger } from '../../src/audit/open.js';
import type { LedgerRecord } from '../../src/audit/types.js';
import {
  applyInstall,
  defaultApplyInstallOptions,
  defaultInstallOptions,
  installManifests,
} from '../../src/cli/install.js';
import type { Cluster } from '../../src/cluster/cluster.js';
import { startControllerProcess, type ControllerProcess } from './controller-process.js';
import { kubeconfigWithToken, serviceAccountToken } from './service-account.js';
import { revisionLabel } from './fault-world.js';

/** The i-th of many Applications: `app-007`. */
export const appName = (i: number): string => `app-${String(i).padStart(3, '0')}`;

/** One small app's desired state at `revision`: a ConfigMap marked with it. */
export function configMapApp(app: string, revision: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${app}
  labels:
    ${revisionLabel}: ${revision}
data:
  revision: ${revision}
`;
}

/**
 * Installs Ballast's CRD and RBAC (no controller Pod) through `admin`, and writes a kubeconfig
 * for `server`'s copy of `adminKubeconfig` that signs in as the controller's ServiceAccount: the
 * apiserver throttles that identity, where it lets system:masters (the admin) past its limits.
 */
export async function controllerIdentity(
  admin: Cluster,
  kubeconfig: string,
  file: string,
): Promise<string> {
  const install = { ...defaultInstallOptions(), replicas: 0 };
  await applyInstall(admin, installManifests(install), defaultApplyInstallOptions());
  const token = await serviceAccountToken(admin, install.namespace, 'ballast-controller');
  return kubeconfigWithToken(kubeconfig, token, file);
}

/** Creates `count` Applications in `ns`, each following `apps/<name>` of `repoURL` on main. */
export async function createApps(
  admin: Cluster,
  ns: string,
  count: number,
  repoURL: string,
  retry: { duration: string; factor: number; maxDuration: string },
): Promise<void> {
  await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const app = (name: string): KubeObject => ({
    apiVersion: 'ballast.dev/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: ns },
    spec: {
      source: { repoURL, targetRevision: 'main', path: `apps/${name}` },
      destination: { namespace: ns },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        drift: 'heal',
        interval: '1h',
        retry: { limit: 5, backoff: retry },
      },
    },
  });
  const names = Array.from({ length: count }, (_, i) => appName(i));
  await mapBounded(names, 16, (n) => admin.apply(app(n)));
}

/**
 * Follows one watch of the Applications in `ns` until `count` of them are Synced at `sha` and
 * Healthy; resolves with the ms it took. One watch, not polling: a list of hundreds of
 * Applications every few hundred ms would load the apiserver being measured.
 */
export async function untilAllSynced(
  admin: Cluster,
  ns: string,
  count: number,
  sha: string,
  timeoutMs: number,
): Promise<number> {
  const t0 = performance.now();
  const done = new Set<string>();
  const abort = new AbortController();
  const timer = setTimeout(() => {
    abort.abort();
  }, timeoutMs);
  const path = `/apis/ballast.dev/v1alpha1/namespaces/${ns}/applications?watch=1`;
  try {
    while (done.size < count && !abort.signal.aborted) {
      await admin.http.stream(
        path,
        (line) => {
          const app = (JSON.parse(line) as { object: Application }).object;
          const s = app.status;
          const ok =
            s?.sync?.status === 'Synced' &&
            s.sync.revision === sha &&
            s.health?.status === 'Healthy';
          if (ok) done.add(app.metadata.name);
          else done.delete(app.metadata.name);
          if (done.size === count) abort.abort();
        },
        { signal: abort.signal, idleTimeoutMs: 60_000 },
      );
    }
  } finally {
    clearTimeout(timer);
  }
  if (done.size < count)
    throw new Error(
      `only ${done.size} of ${count} Applications in ${ns} Synced after ${timeoutMs} ms`,
    );
  return performance.now() - t0;
}

/** The ConfigMaps in `ns` that a Ballast app wrote, by name, with their revision label and data. */
export async function configMapRevisions(
  admin: Cluster,
  ns: string,
): Promise<Map<string, { label: string | undefined; data: unknown }>> {
  const r = await admin.http.request(
    'GET',
    `/api/v1/namespaces/${ns}/configmaps?labelSelector=${encodeURIComponent(revisionLabel)}`,
  );
  if (r.status !== 200) throw new Error(`list ConfigMaps in ${ns}: ${r.status} ${r.body}`);
  const items = (JSON.parse(r.body) as { items: KubeObject[] }).items;
  return new Map(
    items.map((o) => [
      o.metadata.name,
      { label: o.metadata.labels?.[revisionLabel], data: o.data },
    ]),
  );
}

/** A `ballast controller` (the built CLI) for the Applications of `ns`, with a SQLite ledger. */
export function startNamespaceController(
  dir: string,
  kubeconfig: string,
  ns: string,
): { controller: ControllerProcess; ledger: string } {
  const ledger = join(dir, 'audit.db');
  const controller = startControllerProcess(join(dir, 'controller.log'), [
    ...['--kubeconfig', kubeconfig, '-n', ns, '--cache-dir', join(dir, 'cache')],
    ...['--port', '0', '--bind-address', '127.0.0.1', '--log-level', 'debug'],
    ...['--ledger', `sqlite:${ledger}`, '--ledger-checkpoint-configmap', 'none'],
  ]);
  return { controller, ledger };
}

/** Every record of a SQLite ledger. */
export async function ledgerRecords(file: string): Promise<LedgerRecord[]> {
  const ledger = await openLedger(`sqlite:${file}`);
  try {
    return await ledger.list();
  } finally {
    await ledger.close();
  }
}

/** `apiserver_request_total` of one apiserver, summed: all requests and those answered 429. */
export interface RequestCount {
  total: number;
  throttled: number;
  /** By `verb resource[/subresource]`. */
  byKind: Map<string, number>;
}

export async function requestCount(admin: Cluster): Promise<RequestCount> {
  const r = await admin.http.request('GET', '/metrics', undefined, { accept: 'text/plain' });
  if (r.status !== 200) throw new Error(`GET /metrics: ${r.status} ${r.body.slice(0, 200)}`);
  const count: RequestCount = { total: 0, throttled: 0, byKind: new Map() };
  for (const line of r.body.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const n = Number(line.slice(line.lastIndexOf(' ') + 1));
    const label = (name: string): string =>
      new RegExp(`[{,]${name}="([^"]*)"`).exec(line)?.[1] ?? '';
    const sub = label('subresource');
    const key = `${label('verb')} ${label('resource')}${sub === '' ? '' : `/${sub}`}`;
    count.total += n;
    if (label('code') === '429') count.throttled += n;
    count.byKind.set(key, (count.byKind.get(key) ?? 0) + n);
  }
  return count;
}

/** The requests between two counts. */
export function requestsBetween(before: RequestCount, after: RequestCount): RequestCount {
  const byKind = new Map<string, number>();
  for (const [k, n] of after.byKind) {
    const d = n - (before.byKind.get(k) ?? 0);
    if (d > 0) byKind.set(k, d);
  }
  return {
    total: after.total - before.total,
    throttled: after.throttled - before.throttled,
    byKind,
  };
}

/** The largest entries of a count, for a figure line: `GET configmaps 212, PATCH …`. */
export function topKinds(c: RequestCount, n = 6): string {
  return [...c.byKind]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

/** One write as an apiserver's audit log records it once answered. */
export interface AuditedWrite {
  /** `patch configmaps throttled/app-007`, `patch applications/status …`. */
  key: string;
  user: string;
  namespace: string;
  code: number;
  /** When the apiserver received it, in ms since the epoch. */
  at: number;
}

/** The answered writes of an audit log with a name (creates by generateName have none). */
export async function auditedWrites(file: string): Promise<AuditedWrite[]> {
  const text = await readFile(file, 'utf8');
  const out: AuditedWrite[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const e = JSON.parse(line) as {
      stage: string;
      verb: string;
      user: { username: string };
      objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
      responseStatus?: { code?: number };
      requestReceivedTimestamp: string;
    };
    const o = e.objectRef;
    if (e.stage !== 'ResponseComplete' || o?.name === undefined) continue;
    const resource = `${o.resource ?? ''}${o.subresource === undefined ? '' : `/${o.subresource}`}`;
    out.push({
      key: `${e.verb} ${resource} ${o.namespace ?? ''}/${o.name}`,
      user: e.user.username,
      namespace: o.namespace ?? '',
      code: e.responseStatus?.code ?? 0,
      at: Date.parse(e.requestReceivedTimestamp),
    });
  }
  return out;
}

/**
 * For each write answered 429 that was sent again, the ms from the refused one to the next of
 * the same verb and object, as the apiserver received them.
 */
export function waitsAfter429(writes: readonly AuditedWrite[]): number[] {
  const byKey = new Map<string, AuditedWrite[]>();
  for (const w of writes) byKey.set(w.key, [...(byKey.get(w.key) ?? []), w]);
  const waits: number[] = [];
  for (const list of byKey.values()) {
    list.sort((a, b) => a.at - b.at);
    for (let i = 0; i + 1 < list.length; i++) {
      const [cur, next] = [list[i], list[i + 1]];
      if (cur !== undefined && next !== undefined && cur.code === 429) waits.push(next.at - cur.at);
    }
  }
  return waits;
}
