import { useEffect, useState } from 'preact/hooks';
import { navigate, nextPage } from '../lib/router';
import { session } from '../state';

export function Login() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [setupRequired, setSetupRequired] = useState(false);

  useEffect(() => {
    fetch('/api/v1/auth/setup')
      .then((r) => (r.ok ? r.json() : null))
      .then((b: { setup_required?: boolean } | null) => setSetupRequired(!!b?.setup_required))
      .catch(() => undefined);
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await session.login(username, password);
      navigate(nextPage(location.search), true);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="center" id="main">
      <form class="card login" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Patronus</h1>
        {setupRequired && (
          <p class="note" role="note">No user exists yet: open the setup link that <code>patronus serve</code> printed in its log.</p>
        )}
        <label for="username">Username</label>
        <input id="username" name="username" autocomplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        {error && <p class="error" role="alert" id="login-error">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? 'Logging in…' : 'Log in'}</button>
      </form>
    </main>
  );
}
