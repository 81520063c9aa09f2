import { useEffect, useMemo, useState } from 'preact/hooks';
import { Chart } from '../components/Chart';
import { formatMs, formatPct, formatScore, statusLabel, type PathHealth } from '../lib/health';
import { RANGES, appendLive, columns, fromHealth, pointsFromStats, slices, statsQuery, statsVariables, type Point, type Range } from '../lib/history';
import { BFD_FIELDS, addBfdChange, bfdDiagnosticText, bfdStateLabel, chartMarks, type BfdChange, type BfdSession } from '../lib/marks';
import type { FailoverEvent } from '../lib/failover';
import { live, session } from '../state';

const HEALTH_FIELDS = 'pathId status healthScore latencyMs packetLossPct jitterMs lastChecked reason';
const PATH = `query Path($id: ID!, $since: String!) {
  path(id: $id) { id name linkId siteId targets probe thresholds { latencyMs lossPct jitterMs } health { ${HEALTH_FIELDS} } }
  pathHealthHistory(pathId: $id, since: $since) { ${HEALTH_FIELDS} } }`;
const PATH_ONLY = `query Path($id: ID!) { path(id: $id) { id name linkId siteId targets probe thresholds { latencyMs lossPct jitterMs } health { ${HEALTH_FIELDS} } } }`;
const LIVE = `subscription($id: ID) { pathHealthChanged(pathId: $id) { ${HEALTH_FIELDS} } }`;
const SUMMARY = 'query($id: ID!, $period: StatsPeriod) { pathStats(pathId: $id, period: $period) { uptimePct latencyAvgMs latencyMinMs latencyP95Ms packetLossAvgPct jitterAvgMs } }';
const PERIOD: Record<Range, string> = { '1h': 'HOUR', '24h': 'DAY', '7d': 'WEEK', '30d': 'MONTH' };

interface Summary { uptimePct: number | null; latencyAvgMs: number | null; latencyMinMs: number | null; latencyP95Ms: number | null; packetLossAvgPct: number | null; jitterAvgMs: number | null }

const EVENTS = 'query($since: String!) { failoverEvents(since: $since, limit: 500) { eventId policyId eventType fromPathId toPathId reason timestamp } }';

const BFD = `query($id: ID!) { bfdSession(pathId: $id) { ${BFD_FIELDS} } }`;
const BFD_LIVE = `subscription($id: ID) { bfdSessionChanged(pathId: $id) { ${BFD_FIELDS} } }`;

interface PathDetail { id: string; name: string; linkId: string; siteId: string | null; targets: string[]; probe: string; thresholds: { latencyMs: number; lossPct: number; jitterMs: number }; health: PathHealth | null }

