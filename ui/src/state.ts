import { useEffect, useState } from 'preact/hooks';
import { Live, type LiveState } from './lib/live';
import { Session, type SessionState } from './lib/session';

/** The app's one session and one live connection (module singletons: the app has one of each). */
export const session = new Session();
export const live = new Live(session);

export function useSessionState(): SessionState {
  const [state, setState] = useState(session.state);
  useEffect(() => session.onChange(setState), []);
  return state;
}

export function useLiveState(): LiveState {
  const [state, setState] = useState(live.state);
  useEffect(() => live.onChange(setState), []);
  return state;
}

/** Re-renders every interval ms (for "… s ago" texts). */
export function useNow(intervalMs: number): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
