import { formatRef, refOf, type KubeObject } from '../api/object.js';
import type { HealthReport } from './report.js';

/** One node of an Application's tree (`ballast app tree`, the UI): a managed object, or something a managed object owns. */
export interface TreeNode {
  object: KubeObject;
  /** Synced / OutOfSync for managed objects; undefined for what they own, which Git never names. */
  sync: string | undefined;
  health: HealthReport;
  children: TreeNode[];
}

const uidOf = (o: KubeObject): string | undefined => o.metadata['uid'] as string | undefined;

function ownerUids(o: KubeObject): string[] {
  const refs = o.metadata['ownerReferences'];
  if (!Array.isArray(refs)) return [];
  return refs.flatMap((r: unknown) =>
    typeof r === 'object' && r !== null && typeof (r as { uid?: unknown }).uid === 'string'
      ? [(r as { uid: string }).uid]
      : [],
  );
}

/**
 * Hangs each owned object under its owner, depth first: a Deployment's ReplicaSets, their Pods.
 * `owned` may hold objects of other applications; only those reachable from `managed` appear.
 */
export function buildTree(
  managed: readonly Omit<TreeNode, 'children'>[],
  owned: readonly KubeObject[],
  healthOf: (o: KubeObject) => HealthReport,
): TreeNode[] {
  const byOwner = new Map<string, KubeObject[]>();
  for (const o of owned)
    for (const uid of ownerUids(o)) {
      const siblings = byOwner.get(uid);
      if (siblings === undefined) byOwner.set(uid, [o]);
      else siblings.push(o);
    }
  const seen = new Set<string>();
  const childrenOf = (o: KubeObject): TreeNode[] => {
    const uid = uidOf(o);
    // An ownerReference cycle is invalid but possible; never loop on one.
    if (uid === undefined || seen.has(uid)) return [];
    seen.add(uid);
    return (byOwner.get(uid) ?? [])
      .slice()
      .sort((a, b) => formatRef(refOf(a)).localeCompare(formatRef(refOf(b))))
      .map((c) => ({ object: c, sync: undefined, health: healthOf(c), children: childrenOf(c) }));
  };
  return managed.map((m) => ({ ...m, children: childrenOf(m.object) }));
}
