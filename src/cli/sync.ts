import { readSealingKeys } from '../reconcile/sealing-keys.js';
import type { SealingKeys } from '../secrets/sealed/index.js';
import { Option, type Command } from 'commander';
import { variableNameRegex } from '../api/application-spec.js';
import { formatRef, refOf } from '../api/object.js';
import { defaultSyncOptions, sync, type SyncResult } from '../apply/sync.js';
import type { Cluster } from '../cluster/cluster.js';
import { defaultDiffOptions } from '../diff/index.js';
import { aggregateHealth, assessHealth, type HealthReport } from '../health/index.js';
import { defaultRenderOptions, render, type RenderOptions } from '../render/index.js';
import { mergeKeys, type DecryptionKeys } from '../secrets/index.js';
import { keysFromPath, keysFromSecret } from './secrets.js';
import {
  connect,
  durationOption,
  gitCredentialOptions,
  kubeOptions,
  namespaceOf,
  namespaceOption,
  outputOption,
  type KubeFlags,
} from './options.js';
import {
  collect,
  parseInteger,
  parseObjectName,
  parseObjectRef,
  UsageError,
  type ObjectRef,
} from './parse.js';
import { renderFailure, resolveSource, type SourceFlags } from './source-args.js';
import { err, out, printRefused, printSyncResult } from './sync-output.js';
import { parseSetFlag } from './values.js';

interface CommonFlags extends SourceFlags, KubeFlags {
  /** `--app`: required, see appOf. */
  app?: string;
  /** `-n`; when unset, the kubeconfig context's namespace. */
  namespace?: string;
  output: 'text' | 'json';
  renderer: RenderOptions['renderer'];
  helmValues: string[];
  helmSet: string[];
  releaseName?: string;
  /** A file or directory of `*.agekey` / `*.asc` keys for SOPS-encrypted files. */
  decryptionKeys?: string;
  /** A Secret with `*.agekey` / `*.asc` entries, as spec.decryption.secretRef. */
  decryptionSecret?: ObjectRef;
  /** The namespace whose sealing key Secrets open SealedSecrets (the controller's). */
  sealingKeyNamespace?: string;
  /** `--substitute name=value`, as spec.postBuild.substitute; undefined when none is given. */
  substitute?: Record<string, string>;
}

interface SyncFlags extends CommonFlags {
  prune: boolean;
  dryRun: boolean;
  /** `--wait`, or the seconds of the deprecated `--wait 300`. */
  wait?: true | number;
  /** `--timeout`: how long `--wait` waits for health. */
  timeout: number;
  force: boolean;
  adopt: boolean;
  createNamespace: boolean;
}

/** What one `sync` or `diff` works on, once the flags are checked and the cluster is known. */
interface Target {
  app: string;
  namespace: string;
}

/**
 * `--app`, which names the inventory `--prune` deletes from. It has no default: every sync
 * without one shared `ballast-inventory-default`, so two unrelated syncs in a namespace pruned
 * each other's objects.
 */
export function appOf(f: { app?: string }): string {
  if (f.app !== undefined) return f.app;
  throw new UsageError(
    '--app NAME is required: it names the inventory (ConfigMap ballast-inventory-NAME) that ' +
      'records what this sync applied and what --prune may delete, so two syncs sharing one ' +
      "delete each other's objects; pass a name of its own for each set of manifests, e.g. --app web",
  );
}

/**
 * `--wait [seconds]` is the older spelling of `--wait --timeout 5m`; a number after it still
 * works, with a note, and gives the timeout when `--timeout` is not given.
 */
function parseWaitSeconds(text: string): number {
  const n = parseInteger({ min: 1, max: 86_400 })(text);
  err(`--wait ${text} is deprecated: use --wait --timeout ${text}s`);
  return n;
}

/** How long `sync --wait` waits for health when `--timeout` is not given. */
const defaultWaitMs = 300_000;

/** The wait of `--wait`, in ms; undefined without it. `--timeout` wins over `--wait SECONDS`. */
export function waitTimeoutMs(
  f: { wait?: true | number; timeout: number },
  timeoutGiven: boolean,
): number | undefined {
  if (f.wait === undefined) return undefined;
  return f.wait === true || timeoutGiven ? f.timeout : f.wait * 1000;
}

