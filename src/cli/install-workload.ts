import type { KubeObject } from '../api/object.js';
import { generateSigningKeyPair } from '../audit/checkpoint.js';
import { controllerName, installLabels, type Tenancy } from './install-rbac.js';

/** Where the audit ledger lives in the installed controller: never on an emptyDir. */
export type LedgerStorage =
  /** SQLite on a PersistentVolumeClaim per replica (each replica records what it led). */
  | { kind: 'volume'; size: string; storageClassName: string | undefined }
  /** One Postgres database for every replica; the URL is read from this Secret's `url` key. */
  | { kind: 'postgres'; secretName: string };

export interface WorkloadOptions {
  namespace: string;
  image: string;
  replicas: number;
  tenancy: Tenancy;
  /** See Tenancy; the account each Application uses when it names none. */
  defaultServiceAccount: string;
  ledger: LedgerStorage;
  /** `--vault-address` and the `--vault-allowed-address`es handed to the controller. */
  vault: { address?: string | undefined; allowed: readonly string[] };
  /** The `--notification-allowed-url`s handed to the controller. */
  notificationAllowedUrls: readonly string[];
  /** Run `controller --ui` and expose the UI through the Service (port 80, named ui). */
  ui: boolean;
  /**
   * Undefined: the replicas elect one leader and the others stand by. Otherwise the replicas
   * share the Applications over this many shards (`ballast controller --sharded`).
   */
  shards?: number | undefined;
  /** The controller's V8 old-space cap, in MiB (see nodeEnvFor). */
  maxHeapMiB?: number | undefined;
}

export const port = 8080;
const ledgerVolume = 'ledger';
/** The Secret holding the ledger's checkpoint-signing key pair: ledger.key and ledger.pub. */
export const ledgerSigningSecret = 'ballast-ledger-signing-key';
const signingDir = '/etc/ballast/ledger-signing';

/**
 * How the controller's Node runs in the StatefulSet, and in `npm run bench:apps`. Node sizes its
 * heap for throughput: after 1000 Applications synced, it held 186 MiB of heap for 45 MiB of
 * live objects. A 1 MiB young generation, a capped old generation and two malloc arenas keep
 * memory near what is live (10k objects watched: see the closing notes of issue #4); the
 * controller command adds V8's --optimize-for-size itself, which NODE_OPTIONS cannot carry.
 * The old-space cap of 128 MiB fits about 2,000 Applications; 10,000 ran out of it and need
 * 384 (`npm run bench:apps -- --apps 10000`): `ballast install --max-heap`.
 */
export function nodeEnvFor(maxHeapMiB: number): Readonly<Record<string, string>> {
  return {
    NODE_OPTIONS: `--max-semi-space-size=1 --max-old-space-size=${maxHeapMiB}`,
    MALLOC_ARENA_MAX: '2',
  };
}

export const defaultMaxHeapMiB = 128;
export const controllerNodeEnv = nodeEnvFor(defaultMaxHeapMiB);

/** The container's memory limit: the heap cap plus room for code, buffers and the render workers. */
export function memoryLimitFor(maxHeapMiB: number): string {
  return `${Math.max(512, maxHeapMiB + 384)}Mi`;
}

function controllerArgs(o: WorkloadOptions): string[] {
  // In a Pod the probes and the Service reach the server through the Pod's address.
  const args = ['controller', '--metrics-bind-address', '0.0.0.0'];
  if (o.shards === undefined) args.push('--leader-elect');
  else args.push('--sharded', '--shards', String(o.shards));
  args.push('--lease-namespace', '$(POD_NAMESPACE)');
  args.push('--ledger-signing-key', `${signingDir}/ledger.key`);
  if (o.tenancy === 'multi') args.push('--default-service-account', o.defaultServiceAccount);
  if (o.vault.address !== undefined) args.push('--vault-address', o.vault.address);
  for (const a of o.vault.allowed) args.push('--vault-allowed-address', a);
  for (const u of o.notificationAllowedUrls) args.push('--notification-allowed-url', u);
  if (o.ui) args.push('--ui');
  return args;
}

function ledgerEnv(o: WorkloadOptions): object {
  return o.ledger.kind === 'postgres'
    ? {
        name: 'BALLAST_LEDGER',
        valueFrom: { secretKeyRef: { name: o.ledger.secretName, key: 'url' } },
      }
    : { name: 'BALLAST_LEDGER', value: 'sqlite:/var/lib/ballast/audit.db' };
}

/** A container of a Ballast workload: what differs between the controller and the hub. */
export interface ContainerSpec {
  name: string;
  image: string;
  /** The `ballast` subcommand and its flags. */
  args: string[];
  /** Beyond POD_NAMESPACE, POD_NAME, HOME and the Node memory settings every one gets. */
  env: object[];
  /** The port of /healthz, /readyz, /metrics and /hooks. */
  port: number;
  /** Beyond /tmp, which every one gets. */
  volumeMounts: object[];
  /** The V8 old-space cap; the memory limit follows it (memoryLimitFor). */
  maxHeapMiB?: number | undefined;
}

/**
 * A container as every Ballast workload runs it: `ballast` as a non-root user on a read-only
 * root filesystem with no capabilities, /tmp on an emptyDir, probes on /readyz and /healthz.
 */
