import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { byCodePoint } from '../../api/object.js';
import { parseAllowedSigners } from './allowed-signers.js';
import { readArmoredKeys } from './openpgp.js';
import type { TrustedKeys } from './types.js';
import type { Result } from '../../api/errors.js';

/** Trusted keys that cannot be read; names where they came from and the entry, never key bytes. */
export class InvalidTrustedKeysError extends Error {
  override readonly name = 'InvalidTrustedKeysError';
  constructor(
    /** Where the keys came from: `Secret team-a/keys`, or a directory. */
    readonly source: string,
    readonly problem: string,
  ) {
    super(`${source}: ${problem}`);
  }
}

export type TrustedKeysResult = Result<TrustedKeys, InvalidTrustedKeysError>;

/**
 * Which entries hold keys: `*.asc` armored OpenPGP public keys, `*.pub` SSH public keys or
 * allowed-signers lines, and an entry named `allowed_signers`. Others are ignored, so a Secret
 * or directory may carry a README.
 */
function entryKind(name: string): 'openpgp' | 'ssh' | undefined {
  if (name.endsWith('.asc')) return 'openpgp';
  if (name.endsWith('.pub') || name === 'allowed_signers') return 'ssh';
  return undefined;
}

/**
 * Builds trusted keys from named texts; an entry that cannot be read is a problem, not skipped.
 * `source` names where the entries came from in errors.
 */
export async function trustedKeysFromEntries(
  entries: readonly { name: string; text: string }[],
  source: string,
): Promise<TrustedKeysResult> {
  const invalid = (problem: string): TrustedKeysResult => ({
    kind: 'error',
    error: new InvalidTrustedKeysError(source, problem),
  });
  const keys: { openpgp: TrustedKeys['openpgp'][number][]; ssh: TrustedKeys['ssh'][number][] } = {
    openpgp: [],
    ssh: [],
  };
  for (const { name, text } of [...entries].sort((a, b) => byCodePoint(a.name, b.name))) {
    const kind = entryKind(name);
    if (kind === 'openpgp') {
      const r = await readArmoredKeys(text, name);
      if (r.kind === 'invalid') return invalid(r.problem);
      keys.openpgp.push(...r.value);
    } else if (kind === 'ssh') {
      const r = parseAllowedSigners(text, name);
      if (r.kind === 'invalid') return invalid(r.problem);
      keys.ssh.push(...r.value);
    }
  }
  if (keys.openpgp.length === 0 && keys.ssh.length === 0)
    return invalid(
      'no trusted keys: expected *.asc (OpenPGP) or *.pub / allowed_signers (SSH) entries',
    );
  return { kind: 'ok', value: keys };
}

/**
 * Reads a Secret's `data` (base64 values); `secret` names it in errors, e.g. `Secret ns/keys`.
 * Problems name entries, never values.
 */
export function trustedKeysFromSecretData(
  data: Record<string, string> | undefined,
  secret: string,
): Promise<TrustedKeysResult> {
  const entries = Object.entries(data ?? {}).map(([name, v]) => ({
    name,
    text: Buffer.from(v, 'base64').toString('utf8'),
  }));
  return trustedKeysFromEntries(entries, secret);
}

/** Reads the key files in a directory (not recursive). */
export async function trustedKeysFromDir(dir: string): Promise<TrustedKeysResult> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && entryKind(e.name) !== undefined)
    .map((e) => e.name);
  const entries = await Promise.all(
    names.map(async (name) => ({ name, text: await readFile(join(dir, name), 'utf8') })),
  );
  return trustedKeysFromEntries(entries, dir);
}
