/** The fleet: clusters, FleetApplications, and one FleetApplication as a cluster × status matrix. */
import { useState } from 'preact/hooks';
import type { AppKey, FleetAppDetail, FleetOverview } from '../../../src/ui/api.js';
import { ErrorAlert, Health, Link, Loading, Sync, Time, shortSha } from '../components/common.js';
import { useCtx, useStream } from '../context.js';
import { useCoalesced, useLoad } from '../load.js';
import { fleetAppPath } from '../routes.js';

function useFleetReload(reload: () => void): void {
  const reloadSoon = useCoalesced(reload, 300);
  useStream((m) => {
    if (m.type === 'fleet-changed') reloadSoon();
  }, reload);
}

export function FleetView() {
  const { client } = useCtx();
  const fleet = useLoad(() => client.fleet(), []);
  useFleetReload(fleet.reload);
  return (
    <>
      <h1>Fleet</h1>
      <ErrorAlert error={fleet.error} />
      {!fleet.data && !fleet.error && <Loading />}
      {fleet.data && <Overview fleet={fleet.data} />}
    </>
  );
}

function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

function Overview(props: { fleet: FleetOverview }) {
  const { clusters, applications } = props.fleet;
  return (
    <>
      <section aria-label="Clusters" class="panel">
        <h2>Clusters</h2>
        <table class="grid" aria-label="Clusters">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Ready</th>
              <th scope="col">Last heartbeat</th>
              <th scope="col">Labels</th>
              <th scope="col">Apps</th>
            </tr>
          </thead>
          <tbody>
            {clusters.map((c) => (
              <tr key={c.name}>
                <td>{c.name}</td>
                <td>
                  <span class="icon" aria-hidden="true">
                    {c.ready ? '✔ ' : '✖ '}
                  </span>
                  {c.ready ? 'Ready' : `Not ready${c.readyReason ? ` (${c.readyReason})` : ''}`}
                </td>
                <td>
                  <Time value={c.lastHeartbeatTime} />
                </td>
                <td>{labelsText(c.labels)}</td>
                <td>
                  {c.apps.total} total, {c.apps.synced} synced, {c.apps.healthy} healthy
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-label="Fleet applications" class="panel">
        <h2>Fleet applications</h2>
        <table class="grid" aria-label="Fleet applications">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Namespace</th>
              <th scope="col">Target</th>
              <th scope="col">Clusters</th>
              <th scope="col">Synced</th>
              <th scope="col">Healthy</th>
              <th scope="col">Failed</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {applications.map((a) => (
              <tr key={`${a.namespace}/${a.name}`}>
                <td>
                  <Link href={fleetAppPath(a)}>{a.name}</Link>
                </td>
                <td>{a.namespace}</td>
                <td>
                  <code>{a.targetRevision}</code>
                </td>
                <td>{a.clusters}</td>
                <td>{a.synced}</td>
                <td>{a.healthy}</td>
                <td>{a.failed}</td>
                <td>{a.paused ? 'Paused' : 'Rolling'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

export function FleetAppView(props: { appKey: AppKey }) {
  const { client } = useCtx();
  const { appKey } = props;
  const app = useLoad(() => client.fleetApp(appKey), [appKey.namespace, appKey.name]);
  useFleetReload(app.reload);
  const [notice, setNotice] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const run = (action: 'pause' | 'resume' | 'promote') => {
    setBusy(true);
    setError(undefined);
    client.fleetAction(appKey, action).then(
      (r) => {
        setBusy(false);
        setNotice(r.message);
        app.reload();
      },
      (err: unknown) => {
        setBusy(false);
        setError(err);
      },
    );
  };
  const d = app.data;
  return (
    <>
      <h1>
        {appKey.namespace}/{appKey.name}
      </h1>
      {d && <FleetActions detail={d} busy={busy} run={run} />}
      <p role="status" class="notice">
        {notice}
      </p>
      <ErrorAlert error={error} />
      <ErrorAlert error={app.error} />
      {!d && !app.error && <Loading />}
      {d && <Matrix detail={d} />}
    </>
  );
}

function FleetActions(props: {
  detail: FleetAppDetail;
  busy: boolean;
  run: (a: 'pause' | 'resume' | 'promote') => void;
}) {
  const { can, paused } = props.detail;
  if (!can.pause && !can.promote) return null;
  return (
    <div class="actions" role="group" aria-label="Actions">
      {can.pause && (
        <button
          type="button"
          disabled={props.busy}
          onClick={() => {
            props.run(paused ? 'resume' : 'pause');
          }}
        >
          {paused ? 'Resume' : 'Pause'}
        </button>
      )}
      {can.promote && (
        <button
          type="button"
          disabled={props.busy}
          onClick={() => {
            props.run('promote');
          }}
        >
          Promote
        </button>
      )}
    </div>
  );
}

function Matrix(props: { detail: FleetAppDetail }) {
  const d = props.detail;
  return (
    <>
      <p>
        Target <code>{d.targetRevision}</code>: {d.clusters} clusters, {d.synced} synced,{' '}
        {d.healthy} healthy, {d.failed} failed{d.paused ? '; paused' : ''}.
      </p>
      <section aria-label="Rollout groups" class="panel">
        <h2>Rollout groups</h2>
        <ol class="groups">
          {d.groups.map((g) => (
            <li key={g.name}>
              <strong>{g.name}</strong>: {g.state} ({g.clusters.join(', ') || 'no clusters'})
            </li>
          ))}
        </ol>
      </section>
      <table class="grid" aria-label="Fleet matrix">
        <thead>
          <tr>
            <th scope="col">Cluster</th>
            <th scope="col">Group</th>
            <th scope="col">Revision</th>
            <th scope="col">Sync</th>
            <th scope="col">Health</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {d.cells.map((c) => (
            <tr key={c.cluster}>
              <th scope="row">{c.cluster}</th>
              <td>{c.group ?? ''}</td>
              <td>
                <code title={c.revision}>{shortSha(c.revision)}</code>
              </td>
              <td>
                <Sync value={c.sync} />
              </td>
              <td>
                <Health value={c.health} />
              </td>
              <td class="message">{c.message ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
