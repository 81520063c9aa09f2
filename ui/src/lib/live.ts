import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import { retryDelayMs } from './backoff';
import type { Session } from './session';

export interface LiveState {
  connected: boolean;
  /** When the connection was lost (null while connected, or before the first connection). */
  staleSince: Date | null;
}

/**
 * The GraphQL subscription connection: one WebSocket for the app, opened with a fresh access
 * token each time (browsers cannot set headers on a WebSocket: ?access_token=), reconnecting
 * forever with backoff — the server closes it when the token expires, and the next one is fresh.
 */
export class Live {
  private client: Client | null = null;
  /** An attempt failed before the server accepted it: the next one asks for a fresh token first. */
  private failedAttempt = false;
  private readonly listeners = new Set<(s: LiveState) => void>();
  state: LiveState = { connected: false, staleSince: null };

  constructor(
    private readonly session: Pick<Session, 'accessToken' | 'refresh' | 'signedIn'>,
    private readonly create: (options: ClientOptions) => Client = createClient,
    private readonly where: () => { protocol: string; host: string } = () => location,
  ) {}

  onChange(listener: (s: LiveState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  subscribe<T>(query: string, variables: Record<string, unknown>, next: (data: T) => void): () => void {
    const client = this.connect();
    return client.subscribe<T>({ query, variables }, {
      next: (result) => result.data && next(result.data as T),
      error: () => undefined, // the client retries; the banner shows the outage
      complete: () => undefined,
    });
  }

  close(): void {
    void this.client?.dispose();
    this.client = null;
    this.set({ connected: false, staleSince: null });
  }

  private connect(): Client {
    if (this.client) return this.client;
    const { protocol, host } = this.where();
    const scheme = protocol === 'https:' ? 'wss' : 'ws';
    // Events of a client this object has closed (a logout) must not flip the banner afterwards.
    const current = () => this.client === client;
    const client: Client = this.create({
      url: async () => {
        // After an attempt that failed (serve down, or the upgrade refused): the token may have
        // expired meanwhile — an outage longer than its life, while the refresh timer's own try
        // failed — and would be refused forever. A refresh first (one network call; it keeps the
        // token while the server is unreachable, and signs out if the session is over).
        if (this.failedAttempt) await this.session.refresh();
        const token = await this.session.accessToken();
        return `${scheme}://${host}/graphql?access_token=${encodeURIComponent(token ?? '')}`;
      },
      lazy: false,
      retryAttempts: Number.MAX_SAFE_INTEGER,
      shouldRetry: () => this.session.signedIn,
      retryWait: (attempt) => new Promise((resolve) => setTimeout(resolve, retryDelayMs(attempt))),
      keepAlive: 10_000,
      on: {
        connected: () => {
          if (!current()) return;
          this.failedAttempt = false;
          this.set({ connected: true, staleSince: null });
        },
        closed: () => {
          if (!current()) return;
          if (!this.state.connected) this.failedAttempt = true;
          if (this.state.connected || this.state.staleSince === null) this.set({ connected: false, staleSince: new Date() });
        },
      },
    });
    this.client = client;
    return client;
  }

  private set(state: LiveState): void {
    this.state = state;
    this.listeners.forEach((l) => l(state));
  }
}
