/** Loading a value from the API, keeping the last good one while a refetch is under way. */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Fetch again (a stream message said it changed). Answers arriving out of order are dropped. */
  reload: () => void;
}

export function useLoad<T>(fetch: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const seq = useRef(0);
  const fetchRef = useRef(fetch);
  fetchRef.current = fetch;

  const reload = useCallback(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    fetchRef.current().then(
      (data) => {
        if (mine === seq.current) setState({ data, error: undefined, loading: false });
      },
      (error: unknown) => {
        if (mine === seq.current) setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
  }, []);

  // A layout effect runs as soon as the view is in the DOM; a plain effect waits for the next
  // frame (up to 100 ms in a page the browser is not painting yet), and the request with it.
  useLayoutEffect(reload, deps);
  return { ...state, reload };
}

/**
 * `fn` once, `ms` after the first of a burst of calls: a sync writes status several times and a
 * fleet of apps reports at once; each view refetches once per burst. Event-driven, never polling.
 */
export function useCoalesced(fn: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(
    () => () => {
      clearTimeout(timer.current);
    },
    [],
  );
  return useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      latest.current();
    }, ms);
  }, [ms]);
}
