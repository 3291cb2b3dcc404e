import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  decryptSops,
  formatOf,
  isSopsEncrypted,
  mergeKeys,
  noDecryptionKeys,
  parseAgeKeys,
  parsePgpKeys,
  SopsMacMismatchError,
  SopsMissingKeyError,
  SopsUnsupportedError,
  SopsValueError,
  type DecryptionKeys,
  type DecryptResult,
} from './index.js';

const read = (name: string): string =>
  readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

let age: DecryptionKeys;
let pgp: DecryptionKeys;
let other: DecryptionKeys;

async function keysOf(r: ReturnType<typeof parseAgeKeys>): Promise<DecryptionKeys> {
  const k = await r;
  if (k.kind === 'error') throw k.error;
  return k.keys;
}

beforeAll(async () => {
  age = await keysOf(parseAgeKeys('test.agekey', read('test.agekey')));
  pgp = await keysOf(parsePgpKeys('test-pgp.asc', read('test-pgp.asc')));
  other = await keysOf(parseAgeKeys('other.agekey', read('other.agekey')));
});

function decrypt(name: string, keys: DecryptionKeys, text = read(name)): Promise<DecryptResult> {
  const format = formatOf(name);
  if (format === undefined) throw new Error(`no format for ${name}`);
  return decryptSops({ path: `apps/${name}`, text, format }, keys);
}

async function plaintext(name: string, keys: DecryptionKeys): Promise<string> {
  const r = await decrypt(name, keys);
  if (r.kind === 'error') throw r.error;
  return r.text;
}

/** The fixtures were written by the real sops; `*.expected.*` is what `sops -d` printed. */
const expected = (name: string): string => read(name.replace('.enc.', '.expected.'));

describe('reading what sops wrote', () => {
  it.each([
    ['age.enc.yaml', 'age'],
    ['pgp.enc.yaml', 'pgp'],
    ['both.enc.yaml', 'age'],
    ['both.enc.yaml', 'pgp'],
    ['regex.enc.yaml', 'age'],
    ['unregex.enc.yaml', 'age'],
    ['suffix.enc.yaml', 'age'],
    ['maconly.enc.yaml', 'age'],
  ] as const)('decrypts %s with the %s key to the data sops -d gives', async (name, which) => {
    const r = await decrypt(name, which === 'age' ? age : pgp);
    if (r.kind === 'error') throw r.error;
    expect(r.documents.map((d) => d.value)).toEqual([parse(expected(name))]);
    // The text form reads back to the same data, so renderers can take either.
    expect(parse(r.text, { version: '1.1' })).toEqual(parse(expected(name)));
  });

  it.each(['age.enc.json', 'pgp.enc.json', 'age.enc.env', 'pgp.enc.env'])(
    'decrypts %s byte for byte to what sops -d prints',
    async (name) => {
      expect(await plaintext(name, mergeKeys(age, pgp))).toBe(expected(name));
    },
  );

  it('restores each value to its type: ints, floats, booleans, and a YAML-1.1-looking string stays a string', async () => {
    const r = await decrypt('age.enc.yaml', age);
    if (r.kind === 'error') throw r.error;
    const extra = (r.documents[0]?.value as { extra: Record<string, unknown> }).extra;
    expect(extra).toMatchObject({ port: 5432, ratio: 0.25, big: 1000, enabled: true, octal: 493 });
    expect(extra.yes_string).toBe('yes');
    expect(r.text).toMatch(/yes_string: "yes"/);
    // The comment sops encrypted inside the list is not an item of the list.
    expect(extra.list).toEqual(['first', 2, { nested: 'value' }]);
  });

  it('leaves values sops left unencrypted alone, and still checks them against the MAC', async () => {
    const text = read('regex.enc.yaml').replace('name: db-creds', 'name: db-creds-renamed');
    const r = await decrypt('regex.enc.yaml', age, text);
    expect(r.kind === 'error' && r.error).toBeInstanceOf(SopsMacMismatchError);
  });

  it('under mac_only_encrypted, an unencrypted value may change without breaking the MAC', async () => {
    const text = read('maconly.enc.yaml').replace('name: db-creds', 'name: db-creds-renamed');
    const r = await decrypt('maconly.enc.yaml', age, text);
    expect(r.kind).toBe('ok');
  });

  it('decrypts every document of a multi-document file, each with the line it starts on', async () => {
    const r = await decrypt('multi.enc.yaml', age);
    if (r.kind === 'error') throw r.error;
    const docs = read('multi.expected.yaml')
      .split('---\n')
      .map((d) => parse(d) as unknown);
    expect(r.documents.map((d) => d.value)).toEqual(docs);
    const second = read('multi.enc.yaml').split('\n').indexOf('---') + 2;
    expect(r.documents.map((d) => d.line)).toEqual([1, second]);
  });

  it('knows a sops file from a plain one by its text', () => {
    expect(isSopsEncrypted(read('age.enc.yaml'), 'yaml')).toBe(true);
    expect(isSopsEncrypted(read('age.enc.json'), 'json')).toBe(true);
    expect(isSopsEncrypted(read('age.enc.env'), 'dotenv')).toBe(true);
    expect(isSopsEncrypted(read('plain-secret.yaml'), 'yaml')).toBe(false);
    expect(isSopsEncrypted(read('plain-config.json'), 'json')).toBe(false);
    expect(isSopsEncrypted(read('plain-app.env'), 'dotenv')).toBe(false);
  });
});

