import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import {
  generateSigningKeyPair,
  loadPublicKey,
  parseSignedCheckpoint,
} from '../audit/checkpoint.js';
import { exportRecords, type ExportFormat } from '../audit/export.js';
import { LedgerError } from '../audit/errors.js';
import { defaultLedgerUrl, openLedger, parseLedgerUrl } from '../audit/open.js';
import { readPublishedCheckpoint } from '../audit/publish.js';
import { verifySigned } from '../audit/signed.js';
import type {
  AppRef,
  Ledger,
  LedgerRecord,
  ListQuery,
  SignedCheckpoint,
  VerifyResult,
} from '../audit/types.js';
import { kubeOptions, outputOption, withCluster, type KubeFlags } from './options.js';
import { parseObjectRef, parseTime, type ObjectRef } from './parse.js';

interface LedgerFlags {
  ledger?: string;
}

interface ExportFlags extends LedgerFlags {
  since?: string;
  until?: string;
  app?: AppRef;
  format: ExportFormat;
}

interface VerifyFlags extends LedgerFlags, KubeFlags {
  output: 'text' | 'json';
  publicKey?: string;
  checkpoint?: string;
  checkpointConfigmap?: ObjectRef;
}

interface KeygenFlags {
  out: string;
}

const ledgerHelp =
  'ledger URL: sqlite:/path/audit.db, a bare file path, or postgres://user@host/db ' +
  '(default: $BALLAST_LEDGER, else sqlite:$XDG_STATE_HOME/ballast/audit.db, ' +
  'i.e. ~/.local/state/ballast/audit.db)';

/**
 * Opens the named ledger. A missing SQLite file is an error here, not a new empty ledger, so a
 * mistyped path cannot verify as intact.
 */
async function withLedger(f: LedgerFlags, fn: (l: Ledger) => Promise<void>): Promise<void> {
  const url = f.ledger ?? defaultLedgerUrl();
  const at = parseLedgerUrl(url);
  if (at.kind === 'sqlite' && !existsSync(at.path)) {
    throw new LedgerError(`sqlite:${at.path}`, 'no ledger there (the file does not exist)');
  }
  const ledger = await openLedger(url);
  try {
    await fn(ledger);
  } finally {
    await ledger.close();
  }
}

function writeOut(chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(chunk, (e) => {
      if (e === null || e === undefined) resolve();
      else reject(e);
    });
  });
}

const pageSize = 1000;

async function* pages(ledger: Ledger, query: ListQuery): AsyncIterable<LedgerRecord[]> {
  let afterSeq = 0;
  for (;;) {
    const page = await ledger.list({ ...query, afterSeq, limit: pageSize });
    if (page.length > 0) yield page;
    const last = page.at(-1);
    if (last === undefined || page.length < pageSize) return;
    afterSeq = last.seq;
  }
}

function verifyText(r: VerifyResult): string {
  if (r.kind === 'intact') {
    const s = r.signed;
    const how =
      s === undefined
        ? 'unsigned check, hash chain only (pass --public-key to check signed checkpoints): anyone who can write the database could have rewritten it'
        : `signed by key ${s.keyId} through seq ${s.through} (${s.at}, ${s.checkpoints} checkpoints)` +
          (s.unsignedTail === 0 ? '' : `; the last ${s.unsignedTail} records are not signed yet`);
    return `ledger intact: ${r.records} records, head ${r.head}; ${how}\n`;
  }
  const at = r.recordId === undefined ? `seq ${r.atSeq}` : `seq ${r.atSeq} (record ${r.recordId})`;
  return `ledger broken at ${at}: ${r.problem}: ${r.detail} (${r.checked} records sound before it)\n`;
}

async function publishedCheckpoint(f: VerifyFlags): Promise<SignedCheckpoint | undefined> {
  if (f.checkpoint !== undefined) {
    const text = await readFile(f.checkpoint, 'utf8').catch((e: unknown) => {
      throw new LedgerError(f.checkpoint ?? '', 'cannot read the checkpoint', { cause: e });
    });
    return parseSignedCheckpoint(text, f.checkpoint);
  }
  const ref = f.checkpointConfigmap;
  if (ref === undefined) return undefined;
  return withCluster(f, (cluster) => readPublishedCheckpoint(cluster, ref));
}

