import { describe, expect, it } from 'vitest';
import { authHeaders, commitStatusRequest } from './commit-status.js';
import { occurrence, sha } from './testdata/fixtures.js';

const github = {
  provider: 'github',
  apiURL: 'https://api.github.example/',
  repository: 'acme/web',
} as const;
const one = (over: Parameters<typeof occurrence>[0]) =>
  ({ kind: 'one', occurrence: occurrence(over) }) as const;

describe('commitStatusRequest', () => {
  it('posts success to GitHub for a healthy sync, with the Application as context', () => {
    const r = commitStatusRequest(
      github,
      one({ outcome: 'SyncSucceeded', reason: 'Synced', health: 'Healthy', message: 'applied' }),
    );
    expect(r?.url).toBe(`https://api.github.example/repos/acme/web/statuses/${sha}`);
    expect(JSON.parse(r?.body ?? '')).toEqual({
      state: 'success',
      description: 'Synced: applied',
      context: 'ballast/team-a/web',
    });
  });

  it('posts pending while the synced commit is not healthy yet', () => {
    const r = commitStatusRequest(github, one({ outcome: 'SyncSucceeded', health: 'Progressing' }));
    expect(JSON.parse(r?.body ?? '')).toMatchObject({ state: 'pending' });
  });

  it('posts success when the health of a pending commit recovers', () => {
    const r = commitStatusRequest(
      github,
      one({ outcome: 'HealthRecovered', reason: 'HealthRecovered', health: 'Healthy' }),
    );
    expect(JSON.parse(r?.body ?? '')).toMatchObject({ state: 'success' });
  });

  it('uses GitLab’s path, its failed state and its name field', () => {
    const gitlab = {
      provider: 'gitlab',
      apiURL: 'https://gitlab.example/api/v4',
      repository: 'acme/web',
    } as const;
    const r = commitStatusRequest(gitlab, one({ outcome: 'SyncFailed', reason: 'RenderFailed' }));
    expect(r?.url).toBe(`https://gitlab.example/api/v4/projects/acme%2Fweb/statuses/${sha}`);
    expect(JSON.parse(r?.body ?? '')).toMatchObject({
      state: 'failed',
      name: 'ballast/team-a/web',
    });
  });

  it('uses Gitea’s path, which is GitHub’s', () => {
    const gitea = {
      provider: 'gitea',
      apiURL: 'https://gitea.example/api/v1',
      repository: 'acme/web',
    } as const;
    const r = commitStatusRequest(gitea, one({ outcome: 'CommitRefused' }));
    expect(r?.url).toBe(`https://gitea.example/api/v1/repos/acme/web/statuses/${sha}`);
    expect(JSON.parse(r?.body ?? '')).toMatchObject({ state: 'failure' });
  });

  it('sets nothing for drift, or when the commit is unknown', () => {
    expect(commitStatusRequest(github, one({ outcome: 'DriftReverted' }))).toBeUndefined();
    expect(
      commitStatusRequest(github, one({ outcome: 'SyncFailed', revision: undefined })),
    ).toBeUndefined();
    expect(
      commitStatusRequest(github, one({ outcome: 'SyncFailed', revision: '../../x' })),
    ).toBeUndefined();
  });

  it('keeps the description within GitHub’s 140 characters, saying how many a summary stands for', () => {
    const last = occurrence({ outcome: 'SyncFailed', message: 'x'.repeat(500) });
    const r = commitStatusRequest(github, {
      kind: 'summary',
      summary: {
        count: 9,
        byOutcome: { SyncFailed: 9 },
        subjects: ['team-a/web'],
        others: false,
        last,
      },
    });
    const body = JSON.parse(r?.body ?? '') as { description: string };
    expect(body.description).toHaveLength(140);
    expect(body.description.endsWith('(+8 more)')).toBe(true);
  });
});

describe('authHeaders', () => {
  it('sends the token the way each host reads it', () => {
    expect(authHeaders('github', 't')).toMatchObject({ authorization: 'Bearer t' });
    expect(authHeaders('gitea', 't')).toEqual({ authorization: 'token t' });
    expect(authHeaders('gitlab', 't')).toEqual({ 'private-token': 't' });
  });
});
