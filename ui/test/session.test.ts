import { describe, expect, it } from 'vitest';
import { Session, canWrite, decodeClaims } from '../src/lib/session';

const jwt = (claims: object) => `h.${btoa(JSON.stringify(claims)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}.s`;

interface Call { url: string; init: RequestInit }

/** A fake server: answers by URL from a script, records the calls. */
function fakeFetch(handlers: Record<string, (init: RequestInit, n: number) => Response | Promise<Response>>) {
  const calls: Call[] = [];
  const counts: Record<string, number> = {};
  const fetcher = (async (url: string, init: RequestInit = {}) => {
    calls.push({ url, init });
    counts[url] = (counts[url] ?? 0) + 1;
    return handlers[url](init, counts[url]);
  }) as unknown as typeof fetch;
  return { fetcher, calls };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const tokens = (sub: string, role: string, n = 1) => ({ access_token: jwt({ sub, role, n }), expires_in: 900, token_type: 'Bearer' });

function manualTimers() {
  const pending: Array<{ fn: () => void; ms: number }> = [];
  return {
    pending,
    timers: {
      setTimeout: (fn: () => void, ms: number) => pending.push({ fn, ms }),
      clearTimeout: () => pending.splice(0),
    },
  };
}

const noLock = <T>(_: string, fn: () => Promise<T>) => fn();

describe('Session', () => {
  it('logs in in cookie mode and keeps the access token in memory only', async () => {
    const { fetcher, calls } = fakeFetch({ '/api/v1/auth/login': () => json(200, tokens('alice', 'operator')) });
    const { timers, pending } = manualTimers();
    const session = new Session(fetcher, timers, noLock);

    await session.login('alice', 'pw');

    expect(JSON.parse(calls[0].init.body as string)).toEqual({ username: 'alice', password: 'pw', cookie: true });
    expect(calls[0].init.credentials).toBe('same-origin');
    expect(session.state).toEqual({ username: 'alice', role: 'operator' });
    expect(pending.map((p) => p.ms)).toEqual([720_000]); // silent refresh at 80 % of 15 min
  });

  it('throws the problem detail and field errors of a refused login', async () => {
    const { fetcher } = fakeFetch({ '/api/v1/auth/login': () => json(401, { detail: 'the username or password is wrong' }) });
    const session = new Session(fetcher, manualTimers().timers, noLock);
    await expect(session.login('a', 'b')).rejects.toThrow('the username or password is wrong');
    expect(session.signedIn).toBe(false);
  });

  it('runs one refresh for concurrent callers (a second rotation would look like token theft)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { fetcher, calls } = fakeFetch({ '/api/v1/auth/refresh': async () => { await gate; return json(200, tokens('bob', 'viewer')); } });
    const session = new Session(fetcher, manualTimers().timers, noLock);

    const all = Promise.all([session.refresh(), session.refresh(), session.accessToken()]);
    release();
    const [a, b, token] = await all;

    expect([a, b]).toEqual([true, true]);
    expect(token).toMatch(/^h\./);
    expect(calls.filter((c) => c.url === '/api/v1/auth/refresh')).toHaveLength(1);
  });

  it('on a 401 refreshes once and retries the call with the new token', async () => {
    const { fetcher, calls } = fakeFetch({
      '/api/v1/auth/login': () => json(200, tokens('c', 'admin', 1)),
      '/api/v1/auth/refresh': () => json(200, tokens('c', 'admin', 2)),
      '/api/v1/sites': (_, n) => (n === 1 ? json(401, {}) : json(200, [])),
    });
    const session = new Session(fetcher, manualTimers().timers, noLock);
    await session.login('c', 'pw');

    const response = await session.api('/api/v1/sites');

    expect(response.status).toBe(200);
    const sites = calls.filter((c) => c.url === '/api/v1/sites').map((c) => (c.init.headers as Record<string, string>).Authorization);
    expect(sites).toHaveLength(2);
    expect(decodeClaims(sites[1].slice(7)).n).toBe(2);
  });

  it('a refused refresh signs out (the login page follows)', async () => {
    const { fetcher } = fakeFetch({ '/api/v1/auth/refresh': () => json(401, { detail: 'revoked' }) });
    const session = new Session(fetcher, manualTimers().timers, noLock);
    const seen: Array<string | null> = [];
    session.onChange((s) => seen.push(s.username));

    expect(await session.refresh()).toBe(false);
    expect(session.signedIn).toBe(false);
    expect(seen).toEqual([null]);
  });

  it('logout revokes on the server with the access token, then forgets it', async () => {
    const { fetcher, calls } = fakeFetch({
      '/api/v1/auth/login': () => json(200, tokens('d', 'viewer')),
      '/api/v1/auth/logout': () => new Response(null, { status: 204 }),
    });
    const { timers, pending } = manualTimers();
    const session = new Session(fetcher, timers, noLock);
    await session.login('d', 'pw');

    await session.logout();

    const logout = calls.find((c) => c.url === '/api/v1/auth/logout')!;
    expect((logout.init.headers as Record<string, string>).Authorization).toMatch(/^Bearer h\./);
    expect(session.signedIn).toBe(false);
    expect(pending).toHaveLength(0); // no silent refresh left behind
  });

  it('graphql errors carry the field errors of BAD_USER_INPUT', async () => {
    const { fetcher } = fakeFetch({
      '/api/v1/auth/login': () => json(200, tokens('e', 'operator')),
      '/graphql': () => json(200, { errors: [{ message: 'bad', extensions: { code: 'BAD_USER_INPUT', fields: { name: ['is taken'] } } }] }),
    });
    const session = new Session(fetcher, manualTimers().timers, noLock);
    await session.login('e', 'pw');
    await expect(session.graphql('{ x }')).rejects.toMatchObject({ message: 'bad', fields: { name: ['is taken'] } });
  });
});

describe('canWrite', () => {
  it.each([['viewer', false], ['operator', true], ['admin', true], [null, false]] as const)('%s → %s', (role, can) => {
    expect(canWrite(role)).toBe(can);
  });
});
