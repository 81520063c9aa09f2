// The renderer's main thread in a Chromium trace (the benchmarks' reading of it).
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';

export const pct = (values, p) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

/**
 * A script position as the source it came from ("src/pages/Overview.tsx:120"), when the build has
 * source maps (vite build --sourcemap) in uiRoot/assets; else the bundle's file:line:column.
 */
export function sourceNames(uiRoot) {
  const maps = new Map();
  return (url, line, column) => {
    const file = url.split('/').pop();
    if (uiRoot && !maps.has(file)) {
      let map = null;
      try {
        map = new SourceMap(JSON.parse(readFileSync(join(uiRoot, 'assets', `${file}.map`), 'utf8')));
      } catch {
        // no map: the bundle's position
      }
      maps.set(file, map);
    }
    const entry = maps.get(file)?.findEntry(line, column);
    return entry?.originalSource ? `${entry.originalSource.replace(/^.*?\/(src|node_modules)\//, '$1/')}:${entry.originalLine + 1}` : `${file}:${line + 1}:${column + 1}`;
  };
}

/**
 * The renderer's main thread in a Chromium trace: its tasks (wall time dur, thread CPU time
 * tdur), what each is, and the JS functions that ran in it by self time (V8's sampling profiler
 * in the trace: sample count × the sampling interval, so a descheduled span adds nothing).
 * syncNow: the performance.now() of the 'patronus-bench-sync' mark, to place the page's times;
 * tasks count from that mark for seconds (not the tracing's own start, nor the benchmark's reading
 * of its results afterwards).
 */
