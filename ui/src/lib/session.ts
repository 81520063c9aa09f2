import { refreshDelayMs } from './backoff';

export type Role = 'viewer' | 'operator' | 'admin';

export interface SessionState {
  username: string | null;
  role: Role | null;
}

/** An API error as problem details say it: the detail, and each field's messages (REST's field names). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, string[]> = {},
  ) {
    super(message);
  }
}

interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Serialises refreshes across tabs (they share the cookie; two rotations of one token would look like theft and end the session). */
type LockFn = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

const defaultLock: LockFn = (name, fn) =>
  typeof navigator !== 'undefined' && navigator.locks ? (navigator.locks.request(name, fn) as Promise<never>) : fn();

/**
 * The browser session: the access token lives in this object only (never in storage, so a
 * reload or a new tab starts from the refresh cookie), the refresh token in the HttpOnly cookie
 * the server set. Refreshes silently before expiry and once on a 401; one refresh at a time.
 */
export class Session {
  private token: string | null = null;
  private timer: unknown = null;
  private inflight: Promise<boolean> | null = null;
  private readonly listeners = new Set<(s: SessionState) => void>();
  state: SessionState = { username: null, role: null };

  constructor(
    private readonly fetcher: typeof fetch = (...a) => fetch(...a),
    private readonly timers: Timers = { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as number) },
    private readonly lock: LockFn = defaultLock,
  ) {}

  get signedIn(): boolean {
    return this.token !== null;
  }

  onChange(listener: (s: SessionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The current access token, refreshed first when there is none (null when signed out). */
  async accessToken(): Promise<string | null> {
    if (this.token === null) await this.refresh();
    return this.token;
  }

  async login(username: string, password: string): Promise<void> {
    const response = await this.post('/api/v1/auth/login', { username, password, cookie: true });
    if (!response.ok) throw await toError(response);
    await this.accept(await response.json());
  }

  /** Rotates the cookie's refresh token for a new access token; false (and signed out) when the session is over. */
  refresh(): Promise<boolean> {
    this.inflight ??= this.lock('patronus-refresh', async () => {
      try {
        const response = await this.post('/api/v1/auth/refresh', {});
        if (!response.ok) {
          this.clear();
          return false;
        }
        await this.accept(await response.json());
        return true;
      } catch {
        return this.token !== null; // network trouble: keep what we have, the next call retries
      }
    }).finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** Ends the session on the server (revokes the refresh token) and here. */
  async logout(): Promise<void> {
    try {
      const token = await this.accessToken();
      if (token) await this.post('/api/v1/auth/logout', {}, token);
    } finally {
      this.clear();
    }
  }

  /** A call to the API with the access token; on 401 refreshes once and retries. */
  async api(path: string, init: RequestInit = {}): Promise<Response> {
    const send = (token: string | null) =>
      this.fetcher(path, { ...init, headers: { ...(init.headers as Record<string, string>), ...(token ? { Authorization: `Bearer ${token}` } : {}) } });
    let response = await send(await this.accessToken());
    if (response.status === 401 && (await this.refresh())) response = await send(this.token);
    return response;
  }

  /** A GraphQL query or mutation over HTTP; throws ApiError with the first error's message and field errors. */
  async graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await this.api('/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    if (!response.ok) throw await toError(response);
    const body = (await response.json()) as { data?: T; errors?: Array<{ message: string; extensions?: { code?: string; fields?: Record<string, string[]> } }> };
    if (body.errors?.length) {
      const first = body.errors[0];
      throw new ApiError(200, first.message, first.extensions?.fields ?? {});
    }
    return body.data as T;
  }

  private async accept(body: { access_token: string; expires_in: number }): Promise<void> {
    this.token = body.access_token;
    this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => void this.refresh(), refreshDelayMs(body.expires_in));
    const claims = decodeClaims(body.access_token);
    this.setState({ username: claims.sub ?? null, role: (claims.role as Role) ?? null });
  }

  private clear(): void {
    this.token = null;
    this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.setState({ username: null, role: null });
  }

  private setState(state: SessionState): void {
    this.state = state;
    this.listeners.forEach((l) => l(state));
  }

  private post(path: string, body: unknown, token?: string): Promise<Response> {
    return this.fetcher(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  }
}

/** The JWT's payload, for display only (the server checks the token on every call). */
export function decodeClaims(jwt: string): Record<string, string> {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '='))) as Record<string, string>;
  } catch {
    return {};
  }
}

/** Problem details to an ApiError (its detail, and errors per field). */
export async function toError(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { detail?: string; title?: string; errors?: Record<string, string[]> };
    return new ApiError(response.status, body.detail ?? body.title ?? `HTTP ${response.status}`, body.errors ?? {});
  } catch {
    return new ApiError(response.status, `HTTP ${response.status}`);
  }
}

/** Whether a role may change things (operator and admin): a viewer sees no write controls. */
export function canWrite(role: Role | null): boolean {
  return role === 'operator' || role === 'admin';
}
