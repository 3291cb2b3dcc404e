import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Cluster } from '../../src/cluster/cluster.js';
import { buildCsr, generateAgentKey } from '../../src/fleet/registration/csr.js';
import { registrarGuardNames } from '../../src/fleet/registration/index.js';
import { registrationLabel } from '../../src/fleet/registration/names.js';
import { csrBody, csrs, startTestHub, type TestHub } from '../support/registration-hub.js';
import { eventually } from '../support/kube.js';

const rbac = '/apis/rbac.authorization.k8s.io/v1';
const rbacGroup = 'rbac.authorization.k8s.io';
const json = { 'content-type': 'application/json' };

/** What the apiserver answers `as` sending `body` to `path`. */
async function send(
  as: Cluster,
  method: 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: object,
): Promise<{ status: number; body: string }> {
  const headers = method === 'PATCH' ? { 'content-type': 'application/merge-patch+json' } : json;
  const r = await as.http.request(method, path, body && JSON.stringify(body), headers);
  return { status: r.status, body: r.body };
}

/** The escalation check's words: the account does not hold what it tries to grant. */
const notHeld = 'is attempting to grant RBAC permissions not currently held';

describe("the registrar's account on the hub cannot make itself cluster-admin", () => {
  const cp = inject('controlPlane');
  const suffix = randomBytes(3).toString('hex');
  const name = `ballast-test-escalate-${suffix}`;
  const mark = { [registrationLabel]: `escalate-${suffix}` };
  let h: TestHub;
  // The account the registrar runs as in the test hub (`ballast-hub` in the fleet namespace).
  let self: { kind: string; name: string; namespace: string };
  let guard: ReturnType<typeof registrarGuardNames>;

  beforeAll(async () => {
    h = await startTestHub(cp);
    self = { kind: 'ServiceAccount', name: 'ballast-hub', namespace: h.fleetNs };
    guard = registrarGuardNames(h.fleetNs);
  }, 120_000);

  afterAll(async () => {
    // Mostly reached when an attack got through: leave no binding or role behind.
    for (const path of [
      `${rbac}/clusterrolebindings/${name}`,
      `${rbac}/clusterroles/${name}`,
      `${rbac}/clusterroles/${name}-csr`,
      `${rbac}/clusterroles/${name}-victim`,
      `${rbac}/namespaces/kube-system/rolebindings/${name}`,
      `${csrs}/${name}`,
    ])
      await h.hubKube.del(path);
    await h.stop();
  });

  it('a ClusterRoleBinding of cluster-admin to its own account is refused by the apiserver', async () => {
    const r = await send(h.registrarAccount, 'POST', `${rbac}/clusterrolebindings`, {
      apiVersion: `${rbacGroup}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: { name, labels: mark },
      roleRef: { apiGroup: rbacGroup, kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [self],
    });
    expect(r.status).toBe(403);
    expect(r.body).toContain(notHeld);
  });

  it('a ClusterRole granting every verb on every resource is refused by the apiserver', async () => {
    const r = await send(h.registrarAccount, 'POST', `${rbac}/clusterroles`, {
      apiVersion: `${rbacGroup}/v1`,
      kind: 'ClusterRole',
      metadata: { name, labels: mark },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    });
    expect(r.status).toBe(403);
    expect(r.body).toContain(notHeld);
  });

  it('a RoleBinding of cluster-admin in kube-system to its own account is refused', async () => {
    const r = await send(
      h.registrarAccount,
      'POST',
      `${rbac}/namespaces/kube-system/rolebindings`,
      {
        apiVersion: `${rbacGroup}/v1`,
        kind: 'RoleBinding',
        metadata: { name, namespace: 'kube-system', labels: mark },
        roleRef: { apiGroup: rbacGroup, kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [self],
      },
    );
    expect(r.status).toBe(403);
    expect(r.body).toContain(notHeld);
  });

  it('it may not request a client certificate of its own, which it could then approve', async () => {
    // It holds CSR create only so that it may grant it to the agents; the install's admission
    // policy refuses its own requests, or approve + create would mint any user's certificate.
    const pem = buildCsr(generateAgentKey(), 'system:kube-controller-manager');
    let refusal = '';
    // The policy takes effect a moment after it is created (the apiserver compiles it).
    await eventually("the hub account's CSR is refused", 30_000, async () => {
      const r = await send(h.registrarAccount, 'POST', csrs, csrBody(name, pem));
      if (r.status === 201) await h.hubKube.del(`${csrs}/${name}`);
      refusal = r.body;
      return r.status === 403;
    });
    // Refused by the admission policy, not for want of RBAC: it does hold CSR create.
    expect(refusal).toContain(guard.csr);
  });

  it('it may not hand its right to create CSRs to anonymous requests, which it could then approve', async () => {
    const role = await send(h.registrarAccount, 'POST', `${rbac}/clusterroles`, {
      apiVersion: `${rbacGroup}/v1`,
      kind: 'ClusterRole',
      metadata: { name: `${name}-csr`, labels: mark },
      rules: [
        {
          apiGroups: ['certificates.k8s.io'],
          resources: ['certificatesigningrequests'],
          verbs: ['create'],
        },
      ],
    });
    expect(role.status, role.body).toBe(201);
    let refusal = { status: 0, body: '' };
    await eventually('the binding to anonymous requests is refused', 30_000, async () => {
      refusal = await send(h.registrarAccount, 'POST', `${rbac}/clusterrolebindings`, {
        apiVersion: `${rbacGroup}/v1`,
        kind: 'ClusterRoleBinding',
        metadata: { name, labels: mark },
        roleRef: { apiGroup: rbacGroup, kind: 'ClusterRole', name: `${name}-csr` },
        subjects: [{ apiGroup: rbacGroup, kind: 'Group', name: 'system:unauthenticated' }],
      });
      if (refusal.status === 201) await h.hubKube.del(`${rbac}/clusterrolebindings/${name}`);
      return refusal.status === 403;
    });
    expect(refusal.body).toContain(guard.rbacSubjects);
    // What it made under the registration label stays its own to change and delete.
    const roleMade = `${rbac}/clusterroles/${name}-csr`;
    const changed = await send(h.registrarAccount, 'PATCH', roleMade, {
      metadata: { annotations: { note: 'changed' } },
    });
    expect(changed.status, changed.body).toBe(200);
    const gone = await send(h.registrarAccount, 'DELETE', roleMade);
    expect(gone.status, gone.body).toBe(200);
  });

  it('it may not add that right to a role it did not make, nor delete one', async () => {
    // A role like system:public-info-viewer (bound to anonymous requests) holding nothing the
    // account lacks, so only the admission policy stands in the way.
    const victim = `${rbac}/clusterroles/${name}-victim`;
    const csrRule = (verbs: string[]): object => ({
      apiGroups: ['certificates.k8s.io'],
      resources: ['certificatesigningrequests'],
      verbs,
    });
    const made = await h.hubKube.apply(
      victim,
      {
        apiVersion: `${rbacGroup}/v1`,
        kind: 'ClusterRole',
        metadata: { name: `${name}-victim` },
        rules: [csrRule(['get'])],
      },
      'ballast-test',
    );
    expect([200, 201], made.body).toContain(made.status);
    const patch = { metadata: { labels: mark }, rules: [csrRule(['get', 'create'])] };
    let refusal = { status: 0, body: '' };
    await eventually('the change to a role it did not make is refused', 30_000, async () => {
      refusal = await send(h.registrarAccount, 'PATCH', victim, patch);
      return refusal.status === 403;
    });
    expect(refusal.body).toContain(guard.rbacLabel);
    const deleted = await send(h.registrarAccount, 'DELETE', victim);
    expect(deleted.status).toBe(403);
    expect(deleted.body).toContain(guard.rbacLabel);
  });
});
