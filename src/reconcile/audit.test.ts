import { describe, expect, it } from 'vitest';
import { parseApplication, type Application } from '../api/application.js';
import type { ChangeSet } from '../diff/index.js';
import { ledgerSink, recordsFor, withActorCheck, type RequesterCheck } from './audit.js';
import type { NewEntry } from '../audit/index.js';
import type { VerificationStatus } from './trust.js';

function app(
  extra: Record<string, unknown> = {},
  annotations: Record<string, string> = {},
): Application {
  const r = parseApplication({
    apiVersion: 'ballast.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: 'web', namespace: 'shop', annotations },
    spec: {
      source: { repoURL: 'https://git.example.com/fleet.git' },
      destination: { namespace: 'shop' },
      syncPolicy: { automated: {} },
      ...extra,
    },
  });
  if (r.kind !== 'ok') throw r.error;
  return r.value;
}

const sha = 'a'.repeat(40);
const verification: VerificationStatus = {
  revision: sha,
  mode: 'head',
  result: 'Trusted',
  signer: 'Release <r@example.com>',
  fingerprint: 'ABCD',
  commitsChecked: 1,
  message: '',
};
const secretChange: ChangeSet = {
  entries: [
    {
      subject: { group: '', kind: 'Secret', namespace: 'shop', name: 'db' },
      action: 'configure',
      changedPaths: ['/data/password', '/metadata/labels/tier'],
      diff: '',
    },
  ],
} as unknown as ChangeSet;
const suspendedBefore = {
  conditions: [
    {
      type: 'Ready' as const,
      status: 'False' as const,
      reason: 'Suspended',
      message: '',
      lastTransitionTime: '2025-01-01T00:00:00Z',
    },
  ],
};

describe('the ledger records of one reconcile pass', () => {
  it('records a sync that changed a Secret without naming its keys', () => {
    const records = recordsFor(app(), undefined, {
      kind: 'synced',
      sha,
      automated: true,
      changeSet: secretChange,
      verification,
    });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      kind: 'sync-applied',
      revision: sha,
      verification: {
        mode: 'head',
        signer: 'Release <r@example.com>',
        fingerprint: 'ABCD',
        commits: 1,
      },
      changes: [{ action: 'configure', paths: ['data changed', '/metadata/labels/tier'] }],
    });
    expect(JSON.stringify(records)).not.toContain('password');
  });

  it('records a revision new to the status once even when nothing is left to change, as after a leader killed between its apply and its record', () => {
    const pass = {
      kind: 'synced' as const,
      sha,
      automated: true,
      changeSet: { entries: [] } as unknown as ChangeSet,
      verification,
    };
    const behind = { lastSyncedRevision: 'b'.repeat(40) };
    expect(recordsFor(app(), behind, pass)).toMatchObject([
      { kind: 'sync-applied', revision: sha, changes: [] },
    ]);
    expect(recordsFor(app(), { lastSyncedRevision: sha }, pass)).toEqual([]);
  });

  it('records a refused commit once, not on every poll that finds it again', () => {
    const refused = { ...verification, result: 'Refused' as const };
    const pass = { kind: 'refused' as const, sha, reason: 'unsigned', verification: refused };
    expect(recordsFor(app(), undefined, pass).map((r) => r.kind)).toEqual(['commit-refused']);
    expect(recordsFor(app(), { verification: refused }, pass)).toEqual([]);
  });

  it('records suspend once and resume when reconciling starts again, with who asked', () => {
    const a = app({ suspend: true }, { 'ballast.dev/requested-by': 'alice' });
    expect(recordsFor(a, undefined, { kind: 'suspended' })).toMatchObject([
      { kind: 'suspend', actor: 'alice' },
    ]);
    expect(recordsFor(a, suspendedBefore, { kind: 'suspended' })).toEqual([]);
    expect(recordsFor(app(), suspendedBefore, { kind: 'failed' }).map((r) => r.kind)).toEqual([
      'resume',
    ]);
  });

  it('records a rollback the first time its revision is applied, and a manual sync once', () => {
    const rb = app(
      {
        rollback: {
          revision: sha,
          reason: 'bad release',
          requestedBy: 'bob',
          requestedAt: '2025-01-01T00:00:00Z',
        },
      },
      { 'ballast.dev/sync': 't1', 'ballast.dev/requested-by': 'bob' },
    );
    const pass = {
      kind: 'synced' as const,
      sha,
      automated: true,
      changeSet: { entries: [] },
      verification,
    };
    const first = recordsFor(rb, { lastSyncedRevision: 'b'.repeat(40) }, pass);
    expect(first).toMatchObject([
      { kind: 'manual-sync', actor: 'bob', revision: sha },
      { kind: 'sync-applied', revision: sha, changes: [] },
      { kind: 'rollback', actor: 'bob', reason: 'bad release', toRevision: sha },
    ]);
    expect(recordsFor(rb, { lastSyncedRevision: sha, lastHandledSync: 't1' }, pass)).toEqual([]);
  });
});

