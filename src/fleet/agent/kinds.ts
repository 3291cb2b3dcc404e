import {
  applicationGroup,
  applicationKind,
  applicationPlural,
  applicationVersion,
} from '../../api/application.js';
import type { KubeObject } from '../../api/object.js';
import type { Cluster } from '../../cluster/cluster.js';
import type { ResourceInfo } from '../../cluster/discovery.js';
import { assignmentResource } from '../assignment.js';
import { mirrorAnnotations, mirroredGeneration } from './mirror.js';

/** What the agent reads on the hub and writes on the spoke, and how it tells versions apart. */

export const assignmentInfo: ResourceInfo = {
  group: applicationGroup,
  version: applicationVersion,
  kind: assignmentResource.kind,
  resource: assignmentResource.plural,
  namespaced: true,
  verbs: ['get', 'list', 'watch'],
};

export const applicationInfo: ResourceInfo = {
  group: applicationGroup,
  version: applicationVersion,
  kind: applicationKind,
  resource: applicationPlural,
  namespaced: true,
  verbs: ['get', 'list', 'watch'],
};

/** A mirror is rewritten only when the Assignment it came from changed. */
export const versionOf = (o: KubeObject): string => {
  const { uid, generation } = o.metadata;
  return `${typeof uid === 'string' ? uid : ''}/${typeof generation === 'number' ? generation : ''}`;
};

/** The Assignment version a mirror on the spoke was built from, in versionOf's form. */
export const mirrorVersionOf = (m: KubeObject): string =>
  `${m.metadata.annotations?.[mirrorAnnotations.uid] ?? ''}/${String(mirroredGeneration(m) ?? '')}`;

/** The spoke's Kubernetes version, as /version says; empty when it will not. */
export async function kubernetesVersionOf(spoke: Cluster): Promise<string> {
  const r = await spoke.http.request('GET', '/version');
  const v = r.status === 200 ? (JSON.parse(r.body) as { gitVersion?: string }).gitVersion : '';
  return v ?? '';
}
