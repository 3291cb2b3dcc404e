import { describe, expect, it } from 'vitest';
import { assessHealth } from './assess.js';
import cronJobList from './testdata/cronjobs.json' with { type: 'json' };
import { itemsByName } from './testdata/fixtures.js';
import jobList from './testdata/jobs.json' with { type: 'json' };
import podList from './testdata/pods.json' with { type: 'json' };

const pod = itemsByName(podList);
const job = itemsByName(jobList);
const cronJob = itemsByName(cronJobList);

describe('Pod health', () => {
  it('reports a running, ready Pod Healthy', () => {
    expect(assessHealth(pod('running-ready'))).toEqual({
      status: 'Healthy',
      message: 'running and ready',
    });
  });

  it('reports a crash-looping Pod Degraded, naming the container', () => {
    const report = assessHealth(pod('crash-looping'));
    expect(report.status).toBe('Degraded');
    expect(report.message).toMatch(/^container web: CrashLoopBackOff: back-off 5m0s/);
  });

  it('reports a Pod whose image cannot be pulled Degraded while still Pending', () => {
    const report = assessHealth(pod('image-pull-backoff'));
    expect(report.status).toBe('Degraded');
    expect(report.message).toMatch(/^container web: ImagePullBackOff/);
  });

  it('reports an unschedulable Pod Progressing, with the scheduler message', () => {
    const report = assessHealth(pod('unschedulable'));
    expect(report.status).toBe('Progressing');
    expect(report.message).toMatch(/^not scheduled: Unschedulable: 0\/3 nodes are available/);
  });

  it('reports a completed Pod Healthy and an evicted one Degraded', () => {
    expect(assessHealth(pod('completed')).status).toBe('Healthy');
    expect(assessHealth(pod('evicted'))).toEqual({
      status: 'Degraded',
      message:
        'The node was low on resource: memory. Threshold quantity: 100Mi, available: 91648Ki.',
    });
  });

  it('reports a running Pod meant to finish Progressing, even when ready', () => {
    expect(assessHealth(pod('job-pod-running'))).toEqual({
      status: 'Progressing',
      message: 'running to completion',
    });
  });

  it('counts ready containers while a Pod starts', () => {
    expect(assessHealth(pod('starting'))).toEqual({
      status: 'Progressing',
      message: '1 of 2 containers ready',
    });
  });

  it('reports a terminating Pod Progressing even though it is still ready', () => {
    expect(assessHealth(pod('terminating'))).toEqual({
      status: 'Progressing',
      message: 'being deleted',
    });
  });

  it('reports a Pod on a lost node Unknown', () => {
    expect(assessHealth(pod('node-lost')).status).toBe('Unknown');
  });
});

describe('Job health', () => {
  it('reports a completed Job Healthy', () => {
    expect(assessHealth(job('migrate-complete'))).toEqual({
      status: 'Healthy',
      message: 'completed: 1 succeeded',
    });
  });

  it('reports a Job past its backoff limit Degraded, also while its pods terminate', () => {
    const expected = {
      status: 'Degraded',
      message: 'failed: BackoffLimitExceeded: Job has reached the specified backoff limit',
    };
    expect(assessHealth(job('migrate-failed'))).toEqual(expected);
    expect(assessHealth(job('migrate-failing'))).toEqual(expected);
  });

  it('reports a running Job Progressing with its pod counts', () => {
    expect(assessHealth(job('migrate-running'))).toEqual({
      status: 'Progressing',
      message: 'running: 1 active, 0 succeeded, 0 failed',
    });
  });

  it('reports a suspended Job Suspended', () => {
    expect(assessHealth(job('migrate-suspended')).status).toBe('Suspended');
  });
});

describe('CronJob health', () => {
  it('reports a scheduling CronJob Healthy with its last run', () => {
    expect(assessHealth(cronJob('nightly-backup'))).toEqual({
      status: 'Healthy',
      message: 'schedule "30 2 * * *"; last run 2025-05-12T02:30:00Z',
    });
  });

  it('reports a CronJob with spec.suspend Suspended', () => {
    expect(assessHealth(cronJob('paused-backup'))).toEqual({
      status: 'Suspended',
      message: 'schedule "30 2 * * *" is suspended',
    });
  });
});
