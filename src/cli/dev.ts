import type { Command } from 'commander';
import { devDown, devStatus, devUp, defaultUpOptions } from '../dev/controlplane.js';
import { defaultFleetOptions, devFleet, type DevFleet } from '../dev/fleet.js';
import { join } from 'node:path';
import { absolute, defaultStateDir, pathTools, toolDir } from '../dev/paths.js';
import { ensureTools } from '../dev/tools.js';
import { toolVersions, type ToolName } from '../dev/versions.js';
import { registerDevGit } from './dev-git.js';
import { clusterTable } from './fleet-format.js';
import { durationOption } from './options.js';
import { collectPrefixes, parseInteger } from './parse.js';
import { table } from './table.js';

const say = (line: string): void => {
  process.stdout.write(line + '\n');
};

function usage(state: string, clusters: number): string {
  const ctx = Array.from({ length: clusters }, (_, i) => `cluster-${i + 1}`).join(', ');
  return [
    `Kubeconfig: ${state}/kubeconfig (contexts ${ctx}; current cluster-1)`,
    `  export KUBECONFIG=${state}/kubeconfig`,
    `  kubectl get nodes          # or: ${state}/cluster-1/kubeconfig for one cluster`,
    `Stop it with: ballast dev down --state ${state}`,
  ].join('\n');
}

function fleetUsage(state: string, f: DevFleet, verified: boolean): string {
  const hub = f.hub.kubeconfig;
  const spokes = f.spokes.map((s) => `${s.name} on ${s.devCluster}`).join(', ');
  return [
    `Hub: cluster-1 (${f.hub.server}); spokes: ${spokes}.`,
    `  ballast fleet clusters --kubeconfig ${hub}`,
    `  kubectl --kubeconfig ${hub} apply -f fleetapp.yaml   # a FleetApplication, e.g.:`,
    '    apiVersion: ballast.dev/v1alpha1',
    '    kind: FleetApplication',
    '    metadata: {name: web, namespace: ballast-fleet}',
    '    spec:',
    '      template:',
    '        source: {repoURL: http://127.0.0.1:PORT/apps.git, targetRevision: main, path: web}',
    '        destination: {namespace: web}',
    '        syncPolicy: {automated: {prune: true, selfHeal: true}, syncOptions: {createNamespace: true}}',
    '      placement: {clusterSelector: {matchLabels: {region: eu}}}',
    `  ballast fleet status web --kubeconfig ${hub}`,
    `Push webhook of the hub: POST ${f.hub.webhook.url} with {"repoURL": URL} signed as X-Ballast-Signature: sha256=HMAC (secret in ${f.hub.webhook.secretFile}); else the hub fetches every spec.template.syncPolicy.interval.`,
    '  Manifests may use ${cluster_name} and ${cluster_label_region}.',
    verified
      ? 'Agents apply only commits signed by the --trusted-keys keys (Secret ballast-trusted-keys in ballast-agent).'
      : 'Agents run with --verification-mode none (trusting the hub): pass --trusted-keys FILE.asc to verify commits.',
    `Logs: ${state}/cluster-1/ballast-hub.log, ${state}/cluster-N/ballast-agent.log`,
    `Stop it all with: ballast dev down --state ${state}`,
  ].join('\n');
}

function registerDevFleet(dev: Command, stateOpt: readonly [string, string, string]): void {
  const d = defaultFleetOptions('');
  const cmd = dev
    .command('fleet')
    .description(
      'make cluster-1 a fleet hub and the next N clusters its spokes, each with `ballast agent` registered as a local process',
    )
    .requiredOption('--spokes <n>', 'spoke clusters', parseInteger({ min: 1, max: 63 }))
    .option(
      '--trusted-keys <file>',
      'public keys the agents verify commits with (*.asc OpenPGP, *.pub SSH allowed signers); unset: no verification',
    )
    .option(
      '--allowed-repos <prefix,...>',
      'URL prefixes the agents fetch from and send Git credentials to (repeatable), e.g. http://127.0.0.1:PORT/ of the dev Git server; unset: only anonymous sources',
      collectPrefixes,
    )
    .option(...stateOpt);
  durationOption(
    cmd,
    '--heartbeat-timeout <d>',
    "the hub's heartbeat timeout",
    d.heartbeatTimeoutMs,
  );
  cmd.action(
    async (o: {
      spokes: number;
      trustedKeys?: string;
      allowedRepos?: string[];
      state: string;
      heartbeatTimeout: number;
    }) => {
      const stateDir = absolute(o.state);
      const f = await devFleet({
        ...defaultFleetOptions(stateDir),
        spokes: o.spokes,
        trustedKeysFile: o.trustedKeys === undefined ? undefined : absolute(o.trustedKeys),
        allowedRepos: o.allowedRepos ?? [],
        heartbeatTimeoutMs: o.heartbeatTimeout,
        log: say,
      });
      say(`Fleet up: ${f.clusters.length} spoke(s) registered and Ready.\n`);
      say(clusterTable(f.clusters, { width: 'normal', now: Date.now() }));
      say('');
      say(fleetUsage(stateDir, f, o.trustedKeys !== undefined));
    },
  );
}

