import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot, toolPath } from '../../src/dev/paths.js';
import { run } from '../../src/exec/run.js';
import {
  decryptSops,
  encryptSops,
  mergeKeys,
  parseAgeKeys,
  parsePgpKeys,
  SopsMacMismatchError,
  SopsValueError,
  type DecryptionKeys,
  type EncryptionRules,
  type SopsFormat,
} from '../../src/secrets/index.js';

/** The test-only keys committed with the unit fixtures. */
const keyFile = (name: string): string =>
  fileURLToPath(new URL(`../../src/secrets/testdata/${name}`, import.meta.url));
const ageKeyFile = keyFile('test.agekey');
const pgpKeyText = readFileSync(keyFile('test-pgp.asc'), 'utf8');
const recipient = /# public key: (age1\w+)/.exec(readFileSync(ageKeyFile, 'utf8'))?.[1] ?? '';

const plain: Record<SopsFormat, string> = {
  yaml: `# credentials
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
stringData:
  password: "p@ss: word" # the real one
  pin: "0042"
data:
  token: dG9rZW4=
extra:
  port: 5432
  ratio: 0.5
  on: true
  mode: 0644
  word: yes
  items:
    - one
    - 2
  note_unencrypted: clear
`,
  json: `{
  "apiVersion": "v1",
  "kind": "Secret",
  "metadata": {"name": "db", "namespace": "shop"},
  "stringData": {"password": "hunter2"},
  "extra": {"count": 3, "ratio": 1.25, "flag": false, "none": null, "list": ["x", 7]}
}
`,
  dotenv: `# app settings
DB_USER=admin
DB_PASSWORD=multi\\nline=value
EMPTY=
TOKEN_unencrypted=clear
`,
};

const ext: Record<SopsFormat, string> = { yaml: 'yaml', json: 'json', dotenv: 'env' };

let dir = '';
let gnupgHome = '';
let fingerprint = '';
let publicArmored = '';
let keys: DecryptionKeys;

async function sops(...args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const r = await run(toolPath('sops'), args, {
    env: { SOPS_AGE_KEY_FILE: ageKeyFile, GNUPGHOME: gnupgHome },
    timeoutMs: 60_000,
  });
  if (r.kind === 'ok') return { ok: true, stdout: r.stdout.toString('utf8'), stderr: r.stderr };
  return {
    ok: false,
    stdout: '',
    stderr: r.kind === 'exit' || r.kind === 'timeout' ? r.stderr : r.kind,
  };
}

