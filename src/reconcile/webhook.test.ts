import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DeliveryLog, deliveryKeys, normalizeRepoUrl, parseWebhook } from './webhook.js';

const secret = 'shh';
const sign = (body: string): string => createHmac('sha256', secret).update(body).digest('hex');
const githubPush = JSON.stringify({
  ref: 'refs/heads/main',
  repository: {
    clone_url: 'https://github.com/acme/fleet.git',
    ssh_url: 'git@github.com:acme/fleet.git',
  },
});

describe('parseWebhook', () => {
  it('accepts a GitHub push signed with the shared secret and names its repository', () => {
    const r = parseWebhook(
      'github',
      { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${sign(githubPush)}` },
      Buffer.from(githubPush),
      secret,
    );
    expect(r).toEqual({
      kind: 'push',
      provider: 'github',
      repoUrls: ['https://github.com/acme/fleet.git', 'git@github.com:acme/fleet.git'],
    });
  });

  it('rejects a body whose signature does not match, as GitHub would deliver a forged one', () => {
    const r = parseWebhook(
      'github',
      { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${sign(githubPush + ' ')}` },
      Buffer.from(githubPush),
      secret,
    );
    expect(r.kind).toBe('unauthorized');
  });

  it('checks GitLab by its token header and Gitea by its bare hex signature', () => {
    const gitlab = JSON.stringify({
      project: { git_http_url: 'https://gitlab.example.com/acme/fleet.git' },
    });
    expect(
      parseWebhook(
        'gitlab',
        { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': secret },
        Buffer.from(gitlab),
        secret,
      ).kind,
    ).toBe('push');
    expect(
      parseWebhook(
        'gitlab',
        { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'guess' },
        Buffer.from(gitlab),
        secret,
      ).kind,
    ).toBe('unauthorized');
    expect(
      parseWebhook(
        'gitea',
        { 'x-gitea-event': 'push', 'x-gitea-signature': sign(githubPush) },
        Buffer.from(githubPush),
        secret,
      ).kind,
    ).toBe('push');
  });

  it('ignores events that are not pushes, and refuses a payload without a repository', () => {
    expect(
      parseWebhook(
        'github',
        { 'x-github-event': 'issues', 'x-hub-signature-256': `sha256=${sign(githubPush)}` },
        Buffer.from(githubPush),
        secret,
      ).kind,
    ).toBe('ignored');
    const empty = '{}';
    expect(
      parseWebhook(
        'generic',
        { 'x-ballast-signature': `sha256=${sign(empty)}` },
        Buffer.from(empty),
        secret,
      ),
    ).toEqual({ kind: 'invalid', reason: 'payload names no repository' });
  });
});

describe('normalizeRepoUrl', () => {
  it('matches the HTTPS, SSH and scp forms of one repository', () => {
    const forms = [
      'https://github.com/Acme/fleet.git',
      'https://github.com/acme/fleet',
      'git@github.com:acme/fleet.git',
      'ssh://git@github.com:22/acme/fleet.git',
    ];
    expect(new Set(forms.map(normalizeRepoUrl))).toEqual(new Set(['github.com/acme/fleet']));
  });
});

describe('replayed deliveries', () => {
  const body = Buffer.from(githubPush);

  it('a GitHub delivery replayed within the window is a replay, also under a fresh delivery ID', () => {
    const log = new DeliveryLog({ windowMs: 60_000, maxEntries: 100 });
    const first = deliveryKeys('github', { 'x-github-delivery': 'd-1' }, body);
    expect(log.replayed(first, 0)).toBe(false);
    expect(log.replayed(first, 1_000)).toBe(true);
    // The delivery ID is outside the signature; the signed body is what a replay cannot change.
    expect(log.replayed(deliveryKeys('github', { 'x-github-delivery': 'd-2' }, body), 2_000)).toBe(
      true,
    );
    const next = Buffer.from(githubPush.replace('main', 'release'));
    expect(log.replayed(deliveryKeys('github', { 'x-github-delivery': 'd-3' }, next), 3_000)).toBe(
      false,
    );
  });

  it('reads each host’s delivery header, and for generic hooks only the ID, since their bodies repeat', () => {
    expect(deliveryKeys('gitea', { 'x-gitea-delivery': 'g' }, body)[0]).toBe('gitea id g');
    expect(
      deliveryKeys('gitlab', { 'idempotency-key': 'k', 'x-gitlab-event-uuid': 'u' }, body)[0],
    ).toBe('gitlab id k');
    expect(deliveryKeys('gitlab', { 'x-gitlab-event-uuid': 'u' }, body)[0]).toBe('gitlab id u');
    expect(deliveryKeys('generic', { 'x-ballast-delivery': 'b' }, body)).toEqual(['generic id b']);
    expect(deliveryKeys('generic', {}, body)).toEqual([]);
  });

  it('forgets deliveries after the window, and never holds more than its bound', () => {
    const log = new DeliveryLog({ windowMs: 10_000, maxEntries: 3 });
    expect(log.replayed(['a'], 0)).toBe(false);
    expect(log.replayed(['a'], 10_000)).toBe(false);
    for (const k of ['b', 'c', 'd', 'e']) log.replayed([k], 10_001);
    expect(log.size).toBe(3);
    // The oldest went first: a is forgotten, e is remembered.
    expect(log.replayed(['e'], 10_002)).toBe(true);
    expect(log.replayed(['a'], 10_003)).toBe(false);
  });
});
