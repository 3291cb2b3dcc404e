import type { ResourceParseResult } from '../../api/resource.js';
import { parseAssignment, type Assignment } from '../assignment.js';
import { parseCluster, type Cluster } from '../cluster.js';
import { parseFleetApplication, type FleetApplication } from '../fleet-application.js';

export const sha1 = 'a'.repeat(40);
export const sha2 = 'b'.repeat(40);

function must<T>(r: ResourceParseResult<T>): T {
  if (r.kind !== 'ok') throw r.error;
  return r.value;
}

/** A parsed Cluster with these labels and annotations. */
export function cluster(
  name: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): Cluster {
  return must(
    parseCluster({
      apiVersion: 'ballast.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name, namespace: 'ballast-fleet', labels, annotations },
    }),
  );
}

/** A parsed FleetApplication `retail/pos` (or as named), with the spec fields given merged in. */
export function fleetApp(
  spec: Record<string, unknown> = {},
  metadata: Record<string, unknown> = {},
): FleetApplication {
  return must(
    parseFleetApplication({
      apiVersion: 'ballast.dev/v1alpha1',
      kind: 'FleetApplication',
      metadata: { name: 'pos', namespace: 'retail', uid: 'uid-1', generation: 3, ...metadata },
      spec: {
        template: {
          source: { repoURL: 'https://git.example.com/pos.git', path: 'deploy' },
          destination: { namespace: 'pos' },
        },
        placement: { clusterSelector: { matchLabels: { tier: 'store' } } },
        ...spec,
      },
    }),
  );
}

/** A parsed Assignment, round-tripped through the parser as the agent would read it. */
export function reparse(a: unknown): Assignment {
  return must(parseAssignment(a));
}
