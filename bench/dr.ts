import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Application } from '../src/api/application.js';
import { Cluster } from '../src/cluster/cluster.js';
import { isRunning, logTail, type DaemonRecord } from '../src/dev/daemon.js';
import {
  agentArgs,
  agentRole,
  prepareSpoke,
  trustedKeysSecret,
  type DevSpoke,
} from '../src/dev/fleet.js';
import { freePort } from '../src/dev/ports.js';
import { ensureTools } from '../src/dev/tools.js';
import { controlPlaneTools } from '../src/dev/versions.js';
import { defaultAgentNamespace } from '../src/fleet/agent/index.js';
import { defaultFleetNamespace } from '../src/fleet/names.js';
import {
  createRegistrationToken,
  deregisterCluster,
  type RegistrationToken,
} from '../src/fleet/registration/index.js';
import { FleetWorld } from '../test/support/fleet-world.js';
import { app, appFiles, appText, expectAllApplied, units } from './dr-app.js';
import { heartbeatMs, loseSpoke, printLosses, type Loss } from './dr-loss.js';
import {
  logLines,
  loggedAt,
  out,
  poll,
  reconcileOf,
  sec,
  startFreshCluster,
  startRecorded,
  stateOf,
  type FreshCluster,
  type Phases,
} from './dr-spoke.js';
import { percentile, settle, sleep } from './timing.js';

const runs = Number(process.env.BALLAST_BENCH_RUNS ?? '3');
const lossRuns = Number(process.env.BALLAST_BENCH_LOSS_RUNS ?? '3');
const spokes = Number(process.env.BALLAST_BENCH_SPOKES ?? '2');
/** What the placement selects: the existing spokes have it, and the new one is given it. */
const placed = { tier: 'prod' };

/** Waits for the control plane and every process on it to go quiet; how long that took. */
async function quiet(stateDir: string): Promise<number> {
  const s = await stateOf(stateDir);
  const daemons = [s.etcd.daemon, ...s.clusters.flatMap((c) => c.daemons)];
  return settle(
    daemons.filter(isRunning).map((d) => d.pid),
    60_000,
  );
}

interface Recovery {
  totalMs: number;
  phases: Phases;
  note: string;
}

async function failIfExited(d: DaemonRecord): Promise<void> {
  if (!isRunning(d)) throw new Error(`${d.role} exited; its log ends:\n${await logTail(d, 30)}`);
}

/**
 * A brand-new cluster joins the fleet: `ballast agent` registers it with the token (key, CSR,
 * the hub's registrar approves), the bench labels its Cluster the moment it appears (as an
 * operator's automation would), the hub places the app there, the agent applies it. Timed
 * from the agent's start until the hub shows its Assignment Synced and Healthy.
 */
async function recoverWithAgent(
  w: FleetWorld,
  fresh: FreshCluster,
  name: string,
  sha: string,
  tokenFile: string,
): Promise<Recovery> {
  const spoke: DevSpoke = {
    name,
    devCluster: fresh.state.name,
    kubeconfig: fresh.state.kubeconfig,
    labels: placed,
  };
  await prepareSpoke(w.options, spoke);
  const settled = await quiet(w.state);
  const argv = [
    ...w.options.ballast,
    ...agentArgs(w.options, await stateOf(w.state), spoke, tokenFile),
    ...['--ledger', `sqlite:${join(fresh.dir, 'agent-ledger.db')}`],
  ];
  const log = join(fresh.dir, `${agentRole}.log`);
  const t0 = Date.now();
  const agent = await startRecorded(w.state, spoke.devCluster, agentRole, argv, log);
  let labelledAt: number | undefined;
  await poll(
    `${name}: Assignment Synced and Healthy`,
    async () => {
      await failIfExited(agent);
      if (labelledAt === undefined && (await w.clusterOf(name)) !== undefined) {
        await w.label(name, placed);
        labelledAt = Date.now();
      }
      return labelledAt !== undefined && w.syncedAt(name, app, sha);
    },
    300_000,
  );
  const healthyAt = Date.now();
  await expectAllApplied(spoke.kubeconfig);
  const lines = await logLines(log);
  const registeredAt = loggedAt(
    lines.find((l) => l.msg === 'holding a hub identity'),
    'holding a hub identity',
  );
  const mirroredAt = loggedAt(
    lines.find((l) => l.msg === 'mirrored'),
    'mirrored',
  );
  const r = reconcileOf(lines, sha);
  return {
    totalMs: healthyAt - t0,
    phases: [
      ['register', registeredAt - t0],
      ['place', mirroredAt - registeredAt],
      ['queue', r.startedAt - mirroredAt],
      ...r.stages,
      ['health', healthyAt - r.endedAt],
    ],
    note: `Cluster labelled ${sec((labelledAt ?? NaN) - t0)} after the start; quiet after ${sec(settled)}`,
  };
}

/**
 * The baseline: the same brand-new cluster rebuilt by a plain `ballast controller` from one
 * Application of the same path, commit, verification and variables, already in place when it
 * starts (no hub, no registration). Timed from its start until the Application is Synced and
 * Healthy at the commit.
 */
