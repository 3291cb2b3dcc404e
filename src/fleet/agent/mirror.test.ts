import { describe, expect, it } from 'vitest';
import { parseApplication, type Application } from '../../api/application.js';
import { buildAssignment } from '../assignment-build.js';
import type { Assignment } from '../assignment.js';
import { cluster, fleetApp, reparse, sha1 } from '../testdata/fixtures.js';
import { mirrorAssignment, mirroredSpec, type SpokeFacts } from './mirror.js';
import { pinnedAtAnnotation } from '../names.js';
import { defaultAgentOptions, type AgentOptions } from './options.js';
import { assignmentStatusOf, statusPatch } from './report.js';

const agentOpts = (o: Partial<AgentOptions> = {}): AgentOptions => ({
  ...defaultAgentOptions(),
  clusterName: 'store-1',
  verification: { mode: 'all', secretName: 'trusted-keys' },
  ...o,
});

/** An Assignment as the hub stored it, with the template fields given merged in. */
function assignment(template: Record<string, unknown> = {}): Assignment {
  const built = buildAssignment({
    fleetApplication: fleetApp({
      template: {
        source: { repoURL: 'https://git.example.com/pos.git', path: 'deploy' },
        destination: { namespace: 'pos' },
        ...template,
      },
    }),
    cluster: cluster('store-1', { region: 'eu-west' }),
    revision: sha1,
    variables: { cluster_name: 'store-1', cluster_label_region: 'eu-west' },
  });
  return reparse({ ...built, metadata: { ...built.metadata, uid: 'a-uid', generation: 4 } });
}

/** A spoke that applied nothing yet; the agent is system:serviceaccount:ballast-agent:agent. */
const facts = (applied: string[] = []): SpokeFacts => ({
  applied,
  spokeUser: () => Promise.resolve('system:serviceaccount:ballast-agent:agent'),
});

async function mirrored(a: Assignment, o: Partial<AgentOptions> = {}): Promise<Application> {
  const r = await mirrorAssignment(a, agentOpts(o), facts());
  if (r.kind !== 'ok') throw new Error(r.message);
  const parsed = parseApplication(r.application);
  if (parsed.kind !== 'ok') throw parsed.error;
  return parsed.value;
}

describe('mirrorAssignment', () => {
  it("pins the Application to the hub's commit, carries the cluster's variables and links back by labels and annotations", async () => {
    const app = await mirrored(assignment());
    expect(app.metadata.name).toBe('retail.pos');
    expect(app.metadata.namespace).toBe('ballast-agent');
    expect(app.spec.source.targetRevision).toBe(sha1);
    expect(app.spec.destination.namespace).toBe('pos');
    expect(app.spec.postBuild?.substitute).toEqual({
      cluster_name: 'store-1',
      cluster_label_region: 'eu-west',
    });
    expect(app.metadata.labels).toEqual({
      'ballast.dev/agent-cluster': 'store-1',
      'ballast.dev/cluster': 'store-1',
      'ballast.dev/fleet-namespace': 'retail',
      'ballast.dev/fleet-name': 'pos',
    });
    expect(app.metadata.annotations).toEqual({
      'ballast.dev/assignment': 'ballast-cluster-store-1/retail.pos',
      'ballast.dev/assignment-uid': 'a-uid',
      'ballast.dev/assignment-generation': '4',
    });
    // Leaving placement deletes the Assignment, and that must prune what it applied.
    expect(app.spec.syncPolicy.pruneOnDelete).toBe(true);
  });

  it("a hub that sets verification.mode none, another key Secret or no fastForwardOnly cannot weaken the spoke's own policy", async () => {
    const weakened = assignment({
      verification: {
        mode: 'none',
        secretRef: { name: 'hub-chosen-keys' },
        fastForwardOnly: false,
      },
    });
    expect(weakened.spec.application.verification.mode).toBe('none');
    expect((await mirrored(weakened)).spec.verification).toEqual({
      mode: 'all',
      secretRef: { name: 'trusted-keys' },
      fastForwardOnly: true,
    });
  });

  it('in namespace mode sends every object to the agent namespace, whatever the template names', async () => {
    const app = await mirrored(assignment(), { scope: 'namespace', namespace: 'tenant-a' });
    expect(app.metadata.namespace).toBe('tenant-a');
    expect(app.spec.destination.namespace).toBe('tenant-a');
  });

  it("a hub that points repoURL elsewhere while naming the spoke's credential Secret gets no Application: RepositoryNotAllowed", async () => {
    const a = assignment({
      source: { repoURL: 'https://attacker.example/pos.git', secretRef: { name: 'repo-creds' } },
    });
    const r = await mirrorAssignment(
      a,
      agentOpts({ allowedRepos: ['https://git.example.com'] }),
      facts(),
    );
    expect(r).toMatchObject({ kind: 'refused', reason: 'RepositoryNotAllowed' });
    expect(r.kind === 'refused' && r.message).toContain('https://attacker.example/pos.git');
    const own = assignment({
      source: { repoURL: 'https://git.example.com/pos.git', secretRef: { name: 'repo-creds' } },
    });
    expect(
      (await mirrored(own, { allowedRepos: ['https://git.example.com'] })).spec.source.secretRef,
    ).toEqual({
      name: 'repo-creds',
    });
    expect(await mirrorAssignment(own, agentOpts(), facts())).toMatchObject({
      kind: 'refused',
      reason: 'RepositoryNotAllowed',
    });
  });

  it('an undo to a commit the spoke applied before becomes the Application rollback, asked for by the agent itself', async () => {
    const a = reparse({
      ...assignment(),
      metadata: {
        ...assignment().metadata,
        annotations: { [pinnedAtAnnotation]: '2026-12-07T10:00:00Z' },
      },
      spec: { ...assignment().spec, rollback: { requestedBy: 'jane', reason: 'bad canary' } },
    });
    const r = await mirrorAssignment(a, agentOpts(), facts(['f'.repeat(40), sha1]));
    if (r.kind !== 'ok') throw new Error(r.message);
    const app = parseApplication(r.application);
    expect(app.kind === 'ok' && app.value.spec.rollback).toEqual({
      revision: sha1,
      reason: 'ballast fleet rollout undo by jane on the hub: bad canary',
      requestedBy: 'system:serviceaccount:ballast-agent:agent',
      requestedAt: '2026-12-07T10:00:00Z',
    });
  });

  it('a hub sending the spoke back to a commit it never applied gets no Application: RollbackRefused', async () => {
    const a = reparse({
      ...assignment(),
      spec: { ...assignment().spec, rollback: { requestedBy: 'mallory', reason: '' } },
    });
    const r = await mirrorAssignment(a, agentOpts(), facts(['f'.repeat(40)]));
    expect(r).toMatchObject({ kind: 'refused', reason: 'RollbackRefused' });
    expect(r.kind === 'refused' && r.message).toMatch(/never applied/);
  });

  it("refuses an Assignment written for another Cluster into this Cluster's namespace", async () => {
    const r = await mirrorAssignment(assignment(), agentOpts({ clusterName: 'store-2' }), facts());
    expect(r.kind === 'refused' && r.message).toMatch(/^spec\.cluster is store-1, but this agent/);
  });
});

