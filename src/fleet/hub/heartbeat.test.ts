import { describe, expect, it } from 'vitest';
import { judgeReadiness, observeBeat } from './heartbeat.js';

const t0 = Date.parse('2026-12-07T10:00:00Z');
const micro = (ms: number): string => new Date(ms).toISOString().replace('Z', '000Z');

describe('observeBeat', () => {
  it('counts a first sight at its renewTime, so a hub restarted beside a dead agent reports it at once', () => {
    expect(observeBeat(undefined, micro(t0 - 600_000), t0)).toEqual({
      renewTime: micro(t0 - 600_000),
      atMs: t0 - 600_000,
    });
  });

  it('counts a later renewal when the hub sees it, so an agent whose clock runs behind is not judged dead', () => {
    const first = observeBeat(undefined, micro(t0), t0);
    const skewed = observeBeat(first, micro(t0 - 120_000), t0 + 10_000);
    expect(skewed.atMs).toBe(t0 + 10_000);
  });

  it('never dates a first sight after now, whatever the agent wrote', () => {
    expect(observeBeat(undefined, micro(t0 + 3_600_000), t0).atMs).toBe(t0);
  });

  it('does not move the beat when the same renewTime is seen again (a relist)', () => {
    const first = observeBeat(undefined, micro(t0), t0);
    expect(observeBeat(first, micro(t0), t0 + 50_000)).toBe(first);
  });

  it('has no beat for a Lease without a readable renewTime', () => {
    expect(observeBeat(undefined, 'yesterday', t0).atMs).toBeUndefined();
    expect(observeBeat(undefined, undefined, t0).atMs).toBeUndefined();
  });
});

describe('judgeReadiness', () => {
  const judge = (atMs: number | undefined, nowMs: number, recorded?: string) =>
    judgeReadiness({
      cluster: 'store-1',
      beat: { renewTime: 'x', atMs },
      nowMs,
      timeoutMs: 60_000,
      recorded,
    });

  it('is Ready while the Lease was renewed within the timeout, and says when to look again', () => {
    const r = judge(t0, t0 + 20_000);
    expect(r.ready).toMatchObject({ status: 'True', reason: 'AgentHeartbeat' });
    expect(r.recheckInMs).toBe(40_001);
  });

  it('is Ready=False, HeartbeatMissed, once the timeout has passed since the last renewal', () => {
    const r = judge(t0, t0 + 61_000);
    expect(r.ready).toMatchObject({ status: 'False', reason: 'HeartbeatMissed' });
    expect(r.ready.message).toBe(
      'the agent last renewed its Lease ballast-cluster-store-1/ballast-agent 61 s ago, more than the 60 s heartbeat timeout',
    );
    expect(r.recheckInMs).toBeUndefined();
  });

  it('is Unknown, AgentNotRegistered, for a Cluster no agent has written a Lease for', () => {
    const r = judgeReadiness({
      cluster: 'store-1',
      beat: undefined,
      nowMs: t0,
      timeoutMs: 60_000,
      recorded: undefined,
    });
    expect(r.ready).toMatchObject({ status: 'Unknown', reason: 'AgentNotRegistered' });
    expect(r.ready.message).toContain('ballast-cluster-store-1/ballast-agent');
  });

  it('moves lastHeartbeatTime on beats alone only every 5 minutes, so beats cost no status write', () => {
    const recorded = '2026-12-07T10:00:00Z';
    expect(judge(t0 + 30_000, t0 + 30_000, recorded).lastHeartbeatTime).toBe(recorded);
    expect(judge(t0 + 299_000, t0 + 299_000, recorded).lastHeartbeatTime).toBe(recorded);
    expect(judge(t0 + 300_000, t0 + 300_000, recorded).lastHeartbeatTime).toBe(
      '2026-12-07T10:05:00Z',
    );
    expect(judge(t0 + 5_000, t0 + 5_000, undefined).lastHeartbeatTime).toBe('2026-12-07T10:00:05Z');
  });

  it('offers the latest beat for a status write made for another reason', () => {
    const r = judge(t0 + 30_000, t0 + 30_000, '2026-12-07T10:00:00Z');
    expect(r.seenAt).toBe('2026-12-07T10:00:30Z');
  });

  it('still judges Ready=False from the Lease when lastHeartbeatTime was recorded long ago', () => {
    const r = judge(t0, t0 + 61_000, '2026-12-07T10:00:00Z');
    expect(r.ready).toMatchObject({ status: 'False', reason: 'HeartbeatMissed' });
  });

  it('moves it every half timeout when that is longer than 5 minutes', () => {
    const r = (at: number) =>
      judgeReadiness({
        cluster: 'store-1',
        beat: { renewTime: 'x', atMs: at },
        nowMs: at,
        timeoutMs: 1_200_000,
        recorded: '2026-12-07T10:00:00Z',
      }).lastHeartbeatTime;
    expect(r(t0 + 599_000)).toBe('2026-12-07T10:00:00Z');
    expect(r(t0 + 600_000)).toBe('2026-12-07T10:10:00Z');
  });
});
