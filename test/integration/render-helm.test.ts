import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultRenderOptions, helmRenderer, type RenderOptions } from '../../src/render/index.js';

let repo = '';

async function put(rel: string, text: string): Promise<void> {
  await mkdir(dirname(join(repo, rel)), { recursive: true });
  await writeFile(join(repo, rel), text);
}

const chart = 'apiVersion: v2\nname: shop\nversion: 0.1.0\n';
const configMap = [
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata:',
  '  name: {{ .Release.Name }}-settings',
  '  namespace: {{ .Release.Namespace }}',
  'data:',
  '  size: {{ .Values.size | quote }}',
  '  colour: {{ .Values.colour | quote }}',
  '  kube: {{ .Capabilities.KubeVersion.Version | quote }}',
  '  live: {{ (lookup "v1" "Namespace" "" "kube-system") | toJson | quote }}',
  '',
].join('\n');

async function renderShop(tune: (o: RenderOptions) => void = () => undefined) {
  const options = defaultRenderOptions();
  tune(options);
  return helmRenderer.render({ repoRoot: repo, path: 'charts/shop' }, options);
}

beforeEach(async () => {
  repo = await realpath(await mkdtemp(join(tmpdir(), 'ballast-helm-')));
  await put('charts/shop/Chart.yaml', chart);
  await put('charts/shop/values.yaml', 'size: small\ncolour: red\n');
  await put('charts/shop/templates/settings.yaml', configMap);
  await put('env/prod.yaml', 'size: large\ncolour: blue\n');
});

afterEach(async () => {
  await rm(repo, { recursive: true, force: true });
});

describe('helm renderer', () => {
  it('sets release name and namespace, and layers chart values, values files, then inline values', async () => {
    const r = await renderShop((o) => {
      o.helm.releaseName = 'web';
      o.helm.namespace = 'prod';
      o.helm.valuesFiles = ['env/prod.yaml'];
      o.helm.values = { colour: 'green' };
    });
    if (r.kind === 'error') throw r.error;
    const [cm] = r.objects;
    expect(cm?.object.metadata).toEqual({ name: 'web-settings', namespace: 'prod' });
    expect(cm?.object.data).toMatchObject({ size: 'large', colour: 'green' });
    expect(cm?.origin).toEqual({ file: 'charts/shop/templates/settings.yaml', line: 1 });
  });

  it('renders for the configured Kubernetes version and never talks to a cluster', async () => {
    const r = await renderShop((o) => {
      o.helm.kubeVersion = 'v1.31.2';
    });
    if (r.kind === 'error') throw r.error;
    expect(r.objects[0]?.object.data).toMatchObject({ kube: 'v1.31.2', live: '{}' });
  });

  it('refuses a chart whose dependencies are not vendored, instead of downloading them', async () => {
    await put(
      'charts/shop/Chart.yaml',
      `${chart}dependencies:\n  - name: redis\n    version: 20.0.0\n    repository: https://charts.bitnami.com/bitnami\n`,
    );
    const r = await renderShop();
    expect(r.kind === 'error' && r.error.reason).toBe('tool-failed');
    expect(r.kind === 'error' && r.error.message).toMatch(
      /^charts\/shop: helm failed: .*missing in charts\/ directory: redis/s,
    );
  });

  it('keeps inline values out of its error messages', async () => {
    await put(
      'charts/shop/templates/fail.yaml',
      '{{ fail (printf "bad value %s" .Values.token) }}\n',
    );
    const r = await renderShop((o) => {
      o.helm.values = { token: 's3cr3t-token-value' };
    });
    expect(r.kind === 'error' && r.error.message).toMatch(/bad value \*\*\*/);
    expect(r.kind === 'error' && r.error.message).not.toContain('s3cr3t');
  });

  it('reports a template that renders invalid YAML at its template file', async () => {
    await put(
      'charts/shop/templates/broken.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n',
    );
    const r = await renderShop();
    expect(r.kind === 'error' && r.error.file).toMatch(/^charts\/shop/);
  });
});
