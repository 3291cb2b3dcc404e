import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControllerFixture, type ControllerFixture } from '../support/controller.js';
import { eventually } from '../support/kube.js';
import { tempDirs } from '../support/temp.js';

let fx: ControllerFixture;
const temp = tempDirs();

const settings = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  region: \${region}
  tier: \${tier:=standard}
`;

const chart = {
  'chart/Chart.yaml': 'apiVersion: v2\nname: shop\nversion: 1.0.0\n',
  'chart/values.yaml': 'tag: latest\n',
  'chart/templates/cm.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: chart-settings\ndata:\n  tag: {{ .Values.tag | quote }}\n',
};

beforeAll(async () => {
  fx = await startControllerFixture({ clusterIndex: 0 });
  await fx.repo.writeFile('plain/settings.yaml', settings);
  for (const [path, text] of Object.entries(chart)) await fx.repo.writeFile(path, text);
  await fx.repo.commit('manifests with variables');
  await fx.repo.push();
});

afterAll(async () => {
  await fx.stop();
  await temp.removeAll();
});

const dataOf = async (name: string): Promise<unknown> =>
  (await fx.get('v1', 'ConfigMap', name))?.['data'];

describe('spec.postBuild.substitute', () => {
  it("puts the Application's variables into its rendered objects, and into its inline Helm values before helm runs", async () => {
    await fx.cluster.apply(
      fx.application('plain', 'plain', { postBuild: { substitute: { region: 'eu-west' } } }),
    );
    const helm = fx.application('chart', 'chart', {
      postBuild: { substitute: { region: 'ap-south' } },
    });
    const spec = helm.spec as { source: Record<string, unknown> };
    spec.source['helm'] = { values: { tag: 'v1-${region}' } };
    await fx.cluster.apply(helm);
    await eventually('both are synced', 60_000, async () => {
      return (
        (await fx.condition('plain', 'Ready'))?.status === 'True' &&
        (await fx.condition('chart', 'Ready'))?.status === 'True'
      );
    });
    expect(await dataOf('settings')).toEqual({ region: 'eu-west', tier: 'standard' });
    expect(await dataOf('chart-settings')).toEqual({ tag: 'v1-ap-south' });
  });

  it('stalls an Application whose variable is unset, naming the file, the object, the field and the variable, and applies nothing', async () => {
    await fx.cluster.apply(fx.application('unset', 'plain', { postBuild: { substitute: {} } }));
    await eventually('unset is stalled', 60_000, async () => {
      return (await fx.condition('unset', 'Stalled'))?.reason === 'SubstitutionFailed';
    });
    const ready = await fx.condition('unset', 'Ready');
    expect(ready?.status).toBe('False');
    expect(ready?.reason).toBe('SubstitutionFailed');
    expect(ready?.message).toMatch(
      /^plain\/settings\.yaml:1: ConfigMap\/settings: data\.region: variable region is not set; set it in spec\.postBuild\.substitute/,
    );
    expect((await fx.condition('unset', 'Stalled'))?.message).toBe(ready?.message);
    // The object `plain` applied is untouched: `unset` never reached the apply stage.
    expect(await dataOf('settings')).toEqual({ region: 'eu-west', tier: 'standard' });
  });
});

describe('ballast sync and diff --substitute', () => {
  it('substitute through the same render path, and an unset variable is refused naming it', async () => {
    const dir = await temp.tree('ballast-substitute-', {
      'cm.yaml': settings.replace('name: settings', 'name: cli-settings'),
    });
    const sync = await fx.cliResult(
      'sync',
      ...['--dir', dir, '--app', 'cli', '-n', fx.ns],
      ...['--substitute', 'region=us-east', '--substitute', 'tier=gold'],
    );
    expect(sync.code, sync.stderr).toBe(0);
    expect(await dataOf('cli-settings')).toEqual({ region: 'us-east', tier: 'gold' });

    // With --substitute, every reference must resolve; without it, ${…} is left as written.
    const diff = await fx.cliResult(
      'diff',
      ...['--dir', dir, '--app', 'cli', '-n', fx.ns, '--substitute', 'tier=gold'],
    );
    expect(diff.code).toBe(2);
    expect(diff.stderr).toContain('cm.yaml:1: ConfigMap/cli-settings: data.region');
    expect(diff.stderr).toContain('data.region: variable region is not set');
  });
});
