import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whoAmI } from '../../src/cluster/whoami.js';
import type { FleetApplication } from '../../src/fleet/fleet-application.js';
import { runCli } from '../support/cli.js';
import { webApp } from '../support/fleet-app.js';
import {
  describeWaves,
  healthyAt,
  recordRollout,
  rolloutRecords,
  type Reached,
} from '../support/fleet-rollout.js';
import { appNamespace, FleetWorld } from '../support/fleet-world.js';
import { eventually } from '../support/kube.js';

/*
 * Progressive rollout end to end (issue 18, acceptance 1-5): `ballast dev fleet` with a hub and
 * six spokes on a control plane of this file's own, `ballast hub` and each `ballast agent` as
 * processes, agents verifying signed commits from the real Git server, and kwok failing the
 * Pods of a `:broken` image. Waves: canary (spoke-1), wave-2 (spoke-2, spoke-3), and the
 * clusters in no group (spoke-4 … spoke-6), two at a time.
 */

const spokes = ['spoke-1', 'spoke-2', 'spoke-3', 'spoke-4', 'spoke-5', 'spoke-6'];
const waves = [['spoke-1'], ['spoke-2', 'spoke-3'], ['spoke-4', 'spoke-5', 'spoke-6']] as const;
const waveNames = ['canary', 'wave-2', '(rest)'];
const [canary, wave2, rest] = waves;
const later = spokes.filter((s) => s !== 'spoke-1');
/** The wait of steps 1-3, in ms: long enough to tell from no wait at all. */
const minSuccessMs = 3_000;
const progressDeadline = '30s';
const progressDeadlineMs = 30_000;

let w: FleetWorld;
/** Who the apiserver says the hub kubeconfig's user is. */
let user = '';
/** The recorded waves, printed once at the end for the record. */
const timeline: string[] = [];
/** The signed commits, by the value their ConfigMap carries. */
const sha = { v1: '', v2: '', v3: '', v4: '', v5: '' };

const web = (value: string, image: string): string => webApp({ value }, image);

async function applyWeb(minSuccessTime: string): Promise<void> {
  await w.hub.apply({
    apiVersion: 'ballast.dev/v1alpha1',
    kind: 'FleetApplication',
    metadata: { name: 'web', namespace: appNamespace },
    spec: {
      template: {
        source: { repoURL: w.repoURL, targetRevision: 'main', path: 'web' },
        destination: { namespace: 'web' },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          interval: '10s',
          syncOptions: { createNamespace: true },
        },
      },
      placement: { clusterSelector: { matchExpressions: [{ key: 'region', operator: 'Exists' }] } },
      rollout: {
        strategy: 'progressive',
        groups: [
          { name: 'canary', clusterSelector: { matchLabels: { ring: 'canary' } } },
          { name: 'wave-2', clusterSelector: { matchLabels: { ring: 'wave-2' } } },
        ],
        maxConcurrency: 2,
        maxFailures: 0,
        progressDeadline,
        minSuccessTime,
      },
    },
  });
}

const fleetApp = async (): Promise<FleetApplication> => {
  const a = await w.fleetAppOf('web');
  if (a === undefined) throw new Error('FleetApplication web is gone');
  return a;
};
const rolloutOf = async () => (await fleetApp()).status?.rollout;

async function rollout(action: string, ...extra: string[]): Promise<string> {
  const r = await runCli([
    ...['fleet', 'rollout', action, 'web', '-n', appNamespace],
    ...['--kubeconfig', w.fleet.hub.kubeconfig, ...extra],
  ]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** What the spoke runs: the Deployment's image and the ConfigMap's value. */
async function running(spoke: string): Promise<{ image: unknown; value: unknown }> {
  const d = await w.spokeObject(spoke, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'web' },
  });
  const spec = d?.['spec'] as
    { template?: { spec?: { containers?: { image?: string }[] } } } | undefined;
  return {
    image: spec?.template?.spec?.containers?.[0]?.image,
    value: (await w.configMap(spoke, 'web', 'settings'))?.['value'],
  };
}

const pinnedTo = async (cluster: string): Promise<string | undefined> =>
  (await w.assignment(cluster, 'web'))?.spec.revision;

/**
 * Each wave started only once every cluster of the one before had been Healthy for
 * `minMs` (the hub saw it no earlier than the spoke's sync finished), and in the last wave of
 * three with maxConcurrency 2 the third started only once one of the first two was done.
 */
