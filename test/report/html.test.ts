// The report page as text: every section from the captured sample run, escaping (a `<script>`
// in a command line, a metric label or a file name is text), redaction as `evidence` redacts,
// the Content Security Policy's hashes matching the page's scripts, the charts' text
// alternatives, and the charts that cannot be drawn named with why.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildReportHtml } from '../../src/report/html.js';
import { readReportInputs, type ReportInput } from '../../src/report/inputs.js';
import { loadUplot } from '../../src/cli/report-page.js';
import { fixture } from '../helpers/paths.js';

const FILES = ['evidence.json', 'rerun.json', 'watch-procs.ndjson', 'watch-metrics.ndjson', 'count-history.ndjson'];
const read = (f: string) => readReportInputs(readFileSync(fixture('report', f), 'utf8'), f);
const uplot = loadUplot();
const page = (inputs: ReportInput[]) => buildReportHtml(inputs, { uplot, generatedAt: '2026-01-01T00:00:00.000Z', tool: 'rerun-doctor 0.0.0-test' });
const all = () => FILES.flatMap(read);

test('every section, from the real sample run', () => {
  const html = page(all());
  for (const id of ['verdict', 'processes', 'reruns', 'charts']) assert.match(html, new RegExp(`<section id="${id}" aria-labelledby="h-${id}"><h2 id="h-${id}">`), id);
  assert.equal(html.match(/<h1>/g)?.length, 1, 'one h1');
  assert.match(html, /<p class="verdict sev-error">Verdict: 1 problem: 2 orphaned workers and 1 helper from run 1/);
  assert.match(html, /data-finding="orphan-workers"/);
  // Findings with evidence, fix and next commands.
  assert.match(html, /<strong>Fix:<\/strong> End these processes/);
  assert.match(html, /<pre><code>rerun-doctor clean\nrerun-doctor explain orphan-workers<\/code><\/pre>/);
  // The trees: the killed run is orphaned, its processes marked.
  assert.match(html, /<h4>run 1 of 1 <span class="badge orphan">ORPHANED<\/span><\/h4>/);
  assert.ok((html.match(/<span class="badge orphan">ORPHAN<\/span>/g)?.length ?? 0) >= 3 + 9, 'orphans marked in the tree and the rerun table');
  // The rerun: three runs, each leaving 3 behind.
  assert.match(html, /LEAK: 9 processes left behind over 3 runs/);
  // Every chart kind the inputs hold, and GPU memory named as absent, with why.
  for (const kind of ['procs-by-role', 'orphans', 'rerun-ready', 'rerun-leftovers', 'latency-p95', 'cpu-by-role', 'rss-by-role']) assert.match(html, new RegExp(`data-chart-kind="${kind}"`), kind);
  assert.match(html, /<tr data-absent="gpu-memory"><th scope="row">GPU memory<\/th><td>[^<]*nvidia-smi is not installed/);
});

test('each chart is a figure with a figcaption, a text summary and its values in a table with a caption and scoped headers', () => {
  const html = page(all());
  const figures = html.match(/<figure id="chart-\d+"[\s\S]*?<\/figure>/g) ?? [];
  assert.ok(figures.length >= 10, `${figures.length} figures`);
  for (const f of figures) {
    assert.match(f, /<figcaption id="chart-\d+-cap">/);
    assert.match(f, /role="img" aria-label="[^"]+: \d+ (points|runs)\. /);
    assert.match(f, /<table><caption>[^<]+<\/caption><thead><tr><th scope="col">/);
    assert.match(f, /<tbody><tr><th scope="row">/);
  }
  const data = JSON.parse(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1]!);
  assert.equal(data.charts.length, figures.length, 'one data entry per figure');
  for (const c of data.charts) assert.ok(c.series.every((s: { values: unknown[] }) => s.values.length === c.xs.length), `${c.id}: a value (or a gap) for every x`);
  assert.match(html, /@media print \{/);
});

