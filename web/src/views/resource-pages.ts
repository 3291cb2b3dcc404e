/**
 * The rows of one Application's resource tree and list: a cache of server pages, and the fixed
 * geometry the windowing relies on.
 */
import { useCallback, useRef, useState } from 'preact/hooks';
import type { AppKey, ResourceNode, ResourcePage } from '../../../src/ui/api.js';
import { useCtx } from '../context.js';

export const ROW_HEIGHT = 28;
export const VIEW_HEIGHT = 420;
export const PAGE_SIZE = 200;
export const OVERSCAN = 8;
export const HEADER_HEIGHT = 32;

/** A short app's panes shrink to fit; a long one's stop at VIEW_HEIGHT and scroll. */
export function heightFor(total: number, header: number): number {
  return Math.min(VIEW_HEIGHT, Math.max(3, total) * ROW_HEIGHT + header + 2);
}

export interface Pages {
  total: number | undefined;
  counts: ResourcePage['counts'];
  error: unknown;
  row: (index: number) => ResourceNode | undefined;
  ensure: (pages: number[]) => void;
}

/**
 * A page cache for one Application's resources. `version` changes when the stream says the app
 * changed: the cache is marked stale (still shown, so nothing flashes) and the pages on screen are
 * fetched again.
 */
export function useResourcePages(appKey: AppKey, q: string, version: number): Pages {
  const { client } = useCtx();
  const cache = useRef(new Map<number, ResourceNode[]>());
  const stale = useRef(new Map<number, ResourceNode[]>());
  const inflight = useRef(new Set<number>());
  const generation = useRef(0);
  const [meta, setMeta] = useState<{ total?: number; counts: ResourcePage['counts'] }>({
    counts: {},
  });
  const [error, setError] = useState<unknown>(undefined);
  const [, setTick] = useState(0);
  const lastVersion = useRef(version);
  if (lastVersion.current !== version) {
    lastVersion.current = version;
    generation.current++;
    stale.current = new Map([...stale.current, ...cache.current]);
    cache.current = new Map();
    inflight.current = new Set();
  }

  const ensure = useCallback(
    (pages: number[]) => {
      for (const p of pages) {
        if (cache.current.has(p) || inflight.current.has(p)) continue;
        inflight.current.add(p);
        const gen = generation.current;
        const query = q
          ? { offset: p * PAGE_SIZE, limit: PAGE_SIZE, q }
          : { offset: p * PAGE_SIZE, limit: PAGE_SIZE };
        client.resources(appKey, query).then(
          (page) => {
            if (gen !== generation.current) return;
            inflight.current.delete(p);
            cache.current.set(p, page.items);
            setMeta({ total: page.total, counts: page.counts });
            setError(undefined);
            setTick((t) => t + 1);
          },
          (err: unknown) => {
            if (gen !== generation.current) return;
            inflight.current.delete(p);
            setError(err);
          },
        );
      }
    },
    // The component is keyed by app and filter; only the version renews the cache.
    [client, version],
  );

  const row = (i: number) => {
    const p = Math.floor(i / PAGE_SIZE);
    return (cache.current.get(p) ?? stale.current.get(p))?.[i % PAGE_SIZE];
  };
  return { total: meta.total, counts: meta.counts, error, row, ensure };
}
