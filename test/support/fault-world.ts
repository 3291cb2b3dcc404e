import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { expect } from 'vitest';
import { applicationCrd } from '../../src/api/application-crd.js';
import type { Application, Condition } from '../../src/api/application.js';
import type { KubeObject } from '../../src/api/object.js';
import { waitForCrds } from '../../src/apply/execute.js';
import { openLedger } from '../../src/audit/open.js';
import type { LedgerRecord } from '../../src/audit/types.js';
import { Cluster } from '../../src/cluster/cluster.js';
import {
  createBareRepo,
  startGitServer,
  WorkingClone,
  type GitServer,
} from '../../src/dev/git/index.js';
import { toolPath } from '../../src/dev/paths.js';
import { run } from '../../src/exec/run.js';
import { startControllerProcess, type ControllerProcess } from './controller-process.js';
import { startGitFaultProxy, type GitFaultProxy } from './git-fault-proxy.js';
import { tempDirs } from './temp.js';

/** The label each fixture object carries naming the revision that wrote it. */
export const revisionLabel = 'faults.ballast.dev/revision';

/** One app's desired state at `revision`: a Deployment and a ConfigMap, both marked with it. */
export function appManifests(app: string, revision: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${app}-web
  labels:
    ${revisionLabel}: ${revision}
spec:
  replicas: 2
  selector:
    matchLabels: { app: ${app}-web }
  template:
    metadata:
      labels: { app: ${app}-web }
    spec:
      containers:
        - name: web
          image: registry.example/web:1
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: ${app}-config
  labels:
    ${revisionLabel}: ${revision}
data:
  revision: ${revision}
`;
}

/**
 * A real Git server behind a fault proxy, a namespace on the test control plane, and a real
 * `ballast controller` process (the built CLI) fetching through the proxy, with a SQLite ledger.
 */
export class FaultWorld {
  readonly ns = `faults-${randomBytes(3).toString('hex')}`;
  readonly cluster: Cluster;
  private readonly token = `tok_${randomBytes(12).toString('hex')}`;
  private readonly temp = tempDirs();
  server!: GitServer;
  proxy!: GitFaultProxy;
  repo!: WorkingClone;
  controller!: ControllerProcess;
  ledgerFile = '';
  /** The controller's --cache-dir: its mirrors and trees. */
  cacheDir = '';

  constructor(readonly kubeconfig: string) {
    this.cluster = Cluster.connect({ kubeconfig });
  }

  /** Starts everything; `controllerArgs` are added to the controller's command line. */
  async start(controllerArgs: readonly string[]): Promise<void> {
    this.server = await startGitServer({
      auth: { users: [], tokens: [this.token] },
      allowPush: true,
      ssh: false,
    });
    await createBareRepo(this.server, 'apps');
    this.proxy = await startGitFaultProxy(this.server.httpBase);
    this.repo = await WorkingClone.clone({
      url: this.server.httpUrl('apps'),
      access: { kind: 'bearer', token: this.token },
    });
    await waitForCrds(this.cluster, [await this.cluster.apply(applicationCrd())], 30_000);
    await this.cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.ns } });
    await this.cluster.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'repo-creds', namespace: this.ns },
      data: { token: Buffer.from(this.token).toString('base64') },
    });
    const dir = await this.temp.make('ballast-faults-');
    this.ledgerFile = join(dir, 'audit.db');
    this.cacheDir = join(dir, 'cache');
    this.controller = startControllerProcess(join(dir, 'controller.log'), [
      ...['--kubeconfig', this.kubeconfig, '-n', this.ns, '--cache-dir', this.cacheDir],
      ...['--port', '0', '--bind-address', '127.0.0.1', '--log-level', 'debug'],
      ...['--ledger', `sqlite:${this.ledgerFile}`, '--ledger-checkpoint-configmap', 'none'],
      ...controllerArgs,
    ]);
  }

  /** Writes each app's manifests at `revision`, commits and pushes; returns the commit SHA. */
  async push(apps: readonly string[], revision: string): Promise<string> {
    for (const a of apps) await this.repo.writeFile(`${a}/app.yaml`, appManifests(a, revision));
    await this.repo.commit(`revision ${revision}`);
    await this.repo.push();
    return this.repo.head();
  }

  /** An Application following `path` on main through the proxy, polling every `interval`. */
  async createApp(name: string, interval: string): Promise<void> {
    await this.cluster.apply({
      apiVersion: 'ballast.dev/v1alpha1',
      kind: 'Application',
      metadata: { name, namespace: this.ns },
      spec: {
        source: {
          repoURL: this.proxy.url(this.server.httpUrl('apps')),
          targetRevision: 'main',
          path: name,
          secretRef: { name: 'repo-creds' },
          // The test Git server speaks plain HTTP on loopback.
          insecureAllowHttpCredentials: true,
        },
        destination: { namespace: this.ns },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          drift: 'heal',
          interval,
          // Short retries, so an outage's end is seen within seconds.
          retry: { limit: 100, backoff: { duration: '1s', factor: 2, maxDuration: '2s' } },
        },
      },
    });
  }

  async app(name: string): Promise<Application | undefined> {
    return (await this.cluster.get({
      apiVersion: 'ballast.dev/v1alpha1',
      kind: 'Application',
      metadata: { name, namespace: this.ns },
    })) as Application | undefined;
  }

  async ready(name: string): Promise<Condition | undefined> {
    return (await this.app(name))?.status?.conditions?.find((c) => c.type === 'Ready');
  }

  /** Synced at `sha`, with both objects at `revision`. */
  async syncedAt(name: string, sha: string, revision: string): Promise<boolean> {
    const a = await this.app(name);
    if (a?.status?.sync?.status !== 'Synced' || a.status.sync.revision !== sha) return false;
    return (await this.revisions(name)).every((r) => r === revision);
  }

  /** The revision label of each of the app's objects (undefined for a missing one). */
  async revisions(name: string): Promise<(string | undefined)[]> {
    const objs = await Promise.all([
      this.object('apps/v1', 'Deployment', `${name}-web`),
      this.object('v1', 'ConfigMap', `${name}-config`),
    ]);
    return objs.map((o) => o?.metadata.labels?.[revisionLabel]);
  }

  /** Nothing half-applied: each object of the app is whole at `revision`. */
  async expectWholeAt(name: string, revision: string): Promise<void> {
    expect(await this.revisions(name)).toEqual([revision, revision]);
    const cm = await this.object('v1', 'ConfigMap', `${name}-config`);
    expect(cm?.data).toEqual({ revision });
  }

  object(apiVersion: string, kind: string, name: string): Promise<KubeObject | undefined> {
    return this.cluster.get({ apiVersion, kind, metadata: { name, namespace: this.ns } });
  }

  async replicas(name: string): Promise<number | undefined> {
    const d = await this.object('apps/v1', 'Deployment', `${name}-web`);
    return (d?.spec as { replicas?: number } | undefined)?.replicas;
  }

  /** Asks for a reconcile of these apps now, as `ballast app refresh` does, in one command. */
  async refresh(names: readonly string[]): Promise<void> {
    await this.kubectl(
      'annotate',
      'applications.ballast.dev',
      ...names,
      `ballast.dev/refresh=${Date.now()}`,
      '--overwrite',
    );
  }

  async kubectl(...args: string[]): Promise<string> {
    const r = await run(toolPath('kubectl'), ['-n', this.ns, ...args], {
      env: { KUBECONFIG: this.kubeconfig },
      timeoutMs: 60_000,
    });
    if (r.kind !== 'ok') throw new Error(`kubectl ${args.join(' ')}: ${JSON.stringify(r)}`);
    return r.stdout.toString('utf8');
  }

  /** The ledger's records of one app, read while the controller writes it. */
  async records(name: string): Promise<LedgerRecord[]> {
    const ledger = await openLedger(`sqlite:${this.ledgerFile}`);
    try {
      return await ledger.list({ app: { namespace: this.ns, name } });
    } finally {
      await ledger.close();
    }
  }

  async close(): Promise<void> {
    try {
      await this.controller.stop(3_000);
      await this.cluster.http
        .request('DELETE', `/api/v1/namespaces/${this.ns}`)
        .catch(() => undefined);
      this.cluster.close();
      await this.proxy.stop();
      await this.repo.remove();
      await this.server.stop();
    } finally {
      await this.temp.removeAll();
    }
  }
}