async function sopsOk(...args: string[]): Promise<string> {
  const r = await sops(...args);
  if (!r.ok) throw new Error(`sops ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Writes the plaintext and has the real sops encrypt it; returns the path of the encrypted file. */
async function sopsEncrypt(format: SopsFormat, name: string, flags: string[]): Promise<string> {
  const input = join(dir, `${name}.${ext[format]}`);
  await writeFile(input, plain[format]);
  const encrypted = await sopsOk('encrypt', ...flags, input);
  const out = join(dir, `${name}.enc.${ext[format]}`);
  await writeFile(out, encrypted);
  return out;
}

async function ballastDecrypt(path: string, format: SopsFormat, text = readFileSync(path, 'utf8')) {
  return decryptSops({ path, text, format }, keys);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ballast-sops-it-'));
  gnupgHome = await mkdtemp(join(tmpdir(), 'ballast-gnupg-'));
  const imported = await run('gpg', ['--batch', '--import'], {
    env: { GNUPGHOME: gnupgHome },
    stdin: pgpKeyText,
    timeoutMs: 60_000,
  });
  if (imported.kind !== 'ok') throw new Error(`gpg --import: ${JSON.stringify(imported)}`);
  const age = await parseAgeKeys('test.agekey', readFileSync(ageKeyFile, 'utf8'));
  const pgp = await parsePgpKeys('test-pgp.asc', pgpKeyText);
  if (age.kind === 'error' || pgp.kind === 'error') throw new Error('test keys unreadable');
  keys = mergeKeys(age.keys, pgp.keys);
  fingerprint = pgp.keys.pgp[0]?.fingerprint ?? '';
  const exported = await run('gpg', ['--batch', '--armor', '--export', fingerprint], {
    env: { GNUPGHOME: gnupgHome },
    timeoutMs: 60_000,
  });
  if (exported.kind !== 'ok') throw new Error('gpg --export failed');
  publicArmored = exported.stdout.toString('utf8');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(gnupgHome, { recursive: true, force: true });
});

/** The same plaintext, compared as sops' own format allows: data for YAML, bytes for the rest. */
function expectSamePlaintext(
  format: SopsFormat,
  ballast: { text: string; documents: { value: unknown }[] },
  sopsText: string,
): void {
  if (format === 'yaml') expect(ballast.documents.map((d) => d.value)).toEqual([parse(sopsText)]);
  else expect(ballast.text).toBe(sopsText);
}

describe('sops → Ballast: files the real sops encrypted decrypt to exactly what sops -d prints', () => {
  const cases: [SopsFormat, 'age' | 'pgp'][] = [
    ['yaml', 'age'],
    ['yaml', 'pgp'],
    ['json', 'age'],
    ['json', 'pgp'],
    ['dotenv', 'age'],
    ['dotenv', 'pgp'],
  ];
  it.each(cases)('%s encrypted with %s', async (format, key) => {
    const flags = key === 'age' ? ['--age', recipient] : ['--pgp', fingerprint];
    const file = await sopsEncrypt(format, `${format}-${key}`, flags);
    const r = await ballastDecrypt(file, format);
    if (r.kind === 'error') throw r.error;
    expectSamePlaintext(format, r, await sopsOk('decrypt', file));
  });

  it.each([
    ['encrypted_regex', ['--encrypted-regex', '^(data|stringData)$']],
    ['unencrypted_regex', ['--unencrypted-regex', '^(apiVersion|kind|metadata|extra)$']],
    ['unencrypted_suffix', ['--unencrypted-suffix', '_unencrypted']],
    ['encrypted_suffix', ['--encrypted-suffix', 'word']],
  ])('YAML with %s', async (name, flags) => {
    const file = await sopsEncrypt('yaml', `rule-${name}`, ['--age', recipient, ...flags]);
    const r = await ballastDecrypt(file, 'yaml');
    if (r.kind === 'error') throw r.error;
    expectSamePlaintext('yaml', r, await sopsOk('decrypt', file));
  });

  it('YAML with mac_only_encrypted (from a creation rule, as sops only offers it there)', async () => {
    const config = join(dir, 'sops-config.yaml');
    await writeFile(
      config,
      `creation_rules:\n  - encrypted_regex: "^(data|stringData)$"\n    mac_only_encrypted: true\n    age: ${recipient}\n`,
    );
    const input = join(dir, 'maconly.yaml');
    await writeFile(input, plain.yaml);
    const encrypted = await sopsOk('--config', config, 'encrypt', input);
    expect(encrypted).toMatch(/mac_only_encrypted: true/);
    const r = await ballastDecrypt(input, 'yaml', encrypted);
    if (r.kind === 'error') throw r.error;
    const file = join(dir, 'maconly.enc.yaml');
    await writeFile(file, encrypted);
    expectSamePlaintext('yaml', r, await sopsOk('--config', config, 'decrypt', file));
  });
});

describe('Ballast → sops: files ballast encrypts are decrypted by sops -d', () => {
  const rules: EncryptionRules = { encryptedRegex: '^(data|stringData)$', macOnlyEncrypted: false };
  it.each([
    ['yaml', 'age'],
    ['yaml', 'pgp'],
    ['json', 'age'],
    ['json', 'pgp'],
    ['dotenv', 'age'],
    ['dotenv', 'pgp'],
  ] as [SopsFormat, 'age' | 'pgp'][])('%s for %s', async (format, key) => {
    const pgpPublic = key === 'pgp' ? [publicArmored] : [];
    const enc = await encryptSops(
      { path: `x.${ext[format]}`, text: plain[format], format },
      { age: key === 'age' ? [recipient] : [], pgp: pgpPublic },
      { rules: format === 'dotenv' ? { macOnlyEncrypted: false } : rules },
    );
    if (enc.kind === 'error') throw enc.error;
    const file = join(dir, `ballast-${format}-${key}.${ext[format]}`);
    await writeFile(file, enc.text);
    const fromSops = await sopsOk('decrypt', file);
    const ours = await ballastDecrypt(file, format);
    if (ours.kind === 'error') throw ours.error;
    expectSamePlaintext(format, ours, fromSops);
    if (format === 'dotenv') expect(fromSops).toBe(plain.dotenv);
    if (format === 'json') expect(JSON.parse(fromSops)).toEqual(JSON.parse(plain.json));
  });
});

describe('tampering: what sops refuses, Ballast refuses too, with a clear error', () => {
  let original = '';
  beforeAll(async () => {
    original = readFileSync(await sopsEncrypt('yaml', 'tamper', ['--age', recipient]), 'utf8');
  });
  const value = (text: string, key: string): string =>
    new RegExp(`${key}: (ENC\\[[^\\]]+\\])`).exec(text)?.[1] ?? '';

  async function refused(name: string, text: string): Promise<Error> {
    const file = join(dir, `tampered-${name}.yaml`);
    await writeFile(file, text);
    expect((await sops('decrypt', file)).ok).toBe(false);
    const r = await ballastDecrypt(file, 'yaml');
    if (r.kind === 'ok') throw new Error('Ballast decrypted a tampered file');
    expect(r.error.message.startsWith(`${file}: `)).toBe(true);
    return r.error;
  }

  it('a flipped ciphertext byte', async () => {
    const v = value(original, 'password');
    const data = /data:([^,]+)/.exec(v)?.[1] ?? '';
    const bytes = Buffer.from(data, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x80;
    const e = await refused('byte', original.replace(data, bytes.toString('base64')));
    expect(e).toBeInstanceOf(SopsValueError);
    expect(e.message).toMatch(/stringData\.password/);
  });

  it('a changed MAC', async () => {
    const text = original.replace(
      /(mac: ENC\[AES256_GCM,data:)(.)/,
      (_m, p: string, c: string) => `${p}${c === 'A' ? 'B' : 'A'}`,
    );
    expect(await refused('mac', text)).toBeInstanceOf(SopsMacMismatchError);
  });

  it('a value swapped between two keys', async () => {
    const pin = value(original, 'pin');
    const password = value(original, 'password');
    const text = original.replace(pin, '@@').replace(password, pin).replace('@@', password);
    expect(await refused('swap', text)).toBeInstanceOf(SopsValueError);
  });

  it('a changed lastmodified', async () => {
    const text = original.replace(
      /lastmodified: "(\d{4})/,
      (_m, y: string) => `lastmodified: "${Number(y) + 1}`,
    );
    const e = await refused('lastmodified', text);
    expect(e).toBeInstanceOf(SopsMacMismatchError);
    expect(e.message).toMatch(/MAC/);
  });
});