function expectWaves(reached: ReadonlyMap<string, Reached>, minMs: number): void {
  const r = (c: string): Reached => reached.get(c) as Reached;
  for (let i = 1; i < waves.length; i++) {
    const before = waves[i - 1] as readonly string[];
    const wave = waves[i] as readonly string[];
    const doneNoEarlier = Math.max(...before.map((c) => r(c).appliedAtMs)) + minMs;
    const started = Math.min(...wave.map((c) => r(c).pinnedAtMs));
    expect(started, `${waveNames[i]} started too early`).toBeGreaterThanOrEqual(doneNoEarlier);
  }
  const [a, b, c] = rest.map(r).sort((x, y) => x.pinnedAtMs - y.pinnedAtMs) as [
    Reached,
    Reached,
    Reached,
  ];
  expect(c.pinnedAtMs, 'a third cluster of (rest) started').toBeGreaterThanOrEqual(
    Math.min(a.appliedAtMs, b.appliedAtMs) + minMs,
  );
}

/** The FleetApplication's rollout phases as they change, until stopped. */
function watchPhases(): { stop(): Promise<string[]> } {
  const seen: string[] = [];
  const state = { on: true };
  const look = async (): Promise<void> => {
    const r = await rolloutOf();
    const now = r === undefined ? 'none' : `${r.revision} ${r.phase}`;
    if (seen.at(-1) !== now) seen.push(now);
  };
  const loop = (async () => {
    while (state.on) {
      await look();
      await new Promise((res) => setTimeout(res, 100));
    }
  })();
  return {
    stop: async () => {
      state.on = false;
      await loop;
      // One look more: the phase the caller waited for may have come after the last one.
      await look();
      return seen;
    },
  };
}

const ledgerHas = (
  what: string,
  match: (r: Awaited<ReturnType<typeof rolloutRecords>>[number]) => boolean,
) =>
  eventually(`the hub ledger records ${what}`, 30_000, async () =>
    (await rolloutRecords(w, 'web')).some(match),
  );

beforeAll(async () => {
  w = await FleetWorld.start(spokes.length, 30_000);
  user = await whoAmI(w.hub);
  for (const c of canary) await w.label(c, { ring: 'canary' });
  for (const c of wave2) await w.label(c, { ring: 'wave-2' });
  // The first commit goes out wave by wave too, without waiting between them.
  await applyWeb('0s');
  sha.v1 = await w.commit({ 'web/all.yaml': web('v1', 'nginx:1.27') }, 'v1');
  await recordRollout(w, 'web', sha.v1, spokes, 120_000);
  await eventually('the rollout of v1 is Complete', 30_000, async () => {
    const r = await rolloutOf();
    return r?.revision === sha.v1 && r.phase === 'Complete';
  });
}, 300_000);

afterAll(async () => {
  console.log(timeline.join('\n'));
  await w.close();
}, 120_000);

