// The HTML report in a real browser: Debian's headless chromium, driven by playwright-core, opens
// the file:// page built by the CLI from the captured inputs of a real run
// (test/fixtures/report/SOURCE.md). Fails on any console error or page error, and on ANY request
// that is not the file itself; checks that every chart drew (its series count, and pixels on its
// canvas), that the findings and pids are in the DOM, and that a `<script>` in a command line
// is text, never run.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runCli } from '../helpers/live.js';
import { fixture } from '../helpers/paths.js';
import { requireProgram } from '../helpers/requirements.js';

const FIXTURES = ['evidence.json', 'rerun.json', 'watch-procs.ndjson', 'watch-metrics.ndjson', 'count-history.ndjson'].map((f) => fixture('report', f));
const dir = mkdtempSync(join(tmpdir(), 'rd-report-browser-'));
let browser: Browser;

// Flags that keep chromium off the network: no background services, updates, sync or metrics,
// and every connection sent to a proxy that is not there (port 9 on loopback, nothing listens).
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless=new',
  '--disable-gpu',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-default-apps',
  '--disable-sync',
  '--disable-domain-reliability',
  '--disable-client-side-phishing-detection',
  '--metrics-recording-only',
  '--no-pings',
  '--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication,CertificateTransparencyComponentUpdater',
  '--proxy-server=http://127.0.0.1:9',
  '--proxy-bypass-list=<-loopback>',
];

before(async () => {
  await requireProgram('chromium', 'chromium');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
after(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

// Run in the page (strings: this project's TypeScript has no DOM types).
const ALL_DRAWN = "[...document.querySelectorAll('figure[data-chart-kind]')].every((f) => f.getAttribute('data-drawn') === 'true')";
/** Each chart: its kind, the series uPlot drew and those the page expected, and the pixels painted on its canvas. */
const FIGURES = `[...document.querySelectorAll('figure[data-chart-kind]')].map((f) => {
  const canvas = f.querySelector('canvas');
  let painted = 0;
  if (canvas) {
    const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < px.length; i += 4) if (px[i] > 0) painted++;
  }
  return { kind: f.getAttribute('data-chart-kind'), series: Number(f.getAttribute('data-series')), expected: Number(f.getAttribute('data-expected-series')), painted, width: canvas ? canvas.width : 0 };
})`;

interface Opened {
  page: Page;
  errors: string[];
  requests: string[];
}

/** Opens FILE with every request that is not FILE itself recorded and refused. */
async function open(file: string): Promise<Opened> {
  const url = pathToFileURL(file).href;
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (r.url() !== url) requests.push(r.url());
  });
  await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
  await page.goto(url, { waitUntil: 'load' });
  return { page, errors, requests };
}

async function build(name: string, files: string[]): Promise<string> {
  const out = join(dir, name);
  const r = await runCli(['report', ...files, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  return out;
}

test('the report of a real SIGKILLed run and a 3-run rerun: every chart drawn, findings and pids in the DOM, no request, no console error', async () => {
  const file = await build('report.html', FIXTURES);
  const { page, errors, requests } = await open(file);
  await page.waitForFunction(ALL_DRAWN, null, { timeout: 15_000 });
  const figures = (await page.evaluate(FIGURES)) as Array<{ kind: string; series: number; expected: number; painted: number; width: number }>;
  // The inputs have every chart but GPU memory (no nvidia-smi where they were made).
  const kinds = new Set(figures.map((f) => f.kind));
  for (const k of ['procs-by-role', 'orphans', 'rerun-ready', 'rerun-leftovers', 'latency-p95', 'cpu-by-role', 'rss-by-role']) assert.ok(kinds.has(k), `a ${k} chart: ${[...kinds].join(', ')}`);
  for (const f of figures) {
    assert.ok(f.expected > 0, `${f.kind} has series`);
    assert.equal(f.series, f.expected, `${f.kind}: uPlot drew ${f.series} series of ${f.expected}`);
    assert.ok(f.width > 100 && f.painted > 500, `${f.kind}: the canvas has pixels (${f.painted} painted, width ${f.width})`);
  }
  const absent = await page.locator('[data-absent]').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-absent'), r.textContent]));
  assert.deepEqual(absent.map((a) => a[0]), ['gpu-memory']);
  assert.match(String(absent[0]![1]), /nvidia-smi/);

  // The findings of the evidence, and their pids, as the evidence's own diagnosis has them.
  const evidence = JSON.parse(readFileSync(FIXTURES[0]!, 'utf8'));
  const orphanPids: number[] = evidence.snapshot.processes.filter((p: { ppid: number; argv: string[] }) => p.ppid === 1 && p.argv.join(' ').includes('multiprocessing')).map((p: { pid: number }) => p.pid);
  assert.ok(orphanPids.length >= 3, `precondition: the fixture's orphans ${orphanPids}`);
  const finding = page.locator('[data-finding="orphan-workers"]').first();
  assert.equal(await finding.count(), 1, 'the orphan-workers finding is on the page');
  for (const pid of orphanPids) {
    assert.equal(await finding.locator(`[data-pid="${pid}"]`).count(), 1, `pid ${pid} in the finding`);
    assert.ok((await page.locator(`#processes [data-pid="${pid}"]`).count()) >= 1, `pid ${pid} in the process trees`);
  }
  assert.ok((await page.locator('#processes .badge.orphan').count()) >= 3, 'orphans marked in the trees');
  // The rerun's leftovers, per run.
  const rerun = JSON.parse(readFileSync(FIXTURES[1]!, 'utf8'));
  for (const p of rerun.runs.flatMap((r: { leftBehind: Array<{ pid: number }> }) => r.leftBehind)) assert.ok((await page.locator(`#reruns [data-pid="${p.pid}"]`).count()) >= 1, `rerun leftover ${p.pid}`);
  assert.match(await page.locator('h1').innerText(), /rerun-doctor report/);
  assert.deepEqual(errors, []);
  assert.deepEqual(requests, []);
  await page.close();
});

test('a command line holding <script> and an <img onerror> is shown as text and never runs; the page still makes no request', async () => {
  const record = JSON.parse(readFileSync(fixture('report', 'rerun.json'), 'utf8'));
  const evil = ['python3', '<script>window.__pwned = 1</script>', '<img src=x onerror="window.__pwned = 2">', '--api-key', 'sk-live-abcdef1234567890'];
  record.runs[0].leftBehind[0].argv = evil;
  record.command = evil;
  const input = join(dir, 'evil.json');
  writeFileSync(input, JSON.stringify(record));
  const file = await build('evil.html', [input]);
  const text = readFileSync(file, 'utf8');
  assert.doesNotMatch(text, /sk-live-abcdef1234567890/, 'the key is redacted');
  const { page, errors, requests } = await open(file);
  await page.waitForFunction(ALL_DRAWN, null, { timeout: 15_000 });
  assert.equal(await page.evaluate('typeof window.__pwned'), 'undefined');
  assert.equal(await page.locator('#reruns img').count(), 0, 'no img element was made');
  assert.match(await page.locator('#reruns').innerText(), /<script>window.__pwned = 1<\/script>/);
  assert.match(await page.locator('#reruns').innerText(), /--api-key \[REDACTED\]/);
  assert.deepEqual(errors, []);
  assert.deepEqual(requests, []);
  await page.close();
});
