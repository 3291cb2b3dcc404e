import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Application } from '../src/api/application.js';
import type { Cluster } from '../src/cluster/cluster.js';
import { notifyHub, type DevSpoke } from '../src/dev/fleet.js';
import { freePort } from '../src/dev/ports.js';
import {
  startControllerProcess,
  type ControllerProcess,
} from '../test/support/controller-process.js';
import type { FleetWorld } from '../test/support/fleet-world.js';

/** The baseline's namespace on its spoke, of its Application and what that applies. */
const ns = 'baseline';
/** The branch it follows: pushes to main reach only the fleet, pushes here only the baseline. */
export const baselineBranch = 'baseline';

/** A plain `ballast controller` on one spoke, one Application of the fleet's app. */
export interface Baseline {
  pid: number;
  /** Pushes HEAD to the baseline branch. */
  push(): Promise<void>;
  /** Calls the controller's push webhook, as notifyHub calls the hub's. */
  notify(): Promise<void>;
  /** The Application is Synced and Healthy at `sha` for its current spec. */
  syncedAt(sha: string): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * Starts `ballast controller -n baseline` on `spoke` (so the agent's Applications there are not
 * its business) with its push webhook, and an Application of the fleet's template path with the
 * same sync policy, verification mode head with the same key, and the variables an agent gives.
 */
export async function startBaseline(
  w: FleetWorld,
  spoke: DevSpoke,
  path: string,
  firstSha: string,
): Promise<Baseline> {
  const dir = join(w.state, spoke.devCluster);
  const secretFile = join(dir, 'baseline-webhook-secret');
  await writeFile(secretFile, randomBytes(24).toString('hex'), { mode: 0o600 });
  const port = await freePort();
  const cluster = w.spoke(spoke.name);
  await w.repo.push({ refspecs: [`${firstSha}:refs/heads/${baselineBranch}`] });
  const proc = startControllerProcess(join(dir, 'ballast-controller.log'), [
    ...['--kubeconfig', spoke.kubeconfig, '-n', ns, '--port', String(port)],
    ...['--webhook-secret-file', secretFile, '--cache-dir', join(dir, 'baseline-cache')],
    ...['--ledger', `sqlite:${join(dir, 'baseline-audit.db')}`],
  ]);
  try {
    await applyBaseline(w, cluster, spoke, path);
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return baselineOf(w, cluster, proc, port, secretFile);
}

async function applyBaseline(
  w: FleetWorld,
  cluster: Cluster,
  spoke: DevSpoke,
  path: string,
): Promise<void> {
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await cluster.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'trusted-keys', namespace: ns },
    data: { 'release.asc': Buffer.from(w.gpg.publicKeyArmored).toString('base64') },
  });
  const substitute: Record<string, string> = { cluster_name: spoke.name };
  for (const [k, v] of Object.entries(spoke.labels)) substitute[`cluster_label_${k}`] = v;
  await cluster.apply({
    apiVersion: 'ballast.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: 'bench', namespace: ns },
    spec: {
      source: { repoURL: w.repoURL, targetRevision: baselineBranch, path },
      destination: { namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true }, interval: '10s' },
      verification: { mode: 'head', secretRef: { name: 'trusted-keys' } },
      postBuild: { substitute },
    },
  });
}

function baselineOf(
  w: FleetWorld,
  cluster: Cluster,
  proc: ControllerProcess,
  port: number,
  secretFile: string,
): Baseline {
  const webhook = { url: `http://127.0.0.1:${port}/hooks/generic`, secretFile };
  return {
    pid: proc.daemon.pid,
    push: async () => {
      await w.repo.push({ refspecs: [`HEAD:refs/heads/${baselineBranch}`] });
    },
    notify: () => notifyHub(webhook, w.repoURL),
    syncedAt: async (sha) => {
      const a = (await cluster.get({
        apiVersion: 'ballast.dev/v1alpha1',
        kind: 'Application',
        metadata: { name: 'bench', namespace: ns },
      })) as Application | undefined;
      const s = a?.status;
      return (
        s?.observedGeneration === a?.metadata.generation &&
        s?.sync?.status === 'Synced' &&
        s.sync.revision === sha &&
        s.health?.status === 'Healthy'
      );
    },
    stop: () => proc.stop(),
  };
}