export function analyseTrace(events, syncNow, seconds = Infinity, where = sourceNames()) {
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain' && events.some((t) => t.pid === e.pid && t.tid === e.tid && t.name === 'FireAnimationFrame'));
  const onMain = events.filter((e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && typeof e.dur === 'number').sort((a, b) => a.ts - b.ts);
  const isTask = (e) => e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask';
  // The trace's clock: the sync mark (user timing, or console.timeStamp) at syncNow.
  const mark = events.find((e) => e.name === 'patronus-bench-sync' && e.ph !== 'e') ?? events.find((e) => e.name === 'TimeStamp' && e.args?.data?.message === 'patronus-bench-sync');
  const offset = mark ? mark.ts - syncNow * 1000 : null;
  const windowStart = mark ? mark.ts : -Infinity;
  const tasks = onMain.filter((e) => isTask(e) && e.ts >= windowStart && e.ts < windowStart + seconds * 1e6);
  const cpu = (e) => (e.tdur ?? e.dur) / 1000;
  const wall = (e) => e.dur / 1000;
  const firstAt = (ts) => {
    let lo = 0;
    let hi = onMain.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (onMain[mid].ts < ts) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const inside = (t) => {
    const out = [];
    for (let k = firstAt(t.ts); k < onMain.length && onMain[k].ts <= t.ts + t.dur; k++) if (onMain[k] !== t && onMain[k].ts + onMain[k].dur <= t.ts + t.dur) out.push(onMain[k]);
    return out;
  };
  const frames = tasks.filter((t) => inside(t).some((e) => e.name === 'FireAnimationFrame' || e.name === 'UpdateLayoutTree' || e.name === 'Layout'));
  const kindOf = (t) => {
    const e = inside(t).find((x) => !isTask(x));
    if (!e) return '(none)';
    return e.name === 'EventDispatch' || e.name === 'FunctionCall' ? `${e.name} ${e.args?.data?.type ?? e.args?.data?.functionName ?? ''}`.trim() : e.name;
  };

  // V8's samples on the main thread: 'Profile' (thread, start) and 'ProfileChunk's (nodes, samples, deltas) by id.
  const profiles = new Map();
  for (const e of events) if (e.name === 'Profile' && main && e.pid === main.pid) profiles.set(e.id, { tid: e.tid, t: e.args?.data?.startTime ?? e.ts, nodes: new Map(), samples: [] });
  for (const e of events.filter((x) => x.name === 'ProfileChunk' && profiles.has(x.id)).sort((a, b) => a.ts - b.ts)) {
    const p = profiles.get(e.id);
    const d = e.args?.data ?? {};
    for (const n of d.cpuProfile?.nodes ?? []) p.nodes.set(n.id, n.callFrame);
    const ids = d.cpuProfile?.samples ?? [];
    ids.forEach((id, i) => {
      p.t += d.timeDeltas?.[i] ?? 0;
      p.samples.push({ t: p.t, id });
    });
  }
  const profile = [...profiles.values()].find((p) => p.tid === main?.tid) ?? [...profiles.values()].sort((a, b) => b.samples.length - a.samples.length)[0];
  const deltas = profile ? profile.samples.slice(1).map((x, i) => x.t - profile.samples[i].t).filter((d) => d > 0) : [];
  const interval = deltas.length ? pct(deltas, 50) : 0; // µs
  const jsSelf = (t) => {
    if (!profile || !interval) return '';
    const self = new Map();
    let lo = 0;
    let hi = profile.samples.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (profile.samples[mid].t < t.ts) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < profile.samples.length && profile.samples[k].t <= t.ts + t.dur; k++) {
      const f = profile.nodes.get(profile.samples[k].id);
      if (!f || f.functionName === '(idle)' || f.functionName === '(root)') continue;
      const key = f.url ? `${f.functionName || '(anonymous)'} ${where(f.url, f.lineNumber, f.columnNumber)}` : f.functionName === '(program)' ? '(native: style, layout, paint …)' : f.functionName || '(native)';
      self.set(key, (self.get(key) ?? 0) + interval / 1000);
    }
    const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 5);
    return top.length ? `; self time: ${top.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}` : '';
  };

  // V8's collections on the main thread in the window: the devtools timeline's MinorGC / MajorGC
  // (complete events, or begin/end pairs), each with the JS heap used before and after.
  const gcs = [];
  const open = new Map();
  for (const e of events) {
    if (!main || e.pid !== main.pid || e.tid !== main.tid || (e.name !== 'MinorGC' && e.name !== 'MajorGC')) continue;
    if (e.ph === 'X') gcs.push({ name: e.name, ts: e.ts, dur: e.dur, tdur: e.tdur ?? e.dur, type: e.args?.type, before: e.args?.usedHeapSizeBefore, after: e.args?.usedHeapSizeAfter });
    else if (e.ph === 'B') open.set(e.name, e);
    else if (e.ph === 'E' && open.has(e.name)) {
      const b = open.get(e.name);
      open.delete(e.name);
      gcs.push({ name: e.name, ts: b.ts, dur: e.ts - b.ts, tdur: b.tts !== undefined && e.tts !== undefined ? e.tts - b.tts : e.ts - b.ts, type: b.args?.type ?? e.args?.type, before: b.args?.usedHeapSizeBefore ?? e.args?.usedHeapSizeBefore, after: e.args?.usedHeapSizeAfter ?? b.args?.usedHeapSizeAfter });
    }
  }
  gcs.sort((a, b) => a.ts - b.ts);
  const inWindow = (e) => e.ts >= windowStart && e.ts < windowStart + seconds * 1e6;

  return {
    tasks, frames, cpu, wall,
    /**
     * The window's GCs by kind (count, CPU ms total and max, wall ms max) and what they tell of
     * the page's garbage: bytes allocated (the JS heap before each GC minus after the one before
     * it, summed) and bytes that outlived a minor GC (the heap's growth across each minor GC
     * from the last GC's after). Independent of the machine's load: bytes, and counts per bytes.
     */
    gc() {
      const list = gcs.filter(inWindow);
      const kinds = {};
      for (const g of list) {
        const k = (kinds[g.name] ??= { n: 0, cpu: 0, maxCpu: 0, maxWall: 0 });
        k.n++;
        k.cpu += g.tdur / 1000;
        k.maxCpu = Math.max(k.maxCpu, g.tdur / 1000);
        k.maxWall = Math.max(k.maxWall, g.dur / 1000);
      }
      let allocated = 0;
      let survived = 0;
      let spans = 0;
      for (let i = gcs.indexOf(list[0]) + 1; list.length && i < gcs.length && inWindow(gcs[i]); i++) {
        const prev = gcs[i - 1];
        const g = gcs[i];
        if (![prev.after, g.before, g.after].every(Number.isFinite)) continue;
        allocated += Math.max(0, g.before - prev.after);
        spans += (g.ts - prev.ts) / 1e6;
        if (g.name === 'MinorGC') survived += Math.max(0, g.after - prev.after);
      }
      // Why each major GC started (V8's reason, and the heaps it compared: "global" is V8's
      // old generation plus Blink's garbage-collected heap, Oilpan, which V8 collects with it).
      const starts = events.filter((e) => e.name === 'V8.GCIncrementalMarkingStart' && main && e.pid === main.pid && inWindow(e)).map((e) => e.args?.value ?? {});
      // The longest GC's own phases (V8's sub-events inside it) by CPU ms: marking, the weak
      // handles of dead DOM wrappers, Blink's epilogue …
      const longest = list.reduce((a, g) => (!a || g.tdur > a.tdur ? g : a), null);
      let phases = [];
      if (longest) {
        const m = new Map();
        for (let k = firstAt(longest.ts); k < onMain.length && onMain[k].ts <= longest.ts + longest.dur; k++) {
          const e = onMain[k];
          if (e.name.startsWith('V8.GC_') && e.ts + e.dur <= longest.ts + longest.dur && !['V8.GC_MARK_COMPACTOR', 'V8.GC_SCAVENGER'].includes(e.name)) m.set(e.name, (m.get(e.name) ?? 0) + cpu(e));
        }
        phases = [...m].sort((a, b) => b[1] - a[1]).slice(0, 5);
      }
      return { kinds, allocated, survived, spans, list, starts, longest, phases };
    },
    /** The trace's task of a long task (performance.now() start and duration): the one that overlaps it most. */
    taskAt(start, duration) {
      if (offset === null) return null;
      const from = start * 1000 + offset;
      const to = from + duration * 1000;
      let best = null;
      let bestOverlap = 0;
      for (let k = Math.max(0, firstAt(from - 1e6)); k < onMain.length && onMain[k].ts <= to; k++) {
        const e = onMain[k];
        if (!isTask(e)) continue;
        const overlap = Math.min(to, e.ts + e.dur) - Math.max(from, e.ts);
        if (overlap > bestOverlap) {
          best = e;
          bestOverlap = overlap;
        }
      }
      return best;
    },
    /** Where a task's time went: timeline events by CPU ms, then JS functions by self time. */
    describe(t) {
      const parts = new Map();
      for (const e of inside(t)) if (['FunctionCall', 'FireAnimationFrame', 'TimerFire', 'EventDispatch', 'UpdateLayoutTree', 'Layout', 'PrePaint', 'Paint', 'Layerize', 'ParseHTML', 'MajorGC', 'MinorGC', 'V8.GC_SCAVENGER', 'V8.GC_MARK_COMPACTOR', 'HitTest', 'IntersectionObserverController::computeIntersections'].includes(e.name)) parts.set(e.name, (parts.get(e.name) ?? 0) + cpu(e));
      return `${kindOf(t)}: ${[...parts].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}${jsSelf(t)}`;
    },
    /** Tasks by what they are (the first timeline event inside: WebSocket messages, frames, timers …): count and CPU ms. */
    kinds() {
      const kinds = new Map();
      for (const t of tasks) {
        const k = kinds.get(kindOf(t)) ?? { n: 0, cpu: 0 };
        k.n++;
        k.cpu += cpu(t);
        kinds.set(kindOf(t), k);
      }
      return kinds;
    },
  };
}
