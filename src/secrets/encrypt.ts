import { randomBytes } from 'node:crypto';
import { sealValue } from './cipher.js';
import type { SopsFile } from './decrypt.js';
import {
  flattenMetadata,
  parseDotenv,
  writeDotenv,
  dotenvTree,
  type DotenvLine,
} from './dotenv.js';
import { SopsFormatError, SopsKeyError, type AnySopsError } from './errors.js';
import { wrapForAge, wrapForPgp } from './keys.js';
import { writeMetadata } from './metadata.js';
import {
  additionalData,
  encryptionPredicate,
  encryptTree,
  scalarToPlain,
  sealMac,
  toPlain,
  type EncryptionRules,
  type SopsNode,
} from './tree.js';
import { readYamlTree, writeJson, writeYaml } from './yaml-format.js';

/** The sops release whose file format Ballast writes. */
export const sopsFormatVersion = '3.13.3';

/** Who may decrypt the file. At least one recipient is required. */
export interface EncryptionRecipients {
  /** age recipients, `age1…`. */
  age: string[];
  /** Armored OpenPGP public keys. */
  pgp: string[];
}

export interface EncryptOptions {
  /** Which values to encrypt; with no rule set, all but keys ending in `_unencrypted`, as sops. */
  rules: EncryptionRules;
  /** The `lastmodified` time; now by default. */
  now?: Date;
}

/** Encrypting only what a Secret keeps secret, as Flux documents for Kubernetes manifests. */
export function defaultEncryptOptions(): EncryptOptions {
  return { rules: { encryptedRegex: '^(data|stringData)$', macOnlyEncrypted: false } };
}

export type EncryptResult = { kind: 'ok'; text: string } | { kind: 'error'; error: AnySopsError };

interface Parsed {
  documents: SopsNode[];
  dotenv?: DotenvLine[];
}

function parsePlain(file: SopsFile): Parsed | AnySopsError {
  if (file.format === 'dotenv') {
    const lines = parseDotenv(file.path, file.text);
    if (lines instanceof Error) return lines;
    if (lines.some((l) => l.kind === 'entry' && l.key.startsWith('sops_'))) {
      return new SopsFormatError(file.path, 'it is already encrypted (it has sops_ keys)');
    }
    return { documents: [dotenvTree(lines)], dotenv: lines };
  }
  const tree = readYamlTree(file.path, file.text);
  if (tree instanceof Error) return tree;
  if (tree.metadata !== undefined) return new SopsFormatError(file.path, 'it is already encrypted');
  return { documents: tree.documents };
}

async function wrapAll(
  file: string,
  recipients: EncryptionRecipients,
  dataKey: Buffer,
  createdAt: string,
): Promise<
  | {
      age: { recipient: string; enc: string }[];
      pgp: { fingerprint: string; enc: string; createdAt: string }[];
    }
  | SopsKeyError
> {
  const age: { recipient: string; enc: string }[] = [];
  for (const recipient of recipients.age) {
    try {
      age.push({ recipient, enc: await wrapForAge(recipient, dataKey) });
    } catch (e) {
      return new SopsKeyError(file, `the age recipient '${recipient}' cannot be used`, {
        cause: e,
      });
    }
  }
  const pgp: { fingerprint: string; enc: string; createdAt: string }[] = [];
  for (const armored of recipients.pgp) {
    try {
      pgp.push({ ...(await wrapForPgp(armored, dataKey)), createdAt });
    } catch (e) {
      return new SopsKeyError(file, 'a PGP public key cannot be read or used', { cause: e });
    }
  }
  return { age, pgp };
}

/**
 * Encrypts a plaintext YAML, JSON or dotenv file into a file `sops -d` decrypts. YAML
 * comments are not carried over (the output is written from the data).
 */
export async function encryptSops(
  file: SopsFile,
  recipients: EncryptionRecipients,
  options: EncryptOptions = defaultEncryptOptions(),
): Promise<EncryptResult> {
  if (recipients.age.length + recipients.pgp.length === 0) {
    return {
      kind: 'error',
      error: new SopsKeyError(file.path, 'no recipient was given; pass --age or --pgp'),
    };
  }
  const parsed = parsePlain(file);
  if (parsed instanceof Error) return { kind: 'error', error: parsed };
  const rules = withDefaultRule(options.rules);
  const dataKey = randomBytes(32);
  const tree = encryptTree(file.path, parsed.documents, dataKey, rules);
  if (tree.kind === 'error') return tree;
  const lastModified = (options.now ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z');
  const wrapped = await wrapAll(file.path, recipients, dataKey, lastModified);
  if (wrapped instanceof Error) return { kind: 'error', error: wrapped };
  const metadata = writeMetadata({
    ...wrapped,
    lastModified,
    mac: sealMac(tree.mac, dataKey, lastModified),
    rules,
    version: sopsFormatVersion,
  });
  if (file.format === 'dotenv') {
    const comments = encryptComments(
      file.path,
      parsed.dotenv ?? [],
      parsed.documents[0],
      dataKey,
      rules,
    );
    if (comments instanceof Error) return { kind: 'error', error: comments };
    return { kind: 'ok', text: writeDotenv([...comments, ...flattenMetadata(metadata)]) };
  }
  // sops repeats the metadata in every document and reads it from the first.
  const values = parsed.documents.map((d) => ({
    ...(toPlain(d) as Record<string, unknown>),
    sops: metadata,
  }));
  const text = file.format === 'json' ? writeJson(values[0]) : writeYaml(values);
  return { kind: 'ok', text };
}

/** With no rule at all, sops leaves keys ending in `_unencrypted` alone, and says so in the file. */
function withDefaultRule(rules: EncryptionRules): EncryptionRules {
  const set = [
    rules.unencryptedSuffix,
    rules.encryptedSuffix,
    rules.unencryptedRegex,
    rules.encryptedRegex,
  ];
  return set.some((r) => r !== undefined && r !== '')
    ? rules
    : { ...rules, unencryptedSuffix: '_unencrypted' };
}

/** The dotenv lines with encrypted values, and comments encrypted when the rules say so, as sops does. */
function encryptComments(
  path: string,
  lines: readonly DotenvLine[],
  doc: SopsNode | undefined,
  key: Buffer,
  rules: EncryptionRules,
): DotenvLine[] | SopsFormatError {
  const shouldEncrypt = encryptionPredicate(path, rules);
  if (shouldEncrypt instanceof Error) return shouldEncrypt;
  const values = new Map(doc?.kind === 'map' ? doc.entries : []);
  return lines.map((l): DotenvLine => {
    if (l.kind === 'entry') {
      const v = values.get(l.key);
      return { ...l, value: v?.kind === 'scalar' ? String(scalarToPlain(v.value)) : l.value };
    }
    if (!shouldEncrypt([]) || l.text === '') return l;
    return {
      kind: 'comment',
      text: sealValue(Buffer.from(l.text, 'utf8'), 'comment', key, additionalData([])),
    };
  });
}
