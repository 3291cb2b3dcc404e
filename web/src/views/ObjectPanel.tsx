/** One object of an Application: its live YAML (Secrets masked by the server), Events and diff. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { AppKey, EventItem, ObjectDetail } from '../../../src/ui/api.js';
import { ErrorAlert, Loading, Time } from '../components/common.js';
import { useCtx } from '../context.js';
import { diffCounts, diffRows, opWord, type DiffMode } from '../diff.js';
import { useLoad } from '../load.js';
import { navigate } from '../router.js';
import { OBJECT_TABS, objectPath, parseObjectKey, type ObjectTab } from '../routes.js';

const TAB_LABEL: Record<ObjectTab, string> = { live: 'Live', events: 'Events', diff: 'Diff' };

export function ObjectPanel(props: {
  appKey: AppKey;
  object: string;
  tab: ObjectTab;
  version: number;
}) {
  const { client } = useCtx();
  const ref = parseObjectKey(props.object);
  const detail = useLoad(
    () =>
      ref
        ? client.object(props.appKey, ref)
        : Promise.reject(new Error(`"${props.object}" does not name an object.`)),
    [props.appKey.namespace, props.appKey.name, props.object, props.version],
  );
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);
  const section = useRef<HTMLElement>(null);
  useEffect(() => {
    // The panel sits below the resources: bring a newly selected object into view.
    section.current?.scrollIntoView({ block: 'nearest' });
  }, [props.object]);

  const select = (tab: ObjectTab, focus: boolean) => {
    navigate(objectPath(props.appKey, props.object, tab), { replace: true });
    if (focus) tabs.current[OBJECT_TABS.indexOf(tab)]?.focus();
  };
  const onKey = (e: KeyboardEvent) => {
    const i = OBJECT_TABS.indexOf(props.tab);
    const n = OBJECT_TABS.length;
    const to: Record<string, number> = {
      ArrowRight: (i + 1) % n,
      ArrowLeft: (i + n - 1) % n,
      Home: 0,
      End: n - 1,
    };
    const target = OBJECT_TABS[to[e.key] ?? -1];
    if (target) {
      e.preventDefault();
      select(target, true);
    }
  };

  const title = ref ? `${ref.kind}/${ref.name}` : props.object;
  return (
    <section aria-label="Object" class="panel object" ref={section}>
      <div class="object-head">
        <h2>{title}</h2>
        {ref?.namespace && <span class="muted">in {ref.namespace}</span>}
        <button
          type="button"
          onClick={() => {
            navigate(objectPath(props.appKey, undefined, 'live'));
          }}
        >
          Close object
        </button>
      </div>
      <div role="tablist" aria-label="Object views" onKeyDown={onKey}>
        {OBJECT_TABS.map((t, i) => (
          <button
            type="button"
            role="tab"
            id={`tab-${t}`}
            aria-controls={t === props.tab ? `panel-${t}` : undefined}
            aria-selected={t === props.tab}
            tabIndex={t === props.tab ? 0 : -1}
            ref={(el) => {
              tabs.current[i] = el;
            }}
            onClick={() => {
              select(t, false);
            }}
          >
            {TAB_LABEL[t]}
          </button>
        ))}
      </div>
      <div
        role="tabpanel"
        id={`panel-${props.tab}`}
        aria-labelledby={`tab-${props.tab}`}
        tabIndex={0}
      >
        <ErrorAlert error={detail.error} />
        {!detail.data && !detail.error && <Loading />}
        {detail.data && <TabBody tab={props.tab} detail={detail.data} />}
      </div>
    </section>
  );
}

function TabBody(props: { tab: ObjectTab; detail: ObjectDetail }) {
  const d = props.detail;
  switch (props.tab) {
    case 'live':
      return d.yaml === undefined ? (
        <p>The object is missing from the cluster.</p>
      ) : (
        <pre class="yaml">{d.yaml}</pre>
      );
    case 'events':
      return <Events events={d.events} label="Object events" />;
    case 'diff':
      return <Diff diff={d.diff} />;
  }
}

/** `label` names the table; leave it out where a name would shadow a contract name ("Drift"). */
export function Events(props: { events: EventItem[]; label?: string }) {
  if (props.events.length === 0) return <p class="muted">No Events.</p>;
  return (
    <table class="grid" aria-label={props.label}>
      <thead>
        <tr>
          <th scope="col">Type</th>
          <th scope="col">Reason</th>
          <th scope="col">Message</th>
          <th scope="col">Count</th>
          <th scope="col">Last seen</th>
          <th scope="col">Source</th>
        </tr>
      </thead>
      <tbody>
        {props.events.map((e) => (
          <tr class={e.type === 'Warning' ? 'warning' : undefined}>
            <td>
              {e.type === 'Warning' && (
                <span class="icon" aria-hidden="true">
                  ⚠{' '}
                </span>
              )}
              {e.type}
            </td>
            <td>{e.reason}</td>
            <td class="message">{e.message}</td>
            <td>{e.count}</td>
            <td>
              <Time value={e.lastTime} />
            </td>
            <td>{e.source}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const DIFF_STATE: Record<ObjectDetail['diff']['state'], string> = {
  same: 'Live matches Git.',
  different: 'Live differs from Git.',
  missing: 'The object is in Git but missing from the cluster.',
  unknown: 'The diff is not known.',
};

function Diff(props: { diff: ObjectDetail['diff'] }) {
  const [mode, setMode] = useState<DiffMode>('unified');
  const { diff } = props;
  const rows = diffRows(diff.lines);
  const c = diffCounts(diff.lines);
  return (
    <div class="diff">
      <p>
        {DIFF_STATE[diff.state]} {diff.message}
      </p>
      <p class="muted">
        {c.changed} changed, {c.added} only in Git, {c.removed} only live, {c.ignored} ignored. “+”
        is Git (desired), “−” is the cluster (live).
      </p>
      <div role="group" aria-label="Diff layout" class="toggle">
        <button
          type="button"
          aria-pressed={mode === 'unified'}
          onClick={() => {
            setMode('unified');
          }}
        >
          Unified
        </button>
        <button
          type="button"
          aria-pressed={mode === 'side-by-side'}
          onClick={() => {
            setMode('side-by-side');
          }}
        >
          Side by side
        </button>
      </div>
      <table class={`grid diff-table ${mode}`} aria-label="Diff">
        <thead>
          <tr>
            <th scope="col">Path</th>
            <th scope="col">Change</th>
            {mode === 'unified' ? (
              <th scope="col">Value</th>
            ) : (
              <>
                <th scope="col">Desired</th>
                <th scope="col">Live</th>
              </>
            )}
            <th scope="col">Manager</th>
            <th scope="col">Note</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key} class={`op-${r.op}${r.notes.includes('ignored') ? ' ignored' : ''}`}>
              <td>
                <code>{r.path}</code>
              </td>
              <td>{opWord(r.op)}</td>
              {mode === 'unified' ? (
                <td class="value">
                  {r.parts.map((p) => (
                    <span
                      class={`line sign-${p.sign === '+' ? 'plus' : p.sign === '-' ? 'minus' : 'none'}`}
                    >
                      <span class="sign">{p.sign === '-' ? '−' : p.sign}</span> {p.text}
                    </span>
                  ))}
                </td>
              ) : (
                <>
                  <td class="value">{r.desired ?? <span class="muted">(absent)</span>}</td>
                  <td class="value">{r.live ?? <span class="muted">(absent)</span>}</td>
                </>
              )}
              <td>{r.manager}</td>
              <td>{r.notes.join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
