import { describe, expect, it } from 'vitest';
import type { Client, ClientOptions } from 'graphql-ws';
import { Live } from '../src/lib/live';

/** A session whose token the test controls, counting refreshes; and a graphql-ws client that only records its options. */
function setup() {
  const calls = { refresh: 0 };
  let token = 'old';
  const session = {
    signedIn: true,
    accessToken: async () => token,
    refresh: async () => {
      calls.refresh++;
      token = `fresh${calls.refresh}`;
      return true;
    },
  };
  let options: ClientOptions | null = null;
  const client = { subscribe: () => () => undefined, dispose: async () => undefined } as unknown as Client;
  const live = new Live(session, (o) => ((options = o), client), () => ({ protocol: 'http:', host: 'ctl:8080' }));
  live.subscribe('subscription { x }', {}, () => undefined);
  const url = () => (options!.url as () => Promise<string>)();
  const on = () => options!.on as { connected: () => void; closed: () => void };
  return { live, calls, url, on };
}

describe('Live', () => {
  it('connects with the current token; after a lost connection the first retry uses it too', async () => {
    const { calls, url, on } = setup();
    expect(await url()).toBe('ws://ctl:8080/graphql?access_token=old');
    on().connected();
    on().closed(); // the server went away after accepting us
    expect(await url()).toBe('ws://ctl:8080/graphql?access_token=old');
    expect(calls.refresh).toBe(0);
  });

  it('after an attempt that failed, refreshes the token first (it may have expired during the outage)', async () => {
    const { live, calls, url, on } = setup();
    await url();
    on().connected();
    on().closed();
    await url();
    on().closed(); // that attempt failed: serve still down, or the upgrade refused the token
    expect(await url()).toBe('ws://ctl:8080/graphql?access_token=fresh1');
    expect(calls.refresh).toBe(1);
    expect(live.state.staleSince).not.toBeNull();
    on().connected();
    expect(live.state).toEqual({ connected: true, staleSince: null });
    on().closed();
    expect(await url()).toBe('ws://ctl:8080/graphql?access_token=fresh1'); // connected since: no refresh
    expect(calls.refresh).toBe(1);
  });
});
