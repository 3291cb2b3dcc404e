import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.js';
import type { KubeObject } from '../../src/api/object.js';
import type { KubeHttp } from '../../src/cluster/http.js';
import { startControllerFixture, type ControllerFixture } from '../support/controller.js';
import { eventually } from '../support/kube.js';
import { clusterFor } from '../support/sync.js';
import { deploymentYaml } from '../support/manifests.js';

const webhookSecret = randomBytes(16).toString('hex');
let fx: ControllerFixture;
let httpPort: number | undefined;

function webhook(body: string, signature: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${String(httpPort)}/hooks/generic`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-ballast-signature': signature },
    body,
  });
}

const deployment = (replicas: number): string => deploymentYaml({ replicas });
const configMap = (name: string, value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  greeting: ${value}\n`;

const get = (kind: string, apiVersion: string, name: string): Promise<KubeObject | undefined> =>
  fx.get(apiVersion, kind, name);
const replicas = async (): Promise<unknown> =>
  (await get('Deployment', 'apps/v1', 'web'))?.spec?.['replicas' as never];

/** Records `METHOD path` of every request sent through `http` until `stop`. */
function recordRequests(http: KubeHttp): { sent: string[]; stop: () => void } {
  const sent: string[] = [];
  const send = http.request.bind(http);
  http.request = (method, path, body, headers) => {
    sent.push(`${method} ${path.split('?')[0] ?? ''}`);
    return send(method, path, body, headers);
  };
  return { sent, stop: () => (http.request = send) };
}

function application(name: string, path: string, drift: 'heal' | 'warn'): KubeObject {
  return fx.application(name, path, {
    syncPolicy: { automated: { prune: true, selfHeal: true }, drift, interval: '1h' },
  });
}

beforeAll(async () => {
  fx = await startControllerFixture({ clusterIndex: 2, controller: { webhookSecret } });
  httpPort = await fx.controller.listen();
  await fx.repo.writeFile('heal/deploy.yaml', deployment(2));
  await fx.repo.writeFile('heal/cm.yaml', configMap('greeting', 'hello'));
  await fx.repo.writeFile('heal/extra.yaml', configMap('extra', 'soon gone'));
  await fx.repo.writeFile('warn/cm.yaml', configMap('watched', 'as in git'));
  await fx.repo.commit('two apps');
  await fx.repo.push();
  await fx.cluster.apply(application('heal', 'heal', 'heal'));
  await fx.cluster.apply(application('warn', 'warn', 'warn'));
});

afterAll(async () => {
  await fx.stop();
});

describe('the controller', () => {
  it('syncs a new Application on its own and reports it Synced and Healthy', async () => {
    await eventually('Application heal is Synced and Healthy', 60_000, async () => {
      const a = await fx.app('heal');
      return a?.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy';
    });
    const a = await fx.app('heal');
    expect(a?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(a?.status?.observedGeneration).toBe(a?.metadata.generation);
    expect(a?.status?.sync?.revision).toBe(await fx.repo.head());
    expect(await replicas()).toBe(2);
  });

  it('reconciles a refreshed Application that has nothing new without writing its status', async () => {
    await eventually('Application heal is Synced and Healthy', 60_000, async () => {
      const a = await fx.app('heal');
      return a?.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy';
    });
    const reconciles = async (): Promise<number> => {
      const { body } = await fx.controller.metrics.scrape();
      const m = /^ballast_reconcile_duration_seconds_count\{outcome="ok"\} (\d+)$/m.exec(body);
      return Number(m?.[1] ?? 0);
    };
    // Every request the controller's client sends from here on, the test's own included.
    const http = fx.cluster.http;
    const { sent, stop } = recordRequests(http);
    try {
      const before = await reconciles();
      const app = `/apis/ballast.dev/v1alpha1/namespaces/${fx.ns}/applications/heal`;
      await http.request(
        'PATCH',
        app,
        JSON.stringify({ metadata: { annotations: { 'ballast.dev/refresh': `${Date.now()}` } } }),
        { 'content-type': 'application/merge-patch+json' },
      );
      await eventually(
        'the refresh is reconciled',
        30_000,
        async () => (await reconciles()) > before,
      );
      expect(sent).toContain(`GET ${app}`);
      expect(sent).not.toContain(`PATCH ${app}/status`);
    } finally {
      stop();
    }
  });

  it('reconciles a new Application the first time as the watch delivered it, without a GET', async () => {
    await fx.repo.writeFile('first/cm.yaml', configMap('first-greeting', 'hi'));
    await fx.repo.commit('a third app');
    await fx.repo.push();
    // The test reads through a client of its own, so every request recorded is the controller's.
    const reader = clusterFor(fx.kubeconfig);
    const { sent, stop } = recordRequests(fx.cluster.http);
    try {
      await reader.apply(application('first', 'first', 'heal'));
      await eventually('Application first is Synced', 60_000, async () => {
        const a = (await reader.get(application('first', 'first', 'heal'))) as Application;
        return a.status?.sync?.status === 'Synced';
      });
      const app = `/apis/ballast.dev/v1alpha1/namespaces/${fx.ns}/applications/first`;
      expect(sent).toContain(`PATCH ${app}/status`);
      expect(sent).not.toContain(`GET ${app}`);
    } finally {
      stop();
      reader.close();
    }
  });

  // How fast is measured by bench, not asserted here: a loaded CI machine must not fail it.
  it('reverts a replica count changed by kubectl, and says who changed it', async () => {
    await fx.kubectl('-n', fx.ns, 'scale', 'deployment/web', '--replicas=5');
    await eventually('replicas are back to 2', 10_000, async () => (await replicas()) === 2);
    await eventually('a DriftReverted Event names kubectl', 10_000, async () => {
      const events = await fx.cluster.http.request(
        'GET',
        `/api/v1/namespaces/${fx.ns}/events?fieldSelector=reason%3DDriftReverted`,
      );
      return events.body.includes('Deployment.apps/') && events.body.includes('kubectl');
    });
  });

  it('heals a scaled Deployment on the urgent lane with one apply, no dry run first', async () => {
    await eventually('replicas are at 2', 10_000, async () => (await replicas()) === 2);
    const deploy = `/apis/apps/v1/namespaces/${fx.ns}/deployments/web`;
    const patches = (sent: string[]): string[] =>
      sent.filter((s) => s.startsWith(`PATCH ${deploy}`));
    // Full paths: a dry run differs from the apply only in its query.
    const record = (http: KubeHttp): { sent: string[]; stop: () => void } => {
      const sent: string[] = [];
      const send = http.request.bind(http);
      http.request = (method, path, body, headers) => {
        sent.push(`${method} ${path}`);
        return send(method, path, body, headers);
      };
      return { sent, stop: () => (http.request = send) };
    };
    const urgent = record(fx.cluster.http.urgent());
    const bulk = record(fx.cluster.http);
    try {
      await fx.kubectl('-n', fx.ns, 'scale', 'deployment/web', '--replicas=4');
      await eventually('replicas are back to 2', 10_000, async () => (await replicas()) === 2);
      await eventually('the heal is recorded in status', 10_000, async () => {
        const drifted = (await fx.app('heal'))?.status?.conditions?.find(
          (c) => c.type === 'Drifted',
        );
        return drifted?.reason === 'DriftReverted' && drifted.message.includes('replicas');
      });
      expect(patches(urgent.sent)).toHaveLength(1);
      expect(patches(urgent.sent)[0]).not.toContain('dryRun');
      expect(patches(bulk.sent)).toEqual([]);
    } finally {
      urgent.stop();
      bulk.stop();
    }
  });

  it('lists Applications kubectl-style and suspends and resumes one from the CLI', async () => {
    const list = await fx.cli('app', 'list', '-n', fx.ns);
    expect(list).toMatch(/^NAME\s+SYNC\s+HEALTH\s+REVISION\s+READY\s+AGE/);
    expect(list).toMatch(/\nheal\s+Synced\s+Healthy\s+[0-9a-f]{12}\s+True\s+\d+[smh]/);
    await fx.cli('app', 'suspend', 'heal', '-n', fx.ns);
    await eventually('heal reports Ready=False Suspended', 10_000, async () => {
      const ready = await fx.condition('heal', 'Ready');
      return ready?.status === 'False' && ready.reason === 'Suspended';
    });
    await fx.cli('app', 'resume', 'heal', '-n', fx.ns);
    await eventually('heal is Ready again', 30_000, async () => {
      return (await fx.condition('heal', 'Ready'))?.status === 'True';
    });
    expect(await fx.cli('app', 'history', 'heal', '-n', fx.ns)).toMatch(
      /^ID\s+REVISION\s+SIGNER\s+TIME\s+RESULT/,
    );
  });

  it('recreates a managed object that was deleted', async () => {
    await fx.kubectl('-n', fx.ns, 'delete', 'configmap', 'greeting');
    await eventually(
      'configmap greeting is back',
      5_000,
      async () => (await get('ConfigMap', 'v1', 'greeting')) !== undefined,
    );
  });

  it('in warn mode reports a kubectl edit as drift but leaves it', async () => {
    await eventually(
      'Application warn is Synced',
      60_000,
      async () => (await fx.app('warn'))?.status?.sync?.status === 'Synced',
    );
    await fx.kubectl(
      '-n',
      fx.ns,
      'patch',
      'configmap',
      'watched',
      '-p',
      JSON.stringify({ data: { greeting: 'edited by hand' } }),
    );
    await eventually(
      'the Drifted condition is True with the field and manager',
      10_000,
      async () => {
        const a = await fx.app('warn');
        const drifted = a?.status?.conditions?.find((c) => c.type === 'Drifted');
        const entry = a?.status?.drift?.find((d) => d.name === 'watched');
        return (
          drifted?.status === 'True' &&
          entry?.paths.includes('/data/greeting') === true &&
          entry.manager === 'kubectl-patch'
        );
      },
    );
    expect((await get('ConfigMap', 'v1', 'watched'))?.data).toEqual({ greeting: 'edited by hand' });
  });

  it('applies a commit announced by a signed webhook, refuses a forged one, and prunes a removed file', async () => {
    await fx.repo.writeFile('heal/cm.yaml', configMap('greeting', 'hello again'));
    await fx.repo.removeFile('heal/extra.yaml');
    const sha = await fx.repo.commit('new greeting, drop extra');
    await fx.repo.push();
    const body = JSON.stringify({ repoURL: fx.repoURL });
    const forged = await webhook(
      body,
      `sha256=${createHmac('sha256', 'wrong').update(body).digest('hex')}`,
    );
    expect(forged.status).toBe(401);
    const signed = await webhook(
      body,
      `sha256=${createHmac('sha256', webhookSecret).update(body).digest('hex')}`,
    );
    expect(signed.status).toBe(202);
    expect(((await signed.json()) as { queued: string[] }).queued).toEqual(
      expect.arrayContaining([`${fx.ns}/heal`, `${fx.ns}/warn`]),
    );
    await eventually('the new commit is applied and extra is pruned', 30_000, async () => {
      const cm = await get('ConfigMap', 'v1', 'greeting');
      return (
        (cm?.data as Record<string, string> | undefined)?.greeting === 'hello again' &&
        (await get('ConfigMap', 'v1', 'extra')) === undefined
      );
    });
    await eventually(
      'status names the new revision',
      10_000,
      async () => (await fx.app('heal'))?.status?.lastSyncedRevision === sha,
    );
  });
});
