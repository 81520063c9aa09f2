import { useState } from 'preact/hooks';
import { navigate } from '../lib/router';
import { session } from '../state';
import { toError as toErrorOf } from '../lib/session';

/** First run: creates the first admin with the one-time token from serve's log (in the URL fragment), then logs in. */
export function Setup() {
  const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setErrors({});
    setError(null);
    if (password !== confirm) {
      setErrors({ confirm: ['the two passwords differ'] });
      return;
    }
    setBusy(true);
    try {
      const response = await fetch('/api/v1/auth/setup', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ token, username, password }),
      });
      if (!response.ok) {
        const problem = await toErrorOf(response);
        setErrors(problem.fields);
        setError(problem.message);
        return;
      }
      history.replaceState(null, '', '/setup'); // the token is used: drop it from the address bar
      await session.login(username, password);
      navigate('/', true);
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (name: string) =>
    errors[name] && <p class="error" id={`${name}-error`}>{errors[name].join('; ')}</p>;

  return (
    <main class="center" id="main">
      <form class="card login" onSubmit={submit} aria-labelledby="setup-title">
        <h1 id="setup-title">Create the first admin</h1>
        {!token && <p class="error" role="alert">This page needs the setup link from serve's log (it ends in #token=…).</p>}
        <p class="note">Passwords: at least 12 characters, three of lowercase, uppercase, digits and symbols, not containing the username.</p>
        <label for="setup-username">Username</label>
        <input id="setup-username" autocomplete="username" required value={username} aria-invalid={!!errors.username}
          aria-describedby={errors.username ? 'username-error' : undefined} onInput={(e) => setUsername(e.currentTarget.value)} />
        {fieldError('username')}
        <label for="setup-password">Password</label>
        <input id="setup-password" type="password" autocomplete="new-password" required value={password} aria-invalid={!!errors.password}
          aria-describedby={errors.password ? 'password-error' : undefined} onInput={(e) => setPassword(e.currentTarget.value)} />
        {fieldError('password')}
        <label for="setup-confirm">Repeat the password</label>
        <input id="setup-confirm" type="password" autocomplete="new-password" required value={confirm} aria-invalid={!!errors.confirm}
          aria-describedby={errors.confirm ? 'confirm-error' : undefined} onInput={(e) => setConfirm(e.currentTarget.value)} />
        {fieldError('confirm')}
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy || !token}>{busy ? 'Creating…' : 'Create admin and log in'}</button>
      </form>
    </main>
  );
}
