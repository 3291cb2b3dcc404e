import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { helmArgs, helmRenderer, splitHelmOutput } from './helm.js';
import { defaultParseLimits, defaultRenderOptions } from './options.js';
import { parseDocuments } from './yaml.js';

const output = readFileSync(
  new URL('./testdata/helm/template-output.yaml', import.meta.url),
  'utf8',
);

describe('splitHelmOutput', () => {
  it('attributes each manifest to its template under the chart directory, subcharts included', () => {
    expect(splitHelmOutput(output, 'charts/web').map((s) => s.file)).toEqual([
      'charts/web/templates/serviceaccount.yaml',
      'charts/web/templates/service.yaml',
      'charts/web/charts/redis/templates/deployment.yaml',
      'charts/web/crds/widgets.yaml',
      'charts/web/templates/tests/test-connection.yaml',
    ]);
  });

  it('counts lines from the # Source line, so a CRD (printed as is) keeps its own line numbers', () => {
    const crd = splitHelmOutput(output, 'charts/web')[3];
    const parsed = parseDocuments(crd?.text ?? '', 'crd', defaultParseLimits());
    expect(parsed.kind === 'ok' && parsed.documents[0]?.line).toBe(3);
  });

  it('works for a chart at the repository root', () => {
    expect(splitHelmOutput(output, '')[0]?.file).toBe('templates/serviceaccount.yaml');
  });

  it('falls back to the chart directory for a source path that would climb out', () => {
    const odd = '---\n# Source: web/../../etc/passwd\napiVersion: v1\n';
    expect(splitHelmOutput(odd, 'charts/web')[0]?.file).toBe('charts/web');
  });
});

describe('helmArgs', () => {
  it('templates with release, namespace, CRDs, capabilities and values files in order', () => {
    const helm = {
      ...defaultRenderOptions().helm,
      namespace: 'shop',
      kubeVersion: 'v1.36.3',
      apiVersions: ['monitoring.coreos.com/v1'],
    };
    expect(helmArgs('web', '/repo/charts/web', ['/repo/a.yaml', '/repo/b.yaml'], helm)).toEqual([
      'template',
      'web',
      '/repo/charts/web',
      '--namespace',
      'shop',
      '--include-crds',
      '--kube-version',
      'v1.36.3',
      '--api-versions',
      'monitoring.coreos.com/v1',
      '--values',
      '/repo/a.yaml',
      '--values',
      '/repo/b.yaml',
    ]);
  });

  it('reads inline values from stdin, after the files, and never puts them on the command line', () => {
    const helm = { ...defaultRenderOptions().helm, values: { password: 'hunter2-secret' } };
    const args = helmArgs('web', '/c', ['/v.yaml'], helm);
    expect(args.slice(-4)).toEqual(['--values', '/v.yaml', '--values', '-']);
    expect(args.join(' ')).not.toContain('hunter2');
  });

  it('never asks helm to update or build dependencies', () => {
    const args = helmArgs('web', '/c', [], defaultRenderOptions().helm).join(' ');
    expect(args).not.toMatch(/dependency|--repo|update/);
  });
});

describe('helm renderer', () => {
  let base = '';
  beforeEach(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'ballast-helm-')));
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('refuses an alias bomb in any file of the chart before helm runs, naming the file', async () => {
    const chart = join(base, 'repo', 'chart');
    await mkdir(join(chart, 'files'), { recursive: true });
    await writeFile(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: c\nversion: 0.1.0\n');
    await cp(
      fileURLToPath(new URL('./testdata/yaml/billion-laughs.yaml', import.meta.url)),
      join(chart, 'files', 'bomb.txt'),
    );
    const options = defaultRenderOptions();
    options.helm.binary = '/nonexistent/helm';
    const r = await helmRenderer.render({ repoRoot: join(base, 'repo'), path: 'chart' }, options);
    expect(r.kind === 'error' && r.error.reason).toBe('limit-exceeded');
    expect(r.kind === 'error' && r.error.file).toBe('chart/files/bomb.txt');
  });
});
