import type { Cluster } from './cluster.js';

/**
 * Who the apiserver says we are (a SelfSubjectReview, which every authenticated user may
 * make), so a record names a person or account, not a kubeconfig nickname. `unknown` when the
 * apiserver will not say.
 */
export async function whoAmI(cluster: Cluster): Promise<string> {
  const r = await cluster.http.request(
    'POST',
    '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
    { 'content-type': 'application/json' },
  );
  if (r.status !== 201 && r.status !== 200) return 'unknown';
  const body = JSON.parse(r.body) as { status?: { userInfo?: { username?: string } } };
  return body.status?.userInfo?.username ?? 'unknown';
}
