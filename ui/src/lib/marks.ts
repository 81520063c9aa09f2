import type { FailoverEvent } from './failover';

/** A BFD session as GraphQL returns it (query and bfdSessionChanged). */
export interface BfdSession {
  pathId: string;
  state: string;
  remoteState: string | null;
  localDiagnostic: string | null;
  localDiscriminator: number | null;
  remoteDiscriminator: number | null;
  transmitIntervalMs: number | null;
  detectionTimeMs: number | null;
  adminDown: boolean;
  peerAdminDown: boolean;
  lastChange: string | null;
  error: string | null;
}

export const BFD_FIELDS = 'pathId state remoteState localDiagnostic localDiscriminator remoteDiscriminator transmitIntervalMs detectionTimeMs adminDown peerAdminDown lastChange error';

/** The API's BFD state names (as FRR prints them) for people: up → Up, admin_down → AdminDown (RFC 5880's words). */
export function bfdStateLabel(state: string): string {
  return ({ up: 'Up', down: 'Down', init: 'Init', admin_down: 'AdminDown' } as Record<string, string>)[state] ?? state;
}

/** A diagnostic worth showing (not "none"), in words: control_detection_time_expired → control detection time expired. */
export function bfdDiagnosticText(diagnostic: string | null): string | null {
  return diagnostic && diagnostic !== 'none' ? diagnostic.replace(/_/g, ' ') : null;
}

/** A vertical line on the path's charts: a failover onto or away from the path, or a change of its BFD session's state. */
export interface Mark {
  /** Unix seconds. */
  t: number;
  kind: 'failover' | 'bfd';
  /** Drawn beside the line: "failover away", "BFD Down". */
  label: string;
}

/** One BFD state change as the page keeps it: when, the new state and the diagnostic. */
export interface BfdChange { at: string; state: string; diagnostic: string | null }

/**
 * A session's view (from the query or the subscription) as a state change: the first view, and
 * every later one whose lastChange moved. Returns the list unchanged when the view is no change.
 */
export function addBfdChange(changes: readonly BfdChange[], s: BfdSession): readonly BfdChange[] {
  if (!s.lastChange || changes.some((c) => c.at === s.lastChange)) return changes;
  return [...changes, { at: s.lastChange, state: s.state, diagnostic: s.localDiagnostic }]
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** The marks of a path's charts, oldest first: its failovers (away from it or onto it) and its BFD state changes. */
export function chartMarks(pathId: string, failovers: readonly FailoverEvent[], bfd: readonly BfdChange[]): Mark[] {
  const marks: Mark[] = [];
  for (const e of failovers) {
    if (e.fromPathId !== pathId && e.toPathId !== pathId) continue;
    const direction = e.fromPathId === pathId ? 'away' : 'onto';
    marks.push({ t: Date.parse(e.timestamp) / 1000, kind: 'failover', label: `${e.eventType} ${direction}` });
  }
  for (const c of bfd) marks.push({ t: Date.parse(c.at) / 1000, kind: 'bfd', label: `BFD ${bfdStateLabel(c.state)}` });
  return marks.sort((a, b) => a.t - b.t);
}
