import type * as openpgp from 'openpgp';
import { SopsKeyError } from './errors.js';
import { loadAge, loadOpenPgp } from './libs.js';
import type { MasterKeyEntry } from './metadata.js';

/** One age X25519 identity and the recipient it answers to. */
export interface AgeIdentity {
  /** `AGE-SECRET-KEY-1…`. Key material: never logged, never put in an error. */
  identity: string;
  recipient: string;
  /** Where it came from (a Secret entry or a file name), for messages. */
  source: string;
}

export interface PgpIdentity {
  key: openpgp.PrivateKey;
  /** The primary key's fingerprint, upper-case hex, as sops writes it. */
  fingerprint: string;
  source: string;
}

/** The private keys Ballast may use to unwrap SOPS data keys. Held in memory only. */
export interface DecryptionKeys {
  age: AgeIdentity[];
  pgp: PgpIdentity[];
}

export function noDecryptionKeys(): DecryptionKeys {
  return { age: [], pgp: [] };
}

export function mergeKeys(...sets: readonly DecryptionKeys[]): DecryptionKeys {
  return { age: sets.flatMap((s) => s.age), pgp: sets.flatMap((s) => s.pgp) };
}

export type KeysResult =
  { kind: 'ok'; keys: DecryptionKeys } | { kind: 'error'; error: SopsKeyError };

/** Reads an age keys file: one `AGE-SECRET-KEY-1…` per line, `#` comments and blank lines ignored. */
export async function parseAgeKeys(source: string, text: string): Promise<KeysResult> {
  const age: AgeIdentity[] = [];
  const { identityToRecipient } = await loadAge();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (!line.startsWith('AGE-SECRET-KEY-1')) {
      return {
        kind: 'error',
        error: new SopsKeyError(
          source,
          'holds a line that is not an age X25519 identity (AGE-SECRET-KEY-1…)',
        ),
      };
    }
    try {
      age.push({ identity: line, recipient: await identityToRecipient(line), source });
    } catch {
      // The library's message may quote the key; say only which entry is bad.
      return {
        kind: 'error',
        error: new SopsKeyError(source, 'holds an age identity that cannot be read'),
      };
    }
  }
  if (age.length === 0)
    return { kind: 'error', error: new SopsKeyError(source, 'holds no age identity') };
  return { kind: 'ok', keys: { age, pgp: [] } };
}

/** Reads armored OpenPGP private keys. Passphrase-protected keys are refused: nobody can type it. */
export async function parsePgpKeys(source: string, text: string): Promise<KeysResult> {
  const { readPrivateKeys } = await loadOpenPgp();
  let keys: openpgp.PrivateKey[];
  try {
    keys = await readPrivateKeys({ armoredKeys: text });
  } catch {
    return {
      kind: 'error',
      error: new SopsKeyError(source, 'is not an armored OpenPGP private key'),
    };
  }
  const pgp: PgpIdentity[] = [];
  for (const key of keys) {
    const fingerprint = key.getFingerprint().toUpperCase();
    if (!key.isDecrypted()) {
      return {
        kind: 'error',
        error: new SopsKeyError(
          source,
          `the PGP key ${fingerprint} is protected by a passphrase; export it without one for Ballast`,
        ),
      };
    }
    pgp.push({ key, fingerprint, source });
  }
  return { kind: 'ok', keys: { age: [], pgp } };
}

/**
 * Reads a decryption Secret's `data` (base64 values): every `*.agekey` entry holds age
 * identities and every `*.asc` entry armored PGP private keys, as Flux reads them. Other
 * entries are ignored. Problems name the entry, never its content.
 */
export async function decryptionKeysFromSecretData(
  data: Readonly<Record<string, string>> | undefined,
): Promise<KeysResult> {
  const sets: DecryptionKeys[] = [];
  for (const [name, b64] of Object.entries(data ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const text = Buffer.from(b64, 'base64').toString('utf8');
    const r = await keysFromNamedText(name, text);
    if (r?.kind === 'error') return r;
    if (r !== undefined) sets.push(r.keys);
  }
  return { kind: 'ok', keys: mergeKeys(...sets) };
}

/** Keys from one named text by its suffix; undefined when the name is neither `.agekey` nor `.asc`. */
export async function keysFromNamedText(
  name: string,
  text: string,
): Promise<KeysResult | undefined> {
  if (name.endsWith('.agekey')) return parseAgeKeys(name, text);
  if (name.endsWith('.asc')) return parsePgpKeys(name, text);
  return undefined;
}

/** Tries to unwrap the data key from one master key entry with the keys held. */
export async function unwrapWith(
  entry: MasterKeyEntry,
  keys: DecryptionKeys,
): Promise<Buffer | undefined> {
  if (entry.type === 'age') {
    // Only identities for this recipient are tried: a mismatch fails fast and says nothing.
    const ids = keys.age.filter((k) => k.recipient === entry.recipient);
    if (ids.length === 0) return undefined;
    const { armor, Decrypter } = await loadAge();
    try {
      const d = new Decrypter();
      for (const id of ids) d.addIdentity(id.identity);
      return Buffer.from(await d.decrypt(armor.decode(entry.enc)));
    } catch {
      return undefined;
    }
  }
  if (entry.type === 'pgp' && keys.pgp.length > 0) {
    const { decrypt, readMessage } = await loadOpenPgp();
    try {
      const message = await readMessage({ armoredMessage: entry.enc });
      const result = await decrypt({
        message,
        decryptionKeys: keys.pgp.map((k) => k.key),
        format: 'binary',
      });
      // openpgp's declared types lean on DOM streams; the binary format yields bytes.
      const data: unknown = result.data;
      return data instanceof Uint8Array ? Buffer.from(data) : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Wraps a data key for an age recipient, armored as sops writes it. */
export async function wrapForAge(recipient: string, dataKey: Buffer): Promise<string> {
  const { armor, Encrypter } = await loadAge();
  const e = new Encrypter();
  e.addRecipient(recipient);
  return armor.encode(await e.encrypt(dataKey));
}

/** Wraps a data key for an OpenPGP public key, armored as sops writes it. */
export async function wrapForPgp(
  armoredKey: string,
  dataKey: Buffer,
): Promise<{ fingerprint: string; enc: string }> {
  const { createMessage, encrypt, readKey } = await loadOpenPgp();
  const key = await readKey({ armoredKey });
  const message = await createMessage({ binary: dataKey });
  const enc: unknown = await encrypt({
    message,
    encryptionKeys: key.toPublic(),
    format: 'armored',
  });
  if (typeof enc !== 'string') throw new TypeError('openpgp returned no armored message');
  return { fingerprint: key.getFingerprint().toUpperCase(), enc };
}
