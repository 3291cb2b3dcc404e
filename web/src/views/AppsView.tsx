/** Applications: filtered and paged on the server, counts by status, rows updated from the stream. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { AppList, AppSummary } from '../../../src/ui/api.js';
import { ErrorAlert, Health, Link, Sync, Time, shortSha } from '../components/common.js';
import { useCtx, useStream } from '../context.js';
import {
  HEALTH_STATUSES,
  PAGE_SIZES,
  SYNC_STATUSES,
  appFiltersToSearch,
  appListQuery,
  pageCount,
  parseAppFilters,
  type AppFilters,
} from '../filters.js';
import { useCoalesced, useLoad } from '../load.js';
import { navigate, useLocation } from '../router.js';
import { appPath } from '../routes.js';

const sameKey = (a: { namespace: string; name: string }, b: { namespace: string; name: string }) =>
  a.namespace === b.namespace && a.name === b.name;

export function AppsView() {
  const { client } = useCtx();
  const loc = useLocation();
  const filters = parseAppFilters(loc.search);
  const queryKey = appFiltersToSearch(filters);
  const list = useLoad(() => client.apps(appListQuery(filters)), [queryKey]);
  // Stream upserts patch rows in place; counts and membership come back with the next fetch.
  // Patched rows belong to the answer they patched; a new answer shows its own rows in the same
  // render it arrives in (an effect copying them would cost a frame before the table fills).
  const [patched, setPatched] = useState<{ of: AppList; rows: AppSummary[] } | undefined>(
    undefined,
  );
  const rows = list.data && patched?.of === list.data ? patched.rows : list.data?.items;
  const setRows = (update: (r: AppSummary[]) => AppSummary[]) => {
    const of = list.data;
    if (of) setPatched((p) => ({ of, rows: update(p?.of === of ? p.rows : of.items) }));
  };

  const reloadSoon = useCoalesced(list.reload, 500);
  useStream(
    (m) => {
      if (m.type === 'app') {
        const before = rows?.find((a) => sameKey(a, m.app));
        if (before) setRows((r) => r.map((a) => (sameKey(a, m.app) ? m.app : a)));
        // Counts, membership of this page or of the filters may have changed: look again once
        // per burst. A row whose status words did not move needs nothing more.
        if (!before || before.sync !== m.app.sync || before.health !== m.app.health) reloadSoon();
      } else if (m.type === 'app-deleted') {
        reloadSoon();
      }
    },
    () => {
      list.reload();
    },
  );

  const set = (patch: Partial<AppFilters>, clear?: 'sync' | 'health') => {
    const next: AppFilters = { ...filters, page: 0, ...patch };
    if (clear) delete next[clear];
    navigate(`/${appFiltersToSearch(next)}`, { replace: true });
  };

  return (
    <>
      <h1>Applications</h1>
      <Filters filters={filters} set={set} />
      <ErrorAlert error={list.error} />
      {list.data && <Counts list={list.data} />}
      <AppTable rows={rows ?? []} loading={list.loading && !list.data} />
      {list.data && (
        <Pager
          filters={filters}
          total={list.data.total}
          go={(page) => {
            navigate(`/${appFiltersToSearch({ ...filters, page })}`);
          }}
        />
      )}
    </>
  );
}

function Filters(props: {
  filters: AppFilters;
  set: (p: Partial<AppFilters>, clear?: 'sync' | 'health') => void;
}) {
  const { filters, set } = props;
  // Text filters apply on Enter or when leaving the field, not on every key.
  const [text, setText] = useState({
    namespace: filters.namespace,
    label: filters.label,
    q: filters.q,
  });
  useEffect(() => {
    setText({ namespace: filters.namespace, label: filters.label, q: filters.q });
  }, [filters.namespace, filters.label, filters.q]);
  // Namespace and search also apply after a pause in typing; a half-typed label selector would be
  // refused by the apiserver, so it waits for Enter or leaving the field.
  const latestSet = useRef(set);
  latestSet.current = set;
  useEffect(() => {
    if (text.namespace === filters.namespace && text.q === filters.q) return;
    const t = setTimeout(() => {
      latestSet.current({ namespace: text.namespace, q: text.q });
    }, 400);
    return () => {
      clearTimeout(t);
    };
    // Only typing restarts the pause.
  }, [text.namespace, text.q]);
  const apply = (ev: SubmitEvent) => {
    ev.preventDefault();
    set(text);
  };
  const textField = (id: 'namespace' | 'label' | 'q', label: string, placeholder: string) => (
    <div class="field">
      <label for={`f-${id}`}>{label}</label>
      <input
        id={`f-${id}`}
        type={id === 'q' ? 'search' : 'text'}
        placeholder={placeholder}
        value={text[id]}
        onInput={(e) => {
          setText({ ...text, [id]: e.currentTarget.value });
        }}
        onChange={(e) => {
          if (e.currentTarget.value !== filters[id]) set({ [id]: e.currentTarget.value });
        }}
      />
    </div>
  );
  return (
    <form class="filters" role="search" aria-label="Filter applications" onSubmit={apply}>
      {textField('namespace', 'Namespace', 'all')}
      <div class="field">
        <label for="f-sync">Sync</label>
        <select
          id="f-sync"
          value={filters.sync ?? ''}
          onChange={(e) => {
            const v = SYNC_STATUSES.find((s) => s === e.currentTarget.value);
            set(v ? { sync: v } : {}, v ? undefined : 'sync');
          }}
        >
          <option value="">Any</option>
          {SYNC_STATUSES.map((s) => (
            <option value={s}>{s}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="f-health">Health</label>
        <select
          id="f-health"
          value={filters.health ?? ''}
          onChange={(e) => {
            const v = HEALTH_STATUSES.find((s) => s === e.currentTarget.value);
            set(v ? { health: v } : {}, v ? undefined : 'health');
          }}
        >
          <option value="">Any</option>
          {HEALTH_STATUSES.map((s) => (
            <option value={s}>{s}</option>
          ))}
        </select>
      </div>
      {textField('label', 'Label selector', 'app=web,tier!=db')}
      {textField('q', 'Search', 'name, revision, signer, message')}
      <button type="submit">Apply</button>
    </form>
  );
}

function Counts(props: { list: AppList }) {
  const { counts, total } = props.list;
  return (
    <section class="counts" aria-label="Status counts">
      <p>
        <strong>{total}</strong> {total === 1 ? 'application' : 'applications'}
      </p>
      <ul>
        <li class="count-label">Sync:</li>
        {SYNC_STATUSES.filter((s) => counts.sync[s]).map((s) => (
          <li>
            <Sync value={s} /> {counts.sync[s]}
          </li>
        ))}
      </ul>
      <ul>
        <li class="count-label">Health:</li>
        {HEALTH_STATUSES.filter((h) => counts.health[h]).map((h) => (
          <li>
            <Health value={h} /> {counts.health[h]}
          </li>
        ))}
      </ul>
    </section>
  );
}

function AppTable(props: { rows: AppSummary[]; loading: boolean }) {
  return (
    <table class="grid apps" aria-label="Applications" aria-busy={props.loading}>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Namespace</th>
          <th scope="col">Sync</th>
          <th scope="col">Health</th>
          <th scope="col">Revision</th>
          <th scope="col">Ready</th>
          <th scope="col">Last sync</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((a) => (
          <AppRow key={`${a.namespace}/${a.name}`} app={a} />
        ))}
        {props.rows.length === 0 && !props.loading && (
          <tr>
            <td colSpan={7} class="muted">
              No applications match.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

function AppRow(props: { app: AppSummary }) {
  const a = props.app;
  return (
    <tr>
      <td>
        <Link href={appPath(a)}>{a.name}</Link>
        {a.suspended && <span class="tag">suspended</span>}
      </td>
      <td>{a.namespace}</td>
      <td>
        <Sync value={a.sync} />
      </td>
      <td>
        <Health value={a.health} />
      </td>
      <td>
        <code title={a.revision}>{shortSha(a.revision)}</code>
        {a.signer && <span class="signer"> {a.signer}</span>}
      </td>
      <td title={a.readyMessage}>{a.readyReason ?? ''}</td>
      <td>
        <Time value={a.lastSyncTime} />
      </td>
    </tr>
  );
}

function Pager(props: { filters: AppFilters; total: number; go: (page: number) => void }) {
  const { filters, total } = props;
  const pages = pageCount(total, filters.limit);
  const first = total === 0 ? 0 : filters.page * filters.limit + 1;
  const last = Math.min(total, (filters.page + 1) * filters.limit);
  return (
    <nav class="pager" aria-label="Pages">
      <button
        type="button"
        disabled={filters.page <= 0}
        onClick={() => {
          props.go(filters.page - 1);
        }}
      >
        Previous page
      </button>
      <span>
        {first}–{last} of {total} (page {filters.page + 1} of {pages})
      </span>
      <button
        type="button"
        disabled={filters.page + 1 >= pages}
        onClick={() => {
          props.go(filters.page + 1);
        }}
      >
        Next page
      </button>
      <label for="f-limit">Rows per page</label>
      <select
        id="f-limit"
        value={String(filters.limit)}
        onChange={(e) => {
          const limit =
            PAGE_SIZES.find((s) => String(s) === e.currentTarget.value) ?? filters.limit;
          navigate(`/${appFiltersToSearch({ ...filters, page: 0, limit })}`, { replace: true });
        }}
      >
        {PAGE_SIZES.map((s) => (
          <option value={String(s)}>{s}</option>
        ))}
      </select>
    </nav>
  );
}
