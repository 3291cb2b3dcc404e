import { describe, expect, it } from 'vitest';
import { assessHealth } from './assess.js';
import apiServiceList from './testdata/apiservices.json' with { type: 'json' };
import crdList from './testdata/customresourcedefinitions.json' with { type: 'json' };
import { itemsByName } from './testdata/fixtures.js';
import hpaList from './testdata/horizontalpodautoscalers.json' with { type: 'json' };
import ingressList from './testdata/ingresses.json' with { type: 'json' };
import namespaceList from './testdata/namespaces.json' with { type: 'json' };
import pvcList from './testdata/persistentvolumeclaims.json' with { type: 'json' };
import serviceList from './testdata/services.json' with { type: 'json' };

const service = itemsByName(serviceList);
const ingress = itemsByName(ingressList);
const pvc = itemsByName(pvcList);
const crd = itemsByName(crdList);
const apiService = itemsByName(apiServiceList);
const namespace = itemsByName(namespaceList);
const hpa = itemsByName(hpaList);

describe('Service and Ingress health', () => {
  it('reports a ClusterIP Service Healthy as soon as it exists', () => {
    expect(assessHealth(service('web'))).toEqual({ status: 'Healthy', message: 'ClusterIP' });
  });

  it('reports a LoadBalancer Service Progressing until it has an address', () => {
    expect(assessHealth(service('web-public-pending')).status).toBe('Progressing');
    expect(assessHealth(service('web-public'))).toEqual({
      status: 'Healthy',
      message: 'load balancer at 203.0.113.10',
    });
  });

  it('reports an Ingress Progressing until its controller publishes an address', () => {
    expect(assessHealth(ingress('shop-pending')).status).toBe('Progressing');
    expect(assessHealth(ingress('shop'))).toEqual({
      status: 'Healthy',
      message: 'served at lb-7f3a.elb.example.net',
    });
  });
});

describe('PersistentVolumeClaim health', () => {
  it('reports a claim by its phase: Bound, Pending, Lost', () => {
    expect(assessHealth(pvc('data-db-0')).status).toBe('Healthy');
    expect(assessHealth(pvc('data-db-1')).status).toBe('Progressing');
    expect(assessHealth(pvc('data-db-2')).status).toBe('Degraded');
  });
});

describe('CustomResourceDefinition health', () => {
  it('reports an established CRD Healthy', () => {
    expect(assessHealth(crd('widgets.example.com'))).toEqual({
      status: 'Healthy',
      message: 'established',
    });
  });

  it('reports a CRD whose kind clashes with another Degraded', () => {
    expect(assessHealth(crd('gadgets.example.com'))).toEqual({
      status: 'Degraded',
      message: 'names not accepted: KindConflict: "Widget" is already in use',
    });
  });

  it('reports a CRD the apiserver has not processed yet Progressing', () => {
    expect(assessHealth(crd('brand-new.example.com')).status).toBe('Progressing');
  });
});

describe('APIService health', () => {
  it('reports an available APIService Healthy, local ones included', () => {
    expect(assessHealth(apiService('v1beta1.metrics.k8s.io')).status).toBe('Healthy');
    expect(assessHealth(apiService('v1.apps')).status).toBe('Healthy');
  });

  it('reports an APIService failing discovery Progressing, with the reason', () => {
    const report = assessHealth(apiService('v1beta1.custom.metrics.k8s.io'));
    expect(report.status).toBe('Progressing');
    expect(report.message).toMatch(/^not available: FailedDiscoveryCheck: /);
  });
});

describe('Namespace health', () => {
  it('reports an active Namespace Healthy', () => {
    expect(assessHealth(namespace('shop')).status).toBe('Healthy');
  });

  it('reports a terminating Namespace Progressing with what remains', () => {
    expect(assessHealth(namespace('old-shop'))).toEqual({
      status: 'Progressing',
      message:
        'being deleted: SomeResourcesRemain: Some resources are remaining: pods. has 2 resource instances',
    });
  });

  it('reports a Namespace whose deletion is stuck on discovery Degraded', () => {
    const report = assessHealth(namespace('stuck-shop'));
    expect(report.status).toBe('Degraded');
    expect(report.message).toMatch(/^deletion is stuck: DiscoveryFailed: /);
  });
});

describe('HorizontalPodAutoscaler health', () => {
  it('reports an autoscaler that computes replica counts Healthy', () => {
    expect(assessHealth(hpa('web'))).toEqual({
      status: 'Healthy',
      message: '3 replicas, 3 desired',
    });
  });

  it('reports an autoscaler without metrics Degraded', () => {
    const report = assessHealth(hpa('web-no-metrics'));
    expect(report.status).toBe('Degraded');
    expect(report.message).toMatch(/^cannot compute a replica count: FailedGetResourceMetric: /);
  });

  it('reports an autoscaler whose target was scaled to zero Suspended', () => {
    expect(assessHealth(hpa('web-target-zero')).status).toBe('Suspended');
  });

  it('reports an autoscaler whose target is missing Degraded', () => {
    expect(assessHealth(hpa('web-missing-target')).message).toMatch(
      /^cannot scale: FailedGetScale: /,
    );
  });

  it('reports a new autoscaler Progressing until it reports', () => {
    expect(assessHealth(hpa('web-new')).status).toBe('Progressing');
  });

  it('reads autoscaling/v1 conditions from their annotation', () => {
    expect(assessHealth(hpa('web-v1')).status).toBe('Degraded');
  });
});
