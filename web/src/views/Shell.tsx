/**
 * The page: asks for the session first (401 → /login in cluster mode), then opens the one event
 * stream and shows the header, the main navigation and the routed view.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Session } from '../../../src/ui/api.js';
import { ApiError, Client, Stream, streamUrl } from '../client.js';
import { ErrorAlert, Link, Loading } from '../components/common.js';
import { AppContext } from '../context.js';
import { navigate, useLocation } from '../router.js';
import { parseRoute, type Route } from '../routes.js';
import { AppView } from './AppView.js';
import { AppsView } from './AppsView.js';
import { AuditView } from './AuditView.js';
import { FleetAppView, FleetView } from './FleetView.js';
import { Login } from './Login.js';

type SessionState =
  | { state: 'loading' }
  | { state: 'signed-out' }
  | { state: 'signed-in'; session: Session }
  | { state: 'failed'; error: unknown };

export function Shell() {
  const [s, setS] = useState<SessionState>({ state: 'loading' });
  const client = useMemo(
    () =>
      new Client(() => {
        setS({ state: 'signed-out' });
      }),
    [],
  );
  const stream = useMemo(() => new Stream(), []);
  const returnTo = useRef('/');
  const loc = useLocation();
  const route = parseRoute(loc.pathname, loc.search);

  // Asked for at once, not after the first frame (as useLoad does for the views' data).
  useLayoutEffect(() => {
    client.session().then(
      (session) => {
        setS({ state: 'signed-in', session });
      },
      (error: unknown) => {
        if (error instanceof ApiError && error.status === 401) setS({ state: 'signed-out' });
        else setS({ state: 'failed', error });
      },
    );
  }, [client]);

  const scope =
    route.view === 'app'
      ? route.key.namespace
      : route.view === 'apps'
        ? (loc.search.get('namespace') ?? undefined)
        : undefined;
  useEffect(() => {
    if (s.state === 'signed-in') stream.open(streamUrl(scope));
  }, [s.state, scope, stream]);

  useEffect(() => {
    if (s.state === 'signed-in') {
      if (route.view === 'login') navigate(returnTo.current, { replace: true });
    } else {
      stream.close();
      if (s.state === 'signed-out' && route.view !== 'login') {
        // Back to the page asked for once signed in (a deep link, or where the session expired).
        returnTo.current = location.pathname + location.search;
        navigate('/login', { replace: true });
      }
    }
  }, [s.state, route.view, stream]);

  useRouteFocus(loc.pathname, route);

  // Views start fetching while the session is still being asked for (one round trip less before
  // the first rows); a 401 on either sends the user to the sign-in page.
  const ctx = useMemo(() => ({ client, stream }), [client, stream]);
  const signOut = async () => {
    await client.logout();
    setS({ state: 'signed-out' });
  };

  if (s.state === 'failed')
    return (
      <Frame>
        <ErrorAlert error={s.error} />
      </Frame>
    );
  if (s.state === 'signed-out')
    return (
      <Frame>
        <Login
          client={client}
          onSignedIn={(session) => {
            setS({ state: 'signed-in', session });
          }}
        />
      </Frame>
    );
  const session = s.state === 'signed-in' ? s.session : undefined;
  return (
    <AppContext.Provider value={ctx}>
      <Frame session={session} route={route} onSignOut={signOut}>
        {route.view === 'login' ? <Loading /> : <RouteView route={route} />}
      </Frame>
    </AppContext.Provider>
  );
}

function RouteView(props: { route: Route }) {
  const r = props.route;
  switch (r.view) {
    case 'apps':
    case 'login':
      return <AppsView />;
    case 'app':
      return (
        <AppView
          key={`${r.key.namespace}/${r.key.name}`}
          appKey={r.key}
          object={r.object}
          tab={r.tab}
        />
      );
    case 'audit':
      return <AuditView />;
    case 'fleet':
      return <FleetView />;
    case 'fleet-app':
      return <FleetAppView key={`${r.key.namespace}/${r.key.name}`} appKey={r.key} />;
    case 'not-found':
      return (
        <>
          <h1>Not found</h1>
          <p>
            Nothing lives at <code>{r.path}</code>. <Link href="/">Back to Applications</Link>
          </p>
        </>
      );
  }
}

function Frame(props: {
  session?: Session | undefined;
  route?: Route;
  onSignOut?: () => Promise<void>;
  children: preact.ComponentChildren;
}) {
  const { session, route } = props;
  const [error, setError] = useState<unknown>(undefined);
  const current = (views: Route['view'][]) =>
    route && views.includes(route.view) ? ('page' as const) : undefined;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Ballast</span>
        {session && (
          <nav aria-label="Main">
            <ul>
              <li>
                <a
                  href="/"
                  aria-current={current(['apps', 'app'])}
                  onClick={(e) => {
                    follow(e, '/');
                  }}
                >
                  Applications
                </a>
              </li>
              <li>
                <a
                  href="/audit"
                  aria-current={current(['audit'])}
                  onClick={(e) => {
                    follow(e, '/audit');
                  }}
                >
                  Audit
                </a>
              </li>
              {session.fleet && (
                <li>
                  <a
                    href="/fleet"
                    aria-current={current(['fleet', 'fleet-app'])}
                    onClick={(e) => {
                      follow(e, '/fleet');
                    }}
                  >
                    Fleet
                  </a>
                </li>
              )}
            </ul>
          </nav>
        )}
        {session && (
          <div class="user">
            <span title={session.groups.join(', ')}>
              Signed in as <strong>{session.user}</strong>
            </span>
            {session.mode === 'cluster' && props.onSignOut && (
              <button
                type="button"
                onClick={() => {
                  props.onSignOut?.().catch(setError);
                }}
              >
                Sign out
              </button>
            )}
          </div>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorAlert error={error} />
        {props.children}
      </main>
    </>
  );
}

function follow(ev: MouseEvent, href: string): void {
  if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  ev.preventDefault();
  navigate(href);
}

const TITLES: Record<Route['view'], string> = {
  apps: 'Applications',
  app: 'Application',
  audit: 'Audit',
  fleet: 'Fleet',
  'fleet-app': 'Fleet application',
  login: 'Sign in',
  'not-found': 'Not found',
};

/**
 * After an in-page navigation, the title names the view and focus moves to <main>, so a screen
 * reader announces the new page as it would after a full load. Only a new path counts: changing
 * filters or the selected object keeps focus where the user is.
 */
function useRouteFocus(pathname: string, route: Route): void {
  const first = useRef(true);
  const key =
    route.view === 'app' || route.view === 'fleet-app'
      ? `${route.key.namespace}/${route.key.name}`
      : '';
  useEffect(() => {
    document.title = `${key ? `${key} · ` : ''}${TITLES[route.view]} · Ballast`;
  }, [route.view, key]);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById('main')?.focus();
  }, [pathname]);
}