describe('whether a record says its actor is verified or only claimed', () => {
  const forged = app({ suspend: true }, { 'ballast.dev/requested-by': 'kubernetes-admin' });
  const [suspend] = recordsFor(forged, undefined, { kind: 'suspended' });

  it("a tenant's requested-by is recorded as claimed while no admission policy enforces it", () => {
    expect(suspend).toMatchObject({ kind: 'suspend', actor: 'kubernetes-admin' });
    expect(withActorCheck(suspend as NewEntry, 'unenforced')).toMatchObject({
      actor: 'kubernetes-admin',
      actorVerified: false,
    });
    expect(withActorCheck(suspend as NewEntry, 'enforced')).toMatchObject({
      actorVerified: true,
    });
  });

  it('the controller is verified, a field manager never is, and no actor means no claim', () => {
    const synced = recordsFor(app(), undefined, {
      kind: 'synced',
      sha,
      automated: true,
      changeSet: secretChange,
      verification,
    })[0] as NewEntry;
    expect(withActorCheck(synced, 'unenforced')).toMatchObject({ actorVerified: true });
    const drift: NewEntry = {
      kind: 'drift-reverted',
      app: { namespace: 'shop', name: 'web' },
      actor: 'kubectl-edit',
      object: { group: '', kind: 'ConfigMap', namespace: 'shop', name: 'x' },
      paths: [],
      fieldManager: 'kubectl-edit',
    };
    expect(withActorCheck(drift, 'enforced')).toMatchObject({ actorVerified: false });
    const resume: NewEntry = { kind: 'resume', app: { namespace: 'shop', name: 'web' } };
    expect(withActorCheck(resume, 'enforced')).toEqual(resume);
  });

  it('the sink reads the policy at each append', async () => {
    const appended: NewEntry[] = [];
    let check: RequesterCheck = 'unenforced';
    const sink = ledgerSink(
      { append: (e) => Promise.resolve(appended.push(e)) },
      () => undefined,
      () => check,
    );
    await sink(suspend as NewEntry);
    check = 'enforced';
    await sink(suspend as NewEntry);
    expect(appended.map((e) => e.actorVerified)).toEqual([false, true]);
  });
});

describe('the ledger record of a commit over the small-commit policy (action warn)', () => {
  const warning = {
    message: 'revision aaaaaaaaaaaa: commit bbbbbbbbbbbb by Dev <d@example.com>: 50 files changed',
    commits: [
      {
        sha: 'b'.repeat(40),
        author: 'Dev <d@example.com>',
        filesChanged: 50,
        applicationsTouched: 1,
        over: ['files' as const],
      },
    ],
  };
  const pass = {
    kind: 'synced' as const,
    sha,
    automated: true,
    changeSet: { entries: [] } as unknown as ChangeSet,
    verification,
    largeCommit: warning,
  };

  it('records the commit, its author and counts once, with the revision applied', () => {
    expect(recordsFor(app(), { lastSyncedRevision: sha }, pass)).toEqual([
      {
        kind: 'large-commit',
        app: { namespace: 'shop', name: 'web' },
        actor: 'ballast',
        revision: sha,
        reason: warning.message,
        commits: [
          {
            sha: 'b'.repeat(40),
            author: 'Dev <d@example.com>',
            filesChanged: 50,
            applicationsTouched: 1,
          },
        ],
      },
    ]);
  });

  it('writes nothing when the same warning already stands in the LargeCommit condition', () => {
    const before = {
      lastSyncedRevision: sha,
      conditions: [
        {
          type: 'LargeCommit' as const,
          status: 'True' as const,
          reason: 'CommitPolicyExceeded',
          message: warning.message,
          lastTransitionTime: '2025-01-01T00:00:00Z',
        },
      ],
    };
    expect(recordsFor(app(), before, pass)).toEqual([]);
  });
});
