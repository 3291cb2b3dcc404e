import { byCodePoint, groupOf, type KubeObject } from '../api/object.js';

/**
 * Kinds applied in the first stage: they define types, scopes or policies that later objects
 * need to exist (a CR needs its CRD Established; a namespaced object needs its Namespace).
 */
const foundationKinds = new Set([
  'apiextensions.k8s.io/CustomResourceDefinition',
  '/Namespace',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'storage.k8s.io/StorageClass',
  'scheduling.k8s.io/PriorityClass',
  'node.k8s.io/RuntimeClass',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
]);

/**
 * Within a stage, the order kubectl and Helm use: what others reference comes first, workloads
 * after their config, webhooks last (a webhook registered before its Service serves would
 * reject every write after it).
 */
const kindOrder = [
  'Namespace',
  'CustomResourceDefinition',
  'PriorityClass',
  'StorageClass',
  'RuntimeClass',
  'ClusterRole',
  'ClusterRoleBinding',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'NetworkPolicy',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Role',
  'RoleBinding',
  'Service',
  'IngressClass',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'PodDisruptionBudget',
  'Ingress',
  'APIService',
];
const lastKinds = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

export const syncWaveAnnotation = 'ballast.dev/sync-wave';

/** Which stage an object belongs to: 0 for foundation kinds, 1 for the rest. */
export function stageOf(obj: KubeObject): 0 | 1 {
  return foundationKinds.has(`${groupOf(obj.apiVersion)}/${obj.kind}`) ? 0 : 1;
}

/** The object's sync wave; objects without the annotation are in wave 0. */
export function waveOf(obj: KubeObject): number | { error: string } {
  const raw = obj.metadata.annotations?.[syncWaveAnnotation];
  if (raw === undefined) return 0;
  const n = Number(raw.trim());
  if (!Number.isInteger(n)) {
    return { error: `annotation ${syncWaveAnnotation} must be a whole number, got "${raw}"` };
  }
  return n;
}

function kindRank(kind: string): number {
  const last = lastKinds.indexOf(kind);
  if (last >= 0) return kindOrder.length + 1 + last;
  const i = kindOrder.indexOf(kind);
  // Unknown kinds (custom resources) go after the built-ins they usually depend on.
  return i < 0 ? kindOrder.length : i;
}

/** A stable total order: kind rank, then kind, namespace and name. */
export function compareForApply(a: KubeObject, b: KubeObject): number {
  return (
    kindRank(a.kind) - kindRank(b.kind) ||
    byCodePoint(a.kind, b.kind) ||
    byCodePoint(a.metadata.namespace ?? '', b.metadata.namespace ?? '') ||
    byCodePoint(a.metadata.name, b.metadata.name)
  );
}

/** One batch of objects applied together, concurrently. */
export interface Batch {
  stage: 0 | 1;
  wave: number;
  /** Kind rank; webhook configurations get a batch of their own, after everything else. */
  objects: KubeObject[];
}

/**
 * Splits objects into ordered batches: stage 0 first, then waves in ascending order, and
 * webhook configurations after every other object of their wave.
 */
export function planBatches(objects: readonly KubeObject[]): Batch[] {
  const byKey = new Map<string, Batch>();
  for (const obj of [...objects].sort(compareForApply)) {
    const stage = stageOf(obj);
    const w = waveOf(obj);
    const wave = typeof w === 'number' ? w : 0;
    const late = lastKinds.includes(obj.kind) ? 1 : 0;
    const key = `${stage}|${wave}|${late}`;
    let batch = byKey.get(key);
    if (batch === undefined) {
      batch = { stage, wave, objects: [] };
      byKey.set(key, batch);
    }
    batch.objects.push(obj);
  }
  const parts = (k: string): number[] => k.split('|').map(Number);
  return [...byKey.entries()]
    .sort(([a], [b]) => {
      const [sa = 0, wa = 0, la = 0] = parts(a);
      const [sb = 0, wb = 0, lb = 0] = parts(b);
      return sa - sb || wa - wb || la - lb;
    })
    .map(([, batch]) => batch);
}
