import { cp, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PathEscapeError, RemoteResourceError } from './errors.js';
import { LineFinder, originFiles, originWrapper, scanDocuments } from './kustomize-origin.js';
import { isRemoteReference, referencesOf } from './kustomize-refs.js';
import { kustomizeRenderer } from './kustomize.js';
import { defaultRenderOptions, type RenderOptions } from './options.js';

const testdata = fileURLToPath(new URL('./testdata/', import.meta.url));

/** A kustomize that cannot run: these checks must refuse before ever starting it. */
function noBinary(): RenderOptions {
  const options = defaultRenderOptions();
  options.kustomize.binary = '/nonexistent/kustomize';
  return options;
}

describe('isRemoteReference', () => {
  it.each([
    'github.com/kubernetes-sigs/kustomize/examples/multibases?ref=v3.3.1',
    'https://github.com/argoproj/argo-cd//manifests/cluster-install?ref=stable',
    'http://example.com/deploy.yaml',
    'git::https://gitlab.com/org/repo.git//base',
    'git@github.com:org/repo.git',
    'ssh://git@example.com/org/repo.git',
    'file:///etc/passwd',
    'gitlab.com/org/repo/base',
    '../base?ref=main',
  ])('treats %s as remote', (ref) => {
    expect(isRemoteReference(ref)).toBe(true);
  });

  it.each([
    '../base',
    'deployment.yaml',
    'overlays/prod',
    '../../components/release',
    'high-availability-1.21+',
  ])('treats %s as local', (ref) => {
    expect(isRemoteReference(ref)).toBe(false);
  });
});

describe('referencesOf', () => {
  it('collects every field that names a path, and skips inline patches', () => {
    const refs = referencesOf({
      resources: ['a.yaml', '../base'],
      bases: ['../old-base'],
      components: ['../components/x'],
      crds: ['crd.yaml'],
      patchesStrategicMerge: ['patch.yaml', 'apiVersion: v1\nkind: ConfigMap\n'],
      patches: [{ path: 'p.yaml' }, { patch: '- op: add' }],
      patchesJson6902: [{ path: 'j.yaml', target: {} }],
      configMapGenerator: [{ files: ['key=conf/app.ini', 'raw.txt'], envs: ['.env'] }],
      secretGenerator: [{ env: 'secret.env' }],
      replacements: [{ path: 'r.yaml' }],
      openapi: { path: 'schema.json' },
    });
    expect(refs.dirsOrFiles).toEqual(['a.yaml', '../base', '../old-base', '../components/x']);
    expect(refs.files).toEqual([
      'crd.yaml',
      'patch.yaml',
      'p.yaml',
      'j.yaml',
      'r.yaml',
      'conf/app.ini',
      'raw.txt',
      '.env',
      'secret.env',
      'schema.json',
    ]);
  });
});

