import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { LedgerError } from './errors.js';
import { PostgresLedger } from './postgres.js';
import { SqliteLedger } from './sqlite.js';
import type { Ledger } from './types.js';

export type LedgerLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/**
 * Where a ledger URL points: `postgres://…` or `postgresql://…`; `sqlite:/path/file.db`,
 * `sqlite:///path/file.db`, `sqlite:relative.db`; or a bare file path, taken as SQLite.
 */
export function parseLedgerUrl(url: string): LedgerLocation {
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url };
  if (url.startsWith('sqlite:')) {
    const rest = url.slice('sqlite:'.length);
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (path === '') throw new LedgerError(url, 'a sqlite ledger URL needs a file path');
    return { kind: 'sqlite', path: isAbsolute(path) ? path : resolve(path) };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (scheme !== null) {
    throw new LedgerError(
      url,
      `unsupported ledger scheme ${scheme[1] ?? ''}: use sqlite: or postgres://`,
    );
  }
  if (url === '') throw new LedgerError('(empty)', 'the ledger URL is empty');
  return { kind: 'sqlite', path: resolve(url) };
}

/**
 * The ledger used when none is named: $BALLAST_LEDGER, else the SQLite file
 * `$XDG_STATE_HOME/ballast/audit.db` (`~/.local/state/ballast/audit.db`). In a cluster the
 * controller sets BALLAST_LEDGER to a file on its PersistentVolume, or to a postgres:// URL.
 */
export function defaultLedgerUrl(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['BALLAST_LEDGER'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const base = env['XDG_STATE_HOME'] ?? join(homedir(), '.local', 'state');
  return `sqlite:${join(base, 'ballast', 'audit.db')}`;
}

/** Opens (creating if needed) the ledger at `url`. Close it when done. */
export async function openLedger(url: string = defaultLedgerUrl()): Promise<Ledger> {
  const at = parseLedgerUrl(url);
  return at.kind === 'postgres' ? PostgresLedger.open(at.url) : SqliteLedger.open(at.path);
}
