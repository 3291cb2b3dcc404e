/** Sync history, and rolling back to an entry: a reason, then a confirmation, recorded with the user. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { AppDetail, AppKey, HistoryEntry } from '../../../src/ui/api.js';
import { ErrorAlert, Time, shortSha } from '../components/common.js';
import { useCtx } from '../context.js';

export function countsText(c: HistoryEntry['counts']): string {
  return `${c.created} created, ${c.configured} configured, ${c.unchanged} unchanged, ${c.pruned} pruned`;
}

export function History(props: {
  detail: AppDetail;
  appKey: AppKey;
  onDone: (message: string) => void;
}) {
  const { detail } = props;
  const [target, setTarget] = useState<HistoryEntry | undefined>(undefined);
  const current = detail.lastSync?.id ?? detail.history[0]?.id;
  return (
    <section aria-label="History" class="panel">
      <h2>History</h2>
      {detail.history.length === 0 ? (
        <p class="muted">No syncs yet.</p>
      ) : (
        <table class="grid" aria-label="Sync history">
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">Revision</th>
              <th scope="col">Signer</th>
              <th scope="col">Result</th>
              <th scope="col">Counts</th>
              <th scope="col">Time</th>
              {detail.can.rollback && <th scope="col">Action</th>}
            </tr>
          </thead>
          <tbody>
            {detail.history.map((h) => (
              <tr key={h.id}>
                <td>
                  {h.id}
                  {h.id === current && <span class="tag">current</span>}
                  {h.id === detail.pinnedTo?.historyId && <span class="tag">pinned</span>}
                </td>
                <td>
                  <code title={h.revision}>{shortSha(h.revision)}</code>
                </td>
                <td>{h.signer ?? <span class="muted">unsigned</span>}</td>
                <td>
                  <span class="icon" aria-hidden="true">
                    {h.result === 'Succeeded' ? '✔ ' : '✖ '}
                  </span>
                  {h.result}
                </td>
                <td>{countsText(h.counts)}</td>
                <td>
                  <Time value={h.time} />
                </td>
                {detail.can.rollback && (
                  <td>
                    {h.id !== current && (
                      <button
                        type="button"
                        onClick={() => {
                          setTarget(h);
                        }}
                      >
                        Roll back to {h.id}
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {target && (
        <RollbackDialog
          appKey={props.appKey}
          entry={target}
          onClose={(message) => {
            setTarget(undefined);
            if (message) props.onDone(message);
          }}
        />
      )}
    </section>
  );
}

function RollbackDialog(props: {
  appKey: AppKey;
  entry: HistoryEntry;
  onClose: (message?: string) => void;
}) {
  const { client } = useCtx();
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const opener = useRef<Element | null>(document.activeElement);

  useEffect(() => {
    dialog.current?.showModal();
    const back = opener.current;
    return () => {
      if (back instanceof HTMLElement) back.focus();
    };
  }, []);

  const confirm = (e: SubmitEvent) => {
    e.preventDefault();
    if (!reason.trim()) {
      setError(new Error('Give a reason: it is recorded in the ledger with your name.'));
      return;
    }
    setBusy(true);
    client
      .action(props.appKey, 'rollback', { historyId: props.entry.id, reason: reason.trim() })
      .then(
        (r) => {
          props.onClose(r.message);
        },
        (err: unknown) => {
          setBusy(false);
          setError(err);
        },
      );
  };

  return (
    <dialog
      ref={dialog}
      aria-labelledby="rollback-title"
      class="dialog"
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <form onSubmit={confirm}>
        <h2 id="rollback-title">Roll back</h2>
        <p>
          Pin this Application to entry {props.entry.id}, revision{' '}
          <code>{shortSha(props.entry.revision)}</code>
          {props.entry.signer ? ` signed by ${props.entry.signer}` : ''}. It stays there until
          someone resumes following the target.
        </p>
        <label for="rollback-reason">Reason</label>
        <textarea
          id="rollback-reason"
          rows={3}
          aria-required="true"
          value={reason}
          onInput={(e) => {
            setReason(e.currentTarget.value);
          }}
        />
        <ErrorAlert error={error} />
        <div class="buttons">
          <button type="submit" disabled={busy}>
            Confirm rollback
          </button>
          <button
            type="button"
            onClick={() => {
              props.onClose();
            }}
          >
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
