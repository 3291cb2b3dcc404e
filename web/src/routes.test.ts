import { describe, expect, it } from 'vitest';
import { objectKey, objectPath, parseObjectKey, parseRoute } from './routes.js';

const route = (url: string) => {
  const u = new URL(url, 'http://ui.test');
  return parseRoute(u.pathname, u.searchParams);
};

describe('parsing browser routes', () => {
  it('opens Applications at the root', () => {
    expect(route('/')).toEqual({ view: 'apps' });
    expect(route('/?sync=OutOfSync')).toEqual({ view: 'apps' });
  });

  it('opens an Application with its selected object and tab from the query', () => {
    expect(route('/apps/team-a/web?object=apps|Deployment|team-a|web&tab=diff')).toEqual({
      view: 'app',
      key: { namespace: 'team-a', name: 'web' },
      object: 'apps|Deployment|team-a|web',
      tab: 'diff',
    });
  });

  it('falls back to the Live tab for an unknown tab', () => {
    expect(route('/apps/a/b?tab=<script>')).toMatchObject({ view: 'app', tab: 'live' });
  });

  it('decodes escaped segments and tolerates a trailing slash', () => {
    expect(route('/apps/team%2Da/web/')).toMatchObject({
      key: { namespace: 'team-a', name: 'web' },
    });
  });

  it('answers not-found for a malformed escape instead of throwing', () => {
    expect(route('/apps/%E0%A4%A/web')).toEqual({ view: 'not-found', path: '/apps/%E0%A4%A/web' });
  });

  it('answers not-found for extra or missing segments', () => {
    expect(route('/apps/a')).toMatchObject({ view: 'not-found' });
    expect(route('/apps/a/b/c')).toMatchObject({ view: 'not-found' });
    expect(route('/audit/x')).toMatchObject({ view: 'not-found' });
  });

  it('knows the audit, fleet, fleet application and login views', () => {
    expect(route('/audit')).toEqual({ view: 'audit' });
    expect(route('/fleet')).toEqual({ view: 'fleet' });
    expect(route('/fleet/fleet-system/web')).toEqual({
      view: 'fleet-app',
      key: { namespace: 'fleet-system', name: 'web' },
    });
    expect(route('/login')).toEqual({ view: 'login' });
  });
});

describe('object keys in the URL', () => {
  it('round-trips a core-group object and a cluster-scoped one', () => {
    const pod = { group: '', kind: 'Pod', namespace: 'a', name: 'web-1' };
    const ns = { group: '', kind: 'Namespace', namespace: '', name: 'a' };
    expect(parseObjectKey(objectKey(pod))).toEqual(pod);
    expect(parseObjectKey(objectKey(ns))).toEqual(ns);
  });

  it('refuses a key without four parts', () => {
    expect(parseObjectKey('Pod|a|web')).toBeUndefined();
  });

  it('builds the URL with the object escaped and the default tab left out', () => {
    const key = { namespace: 'a', name: 'web' };
    expect(objectPath(key, 'apps|Deployment|a|web', 'live')).toBe(
      '/apps/a/web?object=apps%7CDeployment%7Ca%7Cweb',
    );
    expect(objectPath(key, 'apps|Deployment|a|web', 'diff')).toMatch(/&tab=diff$/);
  });
});
