import { createHash } from 'node:crypto';
import type { ResourceStatus } from '../api/application.js';
import { refKey, refOf, type KubeObject, type ObjectRef } from '../api/object.js';
import { aggregateHealth, assessHealth, type HealthReport } from '../health/index.js';

/** Is `a` a later resourceVersion than `b`? Compared as numbers, which etcd's revisions are. */
function newer(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return true;
  return BigInt(a) >= BigInt(b);
}

interface Seen {
  health?: HealthReport;
  resourceVersion?: string;
}

/** The app's health, and each object's by refKey for status.resources. */
export interface AppHealth {
  status: HealthReport['status'];
  message: string;
  byObject: ReadonlyMap<string, HealthReport>;
}

/** A short stand-in for a status written, kept per Application instead of its whole text. */
const digestOf = (value: unknown): string =>
  createHash('sha256').update(JSON.stringify(value)).digest('base64');

const sameHealth = (a: HealthReport | undefined, b: HealthReport | undefined): boolean =>
  a?.status === b?.status && a?.message === b?.message;

/**
 * What the controller knows of one Application's objects between reconciles, kept current by
 * the sync (each object as the apiserver stored it) and by watch events, so that its health
 * is known without a request or a reconcile.
 */
export class ObservedApp {
  private readonly objects = new Map<string, Seen>();
  /** status.resources as the last reconcile wrote it, for health-only updates. */
  private resources: ResourceStatus[] = [];
  /** What status.health and status.resources were last written as. */
  private written: string | undefined;
  /** The aggregated health last written, by a pass or a health update. */
  private writtenHealth: HealthReport['status'] | undefined;

  /** An object as the apiserver stored it after Ballast applied or compared it. */
  stored(obj: KubeObject): void {
    this.observe(obj);
  }

  /**
   * A watch event on one of the objects; true when it moved the health of an object already
   * seen. An event for an object not stored yet is kept too: on a busy controller the
   * watch can deliver a new Deployment's status updates before the apply answer that created
   * it is handled, and that older answer must not win over them.
   */
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): boolean {
    const key = refKey(refOf(obj));
    const known = this.objects.get(key);
    if (type === 'DELETED') this.objects.set(key, { health: assessHealth(undefined) });
    else this.observe(obj);
    return known !== undefined && !sameHealth(known.health, this.objects.get(key)?.health);
  }

  /** Forgets objects that left the Application. */
  keepOnly(refs: readonly ObjectRef[]): void {
    const keep = new Set(refs.map(refKey));
    for (const k of [...this.objects.keys()]) if (!keep.has(k)) this.objects.delete(k);
  }

  /** The Application's health from its objects' as last seen, and each one's by refKey. */
  healthOf(refs: readonly ObjectRef[]): AppHealth {
    const items = refs.map((subject) => ({
      subject,
      health: this.objects.get(refKey(subject))?.health ?? assessHealth(undefined),
    }));
    const report = aggregateHealth(items);
    return { ...report, byObject: new Map(items.map((i) => [refKey(i.subject), i.health])) };
  }

  /**
   * status.health and status.resources as they stand now, when they differ from what was last
   * written; undefined when there is nothing new to write.
   */
  healthUpdate(): { health: HealthReport; resources: ResourceStatus[] } | undefined {
    // Only what the reconcile assessed: entries being pruned or never applied have no health.
    const h = this.healthOf(this.resources.filter((r) => this.objects.has(refKey(r))));
    const resources = this.resources.map((r) => {
      const now = h.byObject.get(refKey(r));
      return now === undefined ? r : { ...r, health: { status: now.status, message: now.message } };
    });
    const update = { health: { status: h.status, message: h.message }, resources };
    const digest = digestOf(update);
    if (digest === this.written) return undefined;
    this.written = digest;
    this.writtenHealth = h.status;
    return update;
  }

  /** The aggregated health last written (see healthUpdate and wrote); undefined before either. */
  healthWritten(): HealthReport['status'] | undefined {
    return this.writtenHealth;
  }

  /** The reconcile wrote status.resources (with health): later updates start from them. */
  wrote(resources: ResourceStatus[], health: HealthReport): void {
    this.resources = resources;
    this.writtenHealth = health.status;
    this.written = digestOf({
      health: { status: health.status, message: health.message },
      resources,
    });
  }

  private observe(obj: KubeObject): void {
    const key = refKey(refOf(obj));
    const known = this.objects.get(key);
    const rv = obj.metadata.resourceVersion as string | undefined;
    // Events and apply answers race; an older view must not overwrite a newer one.
    if (known?.resourceVersion !== undefined && !newer(rv, known.resourceVersion)) return;
    this.objects.set(key, {
      health: assessHealth(obj),
      ...(rv === undefined ? {} : { resourceVersion: rv }),
    });
  }
}
