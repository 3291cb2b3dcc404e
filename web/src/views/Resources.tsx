/**
 * The resource tree and list of one Application. Both are windowed: only the rows on screen are in
 * the DOM (fixed row height, padding standing in for the rest), and rows come from the server in
 * pages as the user scrolls, so 5,000 objects cost what 30 do.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { AppKey, HealthStatus, ResourceNode, ResourcePage } from '../../../src/ui/api.js';
import { ErrorAlert, Health, Link, Sync } from '../components/common.js';
import { useCtx } from '../context.js';
import { HEALTH_STATUSES } from '../filters.js';
import { navigate } from '../router.js';
import { objectPath, type ObjectTab } from '../routes.js';
import { pagesFor, scrollToRow, visibleWindow } from '../windowing.js';

export const ROW_HEIGHT = 28;
const VIEW_HEIGHT = 420;
const PAGE_SIZE = 200;
const OVERSCAN = 8;
const HEADER_HEIGHT = 32;

/** A short app's panes shrink to fit; a long one's stop at VIEW_HEIGHT and scroll. */
function heightFor(total: number, header: number): number {
  return Math.min(VIEW_HEIGHT, Math.max(3, total) * ROW_HEIGHT + header + 2);
}

interface Pages {
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
function useResourcePages(appKey: AppKey, q: string, version: number): Pages {
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

export function Resources(props: {
  appKey: AppKey;
  version: number;
  selected: string | undefined;
  tab: ObjectTab;
}) {
  const [q, setQ] = useState('');
  const [draft, setDraft] = useState('');
  return (
    <section aria-label="Resources" class="panel">
      <h2>Resources</h2>
      <form
        role="search"
        aria-label="Filter resources"
        class="resource-filter"
        onSubmit={(e) => {
          e.preventDefault();
          setQ(draft.trim());
        }}
      >
        <label for="res-q">Filter objects</label>
        <input
          id="res-q"
          type="search"
          placeholder="kind or name"
          value={draft}
          onInput={(e) => {
            setDraft(e.currentTarget.value);
          }}
        />
        <button type="submit">Filter</button>
      </form>
      {/* Keyed by the filter: another filter starts from an empty cache and the top of the list. */}
      <ResourceViews key={q} {...props} q={q} />
    </section>
  );
}

function ResourceViews(props: {
  appKey: AppKey;
  version: number;
  selected: string | undefined;
  tab: ObjectTab;
  q: string;
}) {
  const pages = useResourcePages(props.appKey, props.q, props.version);
  const [treeTop, setTreeTop] = useState(0);
  const [listTop, setListTop] = useState(0);
  const total = pages.total ?? 0;
  const at = (scrollTop: number) =>
    visibleWindow({
      scrollTop,
      viewportHeight: VIEW_HEIGHT,
      rowHeight: ROW_HEIGHT,
      total,
      overscan: OVERSCAN,
    });
  const treeWin = at(treeTop);
  const listWin = at(listTop);
  const needed =
    pages.total === undefined
      ? [0]
      : [
          ...new Set([
            ...pagesFor(treeWin.start, treeWin.end, PAGE_SIZE),
            ...pagesFor(listWin.start, listWin.end, PAGE_SIZE),
          ]),
        ];
  const neededKey = needed.join(',');
  const { ensure } = pages;
  useEffect(() => {
    ensure(needed);
    // neededKey is needed's identity
  }, [ensure, neededKey]);

  const open = (node: ResourceNode) => {
    navigate(objectPath(props.appKey, node.key, props.tab));
  };

  return (
    <>
      <div class="resource-bar">
        <p>
          <strong>{pages.total ?? '…'}</strong> {props.q ? `objects match “${props.q}”` : 'objects'}
        </p>
        <ul class="inline-counts">
          {HEALTH_STATUSES.filter((h) => pages.counts[h]).map((h: HealthStatus) => (
            <li>
              <Health value={h} /> {pages.counts[h]}
            </li>
          ))}
        </ul>
      </div>
      <ErrorAlert error={pages.error} />
      <div class="resources">
        <Tree
          pages={pages}
          total={total}
          win={treeWin}
          setTop={setTreeTop}
          selected={props.selected}
          open={open}
        />
        <List
          appKey={props.appKey}
          tab={props.tab}
          pages={pages}
          total={total}
          win={listWin}
          setTop={setListTop}
          selected={props.selected}
        />
      </div>
    </>
  );
}

type Win = ReturnType<typeof visibleWindow>;

function Tree(props: {
  pages: Pages;
  total: number;
  win: Win;
  setTop: (top: number) => void;
  selected: string | undefined;
  open: (n: ResourceNode) => void;
}) {
  const { pages, total, win } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const activeIndex = Math.min(active, Math.max(0, total - 1));

  const moveTo = (index: number) => {
    const i = Math.max(0, Math.min(total - 1, index));
    setActive(i);
    const el = scroller.current;
    if (!el) return;
    const top = scrollToRow(i, el.scrollTop, el.clientHeight, ROW_HEIGHT);
    if (top !== undefined) {
      el.scrollTop = top;
      props.setTop(top);
    }
  };

  const parentOf = (i: number): number | undefined => {
    const node = pages.row(i);
    if (!node?.parent) return undefined;
    for (let j = i - 1; j >= 0; j--) {
      const n = pages.row(j);
      if (!n) return undefined;
      if (n.key === node.parent) return j;
    }
    return undefined;
  };

  const onKey = (e: KeyboardEvent) => {
    const node = pages.row(activeIndex);
    const handled = (fn: () => void) => {
      e.preventDefault();
      fn();
    };
    switch (e.key) {
      case 'ArrowDown':
        handled(() => {
          moveTo(activeIndex + 1);
        });
        break;
      case 'ArrowUp':
        handled(() => {
          moveTo(activeIndex - 1);
        });
        break;
      case 'Home':
        handled(() => {
          moveTo(0);
        });
        break;
      case 'End':
        handled(() => {
          moveTo(total - 1);
        });
        break;
      case 'PageDown':
        handled(() => {
          moveTo(activeIndex + Math.floor(VIEW_HEIGHT / ROW_HEIGHT));
        });
        break;
      case 'PageUp':
        handled(() => {
          moveTo(activeIndex - Math.floor(VIEW_HEIGHT / ROW_HEIGHT));
        });
        break;
      case 'ArrowRight': {
        // The tree is always expanded: Right moves to the first child, if there is one.
        const next = pages.row(activeIndex + 1);
        if (node && next && next.depth > node.depth)
          handled(() => {
            moveTo(activeIndex + 1);
          });
        break;
      }
      case 'ArrowLeft': {
        const p = parentOf(activeIndex);
        if (p !== undefined)
          handled(() => {
            moveTo(p);
          });
        break;
      }
      case 'Enter':
      case ' ':
        if (node)
          handled(() => {
            props.open(node);
          });
        break;
    }
  };

  const rows = [];
  for (let i = win.start; i < win.end; i++) {
    const n = pages.row(i);
    const id = `ti-${i}`;
    if (!n) {
      rows.push(
        <div role="treeitem" id={id} aria-selected={false} class="row loading" key={id}>
          Loading…
        </div>,
      );
      continue;
    }
    rows.push(
      <div
        key={n.key}
        id={id}
        role="treeitem"
        aria-level={n.depth + 1}
        aria-describedby={`${id}-h`}
        aria-selected={n.key === props.selected}
        class={`row depth-${Math.min(n.depth, 6)}${i === activeIndex ? ' active' : ''}`}
        onClick={() => {
          setActive(i);
          props.open(n);
        }}
      >
        <span class="indent" style={{ width: `${n.depth * 16}px` }} />
        {/* One text node: a flex row would put spaces into the name between separate spans. */}
        <span class="name">{`${n.kind}/${n.name}`}</span>
        {/* Named by Kind/name alone (what a reader looks for); health is the description. */}
        <Health value={n.health} id={`${id}-h`} hidden />
      </div>,
    );
  }

  return (
    <div
      class="scroller"
      ref={scroller}
      style={{ height: `${heightFor(total, 0)}px` }}
      onScroll={(e) => {
        props.setTop(e.currentTarget.scrollTop);
      }}
    >
      <div
        role="tree"
        aria-label="Resource tree"
        tabIndex={0}
        aria-activedescendant={
          total > 0 && activeIndex >= win.start && activeIndex < win.end
            ? `ti-${activeIndex}`
            : undefined
        }
        style={{ paddingTop: `${win.padTop}px`, paddingBottom: `${win.padBottom}px` }}
        onKeyDown={onKey}
        onFocus={() => {
          // Focus lands on the tree: keep the active row on screen so the reader hears one.
          if (activeIndex < win.start || activeIndex >= win.end)
            moveTo(Math.min(total - 1, win.start + OVERSCAN));
        }}
      >
        {rows}
      </div>
    </div>
  );
}

function List(props: {
  appKey: AppKey;
  tab: ObjectTab;
  pages: Pages;
  total: number;
  win: Win;
  setTop: (top: number) => void;
  selected: string | undefined;
}) {
  const { pages, win } = props;
  const rows = [];
  for (let i = win.start; i < win.end; i++) {
    const n = pages.row(i);
    if (!n) {
      rows.push(
        <tr key={`l-${i}`} aria-rowindex={i + 2} class="loading">
          <td colSpan={6}>Loading…</td>
        </tr>,
      );
      continue;
    }
    rows.push(
      <tr
        key={n.key}
        aria-rowindex={i + 2}
        aria-current={n.key === props.selected ? true : undefined}
      >
        <td>{n.kind}</td>
        <td>
          <Link href={objectPath(props.appKey, n.key, props.tab)}>{n.name}</Link>
        </td>
        <td>{n.namespace}</td>
        <td>
          <Sync value={n.sync} />
        </td>
        <td>
          <Health value={n.health} />
        </td>
        <td class="message" title={n.healthMessage}>
          {n.healthMessage ?? ''}
        </td>
      </tr>,
    );
  }
  return (
    <div
      class="scroller"
      style={{ height: `${heightFor(props.total, HEADER_HEIGHT)}px` }}
      onScroll={(e) => {
        props.setTop(e.currentTarget.scrollTop);
      }}
    >
      <table class="grid fixed" aria-label="Resource list" aria-rowcount={props.total + 1}>
        <thead>
          <tr aria-rowindex={1}>
            <th scope="col">Kind</th>
            <th scope="col">Name</th>
            <th scope="col">Namespace</th>
            <th scope="col">Sync</th>
            <th scope="col">Health</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {win.padTop > 0 && (
            <tr aria-hidden="true" class="spacer" style={{ height: `${win.padTop}px` }} />
          )}
          {rows}
          {win.padBottom > 0 && (
            <tr aria-hidden="true" class="spacer" style={{ height: `${win.padBottom}px` }} />
          )}
        </tbody>
      </table>
    </div>
  );
}
