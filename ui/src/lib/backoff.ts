/** Reconnect delay after the attempt-th failure in a row: 0.5 s doubling to 30 s, plus up to 25 % random jitter (so many browsers do not reconnect in step). */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 500 * 2 ** Math.max(0, attempt));
  return Math.round(base + base * 0.25 * random());
}

/** When to refresh an access token that lives expiresInSeconds: at 80 % of its life, at least 5 s ahead, never sooner than 1 s. */
export function refreshDelayMs(expiresInSeconds: number): number {
  const life = expiresInSeconds * 1000;
  return Math.max(1000, Math.min(life * 0.8, life - 5000));
}
