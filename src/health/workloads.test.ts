import { describe, expect, it } from 'vitest';
import { assessHealth } from './assess.js';
import daemonSetList from './testdata/daemonsets.json' with { type: 'json' };
import deploymentList from './testdata/deployments.json' with { type: 'json' };
import { itemsByName } from './testdata/fixtures.js';
import replicaSetList from './testdata/replicasets.json' with { type: 'json' };
import statefulSetList from './testdata/statefulsets.json' with { type: 'json' };

const deployment = itemsByName(deploymentList);
const statefulSet = itemsByName(statefulSetList);
const daemonSet = itemsByName(daemonSetList);
const replicaSet = itemsByName(replicaSetList);

describe('Deployment health', () => {
  it('reports a Deployment Healthy when every replica is updated and available', () => {
    expect(assessHealth(deployment('complete'))).toEqual({
      status: 'Healthy',
      message: '3 of 3 replicas available',
    });
  });

  it('reports a Deployment Progressing while new replicas roll out', () => {
    expect(assessHealth(deployment('rolling-out'))).toEqual({
      status: 'Progressing',
      message: '1 of 3 replicas updated',
    });
  });

  it('reports a Deployment Progressing while old replicas terminate', () => {
    expect(assessHealth(deployment('old-replicas-terminating'))).toEqual({
      status: 'Progressing',
      message: '1 old replicas pending termination',
    });
  });

  it('reports a Deployment Progressing while updated replicas become available', () => {
    expect(assessHealth(deployment('updated-not-available'))).toEqual({
      status: 'Progressing',
      message: '2 of 3 updated replicas available',
    });
  });

  it('reports a Deployment Progressing until the controller observes the new generation', () => {
    expect(assessHealth(deployment('unobserved'))).toEqual({
      status: 'Progressing',
      message: 'waiting for the controller to observe generation 5',
    });
  });

  it('reports a Deployment Degraded once its rollout exceeds the progress deadline', () => {
    expect(assessHealth(deployment('deadline-exceeded'))).toEqual({
      status: 'Degraded',
      message:
        'the rollout exceeded its progress deadline: ProgressDeadlineExceeded: ReplicaSet "web-7c9d8f6b5f" has timed out progressing.',
    });
  });

  it('reports a paused Deployment Suspended', () => {
    expect(assessHealth(deployment('paused')).status).toBe('Suspended');
  });

  it('reports a Deployment scaled to zero Healthy', () => {
    expect(assessHealth(deployment('scaled-to-zero'))).toEqual({
      status: 'Healthy',
      message: '0 of 0 replicas available',
    });
  });
});

describe('StatefulSet health', () => {
  it('reports a StatefulSet Healthy when all pods are ready at the current revision', () => {
    expect(assessHealth(statefulSet('ready')).status).toBe('Healthy');
  });

  it('reports a StatefulSet Progressing while pods start one by one', () => {
    expect(assessHealth(statefulSet('starting'))).toEqual({
      status: 'Progressing',
      message: '1 of 3 pods ready',
    });
  });

  it('reports a StatefulSet Progressing during a rolling update to a new revision', () => {
    expect(assessHealth(statefulSet('rolling-update'))).toEqual({
      status: 'Progressing',
      message: 'rolling update: 1 of 3 pods at revision db-7d8e6f5a4b',
    });
  });

  it('reports a partitioned rollout Healthy once the pods above the partition are updated', () => {
    expect(assessHealth(statefulSet('partitioned'))).toEqual({
      status: 'Healthy',
      message: 'partitioned rollout done: 1 of 3 pods updated',
    });
  });

  it('reports an OnDelete StatefulSet Healthy on readiness alone', () => {
    expect(assessHealth(statefulSet('on-delete')).status).toBe('Healthy');
  });

  it('waits for minReadySeconds before calling ready pods available', () => {
    expect(assessHealth(statefulSet('min-ready-pending'))).toEqual({
      status: 'Progressing',
      message: '1 of 3 pods available',
    });
  });
});

describe('DaemonSet health', () => {
  it('reports a DaemonSet Healthy when every scheduled pod is updated and available', () => {
    expect(assessHealth(daemonSet('ready'))).toEqual({
      status: 'Healthy',
      message: '2 of 2 pods available',
    });
  });

  it('reports a DaemonSet Progressing while nodes get the new pod', () => {
    expect(assessHealth(daemonSet('updating'))).toEqual({
      status: 'Progressing',
      message: '1 of 2 pods updated',
    });
  });

  it('reports a DaemonSet Progressing while an updated pod is unavailable', () => {
    expect(assessHealth(daemonSet('unavailable'))).toEqual({
      status: 'Progressing',
      message: '1 of 2 pods available',
    });
  });

  it('reports an OnDelete DaemonSet Healthy without waiting for updates', () => {
    expect(assessHealth(daemonSet('on-delete')).status).toBe('Healthy');
  });
});

describe('ReplicaSet health', () => {
  it('reports a ReplicaSet Healthy when all replicas are available', () => {
    expect(assessHealth(replicaSet('api-7d9c8b6f5d')).status).toBe('Healthy');
  });

  it('reports a ReplicaSet Degraded when a quota refuses its pods', () => {
    const report = assessHealth(replicaSet('api-quota-exceeded'));
    expect(report.status).toBe('Degraded');
    expect(report.message).toMatch(/^cannot create pods: FailedCreate: .*exceeded quota: compute/);
  });
});
