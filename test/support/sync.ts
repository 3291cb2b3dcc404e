import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  defaultSyncOptions,
  sync,
  type SyncOptions,
  type SyncResult,
} from '../../src/apply/sync.js';
import { Cluster } from '../../src/cluster/cluster.js';
import { defaultRenderOptions, render, type RenderOptions } from '../../src/render/index.js';

/** shared/ sits beside the repository checkout, locally and in CI. */
export const corpusDir = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

export interface SyncCase {
  repoRoot: string;
  path: string;
  app: string;
  namespace: string;
  tuneRender?: (o: RenderOptions) => void;
}

/** Renders a directory and syncs it with the library the CLI and controller use. */
export async function syncDir(
  cluster: Cluster,
  c: SyncCase,
  opts: Partial<SyncOptions> = {},
): Promise<Extract<SyncResult, { kind: 'done' }>> {
  const r = await syncDirResult(cluster, c, opts);
  if (r.kind === 'refused') {
    throw new Error(`sync of ${c.app} refused:\n${r.errors.map((e) => e.message).join('\n')}`);
  }
  return r;
}

export async function syncDirResult(
  cluster: Cluster,
  c: SyncCase,
  opts: Partial<SyncOptions> = {},
): Promise<SyncResult> {
  const ro = defaultRenderOptions();
  ro.helm.namespace = c.namespace;
  c.tuneRender?.(ro);
  const rendered = await render({ repoRoot: c.repoRoot, path: c.path }, ro);
  if (rendered.kind === 'error') throw rendered.error;
  return sync(
    cluster,
    {
      app: { name: c.app, namespace: c.namespace },
      defaultNamespace: c.namespace,
      objects: rendered.objects,
    },
    { ...defaultSyncOptions(), ...opts },
  );
}

/** Entries that are not unchanged, with their diffs, for assertion messages. */
export function notUnchanged(r: Extract<SyncResult, { kind: 'done' }>): string[] {
  return r.changeSet.entries
    .filter((e) => e.action !== 'unchanged')
    .map(
      (e) =>
        `${e.action} ${e.subject.kind}/${e.subject.namespace}/${e.subject.name} ${e.changedPaths.join(',')}\n${e.diff}`,
    );
}

export function clusterFor(kubeconfig: string): Cluster {
  return Cluster.connect({ kubeconfig });
}

export const corpus = (name: string): string => join(corpusDir, name);
