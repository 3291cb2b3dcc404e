import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applicationCrd } from '../../src/api/application-crd.js';
import type { Application } from '../../src/api/application.js';
import type { KubeObject } from '../../src/api/object.js';
import { waitForCrds } from '../../src/apply/execute.js';
import type { Cluster } from '../../src/cluster/cluster.js';
import {
  createBareRepo,
  startGitServer,
  WorkingClone,
  type GitServer,
} from '../../src/dev/git/index.js';
import { repoRoot, toolPath } from '../../src/dev/paths.js';
import { run } from '../../src/exec/run.js';
import { removeTree } from '../../src/fs/remove.js';
import {
  Controller,
  defaultControllerOptions,
  managedWatches,
} from '../../src/reconcile/controller.js';
import { defaultSourceOptions, GitSource } from '../../src/source/source.js';
import { eventually } from '../support/kube.js';
import { clusterFor } from '../support/sync.js';

const token = `tok_${randomBytes(12).toString('hex')}`;
const ns = `ctl-${randomBytes(3).toString('hex')}`;
let server: GitServer;
let repo: WorkingClone;
let cluster: Cluster;
let controller: Controller;
let cache: string;
let kubeconfig: string;
let httpPort: number | undefined;
const webhookSecret = randomBytes(16).toString('hex');

