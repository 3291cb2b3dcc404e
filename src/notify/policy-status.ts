import {
  notificationPolicyPlural,
  type NotificationPolicy,
  type NotificationPolicyStatus,
} from '../api/notification-policy.js';
import { ballastApiVersion } from '../api/resource.js';
import type { Cluster } from '../cluster/cluster.js';
import { KubeApiError } from '../cluster/errors.js';

export type PolicyCondition = NonNullable<NotificationPolicyStatus['conditions']>[number];

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * The Ready condition after a judgement (no problem: Ready), or undefined when the one written
 * already says so, so a stream of deliveries writes no status.
 */
export function policyCondition(
  prev: PolicyCondition | undefined,
  generation: number | undefined,
  problem: { reason: string; message: string } | undefined,
): PolicyCondition | undefined {
  const status = problem === undefined ? 'True' : 'False';
  const reason = problem?.reason ?? 'Accepted';
  const message = problem?.message ?? 'the target is allowed and its Secret readable';
  if (
    prev !== undefined &&
    prev.status === status &&
    prev.reason === reason &&
    prev.message === message &&
    prev.observedGeneration === generation
  )
    return undefined;
  return {
    type: 'Ready',
    status,
    reason,
    message: message.slice(0, 1024),
    lastTransitionTime:
      prev !== undefined && prev.status === status ? prev.lastTransitionTime : now(),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
  };
}

/** Writes the policy's status subresource: its Ready condition and observedGeneration. */
export async function writePolicyStatus(
  cluster: Cluster,
  policy: NotificationPolicy,
  ready: PolicyCondition,
): Promise<void> {
  const ns = policy.metadata.namespace ?? '';
  const path = `/apis/${ballastApiVersion}/namespaces/${encodeURIComponent(ns)}/${notificationPolicyPlural}/${encodeURIComponent(policy.metadata.name)}/status`;
  const status: NotificationPolicyStatus = {
    ...(ready.observedGeneration === undefined
      ? {}
      : { observedGeneration: ready.observedGeneration }),
    conditions: [ready],
  };
  const r = await cluster.http.request('PATCH', path, JSON.stringify({ status }), {
    'content-type': 'application/merge-patch+json',
  });
  if (r.status === 404) return;
  if (r.status !== 200)
    throw KubeApiError.from(
      `NotificationPolicy ${ns}/${policy.metadata.name}`,
      'write status',
      r.status,
      r.body,
      r.retryAfter,
    );
}
