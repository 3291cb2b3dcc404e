/** One Application: summary, conditions, actions, resources, the selected object, drift, history. */
import { useState } from 'preact/hooks';
import type {
  AppAction,
  AppDetail,
  AppKey,
  Condition,
  DriftEntry,
  EventItem,
} from '../../../src/ui/api.js';
import { ErrorAlert, Health, Loading, Sync, Time, shortSha } from '../components/common.js';
import { useCtx, useStream } from '../context.js';
import { useCoalesced, useLoad } from '../load.js';
import type { ObjectTab } from '../routes.js';
import { History, countsText } from './History.js';
import { Events, ObjectPanel } from './ObjectPanel.js';
import { Resources } from './Resources.js';

const sameKey = (a: AppKey, b: AppKey) => a.namespace === b.namespace && a.name === b.name;

/**
 * Bumps a version on each stream message about this app, coalescing a burst (a sync writes status
 * several times) into one refetch. Event-driven: nothing here polls.
 */
function useAppVersion(appKey: AppKey): { version: number; bump: () => void; deleted: boolean } {
  const [version, setVersion] = useState(0);
  const [deleted, setDeleted] = useState(false);
  const bump = useCoalesced(() => {
    setVersion((v) => v + 1);
  }, 100);
  useStream((m) => {
    if (m.type === 'app-changed' && sameKey(m.key, appKey)) bump();
    else if (m.type === 'app' && sameKey(m.app, appKey)) bump();
    else if (m.type === 'app-deleted' && sameKey(m.key, appKey)) setDeleted(true);
  }, bump);
  return { version, bump, deleted };
}

