import { describe, expect, it } from 'vitest';
import { awayDurations, formatDuration, matchesFilter, policyPhase, updateMutation, type FailoverEvent, type Policy } from '../src/lib/failover';

const base: Policy = {
  policyId: '1', name: 'to-dc', primaryPathId: 'p1', backupPathIds: ['p2'], activePathId: 'p1', enabled: true,
  failoverThreshold: 50, failbackThreshold: 80, failbackDelaySecs: 60, prefixes: ['10.0.0.0/8'], readOnly: false,
  lastSwitch: null, failbackPendingSince: null, heldUntil: null,
};
const at = (iso: string) => Date.parse(iso);

describe('policyPhase', () => {
  it.each([
    ['on the primary', {}, 'primary', null],
    ['disabled', { enabled: false, activePathId: 'p2' }, 'disabled', null],
    ['on a backup, primary not healthy', { activePathId: 'p2' }, 'backup', null],
    // Primary healthy since 12:00:00, delay 60 s, now 12:00:18: the failback is 42 s away.
    ['hold-down running', { activePathId: 'p2', failbackPendingSince: '2026-01-01T12:00:00Z' }, 'failback-pending', 42],
    ['hold-down over, failback any moment', { activePathId: 'p2', failbackPendingSince: '2026-01-01T11:00:00Z' }, 'failback-pending', 0],
    ['dampened past the hold-down', { activePathId: 'p2', failbackPendingSince: '2026-01-01T12:00:00Z', heldUntil: '2026-01-01T12:05:18Z' }, 'dampened', 300],
    ['dampening that ends before the hold-down', { activePathId: 'p2', failbackPendingSince: '2026-01-01T12:00:00Z', heldUntil: '2026-01-01T12:00:30Z' }, 'failback-pending', 42],
    ['dampened, primary not healthy', { activePathId: 'p2', heldUntil: '2026-01-01T12:01:18Z' }, 'dampened', 60],
    ['dampening over', { activePathId: 'p2', heldUntil: '2026-01-01T11:00:00Z' }, 'backup', null],
  ] as const)('%s', (_name, change, kind, remaining) => {
    const phase = policyPhase({ ...base, ...change }, at('2026-01-01T12:00:18Z'));
    expect(phase.kind).toBe(kind);
    expect(phase.remainingSecs).toBe(remaining);
  });

  it('says when the failback comes', () => {
    expect(policyPhase({ ...base, activePathId: 'p2', failbackPendingSince: '2026-01-01T12:00:00Z' }, at('2026-01-01T12:00:18Z')).text)
      .toBe('on backup p2; primary healthy, failback in 42 s');
  });
});

describe('formatDuration', () => {
  it.each([[0, '0 s'], [42, '42 s'], [60, '1 min'], [185, '3 min 5 s'], [3600, '1 h'], [7800, '2 h 10 min']])('%d s', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });
});

const event = (policyId: string, eventType: string, timestamp: string): FailoverEvent =>
  ({ eventId: null, policyId, eventType, fromPathId: null, toPathId: null, reason: null, timestamp });

describe('matchesFilter', () => {
  const e = event('1', 'triggered', '2026-01-01T12:00:00Z');
  it.each([
    [{ policyId: null, since: at('2026-01-01T11:00:00Z'), until: null }, true],
    [{ policyId: '1', since: at('2026-01-01T11:00:00Z'), until: null }, true],
    [{ policyId: '2', since: at('2026-01-01T11:00:00Z'), until: null }, false],
    [{ policyId: null, since: at('2026-01-01T12:00:01Z'), until: null }, false],
    [{ policyId: null, since: at('2026-01-01T11:00:00Z'), until: at('2026-01-01T11:59:59Z') }, false],
    [{ policyId: null, since: at('2026-01-01T12:00:00Z'), until: at('2026-01-01T12:00:00Z') }, true],
  ])('%j → %s', (filter, expected) => {
    expect(matchesFilter(e, filter)).toBe(expected);
  });
});

describe('awayDurations', () => {
  it('pairs each failback with the failover it ends, per policy, in any input order', () => {
    const events = [
      event('1', 'failback', '2026-01-01T12:05:00Z'), // 0: 5 min after policy 1 left
      event('2', 'failback', '2026-01-01T12:01:30Z'), // 1: 60 s after policy 2 left
      event('1', 'triggered', '2026-01-01T12:00:00Z'),
      event('2', 'triggered', '2026-01-01T12:00:30Z'),
      event('1', 'triggered', '2026-01-01T12:02:00Z'), // a second failover during the outage: away since the first
      event('1', 'failback', '2026-01-01T13:00:00Z'), // 5: no failover before it in view
    ];
    expect([...awayDurations(events)].sort()).toEqual([[0, 300], [1, 60]]);
  });

  it('a disable ends the outage (traffic went back to the primary)', () => {
    const events = [event('1', 'triggered', '2026-01-01T12:00:00Z'), event('1', 'disabled', '2026-01-01T12:01:00Z'), event('1', 'failback', '2026-01-01T12:02:00Z')];
    expect(awayDurations(events).size).toBe(0);
  });
});

describe('updateMutation', () => {
  const draft = { name: 'to-dc', primary: 'p1', backups: ['p2'], delay: '60', failoverThreshold: '50', failbackThreshold: '80', prefixes: ['10.0.0.0/8'] };

  it('nothing changed: no request', () => {
    expect(updateMutation(base, draft)).toBeNull();
  });

  it('names only the changed fields, each with its variable', () => {
    const m = updateMutation(base, { ...draft, backups: ['p3', 'p2'], delay: '120' })!;
    expect(m.variables).toEqual({ id: '1', backups: ['p3', 'p2'], delay: 120 });
    expect(m.query).toBe('mutation($id: ID!, $backups: [ID!], $delay: Int) { updateFailoverPolicy(policyId: $id, backupPathIds: $backups, failbackDelaySecs: $delay) { policyId } }');
  });

  it('an emptied threshold restores the default (null)', () => {
    expect(updateMutation(base, { ...draft, failbackThreshold: '' })!.variables).toEqual({ id: '1', failback: null });
  });
});
