import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from './index.js';
import { defaultRenderOptions } from './options.js';

let root: string;

const manifest = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: pos
data:
  region: \${cluster_label_region}
  tier: \${tier:=standard}
`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ballast-render-substitute-'));
  await mkdir(join(root, 'app'));
  await writeFile(join(root, 'app', 'settings.yaml'), manifest);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('render with spec.postBuild.substitute', () => {
  it("puts each variable's value into the rendered objects, and a default where it is unset", async () => {
    const r = await render(
      { repoRoot: root, path: 'app' },
      { ...defaultRenderOptions(), substitute: { cluster_label_region: 'eu-west' } },
    );
    if (r.kind === 'error') throw r.error;
    expect(r.objects[0]?.object['data']).toEqual({ region: 'eu-west', tier: 'standard' });
    expect(r.objects[0]?.origin).toEqual({ file: 'app/settings.yaml', line: 1 });
  });

  it('fails on an unset variable with a message naming the file, the object, the field and the variable', async () => {
    const r = await render(
      { repoRoot: root, path: 'app' },
      { ...defaultRenderOptions(), substitute: {} },
    );
    if (r.kind === 'ok') throw new Error('expected the render to fail');
    expect(r.error.reason).toBe('substitution-failed');
    expect(r.error.file).toBe('app/settings.yaml');
    expect(r.error.message).toMatch(
      /^app\/settings\.yaml:1: ConfigMap\/pos\/settings: data\.region: variable cluster_label_region is not set; /,
    );
  });

  it('leaves ${…} as written when no variables are given, as before substitution existed', async () => {
    const r = await render({ repoRoot: root, path: 'app' }, defaultRenderOptions());
    if (r.kind === 'error') throw r.error;
    expect(r.objects[0]?.object['data']).toEqual({
      region: '${cluster_label_region}',
      tier: '${tier:=standard}',
    });
  });

  it('substitutes inline Helm values before helm runs, naming the values path when one is unset', async () => {
    const base = defaultRenderOptions();
    // The values fail before helm is started, so no chart or binary is needed here.
    const r = await render(
      { repoRoot: root, path: 'app' },
      {
        ...base,
        renderer: 'helm',
        helm: { ...base.helm, binary: '/nonexistent/helm', values: { image: { tag: '${tag}' } } },
        substitute: {},
      },
    );
    if (r.kind === 'ok') throw new Error('expected the render to fail');
    expect(r.error.reason).toBe('substitution-failed');
    expect(r.error.message).toMatch(
      /^spec\.source\.helm\.values\.image\.tag: variable tag is not set/,
    );
  });
});
