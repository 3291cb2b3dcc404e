import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { Cluster } from '../cluster/cluster.js';
import { Controller, defaultControllerOptions, managedWatches } from '../reconcile/controller.js';
import { LeaderElector } from '../reconcile/leader.js';
import { defaultSourceOptions, GitSource } from '../source/source.js';
import { sourceCacheDir } from './source-args.js';

interface ControllerFlags {
  kubeconfig?: string;
  context?: string;
  workers: string;
  port: string;
  cacheDir?: string;
  leaderElect: boolean;
  leaseNamespace: string;
  namespace?: string;
  webhookSecretFile?: string;
  bindAddress: string;
}

/** One JSON object per line on stdout, as log collectors expect. */
function jsonLog(fields: Record<string, unknown>, msg: string): void {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), msg, ...fields }) + '\n');
}

export function registerController(program: Command): void {
  program
    .command('controller')
    .description('reconcile Applications continuously and revert drift')
    .option('--kubeconfig <file>', 'kubeconfig file (in-cluster config when unset)')
    .option('--context <name>', 'kubeconfig context')
    .option('--workers <n>', 'Applications reconciled at once', '4')
    .option('--port <port>', 'port of /healthz, /readyz and /metrics', '8080')
    .option('--bind-address <ip>', 'address of the HTTP server', '0.0.0.0')
    .option('--cache-dir <dir>', 'Git mirror and tree cache')
    .option('--leader-elect', 'run only while holding the ballast-controller Lease', false)
    .option('--lease-namespace <ns>', 'namespace of the Lease', 'ballast-system')
    .option('-n, --namespace <ns>', 'only Applications in this namespace (default: all)')
    .option(
      '--webhook-secret-file <file>',
      'enable POST /hooks/{github,gitlab,gitea,generic} with this shared secret',
    )
    .action(async (f: ControllerFlags) => {
      const cluster = Cluster.connect({
        ...(f.kubeconfig === undefined ? {} : { kubeconfig: f.kubeconfig }),
        ...(f.context === undefined ? {} : { context: f.context }),
      });
      const source = new GitSource(
        defaultSourceOptions(f.cacheDir ?? join(sourceCacheDir(), 'controller')),
      );
      const controller = new Controller(
        {
          cluster,
          source,
          watches: managedWatches(cluster, (e) => {
            jsonLog({ err: e.message }, 'watch error');
          }),
        },
        {
          ...defaultControllerOptions(),
          workers: Number(f.workers),
          httpPort: Number(f.port),
          httpHost: f.bindAddress,
          namespace: f.namespace,
          webhookSecret:
            f.webhookSecretFile === undefined
              ? undefined
              : (await readFile(f.webhookSecretFile, 'utf8')).trim(),
          log: jsonLog,
        },
      );
      const identity = `${hostname()}-${process.pid}`;
      let elector: LeaderElector | undefined;
      if (f.leaderElect) {
        elector = LeaderElector.start(cluster.http, {
          leaseName: 'ballast-controller',
          namespace: f.leaseNamespace,
          identity,
          onStartedLeading: () => {
            jsonLog({ identity }, 'started leading');
            void controller.start();
          },
          onStoppedLeading: () => {
            jsonLog({ identity }, 'stopped leading; exiting so a fresh process campaigns again');
            process.exit(1);
          },
        });
      } else {
        const { port } = await controller.start();
        jsonLog({ port }, 'controller started');
      }
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      jsonLog({}, 'shutting down');
      await controller.stop();
      await elector?.release();
      cluster.close();
    });
}
