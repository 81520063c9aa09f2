import { describe, expect, it } from 'vitest';
import { nextPage, parseRoute, pathUrl } from '../src/lib/router';

describe('parseRoute', () => {
  it.each([
    ['/', { page: 'overview' }],
    ['/paths/demo-wan1', { page: 'path', id: 'demo-wan1' }],
    ['/paths/a%2Fb', { page: 'path', id: 'a/b' }],
    ['/failover', { page: 'failover' }],
    ['/bfd', { page: 'bfd' }],
    ['/traffic', { page: 'traffic' }],
    ['/users', { page: 'users' }],
    ['/audit', { page: 'audit' }],
    ['/audit/x', { page: 'notfound' }],
    ['/login', { page: 'login' }],
    ['/setup', { page: 'setup' }],
    ['/paths', { page: 'notfound' }],
    ['/nope/x', { page: 'notfound' }],
  ])('%s', (path, route) => {
    expect(parseRoute(path)).toEqual(route);
  });

  it('round-trips a path id through its URL', () => {
    expect(parseRoute(pathUrl('b7 lte/dc'))).toEqual({ page: 'path', id: 'b7 lte/dc' });
  });
});

describe('nextPage', () => {
  it.each([
    ['?next=%2Ffailover', '/failover'],
    ['', '/'],
    ['?next=https%3A%2F%2Fevil.example', '/'],
    ['?next=%2F%2Fevil.example', '/'],
    ['?next=%2F%5Cevil.example', '/'],
  ])('%s → %s (same origin only)', (search, page) => {
    expect(nextPage(search)).toBe(page);
  });
});