function addCommonFlags(cmd: Command): Command {
  cmd
    .option('--dir <path>', 'render a local directory')
    .option(
      '--root <dir>',
      'repository root for --dir: paths may not leave it (default: the nearest .git above --dir, else --dir itself)',
    )
    .option('--repo <url>', 'render a Git repository (https://, ssh://, file://)')
    .option('--ref <ref>', 'branch, tag, semver range or commit', 'main')
    .option('--path <path>', 'directory inside the repository', '.')
    .option(
      '--git-secret <name>',
      'Secret in the namespace with repo credentials (username, password, token, sshPrivateKey, knownHosts, caBundle)',
    )
    .option(
      '--app <name>',
      'required: names the tracking label and the inventory --prune deletes from; one per set of manifests',
      parseObjectName,
    );
  gitCredentialOptions(cmd);
  namespaceOption(cmd, 'destination namespace, the default for namespaced objects', {
    kind: 'context',
  });
  kubeOptions(cmd);
  cmd
    .addOption(
      new Option('--renderer <name>', 'force a renderer')
        .choices(['auto', 'plain', 'kustomize', 'helm'])
        .default('auto'),
    )
    .option(
      '--helm-values <file>',
      'values file, relative to the repo root (repeatable)',
      collect,
      [],
    )
    .option('--helm-set <key=value>', 'inline value, e.g. replicaCount=2 (repeatable)', collect, [])
    .option('--release-name <name>', 'Helm release name')
    .option(
      '--decryption-keys <path>',
      'age keys file, .asc PGP key, or a directory of *.agekey / *.asc files, for SOPS-encrypted files',
    )
    .option(
      '--decryption-secret <namespace/name>',
      'Secret with *.agekey / *.asc entries for SOPS-encrypted files (as spec.decryption.secretRef)',
      parseObjectRef,
    )
    .option(
      '--sealing-key-namespace <ns>',
      "open SealedSecrets with the sealing keys in this namespace (the controller's, e.g. ballast-system)",
    )
    .option(
      '--substitute <name=value>',
      'set ${name} in the rendered objects and inline Helm values, as spec.postBuild.substitute (repeatable)',
      parseSubstitute,
    );
  return outputOption(cmd, ['text', 'json']);
}

/** One `--substitute name=value`, added to those before it; a later one for a name wins. */
export function parseSubstitute(
  text: string,
  previous: Record<string, string> | undefined,
): Record<string, string> {
  const eq = text.indexOf('=');
  const name = eq < 0 ? text : text.slice(0, eq);
  if (eq < 0 || !variableNameRegex.test(name))
    throw new UsageError(
      `--substitute ${text}: expected name=value, the name a letter or _ then letters, digits or _`,
    );
  return { ...previous, [name]: text.slice(eq + 1) };
}

function renderOptionsFrom(
  f: CommonFlags,
  t: Target,
  decryption: DecryptionKeys | undefined,
  sealing: SealingKeys | undefined,
): RenderOptions {
  const base = defaultRenderOptions();
  let values: Record<string, unknown> = {};
  for (const s of f.helmSet) values = parseSetFlag(s, values);
  return {
    ...base,
    renderer: f.renderer,
    decryption,
    sealing,
    ...(f.substitute === undefined ? {} : { substitute: f.substitute }),
    helm: {
      ...base.helm,
      namespace: t.namespace,
      valuesFiles: f.helmValues,
      values,
      releaseName: f.releaseName ?? t.app,
    },
  };
}

async function runSync(
  f: CommonFlags,
  extra: Partial<SyncFlags>,
  { dryRun, diffText }: { dryRun: boolean; diffText: boolean },
): Promise<{ result: SyncResult; cluster: Cluster }> {
  const app = appOf(f);
  const cluster = connect(f);
  const t: Target = { app, namespace: namespaceOf(f, cluster) };
  const src = await resolveSource(f, t.namespace, cluster);
  if (f.output === 'text') err(`source: ${src.describe}`);
  const rendered = await render(
    src.source,
    renderOptionsFrom(
      f,
      t,
      await decryptionKeysFor(f, cluster),
      f.sealingKeyNamespace === undefined
        ? undefined
        : (await readSealingKeys(cluster, f.sealingKeyNamespace)).keys,
    ),
  );
  if (rendered.kind === 'error') throw renderFailure(src, rendered.error);
  if (f.output === 'text') err(`render: ${rendered.objects.length} objects (${rendered.renderer})`);
  const opts = {
    ...defaultSyncOptions(),
    dryRun,
    prune: extra.prune ?? false,
    adopt: extra.adopt ?? false,
    forceRecreate: extra.force ?? false,
    createNamespace: extra.createNamespace ?? false,
    diff: {
      ...defaultDiffOptions(),
      color: process.stdout.isTTY && f.output === 'text' ? ('ansi' as const) : ('none' as const),
      // Only `diff` prints the diffs; `sync` lists what changed.
      text: diffText,
    },
    onProgress: f.output === 'text' ? err : () => undefined,
  };
  const result = await sync(
    cluster,
    {
      app: { name: t.app, namespace: t.namespace },
      defaultNamespace: t.namespace,
      objects: rendered.objects,
    },
    opts,
  );
  return { result, cluster };
}