describe('assignmentStatusOf', () => {
  const refused = (reason: 'VerificationFailed' | 'NonFastForward', refusal?: string): unknown => ({
    apiVersion: 'ballast.dev/v1alpha1',
    kind: 'Application',
    metadata: {
      name: 'retail.pos',
      namespace: 'ballast-agent',
      generation: 2,
      annotations: { 'ballast.dev/assignment-generation': '7' },
    },
    spec: mirroredSpec(assignment(), agentOpts()),
    status: {
      observedGeneration: 2,
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason,
          message: 'refused',
          lastTransitionTime: '2026-12-07T10:00:00Z',
          observedGeneration: 2,
        },
      ],
      sync: { status: 'Synced', revision: sha1 },
      health: { status: 'Healthy', message: '' },
      lastSyncedRevision: sha1,
      drift: [
        {
          group: 'apps',
          kind: 'Deployment',
          namespace: 'pos',
          name: 'web',
          paths: ['.spec.replicas'],
          detectedAt: '2026-12-07T10:00:00Z',
        },
      ],
      verification: {
        revision: 'c'.repeat(40),
        mode: 'all',
        result: 'Refused',
        commitsChecked: 1,
        message: 'revision cccccccccccc refused: not signed',
        ...(refusal === undefined ? {} : { refusal }),
      },
    },
  });
  const statusOf = (input: unknown) => {
    const parsed = parseApplication(input);
    if (parsed.kind !== 'ok') throw parsed.error;
    return assignmentStatusOf(parsed.value);
  };

  it("reports the refusal in the Controller's own word, with the Assignment's generation and a drift summary", () => {
    const s = statusOf(refused('VerificationFailed', 'UnsignedCommit'));
    expect(s.observedGeneration).toBe(7);
    expect(s.conditions?.[0]?.observedGeneration).toBe(7);
    expect(s.refusal).toEqual({
      reason: 'UnsignedCommit',
      message: 'revision cccccccccccc refused: not signed',
      revision: 'c'.repeat(40),
      time: '2026-12-07T10:00:00Z',
    });
    expect(s.drift).toEqual({ objects: 1, message: 'Deployment/pos/web: .spec.replicas' });
    expect(s.lastSyncedRevision).toBe(sha1);
    expect(statusOf(refused('NonFastForward')).refusal?.reason).toBe('NotDescendant');
  });

  it('says nothing of the generation until the Controller acted on the current spec', () => {
    const input = refused('VerificationFailed') as { status: { observedGeneration: number } };
    input.status.observedGeneration = 1;
    const s = statusOf(input);
    expect(s.observedGeneration).toBeUndefined();
    expect(s.conditions?.[0]).not.toHaveProperty('observedGeneration');
  });

  it('clears on the hub every field the spoke no longer reports, such as a past refusal', () => {
    const patch = statusPatch({ sync: { status: 'Synced', revision: sha1 } });
    expect(patch.status).toMatchObject({ sync: { status: 'Synced' }, refusal: null, drift: null });
  });
});
