import type { Command } from 'commander';
import type { Cluster } from '../cluster/cluster.js';
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

export { appPath, getApp, mergePatch } from '../reconcile/app-requests.js';

export function withCommon(cmd: Command): Command {
  return kubeOptions(namespaceOption(cmd, 'namespace of the Application', { kind: 'context' }));
}

/** Runs `fn` against the flags' cluster, in `-n` or the kubeconfig context's namespace. */
export function withApp(f: AppFlags, fn: (call: AppCall) => Promise<void>): Promise<void> {
  return withCluster(f, (cluster) => fn({ cluster, namespace: namespaceOf(f, cluster) }));
}

export { whoAmI } from '../cluster/whoami.js';
