import { InvalidArgumentError, Option, type Command } from 'commander';
import { formatRef, refOf } from '../api/object.js';
import { groupedErrors } from '../apply/errors.js';
import { defaultSyncOptions, sync, type RefusalEffects, type SyncResult } from '../apply/sync.js';
import { Cluster } from '../cluster/cluster.js';
import { countByAction, defaultDiffOptions } from '../diff/index.js';
import { aggregateHealth, assessHealth, type HealthReport } from '../health/index.js';
import { defaultRenderOptions, render, type RenderOptions } from '../render/index.js';
import { mergeKeys, type DecryptionKeys } from '../secrets/index.js';
import { keysFromPath, keysFromSecret } from './secrets.js';
import { renderFailure, resolveSource, type SourceFlags } from './source-args.js';
import { parseSetFlag } from './values.js';

interface CommonFlags extends SourceFlags {
  app: string;
  namespace: string;
  kubeconfig?: string;
  context?: string;
  output: 'text' | 'json';
  renderer: RenderOptions['renderer'];
  helmValues: string[];
  helmSet: string[];
  releaseName?: string;
  /** A file or directory of `*.agekey` / `*.asc` keys for SOPS-encrypted files. */
  decryptionKeys?: string;
  /** NAMESPACE/NAME of a Secret with `*.agekey` / `*.asc` entries, as spec.decryption.secretRef. */
  decryptionSecret?: string;
}

interface SyncFlags extends CommonFlags {
  prune: boolean;
  dryRun: boolean;
  wait?: number | true;
  force: boolean;
  adopt: boolean;
  createNamespace: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];
const out = (s: string): void => {
  process.stdout.write(s.endsWith('\n') ? s : s + '\n');
};
const err = (s: string): void => {
  process.stderr.write(s.endsWith('\n') ? s : s + '\n');
};

function addCommonFlags(cmd: Command): Command {
  return cmd
    .option('--dir <path>', 'render a local directory')
    .option(
      '--root <dir>',
      'repository root for --dir: paths may not leave it (default: the nearest .git above --dir, else --dir itself)',
    )
    .option('--repo <url>', 'render a Git repository (https://, ssh://, file://)')
    .option('--ref <ref>', 'branch, tag, semver range or commit', 'main')
    .option('--path <path>', 'directory inside the repository', '.')
    .option('--git-username <name>', 'user for HTTPS basic auth')
    .option('--git-password-file <file>', 'file holding the HTTPS password')
    .option('--git-token-file <file>', 'file holding an HTTPS token')
    .option('--ssh-key-file <file>', 'SSH private key file')
    .option('--known-hosts-file <file>', 'known_hosts for SSH (required with --ssh-key-file)')
    .option('--ca-file <file>', 'extra CA bundle for HTTPS')
    .option(
      '--insecure-allow-http-credentials',
      'send the Git credentials over a plain http:// --repo (readable on the network)',
    )
    .option(
      '--git-secret <name>',
      'Secret in the namespace with repo credentials (username, password, token, sshPrivateKey, knownHosts, caBundle)',
    )
    .option('--app <name>', 'application name (tracking label and inventory)', 'default')
    .option(
      '-n, --namespace <ns>',
      'destination namespace, the default for namespaced objects',
      'default',
    )
    .option('--kubeconfig <file>', 'kubeconfig file')
    .option('--context <name>', 'kubeconfig context')
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
    )
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['text', 'json'])
        .default('text'),
    );
}

function renderOptionsFrom(f: CommonFlags, decryption: DecryptionKeys | undefined): RenderOptions {
  const base = defaultRenderOptions();
  let values: Record<string, unknown> = {};
  for (const s of f.helmSet) values = parseSetFlag(s, values);
  return {
    ...base,
    renderer: f.renderer,
    decryption,
    helm: {
      ...base.helm,
      namespace: f.namespace,
      valuesFiles: f.helmValues,
      values,
      releaseName: f.releaseName ?? f.app,
    },
  };
}

