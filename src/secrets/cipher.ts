import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The SOPS value cipher: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`, AES-256-GCM with a
 * 32-byte IV and a 16-byte tag, the value's key path as additional authenticated data, and
 * the plaintext written as text together with the type needed to restore it.
 */

/** The value types sops writes. `comment` values are YAML comments, never part of the MAC. */
export type SopsValueType = 'str' | 'int' | 'float' | 'bool' | 'bytes' | 'time' | 'comment';

const valueTypes: ReadonlySet<string> = new Set<SopsValueType>([
  'str',
  'int',
  'float',
  'bool',
  'bytes',
  'time',
  'comment',
]);

export interface EncryptedValue {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: string;
}

const encPattern = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/;
const base64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Whether a string looks like any SOPS ciphertext (whatever the cipher). */
export function looksEncrypted(value: string): boolean {
  return value.startsWith('ENC[');
}

export type ParsedValue =
  | { kind: 'ok'; value: EncryptedValue }
  | { kind: 'unsupported-cipher'; cipher: string }
  | { kind: 'malformed'; problem: string };

export function parseEncryptedValue(text: string): ParsedValue {
  const m = encPattern.exec(text);
  if (m === null) {
    const cipher = /^ENC\[([A-Za-z0-9_]+),/.exec(text)?.[1];
    if (cipher !== undefined && cipher !== 'AES256_GCM')
      return { kind: 'unsupported-cipher', cipher };
    return { kind: 'malformed', problem: 'a value does not match the ENC[AES256_GCM,…] format' };
  }
  const [, data = '', iv = '', tag = '', type = ''] = m;
  if (![data, iv, tag].every((p) => base64.test(p))) {
    return { kind: 'malformed', problem: 'a value holds invalid base64' };
  }
  return {
    kind: 'ok',
    value: {
      data: Buffer.from(data, 'base64'),
      iv: Buffer.from(iv, 'base64'),
      tag: Buffer.from(tag, 'base64'),
      type,
    },
  };
}

export function isValueType(type: string): type is SopsValueType {
  return valueTypes.has(type);
}

/** Opens one value; undefined when authentication fails (wrong key, path, or altered bytes). */
export function openValue(value: EncryptedValue, key: Buffer, aad: string): Buffer | undefined {
  if (value.iv.length === 0 || value.tag.length !== 16) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, value.iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(value.tag);
    return Buffer.concat([decipher.update(value.data), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** Seals plaintext bytes as sops does: a fresh 32-byte IV per value. */
export function sealValue(plain: Buffer, type: SopsValueType, key: Buffer, aad: string): string {
  const iv = randomBytes(32);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plain), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${tag.toString('base64')},type:${type}]`;
}

/** A scalar as sops holds it in its tree, typed the way Go decoded it. */
export type SopsScalar =
  | { type: 'str'; value: string }
  | { type: 'int'; value: bigint }
  | { type: 'float'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'bytes'; value: Buffer }
  | { type: 'time'; value: string }
  | { type: 'comment'; value: string };

/**
 * Restores a decrypted value to its type, accepting what Go's strconv accepts; undefined when
 * the text does not parse as the type says (a corrupted or hand-made value).
 */
export function restoreScalar(type: SopsValueType, plain: Buffer): SopsScalar | undefined {
  const text = plain.toString('utf8');
  switch (type) {
    case 'str':
    case 'time':
    case 'comment':
      return { type, value: text };
    case 'bytes':
      return { type, value: plain };
    case 'int':
      return /^[+-]?\d+$/.test(text) ? { type, value: BigInt(text) } : undefined;
    case 'float': {
      const n = parseGoFloat(text);
      return n === undefined ? undefined : { type, value: n };
    }
    case 'bool': {
      const b = goParseBool(text);
      return b === undefined ? undefined : { type, value: b };
    }
  }
}

function goParseBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

function parseGoFloat(text: string): number | undefined {
  const t = text.replace(/_/g, '');
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

/**
 * Go's `strconv.FormatFloat(f, 'f', -1, 64)`: the shortest decimal that reads back as the
 * same float, never in exponent form. JavaScript's shortest form is the same digits, so only
 * the exponent has to be written out.
 */
export function goFormatFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (Object.is(n, -0)) return '-0';
  const s = n.toString();
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (m === null) return s;
  const [, sign = '', int = '', frac = '', expText = '0'] = m;
  const digits = int + frac;
  const point = int.length + Number(expText);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** The bytes sops feeds its MAC for a scalar (Go's `sops.ToBytes`); comments are not hashed. */
export function macBytes(s: SopsScalar): Buffer {
  switch (s.type) {
    case 'str':
    case 'time':
    case 'comment':
      return Buffer.from(s.value, 'utf8');
    case 'bytes':
      return s.value;
    case 'int':
      return Buffer.from(s.value.toString(), 'utf8');
    case 'float':
      return Buffer.from(goFormatFloat(s.value), 'utf8');
    case 'bool':
      return Buffer.from(s.value ? 'True' : 'False', 'utf8');
  }
}
