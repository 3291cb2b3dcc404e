/** Cluster mode: sign in with a bearer token (e.g. from `kubectl create token`). */
import { useState } from 'preact/hooks';
import type { Session } from '../../../src/ui/api.js';
import type { Client } from '../client.js';
import { ErrorAlert } from '../components/common.js';

export function Login(props: { client: Client; onSignedIn: (s: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = (ev: SubmitEvent) => {
    ev.preventDefault();
    setBusy(true);
    setError(undefined);
    props.client.login(token.trim()).then(
      (s) => {
        setToken('');
        props.onSignedIn(s);
      },
      (err: unknown) => {
        setError(err);
        setBusy(false);
      },
    );
  };

  return (
    <section class="login" aria-labelledby="login-title">
      <h1 id="login-title">Sign in</h1>
      <p>
        Paste a Kubernetes bearer token. Everything you see and do here reaches the apiserver with
        this token's rights.
      </p>
      <form onSubmit={submit}>
        <label for="token">Bearer token</label>
        <input
          id="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={token}
          onInput={(e) => {
            setToken(e.currentTarget.value);
          }}
        />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <ErrorAlert error={error} />
    </section>
  );
}