describe('kustomize renderer, before kustomize runs', () => {
  it('refuses a remote base with a clear error naming the kustomization', async () => {
    const r = await kustomizeRenderer.render(
      { repoRoot: testdata, path: 'kustomize/remote-base' },
      noBinary(),
    );
    expect(r.kind === 'error' && r.error).toBeInstanceOf(RemoteResourceError);
    expect(r.kind === 'error' && r.error.message).toBe(
      "kustomize/remote-base/kustomization.yaml: refers to the remote resource 'github.com/kubernetes-sigs/kustomize/examples/multibases?ref=v3.3.1', and remote bases are disabled; vendor it into the repository and refer to it by a relative path",
    );
  });

  it('refuses a patch fetched over https', async () => {
    const r = await kustomizeRenderer.render(
      { repoRoot: testdata, path: 'kustomize/remote-patch' },
      noBinary(),
    );
    expect(r.kind === 'error' && r.error.reason).toBe('remote-resource');
  });

  it('refuses a resource that climbs out of the repository', async () => {
    const r = await kustomizeRenderer.render(
      { repoRoot: join(testdata, 'kustomize/escape'), path: 'app' },
      noBinary(),
    );
    expect(r.kind === 'error' && r.error).toBeInstanceOf(PathEscapeError);
    expect(r.kind === 'error' && r.error.file).toBe('app/kustomization.yaml');
  });

  describe('in a scratch repository', () => {
    let base = '';
    beforeEach(async () => {
      base = await realpath(await mkdtemp(join(tmpdir(), 'ballast-kustomize-')));
      await mkdir(join(base, 'repo', 'app'), { recursive: true });
      await mkdir(join(base, 'repo', 'lib'), { recursive: true });
      await mkdir(join(base, 'outside'), { recursive: true });
    });
    afterEach(async () => {
      await rm(base, { recursive: true, force: true });
    });
    const renderApp = (): ReturnType<typeof kustomizeRenderer.render> =>
      kustomizeRenderer.render({ repoRoot: join(base, 'repo'), path: 'app' }, noBinary());

    it('refuses a base inside the repo that holds a symlink pointing outside', async () => {
      await writeFile(join(base, 'repo', 'app', 'kustomization.yaml'), 'resources:\n  - ../lib\n');
      await writeFile(
        join(base, 'repo', 'lib', 'kustomization.yaml'),
        'resources:\n  - leak.yaml\n',
      );
      await writeFile(join(base, 'outside', 'secret.yaml'), 'kind: Secret\n');
      await symlink('../../outside/secret.yaml', join(base, 'repo', 'lib', 'leak.yaml'));
      const r = await renderApp();
      expect(r.kind === 'error' && r.error.file).toBe('lib/leak.yaml');
    });

    it('refuses a base that is a symlink to a directory outside the repository', async () => {
      await writeFile(
        join(base, 'repo', 'app', 'kustomization.yaml'),
        'resources:\n  - ../vendored\n',
      );
      await symlink('../outside', join(base, 'repo', 'vendored'));
      const r = await renderApp();
      expect(r.kind === 'error' && r.error).toBeInstanceOf(PathEscapeError);
    });

    it('checks .. from the real directory of a symlinked base, where kustomize resolves it', async () => {
      // deep/er/link -> ../../lib; from the link's own path ../../../.. would still look inside.
      await mkdir(join(base, 'repo', 'deep', 'er'), { recursive: true });
      await symlink('../../lib', join(base, 'repo', 'deep', 'er', 'link'));
      await writeFile(
        join(base, 'repo', 'app', 'kustomization.yaml'),
        'resources:\n  - ../deep/er/link\n',
      );
      await writeFile(
        join(base, 'repo', 'lib', 'kustomization.yaml'),
        'resources:\n  - ../../outside\n',
      );
      const r = await renderApp();
      expect(r.kind === 'error' && r.error).toBeInstanceOf(PathEscapeError);
      expect(r.kind === 'error' && r.error.file).toBe('deep/er/link/kustomization.yaml');
    });

    it('refuses a billion-laughs resource instead of letting kustomize expand it', async () => {
      await writeFile(
        join(base, 'repo', 'app', 'kustomization.yaml'),
        'resources:\n  - lol.yaml\n',
      );
      await cp(
        join(testdata, 'yaml', 'billion-laughs.yaml'),
        join(base, 'repo', 'app', 'lol.yaml'),
      );
      const r = await renderApp();
      expect(r.kind === 'error' && r.error.reason).toBe('limit-exceeded');
      expect(r.kind === 'error' && r.error.file).toBe('app/lol.yaml');
    });

    it('refuses an alias bomb named bomb.txt listed under resources, naming the file', async () => {
      await writeFile(
        join(base, 'repo', 'app', 'kustomization.yaml'),
        'resources:\n  - bomb.txt\n',
      );
      await cp(
        join(testdata, 'yaml', 'billion-laughs.yaml'),
        join(base, 'repo', 'app', 'bomb.txt'),
      );
      const r = await renderApp();
      expect(r.kind === 'error' && r.error.reason).toBe('limit-exceeded');
      expect(r.kind === 'error' && r.error.message).toMatch(/^app\/bomb\.txt:\d+: .*aliases/);
    });

    it('refuses an alias bomb in a file of a base that only a generator names', async () => {
      await writeFile(join(base, 'repo', 'app', 'kustomization.yaml'), 'resources:\n  - ../lib\n');
      await writeFile(
        join(base, 'repo', 'lib', 'kustomization.yaml'),
        'configMapGenerator:\n  - name: c\n    files:\n      - conf/settings\n',
      );
      await mkdir(join(base, 'repo', 'lib', 'conf'));
      await cp(
        join(testdata, 'yaml', 'billion-laughs.yaml'),
        join(base, 'repo', 'lib', 'conf', 'settings'),
      );
      const r = await renderApp();
      expect(r.kind === 'error' && r.error.file).toBe('lib/conf/settings');
    });

    it('reports a kustomize that cannot be started as a tool failure about the app', async () => {
      await writeFile(join(base, 'repo', 'app', 'kustomization.yaml'), 'resources: []\n');
      const r = await renderApp();
      expect(r.kind === 'error' && r.error.reason).toBe('tool-failed');
      expect(r.kind === 'error' && r.error.message).toMatch(
        /^app: kustomize failed: could not be started/,
      );
    });
  });
});

