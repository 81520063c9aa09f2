import { Component } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Pure, renderNow } from '../components/Pure';
import { createBatcher } from '../lib/batch';
import {
  countByStatus, formatMs, formatPct, formatScore, rowBlocks, sparklinePath, statusLabel, topologyTree,
  type Link, type PathHealth, type PathInfo, type Site, type TableRow,
} from '../lib/health';
import { OverviewData } from '../lib/overviewData';
import { Ring } from '../lib/ring';
import { createMountSlicer } from '../lib/slicer';
import { createTopologyReader } from '../lib/topologyReader';
import { pathUrl } from '../lib/router';
import { mapTunnels, type MapTunnel, type TunnelInfo } from '../lib/topology';
import { live, session } from '../state';
import { TopologyMap } from '../components/TopologyMap';

const HEALTH_FIELDS = 'pathId status healthScore latencyMs packetLossPct jitterMs lastChecked';
const OVERVIEW = `{ sites { id name } links { id siteId name }
  paths { id name linkId siteId remoteSiteId targets health { ${HEALTH_FIELDS} } }
  allFailoverPolicies { policyId name activePathId }
  tunnels { interface peers { name activePathId paths { pathId } } } }`;
/**
 * Live updates reach the page at most this often (in one batch, in an animation frame): with a
 * thousand paths, each layout is paid four times a second instead of sixty, for at most this much
 * more event → screen time (issue 17's bar: 2 s).
 */
const UPDATE_INTERVAL_MS = 250;

/**
 * The server gathers the changes too (the latest per path, one message per interval): a thousand
 * paths were a thousand WebSocket messages a second, each a task, a MessageEvent and its parsed
 * objects in the page — most of what was left of its garbage once the sparklines stopped formatting points.
 */
const LIVE = `subscription { pathHealthBatches(intervalMs: ${UPDATE_INTERVAL_MS}) { ${HEALTH_FIELDS} } }`;

/**
 * Main-thread time per frame for rendering off-screen rows (rows on screen render in the next
 * frame, whatever it costs): a batch of hundreds of changed rows is spread over a few frames
 * instead of being one task of tens of milliseconds (issue 17's bar: no task over 50 ms).
 */
const SLICE_BUDGET_MS = 6;

/** Rows per table block (one block is laid out and painted only while on screen). */
const BLOCK_ROWS = 40;

/**
 * Table blocks mounted with the page (the first fills the screen when it opens); the others
 * follow in tasks of their own, as many per task as fit MOUNT_BUDGET_MS (issue 17's bar: no task
 * over 50 ms — mounting a thousand rows at once was one task of 75–100 ms of CPU).
 */
const INITIAL_BLOCKS = 1;
const MOUNT_BUDGET_MS = 24;

/** Points kept per sparkline: the last two minutes at the monitor's one update a second. */
const SPARK_POINTS = 120;

/** The sparklines outlive the page (module scope): coming back from a path page keeps the last minutes. */
const sparkCache = new Map<string, Ring>();

type TopologyPath = PathInfo & { targets: string[]; health: PathHealth | null };
interface Topology { sites: Site[]; links: Link[]; paths: TopologyPath[]; allFailoverPolicies: Array<{ policyId: string; name: string; activePathId: string }>; tunnels: TunnelInfo[] }

