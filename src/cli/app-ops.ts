import { readSealingKeys } from '../reconcile/sealing-keys.js';
import type { Command } from 'commander';
import type { Application } from '../api/application.js';
import { parseApplication } from '../api/application.js';
import { changeSetText, needsSync } from '../diff/index.js';
import { compareApplication } from '../reconcile/reconcile.js';
import { defaultSourceOptions, GitSource } from '../source/source.js';
import { getApp, say, withApp, withCommon, type AppCall, type AppFlags } from './app-common.js';
import { treeTable } from './app-tree.js';
import { readAppTree } from '../reconcile/app-tree.js';
import { historyEntryOf, requestOnApp } from '../reconcile/app-requests.js';
import { sourceCacheDir } from './source-args.js';
import { collectVaultAddress } from './parse.js';
import { VaultValues } from '../vault/index.js';

async function rollback(
  { cluster, namespace }: AppCall,
  f: { reason?: string },
  name: string,
  idText: string,
): Promise<void> {
  const historyId = Number(idText);
  if (!/^\d+$/.test(idText)) {
    const app = await getApp(cluster, namespace, name);
    historyEntryOf(app, idText);
  }
  say(
    await requestOnApp(cluster, namespace, name, {
      kind: 'rollback',
      historyId,
      reason: f.reason ?? '',
    }),
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

async function tree({ cluster, namespace }: AppCall, name: string): Promise<void> {
  const app: Application = await getApp(cluster, namespace, name);
  say(
    treeTable(
      {
        name: `Application.ballast.dev/${namespace}/${name}`,
        sync: app.status?.sync?.status ?? 'Unknown',
        health: app.status?.health ?? { status: 'Unknown', message: 'not reconciled yet' },
      },
      await readAppTree(cluster, app),
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
