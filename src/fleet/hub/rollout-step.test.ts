import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/object.js';
import { rolloutAnnotations } from '../names.js';
import type { RolloutPlan } from '../rollout.js';
import type { RolloutStatus } from '../rollout-spec.js';
import { fleetApp, sha1, sha2 } from '../testdata/fixtures.js';
import { promotionFor, promotionOf, rolloutRecords } from './rollout-step.js';

const status = (over: Partial<RolloutStatus> = {}): RolloutStatus => ({
  revision: sha2,
  fromRevision: sha1,
  phase: 'Progressing',
  strategy: 'progressive',
  startedAt: '2026-12-07T10:00:00Z',
  rollback: false,
  paused: false,
  failedCount: 0,
  message: '',
  ...over,
});

const plan = (events: RolloutPlan['events'] = []): RolloutPlan => ({
  pins: new Map(),
  status: status(),
  events,
  healthySince: new Map(),
  recheckAfterMs: undefined,
});

const raw = (annotations: Record<string, string>): KubeObject => ({
  apiVersion: 'ballast.dev/v1alpha1',
  kind: 'FleetApplication',
  metadata: { name: 'pos', namespace: 'retail', annotations },
});

const by = { [rolloutAnnotations.requestedBy]: 'jane' };

describe('rolloutRecords', () => {
  it('records a pause once, when spec.rollout.paused first differs from what the status shows, naming the requester', () => {
    const app = fleetApp({ rollout: { paused: true } });
    expect(rolloutRecords(app, raw(by), status(), plan())).toEqual([
      {
        kind: 'rollout',
        app: { namespace: 'retail', name: 'pos' },
        action: 'pause',
        revision: sha2,
        actor: 'jane',
      },
    ]);
    expect(rolloutRecords(app, raw(by), status({ paused: true }), plan())).toEqual([]);
  });

  it('records an undo with the requester spec.rollback names, and the end of it as a resume', () => {
    const rollback = {
      revision: sha1,
      reason: 'canary broke',
      requestedBy: 'jane',
      requestedAt: '2026-12-07T11:00:00Z',
    };
    const undone = rolloutRecords(fleetApp({ rollback }), raw({}), status(), plan());
    expect(undone).toEqual([
      expect.objectContaining({
        action: 'undo',
        revision: sha1,
        actor: 'jane',
        reason: 'canary broke',
      }),
    ]);
    const resumed = rolloutRecords(fleetApp(), raw(by), status({ rollback: true }), plan());
    expect(resumed).toEqual([expect.objectContaining({ action: 'resume', actor: 'jane' })]);
  });

  it("records the hub's own steps as ballast-hub, and a promotion as whoever asked", () => {
    const records = rolloutRecords(
      fleetApp(),
      raw({}),
      status(),
      plan([
        { kind: 'started', revision: sha2, superseded: sha1 },
        { kind: 'promoted', group: 'canary', by: 'jane' },
        { kind: 'halted', failed: [{ cluster: 'c1', reason: 'Degraded', message: 'x' }] },
        { kind: 'group-complete', group: 'canary' },
      ]),
    );
    expect(records.map((r) => [r.kind === 'rollout' && r.action, r.actor])).toEqual([
      ['started', 'ballast-hub'],
      ['promote', 'jane'],
      ['halted', 'ballast-hub'],
    ]);
  });
});

describe('promotionOf', () => {
  it('reads <revision>/<startedAt>/<group> with its requester, and nothing without one', () => {
    const at = '2026-12-07T10:00:00Z';
    expect(
      promotionOf(raw({ ...by, [rolloutAnnotations.promote]: `${sha2}/${at}/canary` })),
    ).toEqual({ revision: sha2, startedAt: at, group: 'canary', by: 'jane' });
    expect(
      promotionOf(raw({ [rolloutAnnotations.promote]: `${sha2}/${at}/canary` })),
    ).toBeUndefined();
    expect(promotionOf(raw({ ...by, [rolloutAnnotations.promote]: 'nonsense' }))).toBeUndefined();
  });

  it('applies only to the rollout it was asked of: the same commit rolled out again waits anew', () => {
    const asked = raw({
      ...by,
      [rolloutAnnotations.promote]: `${sha2}/2026-12-07T10:00:00Z/canary`,
    });
    expect(promotionFor(asked, status())).toEqual({ revision: sha2, group: 'canary', by: 'jane' });
    expect(promotionFor(asked, status({ startedAt: '2026-12-07T12:00:00Z' }))).toBeUndefined();
    expect(promotionFor(asked, undefined)).toBeUndefined();
  });
});
