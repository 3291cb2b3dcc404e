/**
 * The behaviour every Renderer must share, as one suite run against each implementation
 * (plain in the unit tests, kustomize and helm with the real binaries in test/integration).
 * Test-only: nothing in the controller imports this file.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PathEscapeError } from './errors.js';
import { defaultRenderOptions, type RenderOptions } from './options.js';
import type { Renderer, RenderOk, RenderResult } from './types.js';

/** Writes manifest files into an application directory in one renderer's own layout. */
export type Layout = (appDir: string, manifests: Record<string, string>) => Promise<void>;

async function put(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
}

export const plainLayout: Layout = async (appDir, manifests) => {
  for (const [name, text] of Object.entries(manifests)) await put(join(appDir, name), text);
};

export const kustomizeLayout: Layout = async (appDir, manifests) => {
  await plainLayout(appDir, manifests);
  const resources = Object.keys(manifests).map((n) => `  - ${n}\n`);
  await put(
    join(appDir, 'kustomization.yaml'),
    `kind: Kustomization\nresources:\n${resources.join('')}`,
  );
};

export const helmLayout: Layout = async (appDir, manifests) => {
  await put(join(appDir, 'Chart.yaml'), 'apiVersion: v2\nname: contract\nversion: 0.1.0\n');
  await plainLayout(join(appDir, 'templates'), manifests);
};

export interface ContractSubject {
  renderer: Renderer;
  layout: Layout;
  /** Options for every run; the binaries under test are set here. */
  options?: () => RenderOptions;
}

const configMap = (name: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: shop\ndata:\n  mode: fast\n`;

const web = [
  'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  replicas: 2',
  'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  ports:\n    - port: 80',
].join('\n---\n');

const configMapList = `apiVersion: v1\nkind: ConfigMapList\nitems:\n${['one', 'two']
  .map(
    (n) =>
      `  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: ${n}\n      namespace: shop\n`,
  )
  .join('')}`;

/** A ConfigMap whose aliases expand to 9^9 strings. */
const laughs = readFileSync(
  new URL('./testdata/yaml/billion-laughs.yaml', import.meta.url),
  'utf8',
);

export function rendererContract(subject: ContractSubject): void {
  const { renderer, layout } = subject;
  const options = subject.options ?? defaultRenderOptions;

  describe(`${renderer.name} renderer contract`, () => {
    let base = '';
    let repo = '';
    const app = (): string => join(repo, 'apps', 'web');
    const run = (path = 'apps/web'): Promise<RenderResult> =>
      renderer.render({ repoRoot: repo, path }, options());
    const ok = async (): Promise<RenderOk> => {
      const r = await run();
      if (r.kind === 'error') throw r.error;
      return r;
    };
    const errorMessage = async (): Promise<string> => {
      const r = await run();
      return r.kind === 'error' ? r.error.message : 'rendered without error';
    };

    beforeEach(async () => {
      base = await realpath(await mkdtemp(join(tmpdir(), `ballast-contract-${renderer.name}-`)));
      repo = join(base, 'repo');
      await put(join(base, 'outside', 'secret.yaml'), configMap('stolen'));
      await mkdir(join(repo, 'apps'), { recursive: true });
    });

    afterEach(async () => {
      await rm(base, { recursive: true, force: true });
    });

    it('renders every object, each from a file inside the application directory', async () => {
      await layout(app(), { 'config.yaml': configMap('web-config'), 'web.yaml': web });
      const r = await ok();
      expect(r.renderer).toBe(renderer.name);
      const seen = r.objects.map((o) => `${o.object.kind}/${o.object.metadata.name}`).sort();
      expect(seen).toEqual(['ConfigMap/web-config', 'Deployment/web', 'Service/web']);
      for (const { object, origin } of r.objects) {
        expect(origin.file).toMatch(
          object.kind === 'ConfigMap' ? /^apps\/web\/.*config\.yaml$/ : /^apps\/web\/.*web\.yaml$/,
        );
        expect(origin.line).toBeGreaterThanOrEqual(1);
      }
    });

    it('gives the same objects in the same order on every run', async () => {
      await layout(app(), { 'b.yaml': configMap('b'), 'a.yaml': configMap('a'), 'web.yaml': web });
      const first = await ok();
      const second = await ok();
      expect(second.objects).toEqual(first.objects);
    });

    it('expands a ConfigMapList into its items', async () => {
      await layout(app(), { 'list.yaml': configMapList });
      const names = (await ok()).objects.map((o) => `${o.object.kind}/${o.object.metadata.name}`);
      expect(names.sort()).toEqual(['ConfigMap/one', 'ConfigMap/two']);
    });

    it('reads numbers as kubectl does: defaultMode 0755 is 493', async () => {
      await layout(app(), {
        'mode.yaml':
          'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  volumes:\n    - name: v\n      configMap:\n        name: c\n        defaultMode: 0755\n',
      });
      const [pod] = (await ok()).objects;
      expect(pod?.object.spec).toEqual({
        volumes: [{ name: 'v', configMap: { name: 'c', defaultMode: 0o755 } }],
      });
    });

    it('refuses two objects with the same identity, naming the object', async () => {
      await layout(app(), { 'a.yaml': configMap('twin'), 'b.yaml': configMap('twin') });
      expect(await errorMessage()).toMatch(/twin/);
    });

    it('refuses an object without a name', async () => {
      await layout(app(), {
        'a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: shop\n',
      });
      expect((await run()).kind).toBe('error');
    });

    it('refuses a billion-laughs document', async () => {
      await layout(app(), { 'lol.yaml': laughs });
      expect((await run()).kind).toBe('error');
    });

    it('refuses an application path that climbs out of the repository', async () => {
      await layout(join(base, 'outside', 'app'), { 'a.yaml': configMap('a') });
      const r = await run('apps/../../outside/app');
      expect(r.kind === 'error' && r.error).toBeInstanceOf(PathEscapeError);
    });

    it('refuses an application directory that is a symlink to outside the repository', async () => {
      await layout(join(base, 'outside', 'app'), { 'a.yaml': configMap('a') });
      await symlink('../../outside/app', app());
      const r = await run();
      expect(r.kind === 'error' && r.error).toBeInstanceOf(PathEscapeError);
    });

    it('refuses a symlink in the application that points outside the repository', async () => {
      await layout(app(), { 'a.yaml': configMap('a') });
      await symlink('../../../outside/secret.yaml', join(app(), 'leak.yaml'));
      const r = await run();
      expect(r.kind === 'error' && r.error).toBeInstanceOf(PathEscapeError);
      expect(r.kind === 'error' && r.error.message).toMatch(
        /^apps\/web\/leak\.yaml: is a symlink that points outside/,
      );
    });

    it('refuses an absolute symlink, even one that points inside the repository', async () => {
      await layout(app(), { 'a.yaml': configMap('a') });
      await symlink(join(app(), 'a.yaml'), join(app(), 'again.yaml'));
      const r = await run();
      expect(r.kind === 'error' && r.error.file).toBe('apps/web/again.yaml');
    });

    it('reports a missing application directory as an error value', async () => {
      const r = await run('apps/missing');
      expect(r.kind === 'error' && r.error.file).toBe('apps/missing');
    });
  });
}
