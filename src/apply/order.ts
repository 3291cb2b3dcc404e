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
]);

/**
 * Kinds applied in the last stage, after every other object of their wave: they judge the
 * writes that come after them. A webhook registered before its Service serves would reject
 * every later write; a policy applied with the CRDs would judge some of them and not others,
 * as the concurrent applies happened to land.
 */
const admissionKinds = new Set([
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/MutatingAdmissionPolicy',
  'admissionregistration.k8s.io/MutatingAdmissionPolicyBinding',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
]);

/**
 * Within a stage, the order kubectl and Helm use: what others reference comes first, workloads
 * after their config, admission configuration last (policies before the bindings that name
 * them, webhooks after).
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
const lastKinds = [
  'ValidatingAdmissionPolicy',
  'MutatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'MutatingAdmissionPolicyBinding',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
];

export const syncWaveAnnotation = 'ballast.dev/sync-wave';

/**
 * An object's stage: 0 for foundation kinds, applied before every wave; 1 for the rest; 2 for
 * admission configuration (webhooks, admission policies and their bindings), applied after
 * stage 1 of its wave.
 */
export type Stage = 0 | 1 | 2;

/** Which stage an object belongs to. */
export function stageOf(obj: KubeObject): Stage {
  const groupKind = `${groupOf(obj.apiVersion)}/${obj.kind}`;
  if (foundationKinds.has(groupKind)) return 0;
  return admissionKinds.has(groupKind) ? 2 : 1;
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
  stage: Stage;
  wave: number;
  /** In apply order: kind rank, then kind, namespace and name. */
  objects: KubeObject[];
}

/** Batch order: stage 0 of every wave first, then each wave's stage 1 and then its stage 2. */
function compareBatches(a: Batch, b: Batch): number {
  const foundation = (x: Batch): number => (x.stage === 0 ? 0 : 1);
  return foundation(a) - foundation(b) || a.wave - b.wave || a.stage - b.stage;
}

/**
 * Splits objects into ordered batches: stage 0 first, then waves in ascending order, and
 * admission configuration after every other object of its wave.
 */
export function planBatches(objects: readonly KubeObject[]): Batch[] {
  const byKey = new Map<string, Batch>();
  for (const obj of [...objects].sort(compareForApply)) {
    const stage = stageOf(obj);
    const w = waveOf(obj);
    const wave = typeof w === 'number' ? w : 0;
    const key = `${stage}|${wave}`;
    let batch = byKey.get(key);
    if (batch === undefined) {
      batch = { stage, wave, objects: [] };
      byKey.set(key, batch);
    }
    batch.objects.push(obj);
  }
  return [...byKey.values()].sort(compareBatches);
}
