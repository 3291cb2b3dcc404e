import { describe, expect, it } from 'vitest';
import { allowedRepoProblems, repoDecision, repoLocation, underPrefix } from './repos.js';

function under(url: string, prefix: string): boolean {
  const u = repoLocation(url);
  const p = repoLocation(prefix);
  if (u.kind !== 'ok' || p.kind !== 'ok') throw new Error(`${url} or ${prefix} did not parse`);
  return underPrefix(u.location, p.location);
}

describe('allowed repository prefixes', () => {
  it('admit the repositories under a prefix, whole path segments, with or without .git', () => {
    const org = 'https://git.example.com/org';
    expect(under('https://git.example.com/org/app.git', org)).toBe(true);
    expect(under('https://git.example.com/org/team/app', org)).toBe(true);
    expect(under('https://git.example.com/org', `${org}/`)).toBe(true);
    expect(under('https://GIT.example.com:443/org/app', org)).toBe(true);
    expect(under('https://git.example.com/org/app', 'https://git.example.com/org/app.git')).toBe(
      true,
    );
  });

  it('a look-alike host, a sibling path, another scheme or port is not under the prefix', () => {
    const org = 'https://git.example.com/org';
    expect(under('https://git.example.com.evil.net/org/app', org)).toBe(false);
    expect(under('https://git.example.com/org-evil/app', org)).toBe(false);
    expect(under('https://evil.net/git.example.com/org/app', org)).toBe(false);
    expect(under('http://git.example.com/org/app', org)).toBe(false);
    expect(under('https://git.example.com:8443/org/app', org)).toBe(false);
    expect(under('https://git.example.com/org/../evil/app', org)).toBe(false);
    expect(under('https://git.example.com/org/%2e%2e/evil/app', org)).toBe(false);
    expect(under('https://git.example.com/other', org)).toBe(false);
  });

  it('ssh and scp-like URLs are one scheme; a prefix naming a user admits only that user', () => {
    const prefix = 'ssh://git@git.example.com/org';
    expect(under('git@git.example.com:org/app.git', prefix)).toBe(true);
    expect(under('ssh://git@git.example.com:22/org/app', prefix)).toBe(true);
    expect(under('ssh://other@git.example.com/org/app', prefix)).toBe(false);
    expect(under('git@git.example.com:org-evil/app', prefix)).toBe(false);
  });

  it('a prefix that cannot be matched safely is a problem naming it', () => {
    expect(allowedRepoProblems(['https://git.example.com/org', 'not a url', 'ftp://x/y'])).toEqual([
      '--allowed-repos not a url: not a valid URL',
      '--allowed-repos ftp://x/y: unsupported scheme ftp',
    ]);
    expect(allowedRepoProblems(['https://u:p@git.example.com/org'])).toEqual([
      '--allowed-repos https://u:p@git.example.com/org: the URL embeds a password',
    ]);
  });
});

describe('repoDecision', () => {
  const creds = { name: 'repo-creds' };

  it('with an allow-list, refuses a repoURL under none of it, naming the URL and the flag, credentials or not', () => {
    const allowed = ['https://git.example.com/org'];
    expect(
      repoDecision({ repoURL: 'https://git.example.com/org/app', secretRef: creds }, allowed),
    ).toEqual({ kind: 'allowed' });
    for (const source of [
      { repoURL: 'https://attacker.example/org/app', secretRef: creds },
      { repoURL: 'https://attacker.example/org/app' },
    ]) {
      const d = repoDecision(source, allowed);
      expect(d.kind).toBe('refused');
      expect(d.kind === 'refused' && d.message).toContain(
        'spec.application.source.repoURL https://attacker.example/org/app is under none of',
      );
      expect(d.kind === 'refused' && d.message).toContain('--allowed-repos');
    }
  });

  it('with no allow-list, fetches anonymous sources but sends no credentials anywhere the hub says', () => {
    expect(repoDecision({ repoURL: 'https://anywhere.example/app' }, [])).toEqual({
      kind: 'allowed',
    });
    const d = repoDecision({ repoURL: 'https://anywhere.example/app', secretRef: creds }, []);
    expect(d.kind === 'refused' && d.message).toMatch(
      /^spec\.application\.source\.repoURL https:\/\/anywhere\.example\/app names the spoke's credential Secret repo-creds, but this agent has no --allowed-repos/,
    );
  });
});
