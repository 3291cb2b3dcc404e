import { createHash, type Hash } from 'node:crypto';
import {
  isValueType,
  macBytes,
  openValue,
  parseEncryptedValue,
  restoreScalar,
  sealValue,
  type SopsScalar,
} from './cipher.js';
import {
  SopsFormatError,
  SopsUnsupportedError,
  SopsValueError,
  type AnySopsError,
} from './errors.js';

/**
 * A document as sops sees it: ordered maps with string keys, sequences, typed scalars and
 * nulls. Order matters: the MAC hashes the values in exactly this order.
 */
export type SopsNode =
  | { kind: 'map'; entries: [string, SopsNode][] }
  | { kind: 'seq'; items: SopsNode[] }
  | { kind: 'scalar'; value: SopsScalar }
  | { kind: 'null' };

/** Which values are encrypted. At most one rule may be set; none means the `_unencrypted` suffix. */
export interface EncryptionRules {
  unencryptedSuffix?: string | undefined;
  encryptedSuffix?: string | undefined;
  unencryptedRegex?: string | undefined;
  encryptedRegex?: string | undefined;
  /** Hash only the values that are encrypted (sops' `mac_only_encrypted`). */
  macOnlyEncrypted: boolean;
}

/** The 32 bytes sops hashes first under `mac_only_encrypted`: SHA-256 of "sops". */
const macOnlyEncryptedInit = createHash('sha256').update('sops').digest();

function compile(file: string, pattern: string | undefined): RegExp | undefined | SopsFormatError {
  if (pattern === undefined || pattern === '') return undefined;
  try {
    return new RegExp(pattern);
  } catch (e) {
    return new SopsFormatError(file, `the regex '${pattern}' cannot be compiled`, { cause: e });
  }
}

export type ShouldEncrypt = (path: readonly string[]) => boolean;

/** sops' rule for one value: decided by every key on its path, as sops does. */
export function encryptionPredicate(
  file: string,
  rules: EncryptionRules,
): ShouldEncrypt | SopsFormatError {
  const unencryptedRegex = compile(file, rules.unencryptedRegex);
  if (unencryptedRegex instanceof SopsFormatError) return unencryptedRegex;
  const encryptedRegex = compile(file, rules.encryptedRegex);
  if (encryptedRegex instanceof SopsFormatError) return encryptedRegex;
  const { unencryptedSuffix, encryptedSuffix } = rules;
  return (path) => {
    let encrypted = true;
    if (unencryptedSuffix !== undefined && unencryptedSuffix !== '') {
      if (path.some((p) => p.endsWith(unencryptedSuffix))) encrypted = false;
    }
    if (encryptedSuffix !== undefined && encryptedSuffix !== '') {
      encrypted = path.some((p) => p.endsWith(encryptedSuffix));
    }
    if (unencryptedRegex !== undefined && path.some((p) => unencryptedRegex.test(p))) {
      encrypted = false;
    }
    if (encryptedRegex !== undefined) encrypted = path.some((p) => encryptedRegex.test(p));
    return encrypted;
  };
}

/** The additional authenticated data of a value: its map keys joined by ':', plus ':'. */
export function additionalData(path: readonly string[]): string {
  return `${path.join(':')}:`;
}

interface WalkContext {
  file: string;
  key: Buffer;
  shouldEncrypt: ShouldEncrypt;
  macOnlyEncrypted: boolean;
  hash: Hash;
  /** The plaintext of every value that was encrypted, for callers to redact. */
  plaintexts: string[];
}

export type TreeResult =
  { kind: 'ok'; mac: string; plaintexts: string[] } | { kind: 'error'; error: AnySopsError };

function newHash(macOnlyEncrypted: boolean): Hash {
  const hash = createHash('sha512');
  if (macOnlyEncrypted) hash.update(macOnlyEncryptedInit);
  return hash;
}

/** What both walks share: the rules' predicate, the key and a fresh MAC hash. */
function walkContext(
  file: string,
  key: Buffer,
  rules: EncryptionRules,
): WalkContext | SopsFormatError {
  const shouldEncrypt = encryptionPredicate(file, rules);
  if (shouldEncrypt instanceof SopsFormatError) return shouldEncrypt;
  return {
    file,
    key,
    shouldEncrypt,
    macOnlyEncrypted: rules.macOnlyEncrypted,
    hash: newHash(rules.macOnlyEncrypted),
    plaintexts: [],
  };
}

/**
 * Decrypts every encrypted value in place (restoring its type) and returns the MAC sops would
 * compute over the plaintext: SHA-512, upper-case hex, over the documents in order.
 */
export function decryptTree(
  file: string,
  documents: SopsNode[],
  key: Buffer,
  rules: EncryptionRules,
): TreeResult {
  const ctx = walkContext(file, key, rules);
  if (ctx instanceof SopsFormatError) return { kind: 'error', error: ctx };
  for (const [i, doc] of documents.entries()) {
    const r = decryptNode(ctx, doc, []);
    if (r instanceof Error) return { kind: 'error', error: r };
    documents[i] = r ?? doc;
  }
  return { kind: 'ok', mac: ctx.hash.digest('hex').toUpperCase(), plaintexts: ctx.plaintexts };
}

