import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Cluster } from '../../src/cluster/cluster.js';

import { encryptSops, type SopsFormat } from '../../src/secrets/index.js';
import { clusterFor } from '../support/sync.js';
import { runCli, type CliResult } from '../support/cli.js';

const keyFile = (name: string): string =>
  fileURLToPath(new URL(`../../src/secrets/testdata/${name}`, import.meta.url));
const ageKey = keyFile('test.agekey');
const otherKey = keyFile('other.agekey');
const recipient = /# public key: (age1\w+)/.exec(readFileSync(ageKey, 'utf8'))?.[1] ?? '';

const ns = `sops-${randomBytes(3).toString('hex')}`;
/** Values that must reach the cluster and nowhere else. */
const password = `pw-${randomBytes(8).toString('hex')}`;
const apiKey = `key-${randomBytes(8).toString('hex')}`;
const rotated = `pw2-${randomBytes(8).toString('hex')}`;
const secrets = [password, apiKey, rotated];

let kubeconfig = '';
let cluster: Cluster;
let dir = '';
let startedAt = 0;

const ballast = (...args: string[]): Promise<CliResult> =>
  runCli([...args, '--kubeconfig', kubeconfig]);
/** `ballast sync|diff --dir <dir> --app <app> -n <ns>`, the shape of every call here. */
const inDir = (verb: 'sync' | 'diff', d: string, app: string, ...more: string[]) =>
  ballast(verb, '--dir', d, '--app', app, '-n', ns, ...more);

function expectNoPlaintext(r: CliResult): void {
  for (const s of secrets) {
    expect(r.stdout).not.toContain(s);
    expect(r.stderr).not.toContain(s);
  }
}

/** Encrypts in this process so no plaintext file is ever written by the test itself. */
async function encrypted(path: string, text: string, format: SopsFormat): Promise<string> {
  const r = await encryptSops(
    { path, text, format },
    { age: [recipient], pgp: [] },
    {
      rules:
        format === 'dotenv'
          ? { macOnlyEncrypted: false }
          : { encryptedRegex: '^(data|stringData)$', macOnlyEncrypted: false },
    },
  );
  if (r.kind === 'error') throw r.error;
  return r.text;
}

const secretYaml = (name: string, value: string): string =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nstringData:\n  password: ${value}\n`;

async function liveSecret(name: string): Promise<Record<string, string> | undefined> {
  const s = await cluster.get({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns },
  });
  if (s === undefined) return undefined;
  const data = (s.data ?? {}) as Record<string, string>;
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}

beforeAll(async () => {
  startedAt = Date.now();
  kubeconfig = inject('controlPlane').clusters[0]?.kubeconfig ?? '';
  cluster = clusterFor(kubeconfig);
  dir = await mkdtemp(join(tmpdir(), 'ballast-sops-sync-'));
  const nsYaml = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`;
  await mkdir(join(dir, 'plain'));
  await writeFile(join(dir, 'plain', 'ns.yaml'), nsYaml);
  await writeFile(
    join(dir, 'plain', 'secret.yaml'),
    await encrypted('secret.yaml', secretYaml('db', password), 'yaml'),
  );
  await mkdir(join(dir, 'kust'));
  await writeFile(
    join(dir, 'kust', 'app.env'),
    await encrypted('app.env', `API_KEY=${apiKey}\nMODE=fast\n`, 'dotenv'),
  );
  await writeFile(
    join(dir, 'kust', 'token.yaml'),
    await encrypted('token.yaml', secretYaml('token', password), 'yaml'),
  );
  await writeFile(
    join(dir, 'kust', 'kustomization.yaml'),
    `namespace: ${ns}\nresources: [token.yaml]\nsecretGenerator:\n  - name: app\n    envs: [app.env]\ngeneratorOptions:\n  disableNameSuffixHash: true\n`,
  );
});

afterAll(async () => {
  cluster.close();
  await rm(dir, { recursive: true, force: true });
});

