import { expect } from 'vitest';
import { Cluster } from '../../src/cluster/cluster.js';
import {
  createRegistrationToken,
  registrarControllerRole,
  startRegistrar,
  type AgentRegistrationOptions,
  type Registrar,
} from '../../src/fleet/registration/index.js';
import { installFleetCrds } from './fleet-hub.js';
import type { TestControlPlane } from './global-setup.js';
import { eventually, kubeFor, testNamespace, type TestKube } from './kube.js';

/** The status of one raw request made as `as` (a hub client of some identity). */
export async function statusOf(
  as: Cluster,
  method: string,
  path: string,
  body?: object,
  contentType = 'application/merge-patch+json',
): Promise<number> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> =
    payload === undefined ? {} : { 'content-type': contentType };
  return (await as.http.request(method, path, payload, headers)).status;
}

/** A CSR as a test reads it back. */
export interface CsrSeen {
  status?: { certificate?: string; conditions?: { type: string; reason: string }[] };
}

export const csrs = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

export const assignments = (ns: string): string =>
  `/apis/ballast.dev/v1alpha1/namespaces/${ns}/assignments`;

/** A client-auth CSR body for the PEM request `pem`. */
export const csrBody = (name: string, pem: string): object => ({
  apiVersion: 'certificates.k8s.io/v1',
  kind: 'CertificateSigningRequest',
  metadata: { name },
  spec: {
    request: Buffer.from(pem).toString('base64'),
    signerName: 'kubernetes.io/kube-apiserver-client',
    usages: ['client auth'],
    expirationSeconds: 3600,
  },
});

/**
 * cluster-1 as a hub with the fleet CRDs, a fleet namespace of the test's own, a running
 * registrar and a registration token; the spoke is cluster-2 when there is one (else cluster-1,
 * where the agent's Secret then lives).
 */
export interface TestHub {
  hubConfig: string;
  hubKube: TestKube;
  hub: Cluster;
  spoke: Cluster;
  spokeKube: TestKube;
  fleetNs: string;
  /** The registrar's log lines. */
  logs: string[];
  hubUrl: string;
  hubCaPem: string;
  token: string;
  agentOpts: (
    clusterName: string,
    namespace: string,
    token: string | undefined,
  ) => Partial<AgentRegistrationOptions> & Pick<AgentRegistrationOptions, 'clusterName' | 'hubUrl'>;
  /** A hub client holding the registration token, as any holder of it may act. */
  tokenHolder: () => Cluster;
  /** The CSR once the registrar has put a condition on it. */
  decided: (name: string) => Promise<CsrSeen>;
  /** Stops the registrar, as `ballast hub` going down would; `resumeRegistrar` starts another. */
  pauseRegistrar: () => Promise<void>;
  resumeRegistrar: () => Promise<void>;
  stop: () => Promise<void>;
}

/**
 * A hub client with only registrarControllerRole's rights (a ServiceAccount token), so the
 * tests show that role is enough for the registrar to work.
 */
async function registrarClient(kube: TestKube, fleetNs: string): Promise<Cluster> {
  const role = registrarControllerRole();
  const sa = 'ballast-hub';
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  const writes: [string, object][] = [
    [
      `/api/v1/namespaces/${fleetNs}/serviceaccounts/${sa}`,
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: fleetNs } },
    ],
    [`${rbac}/clusterroles/${role.metadata.name}`, role],
    [
      `${rbac}/clusterrolebindings/${role.metadata.name}:${fleetNs}`,
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: `${role.metadata.name}:${fleetNs}` },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: role.metadata.name,
        },
        subjects: [{ kind: 'ServiceAccount', name: sa, namespace: fleetNs }],
      },
    ],
  ];
  for (const [path, body] of writes) {
    const r = await kube.apply(path, body, 'ballast-test');
    expect([200, 201], r.body).toContain(r.status);
  }
  const r = await kube.post(`/api/v1/namespaces/${fleetNs}/serviceaccounts/${sa}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 3600 },
  });
  expect(r.status, r.body).toBe(201);
  const token = (JSON.parse(r.body) as { status: { token: string } }).status.token;
  return Cluster.connectWith({
    server: kube.ep.server,
    context: 'registrar',
    namespace: fleetNs,
    credentials: () =>
      Promise.resolve({
        options: { ca: kube.ep.ca },
        headers: { authorization: `Bearer ${token}` },
      }),
  });
}

export async function startTestHub(cp: TestControlPlane): Promise<TestHub> {
  const hubConfig = cp.clusters[0]?.kubeconfig ?? '';
  const spokeConfig = cp.clusters[1]?.kubeconfig ?? hubConfig;
  const hubKube = await kubeFor(hubConfig);
  const spokeKube = await kubeFor(spokeConfig);
  const hub = Cluster.connect({ kubeconfig: hubConfig });
  const spoke = Cluster.connect({ kubeconfig: spokeConfig });
  const hubUrl = hubKube.ep.server;
  const hubCaPem = hubKube.ep.ca.toString('utf8');
  await installFleetCrds(hubKube);
  const fleetNs = await testNamespace(hubKube, 'fleet');
  const logs: string[] = [];
  const registrarHub = await registrarClient(hubKube, fleetNs);
  const start = (): Registrar =>
    startRegistrar(registrarHub, { fleetNamespace: fleetNs, log: (l) => logs.push(l) });
  let registrar = start();
  await registrar.ready;
  const { token } = await createRegistrationToken(hub, {
    fleetNamespace: fleetNs,
    ttlSeconds: 600,
  });
  return {
    hubConfig,
    hubKube,
    hub,
    spoke,
    spokeKube,
    fleetNs,
    logs,
    hubUrl,
    hubCaPem,
    token,
    agentOpts: (clusterName, namespace, t) => ({
      clusterName,
      hubUrl,
      hubCaPem,
      token: t,
      tokenSource: '--token-file token',
      namespace,
      waitTimeoutMs: 60_000,
    }),
    tokenHolder: () =>
      Cluster.connectWith({
        server: hubUrl,
        context: 'token holder',
        namespace: undefined,
        credentials: () =>
          Promise.resolve({
            options: { ca: hubCaPem },
            headers: { authorization: `Bearer ${token}` },
          }),
      }),
    decided: async (name) => {
      let csr: CsrSeen = {};
      await eventually(`the registrar decides CSR ${name}`, 30_000, async () => {
        csr = await hubKube.json<CsrSeen>(`${csrs}/${name}`);
        return (csr.status?.conditions ?? []).length > 0;
      });
      return csr;
    },
    pauseRegistrar: () => registrar.stop(),
    resumeRegistrar: async () => {
      registrar = start();
      await registrar.ready;
    },
    stop: async () => {
      await registrar.stop();
      registrarHub.close();
      hub.close();
      spoke.close();
    },
  };
}
