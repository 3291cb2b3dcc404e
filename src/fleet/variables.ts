import { matchesLabelSelector } from '../api/label-selector.js';
import { byCodePoint } from '../api/object.js';
import { variableNameProblem, type ValuesEntry } from './template.js';

/** What variables are made from: a Cluster's name, labels and annotations. */
export interface VariableSource {
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
}

/** Two or more keys that normalise to one variable name; that variable is left unset. */
export interface VariableCollision {
  variable: string;
  /** The keys, e.g. `label a-b`, `label a.b`, sorted. */
  sources: string[];
}

export interface ClusterVariables {
  /** Name to value, sorted by name, so an Assignment's text is stable. */
  variables: Record<string, string>;
  /** Variables no key could claim alone; the hub reports them on the FleetApplication. */
  collisions: VariableCollision[];
}

/**
 * Annotations that never become variables: kubectl's copy of the whole object is large, says
 * nothing about the cluster, and would be copied into every Assignment.
 */
const skippedAnnotations = new Set(['kubectl.kubernetes.io/last-applied-configuration']);

/**
 * A label or annotation key as it appears in a variable name: each character other than A-Z,
 * a-z, 0-9 and _ becomes _, case is kept (`topology.kubernetes.io/region` →
 * `topology_kubernetes_io_region`).
 */
export function normaliseKey(key: string): string {
  return key.replace(/[^A-Za-z0-9_]/g, '_');
}

function fromKeys(
  prefix: string,
  what: string,
  entries: readonly [string, string][],
  into: Map<string, string>,
  collisions: VariableCollision[],
): void {
  const byName = new Map<string, [string, string][]>();
  for (const [key, value] of entries) {
    const name = `${prefix}${normaliseKey(key)}`;
    const claims = byName.get(name);
    if (claims === undefined) byName.set(name, [[key, value]]);
    else claims.push([key, value]);
  }
  for (const [name, claims] of byName) {
    const [only] = claims;
    if (claims.length === 1 && only !== undefined) into.set(name, only[1]);
    else
      collisions.push({
        variable: name,
        sources: claims.map(([k]) => `${what} ${k}`).sort(byCodePoint),
      });
  }
}

/**
 * A Cluster's variables for one FleetApplication:
 * - `cluster_name`: the Cluster's name;
 * - `cluster_label_<key>` and `cluster_annotation_<key>` for each label and annotation, the key
 *   normalised by `normaliseKey`; when two keys normalise to one name, neither wins: the
 *   variable is unset (so a reference to it fails, naming it) and reported in `collisions`;
 * - then each `values` entry whose clusterSelector matches the Cluster's labels, in order, a
 *   later entry overriding an earlier one. `cluster_` names are the Cluster's alone: an entry
 *   cannot override them (the parser refuses such names; here they are skipped).
 */
export function clusterVariables(
  cluster: VariableSource,
  values: readonly ValuesEntry[] = [],
): ClusterVariables {
  const vars = new Map<string, string>([['cluster_name', cluster.metadata.name]]);
  const collisions: VariableCollision[] = [];
  const labels = Object.entries(cluster.metadata.labels ?? {});
  const annotations = Object.entries(cluster.metadata.annotations ?? {}).filter(
    ([k]) => !skippedAnnotations.has(k),
  );
  fromKeys('cluster_label_', 'label', labels, vars, collisions);
  fromKeys('cluster_annotation_', 'annotation', annotations, vars, collisions);
  for (const entry of values) {
    if (!matchesLabelSelector(entry.clusterSelector, cluster.metadata.labels)) continue;
    for (const [name, value] of Object.entries(entry.variables))
      if (variableNameProblem(name) === undefined) vars.set(name, value);
  }
  const sorted = [...vars].sort(([a], [b]) => byCodePoint(a, b));
  return {
    variables: Object.fromEntries(sorted),
    collisions: collisions.sort((a, b) => byCodePoint(a.variable, b.variable)),
  };
}
