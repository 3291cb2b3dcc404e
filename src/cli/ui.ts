import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { LedgerError } from '../audit/errors.js';
import { openLedger, parseLedgerUrl } from '../audit/open.js';
import type { Ledger } from '../audit/types.js';
import { LocalIdentities } from '../ui/session.js';
import { startLocalUi } from '../ui/local.js';
import { untilSignalled } from './long-running.js';
import { connect, kubeOptions, type KubeFlags } from './options.js';
import { parseInteger } from './parse.js';
import { defaultSourceOptions, GitSource } from '../source/source.js';
import { sourceCacheDir } from './source-args.js';

interface UiFlags extends KubeFlags {
  port: number;
  ledger?: string;
}

/** The default port of `ballast ui`; `--port 0` takes any free one. */
export const defaultUiPort = 8090;

/** A ledger to read, refused when its SQLite file is missing (a typo must not look empty). */
async function ledgerOf(url: string | undefined): Promise<Ledger | undefined> {
  if (url === undefined) return undefined;
  const at = parseLedgerUrl(url);
  if (at.kind === 'sqlite' && !existsSync(at.path))
    throw new LedgerError(`sqlite:${at.path}`, 'no ledger there (the file does not exist)');
  return openLedger(url);
}

async function runUi(f: UiFlags): Promise<void> {
  const cluster = connect(f);
  const ledger = await ledgerOf(f.ledger);
  const ui = await startLocalUi({
    port: f.port,
    identities: new LocalIdentities(cluster),
    ledger,
    ledgerScope: 'user-file',
    // The mirrors `ballast app diff` keeps, with its rules (no file:// repositories).
    source: new GitSource(defaultSourceOptions(sourceCacheDir())),
    log: () => undefined,
  });
  process.stdout.write(`Ballast UI: http://127.0.0.1:${String(ui.port)}/\n`);
  await untilSignalled();
  await ui.close();
  await ledger?.close();
}

export function registerUi(program: Command): void {
  const cmd = program
    .command('ui')
    .description(
      "serve the web UI on 127.0.0.1 with the kubeconfig's identity (opens no browser; every request is the apiserver's to allow)",
    );
  kubeOptions(cmd)
    .option(
      '--port <port>',
      'port on 127.0.0.1 (0: any free port)',
      parseInteger({ min: 0, max: 65_535 }),
      defaultUiPort,
    )
    .option(
      '--ledger <url>',
      'audit ledger to show: sqlite:/path/audit.db or postgres://… (default: none, the Audit view says so)',
    )
    .action(runUi);
}
