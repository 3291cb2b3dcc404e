import { describe, expect, it } from 'vitest';
import { parseAssignment } from './assignment.js';
import { buildAssignment } from './assignment-build.js';
import { cluster, fleetApp, sha1, sha2 } from './testdata/fixtures.js';

const built = (): Record<string, unknown> =>
  JSON.parse(
    JSON.stringify(
      buildAssignment({
        fleetApplication: fleetApp(),
        cluster: cluster('store-1'),
        revision: sha1,
        variables: { cluster_name: 'store-1' },
      }),
    ),
  ) as Record<string, unknown>;

function problems(input: unknown): string[] {
  const r = parseAssignment(input);
  if (r.kind === 'ok') throw new Error('expected the Assignment to be refused');
  return [...r.error.problems];
}

const spec = (a: Record<string, unknown>) =>
  a['spec'] as {
    revision: string;
    application: { source: { targetRevision: string } };
    variables: Record<string, string>;
  };

describe('parseAssignment', () => {
  it('accepts what the hub builds and the status an agent writes, refusal included', () => {
    const status = {
      observedGeneration: 2,
      sync: { status: 'OutOfSync', revision: sha2 },
      health: { status: 'Healthy', message: 'all 3 objects are healthy' },
      lastSyncedRevision: sha2,
      drift: { objects: 1, message: 'Deployment.apps/pos/web: .spec.replicas' },
      refusal: {
        reason: 'UnsignedCommit',
        message: `commit ${sha1} is not signed`,
        revision: sha1,
        time: '2025-05-12T09:14:03Z',
      },
    };
    const r = parseAssignment({ ...built(), status });
    expect(r.kind === 'ok' && r.value.status).toEqual(status);
  });

  it('refuses a template not pinned to spec.revision, which a hand-edited Assignment could carry', () => {
    const a = built();
    spec(a).revision = sha2;
    expect(problems(a)).toEqual([
      'spec.application.source.targetRevision: must be spec.revision, the commit the hub pinned',
    ]);
  });

  it('refuses a revision that is not a full commit SHA, and a variable that is no name', () => {
    const a = built();
    spec(a).revision = 'main';
    expect(problems(a)).toEqual(['spec.revision: expected a full 40-character commit SHA']);
    const b = built();
    spec(b).variables['1st'] = 'x';
    expect(problems(b)).toEqual([
      'spec.variables["1st"]: expected a variable name: a letter or _, then letters, digits or _',
    ]);
  });

  it('refuses destination.cluster in the pinned application, as in a template', () => {
    const a = built();
    (
      a['spec'] as { application: { destination: Record<string, unknown> } }
    ).application.destination['cluster'] = 'elsewhere';
    expect(problems(a)).toEqual(['spec.application.destination.cluster: unknown field']);
  });

  it('names the field path of a bad status', () => {
    expect(
      problems({
        ...built(),
        status: { refusal: { reason: 'not camel', message: '' }, drift: { objects: -1 } },
      }),
    ).toEqual([
      'status.drift.objects: must be at least 0',
      'status.drift.message: required',
      'status.refusal.reason: expected a CamelCase reason such as SyncFailed',
      'status.refusal.revision: required',
      'status.refusal.time: required',
    ]);
  });
});
