// What a scrape of a huge endpoint keeps, through the code paths `watch metrics` and `metrics`
// use, against real servers on 127.0.0.1: at most the series limit per sample (the key metrics
// first), the rest counted and said to be dropped; long label values cut; duplicates reported.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { run as runMetrics } from '../../src/cli/commands/metrics.js';
import { metricsWatcher } from '../../src/cli/commands/watch-metrics.js';
import { makeContext } from '../../src/cli/context.js';
import type { Io } from '../../src/cli/io.js';
import { DEFAULT_MAX_SERIES } from '../../src/metrics/select.js';
import type { MetricsSample } from '../../src/model/metrics-sample.js';
import type { IntervalSummary } from '../../src/model/metrics-summary.js';
import { makeStyle } from '../../src/render/style.js';
import { History } from '../../src/watch/history.js';
import { serveHttp } from '../helpers/http-server.js';

const dir = mkdtempSync(join(tmpdir(), 'rd-limits-'));
const closers: Array<() => void> = [];
after(() => {
  closers.forEach((c) => c());
  rmSync(dir, { recursive: true, force: true });
});

const serve = async (handler: Parameters<typeof serveHttp>[0]) => `${await serveHttp(handler, closers)}/metrics`;

const io = (out: string[] = [], err: string[] = []): Io => ({ stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env: { RERUN_DOCTOR_STATE_DIR: dir }, isTTY: false, cwd: dir, columns: 100 });

/**
 * An endpoint with `n` counter series (one per path, each counting the scrapes) before its key
 * metrics, which come last: the limit must still keep them.
 */
async function manySeries(n: number): Promise<{ url: string; total: number }> {
  let scrapes = 0;
  const url = await serve((_req, res) => {
    scrapes++;
    const lines = ['# TYPE requests counter'];
    for (let i = 0; i < n; i++) lines.push(`requests_total{path="/p/${i}"} ${scrapes * 10 + i}`);
    lines.push('# TYPE tokenize_ms histogram', `tokenize_ms_bucket{le="5"} ${scrapes}`, `tokenize_ms_bucket{le="+Inf"} ${scrapes * 2}`, `tokenize_ms_count ${scrapes * 2}`, `tokenize_ms_sum ${scrapes * 7}`);
    lines.push('# TYPE queue_depth gauge', 'queue_depth 4');
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(lines.join('\n') + '\n');
  });
  return { url, total: n + 2 };
}

function watcherFor(url: string, values: Record<string, unknown> = {}) {
  const ctx = makeContext({}, io());
  return metricsWatcher(ctx, url, { 'no-grpc': true, ...values }, { style: makeStyle(false), width: 100, intervalMs: 2000 });
}

