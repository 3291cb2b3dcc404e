import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { parse } from 'yaml';
import { parseIgnoreRules } from './ignore-rules.js';
import type { HealthStatus } from './health-status.js';
import {
  driftReaction,
  ignoreRulesOf,
  InvalidApplicationError,
  parseApplication,
  type Application,
  type ApplicationSpec,
  type ConditionType,
  type DriftPolicy,
} from './application.js';
import type { KubeObject } from './object.js';

const full = parse(
  readFileSync(new URL('./testdata/application-full.yaml', import.meta.url), 'utf8'),
) as Record<string, unknown>;

const minimal = (spec: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'ballast.dev/v1alpha1',
  kind: 'Application',
  metadata: { name: 'web', namespace: 'shop' },
  spec: {
    source: { repoURL: 'https://git.example.com/fleet.git' },
    destination: { namespace: 'shop' },
    ...spec,
  },
});

function ok(input: unknown): Application {
  const r = parseApplication(input);
  if (r.kind !== 'ok') throw new Error(`expected ok, got:\n${r.error.problems.join('\n')}`);
  return r.value;
}

function problems(input: unknown): string[] {
  const r = parseApplication(input);
  if (r.kind === 'ok') throw new Error('expected the Application to be refused');
  return [...r.error.problems];
}

describe('an Application naming another cluster', () => {
  it('is refused with the field path and what to do, rather than synced into this cluster', () => {
    const input = minimal({ destination: { namespace: 'shop', cluster: 'store-42' } });
    expect(problems(input)).toEqual([
      expect.stringMatching(/^spec\.destination\.cluster: .*FleetApplication/),
    ]);
  });
});

describe('spec.verification.commitPolicy', () => {
  it('refuses a zero limit and an unknown action, naming each field', () => {
    const input = minimal({
      verification: { commitPolicy: { maxFilesChanged: 0, action: 'block' } },
    });
    expect(problems(input)).toEqual([
      expect.stringMatching(/^spec\.verification\.commitPolicy\.maxFilesChanged: /),
      expect.stringMatching(/^spec\.verification\.commitPolicy\.action: .*warn.*refuse/),
    ]);
  });

  it('defaults action to refuse and leaves the limits unset', () => {
    const app = ok(minimal({ verification: { commitPolicy: {} } }));
    expect(app.spec.verification.commitPolicy).toEqual({ action: 'refuse' });
  });
});

describe('spec.postBuild.substitute', () => {
  it('refuses a variable name ${…} could never refer to, naming the entry', () => {
    const input = minimal({ postBuild: { substitute: { region: 'eu', 'cluster-name': 'x' } } });
    expect(problems(input)).toEqual([
      'spec.postBuild.substitute["cluster-name"]: expected a variable name: a letter or _, then letters, digits or _',
    ]);
  });
});

