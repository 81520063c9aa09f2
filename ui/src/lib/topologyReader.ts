/** A topology as the overview reads it: paths (with the health they had when read), and whatever else. */
export interface TopologyLike { paths: ReadonlyArray<{ id: string; health?: unknown }> }

export interface TopologyHandlers<T> {
  /** Every answer: the health that came with it (for paths without a newer live update). */
  seed(topology: T): void;
  /** The first answer, and each later one whose topology (all but the health) changed. */
  changed(topology: T): void;
  error(err: Error): void;
}

/** The topology without the health it was read with: two reads with equal keys show the same page. */
export function structureKey(topology: unknown): string {
  return JSON.stringify(topology, (key, value) => (key === 'health' ? undefined : value));
}

/**
 * next, with each path that did not change (all but its health) replaced by the previous read's
 * object: the rows of unchanged paths compare equal by reference and do not render again.
 */
export function shareUnchanged<T extends TopologyLike>(previous: T, next: T): T {
  const before = new Map(previous.paths.map((p) => [p.id, p]));
  let shared = 0;
  const paths = next.paths.map((p) => {
    const old = before.get(p.id);
    if (old && structureKey(old) === structureKey(p)) {
      shared++;
      return old;
    }
    return p;
  });
  return shared === 0 ? next : { ...next, paths };
}

/**
 * Reads the overview's topology: once at the start, and again when live updates name a path it
 * does not have (a path was added) — one read at a time. An answer whose topology did not change
 * is not passed on (with a thousand paths, passing it on renders the whole page again: a long
 * task of its own), and one that changed keeps the unchanged paths' objects (see shareUnchanged).
 *
 * Updates that arrive while a read is under way (the subscription starts with the first read)
 * name paths that read is about to return: they start no read of their own. A path its answer
 * does not have either (added after the query ran) starts one with its next update.
 */
export function createTopologyReader<T extends TopologyLike>(read: () => Promise<T>, handlers: TopologyHandlers<T>) {
  let current: T | null = null;
  let key: string | null = null;
  let known = new Set<string>();
  const unknown = new Set<string>();
  let reading = false;
  let disposed = false;

  const load = async (): Promise<void> => {
    reading = true;
    try {
      const next = await read();
      if (disposed) return;
      known = new Set(next.paths.map((p) => p.id));
      handlers.seed(next);
      const nextKey = structureKey(next);
      if (nextKey !== key) {
        key = nextKey;
        current = current ? shareUnchanged(current, next) : next;
        handlers.changed(current);
      }
    } catch (err) {
      if (!disposed) handlers.error(err as Error);
    } finally {
      reading = false;
      unknown.clear();
    }
  };

  return {
    /** The first read (a failed one is tried again by the next update). */
    start(): Promise<void> {
      return load();
    },
    /** The paths of a batch of live updates: one the topology does not have reads it again (unless a read is under way). */
    seen(pathIds: Iterable<string>): Promise<void> | null {
      for (const id of pathIds) if (!known.has(id)) unknown.add(id);
      return unknown.size > 0 && !reading && !disposed ? load() : null;
    },
    get reading(): boolean {
      return reading;
    },
    dispose(): void {
      disposed = true;
    },
  };
}