const ok = (s: MetricsSample) => {
  assert.ok(s.ok, JSON.stringify(s));
  return s as Extract<MetricsSample, { ok: true }>;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('watch metrics over 25,000 series with --max-series 1000: every sample and the history hold at most the limit, and say what was dropped', async () => {
  const { url, total } = await manySeries(25_000);
  const w = watcherFor(url, { 'max-series': '1000' });
  const history = new History<unknown>((r) => w.watcher.retain(r));
  const lines: string[] = [];
  for (let i = 0; i < 6; i++) {
    if (i > 0) await sleep(5); // a real interval between scrapes (their times are in ms)
    const s = ok((await w.watcher.sample()) as MetricsSample);
    history.push(s);
    lines.push(w.watcher.line(s));
    assert.equal(s.seriesTotal, total);
    assert.ok(s.series.length <= 1000, `sample ${i}: ${s.series.length} rows`);
    assert.equal(s.series.length, 1000);
    assert.equal(s.seriesDropped, total - 1000, `sample ${i}`);
    assert.ok(w.sampler.kept() <= 1000, `the sampler keeps ${w.sampler.kept()} series of the last scrape`);
    // The key metrics come last in the body, and are kept all the same.
    assert.deepEqual(s.keys.map((k) => k.family), ['tokenize_ms', 'queue_depth']);
    const record = w.watcher.record(s) as unknown as { seriesTotal: number; seriesDropped: number; series: unknown[] };
    assert.deepEqual([record.seriesTotal, record.seriesDropped, record.series.length], [total, total - 1000, 1000]);
    if (i > 0) {
      // The kept series are differenced as before: each counted one more scrape × 10.
      const first = s.series.find((r) => r.family === 'requests' && r.labels.path === '/p/0') as IntervalSummary;
      assert.equal(first.delta, 10);
      assert.equal(first.isNew, false);
    }
  }
  for (const line of lines) assert.match(line, / series=1000\/25002 dropped=24002 /);
  // What the watch keeps for its view: no rows beyond each key metric's first series.
  const kept = history.items as MetricsSample[];
  assert.equal(kept.length, 6);
  for (const h of kept) {
    const s = ok(h);
    assert.equal(s.series.length, 0);
    assert.ok(s.keys.every((k) => k.series.length <= 1), JSON.stringify(s.keys.map((k) => k.series.length)));
  }
  const view = w.watcher.view([...history.items]);
  assert.match(view, /series: 1000 of 25002 kept, 24002 dropped \(the limit is 1000 per scrape: --max-series, thresholds\.metrics-max-series\)/);
});

test('the default limit is thresholds.metrics-max-series (10,000), and the view keeps at most 120 samples', async () => {
  assert.equal(DEFAULT_MAX_SERIES, 10_000);
  const { url, total } = await manySeries(12_000);
  const w = watcherFor(url);
  const s = ok((await w.watcher.sample()) as MetricsSample);
  assert.equal(s.series.length, 10_000);
  assert.equal(s.seriesDropped, total - 10_000);
  const history = new History<number>();
  for (let i = 0; i < 130; i++) history.push(i);
  assert.equal(history.items.length, 120);
  assert.equal(history.items[0], 10);
});

test('an endpoint under the limit: nothing dropped, nothing said', async () => {
  const { url, total } = await manySeries(10);
  const w = watcherFor(url);
  const a = ok((await w.watcher.sample()) as MetricsSample);
  await sleep(5);
  const b = ok((await w.watcher.sample()) as MetricsSample);
  for (const s of [a, b]) {
    assert.equal(s.series.length, total);
    assert.equal(s.seriesDropped, 0);
    assert.doesNotMatch(w.watcher.line(s), /dropped/);
  }
});

test('metrics (one shot) over 25,000 series: at most --max-series summarised, the key metrics among them, the rest said to be dropped', async () => {
  const { url, total } = await manySeries(25_000);
  const out: string[] = [];
  assert.equal(await runMetrics([url, '--no-grpc', '--max-series', '100', '--json'], io(out)), 0);
  const j = JSON.parse(out.join('')) as { metrics: unknown[]; series: { total: number; dropped: number; limit: number }; key: Record<string, { family: string } | null> };
  assert.equal(j.metrics.length, 100);
  assert.deepEqual(j.series, { total, dropped: total - 100, limit: 100 });
  assert.equal(j.key.tokenize?.family, 'tokenize_ms');
  assert.equal(j.key.queueDepth?.family, 'queue_depth');
  const text: string[] = [];
  assert.equal(await runMetrics([url, '--no-grpc', '--max-series', '100', '--all'], io(text)), 0);
  const t = text.join('');
  assert.match(t, / · 25,002 series, 100 summarised\n/);
  assert.match(t, /tokenize time\s+tokenize_ms\s+histogram/);
  assert.match(t, /Other metrics \(98 series\)/);
  assert.match(t, /… 24902 more series not summarised: over the limit of 100 series per scrape \(--max-series, thresholds\.metrics-max-series\)/);
  assert.equal(t.split('\n').length < 120, true, 'about 100 series listed, even with --all');
});

test('--max-series that is not a count is a usage error naming the flag', async () => {
  await assert.rejects(() => runMetrics(['http://127.0.0.1:1/metrics', '--no-grpc', '--max-series', '0'], io()), /--max-series "0" is not a series count: expected an integer from 1 to 10000000/);
});

test('a 10 MB label value: text output cuts it and says its length; JSON keeps a prefix and the length', async () => {
  const big = 'x'.repeat(10 * 1024 * 1024);
  const url = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(`# TYPE requests counter\nrequests_total{path="${big}",code="200"} 5\n# TYPE queue_depth gauge\nqueue_depth{path="${big}"} 3\n`);
  });
  const text: string[] = [];
  assert.equal(await runMetrics([url, '--no-grpc', '--max-bytes', String(32 * 1024 * 1024)], io(text)), 0);
  const t = text.join('');
  assert.ok(t.length < 4000, `the whole output is ${t.length} characters`);
  assert.match(t, new RegExp(`requests\\{path="x{64}…\\(10485760 chars\\)",code="200"\\}\\s+counter\\s+5`));
  assert.match(t, new RegExp(`queue depth\\s+queue_depth\\{path="x{64}…\\(10485760 chars\\)"\\}\\s+gauge\\s+3`));
  const out: string[] = [];
  assert.equal(await runMetrics([url, '--no-grpc', '--max-bytes', String(32 * 1024 * 1024), '--json'], io(out)), 0);
  assert.ok(out.join('').length < 8000, `JSON is ${out.join('').length} characters`);
  const j = JSON.parse(out.join('')) as { metrics: Array<{ family: string; labels: Record<string, string>; labelLengths?: Record<string, number> }> };
  const r = j.metrics.find((m) => m.family === 'requests')!;
  assert.equal(r.labels.path, 'x'.repeat(256));
  assert.equal(r.labels.code, '200');
  assert.deepEqual(r.labelLengths, { path: 10485760 });
  // watch metrics: its line is cut the same way, its record keeps the prefix and the length.
  const w = watcherFor(url, { 'max-bytes': String(32 * 1024 * 1024) });
  const s = ok((await w.watcher.sample()) as MetricsSample);
  const line = w.watcher.line(s);
  assert.ok(line.length < 500, line.slice(0, 300));
  assert.match(line, /queue_depth\{path="x{64}…\(10485760 chars\)"\}=3/);
  const recorded = JSON.stringify(w.watcher.record(s));
  assert.ok(recorded.length < 4000, `the record is ${recorded.length} characters`);
});

