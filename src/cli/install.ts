import { InvalidArgumentError, type Command } from 'commander';
import { stringify } from 'yaml';
import { applicationCrd } from '../api/application-crd.js';
import { applicationGroup, applicationPlural } from '../api/application.js';
import { groupOf, type KubeObject } from '../api/object.js';
import { waitForCrds } from '../apply/execute.js';
import { Cluster } from '../cluster/cluster.js';

/** What `ballast install` renders. */
export interface InstallOptions {
  /** Namespace the controller runs in; it also holds the leader-election Lease. */
  namespace: string;
  /** The controller's image. */
  image: string;
  /** Controller replicas: two, so a standby takes the Lease over when the leader goes away. */
  replicas: number;
}

export function defaultInstallOptions(): InstallOptions {
  return { namespace: 'ballast-system', image: 'ballast:dev', replicas: 2 };
}

const name = 'ballast-controller';
const leaderElection = 'ballast-leader-election';
const applier = 'ballast-applier';
const port = 8080;
const labels = { 'app.kubernetes.io/name': 'ballast', 'app.kubernetes.io/component': 'controller' };

/**
 * Why the applier role is so broad, on the ClusterRole itself so `kubectl describe` shows it.
 * An Application may contain any kind (CRDs, RBAC, webhooks), and applying RBAC requires holding
 * the permissions granted, so any narrower default would break ordinary repositories. Flux's
 * kustomize-controller and Argo CD's application-controller are bound to the equivalent.
 */
const applierRationale =
  'Ballast applies whatever its Applications contain, including CRDs and RBAC, and granting ' +
  'RBAC requires holding the permissions granted; so this role is cluster-admin-equivalent, ' +
  "as Flux's kustomize-controller and Argo CD's application-controller are. Whoever can write " +
  'an Application, or push to a repository one points at, can therefore do anything in the ' +
  'cluster. To confine Ballast, delete the ballast-applier ClusterRoleBinding and bind narrower ' +
  'roles to the ServiceAccount; ballast-controller keeps what the controller itself needs.';

/**
 * What the controller needs for itself, whatever the applier role allows: reading and
 * patching Applications and their status, Events about them, and repository credentials
 * (get only, so it cannot list every Secret in the cluster).
 */
function controllerRole(): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels },
    rules: [
      {
        apiGroups: [applicationGroup],
        resources: [applicationPlural],
        verbs: ['get', 'list', 'watch', 'patch'],
      },
      {
        apiGroups: [applicationGroup],
        resources: [`${applicationPlural}/status`],
        verbs: ['get', 'patch'],
      },
      { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
    ],
  };
}

function applierRole(): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: applier, labels, annotations: { 'ballast.dev/rationale': applierRationale } },
    rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
  };
}

/** Leases only in the controller's own namespace: leader election needs no more. */
function leaderElectionRole(ns: string): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: leaderElection, namespace: ns, labels },
    rules: [
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['get', 'create', 'update'],
      },
    ],
  };
}

function binding(kind: 'ClusterRoleBinding' | 'RoleBinding', role: string, ns: string): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name: role, ...(kind === 'RoleBinding' ? { namespace: ns } : {}), labels },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: kind === 'RoleBinding' ? 'Role' : 'ClusterRole',
      name: role,
    },
    subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
  };
}

/**
 * How the controller's Node runs in the Deployment, and in `npm run bench:apps`. Node sizes its
 * heap for throughput: after 1000 Applications synced, it held 186 MiB of heap for 45 MiB of
 * live objects. A 1 MiB young generation, a capped old generation and two malloc arenas keep
 * memory near what is live (10k objects watched: see the closing notes of issue #4); the
 * controller command adds V8's --optimize-for-size itself, which NODE_OPTIONS cannot carry.
 * Raise max-old-space-size with the memory limit for fleets far beyond that.
 */
export const controllerNodeEnv: Readonly<Record<string, string>> = {
  NODE_OPTIONS: '--max-semi-space-size=1 --max-old-space-size=128',
  MALLOC_ARENA_MAX: '2',
};

function podSpec(o: InstallOptions): Record<string, unknown> {
  const fromField = (path: string): object => ({ fieldRef: { fieldPath: path } });
  return {
    serviceAccountName: name,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [
      {
        name: 'controller',
        image: o.image,
        imagePullPolicy: 'IfNotPresent',
        command: ['ballast', 'controller'],
        env: [
          { name: 'POD_NAMESPACE', valueFrom: fromField('metadata.namespace') },
          { name: 'POD_NAME', valueFrom: fromField('metadata.name') },
          // git and helm write to $HOME; the root filesystem is read-only.
          { name: 'HOME', value: '/tmp' },
          // Each replica's own file; for one ledger across replicas point this at postgres://.
          { name: 'BALLAST_LEDGER', value: 'sqlite:/var/lib/ballast/audit.db' },
          ...Object.entries(controllerNodeEnv).map(([k, value]) => ({ name: k, value })),
        ],
        ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
        readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5 },
        livenessProbe: {
          httpGet: { path: '/healthz', port: 'http' },
          initialDelaySeconds: 10,
          periodSeconds: 10,
        },
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        },
        // Fetched trees and render scratch space: the only writable place.
        volumeMounts: [
          { name: 'tmp', mountPath: '/tmp' },
          // kustomize reads decrypted SOPS files from here: memory, never the node's disk.
          { name: 'shm', mountPath: '/dev/shm' },
          // Replace with a PersistentVolumeClaim to keep the audit ledger across restarts.
          { name: 'ledger', mountPath: '/var/lib/ballast' },
        ],
      },
    ],
    volumes: [
      { name: 'tmp', emptyDir: {} },
      { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '256Mi' } },
      { name: 'ledger', emptyDir: {} },
    ],
    // Spread the replicas, so one node going away does not take leader and standby together.
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              topologyKey: 'kubernetes.io/hostname',
              labelSelector: { matchLabels: labels },
            },
          },
        ],
      },
    },
  };
}