async function recoverWithController(
  w: FleetWorld,
  fresh: FreshCluster,
  sha: string,
): Promise<Recovery> {
  const kubeconfig = fresh.state.kubeconfig;
  // The agent's setup (the Application CRD, the trusted keys in the agent's namespace).
  const spoke = { name: 'baseline', devCluster: fresh.state.name, kubeconfig, labels: placed };
  await prepareSpoke(w.options, spoke);
  const c = Cluster.connect({ kubeconfig });
  const ref = { apiVersion: 'ballast.dev/v1alpha1', kind: 'Application' };
  const metadata = { name: app, namespace: defaultAgentNamespace };
  try {
    await c.apply({
      ...ref,
      metadata,
      spec: {
        source: { repoURL: w.repoURL, targetRevision: sha, path: app },
        destination: { namespace: app },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          interval: '10s',
          syncOptions: { createNamespace: true },
          pruneOnDelete: true,
        },
        verification: {
          mode: 'head',
          secretRef: { name: trustedKeysSecret },
          fastForwardOnly: true,
        },
        postBuild: { substitute: { cluster_name: 'baseline' } },
      },
    });
    const settled = await quiet(w.state);
    const log = join(fresh.dir, 'ballast-controller.log');
    const argv = [
      ...w.options.ballast,
      ...['controller', '--kubeconfig', kubeconfig, '-n', defaultAgentNamespace],
      ...['--port', String(await freePort()), '--cache-dir', join(fresh.dir, 'controller-cache')],
      ...['--ledger', `sqlite:${join(fresh.dir, 'controller-ledger.db')}`],
    ];
    const t0 = Date.now();
    const controller = await startRecorded(
      w.state,
      fresh.state.name,
      'ballast-controller',
      argv,
      log,
    );
    await poll(
      'the baseline Application Synced and Healthy',
      async () => {
        await failIfExited(controller);
        const a = (await c.get({ ...ref, metadata })) as Application | undefined;
        const s = a?.status;
        return (
          s?.observedGeneration === a?.metadata.generation &&
          s?.sync?.status === 'Synced' &&
          s.sync.revision === sha &&
          s.health?.status === 'Healthy'
        );
      },
      300_000,
    );
    const healthyAt = Date.now();
    await expectAllApplied(kubeconfig);
    const r = reconcileOf(await logLines(log), sha);
    return {
      totalMs: healthyAt - t0,
      phases: [['start', r.startedAt - t0], ...r.stages, ['health', healthyAt - r.endedAt]],
      note: `quiet after ${sec(settled)}`,
    };
  } finally {
    c.close();
  }
}

const phaseText = (p: Phases): string => p.map(([k, ms]) => `${k} ${sec(ms)}`).join(', ');

/** The median of each phase over the runs (so they need not add up to the median total). */
function medianPhases(all: readonly Phases[]): Phases {
  const first = all[0] ?? [];
  return first.map(([k], i) => [
    k,
    percentile(
      all.map((p) => p[i]?.[1] ?? NaN),
      50,
    ),
  ]);
}

/** The app on the existing spokes, then a token for the new ones. */
async function setUp(w: FleetWorld): Promise<{ sha: string; token: RegistrationToken }> {
  for (const s of w.fleet.spokes) await w.label(s.name, placed);
  const sha = await w.commit(appFiles(), `${app}: ${units * 10} objects`);
  const t0 = performance.now();
  await w.fleetApp(app, app, { clusterSelector: { matchLabels: placed } });
  const names = w.fleet.spokes.map((s) => s.name);
  await poll(
    'the app Synced and Healthy on the existing spokes',
    async () => (await Promise.all(names.map((n) => w.syncedAt(n, app, sha)))).every(Boolean),
    600_000,
  );
  out(
    `  the app Synced and Healthy on the ${spokes} existing spokes in ${sec(performance.now() - t0)}`,
  );
  const token = await createRegistrationToken(w.hub, { ttlSeconds: 3600 });
  return { sha, token };
}

/** The machine's load, which other work on it (not this bench's alone) makes. */
const load = (): string =>
  `load average ${loadavg()[0]?.toFixed(1) ?? '?'} on ${cpus().length} cores`;

/** Run `i`: a fresh cluster for the fleet and one for the baseline, the order alternating. */
async function recoverBoth(
  w: FleetWorld,
  i: number,
  sha: string,
  tokenFile: string,
): Promise<[Recovery, Recovery]> {
  const fleet = async (): Promise<Recovery> => {
    const up = performance.now();
    const fresh = await startFreshCluster(w.state, `cluster-dr-${i}`, 100 + 2 * i);
    const note = `cluster up in ${sec(performance.now() - up)}, untimed; `;
    try {
      const r = await recoverWithAgent(w, fresh, `dr-${i}`, sha, tokenFile);
      return { ...r, note: `${note}${r.note}; ${load()}` };
    } finally {
      await fresh.stop();
      // Its Cluster, namespace and RBAC go, so the hub stops placing and judging it.
      await deregisterCluster(w.hub, `dr-${i}`);
    }
  };
  const baseline = async (): Promise<Recovery> => {
    const up = performance.now();
    const fresh = await startFreshCluster(w.state, `cluster-base-${i}`, 101 + 2 * i);
    const note = `cluster up in ${sec(performance.now() - up)}, untimed; `;
    try {
      const r = await recoverWithController(w, fresh, sha);
      return { ...r, note: `${note}${r.note}; ${load()}` };
    } finally {
      await fresh.stop();
    }
  };
  if (i % 2 === 1) return [await fleet(), await baseline()];
  const b = await baseline();
  return [await fleet(), b];
}