describe('refusing what was tampered with', () => {
  const encValue = (text: string, key: string): string => {
    const m = new RegExp(`${key}: (ENC\\[[^\\]]+\\])`).exec(text);
    if (m?.[1] === undefined) throw new Error(`no ${key}`);
    return m[1];
  };

  it('refuses a flipped ciphertext byte, naming the value', async () => {
    const text = read('age.enc.yaml');
    const value = encValue(text, 'password');
    const data = /data:([^,]+)/.exec(value)?.[1] ?? '';
    const bytes = Buffer.from(data, 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    const r = await decrypt('age.enc.yaml', age, text.replace(data, bytes.toString('base64')));
    expect(r.kind === 'error' && r.error).toBeInstanceOf(SopsValueError);
    expect(r.kind === 'error' && r.error.message).toMatch(
      /^apps\/age\.enc\.yaml: .*'stringData\.password'/,
    );
  });

  it('refuses a changed MAC', async () => {
    const text = read('age.enc.yaml');
    const mac = /mac: ENC\[AES256_GCM,data:(.)/.exec(text)?.[1] ?? 'A';
    const r = await decrypt(
      'age.enc.yaml',
      age,
      text.replace(
        /mac: ENC\[AES256_GCM,data:./,
        `mac: ENC[AES256_GCM,data:${mac === 'A' ? 'B' : 'A'}`,
      ),
    );
    expect(r.kind === 'error' && r.error).toBeInstanceOf(SopsMacMismatchError);
  });

  it('refuses two values swapped between keys, though each is authentic where it was', async () => {
    const text = read('age.enc.yaml');
    const user = encValue(text, 'username');
    const pass = encValue(text, 'password');
    const swapped = text
      .replace(`username: ${user}`, 'username: @@U')
      .replace(`password: ${pass}`, `password: ${user}`)
      .replace('username: @@U', `username: ${pass}`);
    const r = await decrypt('age.enc.yaml', age, swapped);
    expect(r.kind === 'error' && r.error).toBeInstanceOf(SopsValueError);
  });

  it('refuses a changed lastmodified', async () => {
    const text = read('age.enc.yaml').replace(
      /lastmodified: "(\d{4})/,
      (_m, y: string) => `lastmodified: "${Number(y) - 1}`,
    );
    const r = await decrypt('age.enc.yaml', age, text);
    expect(r.kind === 'error' && r.error).toBeInstanceOf(SopsMacMismatchError);
    expect(r.kind === 'error' && r.error.message).toMatch(/^apps\/age\.enc\.yaml: the SOPS MAC/);
  });

  it('refuses a value under another cipher', async () => {
    const text = read('age.enc.yaml').replace(
      /username: ENC\[AES256_GCM,/,
      'username: ENC[CHACHA20,',
    );
    const r = await decrypt('age.enc.yaml', age, text);
    expect(r.kind === 'error' && r.error).toBeInstanceOf(SopsUnsupportedError);
  });
});

describe('a missing key', () => {
  it('names the file and the recipients that could open it, and no key material', async () => {
    const r = await decrypt('both.enc.yaml', other);
    expect(r.kind === 'error' && r.error).toBeInstanceOf(SopsMissingKeyError);
    const message = r.kind === 'error' ? r.error.message : '';
    const recipient = /# public key: (age1\w+)/.exec(read('test.agekey'))?.[1] ?? 'none';
    const fingerprint = pgp.pgp[0]?.fingerprint ?? 'none';
    expect(message).toMatch(/^apps\/both\.enc\.yaml: no configured key can decrypt it/);
    expect(message).toContain(recipient);
    expect(message).toContain(fingerprint);
    expect(message).not.toMatch(/AGE-SECRET-KEY/);
  });

  it('with no keys at all, says the same', async () => {
    const r = await decrypt('age.enc.env', noDecryptionKeys());
    expect(r.kind === 'error' && r.error).toBeInstanceOf(SopsMissingKeyError);
  });
});