export function lockedDownContainer(c: ContainerSpec): object {
  const fromField = (path: string): object => ({ fieldRef: { fieldPath: path } });
  const heap = c.maxHeapMiB ?? defaultMaxHeapMiB;
  return {
    name: c.name,
    image: c.image,
    imagePullPolicy: 'IfNotPresent',
    command: ['ballast'],
    args: c.args,
    env: [
      { name: 'POD_NAMESPACE', valueFrom: fromField('metadata.namespace') },
      { name: 'POD_NAME', valueFrom: fromField('metadata.name') },
      // git and helm write to $HOME; the root filesystem is read-only.
      { name: 'HOME', value: '/tmp' },
      ...c.env,
      ...Object.entries(nodeEnvFor(heap)).map(([k, value]) => ({ name: k, value })),
    ],
    ports: [{ name: 'http', containerPort: c.port, protocol: 'TCP' }],
    readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5 },
    livenessProbe: {
      httpGet: { path: '/healthz', port: 'http' },
      initialDelaySeconds: 10,
      periodSeconds: 10,
    },
    resources: {
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { memory: memoryLimitFor(heap) },
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    },
    // Fetched trees and render scratch space.
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, ...c.volumeMounts],
  };
}

/** A Ballast workload's Pod: its containers' volumes are /tmp's plus `volumes`. */
export function lockedDownPod(p: {
  serviceAccountName: string;
  container: object;
  volumes: object[];
  labels: Readonly<Record<string, string>>;
}): Record<string, unknown> {
  return {
    serviceAccountName: p.serviceAccountName,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      // The ledger volume is written by the controller's group.
      fsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [p.container],
    volumes: [{ name: 'tmp', emptyDir: {} }, ...p.volumes],
    // Spread the replicas, so one node going away does not take leader and standby together.
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              topologyKey: 'kubernetes.io/hostname',
              labelSelector: { matchLabels: p.labels },
            },
          },
        ],
      },
    },
  };
}

function podSpec(o: WorkloadOptions): Record<string, unknown> {
  const container = lockedDownContainer({
    name: 'controller',
    image: o.image,
    maxHeapMiB: o.maxHeapMiB,
    args: controllerArgs(o),
    env: [ledgerEnv(o)],
    port,
    volumeMounts: [
      // kustomize reads decrypted SOPS files from here: memory, never the node's disk.
      { name: 'shm', mountPath: '/dev/shm' },
      { name: 'ledger-signing', mountPath: signingDir, readOnly: true },
      ...(o.ledger.kind === 'volume'
        ? [{ name: ledgerVolume, mountPath: '/var/lib/ballast' }]
        : []),
    ],
  });
  return lockedDownPod({
    serviceAccountName: controllerName,
    container,
    labels: installLabels,
    volumes: [
      { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '256Mi' } },
      {
        name: 'ledger-signing',
        secret: {
          secretName: ledgerSigningSecret,
          items: [{ key: 'ledger.key', path: 'ledger.key' }],
          // Readable by the controller's group (fsGroup), by nobody else.
          defaultMode: 0o440,
        },
      },
    ],
  });
}

/** The ledger's claim, one per replica, kept when the StatefulSet is scaled down or deleted. */
function ledgerClaim(ledger: Extract<LedgerStorage, { kind: 'volume' }>): object {
  return {
    metadata: { name: ledgerVolume, labels: installLabels },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: ledger.size } },
      ...(ledger.storageClassName === undefined
        ? {}
        : { storageClassName: ledger.storageClassName }),
    },
  };
}

/**
 * A StatefulSet, not a Deployment: each replica keeps its own ledger volume across restarts
 * and reschedules, which a Deployment's replicas could not share (ReadWriteOnce).
 */
export function controllerStatefulSet(o: WorkloadOptions): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: controllerName, namespace: o.namespace, labels: installLabels },
    spec: {
      replicas: o.replicas,
      serviceName: controllerName,
      // Replicas are peers contending for a Lease: no reason to start them one by one.
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: installLabels },
      template: { metadata: { labels: installLabels }, spec: podSpec(o) },
      ...(o.ledger.kind === 'volume'
        ? {
            volumeClaimTemplates: [ledgerClaim(o.ledger)],
            persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
          }
        : {}),
    },
  };
}

/**
 * Metrics and webhooks; with the UI, also port 80 (`ui`) to the same container port, which only
 * the Ready replica (the leader) answers.
 */
export function controllerService(ns: string, ui = false): KubeObject {
  const service = httpService({ name: controllerName, namespace: ns, labels: installLabels, port });
  if (!ui) return service;
  const spec = service['spec'] as { ports: object[] };
  spec.ports.push({ name: 'ui', port: 80, targetPort: 'http', protocol: 'TCP' });
  return service;
}

/** A Service of a workload's `http` port: /metrics, and the webhooks of the Ready replica. */
export function httpService(s: {
  name: string;
  namespace: string;
  labels: Readonly<Record<string, string>>;
  port: number;
}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, namespace: s.namespace, labels: s.labels },
    spec: {
      selector: s.labels,
      ports: [{ name: 'http', port: s.port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

/**
 * A new key pair for signing the ledger's checkpoints. `ballast install` creates it only when
 * the Secret is missing: a new key would make every earlier checkpoint unverifiable with the
 * public key people already hold.
 */
export function newLedgerSigningSecret(ns: string): KubeObject {
  const { privatePem, publicPem } = generateSigningKeyPair();
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: ledgerSigningSecret, namespace: ns, labels: installLabels },
    type: 'Opaque',
    stringData: { 'ledger.key': privatePem, 'ledger.pub': publicPem },
  };
}
