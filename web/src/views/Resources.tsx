/**
 * The resource tree and list of one Application. Both are windowed: only the rows on screen are in
 * the DOM (fixed row height, padding standing in for the rest), and rows come from the server in
 * pages as the user scrolls, so 5,000 objects cost what 30 do.
 */
import { useLayoutEffect, useState } from 'preact/hooks';
import type { AppKey, HealthStatus, ResourceNode } from '../../../src/ui/api.js';
import { ErrorAlert, Health, Link, Sync } from '../components/common.js';
import { HEALTH_STATUSES } from '../filters.js';
import { navigate } from '../router.js';
import { objectPath, type ObjectTab } from '../routes.js';
import { pagesFor, visibleWindow, type Window } from '../windowing.js';
import { ResourceTree } from './ResourceTree.js';
import {
  HEADER_HEIGHT,
  OVERSCAN,
  PAGE_SIZE,
  ROW_HEIGHT,
  VIEW_HEIGHT,
  heightFor,
  useResourcePages,
  type Pages,
} from './resource-pages.js';

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
  // Before the frame, not after it: the first page is on the page load's critical path.
  useLayoutEffect(() => {
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
        <ResourceTree
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

function List(props: {
  appKey: AppKey;
  tab: ObjectTab;
  pages: Pages;
  total: number;
  win: Window;
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
