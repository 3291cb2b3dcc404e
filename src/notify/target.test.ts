import { describe, expect, it } from 'vitest';
import { resolveTarget, type ReadEntry } from './target.js';
import { policy } from './testdata/fixtures.js';

const allowed = ['https://hooks.example/team-a/'];

/** A Secret store of the policy's namespace, counting reads. */
function secrets(entries: Record<string, string>): { read: ReadEntry; reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    read: (ref) => {
      reads.push(`${ref.name}#${ref.key}`);
      return Promise.resolve(entries[`${ref.name}#${ref.key}`]);
    },
  };
}

describe('resolveTarget', () => {
  it('reads the HMAC key of an allowed webhook', async () => {
    const s = secrets({ 'hook#hmacKey': 'k' });
    const p = policy({
      selector: {},
      outcomes: ['SyncFailed'],
      target: { webhook: { url: 'https://hooks.example/team-a/x', secretRef: { name: 'hook' } } },
    });
    expect(await resolveTarget(p, allowed, s.read)).toEqual({
      kind: 'ok',
      target: { kind: 'webhook', url: 'https://hooks.example/team-a/x', hmacKey: 'k' },
    });
  });

  it('refuses a webhook outside the allow-list before reading any Secret', async () => {
    const s = secrets({ 'hook#hmacKey': 'k' });
    const p = policy({
      selector: {},
      outcomes: ['SyncFailed'],
      target: {
        webhook: { url: 'http://169.254.169.254/latest', secretRef: { name: 'hook' } },
      },
    });
    const r = await resolveTarget(p, allowed, s.read);
    expect(r).toMatchObject({ kind: 'error', problem: { reason: 'TargetNotAllowed' } });
    expect(s.reads).toEqual([]);
  });

  it('refuses a Slack URL from a Secret that points inside, without repeating the URL', async () => {
    const inside = 'http://kubernetes.default.svc/api/v1/secrets?token=s3cr3t';
    const s = secrets({ 'slack#url': inside });
    const p = policy({
      selector: {},
      outcomes: ['SyncFailed'],
      target: { slack: { urlSecretRef: { name: 'slack' } } },
    });
    const r = await resolveTarget(p, allowed, s.read);
    expect(r).toMatchObject({ kind: 'error', problem: { reason: 'TargetNotAllowed' } });
    expect(JSON.stringify(r)).not.toContain('s3cr3t');
    expect(JSON.stringify(r)).not.toContain('kubernetes.default');
  });

  it('says which Secret and key are missing, and reads the commit-status token trimmed', async () => {
    const p = policy({
      selector: {},
      outcomes: ['SyncFailed'],
      target: {
        commitStatus: {
          provider: 'gitea',
          apiURL: 'https://hooks.example/team-a/api/v1',
          repository: 'acme/web',
          tokenSecretRef: { name: 'gitea' },
        },
      },
    });
    expect(await resolveTarget(p, allowed, secrets({}).read)).toMatchObject({
      kind: 'error',
      problem: {
        reason: 'SecretUnreadable',
        message: expect.stringContaining('Secret gitea has no key token') as unknown,
      },
    });
    expect(await resolveTarget(p, allowed, secrets({ 'gitea#token': 't\n' }).read)).toMatchObject({
      kind: 'ok',
      target: { kind: 'commitStatus', token: 't' },
    });
  });
});
