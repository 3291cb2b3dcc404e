import { groupOf, refOf, type KubeObject, type Origin } from '../api/object.js';
import type { Cluster } from '../cluster/cluster.js';
import { trackingMetadata } from '../inventory/index.js';
import { refuseCiphertext } from './ciphertext.js';
import { SyncObjectError } from './errors.js';

export interface DesiredObject {
  object: KubeObject;
  origin?: Origin;
}

export interface PreparedObject {
  object: KubeObject;
  origin: Origin | undefined;
  namespaced: boolean;
  /** The kind is served by a CRD that this same sync creates; it cannot be dry-run beforehand. */
  crdInSet: boolean;
}

function scopeFromCrds(
  obj: KubeObject,
  crds: readonly KubeObject[],
): 'Namespaced' | 'Cluster' | undefined {
  const group = groupOf(obj.apiVersion);
  for (const crd of crds) {
    const spec = crd.spec as
      { group?: string; scope?: string; names?: { kind?: string } } | undefined;
    if (spec?.group === group && spec.names?.kind === obj.kind) {
      return spec.scope === 'Cluster' ? 'Cluster' : 'Namespaced';
    }
  }
  return undefined;
}

/**
 * Resolves each object's scope, fills in the default namespace for namespaced objects that
 * name none, drops a namespace from cluster-scoped ones (as kubectl does), and adds the
 * tracking label. Objects whose kind nobody serves, and Secrets still holding SOPS ciphertext,
 * are errors naming their file.
 */
export async function prepareObjects(
  cluster: Cluster,
  desired: readonly DesiredObject[],
  app: { namespace: string; name: string },
  defaultNamespace: string,
): Promise<{ prepared: PreparedObject[]; errors: SyncObjectError[] }> {
  const crds = desired
    .map((d) => d.object)
    .filter(
      (o) =>
        o.kind === 'CustomResourceDefinition' && groupOf(o.apiVersion) === 'apiextensions.k8s.io',
    );
  const prepared: PreparedObject[] = [];
  const errors: SyncObjectError[] = [];
  for (const d of desired) {
    const ciphertext = refuseCiphertext(d.object, d.origin);
    if (ciphertext !== undefined) {
      errors.push(ciphertext);
      continue;
    }
    const info = await cluster.discovery.resolve(d.object.apiVersion, d.object.kind);
    const fromSet = info === undefined ? scopeFromCrds(d.object, crds) : undefined;
    if (info === undefined && fromSet === undefined) {
      errors.push(
        new SyncObjectError(
          refOf(d.object),
          d.origin,
          `the apiserver serves no kind ${d.object.kind} in ${d.object.apiVersion}; add its CustomResourceDefinition to the repo or install it first, or fix the apiVersion`,
        ),
      );
      continue;
    }
    const namespaced = info?.namespaced ?? fromSet === 'Namespaced';
    const metadata = { ...d.object.metadata };
    if (namespaced) metadata.namespace = metadata.namespace ?? defaultNamespace;
    else delete metadata.namespace;
    const tracking = trackingMetadata(app);
    metadata.labels = { ...(metadata.labels ?? {}), ...tracking.labels };
    if (Object.keys(tracking.annotations).length > 0)
      metadata.annotations = { ...(metadata.annotations ?? {}), ...tracking.annotations };
    prepared.push({
      object: { ...d.object, metadata },
      origin: d.origin,
      namespaced,
      crdInSet: info === undefined,
    });
  }
  return { prepared, errors };
}
