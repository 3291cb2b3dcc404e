import type { KubeObject } from '../api/object.js';
import { healthy, progressing, type HealthReport } from './report.js';
import { loadBalancerAddresses } from './service.js';

/**
 * An Ingress is Progressing until its ingress controller publishes an address in
 * `status.loadBalancer.ingress`: before that, no traffic can reach it through the controller.
 */
export function ingressHealth(obj: KubeObject): HealthReport {
  const addresses = loadBalancerAddresses(obj);
  if (addresses.length === 0)
    return progressing('waiting for the ingress controller to publish an address');
  return healthy(`served at ${addresses.join(', ')}`);
}
