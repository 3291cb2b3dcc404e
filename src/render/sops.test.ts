import { threadScratchDir } from '../fs/sandbox.js';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { refuseCiphertext } from '../apply/ciphertext.js';
import { removeTree } from '../fs/remove.js';
import { parseAgeKeys, type DecryptionKeys } from '../secrets/index.js';
import { DecryptionFailedError } from './errors.js';
import { defaultRenderOptions, type RenderOptions } from './options.js';
import { plainRenderer } from './plain.js';
import { withPlaintextTree } from './sops.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../secrets/testdata/${name}`, import.meta.url));

let repo = '';
let keys: DecryptionKeys;

beforeEach(async () => {
  repo = await mkdtemp(join(tmpdir(), 'ballast-sops-render-'));
  await mkdir(join(repo, 'app'));
  await copyFile(fixture('age.enc.yaml'), join(repo, 'app', 'secret.yaml'));
  await writeFile(
    join(repo, 'app', 'cm.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n  namespace: shop\n',
  );
  const r = await parseAgeKeys('test.agekey', readFileSync(fixture('test.agekey'), 'utf8'));
  if (r.kind === 'error') throw r.error;
  keys = r.keys;
});

afterEach(async () => {
  await removeTree(repo);
});

const withKeys = (k: DecryptionKeys | undefined): RenderOptions => ({
  ...defaultRenderOptions(),
  decryption: k,
});

describe('plain renderer with SOPS files', () => {
  it('decrypts a SOPS-encrypted Secret in memory, keeping its file and line as origin', async () => {
    const r = await plainRenderer.render({ repoRoot: repo, path: 'app' }, withKeys(keys));
    if (r.kind === 'error') throw r.error;
    const secret = r.objects.find((o) => o.object.kind === 'Secret');
    expect(secret?.object.stringData).toMatchObject({ password: 's3cr3t: with colon' });
    expect(secret?.object).not.toHaveProperty('sops');
    expect(secret?.origin).toEqual({ file: 'app/secret.yaml', line: 2 });
  });

  it('with no keys configured, refuses the render naming the file', async () => {
    const r = await plainRenderer.render({ repoRoot: repo, path: 'app' }, withKeys(undefined));
    expect(r.kind === 'error' && r.error).toBeInstanceOf(DecryptionFailedError);
    expect(r.kind === 'error' && r.error.message).toMatch(
      /^app\/secret\.yaml: is encrypted with SOPS but no decryption keys are configured/,
    );
  });

  it('with the wrong key, names the recipient that is needed', async () => {
    const other = await parseAgeKeys('o', readFileSync(fixture('other.agekey'), 'utf8'));
    if (other.kind === 'error') throw other.error;
    const r = await plainRenderer.render({ repoRoot: repo, path: 'app' }, withKeys(other.keys));
    const recipient = keys.age[0]?.recipient ?? 'none';
    expect(r.kind === 'error' && r.error.message).toMatch(/^app\/secret\.yaml: no configured key/);
    expect(r.kind === 'error' && r.error.message).toContain(recipient);
  });
});

describe('the decrypted copy kustomize reads', () => {
  const files = (): { rel: string; real: string }[] => [
    { rel: 'app/secret.yaml', real: join(repo, 'app', 'secret.yaml') },
    { rel: 'app/cm.yaml', real: join(repo, 'app', 'cm.yaml') },
  ];

  it('lives under the tmpfs, holds the plaintext while in use, names what to redact, and is gone afterwards, even after a throw', async () => {
    // Copies go under this process's own directory there, which a restart would sweep.
    const shm = await threadScratchDir(defaultRenderOptions().plaintextDir);
    const before = await readdir(shm);
    let seen = '';
    const used = withPlaintextTree(repo, files(), withKeys(keys), (root, redact) => {
      seen = root;
      // What kustomize prints is scrubbed of every decrypted value before it reaches an error.
      expect(redact).toContain('s3cr3t: with colon');
      expect(redact).not.toContain('v1');
      expect(root.startsWith(`${shm}/`)).toBe(true);
      expect(readFileSync(join(root, 'app', 'secret.yaml'), 'utf8')).toContain('s3cr3t');
      return Promise.reject(new Error('the build failed'));
    });
    await expect(used).rejects.toThrow('the build failed');
    expect(seen).not.toBe('');
    expect((await readdir(shm)).filter((n) => !before.includes(n))).toEqual([]);
  });

  it('is made from a checked-out tree the source cache left read-only, and is gone afterwards', async () => {
    // Root ignores these modes; the deployed controller (uid 65532) does not, nor do CI users.
    // Copies go under this process's own directory there, which a restart would sweep.
    const shm = await threadScratchDir(defaultRenderOptions().plaintextDir);
    const before = await readdir(shm);
    for (const f of files()) await chmod(f.real, 0o444);
    for (const d of [join(repo, 'app'), repo]) await chmod(d, 0o555);
    const r = await withPlaintextTree(repo, files(), withKeys(keys), (root) => {
      expect(readFileSync(join(root, 'app', 'secret.yaml'), 'utf8')).toContain('s3cr3t');
      return Promise.resolve({ kind: 'ok', renderer: 'kustomize', objects: [], warnings: [] });
    });
    expect(r.kind).toBe('ok');
    expect((await readdir(shm)).filter((n) => !before.includes(n))).toEqual([]);
  });

  it('is not made at all when the tree has no SOPS file', async () => {
    await rm(join(repo, 'app', 'secret.yaml'));
    const r = await withPlaintextTree(repo, files().slice(1), withKeys(keys), (root) => {
      expect(root).toBe(repo);
      return Promise.resolve({ kind: 'ok', renderer: 'kustomize', objects: [], warnings: [] });
    });
    expect(r.kind).toBe('ok');
  });

  it('refuses to write plaintext to a directory that is not a tmpfs', async () => {
    const r = await withPlaintextTree(
      repo,
      files(),
      { ...withKeys(keys), plaintextDir: repo },
      () => Promise.reject(new Error('must not run')),
    );
    expect(r.kind === 'error' && r.error.message).toMatch(/is not a usable tmpfs/);
  });
});

describe('a Secret still carrying ciphertext at apply time', () => {
  it('is refused, naming the key and the file, whether in stringData or base64 data', () => {
    const enc = 'ENC[AES256_GCM,data:abc=,iv:def=,tag:ghi=,type:str]';
    const secret = (field: string, value: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'shop' },
      [field]: { password: value },
    });
    const origin = { file: 'app/secret.yaml', line: 3 };
    expect(refuseCiphertext(secret('stringData', enc), origin)?.message).toMatch(
      /^Secret\/shop\/s \(app\/secret\.yaml:3\): stringData\.password still holds SOPS ciphertext/,
    );
    const b64 = Buffer.from(enc).toString('base64');
    expect(refuseCiphertext(secret('data', b64), origin)?.message).toMatch(/data\.password/);
    expect(refuseCiphertext(secret('stringData', 'plain'), origin)).toBeUndefined();
  });
});
