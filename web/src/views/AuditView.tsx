/** The ledger: records filtered by app, kind and time, and whether the hash chain verifies. */
import { useEffect, useState } from 'preact/hooks';
import type { AuditPage } from '../../../src/ui/api.js';
import { ErrorAlert, Loading, Time, shortSha } from '../components/common.js';
import { useCtx, useStream } from '../context.js';
import {
  auditFiltersToSearch,
  auditQuery,
  parseAuditFilters,
  type AuditFilters,
} from '../filters.js';
import { useCoalesced, useLoad } from '../load.js';
import { navigate, useLocation } from '../router.js';

export function AuditView() {
  const { client } = useCtx();
  const loc = useLocation();
  const filters = parseAuditFilters(loc.search);
  const key = auditFiltersToSearch(filters);
  const page = useLoad(() => client.audit(auditQuery(filters)), [key]);
  // New ledger records follow syncs and actions: an app changing is the cue to look again.
  const reloadSoon = useCoalesced(page.reload, 1000);
  useStream((m) => {
    if (m.type === 'app-changed') reloadSoon();
  }, page.reload);
  return (
    <>
      <h1>Audit</h1>
      <Filters
        filters={filters}
        apply={(f) => {
          navigate(`/audit${auditFiltersToSearch(f)}`, { replace: true });
        }}
      />
      <ErrorAlert error={page.error} />
      {!page.data && !page.error && <Loading />}
      {page.data && <Ledger page={page.data} />}
    </>
  );
}

function Filters(props: { filters: AuditFilters; apply: (f: AuditFilters) => void }) {
  const [f, setF] = useState(props.filters);
  const key = auditFiltersToSearch(props.filters);
  useEffect(() => {
    setF(props.filters);
    // key is the filters' identity
  }, [key]);
  const field = (id: keyof AuditFilters, label: string, type: string, placeholder?: string) => (
    <div class="field">
      <label for={`a-${id}`}>{label}</label>
      <input
        id={`a-${id}`}
        type={type}
        placeholder={placeholder}
        value={f[id]}
        onInput={(e) => {
          setF({ ...f, [id]: e.currentTarget.value });
        }}
      />
    </div>
  );
  return (
    <form
      class="filters"
      role="search"
      aria-label="Filter audit records"
      onSubmit={(e) => {
        e.preventDefault();
        props.apply(f);
      }}
    >
      {field('app', 'Application', 'text', 'namespace/name')}
      {field('kind', 'Kind', 'text', 'sync, rollback, …')}
      {field('since', 'Since', 'datetime-local')}
      {field('until', 'Until', 'datetime-local')}
      <button type="submit">Apply</button>
    </form>
  );
}

function Ledger(props: { page: AuditPage }) {
  const { page } = props;
  const v = page.verify;
  return (
    <>
      <section aria-label="Chain" class={`panel chain chain-${v.state}`}>
        <p>
          <span class="icon" aria-hidden="true">
            {v.state === 'intact' ? '✔ ' : v.state === 'broken' ? '✖ ' : '? '}
          </span>
          {v.state === 'intact' && 'Chain intact'}
          {v.state === 'broken' && `Chain broken at record ${v.firstBroken}: ${v.message}`}
          {v.state === 'unavailable' && `Chain not verified: ${v.message}`}
        </p>
      </section>
      {!page.available && (
        <p class="muted">No ledger is configured (start the UI with --ledger to see records).</p>
      )}
      <table class="grid" aria-label="Audit records">
        <thead>
          <tr>
            <th scope="col">Seq</th>
            <th scope="col">Time</th>
            <th scope="col">Kind</th>
            <th scope="col">Application</th>
            <th scope="col">Revision</th>
            <th scope="col">Actor</th>
            <th scope="col">Summary</th>
          </tr>
        </thead>
        <tbody>
          {page.records.map((r) => (
            <tr key={r.seq}>
              <td>{r.seq}</td>
              <td>
                <Time value={r.time} />
              </td>
              <td>{r.kind}</td>
              <td>{r.app ?? ''}</td>
              <td>
                <code title={r.revision}>{shortSha(r.revision)}</code>
              </td>
              <td>{r.actor ?? ''}</td>
              <td class="message">{r.summary}</td>
            </tr>
          ))}
          {page.records.length === 0 && (
            <tr>
              <td colSpan={7} class="muted">
                No records match.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </>
  );
}
