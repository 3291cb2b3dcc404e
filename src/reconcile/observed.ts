import { createHash } from 'node:crypto';
import type { ResourceStatus } from '../api/application.js';
import { refKey, refOf, type KubeObject, type ObjectRef } from '../api/object.js';
import { fieldManager } from '../cluster/cluster.js';
import { aggregateHealth, assessHealth, type HealthReport } from '../health/index.js';

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsV1?: unknown;
}

/**
 * A digest of the fields Ballast's own apply owns in a live object. Server-side apply moves a
 * field's ownership to whoever changes its value, so while this digest stays the same, no
 * field Ballast set has been changed by anyone else: a status update, a label added by
 * another tool, or Ballast's own write leave it as it was. Undefined when Ballast owns nothing.
 */
export function ownedFingerprint(obj: KubeObject): string | undefined {
  const entries = (obj.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  const own = entries.find(
    (e) => e.manager === fieldManager && e.operation === 'Apply' && e.subresource === undefined,
  );
  if (own === undefined) return undefined;
  return createHash('sha1')
    .update(JSON.stringify(own.fieldsV1 ?? null))
    .digest('base64');
}

/** Is `a` a later resourceVersion than `b`? Compared as numbers, which etcd's revisions are. */
function newer(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return true;
  return BigInt(a) >= BigInt(b);
}

interface Seen {
  /** Ballast's owned fields as last confirmed to match Git; see ownedFingerprint. */
  fingerprint?: string;
  health?: HealthReport;
  resourceVersion?: string;
}

/** What a watch event says about one managed object, before any request is made. */
export interface EventVerdict {
  /**
   * Someone may have changed Ballast's fields, or nothing is confirmed yet: re-check it. False
   * for a status update or Ballast's own write, which leave Ballast's fields as confirmed.
   */
  check: boolean;
  /** The object's health moved, so the Application's may have. */
  healthChanged: boolean;
}

/** The app's health, and each object's by refKey for status.resources. */
export interface AppHealth {
  status: HealthReport['status'];
  message: string;
  byObject: ReadonlyMap<string, HealthReport>;
}

const sameHealth = (a: HealthReport | undefined, b: HealthReport | undefined): boolean =>
  a?.status === b?.status && a?.message === b?.message;

/**
 * What the controller knows of one Application's objects between reconciles, kept current by
 * the sync (each object as the apiserver stored it) and by watch events. It answers two
 * questions without a request: did this event touch Ballast's fields, and how healthy is the
 * Application now.
 */
export class ObservedApp {
  private readonly objects = new Map<string, Seen>();
  /** status.resources as the last reconcile wrote it, for health-only updates. */
  private resources: ResourceStatus[] = [];
  /** What status.health and status.resources were last written as. */
  private written: string | undefined;

  /** An object as the apiserver stored it after Ballast applied or compared it. */
  stored(obj: KubeObject): void {
    this.observe(obj, ownedFingerprint(obj));
  }

  /** A watch event; updates health, and says whether Ballast's fields need a re-check. */
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): EventVerdict {
    const key = refKey(refOf(obj));
    const known = this.objects.get(key);
    if (known === undefined) return { check: true, healthChanged: false };
    if (type === 'DELETED') {
      this.objects.set(key, { health: assessHealth(undefined) });
      return { check: true, healthChanged: !sameHealth(known.health, assessHealth(undefined)) };
    }
    this.observe(obj, known.fingerprint);
    const healthChanged = !sameHealth(known.health, this.objects.get(key)?.health);
    const fp = ownedFingerprint(obj);
    return { check: fp === undefined || known.fingerprint !== fp, healthChanged };
  }

  /** Is the live object's Ballast-owned part still what was confirmed to match Git? */
  confirmed(live: KubeObject): boolean {
    const fp = ownedFingerprint(live);
    return fp !== undefined && this.objects.get(refKey(refOf(live)))?.fingerprint === fp;
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
    const h = this.healthOf(this.resources);
    const resources = this.resources.map((r) => {
      const now = h.byObject.get(refKey(r));
      return now === undefined ? r : { ...r, health: { status: now.status, message: now.message } };
    });
    const update = { health: { status: h.status, message: h.message }, resources };
    const digest = JSON.stringify(update);
    if (digest === this.written) return undefined;
    this.written = digest;
    return update;
  }

  /** The reconcile wrote status.resources (with health): later updates start from them. */
  wrote(resources: ResourceStatus[], health: HealthReport): void {
    this.resources = resources;
    this.written = JSON.stringify({
      health: { status: health.status, message: health.message },
      resources,
    });
  }

  private observe(obj: KubeObject, fingerprint: string | undefined): void {
    const key = refKey(refOf(obj));
    const known = this.objects.get(key);
    const rv = obj.metadata.resourceVersion as string | undefined;
    // Events and apply answers race; an older view must not overwrite a newer one.
    if (known?.resourceVersion !== undefined && !newer(rv, known.resourceVersion)) return;
    this.objects.set(key, {
      ...(fingerprint === undefined ? {} : { fingerprint }),
      health: assessHealth(obj),
      ...(rv === undefined ? {} : { resourceVersion: rv }),
    });
  }
}
