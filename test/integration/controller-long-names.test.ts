import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/object.js';
import {
  APPLICATION_ID_ANNOTATION,
  formatTrackingValue,
  ownerOf,
  TRACKING_LABEL,
} from '../../src/api/tracking.js';
import { startControllerFixture, type ControllerFixture } from '../support/controller.js';
import { eventually } from '../support/kube.js';

// With the fixture's namespace, `<namespace>.<name>` is past the 63 characters of a label value.
const name = 'a'.repeat(60);
let fx: ControllerFixture;

const configMap = (cm: string, value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${cm}\ndata:\n  greeting: ${value}\n`;

const cm = (cmName: string): Promise<KubeObject | undefined> => fx.get('v1', 'ConfigMap', cmName);
const greeting = async (): Promise<unknown> =>
  ((await cm('greeting'))?.['data'] as Record<string, unknown> | undefined)?.['greeting'];

beforeAll(async () => {
  fx = await startControllerFixture({ clusterIndex: 0 });
  await fx.repo.writeFile('long/cm.yaml', configMap('greeting', 'hello'));
  await fx.repo.writeFile('long/extra.yaml', configMap('extra', 'soon gone'));
  await fx.repo.commit('a long-named app');
  await fx.repo.push();
  await fx.cluster.apply(
    fx.application(name, 'long', {
      syncPolicy: { automated: { prune: true, selfHeal: true }, drift: 'heal', interval: '1h' },
    }),
  );
});

afterAll(async () => {
  await fx.stop();
});

describe('the controller, for an Application whose namespace and name pass 63 characters', () => {
  it('syncs it, reverts drift on its objects and prunes a removed file', async () => {
    await eventually('the long-named Application is Synced', 60_000, async () => {
      const a = await fx.app(name);
      return a?.status?.sync?.status === 'Synced';
    });
    const app = { namespace: fx.ns, name };
    const synced = await cm('greeting');
    expect(synced?.metadata.labels?.[TRACKING_LABEL]).toBe(formatTrackingValue(app));
    expect(synced?.metadata.annotations?.[APPLICATION_ID_ANNOTATION]).toBe(`${fx.ns}/${name}`);
    expect(synced === undefined ? undefined : ownerOf(synced)).toEqual(app);

    // A watch event routes the change to its Application by the annotation: drift is reverted.
    await fx.kubectl(
      '-n',
      fx.ns,
      'patch',
      'configmap',
      'greeting',
      '-p',
      '{"data":{"greeting":"edited"}}',
    );
    await eventually('the edit is reverted', 15_000, async () => {
      return (await greeting()) === 'hello';
    });

    await fx.repo.removeFile('long/extra.yaml');
    const sha = await fx.repo.commit('drop extra');
    await fx.repo.push();
    await fx.cluster.http.request(
      'PATCH',
      `/apis/ballast.dev/v1alpha1/namespaces/${fx.ns}/applications/${name}`,
      JSON.stringify({ metadata: { annotations: { 'ballast.dev/refresh': `${Date.now()}` } } }),
      { 'content-type': 'application/merge-patch+json' },
    );
    await eventually('the removed file is pruned', 30_000, async () => {
      const a = await fx.app(name);
      return a?.status?.lastSyncedRevision === sha && (await cm('extra')) === undefined;
    });
    expect(await cm('greeting')).toBeDefined();
  });
});
