// What the browser tests and the browser benchmarks share: serve (this build's executable and
// dashboard, a fresh data dir, free ports), the REST API as a script uses it, Debian's Chromium.
//   PATRONUS_BIN  the serve executable (default ../artifacts/patronus/patronus)
//   PATRONUS_UI_ROOT  the built dashboard (default ./dist)
//   CHROMIUM      the browser (default /usr/bin/chromium)
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const bin = process.env.PATRONUS_BIN ?? resolve(here, '../../artifacts/patronus/patronus');
const uiRoot = process.env.PATRONUS_UI_ROOT ?? resolve(here, '../dist');

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** Debian's Chromium, headless, with the flags this machine needs (TOOLING.md). */
export function launchChromium(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
  });
}

export function freeUdpPort() {
  return new Promise((res) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** Starts serve on a free port with a fresh data dir; resolves with its base URL and the setup URL it logs. */
export async function startServe(dataDir, extra = {}) {
  const child = await spawnServe(dataDir, 'http://127.0.0.1:0', extra);
  let output = '';
  const setupUrl = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`serve printed no setup URL in 30 s:\n${output}`)), 30_000);
    const onData = (chunk) => {
      output += chunk;
      const m = /(http:\/\/127\.0\.0\.1:\d+)\/setup#token=[A-Za-z0-9_-]+(?=\s)/.exec(output);
      if (m) {
        clearTimeout(timer);
        res(m[0]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => rej(new Error(`serve exited ${code}:\n${output}`)));
  });
  return { child, setupUrl, base: new URL(setupUrl).origin };
}

let reflectorPort;
/** serve with this build's dashboard, traffic accounting off; extra.args (e.g. --config) and extra.env are added. */
async function spawnServe(dataDir, url, extra = {}) {
  reflectorPort ??= await freeUdpPort();
  const env = {
    ...process.env,
    PATRONUS__DASHBOARD__ROOT: uiRoot,
    PATRONUS__QUICKSTART__REFLECTORPORT: String(reflectorPort),
    PATRONUS__TRAFFIC__ENABLED: 'false',
    ...extra.env,
  };
  return spawn(bin, ['serve', '--data-dir', dataDir, '--urls', url, ...(extra.args ?? [])], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts serve again on base with the data dir it had (users exist: no setup link); resolves once it is ready. */
export async function restartServe(dataDir, base) {
  const child = await spawnServe(dataDir, base);
  child.stdout.resume();
  child.stderr.resume();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/health/ready`)).ok) return child;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('serve not ready within 30 s after the restart');
}

/** The REST API as a script uses it (JSON mode), for arranging what the pages show. */
export async function api(base, token, method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