describe('kustomize origins', () => {
  it('names the application relative to the wrapper, since kustomize refuses absolute resources', () => {
    expect(JSON.parse(originWrapper('/tmp/sb/origins', '/repo/apps/web'))).toMatchObject({
      resources: ['../../../repo/apps/web'],
      buildMetadata: ['originAnnotations'],
    });
  });

  it('maps each annotated object to its file relative to the repository root', () => {
    const annotated = (name: string, origin: string): unknown => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, annotations: { 'config.kubernetes.io/origin': origin } },
    });
    const files = originFiles(
      [
        annotated('a', 'path: ../../../repo/base/a.yaml\n'),
        annotated(
          'gen',
          'configuredIn: ../../../repo/app/kustomization.yaml\nconfiguredBy:\n  kind: ConfigMapGenerator\n',
        ),
        annotated('remote', 'path: base/x.yaml\nrepo: https://github.com/org/repo\n'),
        annotated('escape', 'path: ../../../etc/passwd\n'),
      ],
      '/tmp/sb/origins',
      '/repo',
    );
    expect([...files.entries()]).toEqual([
      ['|ConfigMap||a', 'base/a.yaml'],
      ['|ConfigMap||gen', 'app/kustomization.yaml'],
    ]);
  });

  it('finds the line of an object in its file by kind and name, allowing name prefixes', async () => {
    const lines = new LineFinder(testdata);
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'prod-web' } };
    expect(await lines.originOf(service, 'plain-app/apps/web.yaml')).toEqual({
      file: 'plain-app/apps/web.yaml',
      line: 14,
    });
    const unknown = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } };
    expect(await lines.originOf(unknown, 'plain-app/apps/web.yaml')).toEqual({
      file: 'plain-app/apps/web.yaml',
      line: 1,
    });
  });

  it('scans block YAML for each document’s start, kind and own metadata.name', () => {
    const text = [
      '# header',
      '---',
      'apiVersion: v1',
      'kind: "ConfigMap" # quoted, with a comment',
      'metadata:',
      '  labels:',
      '    name: not-this-one',
      '  name: settings',
      '---',
      '',
      'kind: Service',
      'metadata:',
      "    name: 'web'",
      'spec: {}',
      '--- {"kind": "Secret"}',
    ].join('\n');
    expect(scanDocuments(text)).toEqual([
      { kind: 'ConfigMap', name: 'settings', line: 3 },
      { kind: 'Service', name: 'web', line: 11 },
    ]);
  });
});
