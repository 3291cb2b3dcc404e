import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { stringify, parse } from 'yaml';
import type { Cluster } from '../src/cluster/cluster.js';
import {
  applyInstall,
  defaultApplyInstallOptions,
  defaultInstallOptions,
  installManifests,
  type InstallOptions,
} from '../src/cli/install.js';

/**
 * Installs Ballast's CRD and RBAC (no Deployment) and writes a kubeconfig that authenticates as
 * the controller's ServiceAccount with a bound token, so a benchmark measures the controller as
 * it runs in a cluster: least-privilege RBAC and token authentication, not the admin's client
 * certificate (whose chain the apiserver verifies on every request).
 */
export async function controllerKubeconfig(
  cluster: Cluster,
  adminKubeconfig: string,
  path: string,
  install: InstallOptions = { ...defaultInstallOptions(), replicas: 0 },
): Promise<void> {
  await applyInstall(cluster, installManifests(install), defaultApplyInstallOptions());
  const sa = `/api/v1/namespaces/${install.namespace}/serviceaccounts/ballast-controller/token`;
  const body = JSON.stringify({
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 7200 },
  });
  const r = await cluster.http.request('POST', sa, body, { 'content-type': 'application/json' });
  const token = (JSON.parse(r.body) as { status?: { token?: string } }).status?.token;
  if (r.status !== 201 || token === undefined)
    throw new Error(`TokenRequest for ballast-controller answered ${r.status}: ${r.body}`);
  const admin = parse(readFileSync(adminKubeconfig, 'utf8')) as {
    clusters: { name: string; cluster: Record<string, unknown> }[];
  };
  const server = admin.clusters[0];
  if (server === undefined) throw new Error(`${adminKubeconfig} names no cluster`);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [server],
    users: [{ name: 'ballast-controller', user: { token } }],
    contexts: [
      { name: 'controller', context: { cluster: server.name, user: 'ballast-controller' } },
    ],
    'current-context': 'controller',
  };
  await writeFile(path, stringify(config), { mode: 0o600 });
}
