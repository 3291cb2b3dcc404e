import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Cluster } from '../../src/cluster/cluster.js';
import { buildCsr, generateAgentKey } from '../../src/fleet/registration/csr.js';
import { registrarGuardName } from '../../src/fleet/registration/index.js';
import {
  csrBody,
  csrs,
  startTestHub,
  statusOf,
  type TestHub,
} from '../support/registration-hub.js';
import { eventually } from '../support/kube.js';

const rbac = '/apis/rbac.authorization.k8s.io/v1';

/** The status of creating `body` at `path` as `as`. */
const create = (as: Cluster, path: string, body: object): Promise<number> =>
  statusOf(as, 'POST', path, body, 'application/json');

describe("the registrar's account on the hub cannot make itself cluster-admin", () => {
  const cp = inject('controlPlane');
  const suffix = randomBytes(3).toString('hex');
  const name = `ballast-test-escalate-${suffix}`;
  let h: TestHub;
  // The account the registrar runs as in the test hub (`ballast-hub` in the fleet namespace).
  let self: { kind: string; name: string; namespace: string };

  beforeAll(async () => {
    h = await startTestHub(cp);
    self = { kind: 'ServiceAccount', name: 'ballast-hub', namespace: h.fleetNs };
  }, 120_000);

  afterAll(async () => {
    // Only reached when an attack got through: leave no cluster-admin binding behind.
    for (const path of [
      `${rbac}/clusterrolebindings/${name}`,
      `${rbac}/clusterroles/${name}`,
      `${rbac}/namespaces/kube-system/rolebindings/${name}`,
      `${csrs}/${name}`,
    ])
      await h.hubKube.del(path);
    await h.stop();
  });

  it('a ClusterRoleBinding of cluster-admin to its own account is refused by the apiserver', async () => {
    const status = await create(h.registrarAccount, `${rbac}/clusterrolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'cluster-admin',
      },
      subjects: [self],
    });
    expect(status).toBe(403);
  });

  it('a ClusterRole granting every verb on every resource is refused by the apiserver', async () => {
    const status = await create(h.registrarAccount, `${rbac}/clusterroles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    });
    expect(status).toBe(403);
  });

  it('a RoleBinding of cluster-admin in kube-system to its own account is refused', async () => {
    const path = `${rbac}/namespaces/kube-system/rolebindings`;
    const status = await create(h.registrarAccount, path, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace: 'kube-system' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'cluster-admin',
      },
      subjects: [self],
    });
    expect(status).toBe(403);
  });

  it('it may not request a client certificate of its own, which it could then approve', async () => {
    // It holds CSR create only so that it may grant it to the agents; the install's admission
    // policy refuses its own requests, or approve + create would mint any user's certificate.
    const pem = buildCsr(generateAgentKey(), 'system:kube-controller-manager');
    const body = JSON.stringify(csrBody(name, pem));
    const json = { 'content-type': 'application/json' };
    let refusal = '';
    // The policy takes effect a moment after it is created (the apiserver compiles it).
    await eventually("the hub account's CSR is refused", 30_000, async () => {
      const r = await h.registrarAccount.http.request('POST', csrs, body, json);
      if (r.status === 201) await h.hubKube.del(`${csrs}/${name}`);
      refusal = r.body;
      return r.status === 403;
    });
    // Refused by the admission policy, not for want of RBAC: it does hold CSR create.
    expect(refusal).toContain(registrarGuardName(h.fleetNs));
  });
});