function deployment(o: InstallOptions): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: o.namespace, labels },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: podSpec(o) },
    },
  };
}

/** Metrics and webhooks. */
function service(ns: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels },
    spec: {
      selector: labels,
      ports: [{ name: 'http', port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

/** Everything `ballast install` applies, in the order it is applied: the CRD first. */
export function installManifests(o: InstallOptions): KubeObject[] {
  const ns = o.namespace;
  return [
    applicationCrd(),
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      // The controller's pod meets the restricted Pod Security Standard; enforce it.
      metadata: { name: ns, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns, labels } },
    controllerRole(),
    applierRole(),
    binding('ClusterRoleBinding', name, ns),
    binding('ClusterRoleBinding', applier, ns),
    leaderElectionRole(ns),
    binding('RoleBinding', leaderElection, ns),
    service(ns),
    deployment(o),
  ];
}

/** How kubectl names an object in its output: `deployment.apps/ballast-controller`. */
export function kubectlName(obj: KubeObject): string {
  const group = groupOf(obj.apiVersion);
  return `${obj.kind.toLowerCase()}${group === '' ? '' : `.${group}`}/${obj.metadata.name}`;
}

/** One install object could not be applied; the ones before it were. */
export class InstallError extends Error {
  override readonly name = 'InstallError';
  constructor(
    /** The object, as kubectlName formats it. */
    readonly subject: string,
    /** How many objects were applied before this one. */
    readonly appliedBefore: number,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      `${subject}: not installed: ${why} (${appliedBefore} object(s) before it were applied; ` +
        'install is idempotent, so run it again once this is fixed)',
      { cause },
    );
  }
}

export interface ApplyInstallOptions {
  /** How long the CRD may take to become Established. */
  crdTimeoutMs: number;
  /** Called with a kubectl-style line per applied object. */
  onApplied: (line: string) => void;
}

export function defaultApplyInstallOptions(): ApplyInstallOptions {
  return { crdTimeoutMs: 60_000, onApplied: () => undefined };
}

/**
 * Server-side applies the objects in order. After a CRD it waits until the CRD is Established,
 * so later objects (and the controller's first list) find the kind served.
 */
export async function applyInstall(
  cluster: Cluster,
  objects: readonly KubeObject[],
  opts: ApplyInstallOptions,
): Promise<void> {
  for (const [i, obj] of objects.entries()) {
    const subject = kubectlName(obj);
    try {
      const stored = await cluster.apply(obj);
      if (obj.kind === 'CustomResourceDefinition')
        await waitForCrds(cluster, [stored], opts.crdTimeoutMs);
    } catch (e) {
      throw new InstallError(subject, i, e);
    }
    opts.onApplied(`${subject} serverside-applied`);
  }
}

/** Multi-document YAML, as `kubectl apply -f` reads it. */
export function toYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

interface InstallFlags {
  print: boolean;
  namespace: string;
  image: string;
  replicas: number;
  kubeconfig?: string;
  context?: string;
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function namespaceFlag(value: string): string {
  if (value.length > 63 || !dnsLabel.test(value))
    throw new InvalidArgumentError(`expected a namespace name (a DNS label), got "${value}"`);
  return value;
}

function replicasFlag(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 10)
    throw new InvalidArgumentError(`expected a replica count from 0 to 10, got "${value}"`);
  return n;
}

export function registerInstall(program: Command): void {
  const d = defaultInstallOptions();
  program
    .command('install')
    .description('install the Application CRD and the controller (RBAC, Deployment, Service)')
    .option('--print', 'print the manifests as YAML instead of applying them', false)
    .option('-n, --namespace <ns>', 'namespace of the controller', namespaceFlag, d.namespace)
    .option('--image <ref>', 'controller image', d.image)
    .option(
      '--replicas <n>',
      'controller replicas; 0 installs the CRDs and RBAC for a controller run elsewhere',
      replicasFlag,
      d.replicas,
    )
    .option('--kubeconfig <file>', 'kubeconfig file')
    .option('--context <name>', 'kubeconfig context')
    .action(async (f: InstallFlags) => {
      const objects = installManifests({
        ...d,
        namespace: f.namespace,
        image: f.image,
        replicas: f.replicas,
      });
      if (f.print) {
        process.stdout.write(toYaml(objects));
        return;
      }
      const cluster = Cluster.connect({
        ...(f.kubeconfig === undefined ? {} : { kubeconfig: f.kubeconfig }),
        ...(f.context === undefined ? {} : { context: f.context }),
      });
      try {
        await applyInstall(cluster, objects, {
          ...defaultApplyInstallOptions(),
          onApplied: (line) => process.stdout.write(line + '\n'),
        });
      } finally {
        cluster.close();
      }
    });
}
