import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manyKeysConfigMap } from '../../bench/yaml-keys.js';
import {
  defaultRenderOptions,
  defaultRenderPoolOptions,
  PathEscapeError,
  RenderPool,
  type RenderOk,
  type RenderResult,
} from '../../src/render/index.js';
import { parsePgpKeys } from '../../src/secrets/index.js';

/** The compiled worker: the pool runs what the controller runs (the build precedes these tests). */
const workerUrl = new URL('../../dist/src/render/worker.js', import.meta.url);
const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../src/secrets/testdata/${name}`, import.meta.url));

const ok = (r: RenderResult): RenderOk => {
  if (r.kind === 'error') throw r.error;
  return r;
};

describe('renders on worker threads', () => {
  let repo = '';
  beforeAll(async () => {
    repo = await mkdtemp(join(tmpdir(), 'ballast-pool-'));
    await mkdir(join(repo, 'many'));
    await writeFile(join(repo, 'many', 'cm.yaml'), manyKeysConfigMap(60_000));
    await mkdir(join(repo, 'pgp'));
    await copyFile(fixture('pgp.enc.yaml'), join(repo, 'pgp', 'secret.yaml'));
  });
  afterAll(async () => {
    await rm(repo, { recursive: true, force: true });
  });

  it('gives back a 60k-key ConfigMap whole, key for key', async () => {
    const pool = new RenderPool({ ...defaultRenderPoolOptions(), workerUrl });
    try {
      const r = ok(await pool.render({ repoRoot: repo, path: 'many' }, defaultRenderOptions()));
      const data = r.objects[0]?.object.data as Record<string, string>;
      expect(Object.keys(data)).toHaveLength(60_000);
      expect(data.k59999).toBe('v');
      expect(r.objects[0]?.origin).toEqual({ file: 'many/cm.yaml', line: 1 });
    } finally {
      await pool.close();
    }
  });

  it('gives back a refusal as the same error class with the same message', async () => {
    const pool = new RenderPool({ ...defaultRenderPoolOptions(), workerUrl });
    try {
      const r = await pool.render({ repoRoot: repo, path: '../elsewhere' }, defaultRenderOptions());
      expect(r.kind === 'error' && r.error).toBeInstanceOf(PathEscapeError);
      expect(r.kind === 'error' && r.error.message).toBe(
        "../elsewhere: '../elsewhere' climbs out of the repository; keep every path and symlink relative and inside the repository",
      );
    } finally {
      await pool.close();
    }
  });

  it('decrypts with a PGP key, which crosses to the worker armored', async () => {
    const pgp = await parsePgpKeys('test-pgp.asc', readFileSync(fixture('test-pgp.asc'), 'utf8'));
    if (pgp.kind === 'error') throw pgp.error;
    const pool = new RenderPool({ ...defaultRenderPoolOptions(), workerUrl });
    try {
      const options = { ...defaultRenderOptions(), decryption: pgp.keys };
      const r = ok(await pool.render({ repoRoot: repo, path: 'pgp' }, options));
      expect(r.objects[0]?.object.stringData).toMatchObject({ username: 'admin' });
    } finally {
      await pool.close();
    }
  });

  it('a render that outgrows its worker heap fails alone, and the next render runs', async () => {
    const pool = new RenderPool({ ...defaultRenderPoolOptions(), workerUrl, maxHeapMb: 24 });
    try {
      const r = await pool.render({ repoRoot: repo, path: 'many' }, defaultRenderOptions());
      expect(r.kind === 'error' && r.error.message).toMatch(
        /^many: the render needed more than 24 MiB of memory/,
      );
      const next = await pool.render({ repoRoot: repo, path: 'pgp' }, defaultRenderOptions());
      expect(next.kind === 'error' && next.error.reason).toBe('decryption-failed');
    } finally {
      await pool.close();
    }
  });
});
