import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { confinePath, openApp, walkTree } from './confine.js';
import { LimitExceededError, PathEscapeError, RenderIoError } from './errors.js';

let base: string;
let repo: string;

beforeEach(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'ballast-confine-')));
  repo = join(base, 'repo');
  await mkdir(join(repo, 'app', 'sub'), { recursive: true });
  await mkdir(join(base, 'outside'));
  await writeFile(join(base, 'outside', 'secret.yaml'), 'kind: Secret\n');
  await writeFile(join(repo, 'app', 'a.yaml'), 'a: 1\n');
  await writeFile(join(repo, 'app', 'sub', 'b.yaml'), 'b: 1\n');
  await writeFile(join(repo, 'shared.yaml'), 's: 1\n');
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function walkApp(): Promise<Awaited<ReturnType<typeof walkTree>>> {
  const opened = await openApp(repo, 'app');
  if (opened.kind === 'error') throw opened.error;
  return walkTree(opened.value.root, opened.value.app, 1000);
}

function errorOf(r: { kind: string; error?: unknown }): unknown {
  return r.kind === 'error' ? r.error : undefined;
}

describe('openApp', () => {
  it('accepts a directory inside the repository', async () => {
    const r = await openApp(repo, 'app/sub');
    expect(r.kind === 'ok' && r.value.app.rel).toBe('app/sub');
  });

  it('accepts the repository root itself as "" or "."', async () => {
    for (const path of ['', '.']) {
      const r = await openApp(repo, path);
      expect(r.kind === 'ok' && r.value.app.rel).toBe('');
    }
  });

  it('refuses an app path that climbs out with ..', async () => {
    const error = errorOf(await openApp(repo, 'app/../../outside'));
    expect(error).toBeInstanceOf(PathEscapeError);
    expect((error as Error).message).toMatch(
      /^app\/\.\.\/\.\.\/outside: '.*' climbs out of the repository; keep every path/,
    );
  });

  it('refuses an absolute app path', async () => {
    expect(errorOf(await openApp(repo, join(base, 'outside')))).toBeInstanceOf(PathEscapeError);
  });

  it('refuses an app directory that is a symlink to outside the repository', async () => {
    await symlink('../outside', join(repo, 'linked'));
    const error = errorOf(await openApp(repo, 'linked'));
    expect(error).toBeInstanceOf(PathEscapeError);
    expect((error as PathEscapeError).file).toBe('linked');
  });

  it('refuses an app path that passes through an absolute symlink, even one pointing inside', async () => {
    await symlink(join(repo, 'app'), join(repo, 'abs'));
    const error = errorOf(await openApp(repo, 'abs/sub'));
    expect(error).toBeInstanceOf(PathEscapeError);
    expect((error as Error).message).toMatch(/^abs: is a symlink to the absolute path/);
  });

  it('reports an app path that does not exist', async () => {
    expect(errorOf(await openApp(repo, 'nope'))).toBeInstanceOf(RenderIoError);
  });

  it('reports an app path that is a file', async () => {
    expect((errorOf(await openApp(repo, 'shared.yaml')) as Error).message).toMatch(
      /is not a directory/,
    );
  });
});

describe('walkTree', () => {
  it('lists the regular files under the app, relative to the repository root', async () => {
    const r = await walkApp();
    expect(r.kind === 'ok' && r.value.map((f) => f.rel).sort()).toEqual([
      'app/a.yaml',
      'app/sub/b.yaml',
    ]);
  });

  it('refuses a symlink that points outside the repository', async () => {
    await symlink('../../../outside/secret.yaml', join(repo, 'app', 'sub', 'leak.yaml'));
    const error = errorOf(await walkApp());
    expect(error).toBeInstanceOf(PathEscapeError);
    expect((error as Error).message).toMatch(
      /^app\/sub\/leak\.yaml: is a symlink that points outside the repository \('\.\.\/\.\.\/\.\.\/outside\/secret\.yaml'\)/,
    );
  });

  it('refuses an absolute symlink', async () => {
    await symlink(join(repo, 'shared.yaml'), join(repo, 'app', 'abs.yaml'));
    const error = errorOf(await walkApp());
    expect(error).toBeInstanceOf(PathEscapeError);
    expect((error as PathEscapeError).file).toBe('app/abs.yaml');
  });

  it('refuses a chain of relative symlinks that ends outside', async () => {
    await symlink('../outside', join(repo, 'hop'));
    await symlink('../hop/secret.yaml', join(repo, 'app', 'chain.yaml'));
    expect(errorOf(await walkApp())).toBeInstanceOf(PathEscapeError);
  });

  it('refuses a symlinked directory inside the repo that holds an escaping symlink', async () => {
    await mkdir(join(repo, 'lib'));
    await symlink('../../outside/secret.yaml', join(repo, 'lib', 'leak.yaml'));
    await symlink('../lib', join(repo, 'app', 'lib'));
    const error = errorOf(await walkApp());
    expect((error as PathEscapeError).file).toBe('app/lib/leak.yaml');
  });

  it('follows a symlink that stays inside the repository', async () => {
    await symlink('../shared.yaml', join(repo, 'app', 'shared.yaml'));
    const r = await walkApp();
    expect(r.kind === 'ok' && r.value.find((f) => f.rel === 'app/shared.yaml')?.real).toBe(
      join(repo, 'shared.yaml'),
    );
  });

  it('ends a symlink cycle instead of looping', async () => {
    await symlink('..', join(repo, 'app', 'sub', 'up'));
    const r = await walkApp();
    expect(r.kind === 'ok' && r.value.map((f) => f.rel).sort()).toEqual([
      'app/a.yaml',
      'app/sub/b.yaml',
    ]);
  });

  it('skips a dangling symlink that points inside the repository', async () => {
    await symlink('missing.yaml', join(repo, 'app', 'dangling.yaml'));
    expect((await walkApp()).kind).toBe('ok');
  });

  it('refuses a dangling symlink that would point outside', async () => {
    await symlink('../../nowhere.yaml', join(repo, 'app', 'dangling.yaml'));
    expect(errorOf(await walkApp())).toBeInstanceOf(PathEscapeError);
  });

  it('stops at the entry limit', async () => {
    const opened = await openApp(repo, 'app');
    if (opened.kind === 'error') throw opened.error;
    const r = await walkTree(opened.value.root, opened.value.app, 2);
    expect(errorOf(r)).toBeInstanceOf(LimitExceededError);
  });
});

describe('confinePath', () => {
  it('resolves a reference relative to the directory that makes it', async () => {
    const r = await confinePath(
      await realpath(repo),
      'app/sub',
      '../../shared.yaml',
      'app/sub/k.yaml',
    );
    expect(r.kind === 'ok' && r.value.rel).toBe('shared.yaml');
  });

  it('refuses a reference that climbs out, naming the file that made it', async () => {
    const r = await confinePath(
      await realpath(repo),
      'app',
      '../../outside',
      'app/kustomization.yaml',
    );
    expect((errorOf(r) as Error).message).toMatch(
      /^app\/kustomization\.yaml: '\.\.\/\.\.\/outside' climbs out/,
    );
  });
});
