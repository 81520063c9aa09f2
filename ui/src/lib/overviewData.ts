import { assignHealth, healthRecord, type PathHealth } from './health';
import { Ring } from './ring';
import { createRowSlicer, type SliceTimers } from './slicer';

/**
 * The overview's live data, outside Preact's state: the latest health and the recent latencies per
 * path, updated in place by each batch. A batch tells only the rows it changed (through the row
 * slicer) and the parts that summarise all paths (counts, map), once: the table of a thousand
 * rows is not rendered again — nor diffed — for a batch that touched a few hundred of them.
 * Each path's health is one object for the page's life and its latencies a typed ring, both
 * updated in place: a live update allocates nothing that outlives it.
 */
export class OverviewData {
  readonly health = new Map<string, PathHealth>();
  private readonly rows = new Map<string, () => void>();
  private readonly batchListeners = new Set<() => void>();
  private readonly slicer;
  private observer: IntersectionObserver | null = null;
  private readonly blocks = new Map<Element, readonly string[]>();

  /**
   * @param sparks recent latencies per path (the caller's map: it may outlive this object)
   * @param sparkPoints how many a sparkline keeps
   * @param sliceBudgetMs the time per frame that off-screen rows may take
   */
  constructor(readonly sparks: Map<string, Ring>, private readonly sparkPoints: number, sliceBudgetMs: number, timers?: SliceTimers) {
    this.slicer = createRowSlicer((id) => this.rows.get(id)?.(), sliceBudgetMs, timers);
  }

  /** Health that came with the topology: kept only for paths without a newer live update. */
  seed(paths: ReadonlyArray<{ id: string; health: PathHealth | null }>): void {
    for (const p of paths) if (p.health && !this.health.has(p.id)) this.health.set(p.id, healthRecord(p.health));
  }

  /** A batch of live updates (the latest per path): the data first, then who shows it. */
  apply(batch: readonly PathHealth[]): void {
    for (const h of batch) {
      const record = this.health.get(h.pathId);
      if (record) assignHealth(record, h);
      else this.health.set(h.pathId, healthRecord(h));
      let spark = this.sparks.get(h.pathId);
      if (!spark) this.sparks.set(h.pathId, (spark = new Ring(this.sparkPoints)));
      spark.push(h.latencyMs);
      // A row not mounted (yet: the table mounts in parts) shows the latest data when it mounts.
      if (this.rows.has(h.pathId)) this.slicer.mark(h.pathId);
    }
    this.batchListeners.forEach((l) => l());
  }

  /** A row's render, called when its path's data changed (in its slice); it renders synchronously (the slicer reads the clock after each row). */
  watchRow(id: string, render: () => void): () => void {
    this.rows.set(id, render);
    return () => {
      if (this.rows.get(id) === render) this.rows.delete(id);
    };
  }

  /** Called once per batch (the parts that summarise every path). */
  onBatch(listener: () => void): () => void {
    this.batchListeners.add(listener);
    return () => this.batchListeners.delete(listener);
  }

  /** A block of rows: while it is on screen (or near), its rows render first. */
  watchBlock(element: Element, ids: readonly string[]): () => void {
    this.observer ??= new IntersectionObserver((entries) => {
      for (const e of entries) this.slicer.show(this.blocks.get(e.target) ?? [], e.isIntersecting);
    }, { rootMargin: '300px 0px' });
    this.blocks.set(element, ids);
    this.observer.observe(element);
    return () => {
      this.observer?.unobserve(element);
      this.blocks.delete(element);
      this.slicer.show(ids, false);
    };
  }

  /** Rows waiting for their render. */
  get pending(): number {
    return this.slicer.pending;
  }

  dispose(): void {
    this.slicer.dispose();
    this.observer?.disconnect();
    this.observer = null;
    this.blocks.clear();
    this.rows.clear();
    this.batchListeners.clear();
  }
}
