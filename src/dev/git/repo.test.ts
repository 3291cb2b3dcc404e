import { describe, expect, it } from 'vitest';
import { gitLabel } from './gitenv.js';
import { accessEnv } from './repo.js';

describe('accessEnv', () => {
  it('sends Basic credentials as an extra header and redacts both forms of the password', () => {
    const a = accessEnv({ kind: 'basic', username: 'alice', password: 'pw' });
    const b64 = Buffer.from('alice:pw').toString('base64');
    expect(a.env).toEqual({
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${b64}`,
    });
    expect(a.redact).toEqual(['pw', b64]);
  });

  it('sends a token as Bearer and redacts it', () => {
    const a = accessEnv({ kind: 'bearer', token: 'tok' });
    expect(a.env.GIT_CONFIG_VALUE_0).toBe('Authorization: Bearer tok');
    expect(a.redact).toEqual(['tok']);
  });

  it('passes the SSH command through and needs nothing for anonymous access', () => {
    expect(
      accessEnv({ kind: 'ssh', client: { env: { GIT_SSH_COMMAND: 'ssh -i k' } } }).env,
    ).toEqual({
      GIT_SSH_COMMAND: 'ssh -i k',
    });
    expect(accessEnv({ kind: 'anonymous' })).toEqual({ env: {}, redact: [] });
  });
});

describe('gitLabel', () => {
  it('names the subcommand, skipping -c pairs so config values stay out of messages', () => {
    expect(gitLabel(['-c', 'user.name=x', '-c', 'http.extraHeader=secret', 'push', 'origin'])).toBe(
      'git push',
    );
    expect(gitLabel([])).toBe('git');
  });
});
