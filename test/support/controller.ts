import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { applicationCrd } from '../../src/api/application-crd.js';
import type { Application, Condition, ConditionType } from '../../src/api/application.js';
import type { KubeObject } from '../../src/api/object.js';
import { waitForCrds } from '../../src/apply/execute.js';
import type { Cluster } from '../../src/cluster/cluster.js';
import {
  createBareRepo,
  startGitServer,
  WorkingClone,
  type GitServer,
} from '../../src/dev/git/index.js';
import { toolPath } from '../../src/dev/paths.js';
import { run } from '../../src/exec/run.js';
import { runCli } from './cli.js';
import { removeTree } from '../../src/fs/remove.js';
import {
  Controller,
  defaultControllerOptions,
  managedWatches,
  type ControllerDeps,
  type ControllerOptions,
} from '../../src/reconcile/controller.js';
import { defaultSourceOptions, GitSource, type SourceOptions } from '../../src/source/source.js';
import { clusterFor } from './sync.js';
import { testApplication } from './manifests.js';

/**
 * A real controller limited to its own namespace on one test cluster, a real Git server with
 * one repository the test writes to, and the CLI and kubectl pointed at that cluster.
 */
export interface ControllerFixture {
  ns: string;
  cluster: Cluster;
  kubeconfig: string;
  server: GitServer;
  repo: WorkingClone;
  repoURL: string;
  /** The controller's source cache: mirrors/ and trees/. */
  cacheDir: string;
  controller: Controller;
  /** The built CLI, as a person runs it; rejects unless it exits 0. */
  cli: (...args: string[]) => Promise<string>;
  /** The built CLI, whatever its exit code. */
  cliResult: (...args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
  kubectl: (...args: string[]) => Promise<string>;
  app: (name: string) => Promise<Application | undefined>;
  /** One condition of an Application's status, e.g. Ready. */
  condition: (name: string, type: ConditionType) => Promise<Condition | undefined>;
  get: (apiVersion: string, kind: string, name: string) => Promise<KubeObject | undefined>;
  /** An Application reading `path` of the fixture's repository, synced automatically. */
  application: (name: string, path: string, spec?: Record<string, unknown>) => KubeObject;
  stop: () => Promise<void>;
}

export interface FixtureOptions {
  /** Index into the test control plane's clusters. */
  clusterIndex: number;
  /** Extra dependencies handed to the controller (a ledger, decryption keys…). */
  deps?: Partial<Omit<ControllerDeps, 'cluster' | 'source' | 'watches'>>;
  controller?: Partial<ControllerOptions>;
  /** Source options over the defaults (allowFileRepos, limits…). */
  source?: Partial<SourceOptions>;
  /**
   * The client the controller itself uses, e.g. another apiserver or identity; by default the
   * same admin client as the fixture's `cluster`. The caller closes it.
   */
  controllerCluster?: Cluster;
}

export async function startControllerFixture(opts: FixtureOptions): Promise<ControllerFixture> {
  const token = `tok_${randomBytes(12).toString('hex')}`;
  const ns = `ctl-${randomBytes(3).toString('hex')}`;
  const kubeconfig = inject('controlPlane').clusters[opts.clusterIndex]?.kubeconfig ?? '';
  const cluster = clusterFor(kubeconfig);
  const crd = await cluster.apply(applicationCrd());
  await waitForCrds(cluster, [crd], 30_000);
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await cluster.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'repo-creds', namespace: ns },
    data: { token: Buffer.from(token).toString('base64') },
  });
  const server = await startGitServer({
    auth: { users: [], tokens: [token] },
    allowPush: true,
    ssh: false,
  });
  await createBareRepo(server, 'apps');
  const repoURL = server.httpUrl('apps');
  const repo = await WorkingClone.clone({ url: repoURL, access: { kind: 'bearer', token } });
  const cache = await mkdtemp(join(tmpdir(), 'ballast-fixture-'));
  const own = opts.controllerCluster ?? cluster;
  const controller = new Controller(
    {
      cluster: own,
      source: new GitSource({ ...defaultSourceOptions(cache), ...opts.source }),
      watches: managedWatches(own, () => undefined),
      ...opts.deps,
    },
    { ...defaultControllerOptions(), namespace: ns, httpPort: 0, ...opts.controller },
  );
  await controller.start();

  const cliResult: ControllerFixture['cliResult'] = (...args) =>
    runCli([...args, '--kubeconfig', kubeconfig]);
  const get: ControllerFixture['get'] = (apiVersion, kind, name) =>
    cluster.get({ apiVersion, kind, metadata: { name, namespace: ns } });
  const app: ControllerFixture['app'] = async (name) =>
    (await get('ballast.dev/v1alpha1', 'Application', name)) as Application | undefined;
  return {
    ns,
    cluster,
    kubeconfig,
    server,
    repo,
    repoURL,
    cacheDir: cache,
    controller,
    cliResult,
    cli: async (...args) => {
      const r = await cliResult(...args);
      if (r.code !== 0) throw new Error(`ballast ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    },
    kubectl: async (...args) => {
      const r = await run(toolPath('kubectl'), args, {
        env: { KUBECONFIG: kubeconfig },
        timeoutMs: 60_000,
      });
      if (r.kind !== 'ok') throw new Error(`kubectl ${args.join(' ')}: ${JSON.stringify(r)}`);
      return r.stdout.toString('utf8');
    },
    get,
    app,
    condition: async (name, type) =>
      (await app(name))?.status?.conditions?.find((c) => c.type === type),
    application: (name, path, spec = {}) => testApplication({ ns, repoURL }, name, path, spec),
    stop: async () => {
      await controller.stop();
      cluster.close();
      await repo.remove();
      await server.stop();
      await removeTree(cache);
    },
  };
}
