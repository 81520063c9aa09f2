import { useEffect, useState } from 'preact/hooks';

/** The client routes: what a path names. */
export type Route =
  | { page: 'overview' }
  | { page: 'path'; id: string }
  | { page: 'failover' }
  | { page: 'bfd' }
  | { page: 'traffic' }
  | { page: 'users' }
  | { page: 'audit' }
  | { page: 'login' }
  | { page: 'setup' }
  | { page: 'notfound' };

type SimplePage = 'failover' | 'bfd' | 'traffic' | 'users' | 'audit' | 'login' | 'setup';
const SIMPLE = new Set<string>(['failover', 'bfd', 'traffic', 'users', 'audit', 'login', 'setup']);

export function parseRoute(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: 'overview' };
  if (parts[0] === 'paths' && parts.length === 2) return { page: 'path', id: parts[1] };
  if (parts.length === 1 && SIMPLE.has(parts[0])) return { page: parts[0] as SimplePage };
  return { page: 'notfound' };
}

/** Where to go after logging in: the page that sent the user here (same origin only), else the overview. */
export function nextPage(search: string): string {
  const next = new URLSearchParams(search).get('next');
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

export function pathUrl(id: string): string {
  return `/paths/${encodeURIComponent(id)}`;
}

const listeners = new Set<() => void>();

export function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  listeners.forEach((l) => l());
}

/** The current location, re-rendered on navigate() and on back/forward. */
export function useLocation(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return path;
}

/** Makes a plain <a href> navigate inside the app (keeps middle-click and modifiers for the browser). */
export function onLinkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  // HTML and SVG anchors alike (the topology map's edges are SVG <a>, which has no .pathname).
  const a = (e.target as Element).closest('a');
  const href = a?.getAttribute('href');
  if (!a || !href || a.getAttribute('target') || a.hasAttribute('download')) return;
  const url = new URL(href, location.href);
  if (url.origin !== location.origin) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
}
