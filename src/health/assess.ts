import { groupOf, type KubeObject } from '../api/object.js';
import { apiServiceHealth } from './apiservice.js';
import { cronJobHealth } from './cronjob.js';
import { customResourceDefinitionHealth } from './customresourcedefinition.js';
import { daemonSetHealth } from './daemonset.js';
import { deploymentHealth } from './deployment.js';
import { genericHealth } from './generic.js';
import { horizontalPodAutoscalerHealth } from './horizontalpodautoscaler.js';
import { ingressHealth } from './ingress.js';
import { jobHealth } from './job.js';
import { namespaceHealth } from './namespace.js';
import { persistentVolumeClaimHealth } from './persistentvolumeclaim.js';
import { podHealth } from './pod.js';
import { replicaSetHealth } from './replicaset.js';
import { progressing, worse, type HealthReport } from './report.js';
import { serviceHealth } from './service.js';
import { statefulSetHealth } from './statefulset.js';

type HealthCheck = (obj: KubeObject) => HealthReport;

/** The kinds with their own rules, by `group/Kind`; everything else gets genericHealth. */
const CHECKS: ReadonlyMap<string, HealthCheck> = new Map([
  ['apps/Deployment', deploymentHealth],
  ['apps/StatefulSet', statefulSetHealth],
  ['apps/DaemonSet', daemonSetHealth],
  ['apps/ReplicaSet', replicaSetHealth],
  ['/Pod', podHealth],
  ['batch/Job', jobHealth],
  ['batch/CronJob', cronJobHealth],
  ['/Service', serviceHealth],
  ['/PersistentVolumeClaim', persistentVolumeClaimHealth],
  ['networking.k8s.io/Ingress', ingressHealth],
  ['apiextensions.k8s.io/CustomResourceDefinition', customResourceDefinitionHealth],
  ['apiregistration.k8s.io/APIService', apiServiceHealth],
  ['/Namespace', namespaceHealth],
  ['autoscaling/HorizontalPodAutoscaler', horizontalPodAutoscalerHealth],
]);

/**
 * The health of one live object; `undefined` (not found) is Missing. An object being deleted
 * is at best Progressing, whatever its status says: it is on its way out.
 */
export function assessHealth(live: KubeObject | undefined): HealthReport {
  if (live === undefined) return { status: 'Missing', message: 'not found in the cluster' };
  const check = CHECKS.get(`${groupOf(live.apiVersion)}/${live.kind}`) ?? genericHealth;
  const report = check(live);
  if (live.metadata['deletionTimestamp'] == null) return report;
  // Keep the kind's own report when it is Progressing or worse: it says more (a Namespace
  // stuck deleting its content is Degraded, not merely "being deleted").
  return worse(report.status, 'Progressing') === report.status
    ? report
    : progressing('being deleted');
}
