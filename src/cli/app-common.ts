import type { Command } from 'commander';
import {
  applicationApiVersion,
  applicationKind,
  applicationPlural,
  type Application,
} from '../api/application.js';
import type { Cluster } from '../cluster/cluster.js';
import { KubeApiError } from '../cluster/errors.js';
import {
  kubeOptions,
  namespaceOf,
  namespaceOption,
  withCluster,
  type KubeFlags,
} from './options.js';

/** What every `ballast app` command shares. */
export interface AppFlags extends KubeFlags {
  /** `-n`; when unset, the kubeconfig context's namespace (see AppCall). */
  namespace?: string;
  allNamespaces?: boolean;
  output?: string;
}

/** One `ballast app` command's cluster and the namespace its Application is in. */
export interface AppCall {
  cluster: Cluster;
  namespace: string;
}

export const say = (s: string): void => {
  process.stdout.write(s.endsWith('\n') ? s : s + '\n');
};

export function appPath(ns: string, name: string): string {
  return `/apis/${applicationApiVersion}/namespaces/${ns}/${applicationPlural}/${name}`;
}

export async function getApp(cluster: Cluster, ns: string, name: string): Promise<Application> {
  const obj = await cluster.get({
    apiVersion: applicationApiVersion,
    kind: applicationKind,
    metadata: { name, namespace: ns },
  });
  if (obj === undefined) throw new Error(`Application ${ns}/${name}: not found`);
  return obj as unknown as Application;
}

export async function mergePatch(
  cluster: Cluster,
  ns: string,
  name: string,
  patch: object,
): Promise<void> {
  const r = await cluster.http.request('PATCH', appPath(ns, name), JSON.stringify(patch), {
    'content-type': 'application/merge-patch+json',
  });
  if (r.status !== 200)
    throw KubeApiError.from(`Application ${ns}/${name}`, 'patch', r.status, r.body);
}

export function withCommon(cmd: Command): Command {
  return kubeOptions(namespaceOption(cmd, 'namespace of the Application', { kind: 'context' }));
}

/** Runs `fn` against the flags' cluster, in `-n` or the kubeconfig context's namespace. */
export function withApp(f: AppFlags, fn: (call: AppCall) => Promise<void>): Promise<void> {
  return withCluster(f, (cluster) => fn({ cluster, namespace: namespaceOf(f, cluster) }));
}

export { whoAmI } from '../cluster/whoami.js';
