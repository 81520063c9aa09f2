// The dashboard's benchmark of issue 17: the overview with N live paths (default 1,000) in
// Debian's Chromium against a real serve. Reports:
//   - time to usable: navigation (in the app, and a full page load) until every path's row shows its status;
//   - long tasks (PerformanceObserver 'longtask', > 50 ms) and frame intervals while updates stream;
//   - event → screen: the monitor's decision (the row's lastChecked) to the row's DOM update, every update;
//   - JS heap, DOM nodes; the initial JS (gzip) of the build it serves.
//   - each long task's CPU time and the JS functions that took it (a Chromium trace of the same window).
// Usage: node bench/overview.mjs [--paths N] [--seconds S] [--alloc-seconds 10] [--trace-seconds 0]   (0: no trace, long
// tasks unattributed; after ./patronus has built, or with PATRONUS_BIN / PATRONUS_UI_ROOT / CHROMIUM as for e2e/run.mjs).
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freeUdpPort, launchChromium, startServe } from '../e2e/serve.mjs';
import { analyseTrace, pct, sourceNames } from './trace.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const PATHS = arg('paths', 1000);
const SECONDS = arg('seconds', 30);
const PASSWORD = 'Bench-Passw0rd-2026';
const log = (...a) => console.log('bench:', ...a);
const ms = (v) => `${v.toFixed(1)} ms`;

/** N paths over two loopback links, all probing serve's own STAMP reflector once a second. */
function config(reflector) {
  const links = [1, 2].map((i) => ({ Id: `lo${i}`, Site: 'bench', Name: `loopback ${i}`, SourceAddress: `127.0.0.${i}` }));
  const paths = Array.from({ length: PATHS }, (_, i) => ({
    Id: `p${String(i).padStart(5, '0')}`, Name: `Path ${i}`, Link: links[i % 2].Id, Targets: [`127.0.0.1:${reflector}`],
  }));
  return JSON.stringify({
    Sites: [{ Id: 'bench', Name: 'Benchmark site' }], Links: links, Paths: paths,
    Reflector: { Enabled: true, Listen: `127.0.0.1:${reflector}` },
    Failover: { KernelRoutes: false }, Traffic: { Enabled: false }, Health: { Interval: '00:00:01' },
  });
}

function initialJsGzip() {
  const dir = resolve(process.env.PATRONUS_UI_ROOT ?? join(import.meta.dirname, '../dist'), 'assets');
  return readdirSync(dir).filter((f) => f.endsWith('.js.gz')).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}

/** CPU seconds (user + system) of this script's descendant processes by Chromium process type (renderer, gpu, browser …). */
function chromiumCpu() {
  const tick = 100; // USER_HZ
  const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return { pid: Number(pid), ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / tick, type: /--type=([a-z-]+)/.exec(cmd)?.[1] ?? 'browser', chromium: /chrom/.test(cmd) };
    } catch {
      return null;
    }
  }).filter(Boolean);
  const mine = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) if (!mine.has(p.pid) && mine.has(p.ppid)) { mine.add(p.pid); grew = true; }
  }
  const out = {};
  for (const p of procs) if (mine.has(p.pid) && p.chromium) out[p.type] = (out[p.type] ?? 0) + p.cpu;
  return out;
}

