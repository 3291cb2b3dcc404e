import { refKey, refOf } from '../api/object.js';
import type { Cluster } from '../cluster/cluster.js';
import type { TreeNode } from '../health/tree.js';
import { getApp } from '../reconcile/app-requests.js';
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

/** A tree read is kept this long per user and Application, so paging does not read it again. */
const treeTtlMs = 2_000;
const trees = new Map<string, { at: number; rows: Promise<ResourceNode[]> }>();

export async function resourceRows(
  cluster: Cluster,
  sessionId: string,
  ns: string,
  name: string,
): Promise<ResourceNode[]> {
  const key = `${sessionId}|${ns}/${name}`;
  const now = performance.now();
  for (const [k, v] of trees) if (now - v.at > treeTtlMs) trees.delete(k);
  const kept = trees.get(key);
  if (kept !== undefined) return kept.rows;
  const rows = (async () =>
    flattenTree(await readAppTree(cluster, await getApp(cluster, ns, name))))();
  trees.set(key, { at: now, rows });
  rows.catch(() => trees.delete(key));
  return rows;
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