async function runSync(
  f: CommonFlags,
  extra: Partial<SyncFlags>,
  { dryRun, diffText }: { dryRun: boolean; diffText: boolean },
): Promise<{ result: SyncResult; cluster: Cluster }> {
  const cluster = Cluster.connect({
    ...(f.kubeconfig === undefined ? {} : { kubeconfig: f.kubeconfig }),
    ...(f.context === undefined ? {} : { context: f.context }),
  });
  const src = await resolveSource(f, cluster);
  if (f.output === 'text') err(`source: ${src.describe}`);
  const rendered = await render(
    src.source,
    renderOptionsFrom(f, await decryptionKeysFor(f, cluster)),
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
      app: { name: f.app, namespace: f.namespace },
      defaultNamespace: f.namespace,
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

/** What a refused sync did and undid, or that it changed nothing. */
export function refusalAftermath(effects: RefusalEffects): string {
  const parts: string[] = [];
  if (effects.namespaceCreated !== undefined)
    parts.push(`namespace ${effects.namespaceCreated} was created and kept`);
  const { rolledBack, leftBehind } = effects;
  const objects = (count: number, one: string, many: string): string =>
    count === 1
      ? `1 object created by this sync ${one}`
      : `${count} objects created by this sync ${many}`;
  if (rolledBack.length > 0)
    parts.push(objects(rolledBack.length, 'was deleted again', 'were deleted again'));
  if (leftBehind.length > 0)
    parts.push(
      `${objects(leftBehind.length, 'could not be deleted and remains', 'could not be deleted and remain')}: ${leftBehind.map(formatRef).join(', ')}`,
    );
  return parts.length === 0 ? 'nothing was changed' : parts.join('; ');
}

/** Text groups the errors by cause; JSON lists every object, so nothing is lost either way. */
function printRefused(f: CommonFlags, result: Extract<SyncResult, { kind: 'refused' }>): void {
  err(
    `refused: ${result.errors.length} object(s) cannot be synced; ${refusalAftermath(result.effects)}`,
  );
  if (f.output === 'json')
    out(
      JSON.stringify(
        {
          refused: true,
          errors: result.errors.map((e) => e.message),
          namespaceCreated: result.effects.namespaceCreated ?? null,
          rolledBack: result.effects.rolledBack.map(formatRef),
          leftBehind: result.effects.leftBehind.map(formatRef),
        },
        null,
        2,
      ),
    );
  else for (const line of groupedErrors(result.errors)) err(`  ${line}`);
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
    if (report.status === 'Healthy' || Date.now() > deadline) return report;
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

  addCommonFlags(
    program.command('sync').description('apply the rendered objects with server-side apply'),
  )
    .option('--prune', 'delete objects that left Git', false)
    .option('--dry-run', 'plan only; change nothing', false)
    .option('--wait [timeout]', 'wait until healthy (seconds, default 300)', (v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected seconds');
      return n;
    })
    .option('--force', 'delete and recreate objects whose immutable fields changed', false)
    .option('--adopt', 'take objects that belong to another application', false)
    .option(
      '--create-namespace',
      'create the namespace given by -n first if it does not exist',
      false,
    )
    .action(async (f: SyncFlags) => {
      const { result, cluster } = await runSync(f, f, { dryRun: f.dryRun, diffText: false });
      try {
        if (result.kind === 'refused') {
          printRefused(f, result);
          process.exitCode = 2;
          return;
        }
        const health =
          f.wait === undefined || f.dryRun
            ? undefined
            : await waitHealthy(cluster, result, (f.wait === true ? 300 : f.wait) * 1000);
        printSyncResult(f, result, health);
        process.exitCode =
          result.errors.length > 0 || (health !== undefined && health.status !== 'Healthy') ? 2 : 0;
      } finally {
        cluster.close();
      }
    });
}

function printSyncResult(
  f: SyncFlags,
  result: Extract<SyncResult, { kind: 'done' }>,
  health: HealthReport | undefined,
): void {
  const n = countByAction(result.changeSet);
  const summary = {
    created: n.create,
    configured: n.configure,
    unchanged: n.unchanged,
    pruned: result.pruned.filter((p) => p.kind === 'deleted').length,
    ...(health === undefined ? {} : { health: health.status }),
  };
  if (f.output === 'json') {
    out(
      JSON.stringify(
        {
          dryRun: f.dryRun,
          summary,
          entries: result.changeSet.entries.map(({ diff: _d, ...e }) => e),
          errors: result.errors.map((e) => e.message),
        },
        null,
        2,
      ),
    );
    return;
  }
  const verb = (a: string): string =>
    ({ create: 'created', configure: 'configured', prune: 'pruned' })[a] ?? a;
  for (const e of result.changeSet.entries) {
    if (e.action !== 'unchanged')
      out(`${formatRef(e.subject)} ${verb(e.action)}${f.dryRun ? ' (dry run)' : ''}`);
  }
  for (const line of groupedErrors(result.errors)) err(`error: ${line}`);
  const h =
    health === undefined
      ? ''
      : `; health: ${health.status}${health.status === 'Healthy' ? '' : ` (${health.message})`}`;
  out(
    `${summary.created} created, ${summary.configured} configured, ${summary.unchanged} unchanged, ${summary.pruned} pruned${h}`,
  );
}
