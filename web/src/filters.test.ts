import { describe, expect, it } from 'vitest';
import {
  appFiltersToSearch,
  appListQuery,
  auditQuery,
  emptyFilters,
  pageCount,
  parseAppFilters,
} from './filters.js';

const parse = (s: string) => parseAppFilters(new URLSearchParams(s));

describe('Applications filters in the URL', () => {
  it('round-trips every filter and the page through the query string', () => {
    const search =
      '?namespace=team-a&sync=OutOfSync&health=Degraded&label=tier%3Dfront&q=web&page=3&limit=500';
    const f = parse(search);
    expect(f).toEqual({
      namespace: 'team-a',
      sync: 'OutOfSync',
      health: 'Degraded',
      label: 'tier=front',
      q: 'web',
      page: 2,
      limit: 500,
    });
    expect(appFiltersToSearch(f)).toBe(search);
  });

  it('leaves defaults out of the URL', () => {
    expect(appFiltersToSearch(emptyFilters)).toBe('');
    expect(parse('')).toEqual(emptyFilters);
  });

  it('drops a sync or health value the API does not know and a page size it does not offer', () => {
    const f = parse('sync=Broken&health=%3Cscript%3E&limit=100000&page=-2');
    expect(f.sync).toBeUndefined();
    expect(f.health).toBeUndefined();
    expect(f.limit).toBe(100);
    expect(f.page).toBe(0);
  });
});

describe('Applications filters to the server query', () => {
  it('sends offset and limit for the page and only the filters that are set', () => {
    expect(appListQuery({ ...emptyFilters, page: 2, limit: 50, label: ' app=web ' })).toEqual({
      offset: 100,
      limit: 50,
      label: 'app=web',
    });
  });

  it('counts pages, with one page for an empty list', () => {
    expect(pageCount(0, 100)).toBe(1);
    expect(pageCount(1000, 100)).toBe(10);
    expect(pageCount(1001, 100)).toBe(11);
  });
});

describe('Audit filters to the server query', () => {
  it('turns local times into RFC 3339 and leaves out what is empty or unparseable', () => {
    const q = auditQuery({ app: 'a/web', kind: '', since: '2026-01-02T03:04', until: 'soon' });
    expect(q.app).toBe('a/web');
    expect(q.kind).toBeUndefined();
    expect(q.since).toBe(new Date('2026-01-02T03:04').toISOString());
    expect(q.until).toBeUndefined();
  });
});
