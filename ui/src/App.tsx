import { useEffect, useState } from 'preact/hooks';
import { navigate, onLinkClick, parseRoute, useLocation } from './lib/router';
import { live, session, useLiveState, useNow, useSessionState } from './state';
import { staleText } from './lib/health';
import { Login } from './pages/Login';
import { Setup } from './pages/Setup';
import { Overview } from './pages/Overview';
import { PathPage } from './pages/PathPage';
import { Failover } from './pages/Failover';
import { Bfd } from './pages/Bfd';
import { Traffic } from './pages/Traffic';
import { Users } from './pages/Users';
import { Audit } from './pages/Audit';

/** The shell: restores the session from the refresh cookie, routes, and keeps signed-out users on the login page. */
export function App() {
  const pathname = useLocation();
  const route = parseRoute(pathname);
  const state = useSessionState();
  const [restoring, setRestoring] = useState(true);

  useEffect(() => {
    void session.refresh().finally(() => setRestoring(false));
  }, []);

  const publicPage = route.page === 'login' || route.page === 'setup';
  useEffect(() => {
    if (!restoring && !state.username && !publicPage) navigate(`/login${pathname === '/' ? '' : `?next=${encodeURIComponent(pathname)}`}`, true);
    if (!state.username) live.close();
  }, [restoring, state.username, publicPage, pathname]);

  useEffect(() => {
    const titles: Record<string, string> = { overview: 'Overview', path: 'Path', failover: 'Failover', bfd: 'BFD', traffic: 'Traffic', users: 'Users', audit: 'Audit log', login: 'Log in', setup: 'Setup', notfound: 'Not found' };
    document.title = `${titles[route.page]} · Patronus`;
  }, [route.page]);

  const admin = state.role === 'admin';
  if (restoring) return <main class="center" aria-busy="true"><p>Loading…</p></main>;
  if (route.page === 'setup') return <Setup />;
  if (route.page === 'login' || !state.username) return <Login />;

  return (
    <div class="shell" onClick={(e) => onLinkClick(e as unknown as MouseEvent)}>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <a class="brand" href="/">Patronus</a>
        <nav aria-label="Main">
          <a href="/" aria-current={route.page === 'overview' ? 'page' : undefined}>Overview</a>
          <a href="/failover" aria-current={route.page === 'failover' ? 'page' : undefined}>Failover</a>
          <a href="/bfd" aria-current={route.page === 'bfd' ? 'page' : undefined}>BFD</a>
          <a href="/traffic" aria-current={route.page === 'traffic' ? 'page' : undefined}>Traffic</a>
          {admin && <a href="/users" aria-current={route.page === 'users' ? 'page' : undefined}>Users</a>}
          {admin && <a href="/audit" aria-current={route.page === 'audit' ? 'page' : undefined}>Audit log</a>}
        </nav>
        <span class="who">{state.username} <span class="role">({state.role})</span></span>
        <button type="button" onClick={() => void session.logout().then(() => navigate('/login'))}>Log out</button>
      </header>
      <StaleBanner />
      <main id="main" tabIndex={-1}>
        {route.page === 'overview' && <Overview />}
        {route.page === 'path' && <PathPage id={route.id} />}
        {route.page === 'failover' && <Failover />}
        {route.page === 'bfd' && <Bfd />}
        {route.page === 'traffic' && <Traffic />}
        {(route.page === 'users' || route.page === 'audit') && !admin && <><h1>Admins only</h1><p>Users and the audit log are for admins.</p></>}
        {route.page === 'users' && admin && <Users />}
        {route.page === 'audit' && admin && <Audit />}
        {route.page === 'notfound' && <h1>Not found</h1>}
      </main>
    </div>
  );
}

function StaleBanner() {
  const state = useLiveState();
  const now = useNow(1000);
  if (!state.staleSince) return null;
  return <div class="banner stale" role="status" data-testid="stale-banner">{staleText(state.staleSince, now)}</div>;
}