/** Keys from --decryption-keys and --decryption-secret together; undefined when neither is given. */
async function decryptionKeysFor(
  f: CommonFlags,
  cluster: Cluster,
): Promise<DecryptionKeys | undefined> {
  const sets: DecryptionKeys[] = [];
  if (f.decryptionKeys !== undefined) sets.push(await keysFromPath(f.decryptionKeys));
  if (f.decryptionSecret !== undefined)
    sets.push(await keysFromSecret(cluster, f.decryptionSecret));
  return sets.length === 0 ? undefined : mergeKeys(...sets);
}

async function waitHealthy(
  cluster: Cluster,
  result: Extract<SyncResult, { kind: 'done' }>,
  timeoutMs: number,
): Promise<HealthReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const items = await Promise.all(
      result.live.map(async (o) => ({
        subject: refOf(o),
        health: assessHealth(await cluster.get(o)),
      })),
    );
    const report = aggregateHealth(items);
    // Degraded does not clear by waiting (a rollout past its progress deadline, a failed Job),
    // so it ends the wait as kubectl rollout status does.
    if (report.status === 'Healthy' || report.status === 'Degraded' || Date.now() > deadline)
      return report;
    await new Promise((r) => setTimeout(r, 500));
  }
}

export function registerSync(program: Command): void {
  addCommonFlags(
    program
      .command('diff')
      .description('show what a sync would change; exits 0 in sync, 1 different, 2 error'),
  )
    .option(
      '--create-namespace',
      'diff as `sync --create-namespace` would apply: the namespace given by -n need not exist',
      false,
    )
    .action(async (f: CommonFlags & Pick<SyncFlags, 'createNamespace'>) => {
      const { result, cluster } = await runSync(f, f, { dryRun: true, diffText: true });
      cluster.close();
      if (result.kind === 'refused') {
        printRefused(f, result);
        process.exitCode = 2;
        return;
      }
      const changed = result.changeSet.entries.filter((e) => e.action !== 'unchanged');
      if (f.output === 'json')
        out(
          JSON.stringify(
            { inSync: changed.length === 0, entries: result.changeSet.entries },
            null,
            2,
          ),
        );
      else
        for (const e of changed)
          out(e.diff !== '' ? e.diff : `${formatRef(e.subject)}: ${e.action}`);
      process.exitCode = changed.length === 0 ? 0 : 1;
    });

  const syncCmd = addCommonFlags(
    program.command('sync').description('apply the rendered objects with server-side apply'),
  )
    .option('--prune', 'delete objects that left Git', false)
    .option('--dry-run', 'plan only; change nothing', false)
    .option(
      '--wait [seconds]',
      'wait until every applied object is healthy, up to --timeout; a Degraded one ends the wait at once (a number here is the deprecated form of --timeout)',
      parseWaitSeconds,
    );
  durationOption(syncCmd, '--timeout <duration>', 'how long --wait waits', defaultWaitMs)
    .option('--force', 'delete and recreate objects whose immutable fields changed', false)
    .option('--adopt', 'take objects that belong to another application', false)
    .option(
      '--create-namespace',
      'create the namespace given by -n first if it does not exist',
      false,
    )
    .action(async (f: SyncFlags, cmd: Command) => {
      const waitMs = waitTimeoutMs(f, cmd.getOptionValueSource('timeout') !== 'default');
      const { result, cluster } = await runSync(f, f, { dryRun: f.dryRun, diffText: false });
      try {
        if (result.kind === 'refused') {
          printRefused(f, result);
          process.exitCode = 2;
          return;
        }
        const health =
          waitMs === undefined || f.dryRun ? undefined : await waitHealthy(cluster, result, waitMs);
        printSyncResult(f, result, health);
        process.exitCode =
          result.errors.length > 0 || (health !== undefined && health.status !== 'Healthy') ? 2 : 0;
      } finally {
        cluster.close();
      }
    });
}
