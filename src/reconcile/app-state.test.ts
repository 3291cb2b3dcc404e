import { describe, expect, it } from 'vitest';
import type { Application } from '../api/application.js';
import type { KubeObject } from '../api/object.js';
import { formatAppKey } from '../api/app-key.js';
import { AppStates } from './app-state.js';

const shop = formatAppKey({ namespace: 'team-a', name: 'shop' });

/** An Application as a list or watch shows it; `meta` overrides metadata fields. */
function listed(
  name: string,
  meta: Record<string, unknown> = {},
  repoURL = 'https://git.example/shop.git',
): KubeObject {
  return {
    apiVersion: 'ballast.dev/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'team-a', generation: 1, ...meta },
    spec: { source: { repoURL } },
  };
}

const asApp = (o: KubeObject): Application => o as unknown as Application;

const configMap = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'team-a', resourceVersion: '7' },
});

describe('AppStates, what the controller knows of each Application', () => {
  it('queues a new Application once, and again only when its trigger moves', () => {
    const apps = new AppStates();
    expect(apps.observe(listed('shop'))).toEqual({ key: 'team-a/shop', changed: true });
    expect(apps.observe(listed('shop')).changed).toBe(false);
    // A status write changes neither generation nor annotations: no reconcile.
    expect(apps.observe(listed('shop', { resourceVersion: '99' })).changed).toBe(false);
    expect(apps.observe(listed('shop', { generation: 2 })).changed).toBe(true);
    const refresh = { generation: 2, annotations: { 'ballast.dev/refresh': 't1' } };
    expect(apps.observe(listed('shop', refresh)).changed).toBe(true);
    const sync = { generation: 2, annotations: { 'ballast.dev/sync': 's1' } };
    expect(apps.observe(listed('shop', sync)).changed).toBe(true);
    const deleting = { ...sync, deletionTimestamp: '2026-01-01T00:00:00Z' };
    expect(apps.observe(listed('shop', deleting)).changed).toBe(true);
  });

  it("hands this process's first reconcile the listed copy, once; later ones read afresh", () => {
    const apps = new AppStates();
    const first = listed('shop');
    apps.observe(first);
    expect(apps.firstRead(shop)).toBe(first);
    expect(apps.firstRead(shop)).toBeUndefined();
    // Listed again after our own writes: the copy may predate them, so it is not kept.
    apps.observe(listed('shop', { resourceVersion: '12' }));
    expect(apps.firstRead(shop)).toBeUndefined();
    expect(
      apps.firstRead(formatAppKey({ namespace: 'team-a', name: 'never-listed' })),
    ).toBeUndefined();
  });

  it('keeps what is observed of live objects across renders, and caches the spec without status or managedFields', () => {
    const apps = new AppStates();
    const app = asApp({
      ...listed('shop', { managedFields: [{ manager: 'kubectl' }] }),
      status: { sync: { status: 'Synced' } },
    });
    const objects = [{ object: configMap('settings'), origin: { file: 'cm.yaml', line: 1 } }];
    const observed = apps.rendered(shop, { revision: 'r1', app, objects });
    observed.stored(configMap('settings'));
    const again = apps.rendered(shop, { revision: 'r2', app, objects });
    expect(again).toBe(observed);
    const desired = apps.desired(shop);
    expect(desired?.revision).toBe('r2');
    expect(desired?.objects).toBe(objects);
    expect(desired?.app.status).toBeUndefined();
    expect(desired?.app.metadata['managedFields']).toBeUndefined();
    expect(desired?.app.spec).toBe(app.spec);
  });

  it('lets a suspension reach the drift path, and records nothing before the first render', () => {
    const apps = new AppStates();
    const app = asApp(listed('shop'));
    apps.sawSpec(shop, { ...app, spec: { ...app.spec, suspend: true } });
    expect(apps.desired(shop)).toBeUndefined();
    apps.rendered(shop, { revision: 'r1', app, objects: [] });
    apps.sawSpec(shop, { ...app, spec: { ...app.spec, suspend: true } });
    expect(apps.desired(shop)?.app.spec.suspend).toBe(true);
  });

  it('finds the Applications of a pushed repository however the webhook spells its URL', () => {
    const apps = new AppStates();
    apps.observe(listed('shop'));
    apps.observe(listed('blog', {}, 'git@git.example:shop.git'));
    apps.observe(listed('other', {}, 'https://git.example/other.git'));
    expect(apps.byRepo('https://GIT.example/shop/').sort()).toEqual(['team-a/blog', 'team-a/shop']);
    // Moved to another repository: no longer found under the old one.
    apps.observe(listed('blog', {}, 'https://git.example/blog.git'));
    expect(apps.byRepo('https://git.example/shop.git')).toEqual(['team-a/shop']);
  });

  it('drops the desired state of a deleted Application but keeps its trigger, so a poll does not queue it again', () => {
    const apps = new AppStates();
    const deleting = listed('shop', { deletionTimestamp: '2026-01-01T00:00:00Z' });
    apps.observe(deleting);
    apps.rendered(shop, { revision: 'r1', app: asApp(deleting), objects: [] });
    apps.dropDesired(shop);
    expect(apps.desired(shop)).toBeUndefined();
    expect(apps.observe(deleting).changed).toBe(false);
  });

  it('counts failed passes in a row until a pass ends otherwise', () => {
    const apps = new AppStates();
    expect([1, 2, 3].map(() => apps.countFailure(shop))).toEqual([1, 2, 3]);
    apps.clearFailures(shop);
    expect(apps.countFailure(shop)).toBe(1);
  });

  it('forgets everything of an Application that is gone: listed again, it is new', () => {
    const apps = new AppStates();
    apps.observe(listed('shop'));
    apps.firstRead(shop);
    apps.rendered(shop, { revision: 'r1', app: asApp(listed('shop')), objects: [] });
    apps.countFailure(shop);
    apps.forget(shop);
    expect(apps.keys()).toEqual([]);
    expect(apps.desired(shop)).toBeUndefined();
    expect(apps.byRepo('https://git.example/shop.git')).toEqual([]);
    const again = listed('shop');
    expect(apps.observe(again).changed).toBe(true);
    expect(apps.firstRead(shop)).toBe(again);
    expect(apps.countFailure(shop)).toBe(1);
  });
});
