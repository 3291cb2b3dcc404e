import type { KubeObject } from '../api/object.js';
import type { Cluster } from '../cluster/cluster.js';
import type { ResourceInfo } from '../cluster/discovery.js';
import { WatchManager } from '../cluster/watch.js';

/** A change to a managed object, as its watch reported it. */
export interface ManagedEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

/** Starts watches on the kinds an Application manages, and reports their events. */
export interface ManagedWatches {
  /** Resolves once the watch is open; rejects for kinds that cannot be watched. */
  ensure(info: ResourceInfo): Promise<void>;
  stop(): Promise<void>;
  /** Watches open now, for metrics. */
  count?(): number;
  /** Does an object of this identity carry a tracking label? See WatchManager.tracked. */
  tracked?(info: ResourceInfo, namespace: string, name: string): boolean | undefined;
}

/** Managed-object watches on the shared WatchManager, reporting every change. */
export function managedWatches(
  cluster: Cluster,
  onError: (e: Error) => void,
  scope: { namespace?: string } = {},
): (onEvent: (e: ManagedEvent) => void) => ManagedWatches {
  return (onEvent) => {
    const wm = new WatchManager(cluster.http, {
      // A namespaced Role (an agent in namespace mode) can watch only its own namespace.
      namespace: scope.namespace,
      // The objects as first listed carry the status written since Ballast applied them (a
      // Deployment observed by its controller): health needs them; drift ignores repeats.
      announceInitialList: true,
      onEvent: (e) => {
        onEvent(e);
      },
      onError,
    });
    return {
      ensure: (info) => wm.ensure(info),
      stop: () => wm.stop(),
      count: () => wm.count(),
      tracked: (info, namespace, name) => wm.tracked(info, namespace, name),
    };
  };
}