function printRecoveries(fleet: readonly Recovery[], base: readonly Recovery[]): void {
  const total = (rs: readonly Recovery[]): number =>
    percentile(
      rs.map((r) => r.totalMs),
      50,
    );
  const list = (rs: readonly Recovery[]): string => rs.map((r) => sec(r.totalMs)).join(', ');
  out(
    `  new spoke, \`ballast agent\` started → all ${units * 10} objects applied and its Assignment Synced and Healthy on the hub: median ${sec(total(fleet))} (goal < 60 s; runs ${list(fleet)})`,
  );
  out(`    median of each phase: ${phaseText(medianPhases(fleet.map((r) => r.phases)))}`);
  out(
    `  baseline, \`ballast controller\` started on a brand-new cluster with the same Application in place → Synced and Healthy: median ${sec(total(base))} (runs ${list(base)})`,
  );
  out(`    median of each phase: ${phaseText(medianPhases(base.map((r) => r.phases)))}`);
  const fleetOnly = fleet.map((r) =>
    r.phases
      .filter(([k]) => ['register', 'place', 'queue'].includes(k))
      .reduce((s, [, ms]) => s + ms, 0),
  );
  // Each run's two legs ran back to back, under the same load from whatever else the machine runs.
  const paired = fleet.map((f, i) => f.totalMs / (base[i]?.totalMs ?? NaN));
  out(
    `  fleet/baseline: of the medians ${(total(fleet) / total(base)).toFixed(2)}; per run ${paired.map((x) => x.toFixed(2)).join(', ')}, median ${percentile(paired, 50).toFixed(2)}; the fleet's own steps (register + place + queue): median ${sec(percentile(fleetOnly, 50))}`,
  );
}

/**
 * Disaster recovery. A hub and `spokes` spokes from `ballast dev fleet` (agents as processes,
 * verifying signed commits) run a FleetApplication of 1000 objects; then, `runs` times, a
 * brand-new cluster is started and joins the fleet, timed from `ballast agent` starting until
 * the app is applied and Healthy there, split by phase; baseline, in the same run: a plain
 * `ballast controller` rebuilding another brand-new cluster from the same commit. Last, a
 * spoke's agent is SIGKILLed: time to Ready=False on the hub, and from its restart to True.
 */
export async function benchDr(): Promise<void> {
  await ensureTools(controlPlaneTools, out);
  const t0 = performance.now();
  const w = await FleetWorld.start(spokes, heartbeatMs);
  let token: RegistrationToken | undefined;
  try {
    out(
      `  layout: hub and ${spokes} spokes from \`ballast dev fleet\` (up in ${sec(performance.now() - t0)}), agents as processes, all apiservers on one etcd; each run starts a brand-new cluster (kube-apiserver on a fresh etcd prefix, controller-manager, scheduler, kwok, 1 node)`,
    );
    out(`  app: ${appText}; placement: tier=prod`);
    const setup = await setUp(w);
    token = setup.token;
    const tokenFile = join(w.state, 'dr-registration-token');
    await writeFile(tokenFile, token.token + '\n', { mode: 0o600 });
    const fleet: Recovery[] = [];
    const base: Recovery[] = [];
    for (let i = 1; i <= runs; i++) {
      const [f, b] = await recoverBoth(w, i, setup.sha, tokenFile);
      fleet.push(f);
      base.push(b);
      out(
        `  run ${i} (${i % 2 === 1 ? 'fleet' : 'baseline'} first): new spoke ${sec(f.totalMs)} [${phaseText(f.phases)}] (${f.note}); baseline ${sec(b.totalMs)} [${phaseText(b.phases)}] (${b.note})`,
      );
    }
    printRecoveries(fleet, base);
    const spoke = w.fleet.spokes[0];
    if (spoke === undefined) throw new Error('BALLAST_BENCH_SPOKES must be at least 1');
    const losses: Loss[] = [];
    for (let i = 0; i < lossRuns; i++) {
      // A kill at a random point of the renewal interval, as a crash would come.
      await sleep(Math.random() * (heartbeatMs / 3));
      losses.push(await loseSpoke(w, spoke));
    }
    printLosses(losses);
  } finally {
    if (token !== undefined)
      await w.hub.http.request(
        'DELETE',
        `/api/v1/namespaces/${defaultFleetNamespace}/secrets/${token.secret}`,
      );
    await w.close();
  }
}
