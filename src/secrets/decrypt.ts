import { openValue, parseEncryptedValue } from './cipher.js';
import {
  extractDotenvMetadata,
  parseDotenv,
  writeDotenv,
  dotenvTree,
  type DotenvLine,
} from './dotenv.js';
import {
  SopsFormatError,
  SopsMacMismatchError,
  SopsMissingKeyError,
  type AnySopsError,
} from './errors.js';
import type { DecryptionKeys } from './keys.js';
import { unwrapWith } from './keys.js';
import { neededKeys, readMetadata, type SopsMetadata } from './metadata.js';
import {
  additionalData,
  decryptTree,
  openMac,
  scalarToPlain,
  toPlain,
  type SopsNode,
} from './tree.js';
import { readYamlTree, writeJson, writeYaml } from './yaml-format.js';

export type SopsFormat = 'yaml' | 'json' | 'dotenv';

/** A file to decrypt or encrypt. `path` only names it in errors and decides nothing. */
export interface SopsFile {
  /** Relative to the repository root (or as the operator typed it). */
  path: string;
  text: string;
  format: SopsFormat;
}

/** One decrypted document as data, with the line it starts on in the encrypted file. */
export interface DecryptedDocument {
  value: unknown;
  line: number;
}

export type DecryptResult =
  | {
      kind: 'ok';
      /** The plaintext file in the same format: YAML safe for YAML 1.1 readers, JSON and dotenv as sops writes them. */
      text: string;
      documents: DecryptedDocument[];
      /** The plaintext of every value that was encrypted: what logs and errors must never show. */
      plaintexts: string[];
    }
  | { kind: 'error'; error: AnySopsError };

/** The format sops would pick for a file name; undefined for anything else. */
export function formatOf(path: string): SopsFormat | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.env')) return 'dotenv';
  return undefined;
}

/**
 * Whether a text is a SOPS-encrypted file: a top-level `sops` block with a MAC. A textual
 * check, cheap enough to run on every file of a tree.
 */
export function isSopsEncrypted(text: string, format: SopsFormat): boolean {
  switch (format) {
    case 'yaml':
      return /^sops:[ \t]*(#.*)?$/m.test(text) && /^[ \t]+mac:[ \t]*["']?ENC\[/m.test(text);
    case 'json':
      return /"sops"\s*:/.test(text) && /"mac"\s*:\s*"ENC\[/.test(text);
    case 'dotenv':
      return /^sops_mac=ENC\[/m.test(text);
  }
}

const fail = (error: AnySopsError): DecryptResult => ({ kind: 'error', error });

interface Loaded {
  documents: SopsNode[];
  metadata: SopsMetadata;
  lines: number[];
  dotenv?: DotenvLine[];
}

function load(file: SopsFile): Loaded | AnySopsError {
  if (file.format === 'dotenv') {
    const lines = parseDotenv(file.path, file.text);
    if (lines instanceof Error) return lines;
    const { rest, metadata } = extractDotenvMetadata(lines);
    const m = readMetadata(file.path, metadata);
    if (m instanceof Error) return m;
    return { documents: [dotenvTree(rest)], metadata: m, lines: [1], dotenv: rest };
  }
  const tree = readYamlTree(file.path, file.text);
  if (tree instanceof Error) return tree;
  const m = readMetadata(file.path, tree.metadata);
  if (m instanceof Error) return m;
  if (file.format === 'json' && tree.documents.length !== 1) {
    return new SopsFormatError(file.path, 'a JSON file must hold exactly one object');
  }
  return { documents: tree.documents, metadata: m, lines: tree.lines };
}

/** Unwraps the data key with the first master key the held keys can open (age first, as sops). */
async function dataKeyFor(
  file: string,
  m: SopsMetadata,
  keys: DecryptionKeys,
): Promise<Buffer | AnySopsError> {
  const entries = (m.groups[0] ?? []).toSorted((a, b) => rank(a.type) - rank(b.type));
  for (const entry of entries) {
    const key = await unwrapWith(entry, keys);
    if (key === undefined) continue;
    if (key.length !== 32)
      return new SopsFormatError(file, 'the unwrapped data key is not 32 bytes');
    return key;
  }
  return new SopsMissingKeyError(file, neededKeys(m));
}

const rank = (t: string): number => (t === 'age' ? 0 : t === 'pgp' ? 1 : 2);

/**
 * Decrypts a SOPS file in memory: unwraps the data key with any matching age or PGP key,
 * opens every value with its key path as authenticated data, restores its type, and checks
 * the MAC, always. Never throws for bad input; the error names the file and the key needed.
 */
export async function decryptSops(file: SopsFile, keys: DecryptionKeys): Promise<DecryptResult> {
  const loaded = load(file);
  if (loaded instanceof Error) return fail(loaded);
  const { metadata } = loaded;
  const key = await dataKeyFor(file.path, metadata, keys);
  if (key instanceof Error) return fail(key);
  const tree = decryptTree(file.path, loaded.documents, key, metadata.rules);
  if (tree.kind === 'error') return tree;
  const stored = openMac(metadata.mac, key, metadata.macAad);
  if (stored === undefined) {
    return fail(
      new SopsMacMismatchError(
        file.path,
        'the stored MAC fails authentication: it or lastmodified was changed',
      ),
    );
  }
  if (stored !== tree.mac) {
    return fail(new SopsMacMismatchError(file.path, 'the values do not hash to the stored MAC'));
  }
  return { kind: 'ok', ...render(file, loaded, key), plaintexts: tree.plaintexts };
}

function render(
  file: SopsFile,
  loaded: Loaded,
  key: Buffer,
): { text: string; documents: DecryptedDocument[] } {
  const values = loaded.documents.map(toPlain);
  const documents = values.map((value, i) => ({ value, line: loaded.lines[i] ?? 1 }));
  if (file.format === 'yaml') return { text: writeYaml(values), documents };
  if (file.format === 'json') return { text: writeJson(values[0]), documents };
  const doc = loaded.documents[0];
  const decrypted = new Map(doc?.kind === 'map' ? doc.entries : []);
  const lines = (loaded.dotenv ?? []).map((l): DotenvLine => {
    if (l.kind === 'comment') return { kind: 'comment', text: openComment(l.text, key) };
    const v = decrypted.get(l.key);
    return { ...l, value: v?.kind === 'scalar' ? String(scalarToPlain(v.value)) : '' };
  });
  return { text: writeDotenv(lines), documents };
}

/** sops encrypts top-level comments with the path ':'; one that does not open was never encrypted. */
function openComment(text: string, key: Buffer): string {
  const parsed = parseEncryptedValue(text);
  if (parsed.kind !== 'ok' || parsed.value.type !== 'comment') return text;
  return openValue(parsed.value, key, additionalData([]))?.toString('utf8') ?? text;
}
