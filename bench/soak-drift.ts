import type { Cluster } from '../src/cluster/cluster.js';
import { appName } from '../test/support/many-apps.js';
import { sleep } from './timing.js';

/** How long a drift may stay before it counts as never reverted. */
export const revertBoundMs = 10_000;
/** Poll period of the revert check: a latency is off by at most this. */
const pollMs = 10;

/**
 * One app's desired state: a ConfigMap and a Deployment of no replicas (pods on fake nodes
 * would measure kwok and the scheduler, and keep the app Progressing).
 */
export function soakAppObjects(app: string): string {
  const labels = `{app: ${app}}`;
  return [
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${app}}\ndata: {level: "1", owner: ${app}}\n`,
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${app}}\nspec:\n  replicas: 0\n  selector: {matchLabels: ${labels}}\n  template:\n    metadata: {labels: ${labels}}\n    spec: {containers: [{name: app, image: "nginx:1.27"}]}\n`,
  ].join('---\n');
}

/** One injected drift and what became of it. */
export interface Drift {
  n: number;
  /** When it was sent, in ms since the soak began. */
  atMs: number;
  target: string;
  /** Sent → reverted, in ms; undefined if not reverted within revertBoundMs. */
  revertMs: number | undefined;
}

interface Target {
  label: string;
  path: string;
  /** The change, as a hand's `kubectl edit` or `kubectl scale` would make it. */
  patch: string;
  reverted: (o: Record<string, unknown>) => boolean;
}

/**
 * The n-th drift: round-robin over the apps, and over the two kinds so that every app gets
 * both in turn (a ConfigMap's data, a Deployment scaled to 1).
 */
function target(ns: string, apps: number, n: number): Target {
  const app = appName(n % apps);
  if ((n + Math.floor(n / apps)) % 2 === 0)
    return {
      label: `ConfigMap ${app}`,
      path: `/api/v1/namespaces/${ns}/configmaps/${app}`,
      patch: JSON.stringify({ data: { level: `drift-${n}` } }),
      reverted: (o) => (o.data as Record<string, string> | undefined)?.level === '1',
    };
  return {
    label: `Deployment ${app}`,
    path: `/apis/apps/v1/namespaces/${ns}/deployments/${app}`,
    patch: JSON.stringify({ spec: { replicas: 1 } }),
    reverted: (o) => (o.spec as { replicas?: number } | undefined)?.replicas === 0,
  };
}

/**
 * Sends the n-th drift as a merge patch by another field manager, then polls the object until
 * it is back at the desired value or revertBoundMs pass.
 */
export async function injectDrift(
  cluster: Cluster,
  ns: string,
  apps: number,
  n: number,
  soakStart: number,
): Promise<Drift> {
  const t = target(ns, apps, n);
  const t0 = performance.now();
  const r = await cluster.http.request('PATCH', `${t.path}?fieldManager=bench-soak-hand`, t.patch, {
    'content-type': 'application/merge-patch+json',
  });
  if (r.status !== 200) throw new Error(`drift ${n} on ${t.label}: ${r.status} ${r.body}`);
  const drift = { n, atMs: t0 - soakStart, target: t.label };
  while (performance.now() - t0 < revertBoundMs) {
    const live = await cluster.http.request('GET', t.path);
    if (live.status === 200 && t.reverted(JSON.parse(live.body) as Record<string, unknown>))
      return { ...drift, revertMs: performance.now() - t0 };
    await sleep(pollMs);
  }
  return { ...drift, revertMs: undefined };
}

/**
 * Injects one drift a second for `seconds`, each on its own schedule (a slow revert does not
 * delay the next drift), and resolves once every drift is reverted or timed out.
 */
export async function injectForSeconds(
  cluster: Cluster,
  ns: string,
  apps: number,
  seconds: number,
  soakStart: number,
  onDone: (d: Drift) => void,
): Promise<Drift[]> {
  const pending: Promise<Drift>[] = [];
  for (let n = 0; n < seconds; n++) {
    const due = soakStart + n * 1000;
    if (due > performance.now()) await sleep(due - performance.now());
    pending.push(
      injectDrift(cluster, ns, apps, n, soakStart).then((d) => {
        onDone(d);
        return d;
      }),
    );
  }
  return Promise.all(pending);
}
