import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateClusterPki, type ClusterPki } from './certs.js';
import { isRunning, logTail, startDaemon, type DaemonRecord } from './daemon.js';
import { endpointFor, kubeRequest, type KubeEndpoint } from './kube.js';
import { writeKubeconfig } from './kubeconfig.js';
import { toolDir, toolPath } from './paths.js';
import { writeDevStages } from './stages.js';
import type { ClusterState } from './state.js';

/** A dev cluster component that exited or never became ready. */
export class ControlPlaneError extends Error {
  override readonly name = 'ControlPlaneError';
  constructor(
    readonly component: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${component}: ${message}`, options);
  }
}

export interface ClusterSpec {
  name: string;
  dir: string;
  port: number;
  etcdUrl: string;
  etcdPrefix: string;
  /** Third octet of this cluster's pod CIDR, so clusters don't share pod IPs. */
  index: number;
  nodes: number;
  /** kube-controller-manager's `--kube-api-qps`; its own default (20) when unset. */
  controllerManagerQps?: number | undefined;
  /** Called with each daemon as soon as it starts, so a failed `up` can stop it. */
  onDaemon: (d: DaemonRecord) => void;
}

const serviceIp = '10.96.0.1';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true; fails early, with the log, when the daemon exits. */
export async function waitFor(
  d: DaemonRecord,
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    if (!isRunning(d)) {
      throw new ControlPlaneError(
        d.role,
        `exited before ${what}; last log lines (${d.log}):\n${await logTail(d)}`,
      );
    }
    await sleep(100);
  }
  throw new ControlPlaneError(
    d.role,
    `not ${what} after ${timeoutMs} ms; last log lines (${d.log}):\n${await logTail(d)}`,
  );
}

/**
 * The apiserver's audit log of writes, as `ballast dev` keeps it in the cluster's directory.
 * Tests read it to prove which user a request was made as (impersonation shows as
 * `impersonatedUser`), which nothing else the apiserver returns records.
 */
export function auditLogPath(clusterDir: string): string {
  return join(clusterDir, 'audit.log');
}

/** Writes only, at Metadata level: who did what to which object, no bodies. */
const auditPolicy = JSON.stringify({
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: ['RequestReceived'],
  rules: [
    { level: 'None', resources: [{ group: '', resources: ['events'] }] },
    { level: 'None', resources: [{ group: 'coordination.k8s.io', resources: ['leases'] }] },
    { level: 'Metadata', verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'] },
  ],
});

function apiserverArgs(s: Omit<ClusterSpec, 'index' | 'nodes'>, pki: ClusterPki): string[] {
  const issuer = 'https://kubernetes.default.svc.cluster.local';
  return [
    `--etcd-servers=${s.etcdUrl}`,
    `--etcd-prefix=${s.etcdPrefix}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${s.port}`,
    '--advertise-address=127.0.0.1',
    // Endpoints may not hold loopback addresses; nothing in-cluster dials the apiserver's Service.
    '--endpoint-reconciler-type=none',
    `--tls-cert-file=${pki.servingCert}`,
    `--tls-private-key-file=${pki.servingKey}`,
    `--client-ca-file=${pki.caCert}`,
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    `--service-account-issuer=${issuer}`,
    `--api-audiences=${issuer}`,
    '--authorization-mode=RBAC',
    '--service-cluster-ip-range=10.96.0.0/16',
    '--allow-privileged=true',
    // Off unless someone is profiling the apiserver under a benchmark (go tool pprof).
    `--profiling=${process.env.BALLAST_DEV_APISERVER_PROFILING === '1' ? 'true' : 'false'}`,
    `--cert-dir=${join(s.dir, 'pki')}`,
    `--audit-policy-file=${join(s.dir, 'audit-policy.json')}`,
    `--audit-log-path=${auditLogPath(s.dir)}`,
    '--audit-log-format=json',
    '--audit-log-maxsize=64',
    '--audit-log-maxbackup=1',
  ];
}

function fakeNode(name: string): object {
  const resources = { cpu: '32', memory: '256Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
    // Nodes accept status on create; the scheduler needs allocatable resources to bind pods.
    status: {
      allocatable: resources,
      capacity: resources,
      nodeInfo: { architecture: 'amd64', operatingSystem: 'linux', kubeletVersion: 'fake' },
    },
  };
}

async function isNodeReady(ep: KubeEndpoint, name: string): Promise<boolean> {
  const r = await kubeRequest(ep, 'GET', `/api/v1/nodes/${name}`);
  if (r.status !== 200) return false;
  const node = JSON.parse(r.body) as {
    status?: { conditions?: { type: string; status: string }[] };
  };
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

async function createNodes(ep: KubeEndpoint, names: readonly string[]): Promise<void> {
  for (const n of names) {
    const r = await kubeRequest(ep, 'POST', '/api/v1/nodes', fakeNode(n));
    if (r.status !== 201 && r.status !== 409) {
      throw new ControlPlaneError('kwok', `creating node ${n} failed (${r.status}): ${r.body}`);
    }
  }
}

/** A started kube-apiserver, ready, with an admin kubeconfig. */
export interface StartedApiserver {
  daemon: DaemonRecord;
  pki: ClusterPki;
  ep: KubeEndpoint;
  kubeconfig: string;
}

/**
 * Starts one cluster's kube-apiserver alone and waits until it is ready. Tests that need only
 * the API (no Pods, no nodes) start this instead of a whole cluster.
 */
export async function startApiserver(
  s: Omit<ClusterSpec, 'index' | 'nodes'>,
): Promise<StartedApiserver> {
  await mkdir(s.dir, { recursive: true });
  const pki = await generateClusterPki(join(s.dir, 'pki'), serviceIp);
  await writeFile(join(s.dir, 'audit-policy.json'), auditPolicy);
  const args = apiserverArgs(s, pki);
  const daemon = startDaemon(
    'kube-apiserver',
    toolPath('kube-apiserver'),
    args,
    join(s.dir, 'kube-apiserver.log'),
  );
  s.onDaemon(daemon);
  const ep = await endpointFor(s.port, pki);
  await waitFor(daemon, 'ready (/readyz)', 90_000, async () => {
    return (
      (await kubeRequest(ep, 'GET', '/readyz', undefined, { timeoutMs: 2_000 })).status === 200
    );
  });
  const kubeconfig = join(s.dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, [{ name: s.name, server: ep.server, pki }]);
  return { daemon, pki, ep, kubeconfig };
}

/** Starts one cluster: apiserver, controller-manager, scheduler, kwok and its fake nodes. */
export async function startCluster(s: ClusterSpec): Promise<ClusterState> {
  const { daemon: apiserver, pki, ep, kubeconfig } = await startApiserver(s);
  const start = (
    role: string,
    tool: Parameters<typeof toolPath>[0],
    args: string[],
  ): DaemonRecord => {
    const d = startDaemon(role, toolPath(tool), args, join(s.dir, `${role}.log`));
    s.onDaemon(d);
    return d;
  };
  const devStages = await writeDevStages(s.dir);
  const kc = `--kubeconfig=${kubeconfig}`;
  const daemons = [
    apiserver,
    start('kube-controller-manager', 'kube-controller-manager', [
      kc,
      '--leader-elect=false',
      '--secure-port=0',
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      ...(s.controllerManagerQps === undefined
        ? []
        : [
            `--kube-api-qps=${s.controllerManagerQps}`,
            `--kube-api-burst=${2 * s.controllerManagerQps}`,
          ]),
    ]),
    start('kube-scheduler', 'kube-scheduler', [kc, '--leader-elect=false', '--secure-port=0']),
    start('kwok', 'kwok', [
      kc,
      `--config=${join(toolDir('kwok'), 'stages.yaml')}`,
      // Ours on top of kwok's defaults: Pods of `:broken` images fail (see stages.ts).
      `--config=${devStages}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--node-ip=127.0.0.1',
      `--cidr=10.244.${s.index}.0/24`,
    ]),
  ];
  const nodeNames = Array.from({ length: s.nodes }, (_, i) => `kwok-node-${i + 1}`);
  await createNodes(ep, nodeNames);
  const kwok = daemons[3] as DaemonRecord;
  await waitFor(kwok, 'marking the fake nodes Ready', 60_000, async () => {
    const ready = await Promise.all(nodeNames.map((n) => isNodeReady(ep, n)));
    return ready.every(Boolean);
  });
  return { name: s.name, port: s.port, etcdPrefix: s.etcdPrefix, kubeconfig, daemons };
}