describe('syncing an application that holds SOPS-encrypted Secrets', () => {
  it('a plain YAML SOPS Secret syncs; the cluster holds the plaintext, the CLI output never does', async () => {
    const synced = await inDir(
      'sync',
      join(dir, 'plain'),
      'sops-plain',
      '--decryption-keys',
      ageKey,
    );
    expect(synced.code).toBe(0);
    expect(await liveSecret('db')).toEqual({ password });
    expectNoPlaintext(synced);
    const diff = await inDir('diff', join(dir, 'plain'), 'sops-plain', '--decryption-keys', ageKey);
    expect(diff.code).toBe(0);
    expectNoPlaintext(diff);
  });

  it('a rotated value shows in ballast diff as changed, without either value', async () => {
    const rotatedDir = join(dir, 'rotated');
    await mkdir(rotatedDir);
    await writeFile(
      join(rotatedDir, 'secret.yaml'),
      await encrypted('secret.yaml', secretYaml('db', rotated), 'yaml'),
    );
    const diff = await inDir('diff', rotatedDir, 'sops-plain', '--decryption-keys', ageKey);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toMatch(/Secret/);
    expectNoPlaintext(diff);
  });

  it('kustomize syncs a SOPS resource and a secretGenerator fed a SOPS dotenv file, with the decrypted values', async () => {
    const synced = await inDir('sync', join(dir, 'kust'), 'sops-kust', '--decryption-keys', ageKey);
    expect(synced.code).toBe(0);
    expect(await liveSecret('app')).toEqual({ API_KEY: apiKey, MODE: 'fast' });
    expect(await liveSecret('token')).toEqual({ password });
    expectNoPlaintext(synced);
  });

  it('a missing key refuses the sync, naming the file and the recipient, and applies nothing', async () => {
    const missing = join(dir, 'missing');
    await mkdir(missing);
    await writeFile(
      join(missing, 'secret.yaml'),
      await encrypted('secret.yaml', secretYaml('never', password), 'yaml'),
    );
    const r = await inDir('sync', missing, 'sops-missing', '--decryption-keys', otherKey);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/secret\.yaml: no configured key can decrypt it/);
    expect(r.stderr).toContain(recipient);
    expect(r.stderr).not.toMatch(/AGE-SECRET-KEY/);
    expectNoPlaintext(r);
    const noKeys = await inDir('sync', missing, 'sops-missing');
    expect(noKeys.code).toBe(2);
    expect(noKeys.stderr).toMatch(
      /secret\.yaml: is encrypted with SOPS but no decryption keys are configured/,
    );
    expect(await liveSecret('never')).toBeUndefined();
  });

  it('a Secret still holding ENC[ values after rendering is refused and nothing is applied', async () => {
    const leaked = join(dir, 'leaked');
    await mkdir(leaked);
    const text = await encrypted('secret.yaml', secretYaml('leaked', password), 'yaml');
    // The value without its sops block: no renderer recognizes it as a SOPS file.
    const value = /password: (ENC\[[^\]]+\])/.exec(text)?.[1] ?? '';
    await writeFile(join(leaked, 'secret.yaml'), secretYaml('leaked', value));
    await writeFile(
      join(leaked, 'cm.yaml'),
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaked-cm\n  namespace: ${ns}\n`,
    );
    const r = await inDir('sync', leaked, 'sops-leaked', '--decryption-keys', ageKey);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /Secret\/.*leaked \(.*secret\.yaml:1\): stringData\.password still holds SOPS ciphertext/,
    );
    expect(await liveSecret('leaked')).toBeUndefined();
    const cm = await cluster.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'leaked-cm', namespace: ns },
    });
    expect(cm).toBeUndefined();
  });

  it('leaves nothing decrypted on disk: no copy in /dev/shm and no plaintext in a render sandbox', async () => {
    const fresh = async (root: string, prefixes: string[]): Promise<string[]> => {
      const names = await readdir(root).catch(() => [] as string[]);
      const out: string[] = [];
      for (const n of names) {
        if (!prefixes.some((p) => n.startsWith(p))) continue;
        const info = await stat(join(root, n)).catch(() => undefined);
        if (info !== undefined && info.mtimeMs >= startedAt) out.push(join(root, n));
      }
      return out;
    };
    expect(await fresh('/dev/shm', ['ballast-sops-'])).toEqual([]);
    for (const d of await fresh(tmpdir(), ['ballast-render-'])) {
      const files = await readdir(d, { recursive: true }).catch(() => [] as string[]);
      for (const f of files) {
        const text = await readFile(join(d, f), 'utf8').catch(() => '');
        for (const s of secrets) expect(text).not.toContain(s);
      }
    }
  });
});