/** Returns the node to keep, `null` to drop a sequence item that was a comment, or an error. */
function decryptNode(
  ctx: WalkContext,
  node: SopsNode,
  path: string[],
): SopsNode | null | AnySopsError {
  switch (node.kind) {
    case 'null':
      return node;
    case 'map':
      for (const entry of node.entries) {
        const r = decryptNode(ctx, entry[1], [...path, entry[0]]);
        if (r instanceof Error) return r;
        // A map value is never a comment (sops keeps map comments as YAML comments).
        if (r !== null) entry[1] = r;
      }
      return node;
    case 'seq': {
      const kept: SopsNode[] = [];
      for (const item of node.items) {
        const r = decryptNode(ctx, item, path);
        if (r instanceof Error) return r;
        if (r !== null) kept.push(r);
      }
      node.items = kept;
      return node;
    }
    case 'scalar':
      return decryptScalar(ctx, node.value, path);
  }
}

function decryptScalar(
  ctx: WalkContext,
  value: SopsScalar,
  path: string[],
): SopsNode | null | AnySopsError {
  const encrypted = ctx.shouldEncrypt(path);
  let plain = value;
  if (encrypted) {
    if (value.type !== 'str') {
      return new SopsFormatError(
        ctx.file,
        `the value at '${path.join('.')}' should be encrypted but is a ${value.type}`,
      );
    }
    // sops never encrypts an empty string; it stays empty.
    if (value.value !== '') {
      const opened = openScalar(ctx, value.value, path);
      if (opened instanceof Error) return opened;
      plain = opened;
      if (opened.type !== 'comment') ctx.plaintexts.push(macBytes(opened).toString('utf8'));
    }
  }
  if (plain.type === 'comment') return null;
  if (!ctx.macOnlyEncrypted || encrypted) ctx.hash.update(macBytes(plain));
  return { kind: 'scalar', value: plain };
}

function openScalar(ctx: WalkContext, text: string, path: string[]): SopsScalar | AnySopsError {
  const where = path.join('.');
  const parsed = parseEncryptedValue(text);
  if (parsed.kind === 'unsupported-cipher') {
    return new SopsUnsupportedError(
      ctx.file,
      `the value at '${where}' uses the cipher ${parsed.cipher}`,
    );
  }
  if (parsed.kind === 'malformed') {
    return new SopsFormatError(ctx.file, `${parsed.problem} (at '${where}')`);
  }
  const { type } = parsed.value;
  if (!isValueType(type)) {
    return new SopsUnsupportedError(
      ctx.file,
      `the value at '${where}' has the unknown type '${type}'`,
    );
  }
  const plain = openValue(parsed.value, ctx.key, additionalData(path));
  if (plain === undefined) return new SopsValueError(ctx.file, where);
  const restored = restoreScalar(type, plain);
  if (restored === undefined) {
    return new SopsFormatError(
      ctx.file,
      `the value at '${where}' does not read as its type '${type}'`,
    );
  }
  return restored;
}

/**
 * Encrypts every value the rules select, in place, and returns the MAC over the plaintext.
 * Empty strings and nulls stay as they are, as sops leaves them.
 */
export function encryptTree(
  file: string,
  documents: SopsNode[],
  key: Buffer,
  rules: EncryptionRules,
): TreeResult {
  const ctx = walkContext(file, key, rules);
  if (ctx instanceof SopsFormatError) return { kind: 'error', error: ctx };
  for (const doc of documents) encryptNode(ctx, doc, []);
  return { kind: 'ok', mac: ctx.hash.digest('hex').toUpperCase(), plaintexts: ctx.plaintexts };
}

function encryptNode(ctx: WalkContext, node: SopsNode, path: string[]): void {
  if (node.kind === 'map') {
    for (const [k, v] of node.entries) encryptNode(ctx, v, [...path, k]);
    return;
  }
  if (node.kind === 'seq') {
    for (const item of node.items) encryptNode(ctx, item, path);
    return;
  }
  if (node.kind === 'null') return;
  const encrypted = ctx.shouldEncrypt(path);
  const plain = node.value;
  if (plain.type !== 'comment' && (!ctx.macOnlyEncrypted || encrypted)) {
    ctx.hash.update(macBytes(plain));
  }
  if (!encrypted) return;
  const bytes = macBytes(plain);
  if (bytes.length === 0) return;
  node.value = { type: 'str', value: sealValue(bytes, plain.type, ctx.key, additionalData(path)) };
}

/** The MAC as stored in the metadata: the hex digest, encrypted with `lastmodified` as AAD. */
export function sealMac(mac: string, key: Buffer, lastModified: string): string {
  return sealValue(Buffer.from(mac, 'utf8'), 'str', key, lastModified);
}

/** The stored MAC, decrypted; undefined when it fails authentication (MAC or timestamp changed). */
export function openMac(stored: string, key: Buffer, lastModified: string): string | undefined {
  const parsed = parseEncryptedValue(stored);
  if (parsed.kind !== 'ok') return undefined;
  return openValue(parsed.value, key, lastModified)?.toString('utf8');
}

/** The node as plain data: ints become numbers, bytes UTF-8 text. */
export function toPlain(node: SopsNode): unknown {
  switch (node.kind) {
    case 'null':
      return null;
    case 'seq':
      return node.items.map(toPlain);
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of node.entries) {
        Object.defineProperty(out, k, {
          value: toPlain(v),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    case 'scalar':
      return scalarToPlain(node.value);
  }
}

export function scalarToPlain(s: SopsScalar): unknown {
  switch (s.type) {
    case 'int':
      return Number(s.value);
    case 'bytes':
      return s.value.toString('utf8');
    default:
      return s.value;
  }
}
