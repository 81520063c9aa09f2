import { describe, expect, it } from 'vitest';
import { distinct, filterAudit, type AuditEntry } from '../src/lib/audit';

const entry = (auditId: string, username: string | null, action: string, result: string, target: string | null, detail: string | null = null): AuditEntry =>
  ({ auditId, timestamp: '2026-01-01T12:00:00Z', username, action, target, clientAddress: '127.0.0.1', result, statusCode: 200, detail });

const entries = [
  entry('1', 'admin', 'login', 'success', null),
  entry('2', 'vera', 'login', 'failure', null, 'bad password'),
  entry('3', 'admin', 'POST /api/v1/failover/policies', 'success', 'failover/policies/4'),
  entry('4', null, 'login', 'failure', null, 'unknown user'),
];

describe('filterAudit', () => {
  it.each([
    [{ user: '', action: '', result: '', text: '' }, ['1', '2', '3', '4']],
    [{ user: 'admin', action: '', result: '', text: '' }, ['1', '3']],
    [{ user: '', action: 'login', result: 'failure', text: '' }, ['2', '4']],
    [{ user: '', action: '', result: '', text: 'POLICIES' }, ['3']],
    [{ user: '', action: '', result: '', text: 'password' }, ['2']],
    [{ user: 'vera', action: '', result: 'success', text: '' }, []],
  ])('%j', (filter, ids) => {
    expect(filterAudit(entries, filter).map((e) => e.auditId)).toEqual(ids);
  });
});

describe('distinct', () => {
  it('sorted, without the missing user', () => {
    expect(distinct(entries, 'username')).toEqual(['admin', 'vera']);
    expect(distinct(entries, 'action')).toEqual(['POST /api/v1/failover/policies', 'login']);
  });
});