describe('parseApplication', () => {
  it('accepts an Application with every spec and status field set, and keeps them all', () => {
    const app = ok(full);
    expect(app.spec).toEqual((full as { spec: unknown }).spec);
    expect(app.status).toEqual((full as { status: unknown }).status);
    expect(app.metadata.finalizers).toEqual(['ballast.dev/prune']);
  });

  it('fills in the defaults of a minimal Application, as the apiserver does', () => {
    const app = ok(minimal());
    expect(app.spec).toEqual({
      source: { repoURL: 'https://git.example.com/fleet.git', targetRevision: 'main', path: '.' },
      destination: { namespace: 'shop' },
      syncPolicy: {
        drift: 'heal',
        interval: '3m',
        retry: { limit: 5, backoff: { duration: '5s', factor: 2, maxDuration: '3m' } },
        syncOptions: { createNamespace: false, adopt: false, forceRecreate: false },
        pruneOnDelete: false,
      },
      suspend: false,
      verification: { mode: 'none', fastForwardOnly: true },
    });
    expect(app.status).toBeUndefined();
  });

  it('defaults inside an object the user gave partly, and treats null as absent', () => {
    const app = ok(
      minimal({ syncPolicy: { automated: {}, retry: { backoff: { factor: 3 } }, drift: null } }),
    );
    expect(app.spec.syncPolicy.automated).toEqual({ prune: false, selfHeal: true });
    expect(app.spec.syncPolicy.retry).toEqual({
      limit: 5,
      backoff: { duration: '5s', factor: 3, maxDuration: '3m' },
    });
    expect(app.spec.syncPolicy.drift).toBe('heal');
  });

  it('refuses a bad drift policy, naming the field and the choices', () => {
    expect(problems(minimal({ syncPolicy: { drift: 'sometimes' } }))).toEqual([
      'spec.syncPolicy.drift: expected one of heal, warn, ignore',
    ]);
  });

  it('reports every problem at once, each with its field path', () => {
    const input = minimal({
      source: { repoURL: 'not a url', path: '../outside', kustomize: {}, helm: {} },
      destination: {},
      syncPolicy: { interval: '3 minutes', retry: { limit: -1, backoff: { factor: 'x' } } },
      suspend: 'yes',
    });
    expect(problems(input)).toEqual([
      'spec.source.repoURL: expected a Git URL: https://, http://, ssh://, file:// or user@host:path',
      'spec.source.path: expected a relative path inside the repository, such as apps/web (no leading /, no .. segments)',
      'spec.source: set at most one of kustomize, helm',
      'spec.destination.namespace: required',
      'spec.syncPolicy.interval: expected a Go duration such as 90s, 3m or 1h30m',
      'spec.syncPolicy.retry.limit: must be at least 0',
      'spec.syncPolicy.retry.backoff.factor: expected a number',
      'spec.suspend: expected true or false',
    ]);
  });

  it('refuses an interval below one second, which would make the controller spin', () => {
    expect(problems(minimal({ syncPolicy: { interval: '500ms' } }))).toEqual([
      'spec.syncPolicy.interval: must be at least 1s',
    ]);
  });

  it('refuses unknown fields and suggests the field that was meant', () => {
    const input = { ...minimal({ syncPolicy: { automated: { selfheal: true } } }), extra: 1 };
    expect(problems(input)).toEqual([
      'spec.syncPolicy.automated.selfheal: unknown field (did you mean selfHeal?)',
      'extra: unknown field',
    ]);
  });

  it('drops unknown fields instead when asked, as the apiserver prunes them', () => {
    const r = parseApplication(minimal({ future: { x: 1 } }), { unknownFields: 'drop' });
    expect(r.kind).toBe('ok');
    expect(r.kind === 'ok' && 'future' in r.value.spec).toBe(false);
  });

  it('refuses what is not an Application: wrong kind, apiVersion, metadata or no spec', () => {
    expect(problems(null)).toEqual(['expected an Application object']);
    expect(
      problems({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '', labels: { a: 1 } } }),
    ).toEqual([
      'apiVersion: expected ballast.dev/v1alpha1',
      'kind: expected Application',
      'metadata.name: expected a non-empty string',
      'metadata.labels: expected a map of strings',
      'spec: expected an object',
    ]);
  });

  it('refuses ignore rules the diff stage would refuse, with their index', () => {
    const rules = [
      { kind: 'Deployment', jsonPointers: ['/spec/replicas'] },
      { kind: 'Deployment', jsonPointers: ['/a'], managedFieldsManagers: ['hpa'] },
      { kind: 'Deployment', jsonPointers: ['spec/replicas', '/a~2b'] },
      { kind: '', managedFieldsManagers: [''] },
    ];
    expect(problems(minimal({ ignoreDifferences: rules }))).toEqual([
      'spec.ignoreDifferences[1]: set exactly one of jsonPointers, managedFieldsManagers',
      'spec.ignoreDifferences[2].jsonPointers[0]: expected a JSON pointer such as /spec/replicas (~1 for "/" and ~0 for "~" inside a key)',
      'spec.ignoreDifferences[2].jsonPointers[1]: expected a JSON pointer such as /spec/replicas (~1 for "/" and ~0 for "~" inside a key)',
      'spec.ignoreDifferences[3].kind: must not be empty',
      'spec.ignoreDifferences[3].managedFieldsManagers[0]: must not be empty',
    ]);
  });

  it('refuses a status the controller could not have written', () => {
    const status = {
      conditions: [
        { type: 'Ready', status: 'True', reason: 'Synced', message: '', lastTransitionTime: 'now' },
        { type: 'Stalled', status: 'Maybe', reason: 'Synced', message: '' },
      ],
      history: Array.from({ length: 11 }, () => ({})),
      inventory: ['apps/Deployment/shop/web'],
    };
    expect(problems({ ...minimal(), status })).toEqual([
      'status.conditions[0].lastTransitionTime: expected an RFC 3339 time such as 2025-05-12T09:14:03Z',
      'status.conditions[1].status: expected one of True, False, Unknown',
      'status.conditions[1].lastTransitionTime: required',
      'status.inventory[0]: expected group|kind|namespace|name',
      'status.history: must have at most 10 items',
    ]);
  });

  it('refuses two conditions of one type, which server-side apply would merge into one', () => {
    const c = {
      type: 'Ready',
      status: 'True',
      reason: 'Synced',
      message: '',
      lastTransitionTime: '2025-05-12T09:20:00Z',
    };
    expect(problems({ ...minimal(), status: { conditions: [c, c] } })).toEqual([
      'status.conditions[1]: duplicate entry with type="Ready"',
    ]);
  });

  it('never shares structure with its input', () => {
    const input = structuredClone(full);
    const app = ok(input);
    (app.spec.source.helm?.values as { replicaCount: number }).replicaCount = 99;
    app.metadata.labels = {};
    expect(input).toEqual(full);
  });
});

