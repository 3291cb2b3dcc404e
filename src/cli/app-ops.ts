import { readSealingKeys } from '../reconcile/sealing-keys.js';
import type { Command } from 'commander';
import type { Application } from '../api/application.js';
import { parseApplication } from '../api/application.js';
import { refOf, type KubeObject } from '../api/object.js';
import { changeSetText, needsSync } from '../diff/index.js';
import { assessHealth } from '../health/index.js';
import { compareApplication } from '../reconcile/reconcile.js';
import { defaultSourceOptions, GitSource } from '../source/source.js';
import {
  getApp,
  mergePatch,
  say,
  whoAmI,
  withApp,
  withCommon,
  type AppCall,
  type AppFlags,
} from './app-common.js';
import { buildTree, treeTable } from './app-tree.js';
import { sourceCacheDir } from './source-args.js';
import { collectVaultAddress } from './parse.js';
import { VaultValues } from '../vault/index.js';

async function rollback(
  { cluster, namespace }: AppCall,
  f: { reason?: string },
  name: string,
  idText: string,
): Promise<void> {
  const app = await getApp(cluster, namespace, name);
  const history = app.status?.history ?? [];
  const entry = history.find((h) => String(h.id) === idText);
  if (entry === undefined) {
    const ids = history.map((h) => String(h.id)).join(', ');
    throw new Error(
      `Application ${namespace}/${name}: no history entry ${idText}; ` +
        (ids === ''
          ? 'it has no history yet'
          : `choose one of ${ids} (ballast app history ${name})`),
    );
  }
  await mergePatch(cluster, namespace, name, {
    spec: {
      rollback: {
        revision: entry.revision,
        historyId: entry.id,
        reason: f.reason ?? '',
        requestedBy: await whoAmI(cluster),
        requestedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    },
  });
  say(
    `application.ballast.dev/${name} rolling back to ${entry.revision.slice(0, 12)} (history ${String(entry.id)}); ` +
      `new commits wait for \`ballast app resume ${name}\``,
  );
}

/** `ballast app diff`: fetch and render as the controller would, compare by dry run. */
async function diff(
  { cluster, namespace }: AppCall,
  name: string,
  f: { sealingKeyNamespace?: string; vaultAllowedAddress: string[] },
): Promise<number> {
  const { sealingKeyNamespace } = f;
  const parsed = parseApplication(await getApp(cluster, namespace, name));
  if (parsed.kind === 'error') throw parsed.error;
  const sealing =
    sealingKeyNamespace === undefined
      ? undefined
      : (await readSealingKeys(cluster, sealingKeyNamespace)).keys;
  const deps = {
    cluster,
    ...(sealing === undefined ? {} : { sealingKeys: () => sealing }),
    // The mirrors `ballast diff` and `ballast sync` already keep.
    source: new GitSource(defaultSourceOptions(sourceCacheDir())),
    log: () => undefined,
    // The caller's own logins go only where the caller said they may: the address is the tenant's.
    vault: { values: new VaultValues(), allowedAddresses: f.vaultAllowedAddress },
  };
  const { sha, result } = await compareApplication(
    deps,
    parsed.value,
    AbortSignal.timeout(600_000),
  );
  const text = changeSetText(result.changeSet);
  if (text.trim() !== '') say(text);
  const differs = needsSync(result.changeSet);
  process.stderr.write(
    `${differs ? 'differs from' : 'matches'} revision ${sha.slice(0, 12)} of ${parsed.value.spec.source.repoURL}\n`,
  );
  return differs ? 1 : 0;
}

/** Owned kinds worth showing under managed objects: what a Deployment or CronJob makes. */
const ownedKinds = [
  { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  { apiVersion: 'batch/v1', kind: 'Job' },
  { apiVersion: 'v1', kind: 'Pod' },
];

async function tree({ cluster, namespace }: AppCall, name: string): Promise<void> {
  const app: Application = await getApp(cluster, namespace, name);
  const resources = app.status?.resources ?? [];
  const managed = (
    await Promise.all(
      resources.map(async (r) => {
        const read = await cluster.getRef(r);
        if (read.kind === 'unserved') return undefined;
        const object: KubeObject = read.live ?? {
          apiVersion: read.apiVersion,
          kind: r.kind,
          metadata: { name: r.name, namespace: r.namespace },
        };
        return { object, sync: r.status, health: assessHealth(read.live) };
      }),
    )
  ).flatMap((m) => (m === undefined ? [] : [m]));
  const namespaces = [
    ...new Set(managed.map((m) => refOf(m.object).namespace).filter((n) => n !== '')),
  ];
  const owned: KubeObject[] = [];
  for (const k of ownedKinds) {
    const info = await cluster.discovery.resolve(k.apiVersion, k.kind);
    if (info === undefined) continue;
    for (const ns of namespaces) owned.push(...(await cluster.list(info, { namespace: ns })));
  }
  say(
    treeTable(
      {
        name: `Application.ballast.dev/${namespace}/${name}`,
        sync: app.status?.sync?.status ?? 'Unknown',
        health: app.status?.health ?? { status: 'Unknown', message: 'not reconciled yet' },
      },
      buildTree(managed, owned, assessHealth),
    ),
  );
}

/** rollback, resume (which also ends a rollback), diff and tree. */
export function registerAppOps(app: Command): void {
  withCommon(
    app
      .command('rollback <name> <history-id>')
      .description('deploy the revision of a history entry and hold it until `app resume`'),
  )
    .option('--reason <text>', 'why, recorded in the audit ledger')
    .action((name: string, id: string, f: AppFlags & { reason?: string }) =>
      withApp(f, (call) => rollback(call, f, name, id)),
    );
  withCommon(
    app
      .command('diff <name>')
      .description('what a sync would change (exit 0 same, 1 different, 2 error)'),
  )
    .option(
      '--sealing-key-namespace <ns>',
      "open SealedSecrets with the sealing keys in this namespace (the controller's)",
    )
    .option(
      '--vault-allowed-address <url>',
      "a Vault the Application's spec.vault.address may name (repeatable); no other is sent a login",
      collectVaultAddress,
      [],
    )
    .action(
      (
        name: string,
        f: AppFlags & { sealingKeyNamespace?: string; vaultAllowedAddress: string[] },
      ) =>
        withApp(f, async (call) => {
          process.exitCode = await diff(call, name, f);
        }),
    );
  withCommon(
    app.command('tree <name>').description('the managed objects, what they own, and their health'),
  ).action((name: string, f: AppFlags) => withApp(f, (call) => tree(call, name)));
}
