import { describe, expect, it } from 'vitest';
import { assessHealth } from './assess.js';
import deadlineExceeded from './testdata/captured-deployment-deadline-exceeded.json' with { type: 'json' };
import rollingOut from './testdata/captured-deployment-rolling-out.json' with { type: 'json' };
import hpaNoMetrics from './testdata/captured-hpa-no-metrics-api.json' with { type: 'json' };
import namespaceStuck from './testdata/captured-namespace-stuck.json' with { type: 'json' };

// Objects as kube-controller-manager v1.36 wrote them, with no nodes to run pods on and an
// aggregated metrics API registered without a backend.
describe('health of objects written by the real controllers', () => {
  it('reports a Deployment whose pods cannot start Progressing, then Degraded past its deadline', () => {
    expect(assessHealth(rollingOut)).toEqual({
      status: 'Progressing',
      message: '0 of 2 updated replicas available',
    });
    expect(assessHealth(deadlineExceeded)).toEqual({
      status: 'Degraded',
      message:
        'the rollout exceeded its progress deadline: ProgressDeadlineExceeded: ReplicaSet "slow-d84c6898d" has timed out progressing.',
    });
  });

  it('reports an autoscaler without a metrics API Degraded', () => {
    expect(assessHealth(hpaNoMetrics).message).toMatch(
      /^cannot compute a replica count: FailedGetResourceMetric: .*get pods\.metrics\.k8s\.io/,
    );
  });

  it('reports a Namespace whose deletion fails discovery Degraded, though content also remains', () => {
    expect(assessHealth(namespaceStuck).message).toMatch(
      /^deletion is stuck: DiscoveryFailed: .*metrics\.k8s\.io\/v1beta1/,
    );
  });
});
