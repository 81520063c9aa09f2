import { useEffect, useState } from 'preact/hooks';
import { ApiError, toError, type Role } from '../lib/session';
import { byField } from '../lib/forms';
import { session, useSessionState } from '../state';

interface User { username: string; role: Role; disabled: boolean; created_at: string; updated_at: string }
const ROLES: Role[] = ['viewer', 'operator', 'admin'];

/** The REST user API (admin): JSON in and out, problem details with field errors on refusal. */
async function call(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await session.api(path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await toError(response);
  return response.status === 204 ? null : response.json();
}

/** Users (admin): create with a role, change the role, disable/enable, reset the password. */
export function Users() {
  const me = useSessionState().username;
  const [users, setUsers] = useState<User[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [resetting, setResetting] = useState<string | null>(null);

  const load = async () => {
    try {
      setUsers(((await call('GET', '/api/v1/users')) as { users: User[] }).users);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  useEffect(() => void load(), []);

  const update = async (name: string, change: Partial<{ role: Role; disabled: boolean }>, done: string) => {
    try {
      await call('PUT', `/api/v1/users/${encodeURIComponent(name)}`, change);
      setError(null);
      setNotice(done);
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <>
      <h1>Users</h1>
      {error && <p class="error" role="alert">{error}</p>}
      {notice && <p class="note" role="status">{notice}</p>}
      {users === null ? <p aria-busy="true">Loading…</p> : (
        <table>
          <thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Actions</th></tr></thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.username} data-user={u.username} data-role={u.role} data-disabled={String(u.disabled)}>
                <td>{u.username}{u.username === me && <span class="muted"> (you)</span>}</td>
                <td>
                  <label class="visually-hidden" for={`role-${u.username}`}>Role of {u.username}</label>
                  <select id={`role-${u.username}`} value={u.role} disabled={u.username === me}
                    onChange={(e) => void update(u.username, { role: e.currentTarget.value as Role }, `${u.username} is now ${e.currentTarget.value}.`)}>
                    {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
                  </select>
                </td>
                <td>{u.disabled ? 'disabled' : 'active'}</td>
                <td><time dateTime={u.created_at}>{new Date(u.created_at).toLocaleDateString()}</time></td>
                <td class="actions">
                  {u.username !== me && (
                    <button type="button" onClick={() => void update(u.username, { disabled: !u.disabled }, `${u.username} is ${u.disabled ? 'enabled' : 'disabled'}.`)}>
                      {u.disabled ? 'Enable' : 'Disable'} {u.username}
                    </button>
                  )}
                  <button type="button" onClick={() => setResetting(u.username)}>Reset password of {u.username}</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {resetting && <ResetPassword username={resetting} onDone={(msg) => { setResetting(null); if (msg) setNotice(msg); }} />}
      <NewUser onCreated={(name) => { setNotice(`${name} created.`); void load(); }} />
    </>
  );
}

function FieldError({ id, messages }: { id: string; messages?: string[] }) {
  return messages ? <p class="error" id={id}>{messages.join('; ')}</p> : null;
}

function NewUser({ onCreated }: { onCreated: (name: string) => void }) {
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setErrors({});
    setError(null);
    try {
      await call('POST', '/api/v1/users', { username, role, password });
      setUsername('');
      setPassword('');
      onCreated(username);
    } catch (err) {
      const fields = err instanceof ApiError ? byField(err.fields) : {};
      setErrors(fields);
      setError(Object.keys(fields).length ? 'The user was not created: see the fields marked below.' : (err as Error).message);
    }
  };
  const invalid = (f: string) => ({ 'aria-invalid': !!errors[f], 'aria-describedby': errors[f] ? `new-user-${f}-error` : undefined });

  return (
    <form class="card policy-form" onSubmit={submit} aria-labelledby="new-user-title">
      <h2 id="new-user-title">New user</h2>
      {error && <p class="error" role="alert">{error}</p>}
      <label for="new-user-username">Username</label>
      <input id="new-user-username" required autoComplete="off" value={username} {...invalid('username')} onInput={(e) => setUsername(e.currentTarget.value)} />
      <FieldError id="new-user-username-error" messages={errors.username} />
      <label for="new-user-role">Role</label>
      <select id="new-user-role" value={role} {...invalid('role')} onChange={(e) => setRole(e.currentTarget.value as Role)}>
        {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
      </select>
      <FieldError id="new-user-role-error" messages={errors.role} />
      <label for="new-user-password">Initial password</label>
      <input id="new-user-password" type="password" autoComplete="new-password" required value={password} {...invalid('password')} onInput={(e) => setPassword(e.currentTarget.value)} />
      <FieldError id="new-user-password-error" messages={errors.password} />
      <div class="actions"><button type="submit">Create user</button></div>
    </form>
  );
}

function ResetPassword({ username, onDone }: { username: string; onDone: (message: string | null) => void }) {
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<string[] | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setErrors(null);
    try {
      await call('PUT', `/api/v1/users/${encodeURIComponent(username)}`, { password });
      onDone(`The password of ${username} is reset.`);
    } catch (err) {
      setErrors(err instanceof ApiError && err.fields.password ? err.fields.password : [(err as Error).message]);
    }
  };

  return (
    <form class="card policy-form" onSubmit={submit} aria-labelledby="reset-title" data-form="reset-password">
      <h2 id="reset-title">Reset the password of {username}</h2>
      <label for="reset-password">New password</label>
      <input id="reset-password" type="password" autoComplete="new-password" required value={password}
        aria-invalid={!!errors} aria-describedby={errors ? 'reset-password-error' : undefined} onInput={(e) => setPassword(e.currentTarget.value)} />
      <FieldError id="reset-password-error" messages={errors ?? undefined} />
      <div class="actions">
        <button type="submit">Set password</button>
        <button type="button" onClick={() => onDone(null)}>Cancel</button>
      </div>
    </form>
  );
}
