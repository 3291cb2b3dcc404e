import { Option, type Command } from 'commander';
import { stringify } from 'yaml';
import { applicationCrd } from '../api/application-crd.js';
import { notificationPolicyResource } from '../api/notification-policy.js';
import { crdOf } from '../api/resource.js';
import { groupOf, type KubeObject } from '../api/object.js';
import { waitForCrds } from '../apply/execute.js';
import type { Cluster } from '../cluster/cluster.js';
import { kubeOptions, namespaceOption, withCluster, type KubeFlags } from './options.js';
import {
  collectNotificationUrl,
  collectVaultAddress,
  parseInteger,
  parseObjectName,
  parseVaultAddress,
} from './parse.js';
import { requestedByPolicyManifests } from './install-policy.js';
import { defaultShards } from './shard-elect.js';
import { defaultHubInstallOptions, hubInstallManifests } from './install-hub.js';
import { controllerName, installLabels, rbacManifests, type Tenancy } from './install-rbac.js';
import {
  controllerService,
  controllerStatefulSet,
  defaultMaxHeapMiB,
  newLedgerSigningSecret,
  type LedgerStorage,
} from './install-workload.js';

export { controllerNodeEnv } from './install-workload.js';
export type { Tenancy } from './install-rbac.js';

/** What `ballast install` renders. */
export interface InstallOptions {
  /** Namespace the controller runs in; it also holds the leader-election Lease. */
  namespace: string;
  /** The controller's image. */
  image: string;
  /** Controller replicas: two, so a standby takes the Lease over when the leader goes away. */
  replicas: number;
  /** See Tenancy: whether Applications act as their own ServiceAccount. */
  tenancy: Tenancy;
  /** Multi-tenant: the ServiceAccount each Application uses when it names none. */
  defaultServiceAccount: string;
  /** Where the audit ledger is kept. */
  ledger: LedgerStorage;
  /** The Vaults the controller may use (see WorkloadOptions). */
  vault: { address?: string | undefined; allowed: readonly string[] };
  /** The URL prefixes NotificationPolicies may send to (see WorkloadOptions). */
  notificationAllowedUrls: readonly string[];
  /** Serve the web UI (`controller --ui`) and expose it through the Service. */
  ui: boolean;
  /** Undefined: one leader, the others standing by; else the shard count (see WorkloadOptions). */
  shards?: number | undefined;
  /** The controller's V8 old-space cap in MiB; its memory limit follows. */
  maxHeapMiB?: number | undefined;
}

export function defaultInstallOptions(): InstallOptions {
  return {
    namespace: 'ballast-system',
    image: 'ballast:dev',
    replicas: 2,
    tenancy: 'single',
    defaultServiceAccount: 'ballast',
    ledger: { kind: 'volume', size: '1Gi', storageClassName: undefined },
    vault: { allowed: [] },
    notificationAllowedUrls: [],
    ui: false,
  };
}

