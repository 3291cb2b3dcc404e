import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControllerFixture, type ControllerFixture } from '../support/controller.js';
import { eventually } from '../support/kube.js';

let fx: ControllerFixture;

const configMap = (name: string, value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: ${value}\n`;

beforeAll(async () => {
  // On cluster-1: the namespace controller finishes a deletion only while every APIService is
  // available, and the corpus registers unavailable metrics APIServices on the other two.
  fx = await startControllerFixture({ clusterIndex: 0 });
  await fx.repo.writeFile(
    'elsewhere/cms.yaml',
    `${configMap('first', 'one')}---\n${configMap('second', 'two')}`,
  );
  await fx.repo.commit('an app for another namespace');
  await fx.repo.push();
});

afterAll(async () => {
  await fx.stop();
});

describe('an Application whose destination namespace is missing', () => {
  it('reports a missing destination namespace once for all its objects, plans its objects without it, creates it with createNamespace, and recreates it when deleted', async () => {
    const dest = `${fx.ns}-dest`;
    const app = (createNamespace: boolean, automated = true): ReturnType<typeof fx.application> => {
      const a = fx.application('elsewhere', 'elsewhere', {
        syncPolicy: {
          ...(automated ? { automated: {} } : {}),
          interval: '1h',
          syncOptions: { createNamespace },
        },
      });
      return { ...a, spec: { ...(a.spec as object), destination: { namespace: dest } } };
    };
    await fx.cluster.apply(app(false));
    await eventually('elsewhere is refused for its namespace', 60_000, async () => {
      return (await fx.condition('elsewhere', 'Ready'))?.reason === 'SyncRefused';
    });
    expect((await fx.condition('elsewhere', 'Ready'))?.message).toBe(
      `2 objects (ConfigMap/${dest}/first (elsewhere/cms.yaml:1), ConfigMap/${dest}/second (elsewhere/cms.yaml:8)): ` +
        `namespace "${dest}" does not exist: create it, or let the sync create it ` +
        '(`ballast sync --create-namespace`, or spec.syncPolicy.syncOptions.createNamespace: true)',
    );

    // Not automated: the plan shows both objects as to be created, and nothing is written.
    const manual = await fx.cluster.apply(app(true, false));
    await eventually('elsewhere is planned as out of sync', 60_000, async () => {
      const status = (await fx.app('elsewhere'))?.status;
      return (
        status?.observedGeneration === manual.metadata.generation &&
        status?.sync?.status === 'OutOfSync' &&
        status.resources?.length === 2
      );
    });
    expect((await fx.condition('elsewhere', 'Ready'))?.reason).not.toBe('SyncRefused');
    const nsRef = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: dest } };
    expect(await fx.cluster.get(nsRef)).toBeUndefined();

    await fx.cluster.apply(app(true));
    const inDest = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'second', namespace: dest },
    };
    await eventually('the namespace is created and the objects applied', 60_000, async () => {
      return (
        (await fx.condition('elsewhere', 'Ready'))?.status === 'True' &&
        (await fx.cluster.get(inDest)) !== undefined
      );
    });

    // Deleted by hand, with everything in it: self-heal brings back the namespace and objects.
    await fx.kubectl('delete', 'namespace', dest, '--wait=true', '--timeout=60s');
    await eventually('the namespace and its objects are back', 60_000, async () => {
      return (await fx.cluster.get(inDest)) !== undefined;
    });
    await fx.kubectl('delete', 'applications.ballast.dev', 'elsewhere', '-n', fx.ns);
    await fx.kubectl('delete', 'namespace', dest, '--wait=false');
  });

  it('reports a namespace deleted by hand, without recreating it, when drift is only warned of', async () => {
    const dest = `${fx.ns}-warned`;
    const a = fx.application('warned', 'elsewhere', {
      syncPolicy: {
        automated: {},
        drift: 'warn',
        interval: '1h',
        syncOptions: { createNamespace: true },
      },
    });
    await fx.cluster.apply({
      ...a,
      spec: { ...(a.spec as object), destination: { namespace: dest } },
    });
    await eventually('warned is synced', 60_000, async () => {
      return (await fx.condition('warned', 'Ready'))?.status === 'True';
    });

    await fx.kubectl('delete', 'namespace', dest, '--wait=true', '--timeout=60s');
    await eventually('both objects are reported deleted', 60_000, async () => {
      const drift = (await fx.app('warned'))?.status?.drift ?? [];
      return drift.filter((d) => d.manager === 'deleted').length === 2;
    });
    const nsRef = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: dest } };
    expect(await fx.cluster.get(nsRef)).toBeUndefined();
    expect(await fx.condition('warned', 'Drifted')).toMatchObject({
      status: 'True',
      reason: 'ManualChange',
    });
    await fx.kubectl('delete', 'applications.ballast.dev', 'warned', '-n', fx.ns);
  });
});
