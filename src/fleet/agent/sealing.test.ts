import { describe, expect, it } from 'vitest';
import { agentOptionProblems, defaultAgentOptions } from './options.js';
import { spokeSealingKeyOptions } from './sealing.js';

describe('the spoke sealing keys of an agent', () => {
  it('are read from the agent namespace only, and never renewed unless a period is given', () => {
    const opts = { ...defaultAgentOptions(), namespace: 'tenant-a', scope: 'namespace' as const };
    const keys = spokeSealingKeyOptions(opts);
    expect(keys.namespace).toBe('tenant-a');
    expect(keys.renewPeriodMs).toBe(0);
    expect(spokeSealingKeyOptions({ ...opts, sealingKeyRenewPeriodMs: 86_400_000 })).toEqual({
      ...keys,
      renewPeriodMs: 86_400_000,
    });
  });

  it('refuse a negative renew period, naming the flag', () => {
    const problems = agentOptionProblems({
      ...defaultAgentOptions(),
      clusterName: 'edge-1',
      verification: { mode: 'none', secretName: undefined },
      sealingKeyRenewPeriodMs: -1,
    });
    expect(problems).toEqual([expect.stringContaining('--sealing-key-renew-period')]);
  });
});