describe('the Application type', () => {
  it('is inferred from the schema: enums are unions, defaulted fields are present', () => {
    expectTypeOf<DriftPolicy>().toEqualTypeOf<'heal' | 'warn' | 'ignore'>();
    expectTypeOf<ConditionType>().toEqualTypeOf<
      'Ready' | 'Reconciling' | 'Stalled' | 'Drifted' | 'LargeCommit'
    >();
    expectTypeOf<ApplicationSpec['source']['targetRevision']>().toEqualTypeOf<string>();
    expectTypeOf<
      ApplicationSpec['syncPolicy']['retry']['backoff']['factor']
    >().toEqualTypeOf<number>();
    expectTypeOf<ApplicationSpec['source']['helm']>().toEqualTypeOf<
      { valuesFiles?: string[]; values?: Record<string, unknown>; releaseName?: string } | undefined
    >();
    expectTypeOf<
      NonNullable<NonNullable<Application['status']>['health']>['status']
    >().toEqualTypeOf<HealthStatus>();
    expectTypeOf<Application>().toExtend<KubeObject>();
  });
});

describe('driftReaction', () => {
  const spec = (syncPolicy: Record<string, unknown>): ApplicationSpec =>
    ok(minimal({ syncPolicy })).spec;

  it('heals only when automated with selfHeal and drift: heal', () => {
    expect(driftReaction(spec({ automated: {} }))).toBe('heal');
    expect(driftReaction(spec({ automated: { selfHeal: false } }))).toBe('warn');
    expect(driftReaction(spec({}))).toBe('warn');
  });

  it('keeps warn and ignore as the user set them', () => {
    expect(driftReaction(spec({ automated: {}, drift: 'warn' }))).toBe('warn');
    expect(driftReaction(spec({ automated: {}, drift: 'ignore' }))).toBe('ignore');
  });
});

describe('ignoreRulesOf', () => {
  it('gives the diff stage the rules of an accepted Application', () => {
    const app = ok(full);
    expect(ignoreRulesOf(app)).toEqual([
      {
        type: 'jsonPointers',
        match: { group: 'apps', kind: 'Deployment', name: 'web' },
        pointers: ['/spec/replicas'],
      },
      {
        type: 'managedFieldsManagers',
        match: { group: '*', kind: '*', namespace: 'shop' },
        managers: ['kube-controller-manager'],
      },
    ]);
    expect(parseIgnoreRules(app.spec.ignoreDifferences).kind).toBe('ok');
  });

  it('throws a typed error naming the Application for a spec that was never parsed', () => {
    const app = ok(minimal());
    app.spec.ignoreDifferences = [{ group: '', kind: 'Deployment' }];
    expect(() => ignoreRulesOf(app)).toThrow(InvalidApplicationError);
    expect(() => ignoreRulesOf(app)).toThrow(
      /^Application shop\/web: invalid: spec\.ignoreDifferences\[0\]/,
    );
  });
});

describe('spec.vault', () => {
  it('defaults the mount, the KV version, the refresh interval and the auth mount path', () => {
    const app = ok(minimal({ vault: { auth: { kubernetes: { role: 'payments' } } } }));
    expect(app.spec.vault).toEqual({
      mount: 'secret',
      kvVersion: '2',
      refreshInterval: '5m',
      auth: { kubernetes: { role: 'payments', mountPath: 'kubernetes', audience: 'vault' } },
    });
  });

  it('refuses two auth methods, or none, naming spec.vault.auth', () => {
    const both = { kubernetes: { role: 'r' }, token: { name: 'vault-token' } };
    expect(problems(minimal({ vault: { auth: both } }))).toEqual([
      expect.stringMatching(/^spec\.vault\.auth: .*kubernetes.*token/),
    ]);
    expect(problems(minimal({ vault: { auth: {} } }))).toEqual([
      expect.stringMatching(/^spec\.vault\.auth: /),
    ]);
  });

  it('refuses an address with a path and a mount path that climbs, naming the field', () => {
    const input = minimal({
      vault: {
        address: 'https://vault:8200/v1/sys',
        auth: { kubernetes: { role: 'r', mountPath: '../token' } },
      },
    });
    expect(problems(input)).toEqual([
      expect.stringMatching(/^spec\.vault\.address: /),
      expect.stringMatching(/^spec\.vault\.auth\.kubernetes\.mountPath: /),
    ]);
  });
});
