import { describe, expect, it } from 'vitest';
import { agentOptionProblems } from '../fleet/agent/index.js';
import { agentLedgerUrl, agentOptionsOf, readToken } from './agent.js';
import { collectPrefixes, UsageError } from './parse.js';

const flags = {
  fleetNamespace: 'ballast-fleet',
  verificationMode: 'head' as const,
  heartbeatTimeout: 60_000,
  gitTimeout: 120_000,
  logLevel: 'info' as const,
};

describe('ballast agent flags', () => {
  it('--namespace runs the agent in namespace mode, and the Lease is renewed every third of the timeout', () => {
    const o = agentOptionsOf({
      ...flags,
      clusterName: 'store-1',
      namespace: 'tenant-a',
      trustedKeysSecret: 'keys',
    });
    expect(o).toMatchObject({
      clusterName: 'store-1',
      scope: 'namespace',
      namespace: 'tenant-a',
      verification: { mode: 'head', secretName: 'keys' },
      heartbeatIntervalMs: 20_000,
    });
    expect(agentOptionProblems(o)).toEqual([]);
    expect(agentOptionsOf({ ...flags, clusterName: 'store-1' })).toMatchObject({
      scope: 'cluster',
      namespace: 'ballast-agent',
    });
  });

  it('refuses to start without a cluster name, or verifying with no Secret of trusted keys, saying which flag to give', () => {
    expect(() => agentOptionsOf(flags)).toThrow(UsageError);
    expect(agentOptionProblems(agentOptionsOf({ ...flags, clusterName: 'store-1' }))).toEqual([
      'verification mode head needs a Secret of trusted keys in namespace ballast-agent (--trusted-keys-secret)',
    ]);
    const slow = agentOptionsOf({ ...flags, clusterName: 's', heartbeatInterval: 30_000 });
    expect(
      agentOptionProblems({ ...slow, verification: { mode: 'none', secretName: undefined } }),
    ).toEqual([
      expect.stringMatching(/^heartbeat interval 30000 ms: must be positive and at most a third/),
    ]);
  });
});

describe('ballast agent --allowed-repos', () => {
  it('collects comma-separated prefixes over repeated flags; none given, credentials go nowhere the hub says', () => {
    const allowed = collectPrefixes(
      'https://git.example.com/org/',
      collectPrefixes('https://a.example/x, ssh://git@b.example/y', undefined),
    );
    expect(allowed).toEqual([
      'https://a.example/x',
      'ssh://git@b.example/y',
      'https://git.example.com/org/',
    ]);
    expect(() => collectPrefixes(' , ', undefined)).toThrow(/expected URL prefixes/);
    const base = { ...flags, clusterName: 'store-1', trustedKeysSecret: 'keys' };
    expect(agentOptionsOf({ ...base, allowedRepos: allowed }).allowedRepos).toEqual(allowed);
    expect(agentOptionsOf(base).allowedRepos).toEqual([]);
    expect(
      agentOptionProblems(agentOptionsOf({ ...base, allowedRepos: ['git.example.com'] })),
    ).toEqual(['--allowed-repos git.example.com: not a valid URL']);
  });
});

describe('agentLedgerUrl', () => {
  it('gives each cluster its own SQLite file unless $BALLAST_LEDGER names one', () => {
    expect(agentLedgerUrl('store-1', { XDG_STATE_HOME: '/state' })).toBe(
      'sqlite:/state/ballast/agent-store-1.db',
    );
    expect(agentLedgerUrl('store-1', { BALLAST_LEDGER: 'none' })).toBe('none');
  });
});

describe('ballast agent --token-file', () => {
  it('a token file that is gone is no error by itself: a registered spoke restarts on its stored identity', async () => {
    const gone = await readToken('/nonexistent/ballast/token');
    expect(gone).toEqual({
      token: undefined,
      tokenSource: '--token-file /nonexistent/ballast/token, which does not exist',
    });
    expect(await readToken(undefined)).toEqual({
      token: undefined,
      tokenSource: 'no --token-file',
    });
  });
});
