import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { plainLayout, rendererContract } from './contract.js';
import { defaultRenderOptions } from './options.js';
import { isManifestFile, plainRenderer } from './plain.js';

rendererContract({ renderer: plainRenderer, layout: plainLayout });

const testdata = fileURLToPath(new URL('./testdata/', import.meta.url));

describe('plain renderer', () => {
  it('reads YAML, YML and JSON files recursively in sorted path order, with file:line origins', async () => {
    const r = await plainRenderer.render(
      { repoRoot: testdata, path: 'plain-app' },
      defaultRenderOptions(),
    );
    if (r.kind === 'error') throw r.error;
    expect(
      r.objects.map((o) => [
        o.object.kind,
        o.object.metadata.name,
        `${o.origin.file}:${o.origin.line}`,
      ]),
    ).toEqual([
      ['Namespace', 'shop', 'plain-app/00-namespace.yaml:1'],
      ['ConfigMap', 'web-config', 'plain-app/apps/web-config.json:1'],
      ['Deployment', 'web', 'plain-app/apps/web.yaml:4'],
      ['Service', 'web', 'plain-app/apps/web.yaml:14'],
      ['Role', 'reader', 'plain-app/roles.yml:4'],
      ['Role', 'reader', 'plain-app/roles.yml:10'],
    ]);
  });

  it('ignores other files and hidden directories such as .github', () => {
    expect(isManifestFile('apps/web.yaml')).toBe(true);
    expect(isManifestFile('apps/web.YML')).toBe(true);
    expect(isManifestFile('config.json')).toBe(true);
    expect(isManifestFile('README.md')).toBe(false);
    expect(isManifestFile('.github/workflows/ci.yaml')).toBe(false);
    expect(isManifestFile('apps/.hidden.yaml')).toBe(false);
  });

  it('renders the repository root when the path is empty', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ballast-plain-root-'));
    try {
      await cp(join(testdata, 'plain-app'), dir, { recursive: true });
      const r = await plainRenderer.render({ repoRoot: dir, path: '' }, defaultRenderOptions());
      expect(r.kind === 'ok' && r.objects[0]?.origin).toEqual({
        file: '00-namespace.yaml',
        line: 1,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a manifest file over the size limit', async () => {
    const options = defaultRenderOptions();
    options.limits.maxFileBytes = 10;
    const r = await plainRenderer.render({ repoRoot: testdata, path: 'plain-app' }, options);
    expect(r.kind === 'error' && r.error.message).toMatch(
      /^plain-app\/00-namespace\.yaml: the file is \d+ bytes, over the limit of 10/,
    );
  });
});
