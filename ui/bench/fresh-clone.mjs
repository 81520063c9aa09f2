// Issue 17's acceptance, timed: in a fresh clone, `./patronus serve`, follow the setup link in
// Chromium, and two live demo paths on screen — the seconds from the command to each step.
// Usage: node bench/fresh-clone.mjs [REPO] [--rev COMMIT] [--keep]   (REPO default: this checkout, cloned into a temp dir at its HEAD or COMMIT)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freeUdpPort, launchChromium } from '../e2e/serve.mjs';

const args = process.argv.slice(2);
const revAt = args.indexOf('--rev');
const rev = revAt >= 0 ? args[revAt + 1] : null;
const repo = resolve(args.find((a, i) => !a.startsWith('--') && i !== revAt + 1) ?? join(import.meta.dirname, '../..'));
const keep = process.argv.includes('--keep');
const PASSWORD = 'Fresh-Passw0rd-2026';
const work = mkdtempSync(join(tmpdir(), 'patronus-fresh-'));
const clone = join(work, 'patronus');
const seconds = (from) => ((performance.now() - from) / 1000).toFixed(1);
const log = (...a) => console.log('fresh:', ...a);

execFileSync('git', ['clone', '--quiet', repo, clone]);
if (rev) execFileSync('git', ['-C', clone, 'checkout', '--quiet', rev]);
log(`cloned ${repo} (${execFileSync('git', ['-C', clone, 'rev-parse', '--short', 'HEAD']).toString().trim()}) into ${clone}; load ${execFileSync('cat', ['/proc/loadavg']).toString().split(' ').slice(0, 3).join(' ')}`);
const port = 18000 + Math.floor(Math.random() * 2000);
const start = performance.now();
const child = spawn(join(clone, 'patronus'), ['serve', '--data-dir', join(work, 'data'), '--urls', `http://127.0.0.1:${port}`], {
  cwd: clone, env: { ...process.env, PATRONUS__QUICKSTART__REFLECTORPORT: String(await freeUdpPort()), PATRONUS__TRAFFIC__ENABLED: 'false' }, stdio: ['ignore', 'pipe', 'pipe'],
});
let browser;
try {
  const setupUrl = await new Promise((res, rej) => {
    let output = '';
    const onData = (chunk) => {
      for (const line of chunk.toString().split('\n')) if (/^patronus:|Now listening|Application started/.test(line)) log(`${seconds(start)} s ${line.trim()}`);
      output += chunk;
      const m = /http:\/\/127\.0\.0\.1:\d+\/setup#token=[A-Za-z0-9_-]+(?=\s)/.exec(output);
      if (m) res(m[0]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => rej(new Error(`serve exited ${code}:\n${output.slice(-4000)}`)));
  });
  log(`${seconds(start)} s setup link logged`);
  browser = await launchChromium();
  const page = await browser.newPage();
  await page.goto(setupUrl);
  log(`${seconds(start)} s setup page open`);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat the password').fill(PASSWORD);
  await page.getByRole('button', { name: /Create admin/ }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor({ timeout: 60_000 });
  log(`${seconds(start)} s admin created, overview shown`);
  for (const id of ['demo-wan1-loopback', 'demo-wan2-loopback']) await page.locator(`tr[data-path="${id}"][data-status="UP"]`).waitFor({ timeout: 60_000 });
  log(`${seconds(start)} s two live demo paths on screen (issue 17's bar: 60 s)`);
} finally {
  await browser?.close().catch(() => undefined);
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((res) => child.once('exit', res));
  }
  if (keep) log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