export function registerDev(program: Command): void {
  const dev = program
    .command('dev')
    .description('a local Kubernetes control plane built from upstream sources');
  const stateOpt = ['--state <dir>', 'state directory', defaultStateDir()] as const;

  dev
    .command('up')
    .description('start etcd and N clusters (apiserver, controller-manager, scheduler, kwok nodes)')
    .option('--clusters <n>', 'clusters sharing one etcd', parseInteger({ min: 1, max: 64 }), 1)
    .option('--nodes <n>', 'fake nodes per cluster', parseInteger({ min: 1, max: 100 }), 1)
    .option(
      '--port-base <port>',
      'use ports from here on instead of free ones',
      parseInteger({ min: 1, max: 65_000 }),
    )
    .option(...stateOpt)
    .action(async (o: { clusters: number; nodes: number; portBase?: number; state: string }) => {
      const stateDir = absolute(o.state);
      const r = await devUp({
        ...defaultUpOptions(stateDir),
        clusters: o.clusters,
        nodesPerCluster: o.nodes,
        ...(o.portBase === undefined ? {} : { portBase: o.portBase }),
        log: say,
      });
      if (r.kind === 'already-up')
        say(`Already up: ${r.state.clusters.length} cluster(s) in ${stateDir}.`);
      else
        say(
          `Up in ${(r.tookMs / 1000).toFixed(1)} s: ${r.state.clusters.length} cluster(s), nodes Ready.`,
        );
      say(usage(stateDir, r.state.clusters.length));
    });

  dev
    .command('down')
    .description('stop every process `dev up` started and remove its state')
    .option(...stateOpt)
    .action(async (o: { state: string }) => {
      const r = await devDown(absolute(o.state));
      say(r.kind === 'not-running' ? 'Nothing is running.' : `Stopped ${r.processes} processes.`);
    });

  dev
    .command('status')
    .description('show what runs')
    .option(...stateOpt)
    .action(async (o: { state: string }) => {
      const r = await devStatus(absolute(o.state));
      if (r.kind === 'not-running') {
        say('Nothing is running.');
        return;
      }
      const rows = r.rows.map((x) => [
        x.cluster,
        x.role,
        String(x.pid),
        x.running ? 'Running' : 'Exited',
        x.rssKiB === undefined ? '-' : `${Math.round(x.rssKiB / 1024)}Mi`,
        x.endpoint,
      ]);
      say(table(['CLUSTER', 'COMPONENT', 'PID', 'STATUS', 'RSS', 'ENDPOINT'], rows));
      say(`\nKubeconfig: ${r.state.kubeconfig}`);
      if (r.rows.some((x) => !x.running)) process.exitCode = 1;
    });

  dev
    .command('env')
    .description('print shell exports for the dev clusters: eval "$(ballast dev env)"')
    .option(...stateOpt)
    .action((o: { state: string }) => {
      const stateDir = absolute(o.state);
      say(`export KUBECONFIG=${join(stateDir, 'kubeconfig')}`);
      say(`export PATH=${pathTools.map(toolDir).join(':')}:$PATH`);
    });

  registerDevGit(dev);
  registerDevFleet(dev, stateOpt);

  dev
    .command('tools')
    .description('build the pinned upstream tools (control plane, kubectl, helm, kustomize, sops)')
    .action(async () => {
      await ensureTools(Object.keys(toolVersions) as ToolName[], say);
      say('All tools are built.');
    });
}
