import { describe, expect, it } from 'vitest';
import { bundleOf, layoutTopology, mapTunnels } from '../src/lib/topology';

const path = (id: string, siteId: string, remoteSiteId: string | null, targets = ['10.0.0.1']) => ({ id, siteId, remoteSiteId, targets });

describe('layoutTopology', () => {
  it('puts sites left and far ends right, and spreads parallel paths symmetrically', () => {
    const { nodes, edges, height } = layoutTopology(
      [{ id: 'demo', name: 'Demo' }],
      [path('p1', 'demo', null, ['127.0.0.1:8620']), path('p2', 'demo', null, ['127.0.0.1:8620'])],
      400, 60);
    expect(nodes).toEqual([
      { id: 'site:demo', label: 'Demo', x: 0, y: 30, kind: 'site' },
      { id: 'target:127.0.0.1:8620', label: '127.0.0.1:8620', x: 400, y: 30, kind: 'remote' },
    ]);
    expect(edges.map((e) => [e.pathId, e.bend])).toEqual([['p1', -0.5], ['p2', 0.5]]);
    expect(height).toBe(60);
  });

  it('joins two sites through their paths and keeps a site without paths on the map', () => {
    const { nodes, edges } = layoutTopology(
      [{ id: 'a', name: 'A' }, { id: 'b', name: 'B' }, { id: 'c', name: 'C' }],
      [path('ab', 'a', 'b')],
      300, 50);
    expect(nodes.filter((n) => n.x === 0).map((n) => n.id)).toEqual(['site:a', 'site:c']);
    expect(nodes.filter((n) => n.x === 300).map((n) => n.label)).toEqual(['B']);
    expect(edges).toEqual([{ pathId: 'ab', from: 'site:a', to: 'site:b', bend: 0 }]);
  });
});

describe('layoutTopology bundles', () => {
  it('more than maxParallel paths between one pair are one edge listing them all; fewer stay apart', () => {
    const many = Array.from({ length: 9 }, (_, i) => path(`m${i}`, 'demo', 'dc'));
    const { edges } = layoutTopology([{ id: 'demo', name: 'Demo' }, { id: 'dc', name: 'DC' }], [...many, path('x', 'demo', 'br')], 400, 60, 8);
    expect(edges).toEqual([
      { pathId: 'm0', from: 'site:demo', to: 'site:dc', bend: 0, pathIds: many.map((p) => p.id) },
      { pathId: 'x', from: 'site:demo', to: 'site:br', bend: 0 },
    ]);
  });
});

describe('bundleOf', () => {
  it('takes the worst status, leads to that path, and counts each status', () => {
    const h = (pathId: string, status: 'UP' | 'DEGRADED' | 'DOWN') => [pathId, { pathId, status, healthScore: 0, latencyMs: 0, packetLossPct: 0, jitterMs: 0, lastChecked: null }] as const;
    const health = new Map([h('a', 'UP'), h('b', 'DEGRADED'), h('c', 'UP')]);
    expect(bundleOf(['a', 'b', 'c', 'd'], health)).toEqual({ status: 'DEGRADED', worst: 'b', label: '4 paths (2 Up, 1 Degraded, 1 not probed yet); worst' });
    expect(bundleOf(['a', 'c'], health)).toEqual({ status: 'UP', worst: 'a', label: '2 paths (2 Up); worst' });
  });
});

describe('tunnels on the map', () => {
  const tunnels = [{
    interface: 'wg0',
    peers: [
      { name: 'hq', activePathId: 'p2', paths: [{ pathId: 'p1' }, { pathId: 'p2' }] },
      { name: 'branch', activePathId: null, paths: [{ pathId: 'p1' }] },
      { name: 'plain', activePathId: null, paths: [] },
    ],
  }];

  it('one map tunnel per peer, over its active path, else its first configured path', () => {
    expect(mapTunnels(tunnels)).toEqual([
      { id: 'wg0/hq', label: 'tunnel wg0 to hq', pathId: 'p2' },
      { id: 'wg0/branch', label: 'tunnel wg0 to branch', pathId: 'p1' },
      { id: 'wg0/plain', label: 'tunnel wg0 to plain', pathId: null },
    ]);
  });

  it('draws each peer as a node on the right, joined to the site of its path', () => {
    const { nodes, edges } = layoutTopology(
      [{ id: 'a', name: 'A' }, { id: 'b', name: 'B' }],
      [path('p1', 'a', null), path('p2', 'b', null)],
      400, 60, 8, mapTunnels(tunnels));
    expect(nodes.filter((n) => n.kind === 'peer').map((n) => [n.id, n.label, n.x])).toEqual([
      ['peer:wg0/hq', 'hq', 400], ['peer:wg0/branch', 'branch', 400], ['peer:wg0/plain', 'plain', 400],
    ]);
    expect(edges.filter((e) => e.tunnel).map((e) => [e.from, e.to, e.pathId])).toEqual([
      ['site:b', 'peer:wg0/hq', 'p2'],
      ['site:a', 'peer:wg0/branch', 'p1'],
      ['site:?', 'peer:wg0/plain', ''], // over no known path: drawn from the unknown site, uncoloured
    ]);
    expect(nodes.filter((n) => n.x === 0).map((n) => n.id)).toEqual(['site:a', 'site:b', 'site:?']);
  });
});