export function AppView(props: { appKey: AppKey; object: string | undefined; tab: ObjectTab }) {
  const { client } = useCtx();
  const { appKey } = props;
  const { version, bump, deleted } = useAppVersion(appKey);
  const detail = useLoad(() => client.app(appKey), [appKey.namespace, appKey.name, version]);
  const [notice, setNotice] = useState('');
  const [actionError, setActionError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState<AppAction | undefined>(undefined);
  const d = detail.data && sameKey(detail.data, appKey) ? detail.data : undefined;

  const run = (action: AppAction) => {
    setBusy(action);
    setActionError(undefined);
    setNotice('');
    client.action(appKey, action).then(
      (r) => {
        setBusy(undefined);
        setNotice(r.message);
        bump();
      },
      (err: unknown) => {
        setBusy(undefined);
        setActionError(err);
      },
    );
  };

  return (
    <>
      <h1>
        {appKey.namespace}/{appKey.name}
      </h1>
      {deleted && (
        <p role="alert" class="alert">
          This Application was deleted.
        </p>
      )}
      {d && <Actions detail={d} busy={busy} run={run} />}
      <p role="status" class="notice">
        {notice}
      </p>
      <ErrorAlert error={actionError} />
      <ErrorAlert error={detail.error} />
      {!d && !detail.error && <Loading />}
      {d && (
        <>
          <Summary detail={d} busy={busy} run={run} />
          <Conditions conditions={d.conditions} />
        </>
      )}
      <Resources
        key={`${appKey.namespace}/${appKey.name}`}
        appKey={appKey}
        version={version}
        selected={props.object}
        tab={props.tab}
      />
      {props.object && (
        <ObjectPanel appKey={appKey} object={props.object} tab={props.tab} version={version} />
      )}
      {d && (
        <>
          <Drift drift={d.drift} selfHeal={d.selfHeal} events={d.events} />
          <History
            detail={d}
            appKey={appKey}
            onDone={(message) => {
              setNotice(message);
              bump();
            }}
          />
          <section aria-label="Application events" class="panel">
            <h2>Events</h2>
            <Events events={d.events} label="Application events" />
          </section>
        </>
      )}
    </>
  );
}

function Actions(props: {
  detail: AppDetail;
  busy: AppAction | undefined;
  run: (a: AppAction) => void;
}) {
  const { can, suspended } = props.detail;
  if (!can.sync && !can.refresh && !can.suspend) return null;
  const button = (action: AppAction, label: string) => (
    <button
      type="button"
      disabled={props.busy !== undefined}
      aria-busy={props.busy === action}
      onClick={() => {
        props.run(action);
      }}
    >
      {label}
    </button>
  );
  return (
    <div class="actions" role="group" aria-label="Actions">
      {can.sync && button('sync', 'Sync now')}
      {can.refresh && button('refresh', 'Refresh')}
      {can.suspend && (suspended ? button('resume', 'Resume') : button('suspend', 'Suspend'))}
    </div>
  );
}

function Summary(props: {
  detail: AppDetail;
  busy: AppAction | undefined;
  run: (a: AppAction) => void;
}) {
  const d = props.detail;
  const v = d.verification;
  return (
    <section aria-label="Summary" class="panel">
      <h2>Summary</h2>
      <dl class="summary">
        <dt>Status</dt>
        <dd>
          <Sync value={d.sync} /> <Health value={d.health} />
          {d.suspended && <span class="tag">suspended</span>}
        </dd>
        <dt>Source</dt>
        <dd>
          <code>{d.source.repoURL}</code> path <code>{d.source.path || '.'}</code>
        </dd>
        <dt>Target</dt>
        <dd>
          <code>{d.source.targetRevision}</code>
        </dd>
        <dt>Revision</dt>
        <dd>
          {d.revision ? (
            <code title={d.revision}>{shortSha(d.revision)}</code>
          ) : (
            <span class="muted">none yet</span>
          )}
          {d.signer && <> signed by {d.signer}</>}
        </dd>
        <dt>Verification</dt>
        <dd>
          {v.mode === 'none' ? 'none (commits are not verified)' : `${v.mode} commits`}
          {v.result && <> — {v.result}</>}
          {v.fingerprint && (
            <>
              {' '}
              key <code>{v.fingerprint}</code>
            </>
          )}
        </dd>
        <dt>Self-heal</dt>
        <dd>{d.selfHeal ? 'on: drift is reverted' : 'off: drift is only reported'}</dd>
        <dt>Last sync</dt>
        <dd>
          {d.lastSync ? (
            <>
              {d.lastSync.result}, {countsText(d.lastSync.counts)}, <Time value={d.lastSync.time} />
            </>
          ) : (
            <span class="muted">never</span>
          )}
        </dd>
        {d.readyReason && (
          <>
            <dt>Ready</dt>
            <dd>
              {d.readyReason}
              {d.readyMessage && <>: {d.readyMessage}</>}
            </dd>
          </>
        )}
        {d.pinnedTo && (
          <>
            <dt>Pinned</dt>
            <dd>
              Pinned to {d.pinnedTo.historyId} (<code>{shortSha(d.pinnedTo.revision)}</code>)
              {d.pinnedTo.reason && <>: “{d.pinnedTo.reason}”</>}{' '}
              {/* Resume also lifts a suspension; when the action bar shows it, one button is enough. */}
              {d.can.rollback && !(d.suspended && d.can.suspend) && (
                <button
                  type="button"
                  disabled={props.busy !== undefined}
                  onClick={() => {
                    props.run('resume');
                  }}
                >
                  Resume
                </button>
              )}
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}

function Conditions(props: { conditions: Condition[] }) {
  return (
    <section aria-label="Conditions" class="panel">
      <h2>Conditions</h2>
      {props.conditions.length === 0 ? (
        <p class="muted">No conditions.</p>
      ) : (
        <table class="grid" aria-label="Conditions">
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col">Status</th>
              <th scope="col">Reason</th>
              <th scope="col">Message</th>
              <th scope="col">Since</th>
            </tr>
          </thead>
          <tbody>
            {props.conditions.map((c) => (
              <tr key={c.type}>
                <td>{c.type}</td>
                <td>{c.status}</td>
                <td>{c.reason}</td>
                <td class="message">{c.message}</td>
                <td>
                  <Time value={c.lastTransitionTime} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Drift(props: { drift: DriftEntry[]; selfHeal: boolean; events: EventItem[] }) {
  // status.drift holds what is drifted now; the Events tell what was seen and reverted before.
  const driftEvents = props.events.filter((e) => e.reason.startsWith('Drift'));
  return (
    <section aria-label="Drift" class="panel">
      <h2>Drift</h2>
      <p class="muted">
        {props.selfHeal
          ? 'Self-heal is on: drift is reverted as soon as it is seen.'
          : 'Self-heal is off: drift is reported and left in place.'}
      </p>
      {props.drift.length === 0 ? (
        <p class="muted">No drift recorded.</p>
      ) : (
        <table class="grid" aria-label="Drift">
          <thead>
            <tr>
              <th scope="col">Object</th>
              <th scope="col">Fields</th>
              <th scope="col">Manager</th>
              <th scope="col">Detected</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {props.drift.map((e) => (
              <tr key={`${e.group}|${e.kind}|${e.namespace}|${e.name}|${e.detectedAt}`}>
                <td>
                  {e.kind}/{e.name}
                  {e.namespace && <span class="muted"> in {e.namespace}</span>}
                </td>
                <td>
                  {e.paths.map((p) => (
                    <code class="path">{p}</code>
                  ))}
                </td>
                <td>{e.manager ?? <span class="muted">unknown</span>}</td>
                <td>
                  <Time value={e.detectedAt} />
                </td>
                <td>
                  <span class="icon" aria-hidden="true">
                    {e.healed ? '✔ ' : '⚠ '}
                  </span>
                  {e.healed ? 'Healed' : 'Reported'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {driftEvents.length > 0 && (
        <>
          <h3>Drift events</h3>
          <Events events={driftEvents} />
        </>
      )}
    </section>
  );
}
