/**
 * The resource tree, windowed. Focus stays on the tree and the active row is its
 * aria-activedescendant, so the keyboard works even when the active row was scrolled out of the
 * DOM; the keys are tree-keys.ts's.
 */
import { useRef, useState } from 'preact/hooks';
import type { ResourceNode } from '../../../src/ui/api.js';
import { Health } from '../components/common.js';
import { treeKey } from '../tree-keys.js';
import { scrollToRow, type Window } from '../windowing.js';
import { OVERSCAN, ROW_HEIGHT, VIEW_HEIGHT, heightFor, type Pages } from './resource-pages.js';

export function ResourceTree(props: {
  pages: Pages;
  total: number;
  win: Window;
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

  const onKey = (e: KeyboardEvent) => {
    const pageRows = Math.floor(VIEW_HEIGHT / ROW_HEIGHT);
    const r = treeKey(e.key, activeIndex, total, pageRows, pages.row);
    if (r.kind === 'ignore') return;
    e.preventDefault();
    if (r.kind === 'move') moveTo(r.index);
    else {
      const node = pages.row(r.index);
      if (node) props.open(node);
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
