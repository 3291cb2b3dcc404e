import { labelSelectorProblems, matchesLabelSelector } from '../api/label-selector.js';
import { byCodePoint } from '../api/object.js';
import type { Placement } from './template.js';

/** What placement reads of a Cluster: its name and labels. */
export interface PlacedCluster {
  metadata: { name: string; labels?: Record<string, string> };
}

export type PlacementResult =
  | {
      kind: 'ok';
      /** The selected Clusters' names, sorted by code point; empty is not an error. */
      names: string[];
      /** Names in clusterNames that no Cluster has, sorted: the hub reports them, writes nothing for them. */
      missing: string[];
    }
  | { kind: 'invalid'; problems: string[] };

/**
 * The Clusters a placement selects: those its selector matches, and those it names. A selector
 * that matches nothing selects nothing; only an invalid selector is a problem, named by its
 * field path under `path` (`spec.placement` by default).
 */
export function selectClusters(
  placement: Placement,
  clusters: readonly PlacedCluster[],
  path = 'spec.placement',
): PlacementResult {
  const selector = placement.clusterSelector;
  if (selector !== undefined) {
    const problems = labelSelectorProblems(selector, `${path}.clusterSelector`);
    if (problems.length > 0) return { kind: 'invalid', problems };
  }
  const existing = new Set(clusters.map((c) => c.metadata.name));
  const selected = new Set<string>();
  if (selector !== undefined)
    for (const c of clusters)
      if (matchesLabelSelector(selector, c.metadata.labels)) selected.add(c.metadata.name);
  const missing = new Set<string>();
  for (const name of placement.clusterNames ?? [])
    if (existing.has(name)) selected.add(name);
    else missing.add(name);
  return {
    kind: 'ok',
    names: [...selected].sort(byCodePoint),
    missing: [...missing].sort(byCodePoint),
  };
}