const work = mkdtempSync(join(tmpdir(), 'patronus-uibench-'));
let serve;
let browser;
try {
  const configFile = join(work, 'patronus.json');
  writeFileSync(configFile, config(await freeUdpPort()));
  serve = await startServe(join(work, 'data'), { args: ['--config', configFile] });
  browser = await launchChromium(['--enable-precise-memory-info']);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(serve.setupUrl);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat the password').fill(PASSWORD);
  await page.getByRole('button', { name: /Create admin/ }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();

  // Every path probed (not "not probed yet") before measuring.
  const allProbed = (n) => document.querySelectorAll('tr[data-path]:not([data-status="UNKNOWN"])').length >= n;
  await page.waitForFunction(allProbed, PATHS, { timeout: 120_000, polling: 500 });
  log(`${PATHS} paths live; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);

  // Time to usable, in the app: from a click on "Overview" (from another page) until every row shows its status.
  const inApp = [];
  for (let i = 0; i < 5; i++) {
    await page.getByRole('link', { name: 'Failover', exact: true }).click();
    await page.getByRole('heading', { name: 'Failover' }).waitFor();
    const t = await page.evaluate((n) => new Promise((res) => {
      const start = performance.now();
      document.querySelector('nav a[href="/"]').click();
      const check = () => (document.querySelectorAll('tr[data-path]:not([data-status="UNKNOWN"])').length >= n ? res(performance.now() - start) : requestAnimationFrame(check));
      requestAnimationFrame(check);
    }), PATHS);
    inApp.push(t);
  }
  // A full page load (reload: session restored from the cookie, JS from cache) until every row shows its status.
  const reloads = [];
  for (let i = 0; i < 3; i++) {
    const start = Date.now();
    await page.reload();
    await page.waitForFunction(allProbed, PATHS, { timeout: 30_000, polling: 'raf' });
    reloads.push(Date.now() - start);
  }
  log(`time to usable, navigation in the app: median ${ms(pct(inApp, 50))}, max ${ms(Math.max(...inApp))} (${inApp.map((v) => v.toFixed(0)).join(', ')})`);
  log(`time to usable, full page load: median ${pct(reloads, 50)} ms, max ${Math.max(...reloads)} ms (${reloads.join(', ')})`);

  if (process.env.BENCH_PROFILE) {
    // Where the main thread's time goes while updates stream: top functions by self time (CDP sampling profiler).
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
    await new Promise((r) => setTimeout(r, 10_000));
    const { profile } = await cdp.send('Profiler.stop');
    const self = new Map();
    const dt = new Map(profile.samples.map((id, i) => [i, profile.timeDeltas[i] ?? 0]));
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const n = byId.get(id).callFrame;
      const key = `${n.functionName || '(anon)'} ${n.url.split('/').pop()}:${n.lineNumber}:${n.columnNumber}`;
      self.set(key, (self.get(key) ?? 0) + dt.get(i));
    });
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) log(`profile ${(v / 1000).toFixed(0)} ms (${((100 * v) / total).toFixed(1)} %) ${k}`);
  }

  // Streaming: long tasks, frame intervals, event → screen per row update; and Chromium's own
  // accounting of the main thread (task, script, style, layout durations) over the same window.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  if (process.env.BENCH_HIDE) await page.evaluate((sel) => document.querySelectorAll(sel).forEach((e) => { e.style.display = 'none'; }), process.env.BENCH_HIDE);
  // The streaming window runs under a Chromium trace (unless --trace-seconds 0): every main-thread
  // task's wall time (dur) and thread CPU time (tdur), and V8's sampling profiler, so each long
  // task the PerformanceObserver reports is matched to its task in the trace and told apart:
  // busy (CPU near its wall time: the page's own work, with the JS functions that took it) or
  // descheduled (little CPU: another process had the core).
  const TRACE = arg('trace-seconds', 10) > 0;
  const TRACE_CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'blink', 'blink.user_timing', 'disabled-by-default-v8.cpu_profiler'];
  if (TRACE) await browser.startTracing(page, { categories: TRACE_CATEGORIES });
  const m0 = await metrics();
  const cpu0 = chromiumCpu();
  const stream = await page.evaluate(([seconds, noLatency]) => new Promise((res) => {
    // The trace's clock and performance.now() differ by an offset: this mark is in both.
    const sync = performance.now();
    performance.mark('patronus-bench-sync', { startTime: sync });
    console.timeStamp('patronus-bench-sync');
    const longTasks = [];
    const observer = new PerformanceObserver((list) => list.getEntries().forEach((e) => longTasks.push({ start: e.startTime, duration: e.duration })));
    observer.observe({ type: 'longtask' });
    // Long animation frames (Chromium): which scripts ran in them, and how much was style/layout.
    const longFrames = [];
    const loaf = new PerformanceObserver((list) => list.getEntries().forEach((e) => longFrames.push({
      duration: e.duration, blocking: e.blockingDuration, styleLayout: e.renderStart ? e.startTime + e.duration - e.styleAndLayoutStart : 0,
      scripts: e.scripts.map((x) => `${x.invoker} ${x.sourceFunctionName || ''} ${(x.sourceURL || '').split('/').pop()}:${x.sourceCharPosition} ${x.duration.toFixed(0)} ms`),
    })));
    loaf.observe({ type: 'long-animation-frame' });
    const frames = [];
    let last = performance.now();
    let running = true;
    const frame = (now) => {
      frames.push(now - last);
      last = now;
      if (running) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    const latencies = [];
    const mutations = new MutationObserver((records) => {
      const now = Date.now();
      for (const r of records) {
        const checked = Date.parse(r.target.dataset.checked);
        if (Number.isFinite(checked)) latencies.push(now - checked);
      }
    });
    // (BENCH_NO_LATENCY=1: no observer — its records are garbage of their own, a thousand a second.)
    if (!noLatency) mutations.observe(document.querySelector('main'), { subtree: true, attributes: true, attributeFilter: ['data-checked'] });
    const heapBefore = performance.memory?.usedJSHeapSize ?? NaN;
    setTimeout(() => {
      running = false;
      observer.disconnect();
      loaf.disconnect();
      mutations.disconnect();
      res({ sync, longTasks, longFrames, frames: frames.slice(1), latencies, heapBefore, heapAfter: performance.memory?.usedJSHeapSize ?? NaN, nodes: document.getElementsByTagName('*').length });
    }, seconds * 1000);
  }), [SECONDS, Boolean(process.env.BENCH_NO_LATENCY)]);
  const s = stream;
  const m1 = await metrics();
  const cpu1 = chromiumCpu();
  const traceBuffer = TRACE ? await browser.stopTracing() : null;
  if (traceBuffer && process.env.BENCH_TRACE_FILE) writeFileSync(process.env.BENCH_TRACE_FILE, traceBuffer); // for Chromium's DevTools (Performance, load profile)
  const trace = traceBuffer ? JSON.parse(traceBuffer.toString()).traceEvents : null;
  log(`Chromium CPU per second of streaming (all cores, from /proc): ${Object.keys(cpu1).map((k) => `${k} ${((1000 * (cpu1[k] - (cpu0[k] ?? 0))) / SECONDS).toFixed(0)} ms`).join(', ')}`);
  const perSecond = (name) => `${((1000 * (m1[name] - m0[name])) / SECONDS).toFixed(0)} ms/s`;
  log(`main thread per second of streaming: ${((m1.LayoutCount - m0.LayoutCount) / SECONDS).toFixed(1)} layouts, ${((m1.RecalcStyleCount - m0.RecalcStyleCount) / SECONDS).toFixed(1)} style recalcs; tasks ${perSecond('TaskDuration')}, script ${perSecond('ScriptDuration')}, style ${perSecond('RecalcStyleDuration')}, layout ${perSecond('LayoutDuration')} (wall time: inflated when the machine is loaded)`);
  log(`streaming ${SECONDS} s: ${s.latencies.length} row updates (${(s.latencies.length / SECONDS).toFixed(0)}/s)`);
  const longest = s.longTasks.map((t) => t.duration);
  log(`long tasks > 50 ms: ${s.longTasks.length}${s.longTasks.length ? ` (max ${ms(Math.max(...longest))})` : ''}`);
  const where = sourceNames(resolve(process.env.PATRONUS_UI_ROOT ?? join(import.meta.dirname, '../dist')));
  const tr = trace ? analyseTrace(trace, s.sync, SECONDS, where) : null;
  for (const t of s.longTasks) {
    const at = `long task ${ms(t.duration)} at ${((t.start - s.sync) / 1000).toFixed(1)} s`;
    const task = tr?.taskAt(t.start, t.duration);
    if (!tr) log(`${at}: no trace (--trace-seconds 0)`);
    else if (!task) log(`${at}: not found in the trace`);
    else log(`${at}: CPU ${ms(tr.cpu(task))} of wall ${ms(tr.wall(task))} — ${tr.cpu(task) > 50 ? 'busy (our work)' : tr.cpu(task) < 0.5 * tr.wall(task) ? 'descheduled (the machine)' : 'partly descheduled'}; ${tr.describe(task)}`);
  }
  // The GCs of the same window beside the long tasks (the long tasks left at the bar were GCs):
  // counts, pauses, and the garbage behind them in bytes (independent of the machine's load).
  if (tr) {
    const gc = tr.gc();
    const kinds = Object.entries(gc.kinds).map(([k, v]) => `${k} ${v.n} (CPU total ${ms(v.cpu)}, max ${ms(v.maxCpu)}; wall max ${ms(v.maxWall)})`).join(', ');
    log(`trace: GCs in ${SECONDS} s: ${kinds || 'none'}`);
    if (gc.starts.length) log(`trace: major GCs started by: ${[...new Set(gc.starts.map((x) => x.reason))].join('; ')}; at their start V8 old generation ${gc.starts.map((x) => (x.old_gen_consumed_bytes / 1e6).toFixed(1)).join(', ')} MB, V8 + Blink (global) ${gc.starts.map((x) => (x.global_consumed_bytes / 1e6).toFixed(1)).join(', ')} MB (global limit ${gc.starts.map((x) => (x.global_allocation_limit / 1e6).toFixed(1)).join(', ')} MB)`);
    if (gc.spans > 0) log(`trace: JS allocated between GCs ${(gc.allocated / gc.spans / 1e6).toFixed(2)} MB/s, outlived a minor GC ${(gc.survived / gc.spans / 1e3).toFixed(0)} KB/s (over ${gc.spans.toFixed(1)} s from the first GC to the last)`);
    if (gc.longest) log(`trace: longest GC ${gc.longest.name} ${ms(gc.longest.tdur / 1000)} CPU (${gc.longest.type ?? '?'}, JS heap ${(gc.longest.before / 1e6).toFixed(1)} → ${(gc.longest.after / 1e6).toFixed(1)} MB): ${gc.phases.map(([k, v]) => `${k.replace('V8.GC_', '')} ${v.toFixed(1)}`).join(', ')}`);
  }
  for (const f of s.longFrames.sort((a, b) => b.duration - a.duration).slice(0, 5)) log(`long frame ${ms(f.duration)} (blocking ${ms(f.blocking)}, style+layout ${ms(f.styleLayout)}): ${f.scripts.join('; ') || 'no script'}`);
  log(`frame interval: p50 ${ms(pct(s.frames, 50))}, p95 ${ms(pct(s.frames, 95))}, p99 ${ms(pct(s.frames, 99))}, max ${ms(Math.max(...s.frames))}`);
  log(`event → screen (lastChecked → row updated): p50 ${pct(s.latencies, 50)} ms, p95 ${pct(s.latencies, 95)} ms, max ${Math.max(...s.latencies)} ms`);
  log(`JS heap ${(s.heapBefore / 1e6).toFixed(1)} → ${(s.heapAfter / 1e6).toFixed(1)} MB; ${s.nodes} DOM elements`);
  log(`initial JS ${(initialJsGzip() / 1024).toFixed(1)} KB gzip`);

  // What the page allocates while updates stream, and where: V8's sampling heap profiler over a
  // window of its own after the measured one (it costs a little CPU; and before it, the last
  // reload's table is still mounting), counting the objects that GCs have already collected too.
  // Bytes are the machine's load-independent measure of the garbage behind the GCs (the long
  // tasks left at the bar were GCs). Its own tracking adds a little allocation.
  const ALLOC_SECONDS = arg('alloc-seconds', 10);
  if (ALLOC_SECONDS > 0) {
    const where = sourceNames(resolve(process.env.PATRONUS_UI_ROOT ?? join(import.meta.dirname, '../dist')));
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('HeapProfiler.enable');
    await cdp.send('HeapProfiler.startSampling', { samplingInterval: 8192, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    await new Promise((r) => setTimeout(r, ALLOC_SECONDS * 1000));
    const { profile } = await cdp.send('HeapProfiler.stopSampling');
    await cdp.send('HeapProfiler.disable');
    await cdp.detach();
    const sites = new Map();
    let total = 0;
    const walk = (node, stack) => {
      const f = node.callFrame;
      const here = f.url ? `${f.functionName || '(anonymous)'} ${where(f.url, f.lineNumber, f.columnNumber)}` : f.functionName || '(root)';
      // A site is the innermost frame of ours (the app's or a library's script), so a builtin
      // (JSON.parse, String.prototype.join) is told with its caller.
      const site = f.url ? here : stack ? `${here} ← ${stack}` : here;
      if (node.selfSize > 0) {
        sites.set(site, (sites.get(site) ?? 0) + node.selfSize);
        total += node.selfSize;
      }
      for (const c of node.children ?? []) walk(c, f.url ? here : stack);
    };
    walk(profile.head, null);
    log(`allocation (sampling heap profiler, ${ALLOC_SECONDS} s, collected objects included): ${(total / ALLOC_SECONDS / 1e6).toFixed(2)} MB/s`);
    for (const [k, v] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, 10)) log(`allocation ${(v / ALLOC_SECONDS / 1e3).toFixed(0)} KB/s (${((100 * v) / total).toFixed(1)} %) ${k}`);
  }

  // The page's own work over the same window, apart from the machine's load: a task long in wall
  // time but short in CPU time was descheduled (other processes), not busy.
  if (tr) {
    const { tasks, frames, cpu, wall } = tr;
    log(`trace ${SECONDS} s, renderer main thread: ${tasks.length} tasks, CPU ${(tasks.reduce((a, t) => a + cpu(t), 0) / SECONDS).toFixed(0)} ms/s (wall ${(tasks.reduce((a, t) => a + wall(t), 0) / SECONDS).toFixed(0)} ms/s)`);
    log(`trace: tasks > 50 ms wall ${tasks.filter((t) => wall(t) > 50).length}, > 50 ms CPU ${tasks.filter((t) => cpu(t) > 50).length}; longest CPU ${ms(Math.max(0, ...tasks.map(cpu)))}`);
    log(`trace: frame tasks (rAF/style/layout) ${frames.length}: CPU p50 ${ms(pct(frames.map(cpu), 50))}, p95 ${ms(pct(frames.map(cpu), 95))}, max ${ms(Math.max(0, ...frames.map(cpu)))}; wall p95 ${ms(pct(frames.map(wall), 95))}`);
    log(`trace: tasks by kind: ${[...tr.kinds()].sort((a, b) => b[1].cpu - a[1].cpu).slice(0, 8).map(([k, v]) => `${k} ${v.n} (${(v.cpu / SECONDS).toFixed(0)} ms/s)`).join(', ')}`);
    for (const t of [...tasks].sort((a, b) => cpu(b) - cpu(a)).slice(0, 5)) log(`trace: task CPU ${ms(cpu(t))} wall ${ms(wall(t))}: ${tr.describe(t)}`);

    // The navigations again, each under a trace (time to usable above ran without one): their
    // longest tasks by CPU, and how often the page read the topology (once is enough).
    let reads = 0;
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/graphql') && (r.postData() ?? '').includes('allFailoverPolicies')) reads++;
    });
    const traced = async (what, navigate) => {
      await page.getByRole('link', { name: 'Failover', exact: true }).click();
      await page.getByRole('heading', { name: 'Failover' }).waitFor();
      reads = 0;
      await browser.startTracing(page, { categories: TRACE_CATEGORIES });
      const sync = await page.evaluate(() => {
        const now = performance.now();
        performance.mark('patronus-bench-sync', { startTime: now });
        console.timeStamp('patronus-bench-sync');
        return now;
      });
      await navigate();
      await page.waitForFunction(allProbed, PATHS, { timeout: 30_000, polling: 'raf' });
      await new Promise((r) => setTimeout(r, 3000)); // and the updates of the next seconds
      const nav = analyseTrace(JSON.parse((await browser.stopTracing()).toString()).traceEvents, sync, Infinity, where);
      const top = [...nav.tasks].sort((a, b) => nav.cpu(b) - nav.cpu(a));
      log(`${what} (traced): ${reads} topology read(s); tasks > 50 ms CPU ${top.filter((t) => nav.cpu(t) > 50).length}, > 50 ms wall ${top.filter((t) => nav.wall(t) > 50).length}`);
      for (const t of top.slice(0, 3)) log(`${what}: task CPU ${ms(nav.cpu(t))} wall ${ms(nav.wall(t))}: ${nav.describe(t)}`);
    };
    await traced('navigation in the app', () => page.getByRole('link', { name: 'Overview', exact: true }).click());
    await traced('full page load', () => page.goto(new URL('/', page.url()).href));
  }
} finally {
  await browser?.close().catch(() => undefined);
  if (serve && serve.child.exitCode === null) {
    serve.child.kill('SIGTERM');
    await new Promise((res) => serve.child.once('exit', res));
  }
  rmSync(work, { recursive: true, force: true });
}
