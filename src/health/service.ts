import type { KubeObject } from '../api/object.js';
import { list, text } from './read.js';
import { healthy, progressing, type HealthReport } from './report.js';

/**
 * A Service is Healthy as soon as it exists, except a LoadBalancer, which is Progressing until
 * the cloud controller publishes an address in `status.loadBalancer.ingress`.
 */
export function serviceHealth(obj: KubeObject): HealthReport {
  const type = text(obj, 'spec', 'type') ?? 'ClusterIP';
  if (type !== 'LoadBalancer') return healthy(type);
  const addresses = loadBalancerAddresses(obj);
  if (addresses.length === 0) return progressing('waiting for a load balancer address');
  return healthy(`load balancer at ${addresses.join(', ')}`);
}

/** The IPs and hostnames in `status.loadBalancer.ingress` (shared with Ingress). */
export function loadBalancerAddresses(obj: KubeObject): string[] {
  return list(obj, 'status', 'loadBalancer', 'ingress').flatMap((entry) => {
    const address = text(entry, 'ip') ?? text(entry, 'hostname');
    return address === undefined ? [] : [address];
  });
}
