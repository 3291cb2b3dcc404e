import type { Cluster } from '../../cluster/cluster.js';
import { KubeApiError } from '../../cluster/errors.js';

/**
 * The raw calls registration makes that `Cluster` has no method for (create that must not
 * overwrite, subresources, TokenRequest): JSON in, parsed JSON out, and an error status as a
 * KubeApiError naming `subject`. `accept` lists the statuses that are not errors.
 */
export async function call(
  cluster: Cluster,
  request: {
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    path: string;
    subject: string;
    verb: string;
    body?: unknown;
    contentType?: string;
    accept?: readonly number[];
  },
): Promise<{ status: number; body: unknown }> {
  const { method, path, body } = request;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> =
    payload === undefined ? {} : { 'content-type': request.contentType ?? 'application/json' };
  const r = await cluster.http.request(method, path, payload, headers);
  const ok = request.accept ?? [200, 201];
  if (!ok.includes(r.status))
    throw KubeApiError.from(request.subject, request.verb, r.status, r.body, r.retryAfter);
  const parsed = r.status >= 200 && r.status < 300 ? (JSON.parse(r.body) as unknown) : undefined;
  return { status: r.status, body: parsed };
}

export const csrPath = (name?: string): string =>
  `/apis/certificates.k8s.io/v1/certificatesigningrequests${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;

export const clusterPath = (namespace: string, name?: string): string =>
  `/apis/ballast.dev/v1alpha1/namespaces/${encodeURIComponent(namespace)}/clusters${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;

export const secretPath = (namespace: string, name?: string): string =>
  `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;

/** A CertificateSigningRequest as far as registration reads it. */
export interface CsrObject {
  metadata: { name: string; resourceVersion?: string; uid?: string };
  spec: {
    request: string;
    signerName: string;
    username?: string;
    usages?: string[];
    expirationSeconds?: number;
  };
  status?: {
    certificate?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/** Where a CSR stands: decided conditions win over an issued certificate. */
export function csrState(csr: CsrObject): 'pending' | 'approved' | 'denied' | 'failed' {
  const conditions = csr.status?.conditions ?? [];
  const has = (type: string): boolean =>
    conditions.some((c) => c.type === type && c.status === 'True');
  if (has('Denied')) return 'denied';
  if (has('Failed')) return 'failed';
  if (has('Approved')) return 'approved';
  return 'pending';
}