describe('a progressive rollout over a hub and six spokes', () => {
  it('rolls a good commit out wave by wave, each wave waiting until the one before has been Healthy for minSuccessTime', async () => {
    await applyWeb(`${minSuccessMs / 1000}s`);
    const t0 = Date.now();
    let laterWhileCanary: unknown;
    sha.v2 = await w.commit({ 'web/all.yaml': web('v2', 'nginx:1.27') }, 'v2');
    const reached = await recordRollout(w, 'web', sha.v2, spokes, 90_000, async (c) => {
      expect(c).toBe('spoke-1');
      // Clusters not yet reached keep the previous commit, on the spoke itself.
      laterWhileCanary = (await running('spoke-6')).value;
    });
    expect(laterWhileCanary).toBe('v1');
    expectWaves(reached, minSuccessMs);
    timeline.push(
      `waves of v2 ${sha.v2.slice(0, 7)} (maxConcurrency 2, minSuccessTime ${minSuccessMs / 1000}s), seconds after the push: ${describeWaves(waves, waveNames, reached, t0)}`,
    );
    for (const s of spokes) expect(await running(s)).toEqual({ image: 'nginx:1.27', value: 'v2' });
    await eventually('the rollout of v2 is Complete', 30_000, async () => {
      const r = await rolloutOf();
      return r?.revision === sha.v2 && r.phase === 'Complete';
    });
  }, 120_000);

  it('halts a :broken commit once the canary misses its progress deadline, leaving every later cluster on the old commit', async () => {
    sha.v3 = await w.commit({ 'web/all.yaml': web('v3', 'nginx:broken') }, 'v3, broken');
    await eventually('the rollout of v3 is Halted', 90_000, async () => {
      const r = await rolloutOf();
      return r?.revision === sha.v3 && r.phase === 'Halted';
    });
    const app = await fleetApp();
    const r = app.status?.rollout;
    expect(r?.failedCount).toBe(1);
    expect(r?.failed).toEqual([
      expect.objectContaining({ cluster: 'spoke-1', reason: 'ProgressDeadlineExceeded' }),
    ]);
    expect(r?.groups?.map((g) => [g.name, g.complete])).toEqual([
      ['canary', false],
      ['wave-2', false],
      ['(rest)', false],
    ]);
    const ready = app.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'RolloutHalted' });
    expect(ready?.message).toContain('spoke-1');
    // The canary really runs the bad deploy, which never turned Healthy; nobody else has it.
    expect(await running('spoke-1')).toEqual({ image: 'nginx:broken', value: 'v3' });
    expect((await w.assignment('spoke-1', 'web'))?.status?.health?.status).toBe('Progressing');
    for (const s of later) {
      expect(await pinnedTo(s)).toBe(sha.v2);
      expect(await running(s)).toEqual({ image: 'nginx:1.27', value: 'v2' });
    }
    // Halted no sooner than the deadline after the canary got the commit.
    const pinnedAt = Date.parse(
      (await w.assignment('spoke-1', 'web'))?.metadata.annotations?.['ballast.dev/pinned-at'] ?? '',
    );
    await ledgerHas('the halt', (x) => x.action === 'halted' && x.revision === sha.v3);
    const halted = (await rolloutRecords(w, 'web')).find(
      (x) => x.action === 'halted' && x.revision === sha.v3,
    );
    expect(halted).toMatchObject({ actor: 'ballast-hub', clusters: ['spoke-1'] });
    expect(Date.parse(halted?.time ?? '')).toBeGreaterThanOrEqual(pinnedAt + progressDeadlineMs);
    const status = await rollout('status');
    expect(status).toMatch(/Halted/);
    expect(status).toMatch(/spoke-1\s+ProgressDeadlineExceeded/);
  }, 120_000);

  it('rolls a fix pushed after the halt out from the first wave again, clearing the halt', async () => {
    const phases = watchPhases();
    const t0 = Date.now();
    sha.v4 = await w.commit({ 'web/all.yaml': web('v4', 'nginx:1.28') }, 'v4, the fix');
    const reached = await recordRollout(w, 'web', sha.v4, spokes, 120_000);
    await eventually('the rollout of v4 is Complete', 30_000, async () => {
      const r = await rolloutOf();
      return r?.revision === sha.v4 && r.phase === 'Complete';
    });
    const seen = await phases.stop();
    expectWaves(reached, minSuccessMs);
    timeline.push(`waves of the fix v4: ${describeWaves(waves, waveNames, reached, t0)}`);
    expect(seen).toEqual([`${sha.v3} Halted`, `${sha.v4} Progressing`, `${sha.v4} Complete`]);
    const app = await fleetApp();
    expect(app.status?.rollout?.failedCount).toBe(0);
    expect(app.status?.rollout?.failed).toEqual([]);
    expect(app.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    for (const s of spokes) expect(await running(s)).toEqual({ image: 'nginx:1.28', value: 'v4' });
    const started = (await rolloutRecords(w, 'web')).find(
      (x) => x.action === 'started' && x.revision === sha.v4,
    );
    expect(started?.reason).toBe(`supersedes ${sha.v3}`);
  }, 150_000);

  it('pause freezes the rollout, resume carries on, and promote advances a wave without its wait, each in the ledger under the user', async () => {
    // Only promote can end this wait within the test.
    await applyWeb('10m');
    sha.v5 = await w.commit({ 'web/all.yaml': web('v5', 'nginx:1.29') }, 'v5');
    await recordRollout(w, 'web', sha.v5, canary, 60_000);
    await rollout('pause');
    await eventually('the rollout is Paused', 30_000, async () => {
      const r = await rolloutOf();
      return r?.revision === sha.v5 && r.phase === 'Paused';
    });
    // The canary's wait is over now: only the pause holds wave-2 back.
    await applyWeb('1s');
    await eventually('the hub counts the canary wave complete', 15_000, async () => {
      return (await rolloutOf())?.groups?.[0]?.complete === true;
    });
    await new Promise((r) => setTimeout(r, 4_000));
    expect((await rolloutOf())?.phase).toBe('Paused');
    for (const s of later) expect(await pinnedTo(s)).toBe(sha.v4);

    await applyWeb('10m');
    await rollout('resume');
    await recordRollout(w, 'web', sha.v5, wave2, 60_000);
    expect((await rolloutOf())?.groups?.[1]?.complete).toBe(false);
    for (const s of rest) expect(await pinnedTo(s)).toBe(sha.v4);

    await rollout('promote');
    await eventually('two clusters of (rest) are Healthy at v5', 60_000, async () => {
      const as = await Promise.all(rest.map((c) => w.assignment(c, 'web')));
      return as.filter((a) => healthyAt(a, sha.v5)).length === 2;
    });
    // The third waits for a free slot: both others wait out their 10 minutes.
    const pins = await Promise.all(rest.map(pinnedTo));
    expect(pins.filter((p) => p === sha.v5)).toHaveLength(2);
    const r = await rolloutOf();
    expect(r?.groups?.[1]).toMatchObject({ complete: true, promotedBy: user });
    expect(r?.groups?.[2]).toMatchObject({ complete: false, updating: 2 });

    await rollout('promote');
    await recordRollout(w, 'web', sha.v5, spokes, 60_000);
    await eventually('the rollout of v5 is Complete', 10_000, async () => {
      const x = await rolloutOf();
      return x?.revision === sha.v5 && x.phase === 'Complete';
    });
    for (const s of spokes) expect(await running(s)).toEqual({ image: 'nginx:1.29', value: 'v5' });

    const records = await rolloutRecords(w, 'web');
    const asked = records
      .filter((x) => x.revision === sha.v5 && x.actor !== 'ballast-hub')
      .map((x) => ({
        action: x.action,
        group: x.group,
        actor: x.actor,
        actorVerified: x.actorVerified,
      }));
    expect(asked).toEqual([
      { action: 'pause', group: undefined, actor: user, actorVerified: true },
      { action: 'resume', group: undefined, actor: user, actorVerified: true },
      { action: 'promote', group: 'wave-2', actor: user, actorVerified: true },
      { action: 'promote', group: '(rest)', actor: user, actorVerified: true },
    ]);
  }, 180_000);

  it('undo returns every spoke to the commit before through the waves, and resume follows the branch again', async () => {
    await applyWeb('0s');
    expect((await rolloutOf())?.fromRevision).toBe(sha.v4);
    const out = await rollout('undo', '--reason', 'v5 is slow');
    expect(out).toContain(sha.v4.slice(0, 7));
    const t0 = Date.now();
    const reached = await recordRollout(w, 'web', sha.v4, spokes, 90_000);
    expectWaves(reached, 0);
    timeline.push(`waves of the undo to v4: ${describeWaves(waves, waveNames, reached, t0)}`);
    await eventually('the undo is Complete', 10_000, async () => {
      const r = await rolloutOf();
      return r?.revision === sha.v4 && r.rollback && r.phase === 'Complete';
    });
    for (const s of spokes) expect(await running(s)).toEqual({ image: 'nginx:1.28', value: 'v4' });
    await ledgerHas('the undo', (x) => x.action === 'undo');
    const undo = (await rolloutRecords(w, 'web')).find((x) => x.action === 'undo');
    expect(undo).toMatchObject({
      revision: sha.v4,
      actor: user,
      actorVerified: true,
      reason: 'v5 is slow',
    });

    const undoSeq = (await rolloutRecords(w, 'web')).at(-1)?.seq ?? 0;
    await rollout('resume');
    const back = await recordRollout(w, 'web', sha.v5, spokes, 90_000);
    expectWaves(back, 0);
    for (const s of spokes) expect(await running(s)).toEqual({ image: 'nginx:1.29', value: 'v5' });
    const r = await rolloutOf();
    expect(r).toMatchObject({ revision: sha.v5, rollback: false });
    await ledgerHas(
      'the resume after the undo',
      (x) =>
        x.action === 'resume' &&
        x.revision === sha.v5 &&
        x.actor === user &&
        x.actorVerified === true,
    );
    // Nobody promoted this rollout of v5: the promotions of the one before stay with it.
    const since = (await rolloutRecords(w, 'web')).filter((x) => x.seq > undoSeq);
    expect(since.map((x) => x.action)).not.toContain('promote');
  }, 180_000);
});