function webhook(body: string, signature: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${String(httpPort)}/hooks/generic`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-ballast-signature': signature },
    body,
  });
}

const deployment = (replicas: number): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
`;
const configMap = (name: string, value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  greeting: ${value}\n`;

/** The built CLI, as a person would run it. */
async function cli(...args: string[]): Promise<string> {
  const main = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
  const r = await run(process.execPath, [main, ...args, '--kubeconfig', kubeconfig], {
    timeoutMs: 60_000,
  });
  if (r.kind !== 'ok') throw new Error(`ballast ${args.join(' ')}: ${JSON.stringify(r)}`);
  return r.stdout.toString('utf8');
}

async function kubectl(...args: string[]): Promise<string> {
  const r = await run(toolPath('kubectl'), args, {
    env: { KUBECONFIG: kubeconfig },
    timeoutMs: 60_000,
  });
  if (r.kind !== 'ok') throw new Error(`kubectl ${args.join(' ')}: ${JSON.stringify(r)}`);
  return r.stdout.toString('utf8');
}

const get = (
  kind: string,
  apiVersion: string,
  name: string,
  namespace = ns,
): Promise<KubeObject | undefined> =>
  cluster.get({ apiVersion, kind, metadata: { name, namespace } });
const app = async (name: string): Promise<Application | undefined> =>
  (await get('Application', 'ballast.dev/v1alpha1', name)) as Application | undefined;
const replicas = async (): Promise<unknown> =>
  (await get('Deployment', 'apps/v1', 'web'))?.spec?.['replicas' as never];

function application(name: string, path: string, drift: 'heal' | 'warn'): KubeObject {
  return {
    apiVersion: 'ballast.dev/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: ns },
    spec: {
      source: {
        repoURL: server.httpUrl('ctl'),
        targetRevision: 'main',
        path,
        secretRef: { name: 'repo-creds' },
      },
      destination: { namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true }, drift, interval: '1h' },
    },
  };
}

beforeAll(async () => {
  kubeconfig = inject('controlPlane').clusters[2]?.kubeconfig ?? '';
  cluster = clusterFor(kubeconfig);
  const crd = await cluster.apply(applicationCrd());
  await waitForCrds(cluster, [crd], 30_000);
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await cluster.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'repo-creds', namespace: ns },
    data: { token: Buffer.from(token).toString('base64') },
  });
  server = await startGitServer({
    auth: { users: [], tokens: [token] },
    allowPush: true,
    ssh: false,
  });
  await createBareRepo(server, 'ctl');
  repo = await WorkingClone.clone({
    url: server.httpUrl('ctl'),
    access: { kind: 'bearer', token },
  });
  await repo.writeFile('heal/deploy.yaml', deployment(2));
  await repo.writeFile('heal/cm.yaml', configMap('greeting', 'hello'));
  await repo.writeFile('heal/extra.yaml', configMap('extra', 'soon gone'));
  await repo.writeFile('warn/cm.yaml', configMap('watched', 'as in git'));
  await repo.commit('two apps');
  await repo.push();
  cache = await mkdtemp(join(tmpdir(), 'ballast-ctl-'));
  controller = new Controller(
    {
      cluster,
      source: new GitSource(defaultSourceOptions(cache)),
      watches: managedWatches(cluster, () => undefined),
    },
    { ...defaultControllerOptions(), namespace: ns, httpPort: 0, webhookSecret },
  );
  ({ port: httpPort } = await controller.start());
  await cluster.apply(application('heal', 'heal', 'heal'));
  await cluster.apply(application('warn', 'warn', 'warn'));
});

afterAll(async () => {
  await controller.stop();
  cluster.close();
  await repo.remove();
  await server.stop();
  await removeTree(cache);
});

describe('the controller', () => {
  it('syncs a new Application on its own and reports it Synced and Healthy', async () => {
    await eventually('Application heal is Synced and Healthy', 60_000, async () => {
      const a = await app('heal');
      return a?.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy';
    });
    const a = await app('heal');
    expect(a?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(a?.status?.observedGeneration).toBe(a?.metadata.generation);
    expect(a?.status?.sync?.revision).toBe(await repo.head());
    expect(await replicas()).toBe(2);
  });

  // How fast is measured by bench, not asserted here: a loaded CI machine must not fail it.
  it('reverts a replica count changed by kubectl, and says who changed it', async () => {
    await kubectl('-n', ns, 'scale', 'deployment/web', '--replicas=5');
    await eventually('replicas are back to 2', 10_000, async () => (await replicas()) === 2);
    await eventually('a DriftReverted Event names kubectl', 10_000, async () => {
      const events = await cluster.http.request(
        'GET',
        `/api/v1/namespaces/${ns}/events?fieldSelector=reason%3DDriftReverted`,
      );
      return events.body.includes('Deployment.apps/') && events.body.includes('kubectl');
    });
  });

  it('lists Applications kubectl-style and suspends and resumes one from the CLI', async () => {
    const list = await cli('app', 'list', '-n', ns);
    expect(list).toMatch(/^NAME\s+SYNC\s+HEALTH\s+REVISION\s+READY\s+AGE/);
    expect(list).toMatch(/\nheal\s+Synced\s+Healthy\s+[0-9a-f]{12}\s+True\s+\d+[smh]/);
    await cli('app', 'suspend', 'heal', '-n', ns);
    await eventually('heal reports Ready=False Suspended', 10_000, async () => {
      const ready = (await app('heal'))?.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'False' && ready.reason === 'Suspended';
    });
    await cli('app', 'resume', 'heal', '-n', ns);
    await eventually('heal is Ready again', 30_000, async () => {
      return (
        (await app('heal'))?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
      );
    });
    expect(await cli('app', 'history', 'heal', '-n', ns)).toMatch(/^ID\s+REVISION\s+TIME\s+RESULT/);
  });

  it('recreates a managed object that was deleted', async () => {
    await kubectl('-n', ns, 'delete', 'configmap', 'greeting');
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
      async () => (await app('warn'))?.status?.sync?.status === 'Synced',
    );
    await kubectl(
      '-n',
      ns,
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
        const a = await app('warn');
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
    await repo.writeFile('heal/cm.yaml', configMap('greeting', 'hello again'));
    await repo.removeFile('heal/extra.yaml');
    const sha = await repo.commit('new greeting, drop extra');
    await repo.push();
    const body = JSON.stringify({ repoURL: server.httpUrl('ctl') });
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
      expect.arrayContaining([`${ns}/heal`, `${ns}/warn`]),
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
      async () => (await app('heal'))?.status?.lastSyncedRevision === sha,
    );
  });
});