export function Overview() {
  const [topology, setTopology] = useState<Topology | null>(null);
  const [error, setError] = useState<string | null>(null);
  const data = useMemo(() => new OverviewData(sparkCache, SPARK_POINTS, SLICE_BUDGET_MS), []);
  const [shownBlocks, setShownBlocks] = useState(INITIAL_BLOCKS);
  const mount = useMemo(() => createMountSlicer((n) => renderNow(() => setShownBlocks(n)), MOUNT_BUDGET_MS, INITIAL_BLOCKS), []);
  useEffect(() => {
    const reader = createTopologyReader(() => session.graphql<Topology>(OVERVIEW), {
      seed: (t) => data.seed(t.paths),
      changed: (t) => {
        setTopology(t);
        setError(null);
      },
      error: (err) => setError(err.message),
    });
    void reader.start();
    const batcher = createBatcher<PathHealth>((batch) => {
      data.apply(batch);
      // A path this page has not seen: the topology changed, read it again.
      void reader.seen(batch.map((h) => h.pathId));
    }, UPDATE_INTERVAL_MS);
    const unsubscribe = live.subscribe<{ pathHealthBatches: PathHealth[] }>(LIVE, {}, ({ pathHealthBatches: list }) => {
      for (const h of list) batcher.push(h.pathId, h);
    });
    return () => {
      unsubscribe();
      batcher.dispose();
      reader.dispose();
      mount.dispose();
      data.dispose();
    };
  }, []);

  // Computed once per topology, not once per batch of updates. This component renders again only
  // when the topology changes and while its blocks mount: live updates go to the rows they
  // changed and to the summaries.
  const tree = useMemo(() => {
    let first = 0;
    return (topology ? topologyTree(topology.sites, topology.links, topology.paths) : []).map((row) => {
      const blocks = rowBlocks(row.links, BLOCK_ROWS);
      first += blocks.length;
      // first: the index of the site's first block among all sites' blocks (they mount in that order).
      return { ...row, blocks, first: first - blocks.length };
    });
  }, [topology]);
  const activeIn = useMemo(() => {
    const m = new Map<string, string>();
    for (const p of topology?.allFailoverPolicies ?? []) m.set(p.activePathId, m.has(p.activePathId) ? `${m.get(p.activePathId)}, ${p.name}` : p.name);
    return m;
  }, [topology]);
  const tunnels = useMemo(() => mapTunnels(topology?.tunnels ?? []), [topology]);
  const totalBlocks = tree.reduce((n, row) => n + row.blocks.length, 0);
  useEffect(() => mount.setTotal(totalBlocks), [totalBlocks]);

  if (error && !topology) return <p class="error" role="alert">Could not load the overview: {error}</p>;
  if (!topology) return <p aria-busy="true">Loading…</p>;

  return (
    <>
      <h1>Overview</h1>
      <Counts data={data} paths={topology.paths} />
      <LiveTopologyMap data={data} sites={topology.sites} paths={topology.paths} tunnels={tunnels} />
      {tree.map(({ site, blocks, first }) => (first < shownBlocks || shownBlocks >= totalBlocks) && (
        <section class="site" key={site.id} aria-labelledby={`site-${site.id}`}>
          <h2 id={`site-${site.id}`}>{site.name}</h2>
          {blocks.slice(0, Math.max(0, shownBlocks - first)).map((rows, b) => <Block key={b} data={data} site={site} index={b} rows={rows} activeIn={activeIn} />)}
        </section>
      ))}
    </>
  );
}

/** Renders again after every batch of live updates. */
function useBatches(data: OverviewData): void {
  const [, setVersion] = useState(0);
  useEffect(() => data.onBatch(() => setVersion((v) => v + 1)), [data]);
}

function Counts({ data, paths }: { data: OverviewData; paths: readonly PathInfo[] }) {
  useBatches(data);
  const counts = countByStatus(paths, data.health);
  return (
    <ul class="counts" aria-label="Paths by status">
      <li class="status-UP"><strong data-testid="count-up">{counts.UP}</strong> Up</li>
      <li class="status-DEGRADED"><strong data-testid="count-degraded">{counts.DEGRADED}</strong> Degraded</li>
      <li class="status-DOWN"><strong data-testid="count-down">{counts.DOWN}</strong> Down</li>
      {counts.UNKNOWN > 0 && <li><strong>{counts.UNKNOWN}</strong> not probed yet</li>}
    </ul>
  );
}

function LiveTopologyMap({ data, sites, paths, tunnels }: { data: OverviewData; sites: Site[]; paths: TopologyPath[]; tunnels: MapTunnel[] }) {
  useBatches(data);
  return <TopologyMap sites={sites} paths={paths} health={data.health} tunnels={tunnels} />;
}

interface BlockProps { data: OverviewData; site: Site; index: number; rows: TableRow[]; activeIn: Map<string, string> }

/** Up to BLOCK_ROWS rows in their own table: skipped by layout and paint off screen, and its rows render first while on screen. */
class Block extends Pure<BlockProps> {
  private unwatch: (() => void) | null = null;

  componentDidMount() {
    this.unwatch = this.props.data.watchBlock(this.base as Element, this.props.rows.map((r) => r.path.id));
  }

  componentDidUpdate(previous: BlockProps) {
    if (previous.rows === this.props.rows && previous.data === this.props.data) return;
    this.unwatch?.();
    this.unwatch = this.props.data.watchBlock(this.base as Element, this.props.rows.map((r) => r.path.id));
  }

  componentWillUnmount() {
    this.unwatch?.();
  }

