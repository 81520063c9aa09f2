/** A failover policy as GraphQL returns it, with the loop's state (last switch, failback hold-down). */
export interface Policy {
  policyId: string;
  name: string;
  primaryPathId: string;
  backupPathIds: string[];
  activePathId: string;
  enabled: boolean;
  failoverThreshold: number;
  failbackThreshold: number;
  failbackDelaySecs: number;
  prefixes: string[];
  readOnly: boolean;
  lastSwitch: string | null;
  failbackPendingSince: string | null;
  heldUntil: string | null;
}

export interface FailoverEvent {
  eventId: string | null;
  policyId: string;
  eventType: string;
  fromPathId: string | null;
  toPathId: string | null;
  reason: string | null;
  timestamp: string;
}

export const POLICY_FIELDS = 'policyId name primaryPathId backupPathIds activePathId enabled failoverThreshold failbackThreshold failbackDelaySecs prefixes readOnly lastSwitch failbackPendingSince heldUntil';
export const EVENT_FIELDS = 'eventId policyId eventType fromPathId toPathId reason timestamp';

/** What a policy is doing now, in words, and how long its failback hold-down still runs. */
export interface PolicyPhase {
  kind: 'primary' | 'backup' | 'failback-pending' | 'dampened' | 'disabled';
  text: string;
  /** Seconds left of the hold-down (failback pending or dampened), else null. */
  remainingSecs: number | null;
}

/**
 * The failback hold-down as the engine runs it: while a backup is active and the primary has been
 * failback-healthy since failbackPendingSince, the failback comes failbackDelaySecs after that —
 * unless flap dampening holds failbacks until heldUntil, whichever is later.
 */
export function policyPhase(p: Policy, now: number): PolicyPhase {
  if (!p.enabled) return { kind: 'disabled', text: 'disabled (traffic on the primary)', remainingSecs: null };
  if (p.activePathId === p.primaryPathId) return { kind: 'primary', text: 'on the primary', remainingSecs: null };
  const held = p.heldUntil ? Date.parse(p.heldUntil) : NaN;
  const due = p.failbackPendingSince ? Date.parse(p.failbackPendingSince) + p.failbackDelaySecs * 1000 : NaN;
  if (Number.isFinite(held) && held > now && (!Number.isFinite(due) || held >= due)) {
    const left = Math.ceil((held - now) / 1000);
    return { kind: 'dampened', text: `on backup ${p.activePathId}; failback held by flap dampening for ${formatDuration(left)} more`, remainingSecs: left };
  }
  if (Number.isFinite(due)) {
    const left = Math.max(0, Math.ceil((due - now) / 1000));
    return { kind: 'failback-pending', text: `on backup ${p.activePathId}; primary healthy, failback in ${formatDuration(left)}`, remainingSecs: left };
  }
  return { kind: 'backup', text: `on backup ${p.activePathId}; primary not healthy yet`, remainingSecs: null };
}

/** 42 s, 3 min 5 s, 2 h 10 min. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
  const m = Math.floor(s / 60);
  return m % 60 === 0 ? `${m / 60} h` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export interface EventFilter {
  policyId: string | null;
  /** Unix ms, inclusive. */
  since: number;
  /** Unix ms, inclusive; null: up to now (and live events join). */
  until: number | null;
}

export function matchesFilter(e: FailoverEvent, f: EventFilter): boolean {
  const t = Date.parse(e.timestamp);
  return (f.policyId === null || e.policyId === f.policyId) && t >= f.since && (f.until === null || t <= f.until);
}

/**
 * How long traffic was away from the primary, for each failback: the time since the failover
 * ("triggered") of the same policy that it ends. Events may come in any order; keyed by the
 * failback's position in the input.
 */
export function awayDurations(events: readonly FailoverEvent[]): Map<number, number> {
  const order = events.map((e, i) => ({ e, i, t: Date.parse(e.timestamp) })).sort((a, b) => a.t - b.t || a.i - b.i);
  const wentAway = new Map<string, number>();
  const out = new Map<number, number>();
  for (const { e, i, t } of order) {
    if (e.eventType === 'triggered' && !wentAway.has(e.policyId)) wentAway.set(e.policyId, t);
    else if (e.eventType === 'failback') {
      const from = wentAway.get(e.policyId);
      if (from !== undefined) out.set(i, (t - from) / 1000);
      wentAway.delete(e.policyId);
    } else if (e.eventType === 'disabled') wentAway.delete(e.policyId);
  }
  return out;
}

/** The form's values (text as typed). */
export interface PolicyDraft {
  name: string;
  primary: string;
  backups: string[];
  delay: string;
  failoverThreshold: string;
  failbackThreshold: string;
  prefixes: string[];
}

const num = (text: string): number | null => (text.trim() === '' ? null : Number(text));

const ARG_TYPES: Record<string, [string, string]> = {
  backups: ['backupPathIds', '[ID!]'], prefixes: ['prefixes', '[String!]'], delay: ['failbackDelaySecs', 'Int'],
  failover: ['failoverThreshold', 'Float'], failback: ['failbackThreshold', 'Float'],
};

/**
 * updateFailoverPolicy naming only what changed (the API keeps the fields a request leaves out,
 * so an edit never overwrites a field someone else changed meanwhile); null when nothing did.
 */
export function updateMutation(p: Policy, d: PolicyDraft): { query: string; variables: Record<string, unknown> } | null {
  const v: Record<string, unknown> = {};
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (!same(p.backupPathIds, d.backups)) v.backups = d.backups;
  if (!same(p.prefixes, d.prefixes)) v.prefixes = d.prefixes;
  if (num(d.delay) !== p.failbackDelaySecs) v.delay = num(d.delay);
  if (num(d.failoverThreshold) !== p.failoverThreshold) v.failover = num(d.failoverThreshold);
  if (num(d.failbackThreshold) !== p.failbackThreshold) v.failback = num(d.failbackThreshold);
  const keys = Object.keys(v);
  if (keys.length === 0) return null;
  const decls = keys.map((k) => `$${k}: ${ARG_TYPES[k][1]}`).join(', ');
  const args = keys.map((k) => `${ARG_TYPES[k][0]}: $${k}`).join(', ');
  return {
    query: `mutation($id: ID!, ${decls}) { updateFailoverPolicy(policyId: $id, ${args}) { policyId } }`,
    variables: { id: p.policyId, ...v },
  };
}

export const CREATE_POLICY = `mutation($name: String!, $primary: ID!, $backups: [ID!]!, $delay: Int, $prefixes: [String!], $failover: Float, $failback: Float) {
  createFailoverPolicy(name: $name, primaryPathId: $primary, backupPathIds: $backups, failbackDelaySecs: $delay, prefixes: $prefixes,
    failoverThreshold: $failover, failbackThreshold: $failback) { policyId } }`;

export function createVariables(d: PolicyDraft): Record<string, unknown> {
  return {
    name: d.name, primary: d.primary, backups: d.backups, delay: num(d.delay), prefixes: d.prefixes,
    failover: num(d.failoverThreshold), failback: num(d.failbackThreshold),
  };
}
