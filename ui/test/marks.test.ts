import { describe, expect, it } from 'vitest';
import { addBfdChange, bfdDiagnosticText, bfdStateLabel, chartMarks, type BfdSession } from '../src/lib/marks';
import type { FailoverEvent } from '../src/lib/failover';

const session = (state: string, lastChange: string | null): BfdSession => ({
  pathId: 'p1', state, remoteState: null, localDiagnostic: state === 'down' ? 'control_detection_time_expired' : 'none', localDiscriminator: 1,
  remoteDiscriminator: 2, transmitIntervalMs: 300, detectionTimeMs: 900, adminDown: false, peerAdminDown: false, lastChange, error: null,
});
const event = (type: string, from: string | null, to: string | null, timestamp: string): FailoverEvent =>
  ({ eventId: '1', policyId: '1', eventType: type, fromPathId: from, toPathId: to, reason: null, timestamp });

describe('addBfdChange', () => {
  it('keeps each change once, oldest first; a view without a change adds nothing', () => {
    let changes = addBfdChange([], session('up', '2026-01-01T12:00:10Z'));
    changes = addBfdChange(changes, session('up', '2026-01-01T12:00:10Z')); // the same view again (query, then subscription)
    changes = addBfdChange(changes, session('down', '2026-01-01T12:00:05Z')); // out of order
    changes = addBfdChange(changes, session('down', null)); // never changed
    expect(changes).toEqual([
      { at: '2026-01-01T12:00:05Z', state: 'down', diagnostic: 'control_detection_time_expired' },
      { at: '2026-01-01T12:00:10Z', state: 'up', diagnostic: 'none' },
    ]);
  });
});

describe('chartMarks', () => {
  it('marks the path\'s failovers with their direction and its BFD changes, oldest first', () => {
    const marks = chartMarks('p1', [
      event('failback', 'p2', 'p1', '2026-01-01T12:10:00Z'),
      event('triggered', 'p1', 'p2', '2026-01-01T12:00:00Z'),
      event('triggered', 'p3', 'p4', '2026-01-01T12:01:00Z'), // another path's
    ], [{ at: '2026-01-01T11:59:58Z', state: 'admin_down', diagnostic: null }]);
    expect(marks).toEqual([
      { t: Date.parse('2026-01-01T11:59:58Z') / 1000, kind: 'bfd', label: 'BFD AdminDown' },
      { t: Date.parse('2026-01-01T12:00:00Z') / 1000, kind: 'failover', label: 'triggered away' },
      { t: Date.parse('2026-01-01T12:10:00Z') / 1000, kind: 'failover', label: 'failback onto' },
    ]);
  });
});

describe('bfd names', () => {
  it.each([['up', 'Up'], ['down', 'Down'], ['init', 'Init'], ['admin_down', 'AdminDown'], ['other', 'other']])('%s', (state, label) => {
    expect(bfdStateLabel(state)).toBe(label);
  });
  it.each([[null, null], ['none', null], ['control_detection_time_expired', 'control detection time expired']])('%s', (d, text) => {
    expect(bfdDiagnosticText(d)).toBe(text);
  });
});