  render({ data, site, index: b, rows, activeIn }: BlockProps) {
    return (
      <div class="block">
        <table class="paths">
          <caption class="visually-hidden">Paths of {site.name}{b > 0 ? `, continued (${b * BLOCK_ROWS + 1}–${b * BLOCK_ROWS + rows.length})` : ''}</caption>
          <thead class={b > 0 ? 'visually-hidden' : undefined}>
            <tr>
              <th scope="col">Link</th><th scope="col">Path</th><th scope="col">Status</th><th scope="col" class="num">Score</th>
              <th scope="col" class="num">Latency</th><th scope="col" class="num">Loss</th><th scope="col" class="num">Jitter</th>
              <th scope="col">Latency, last 2 min</th><th scope="col">Active for</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ path: p, link, span }) => (
              <PathRow key={p.id} data={data} path={p} linkName={span === null ? null : link.name} span={span ?? 1} activeFor={activeIn.get(p.id)} />
            ))}
          </tbody>
        </table>
      </div>
    );
  }
}

/** What a row's cells show (set by its render, kept up to date by its live updates). */
interface Shown { status: string; checked: string | null; score: number | undefined; latency: number | undefined; loss: number | undefined; jitter: number | undefined }

/** The sparkline of a path without latencies yet. */
const NO_VALUES = new Ring(1);

interface RowProps { data: OverviewData; path: PathInfo; linkName: string | null; span: number; activeFor: string | undefined }

/**
 * One path's row. A live update of its path (told by OverviewData, in its slice) sets the cells'
 * text and the row's attributes in place, without virtual nodes: with a thousand rows updated
 * every second, each render's virtual nodes lived until the row's next render a second later and
 * were most of what survived the young-generation GCs. It renders (Preact) when its props change,
 * and when its sparkline's first points need the SVG.
 */
class PathRow extends Component<RowProps> {
  private unwatch: (() => void) | null = null;
  private row: HTMLTableRowElement | null = null;
  private badge: HTMLSpanElement | null = null;
  private spark: Sparkline | null = null;
  private readonly cells: Array<HTMLTableCellElement | null> = [null, null, null, null];
  /** Whether the last render drew the sparkline (two points or more) or its placeholder. */
  private drawn = false;
  /** The values the row's DOM shows now (fields copied: the health record is updated in place). */
  private shown: Shown = { status: 'UNKNOWN', checked: null, score: undefined, latency: undefined, loss: undefined, jitter: undefined };
  private readonly setRow = (e: HTMLTableRowElement | null) => { this.row = e; };
  private readonly setBadge = (e: HTMLSpanElement | null) => { this.badge = e; };
  private readonly setSpark = (s: Sparkline | null) => { this.spark = s; };
  private readonly setCell = [0, 1, 2, 3].map((i) => (e: HTMLTableCellElement | null) => { this.cells[i] = e; });
  private readonly live = () => this.update();

  componentDidMount() {
    this.unwatch = this.props.data.watchRow(this.props.path.id, this.live);
    this.write(true);
  }

  shouldComponentUpdate(next: RowProps): boolean {
    const p = this.props;
    return p.data !== next.data || p.path !== next.path || p.linkName !== next.linkName || p.span !== next.span || p.activeFor !== next.activeFor;
  }

  componentDidUpdate(previous: RowProps) {
    // A render left alone what its virtual nodes had not changed since the last render, though
    // live updates may have set it in place since: all of it again, so the DOM is what `shown` says.
    this.write(true);
    if (previous.data === this.props.data && previous.path.id === this.props.path.id) return;
    this.unwatch?.();
    this.unwatch = this.props.data.watchRow(this.props.path.id, this.live);
  }

  componentWillUnmount() {
    this.unwatch?.();
  }

  /**
   * The path's live data changed: the same DOM a render would give, set in place — and only what
   * changed (a cell's text is formatted when its value moved: the strings are garbage too).
   */
  private update() {
    const values = this.props.data.sparks.get(this.props.path.id);
    if (!this.row || !this.badge || (values?.length ?? 0) >= 2 !== this.drawn) {
      renderNow(() => this.forceUpdate());
      return;
    }
    this.write(false);
    this.spark?.draw();
  }