/** The chain alone, or with --public-key the chain and every signed checkpoint. */
async function verifyWith(ledger: Ledger, f: VerifyFlags): Promise<VerifyResult> {
  if (f.publicKey === undefined) {
    if (f.checkpoint !== undefined || f.checkpointConfigmap !== undefined)
      throw new LedgerError(
        '--checkpoint',
        'a published checkpoint needs --public-key to check it',
      );
    return ledger.verify();
  }
  const key = await loadPublicKey(f.publicKey);
  const published = await publishedCheckpoint(f);
  return verifySigned(ledger, key, published === undefined ? {} : { published });
}

/** Writes a new file and refuses to replace one: a key overwritten by mistake is lost. */
async function writeNew(file: string, text: string, mode: number): Promise<void> {
  await writeFile(file, text, { flag: 'wx', mode }).catch((e: unknown) => {
    throw new LedgerError(file, 'cannot write the key (it is never overwritten)', { cause: e });
  });
}

export function registerAudit(program: Command): void {
  // Usage errors exit 2 (see main), so exit 1 keeps meaning "the ledger is broken".
  const audit = program
    .command('audit')
    .description('read and check the audit ledger (one hash-chained record per outcome)');

  audit
    .command('export')
    .description(
      'print records in seq order; json is one array with a record per line, ' +
        'csv has a header row and RFC 4180 quoting; exits 0, or 2 on error',
    )
    .option('--ledger <url>', ledgerHelp)
    .option('--since <time>', 'only records at or after this ISO 8601 time', parseTime)
    .option('--until <time>', 'only records before this ISO 8601 time', parseTime)
    .option('--app <namespace/name>', 'only records of this Application', parseObjectRef)
    .addOption(
      new Option('--format <format>', 'json or csv').choices(['json', 'csv']).default('json'),
    )
    .action((f: ExportFlags) =>
      withLedger(f, async (ledger) => {
        const query: ListQuery = {
          ...(f.since === undefined ? {} : { since: f.since }),
          ...(f.until === undefined ? {} : { until: f.until }),
          ...(f.app === undefined ? {} : { app: f.app }),
        };
        await exportRecords(f.format, pages(ledger, query), writeOut);
      }),
    );

  const verify = audit
    .command('verify')
    .description(
      'walk the hash chain and name the first broken link (a record edited, deleted, inserted ' +
        'or reordered) by seq and record id; with --public-key also check the signed checkpoints, ' +
        'which catch records deleted or cut off and the chain hashed again; without it the check ' +
        'is unsigned; exits 0 intact, 1 broken, 2 error',
    )
    .option('--ledger <url>', ledgerHelp)
    .option(
      '--public-key <file>',
      'also check the signed checkpoints with this ed25519 public key (PEM): catches records ' +
        'deleted, edited or truncated and the chain hashed again, by anyone without the private key',
    )
    .option(
      '--checkpoint <file>',
      "a published checkpoint to check as well: the ConfigMap's checkpoint.json saved to a file",
    )
    .option(
      '--checkpoint-configmap <namespace/name>',
      'read the published checkpoint from this ConfigMap (key checkpoint.json)',
      parseObjectRef,
    );
  kubeOptions(verify, 'for --checkpoint-configmap');
  outputOption(verify, ['text', 'json']).action((f: VerifyFlags) =>
    withLedger(f, async (ledger) => {
      const result = await verifyWith(ledger, f);
      if (f.output === 'json') await writeOut(`${JSON.stringify(result)}\n`);
      else if (result.kind === 'intact') await writeOut(verifyText(result));
      else process.stderr.write(verifyText(result));
      process.exitCode = result.kind === 'intact' ? 0 : 1;
    }),
  );

  audit
    .command('keygen')
    .description(
      'write a new ed25519 key pair for signing ledger checkpoints: <out>.key (PKCS#8 PEM, ' +
        'mode 0600) for `ballast controller --ledger-signing-key`, <out>.pub (SPKI PEM) for ' +
        '`ballast audit verify --public-key`; existing files are never overwritten',
    )
    .requiredOption('--out <prefix>', 'path prefix of the two files, e.g. ./ledger')
    .action(async (f: KeygenFlags) => {
      const { privatePem, publicPem } = generateSigningKeyPair();
      await writeNew(`${f.out}.key`, privatePem, 0o600);
      await writeNew(`${f.out}.pub`, publicPem, 0o644);
      await writeOut(`wrote ${f.out}.key (keep it secret) and ${f.out}.pub\n`);
    });
}
