import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { inject } from 'vitest';
import { applicationCrd } from '../../src/api/application-crd.js';
import type { Application, Condition } from '../../src/api/application.js';
import type { KubeObject } from '../../src/api/object.js';
import { waitForCrds } from '../../src/apply/execute.js';
import type { Cluster } from '../../src/cluster/cluster.js';
import { startDaemon, stopDaemon, type DaemonRecord } from '../../src/dev/daemon.js';
import {
  createBareRepo,
  startGitServer,
  WorkingClone,
  type GitServer,
} from '../../src/dev/git/index.js';
import { repoRoot, toolPath } from '../../src/dev/paths.js';
import { run } from '../../src/exec/run.js';
import { eventually } from './kube.js';
import { clusterFor } from './sync.js';
import { tempDirs, type TempDirs } from './temp.js';

/** `ballast controller` from the built CLI in its own process, as a Pod runs it. */
export interface RunningController {
  daemon: DaemonRecord;
  /** Where /healthz answers. */
  port: number;
  /** The kernel's view of its memory: VmRSS and VmHWM (the peak so far), in bytes. */
  memory(): { rss: number; hwm: number };
  /** A crash: SIGKILL, no shutdown code runs. */
  kill(): void;
  stop(): Promise<void>;
}

/** Milliseconds one GET of /healthz took, answered 200. */
export function healthzLatency(port: number): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) resolve(performance.now() - t0);
        else reject(new Error(`/healthz answered ${String(res.statusCode)}`));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
  return Number(kb) * 1024;
}

/**
 * One test file's namespace on a test cluster, a Git server with one repository, and
 * controller processes limited to that namespace.
 */
export class RenderScenario {
  readonly ns = `rnd-${randomBytes(3).toString('hex')}`;
  readonly temp: TempDirs = tempDirs();
  private readonly processes: DaemonRecord[] = [];

  private constructor(
    readonly kubeconfig: string,
    readonly cluster: Cluster,
    readonly server: GitServer,
    readonly repo: WorkingClone,
  ) {}

  static async create(clusterIndex: number): Promise<RenderScenario> {
    const kubeconfig = inject('controlPlane').clusters[clusterIndex]?.kubeconfig ?? '';
    const cluster = clusterFor(kubeconfig);
    const token = `tok_${randomBytes(12).toString('hex')}`;
    const server = await startGitServer({
      auth: { users: [], tokens: [token] },
      allowPush: true,
      ssh: false,
    });
    await createBareRepo(server, 'apps');
    const access = { kind: 'bearer' as const, token };
    const repo = await WorkingClone.clone({ url: server.httpUrl('apps'), access });
    const s = new RenderScenario(kubeconfig, cluster, server, repo);
    await waitForCrds(cluster, [await cluster.apply(applicationCrd())], 30_000);
    await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: s.ns } });
    await cluster.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'repo-creds', namespace: s.ns },
      data: { token: Buffer.from(token).toString('base64') },
    });
    return s;
  }

  /** Commits and pushes these files (path → text). */
  async push(files: Record<string, string>, message = 'files'): Promise<void> {
    for (const [path, text] of Object.entries(files)) await this.repo.writeFile(path, text);
    await this.repo.commit(message);
    await this.repo.push();
  }

  /** Starts a controller on the namespace; `env` is all the environment it gets beyond PATH and HOME. */
  async startController(env: Record<string, string> = {}): Promise<RunningController> {
    const dir = await this.temp.make('ballast-render-ctl-');
    const log = join(dir, 'controller.log');
    const main = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
    const args = [
      ...[main, 'controller', '--kubeconfig', this.kubeconfig, '-n', this.ns],
      ...['--cache-dir', join(dir, 'cache'), '--port', '0', '--bind-address', '127.0.0.1'],
      ...['--ledger', 'none'],
    ];
    const daemon = startDaemon('ballast-controller', process.execPath, args, log, env);
    this.processes.push(daemon);
    let port = 0;
    await eventually('the controller serves /healthz and has started', 30_000, async () => {
      const lines = (await readFile(log, 'utf8').catch(() => ''))
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg?: string; port?: number });
      port = lines.find((l) => l.msg?.startsWith('serving /healthz'))?.port ?? 0;
      return port > 0 && lines.some((l) => l.msg === 'controller started');
    });
    return {
      daemon,
      port,
      memory: () => ({
        rss: statusBytes(daemon.pid, 'VmRSS'),
        hwm: statusBytes(daemon.pid, 'VmHWM'),
      }),
      kill: () => {
        try {
          process.kill(-daemon.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      },
      stop: () => stopDaemon(daemon, 5_000),
    };
  }

  /** An Application reading `path` of the repository, synced and healed automatically. */
  application(name: string, path: string, spec: Record<string, unknown> = {}): KubeObject {
    return {
      apiVersion: 'ballast.dev/v1alpha1',
      kind: 'Application',
      metadata: { name, namespace: this.ns },
      spec: {
        source: {
          repoURL: this.server.httpUrl('apps'),
          targetRevision: 'main',
          path,
          secretRef: { name: 'repo-creds' },
          // The test's Git server listens on loopback http://.
          insecureAllowHttpCredentials: true,
        },
        destination: { namespace: this.ns },
        syncPolicy: { automated: { prune: true, selfHeal: true }, drift: 'heal', interval: '1h' },
        ...spec,
      },
    };
  }

  async ready(name: string): Promise<Condition | undefined> {
    const app = (await this.cluster.get({
      apiVersion: 'ballast.dev/v1alpha1',
      kind: 'Application',
      metadata: { name, namespace: this.ns },
    })) as Application | undefined;
    return app?.status?.conditions?.find((c) => c.type === 'Ready');
  }

  get(apiVersion: string, kind: string, name: string): Promise<KubeObject | undefined> {
    return this.cluster.get({ apiVersion, kind, metadata: { name, namespace: this.ns } });
  }

  async kubectl(...args: string[]): Promise<string> {
    const r = await run(toolPath('kubectl'), args, {
      env: { KUBECONFIG: this.kubeconfig },
      timeoutMs: 60_000,
    });
    if (r.kind !== 'ok') throw new Error(`kubectl ${args.join(' ')}: ${JSON.stringify(r)}`);
    return r.stdout.toString('utf8');
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.splice(0).map((d) => stopDaemon(d, 15_000)));
    await this.kubectl('delete', 'namespace', this.ns, '--wait=false').catch(() => undefined);
    this.cluster.close();
    await this.repo.remove();
    await this.server.stop();
    await this.temp.removeAll();
  }
}