  /** Sets the row's attributes and cells to its path's data: what changed since `shown`, or all of it. */
  private write(all: boolean) {
    if (!this.row || !this.badge) return;
    const h = this.props.data.health.get(this.props.path.id);
    const s = this.shown;
    const status = h?.status ?? 'UNKNOWN';
    if (all || status !== s.status) {
      s.status = status;
      this.row.setAttribute('data-status', status);
      this.badge.className = `badge status-${status}`;
      setText(this.badge, statusLabel(h?.status));
    }
    const checked = h?.lastChecked ?? null;
    if (all || checked !== s.checked) {
      s.checked = checked;
      if (checked) this.row.setAttribute('data-checked', checked);
      else this.row.removeAttribute('data-checked');
    }
    if (all || !Object.is(h?.healthScore, s.score)) setText(this.cells[0], formatScore((s.score = h?.healthScore)));
    if (all || !Object.is(h?.latencyMs, s.latency)) setText(this.cells[1], formatMs((s.latency = h?.latencyMs)));
    if (all || !Object.is(h?.packetLossPct, s.loss)) setText(this.cells[2], formatPct((s.loss = h?.packetLossPct)));
    if (all || !Object.is(h?.jitterMs, s.jitter)) setText(this.cells[3], formatMs((s.jitter = h?.jitterMs)));
  }

  render({ data, path: p, linkName, span, activeFor }: RowProps) {
    const h = data.health.get(p.id);
    const values = data.sparks.get(p.id) ?? NO_VALUES;
    this.drawn = values.length >= 2;
    return (
      <tr ref={this.setRow} data-path={p.id} data-status={h?.status ?? 'UNKNOWN'} data-checked={h?.lastChecked ?? undefined}>
        {linkName !== null && <th scope="rowgroup" rowSpan={span}>{linkName}</th>}
        <td><a href={pathUrl(p.id)}>{p.name}</a></td>
        <td><span ref={this.setBadge} class={`badge status-${h?.status ?? 'UNKNOWN'}`}>{statusLabel(h?.status)}</span></td>
        <td ref={this.setCell[0]} class="num">{formatScore(h?.healthScore)}</td>
        <td ref={this.setCell[1]} class="num">{formatMs(h?.latencyMs)}</td>
        <td ref={this.setCell[2]} class="num">{formatPct(h?.packetLossPct)}</td>
        <td ref={this.setCell[3]} class="num">{formatMs(h?.jitterMs)}</td>
        <td><Sparkline ref={this.setSpark} values={values} label={`latency trend of ${p.name}`} /></td>
        <td>{activeFor ?? ''}</td>
      </tr>
    );
  }
}

/**
 * An element's text set in place: its text node (the one Preact rendered, which it keeps and
 * diffs later) gets the new text, so that a later render finds its own node.
 */
function setText(element: Element | null, text: string): void {
  const node = element?.firstChild;
  if (node instanceof Text) {
    if (node.data !== text) node.data = text;
  } else if (element) {
    element.textContent = text;
  }
}

/** One scratch array for every sparkline's path (they are drawn one at a time). */
const sparkScratch: string[] = [];

/**
 * A row's latency trend: an SVG path drawn from the ring in place, not through the virtual DOM.
 * Its `d` is one string per update built from number strings made once (lib/health.ts,
 * sparklinePath): as a `<polyline>` whose points were formatted per update, each update of each
 * row made ~360 strings and a 1.3 KB points string, and Chromium parsed the points into 120
 * garbage-collected SVGPoint objects — with a thousand rows, 14–18 MB of garbage a second, nearly
 * all of the page's (ui/bench, sampling heap profiler). A path's `d` is parsed into one byte
 * stream. (A canvas per row made no garbage at all while drawing, but a thousand canvases cost
 * V8 collections of 100–200 ms of CPU when a table of them went away, on navigation.)
 */
class Sparkline extends Component<{ values: Ring; label: string }> {
  private line: SVGPathElement | null = null;
  private readonly setLine = (element: SVGPathElement | null) => {
    this.line = element;
  };

  componentDidMount() {
    this.draw();
  }

  componentDidUpdate() {
    this.draw();
  }

  /** Draws the current values (the row calls it after a live update: the ring changed in place). */
  draw() {
    this.line?.setAttribute('d', sparklinePath(this.props.values, 120, 24, sparkScratch));
  }

  render({ values, label }: { values: Ring; label: string }) {
    if (values.length < 2) return <span class="muted">–</span>;
    return (
      <svg class="spark" width="120" height="24" viewBox="-1 -1 122 26" role="img" aria-label={label}>
        <path ref={this.setLine} fill="none" stroke="currentColor" stroke-width="1.5" />
      </svg>
    );
  }
}