/** Everything `ballast install` applies, in the order it is applied: the CRD first. */
export function installManifests(o: InstallOptions): KubeObject[] {
  const ns = o.namespace;
  return [
    applicationCrd(),
    crdOf(notificationPolicyResource),
    ...requestedByPolicyManifests(),
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      // The controller's pod meets the restricted Pod Security Standard; enforce it.
      metadata: { name: ns, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: controllerName, namespace: ns, labels: installLabels },
    },
    ...rbacManifests(ns, o.tenancy, o.shards !== undefined),
    controllerService(ns, o.ui),
    controllerStatefulSet(o),
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

/** Creates the ledger's signing key unless it exists; never replaces one. */
export async function ensureSigningKey(
  cluster: Cluster,
  ns: string,
  appliedBefore: number,
): Promise<string> {
  const secret = newLedgerSigningSecret(ns);
  const subject = kubectlName(secret);
  try {
    if ((await cluster.get(secret)) !== undefined) return `${subject} kept`;
    await cluster.apply(secret);
  } catch (e) {
    throw new InstallError(subject, appliedBefore, e);
  }
  return `${subject} created`;
}

interface InstallFlags extends KubeFlags {
  print: boolean;
  hub: boolean;
  namespace: string;
  image: string;
  replicas: number;
  tenancy: Tenancy;
  defaultServiceAccount: string;
  ledgerSize: string;
  ledgerStorageClass?: string;
  ledgerPostgresSecret?: string;
  sharded: boolean;
  shards: number;
  vaultAddress?: string;
  vaultAllowedAddress: string[];
  notificationAllowedUrl: string[];
  ui: boolean;
  maxHeap: number;
}

function ledgerOf(f: InstallFlags): LedgerStorage {
  if (f.ledgerPostgresSecret !== undefined)
    return { kind: 'postgres', secretName: f.ledgerPostgresSecret };
  return { kind: 'volume', size: f.ledgerSize, storageClassName: f.ledgerStorageClass };
}

export function registerInstall(program: Command): void {
  const d = defaultInstallOptions();
  const cmd = program
    .command('install')
    .description('install the Application CRD and the controller (RBAC, StatefulSet, Service)')
    .option('--print', 'print the manifests as YAML instead of applying them', false)
    .option(
      '--hub',
      "install a fleet hub instead: the Cluster, FleetApplication and Assignment CRDs, the ballast-fleet namespace, the hub controller's RBAC and a Deployment of `ballast hub --leader-elect` (--image, --replicas; --replicas 0 for a hub run elsewhere)",
      false,
    );
  namespaceOption(cmd, 'namespace of the controller', { kind: 'fixed', namespace: d.namespace })
    .option('--image <ref>', 'controller image', d.image)
    .option(
      '--replicas <n>',
      'controller replicas (with --hub, hub replicas); 0 installs the CRDs and RBAC for one run elsewhere',
      parseInteger({ min: 0, max: 10 }),
      d.replicas,
    )
    .addOption(
      new Option(
        '--tenancy <mode>',
        "multi: each Application acts as a ServiceAccount of its own namespace and the controller's " +
          'own role only reads, writes status and impersonates; single: Applications apply with ' +
          "the controller's cluster-admin-equivalent role",
      )
        .choices(['single', 'multi'] satisfies Tenancy[])
        .default(d.tenancy),
    )
    .option(
      '--default-service-account <name>',
      'with --tenancy multi, the ServiceAccount an Application naming none uses',
      parseObjectName,
      d.defaultServiceAccount,
    )
    .option(
      '--sharded',
      'the replicas share the Applications, shard by shard, instead of one leading and the others ' +
        'standing by; needs --ledger-postgres-secret, so one ledger holds every replica’s records',
      false,
    )
    .option(
      '--shards <n>',
      'with --sharded: how many shards the Applications are split into',
      parseInteger({ min: 1, max: 256 }),
      defaultShards,
    )
    .option('--ledger-size <quantity>', "each replica's audit ledger volume", '1Gi')
    .option('--ledger-storage-class <name>', 'storage class of the ledger volumes')
    .option(
      '--ledger-postgres-secret <name>',
      'keep the ledger in Postgres instead: a Secret in the namespace whose key url is postgres://… (with --hub, the hub ledger of rollout steps, in the fleet namespace)',
      parseObjectName,
    )
    .option(
      '--vault-address <url>',
      "the controller's Vault for Applications whose spec.vault names no address",
      parseVaultAddress,
    )
    .option(
      '--vault-allowed-address <url>',
      'another Vault a spec.vault.address may name (repeatable); the controller talks to no other',
      collectVaultAddress,
      [],
    )
    .option(
      '--notification-allowed-url <prefix>',
      'a URL prefix NotificationPolicies may send to (repeatable); the controller sends to no other',
      collectNotificationUrl,
      [],
    )
    .option(
      '--max-heap <MiB>',
      "the controller's V8 heap cap; its memory limit is this plus 384 MiB (at least 512). 128 fits about 2,000 Applications, 10,000 need 384",
      parseInteger({ min: 64, max: 16_384 }),
      defaultMaxHeapMiB,
    )
    .option(
      '--ui',
      'run the controller with its web UI (users sign in with their own bearer token) and expose it on the Service, port 80',
      false,
    );
  kubeOptions(cmd).action(async (f: InstallFlags) => {
    if (f.hub) {
      await installHub(f);
      return;
    }
    if (f.sharded && f.ledgerPostgresSecret === undefined)
      throw new Error(
        '--sharded needs --ledger-postgres-secret: an app moves between replicas, and its records must stay on one chain',
      );
    const objects = installManifests({
      ...d,
      namespace: f.namespace,
      image: f.image,
      replicas: f.replicas,
      tenancy: f.tenancy,
      defaultServiceAccount: f.defaultServiceAccount,
      ledger: ledgerOf(f),
      vault: { address: f.vaultAddress, allowed: f.vaultAllowedAddress },
      notificationAllowedUrls: f.notificationAllowedUrl,
      ui: f.ui,
      shards: f.sharded ? f.shards : undefined,
      maxHeapMiB: f.maxHeap,
    });
    if (f.print) {
      // Applying this output again replaces the key: keep the Secret out of later applies.
      process.stdout.write(toYaml([...objects, newLedgerSigningSecret(f.namespace)]));
      return;
    }
    await withCluster(f, async (cluster) => {
      await applyInstall(cluster, objects, {
        ...defaultApplyInstallOptions(),
        onApplied: (line) => process.stdout.write(line + '\n'),
      });
      process.stdout.write((await ensureSigningKey(cluster, f.namespace, objects.length)) + '\n');
    });
  });
}

/** `ballast install --hub`: the hub's CRDs, RBAC and workload; no Secret. */
async function installHub(f: InstallFlags): Promise<void> {
  const objects = hubInstallManifests({
    ...defaultHubInstallOptions(),
    image: f.image,
    replicas: f.replicas,
    notificationAllowedUrls: f.notificationAllowedUrl,
    ...(f.ledgerPostgresSecret === undefined
      ? {}
      : { ledgerPostgresSecret: f.ledgerPostgresSecret }),
  });
  if (f.print) {
    process.stdout.write(toYaml(objects));
    return;
  }
  await withCluster(f, async (cluster) => {
    await applyInstall(cluster, objects, {
      ...defaultApplyInstallOptions(),
      onApplied: (line) => process.stdout.write(line + '\n'),
    });
  });
}