export function PathPage({ id }: { id: string }) {
  const [range, setRange] = useState<Range>('1h');
  const [path, setPath] = useState<PathDetail | null | undefined>(undefined);
  const [health, setHealth] = useState<PathHealth | null>(null);
  const [points, setPoints] = useState<Point[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [events, setEvents] = useState<FailoverEvent[]>([]);
  const [summary, setSummary] = useState<Summary | null>(null);
  const [bfd, setBfd] = useState<BfdSession | null>(null);
  const [bfdChanges, setBfdChanges] = useState<readonly BfdChange[]>([]);

  // The BFD session, whatever the range: its state changes are marked on the charts. The server
  // keeps no history of them: the page shows the last change, and every change while it is open.
  useEffect(() => {
    let cancelled = false;
    setBfd(null);
    setBfdChanges([]);
    const seen = (s: BfdSession) => {
      setBfd(s);
      setBfdChanges((old) => addBfdChange(old, s));
    };
    session.graphql<{ bfdSession: BfdSession | null }>(BFD, { id })
      .then((d) => !cancelled && d.bfdSession && seen(d.bfdSession))
      .catch(() => undefined);
    const unsubscribe = live.subscribe<{ bfdSessionChanged: BfdSession }>(BFD_LIVE, { id }, ({ bfdSessionChanged: s }) => seen(s));
    return () => {
      cancelled = true;
      unsubscribe();
    };
  }, [id]);

  useEffect(() => {
    let cancelled = false;
    const now = new Date();
    const seconds = RANGES[range].seconds;
    const load = async () => {
      setLoading(true);
      try {
        if (range === '1h') {
          const since = new Date(now.getTime() - seconds * 1000).toISOString();
          const data = await session.graphql<{ path: PathDetail | null; pathHealthHistory: PathHealth[] }>(PATH, { id, since });
          if (cancelled) return;
          setPath(data.path);
          setHealth(data.path?.health ?? null);
          setPoints(data.pathHealthHistory.map((h) => fromHealth(h, now.getTime() / 1000)));
        } else {
          const parts = slices(range, now);
          const [detail, stats] = await Promise.all([
            session.graphql<{ path: PathDetail | null }>(PATH_ONLY, { id }),
            session.graphql<Record<string, never>>(statsQuery(parts.length), statsVariables(id, parts)),
          ]);
          if (cancelled) return;
          setPath(detail.path);
          setHealth(detail.path?.health ?? null);
          setPoints(pointsFromStats(stats, parts));
        }
        setError(null);
      } catch (err) {
        if (!cancelled) setError((err as Error).message);
      } finally {
        if (!cancelled) setLoading(false);
      }
    };
    void load();
    session.graphql<{ pathStats: Summary | null }>(SUMMARY, { id, period: PERIOD[range] })
      .then((d) => !cancelled && setSummary(d.pathStats))
      .catch(() => undefined);
    // Failovers away from or onto this path, drawn on the charts and listed below them.
    session.graphql<{ failoverEvents: FailoverEvent[] }>(EVENTS, { since: new Date(now.getTime() - seconds * 1000).toISOString() })
      .then((d) => !cancelled && setEvents(d.failoverEvents.filter((e) => e.fromPathId === id || e.toPathId === id)))
      .catch(() => undefined);
    const unsubscribe = live.subscribe<{ pathHealthChanged: PathHealth }>(LIVE, { id }, ({ pathHealthChanged: h }) => {
      setHealth(h);
      // Live points join the 1 h chart at their own resolution; the longer ranges show aggregates and only move their latest value.
      if (range === '1h') setPoints((old) => appendLive(old, fromHealth(h, Date.now() / 1000), seconds));
    });
    return () => {
      cancelled = true;
      unsubscribe();
    };
  }, [id, range]);

  // The axis spans the whole range up to now, moved along as live points arrive.
  const window = useMemo<[number, number]>(() => {
    const end = Math.max(Date.now() / 1000, points[points.length - 1]?.t ?? 0);
    return [end - RANGES[range].seconds, end];
  }, [points, range]);
  const marks = useMemo(() => chartMarks(id, events, bfdChanges), [id, events, bfdChanges]);
  const withTails = range !== '1h';
  const series = useMemo(() => ({
    latency: (withTails
      ? [...columns(points, 'latency'), columns(points, 'latencyMin')[1], columns(points, 'latencyP95')[1], columns(points, 'latencyMax')[1]]
      : columns(points, 'latency')) as [number[], ...(number | null)[][]],
    loss: columns(points, 'loss'),
    jitter: columns(points, 'jitter'),
    score: columns(points, 'score'),
  }), [points]);

  if (error && path === undefined) return <p class="error" role="alert">Could not load the path: {error}</p>;
  if (path === undefined) return <p aria-busy="true">Loading…</p>;
  if (path === null) return <><h1>No such path</h1><p>The path <code>{id}</code> does not exist (any more).</p></>;

  return (
    <>
      <h1>Path {path.name}</h1>
      <dl class="facts" data-path={path.id} data-status={health?.status ?? 'UNKNOWN'}>
        <div><dt>Status</dt><dd><span class={`badge status-${health?.status ?? 'UNKNOWN'}`}>{statusLabel(health?.status)}</span></dd></div>
        <div><dt>Score</dt><dd>{formatScore(health?.healthScore)}{health?.reason && <span class="muted" data-testid="score-reason"> — {health.reason}</span>}</dd></div>
        <div><dt>Latency</dt><dd>{formatMs(health?.latencyMs)} <span class="muted">(≤ {path.thresholds.latencyMs} ms)</span></dd></div>
        <div><dt>Loss</dt><dd>{formatPct(health?.packetLossPct)} <span class="muted">(≤ {path.thresholds.lossPct} %)</span></dd></div>
        <div><dt>Jitter</dt><dd>{formatMs(health?.jitterMs)} <span class="muted">(≤ {path.thresholds.jitterMs} ms)</span></dd></div>
        <div><dt>Probe</dt><dd>{path.probe} → {path.targets.join(', ')}</dd></div>
        {bfd && <div><dt>BFD</dt><dd data-testid="path-bfd" data-state={bfd.state}>{bfdStateLabel(bfd.state)}{bfdDiagnosticText(bfd.localDiagnostic) ? ` (${bfdDiagnosticText(bfd.localDiagnostic)})` : ''}</dd></div>}
      </dl>
      <div class="ranges" role="group" aria-label="Time range">
        {(Object.keys(RANGES) as Range[]).map((r) => (
          <button type="button" key={r} aria-pressed={r === range} onClick={() => setRange(r)}>{RANGES[r].label}</button>
        ))}
      </div>
      <p class="muted">{range === '1h' ? 'History in 10 s buckets, then live points as they arrive.' : `Averages per ${range === '24h' ? '10 minutes' : range === '7d' ? 'hour' : '4 hours'} from the rollups.`}</p>
      {error && <p class="error" role="alert">Could not load the {RANGES[range].label} history: {error}</p>}
      {summary && (
        <p class="summary" data-testid="range-summary">
          Last {RANGES[range].label}: uptime <strong>{formatPct(summary.uptimePct)}</strong>, latency average {formatMs(summary.latencyAvgMs)}
          {' '}(min {formatMs(summary.latencyMinMs)}, p95 {formatMs(summary.latencyP95Ms)}), loss {formatPct(summary.packetLossAvgPct)}, jitter {formatMs(summary.jitterAvgMs)}
        </p>
      )}
      <div class="charts" aria-busy={loading} data-marks={marks.length}>
        <Chart marks={marks} window={window} title="Latency" unit="ms" data={series.latency} color="#2f7de1"
          extra={withTails ? [{ label: 'min', color: '#2f9e44' }, { label: 'p95', color: '#7048e8' }, { label: 'max', color: '#d9480f' }] : []} />
        <Chart marks={marks} window={window} title="Loss" unit="%" data={series.loss} color="#d9480f" />
        <Chart marks={marks} window={window} title="Jitter" unit="ms" data={series.jitter} color="#7048e8" />
        <Chart marks={marks} window={window} title="Score" unit="" data={series.score} color="#2f9e44" />
      </div>
      <p class="muted legend"><span class="key-failover">╌ failover</span> <span class="key-bfd">┈ BFD state change</span></p>
      {bfd && (
        <>
          <h2>BFD state changes</h2>
          <ol class="timeline" data-testid="bfd-changes">
            {bfdChanges.map((c) => (
              <li key={c.at} data-state={c.state}><time dateTime={c.at}>{new Date(c.at).toLocaleString()}</time> {bfdStateLabel(c.state)}{bfdDiagnosticText(c.diagnostic) && <span class="muted"> ({bfdDiagnosticText(c.diagnostic)})</span>}</li>
            ))}
          </ol>
          <p class="muted">The last change, and every change while this page is open (the server keeps no BFD history).</p>
        </>
      )}
      <h2>Failovers of this path, last {RANGES[range].label}</h2>
      {events.length === 0 ? <p>None (dashed lines on the charts mark them when there are).</p> : (
        <ol class="timeline">
          {events.map((e, i) => (
            <li key={e.eventId ?? i}>
              <time dateTime={e.timestamp}>{new Date(e.timestamp).toLocaleString()}</time> {e.eventType}: {e.fromPathId ?? '–'} → {e.toPathId ?? '–'}
              {e.reason && <span class="muted"> ({e.reason})</span>}
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
