import { existsSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { exportRecords, type ExportFormat } from '../audit/export.js';
import { LedgerError } from '../audit/errors.js';
import { defaultLedgerUrl, openLedger, parseLedgerUrl } from '../audit/open.js';
import type { AppRef, Ledger, LedgerRecord, ListQuery, VerifyResult } from '../audit/types.js';

interface LedgerFlags {
  ledger?: string;
}

interface ExportFlags extends LedgerFlags {
  since?: string;
  until?: string;
  app?: AppRef;
  format: ExportFormat;
}

interface VerifyFlags extends LedgerFlags {
  output: 'text' | 'json';
}

const ledgerHelp =
  'ledger URL: sqlite:/path/audit.db, a bare file path, or postgres://user@host/db ' +
  '(default: $BALLAST_LEDGER, else sqlite:$XDG_STATE_HOME/ballast/audit.db, ' +
  'i.e. ~/.local/state/ballast/audit.db)';

function parseTime(value: string): string {
  if (Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError('expected an ISO 8601 time, e.g. 2026-03-01T10:00:00Z');
  }
  return value;
}

function parseApp(value: string): AppRef {
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(value);
  if (m?.[1] === undefined || m[2] === undefined) {
    throw new InvalidArgumentError('expected NAMESPACE/NAME');
  }
  return { namespace: m[1], name: m[2] };
}

function parseChoice<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    const found = choices.find((c) => c === value);
    if (found === undefined) throw new InvalidArgumentError(`expected ${choices.join(' or ')}`);
    return found;
  };
}

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
  if (r.kind === 'intact') return `ledger intact: ${r.records} records, head ${r.head}\n`;
  const at = r.recordId === undefined ? `seq ${r.atSeq}` : `seq ${r.atSeq} (record ${r.recordId})`;
  return `ledger broken at ${at}: ${r.problem}: ${r.detail} (${r.checked} records sound before it)\n`;
}

/** Usage errors exit 2 like every other error, so exit 1 keeps meaning "the ledger is broken". */
function usageExitsTwo(e: CommanderError): never {
  throw e.exitCode === 0 ? e : new CommanderError(2, e.code, e.message);
}

export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description('read and check the audit ledger (one hash-chained record per outcome)')
    .exitOverride(usageExitsTwo);

  audit
    .command('export')
    .description(
      'print records in seq order; json is one array with a record per line, ' +
        'csv has a header row and RFC 4180 quoting; exits 0, or 2 on error',
    )
    .option('--ledger <url>', ledgerHelp)
    .option('--since <time>', 'only records at or after this ISO 8601 time', parseTime)
    .option('--until <time>', 'only records before this ISO 8601 time', parseTime)
    .option('--app <namespace/name>', 'only records of this Application', parseApp)
    .option('--format <format>', 'json or csv', parseChoice(['json', 'csv'] as const), 'json')
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

  audit
    .command('verify')
    .description(
      'walk the hash chain and name the first broken link (a record edited, deleted, inserted ' +
        'or reordered) by seq and record id; exits 0 intact, 1 broken, 2 error',
    )
    .option('--ledger <url>', ledgerHelp)
    .option('-o, --output <format>', 'text or json', parseChoice(['text', 'json'] as const), 'text')
    .action((f: VerifyFlags) =>
      withLedger(f, async (ledger) => {
        const result = await ledger.verify();
        if (f.output === 'json') await writeOut(`${JSON.stringify(result)}\n`);
        else if (result.kind === 'intact') await writeOut(verifyText(result));
        else process.stderr.write(verifyText(result));
        process.exitCode = result.kind === 'intact' ? 0 : 1;
      }),
    );
}
