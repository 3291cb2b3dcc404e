import { refKey, refOf } from '../api/object.js';
import type { Cluster } from '../cluster/cluster.js';
import type { TreeNode } from '../health/tree.js';
import { getAppMetadata, getAppShared } from './app-read.js';
import { readAppTree } from '../reconcile/app-tree.js';
import type { ResourceNode, ResourcePage, SyncStatus } from './api.js';
import { pageOf } from './apps.js';

/** GET /api/apps/:ns/:name/resources: the tree flattened depth first, filtered, paged. */

export const maxResourcePage = 1000;
const defaultResourcePage = 200;

export interface ResourceQuery {
  offset?: number;
  limit?: number;
  q?: string;
}

export function parseResourceQuery(q: URLSearchParams): ResourceQuery {
  const text = q.get('q');
  return {
    ...pageOf(q, maxResourcePage),
    ...(text === null || text.trim() === '' ? {} : { q: text.trim() }),
  };
}

const syncOf = (s: string | undefined): SyncStatus | undefined =>
  s === 'Synced' || s === 'OutOfSync' || s === 'Unknown' ? s : undefined;

/** The tree as rows in depth-first order, each naming its parent's key. Pure. */
export function flattenTree(nodes: readonly TreeNode[]): ResourceNode[] {
  const out: ResourceNode[] = [];
  const walk = (list: readonly TreeNode[], parent: string | undefined, depth: number): void => {
    for (const n of list) {
      const ref = refOf(n.object);
      const key = refKey(ref);
      const sync = syncOf(n.sync);
      out.push({
        ...ref,
        key,
        ...(parent === undefined ? {} : { parent }),
        depth,
        ...(sync === undefined ? {} : { sync }),
        health: n.health.status,
        ...(n.health.status === 'Healthy' ? {} : { healthMessage: n.health.message }),
      });
      walk(n.children, key, depth + 1);
    }
  };
  walk(nodes, undefined, 0);
  return out;
}

/**
 * Counts every row by health, keeps those matching `q` (in Kind/name) and cuts the page. A
 * filtered row keeps its parent key even when the parent is filtered out. Pure.
 */
export function pageResources(rows: readonly ResourceNode[], q: ResourceQuery): ResourcePage {
  const counts: ResourcePage['counts'] = {};
  for (const r of rows) counts[r.health] = (counts[r.health] ?? 0) + 1;
  const needle = q.q?.toLowerCase();
  const matches =
    needle === undefined
      ? rows
      : rows.filter((r) => `${r.kind}/${r.namespace}/${r.name}`.toLowerCase().includes(needle));
  const offset = q.offset ?? 0;
  const limit = Math.min(q.limit ?? defaultResourcePage, maxResourcePage);
  return { items: matches.slice(offset, offset + limit), total: matches.length, counts };
}

/**
 * A tree read is kept a few seconds per session identity and Application generation (uid and
 * resourceVersion), so paging and a second look do not read thousands of objects again; a new
 * status, a new session or a recreated Application is a new key. Bounded in entries and time.
 */
const treeTtlMs = 3_000;
const maxTrees = 32;
const trees = new Map<string, { at: number; rows: Promise<ResourceNode[]> }>();

export async function resourceRows(
  cluster: Cluster,
  sessionId: string,
  ns: string,
  name: string,
): Promise<ResourceNode[]> {
  const now = performance.now();
  for (const [k, v] of trees) if (now - v.at > treeTtlMs) trees.delete(k);
  // The metadata alone says whether a kept tree is still this Application's: a few hundred
  // bytes instead of its whole status.
  const meta = await getAppMetadata(cluster, ns, name);
  const kept = trees.get(treeKey(sessionId, ns, name, meta));
  if (kept !== undefined) return kept.rows;
  const app = await getAppShared(cluster, sessionId, ns, name);
  const key = treeKey(sessionId, ns, name, app.metadata);
  const rows = (async () => flattenTree(await readAppTree(cluster, app)))();
  trees.delete(key);
  trees.set(key, { at: now, rows });
  // Oldest first: Map keeps insertion order.
  for (const k of trees.keys()) {
    if (trees.size <= maxTrees) break;
    trees.delete(k);
  }
  rows.catch(() => trees.delete(key));
  return rows;
}

function treeKey(
  sessionId: string,
  ns: string,
  name: string,
  m: { uid?: unknown; resourceVersion?: unknown },
): string {
  return JSON.stringify([sessionId, ns, name, m.uid ?? '', m.resourceVersion ?? '']);
}

export async function resourcePage(
  cluster: Cluster,
  sessionId: string,
  ns: string,
  name: string,
  q: ResourceQuery,
): Promise<ResourcePage> {
  return pageResources(await resourceRows(cluster, sessionId, ns, name), q);
}