test('self-contained: uPlot and the page script inline, allowed by hash, and nothing fetched', () => {
  const html = page(all());
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1]!.replace(/&#39;/g, "'");
  assert.match(csp, /^default-src 'none'; script-src 'sha256-[^']+' 'sha256-[^']+'; /);
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  assert.equal(scripts.length, 2, 'uPlot and the page script');
  assert.equal(scripts[0], uplot.js);
  for (const s of scripts) assert.ok(csp.includes(`'sha256-${createHash('sha256').update(s).digest('base64')}'`), 'each script is allowed by its hash');
  assert.doesNotMatch(html, /\s(src|href)="(?!#)/, 'no src or href but anchors');
  assert.doesNotMatch(html, /<link\b|@import|url\(\s*['"]?https?:/, 'no stylesheet, import or font fetched');
});

test('a <script> in a command line, a metric label and a file name is escaped; secrets are redacted as evidence redacts them', () => {
  const [procs] = read('watch-procs.ndjson');
  const [rerun] = read('rerun.json');
  const [metrics] = read('watch-metrics.ndjson');
  assert.ok(procs?.kind === 'watch-procs' && rerun?.kind === 'rerun' && metrics?.kind === 'watch-metrics', 'precondition: the kinds');
  const evil = '</script><script>alert(1)</script>';
  const last = [...procs.samples].reverse().find((s) => s.ok && (s.processes?.length ?? 0) > 0)!;
  last.processes![0]!.argv = ['python3', evil, '--api-key', 'sk-live-0123456789abcdef', 'HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyz0123'];
  rerun.command = ['python3', '-m', 'src.main', '--token', 'tok-secret-9876543210', `<img src=x onerror=alert(2)>`];
  const sample = metrics.samples.find((s) => s.ok && s.seconds !== null)!;
  if (sample.ok) sample.keys[0]!.series[0]!.labels = { api_key: 'label-secret-abcdef123456', model: evil };
  const html = page([procs, rerun, metrics, { ...procs, name: `<b>${evil}</b>.ndjson` }]);
  for (const secret of ['sk-live-0123456789abcdef', 'hf_abcdefghijklmnopqrstuvwxyz0123', 'tok-secret-9876543210', 'label-secret-abcdef123456']) assert.ok(!html.includes(secret), `${secret} redacted`);
  assert.match(html, /--api-key \[REDACTED\]/);
  assert.match(html, /--token \[REDACTED\]/);
  assert.match(html, /HF_TOKEN=\[REDACTED\]/);
  assert.match(html, /&lt;\/script&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(html, /&lt;img src=x onerror=alert\(2\)&gt;/);
  assert.match(html, /<code>&lt;b&gt;&lt;\/script&gt;/, 'the file name too');
  // The only script tags are the page's own three (data, uPlot, page script).
  assert.equal(html.match(/<script\b/g)?.length, 3);
  assert.equal(html.match(/<\/script>/g)?.length, 3);
  assert.ok(!html.includes('<img'), 'no img element');
  assert.match(html, /\d+ values redacted/);
});

test('one input alone: the charts it cannot draw are named with why', () => {
  const html = page(read('count-history.ndjson'));
  assert.match(html, /data-chart-kind="procs-by-role"/);
  assert.match(html, /<tr data-absent="rerun-ready"><th scope="row">Time to ready per run<\/th><td>no rerun result among the inputs/);
  assert.match(html, /<tr data-absent="cpu-by-role"><th scope="row">CPU by role<\/th><td>no watch procs recording/);
  assert.match(html, /<tr data-absent="latency-p95">/);
  assert.match(html, /No diagnosis among the inputs/);
  assert.match(html, /No process census among the inputs/);
  assert.doesNotMatch(html, /<section id="reruns"/);
});

test('GPU memory is charted from an evidence document that read it: one series per GPU, before the server and at the end', async () => {
  const { chartsOf } = await import('../../src/report/charts.js');
  // The sample run had no nvidia-smi: its document, with GPU evidence as nvidia-smi gives it
  // (two devices; the first one's memory held after the kill), is what a CUDA machine's is.
  const doc = JSON.parse(readFileSync(fixture('report', 'evidence.json'), 'utf8')) as Record<string, unknown>;
  const device = (index: number, used: number) => ({ index, uuid: `GPU-${index}`, name: 'NVIDIA H200', memoryUsedMiB: used, memoryTotalMiB: 143771, utilizationPercent: 0, temperatureC: 30, activeEventReasons: [], eventReasonCounters: {} });
  const gpu = (a: number, b: number) => ({ vendor: 'nvidia', devices: [device(0, a), device(1, b)], processes: [], driverVersion: '570.0', sources: ['nvidia-smi'] });
  doc.gpu = { status: 'ok', value: gpu(40960, 1), source: 'nvidia-smi', issues: [] };
  doc.gpuBefore = gpu(1, 1);
  const inputs = readReportInputs(JSON.stringify(doc), 'gpu-evidence.json');
  const set = chartsOf(inputs);
  const g = set.charts.filter((c) => c.kind === 'gpu-memory');
  assert.equal(g.length, 1, 'one GPU chart');
  assert.deepEqual(g[0]!.series.map((s) => s.label), ['GPU 0 (NVIDIA H200) MiB used', 'GPU 1 (NVIDIA H200) MiB used']);
  assert.deepEqual(g[0]!.series.map((s) => s.values), [[1, 40960], [1, 1]]);
  assert.ok(!set.absent.some((a) => a.kind === 'gpu-memory'), 'not among the charts that cannot be drawn');
  const html = page(inputs);
  assert.match(html, /GPU 0 \(NVIDIA H200\) MiB used/);
});