test('duplicate series: the first kept, the rest dropped and reported by metrics and watch metrics, with their lines', async () => {
  const url = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end('# TYPE queue_depth gauge\nqueue_depth 4\nqueue_depth 9\n# TYPE tokenize_ms histogram\ntokenize_ms_bucket{le="5"} 1\ntokenize_ms_bucket{le="5"} 1\ntokenize_ms_bucket{le="+Inf"} 2\ntokenize_ms_count 2\ntokenize_ms_sum 7\n');
  });
  const text: string[] = [];
  assert.equal(await runMetrics([url, '--no-grpc'], io(text)), 0);
  const t = text.join('');
  assert.match(t, /2 duplicate samples dropped, the first of each series kept \(as Prometheus does\): line 3: duplicate sample for queue_depth \(first at line 2\): dropped, the first is kept; line 6: duplicate sample for tokenize_ms_bucket\{le="5"\} \(first at line 5\)/);
  assert.match(t, /queue depth\s+queue_depth\s+gauge\s+4\n/);
  // The bucket is not added twice: one of two observations ≤ 5 ms, so p50 is 5 ms, not 3.75.
  assert.match(t, /tokenize_ms\s+histogram\s+count 2\s+mean 3\.50 ms\s+p50 5\.00 ms/);
  const out: string[] = [];
  assert.equal(await runMetrics([url, '--no-grpc', '--json'], io(out)), 0);
  const j = JSON.parse(out.join('')) as { duplicates: { count: number; first: Array<{ line: number; firstLine: number; series: string }> } };
  assert.deepEqual(j.duplicates, { count: 2, first: [{ line: 3, firstLine: 2, series: 'queue_depth' }, { line: 6, firstLine: 5, series: 'tokenize_ms_bucket{le="5"}' }] });
  const w = watcherFor(url);
  const s = ok((await w.watcher.sample()) as MetricsSample);
  assert.equal(s.duplicates?.count, 2);
  assert.match(w.watcher.line(s), / duplicates=2 /);
  assert.match(w.watcher.view([w.watcher.retain(s)]), /2 duplicate samples dropped/);
});