describe('ballast secrets on the command line', () => {
  const cli = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
  const ballast = async (env: Record<string, string>, ...args: string[]) => {
    const r = await run(process.execPath, [cli, 'secrets', ...args], { env, timeoutMs: 120_000 });
    return r.kind === 'ok'
      ? { code: 0, stdout: r.stdout.toString('utf8'), stderr: r.stderr }
      : {
          code: r.kind === 'exit' ? (r.code ?? -1) : -1,
          stdout: '',
          stderr: 'stderr' in r ? r.stderr : r.kind,
        };
  };

  it('encrypt writes a file sops -d decrypts, with only data and stringData encrypted by default', async () => {
    const input = join(dir, 'cli-plain.yaml');
    await writeFile(input, plain.yaml);
    const r = await ballast({}, 'encrypt', '--age', recipient, input);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}name: db$/m);
    expect(r.stdout).not.toContain('p@ss: word');
    const file = join(dir, 'cli.enc.yaml');
    await writeFile(file, r.stdout);
    expect(parse(await sopsOk('decrypt', file))).toMatchObject({
      stringData: { password: 'p@ss: word', pin: '0042' },
    });
  });

  it('decrypt finds the key in SOPS_AGE_KEY_FILE as sops does, and a missing key is an error naming the recipient', async () => {
    const file = await sopsEncrypt('dotenv', 'cli-decrypt', ['--age', recipient]);
    const ok = await ballast({ SOPS_AGE_KEY_FILE: ageKeyFile, HOME: dir }, 'decrypt', file);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(await sopsOk('decrypt', file));
    const missing = await ballast({ HOME: dir }, 'decrypt', file);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(recipient);
  });

  it('keygen makes an identity whose recipient encrypts files that decrypt with --key', async () => {
    const keyOut = join(dir, 'new.agekey');
    const made = await ballast({}, 'keygen', '--out', keyOut);
    expect(made.code).toBe(0);
    const newRecipient = made.stdout.trim();
    expect(newRecipient).toMatch(/^age1[a-z0-9]+$/);
    const input = join(dir, 'cli-keygen.env');
    await writeFile(input, plain.dotenv);
    const enc = await ballast({}, 'encrypt', '--age', newRecipient, input);
    const file = join(dir, 'cli-keygen.enc.env');
    await writeFile(file, enc.stdout);
    const dec = await ballast({ HOME: dir }, 'decrypt', '--key', keyOut, file);
    expect(dec.stdout).toBe(plain.dotenv);
    const again = await ballast({}, 'keygen', '--out', keyOut);
    expect(again.code).not.toBe(0);
  });
});
