import { readFileSync } from 'node:fs';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { goFormatFloat } from './cipher.js';
import {
  decryptionKeysFromSecretData,
  decryptSops,
  defaultEncryptOptions,
  encryptSops,
  SopsKeyError,
  type DecryptionKeys,
  type SopsFormat,
} from './index.js';
import { resolvePlainScalar } from './resolve.js';

const read = (name: string): string =>
  readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const recipient = (): string => /# public key: (age1\w+)/.exec(read('test.agekey'))?.[1] ?? '';

async function secretKeys(): Promise<DecryptionKeys> {
  const r = await decryptionKeysFromSecretData({
    'team.agekey': b64(read('test.agekey')),
    'ops.asc': b64(read('test-pgp.asc')),
    README: b64('ignored'),
  });
  if (r.kind === 'error') throw r.error;
  return r.keys;
}

async function roundTrip(
  name: string,
  format: SopsFormat,
  pgp = false,
): Promise<{ encrypted: string; plain: string }> {
  const publicKey = pgp
    ? (await openpgp.readPrivateKey({ armoredKey: read('test-pgp.asc') })).toPublic().armor()
    : undefined;
  const enc = await encryptSops(
    { path: name, text: read(name), format },
    { age: pgp ? [] : [recipient()], pgp: publicKey === undefined ? [] : [publicKey] },
    { rules: { macOnlyEncrypted: false } },
  );
  if (enc.kind === 'error') throw enc.error;
  const dec = await decryptSops({ path: name, text: enc.text, format }, await secretKeys());
  if (dec.kind === 'error') throw dec.error;
  return { encrypted: enc.text, plain: dec.text };
}

describe('ballast secrets encrypt, read back by Ballast', () => {
  it('a YAML Secret encrypts with age and decrypts to the same data', async () => {
    const { encrypted, plain } = await roundTrip('plain-secret.yaml', 'yaml');
    expect(encrypted).not.toContain('s3cr3t');
    // sops -d of sops' own encryption of the same file is the reference (0755 is 493 to go-yaml).
    expect(parse(plain)).toEqual(parse(read('age.expected.yaml')));
  });

  it('a JSON file encrypts with PGP and decrypts to the same data', async () => {
    const { encrypted, plain } = await roundTrip('plain-config.json', 'json', true);
    expect(encrypted).not.toContain('hunter2');
    expect(JSON.parse(plain)).toEqual(JSON.parse(read('plain-config.json')));
  });

  it('a dotenv file encrypts values and comments and decrypts to the same lines', async () => {
    const { encrypted, plain } = await roundTrip('plain-app.env', 'dotenv');
    expect(encrypted).not.toContain('database settings');
    expect(encrypted).toMatch(/^API_KEY_unencrypted=visible$/m);
    expect(plain).toBe(read('plain-app.env'));
  });

  it('by default encrypts only data and stringData, so the Secret stays readable', async () => {
    const enc = await encryptSops(
      { path: 's.yaml', text: read('plain-secret.yaml'), format: 'yaml' },
      { age: [recipient()], pgp: [] },
      defaultEncryptOptions(),
    );
    if (enc.kind === 'error') throw enc.error;
    const doc = parse(enc.text) as Record<string, Record<string, unknown>>;
    expect(doc.metadata?.name).toBe('db-creds');
    expect(String(doc.stringData?.username)).toMatch(/^ENC\[AES256_GCM,/);
    expect(doc.sops?.encrypted_regex).toBe('^(data|stringData)$');
  });

  it('refuses to encrypt without a recipient, or a file that is already encrypted', async () => {
    const none = await encryptSops(
      { path: 's.yaml', text: read('plain-secret.yaml'), format: 'yaml' },
      { age: [], pgp: [] },
    );
    expect(none.kind === 'error' && none.error).toBeInstanceOf(SopsKeyError);
    const again = await encryptSops(
      { path: 'age.enc.yaml', text: read('age.enc.yaml'), format: 'yaml' },
      { age: [recipient()], pgp: [] },
    );
    expect(again.kind === 'error' && again.error.message).toMatch(/already encrypted/);
  });
});

describe('decryption keys from a Secret', () => {
  it('reads *.agekey and *.asc entries and ignores the rest', async () => {
    const keys = await secretKeys();
    expect(keys.age.map((k) => k.recipient)).toEqual([recipient()]);
    expect(keys.pgp).toHaveLength(1);
  });

  it('names a broken entry without quoting it', async () => {
    const r = await decryptionKeysFromSecretData({ 'bad.agekey': b64('AGE-SECRET-KEY-1NOTAKEY') });
    expect(r.kind === 'error' && r.error.message).toMatch(/^bad\.agekey: /);
    expect(r.kind === 'error' && r.error.message).not.toContain('NOTAKEY');
  });
});

describe('typing values as sops does', () => {
  it.each([
    ['5432', { type: 'int', value: 5432n }],
    ['0755', { type: 'int', value: 493n }],
    ['0x1F', { type: 'int', value: 31n }],
    ['1_000', { type: 'int', value: 1000n }],
    ['1e3', { type: 'float', value: 1000 }],
    ['.5', { type: 'float', value: 0.5 }],
    ['True', { type: 'bool', value: true }],
    ['yes', { type: 'str', value: 'yes' }],
    ['2024-01-01', { type: 'str', value: '2024-01-01' }],
    ['09', { type: 'float', value: 9 }],
  ] as const)('reads the unquoted scalar %s as go-yaml does', (text, want) => {
    expect(resolvePlainScalar(text)).toEqual(want);
  });

  it('reads null spellings as null', () => {
    expect(['', '~', 'null', 'NULL'].map(resolvePlainScalar)).toEqual([null, null, null, null]);
  });

  it.each([
    [1000, '1000'],
    [0.25, '0.25'],
    [1e21, '1000000000000000000000'],
    [1.5e-7, '0.00000015'],
    [Infinity, '+Inf'],
  ])('writes the float %d as Go formats it for the MAC', (n, want) => {
    expect(goFormatFloat(n)).toBe(want);
  });
});
