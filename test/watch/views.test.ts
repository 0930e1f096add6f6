// The watch renderers: lines and live views from sample histories (pure).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MetricsSample } from '../../src/model/metrics-sample.js';
import { metricsLine, metricsView } from '../../src/render/watch-metrics.js';
import { makeStyle } from '../../src/render/style.js';
import type { IntervalSummary } from '../../src/model/metrics-summary.js';

const tok = (p95: number, reset = false): IntervalSummary => ({ family: 'tokenize_ms', type: 'histogram', labels: {}, unit: 'ms', seconds: 2, isNew: false, reset, count: 10, sum: p95 * 5, mean: p95 / 2, rate: 5, p50: p95 / 2, p95, p99: p95 });
const sample = (p95: number, t: string, extra: Partial<Extract<MetricsSample, { ok: true }>> = {}): MetricsSample => ({
  ok: true,
  t,
  url: 'http://127.0.0.1:8080/metrics',
  scrapeMs: 3,
  bytes: 100,
  seconds: 2,
  resets: [],
  keys: [{ key: 'tokenize', title: 'tokenize time', family: 'tokenize_ms', series: [tok(p95)] }],
  series: [tok(p95)],
  ...extra,
});
const gap: MetricsSample = { ok: false, t: '2026-11-26T10:00:06.000Z', url: 'http://127.0.0.1:8080/metrics', kind: 'refused', message: 'connection refused: nothing listens on 127.0.0.1:8080', line: null };

test('metrics lines: interval values in ms, resets, gaps', () => {
  assert.equal(metricsLine(sample(40, '2026-11-26T10:00:02.000Z')), '2026-11-26T10:00:02.000Z metrics ok scrape=3ms tokenize_ms.rate=5.00/s tokenize_ms.count=10 tokenize_ms.mean=20.00ms tokenize_ms.p95=40.00ms');
  assert.match(metricsLine(sample(40, 't', { resets: ['requests'] })), / reset=requests /);
  assert.equal(metricsLine(gap), '2026-11-26T10:00:06.000Z metrics GAP refused "connection refused: nothing listens on 127.0.0.1:8080"');
});

test('metrics live view: sparkline of p95 with a gap, the failure said, colour off', () => {
  const h = [sample(10, 'a'), sample(20, 'b'), gap, sample(80, 'c'), gap];
  const v = metricsView(h, { style: makeStyle(false), width: 120, intervalMs: 2000, url: 'http://127.0.0.1:8080/metrics' });
  assert.match(v, /5 samples/);
  assert.match(v, /last sample failed \(refused\): connection refused.*still watching/);
  assert.match(v, /tokenize time\s+tokenize_ms\s+5\.0\/s mean 40\.0 ms p95 80\.0 ms\s+▁▂ █ $/m, v);
  assert.equal(v.includes('\u001b['), false, 'no escapes without colour');
});
