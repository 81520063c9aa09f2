import { describe, expect, it } from 'vitest';
import { createTopologyReader, shareUnchanged, structureKey } from '../src/lib/topologyReader';

interface P { id: string; name: string; health: { status: string } | null }
interface T { sites: string[]; paths: P[] }

const path = (id: string, status = 'UP', name = `Path ${id}`): P => ({ id, name, health: { status } });

/** A reader over answers the test releases one by one, recording what the page was told. */
function setup() {
  const answers: Array<{ resolve: (t: T) => void; reject: (e: Error) => void }> = [];
  const told = { seeds: [] as T[], changes: [] as T[], errors: [] as string[] };
  const reader = createTopologyReader<T>(() => new Promise((resolve, reject) => answers.push({ resolve, reject })), {
    seed: (t) => told.seeds.push(t),
    changed: (t) => told.changes.push(t),
    error: (e) => told.errors.push(e.message),
  });
  return { reader, answers, told };
}

describe('structureKey', () => {
  it('leaves the health out: reads that differ only in health are equal', () => {
    expect(structureKey({ sites: ['a'], paths: [path('p1', 'UP')] })).toBe(structureKey({ sites: ['a'], paths: [path('p1', 'DOWN')] }));
    expect(structureKey({ sites: ['a'], paths: [path('p1')] })).not.toBe(structureKey({ sites: ['a'], paths: [path('p1', 'UP', 'renamed')] }));
  });
});

describe('shareUnchanged', () => {
  it('keeps the previous object of each unchanged path, takes the changed and new ones', () => {
    const before: T = { sites: [], paths: [path('p1'), path('p2')] };
    const next: T = { sites: [], paths: [path('p1', 'DOWN'), path('p2', 'UP', 'renamed'), path('p3')] };
    const shared = shareUnchanged(before, next);
    expect(shared.paths[0]).toBe(before.paths[0]);
    expect(shared.paths[1]).toBe(next.paths[1]);
    expect(shared.paths[2]).toBe(next.paths[2]);
  });
});

describe('createTopologyReader', () => {
  it('reads once while the updates that arrive during the first read name its paths', async () => {
    const { reader, answers, told } = setup();
    const first = reader.start();
    // The subscription's first batches come before the first answer: every path is unknown yet.
    expect(reader.seen(['p1', 'p2'])).toBeNull();
    expect(reader.seen(['p1'])).toBeNull();
    answers[0].resolve({ sites: [], paths: [path('p1'), path('p2')] });
    await first;
    expect(told.changes).toHaveLength(1);
    // Updates of known paths afterwards: no read either.
    expect(reader.seen(['p1', 'p2'])).toBeNull();
    expect(answers).toHaveLength(1);
  });

  it('reads again for a path it does not have; an unchanged answer is not passed on, only its health', async () => {
    const { reader, answers, told } = setup();
    const first = reader.start();
    answers[0].resolve({ sites: [], paths: [path('p1')] });
    await first;
    // p9 is not in the topology (a path that is being deleted, say): read again, the same topology comes back.
    const second = reader.seen(['p9']);
    expect(second).not.toBeNull();
    expect(reader.seen(['p9'])).toBeNull(); // one read at a time
    answers[1].resolve({ sites: [], paths: [path('p1', 'DOWN')] });
    await second;
    expect(answers).toHaveLength(2);
    expect(told.changes).toHaveLength(1);
    expect(told.seeds.map((t) => t.paths[0].health?.status)).toEqual(['UP', 'DOWN']);
  });

  it('passes a changed topology on with the unchanged paths as they were', async () => {
    const { reader, answers, told } = setup();
    const first = reader.start();
    answers[0].resolve({ sites: [], paths: [path('p1')] });
    await first;
    const second = reader.seen(['p2'])!;
    answers[1].resolve({ sites: [], paths: [path('p1'), path('p2')] });
    await second;
    expect(told.changes).toHaveLength(2);
    expect(told.changes[1].paths.map((p) => p.id)).toEqual(['p1', 'p2']);
    expect(told.changes[1].paths[0]).toBe(told.changes[0].paths[0]);
  });

  it('a path added after the query ran: the next update that names it reads again', async () => {
    const { reader, answers } = setup();
    const first = reader.start();
    reader.seen(['p1', 'p2']); // p2 was added after the query ran
    answers[0].resolve({ sites: [], paths: [path('p1')] });
    await first;
    expect(reader.seen(['p2'])).not.toBeNull();
    expect(answers).toHaveLength(2);
  });

  it('a failed read is told and tried again by the next update', async () => {
    const { reader, answers, told } = setup();
    const first = reader.start();
    answers[0].reject(new Error('HTTP 502'));
    await first;
    expect(told.errors).toEqual(['HTTP 502']);
    expect(reader.seen(['p1'])).not.toBeNull();
  });

  it('tells nothing after dispose', async () => {
    const { reader, answers, told } = setup();
    const first = reader.start();
    reader.dispose();
    answers[0].resolve({ sites: [], paths: [path('p1')] });
    await first;
    expect(told.seeds).toHaveLength(0);
    expect(told.changes).toHaveLength(0);
    expect(reader.seen(['p2'])).toBeNull();
  });
});
