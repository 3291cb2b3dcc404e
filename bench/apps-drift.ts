import type { Cluster } from '../src/cluster/cluster.js';
import { sleep, until } from './timing.js';

/** What drift under load needs of the apps bench: its cluster, its apps and a resync trigger. */
export interface DriftUnderLoad {
  cluster: Cluster;
  ns: string;
  /** The Deployments to scale, one per change, spread over the fleet. */
  deployments: readonly string[];
  /** Starts a reconcile of every Application (a webhook with nothing new). */
  startResync: () => Promise<void>;
  /** Reconciles done so far, from the controller's metrics. */
  reconciles: () => Promise<number>;
  apps: number;
}

export interface DriftUnderLoadResult {
  /** Scale → replicas back at the Git value, per change, in ms. */
  reverted: number[];
  /** Changes made while a full resync was still under way. */
  duringResync: number;
  /** Full resyncs started. */
  resyncs: number;
}

/**
 * `kubectl scale` as another field manager (a merge patch of the scale subresource, as kubectl
 * sends it) while every Application is being reconciled, and the time until the controller has
 * put `spec.replicas` back. A resync that finishes is started again, so every change meets one.
 */
export async function driftUnderLoad(o: DriftUnderLoad): Promise<DriftUnderLoadResult> {
  const path = (d: string): string => `/apis/apps/v1/namespaces/${o.ns}/deployments/${d}`;
  const replicas = async (d: string): Promise<number | undefined> => {
    const r = await o.cluster.http.request('GET', path(d));
    const spec = (JSON.parse(r.body) as { spec?: { replicas?: number } }).spec;
    return spec?.replicas;
  };
  let resyncs = 0;
  let target = 0;
  const resync = async (): Promise<void> => {
    target = (await o.reconciles()) + o.apps;
    resyncs++;
    await o.startResync();
  };
  await resync();
  // The resync's first reconciles are under way before the first change.
  await sleep(2_000);
  const reverted: number[] = [];
  let duringResync = 0;
  for (const [i, d] of o.deployments.entries()) {
    if ((await o.reconciles()) >= target) await resync();
    else duringResync++;
    const t0 = performance.now();
    await o.cluster.http.request(
      'PATCH',
      `${path(d)}/scale?fieldManager=kubectl`,
      JSON.stringify({ spec: { replicas: 2 + (i % 3) } }),
      { 'content-type': 'application/merge-patch+json' },
    );
    await until(`${d} scaled back`, async () => (await replicas(d)) === 0, 120_000);
    reverted.push(performance.now() - t0);
    await sleep(50);
  }
  return { reverted, duringResync, resyncs };
}
