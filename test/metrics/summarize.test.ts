import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Exposition } from '../../src/model/metrics.js';
import { histogramQuantile, type Bucket } from '../../src/metrics/histogram-quantile.js';
import { intervalRows, intervalSummaries } from '../../src/metrics/interval-summary.js';
import { selectSeries, seriesTable } from '../../src/metrics/select.js';
import { KEY_METRICS, recognize } from '../../src/metrics/key-metrics.js';
import { summarizeFamilies } from '../../src/metrics/snapshot-summary.js';
import type { IntervalSummary, MetricSummary } from '../../src/model/metrics-summary.js';
import { unitOf } from '../../src/metrics/units.js';
import { parseExposition } from '../../src/os/any/prom-text.js';
import { fixture } from '../helpers/paths.js';

const cap = (name: string) => readFileSync(fixture('metrics', name), 'utf8');
const prom = (text: string) => parseExposition(text, 'prometheus-0.0.4');
const om = (text: string) => parseExposition(text, 'openmetrics-1.0.0');

function near(actual: number | undefined, want: number, what: string): void {
  assert.ok(actual !== undefined, `${what}: missing`);
  if (!Number.isFinite(want)) {
    assert.ok(Object.is(actual, want), `${what}: ${actual} should be ${want}`);
    return;
  }
  assert.ok(Math.abs(actual - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${what}: ${actual} should be ${want}`);
}

/** Buckets from `le:count` pairs; `+Inf` spelled as in the exposition. */
function bk(spec: string): Bucket[] {
  return spec.split(' ').map((pair) => {
    const [le, count] = pair.split(':');
    return { le: le === '+Inf' ? Infinity : Number(le), count: Number(count) };
  });
}

// ---------------------------------------------------------------------------------------------
// histogram_quantile, against prometheus/prometheus promql/promqltest/testdata/histograms.test.
// There the series are loaded as `0+Nx10` at 5m steps and evaluated "at 50m", so each bucket
// holds 10·N; the expected values below are copied from the `eval` lines.

test('histogram_quantile: testhistogram, positive and negative lowest buckets', () => {
  const positive = bk('0.1:50 .2:70 1e0:110 +Inf:120');
  const negative = bk('-.2:10 -0.1:20 0.3:20 +Inf:30');
  const cases: Array<[number, number, number]> = [
    // q, positive, negative
    [0, 0, -0.2], // "Quantile value in lowest bucket."
    [1, 1, 0.3], // "Quantile value in highest bucket."
    [0.2, 0.048, -0.2],
    [0.5, 0.15, -0.15],
    [0.8, 0.72, 0.3],
  ];
  for (const [q, p, n] of cases) {
    near(histogramQuantile(q, positive), p, `positive q=${q}`);
    near(histogramQuantile(q, negative), n, `negative q=${q}`);
  }
  // "Quantile too low / too high / invalid."
  assert.equal(histogramQuantile(-0.1, positive), -Infinity);
  assert.equal(histogramQuantile(1.01, positive), Infinity);
  assert.ok(Number.isNaN(histogramQuantile(NaN, positive)), 'q NaN → NaN');
});

test('histogram_quantile: testhistogram3 (a 0 bucket and an empty +Inf bucket)', () => {
  const positive = bk('0:0 0.1:50 .2:70 1e0:110 +Inf:110');
  const negative = bk('-.25:0 -.2:10 -0.1:20 0.3:20 +Inf:20');
  const cases: Array<[number, number, number]> = [
    [0, 0, -0.25],
    [0.25, 0.055, -0.225],
    [0.5, 0.125, -0.2],
    [0.75, 0.45, -0.15],
    [1, 1, -0.1],
  ];
  for (const [q, p, n] of cases) {
    near(histogramQuantile(q, positive), p, `positive q=${q}`);
    near(histogramQuantile(q, negative), n, `negative q=${q}`);
  }
});

test('histogram_quantile: testhistogram2, results in the middle of a bucket', () => {
  // At 7m the value is the one loaded at 5m: 0+1x10 → 1 per step.
  const h = bk('0:0 2:1 4:2 6:3 +Inf:3');
  near(histogramQuantile(1 / 6, h), 1, 'q=1/6');
  near(histogramQuantile(0.5, h), 3, 'q=0.5');
  near(histogramQuantile(5 / 6, h), 5, 'q=5/6');
});

test('histogram_quantile: aggregated request_duration_seconds (sum by le)', () => {
  // sum(rate(request_duration_seconds_bucket[10m])) by (le): rates are proportional to the counts.
  const all = bk('0.1:100 0.2:190 +Inf:250');
  near(histogramQuantile(0.3, all), 0.075, 'q=0.3');
  near(histogramQuantile(0.5, all), 0.1277777777777778, 'q=0.5');
  // by (le, job): job1 = ins1+ins2, job2 = ins1+ins2.
  const job1 = bk('0.1:30 0.2:80 +Inf:100');
  const job2 = bk('0.1:70 0.2:110 +Inf:150');
  near(histogramQuantile(0.3, job1), 0.1, 'job1 q=0.3');
  near(histogramQuantile(0.3, job2), 0.0642857142857143, 'job2 q=0.3');
  near(histogramQuantile(0.5, job1), 0.14, 'job1 q=0.5');
  near(histogramQuantile(0.5, job2), 0.1125, 'job2 q=0.5');
});

test('histogram_quantile: non-monotonic buckets are made monotonic first', () => {
  const h = bk('0.1:20 1:10 10:50 100:40 1000:90 +Inf:80');
  near(histogramQuantile(0.01, h), 0.0045, 'q=0.01');
  near(histogramQuantile(0.5, h), 8.5, 'q=0.5');
  near(histogramQuantile(0.99, h), 979.75, 'q=0.99');
});

test('histogram_quantile: the same bound written differently is one bucket; unsorted input is sorted', () => {
  // mixed_bucket ins1: le 0.1, 0.2, 2e-1, 2.0e-1 all parse to 0.2 and are coalesced.
  const ins1 = bk('0.1:10 0.2:10 0.2:10 0.2:10 +Inf:40');
  near(histogramQuantile(0.5, ins1), 0.15, 'q=0.5');
  near(histogramQuantile(0.75, ins1), 0.2, 'q=0.75');
  near(histogramQuantile(1, ins1), 0.2, 'q=1');
  // ins2: `+inf` and `+Inf`, both zero: one bucket, so NaN.
  assert.ok(Number.isNaN(histogramQuantile(0.5, bk('+Inf:0 +Inf:0'))), 'a single coalesced bucket → NaN');
  near(histogramQuantile(0.5, bk('+Inf:120 1e0:110 0.1:50 .2:70')), 0.15, 'unsorted');
});

test('histogram_quantile: NaN without observations, without a +Inf bucket, without buckets', () => {
  assert.ok(Number.isNaN(histogramQuantile(0.2, bk('0.1:0 0.2:0 +Inf:0'))), 'empty_bucket → NaN');
  assert.ok(Number.isNaN(histogramQuantile(1, bk('0.0:0 1.0:0 2.0:0 +Inf:0'))), 'const_histogram rate → NaN');
  assert.ok(Number.isNaN(histogramQuantile(0.5, bk('0.1:1 0.2:2'))), 'no +Inf bucket → NaN');
  assert.ok(Number.isNaN(histogramQuantile(0.5, [])), 'no buckets → NaN');
  assert.equal(histogramQuantile(-1, []), -Infinity, 'q is checked first, as in bucketQuantile');
});

test('histogram_quantile: float noise between neighbours is not taken for a bucket of its own', () => {
  // correctPrecisionErrors: 10 and 10.000000000000002 differ by far less than 1e-12 relative.
  const h = bk('1:10 2:10.000000000000002 3:20 +Inf:20');
  near(histogramQuantile(0.5, h), 1, 'rank 10 ends in the first bucket');
});

// ---------------------------------------------------------------------------------------------
// Units

test('unitOf: from the name, after sample suffixes; OpenMetrics UNIT first', () => {
  const cases: Array<[string, string | null, string | null, number | undefined]> = [
    ['tokenize_ms', null, 'ms', 1],
    ['tokenize_ms_bucket', null, 'ms', 1],
    ['tokenize_milliseconds_sum', null, 'ms', 1],
    ['request_latency_seconds', null, 's', 1000],
    ['request_latency_seconds_count', null, 's', 1000],
    ['cpu_seconds_total', null, 's', 1000],
    ['ts_inference_latency_microseconds', null, 'us', 0.001],
    ['nv_inference_request_duration_us', null, 'us', 0.001],
    ['gpu_memory_used_bytes', null, 'bytes', undefined],
    ['bytes_sent_bytes_total', null, 'bytes', undefined],
    ['cache_hit_ratio', null, 'ratio', undefined],
    ['gpu_util_percent', null, 'percent', undefined],
    ['vllm:gpu_cache_usage_perc', null, 'percent', undefined],
    ['DCGM_FI_DEV_FB_USED', null, 'mib', undefined],
    ['inference_queue_depth', null, null, undefined],
    ['model_workers', null, null, undefined],
    ['build_info', null, null, undefined],
    ['mps_allocated_memory_bytes', 'bytes', 'bytes', undefined],
    ['odd_name', 'seconds', 's', 1000],
    ['odd_name', 'widgets', null, undefined],
  ];
  for (const [name, field, unit, scaleToMs] of cases) {
    const u = unitOf(name, field);
    assert.equal(u.unit, unit, `${name} (${field})`);
    assert.equal(u.scaleToMs, scaleToMs, `${name} scaleToMs`);
  }
  assert.equal(unitOf('DCGM_FI_DEV_FB_USED', null).scaleToBytes, 1024 * 1024);
  assert.equal(unitOf('x_bytes', null).scaleToBytes, 1);
});

// ---------------------------------------------------------------------------------------------
// summarizeFamilies

function find(list: MetricSummary[], family: string, labels: Record<string, string> = {}): MetricSummary {
  const m = list.find((s) => s.family === family && JSON.stringify(s.labels) === JSON.stringify(labels));
  assert.ok(m, `summary for ${family} ${JSON.stringify(labels)}; have ${list.map((s) => s.family + JSON.stringify(s.labels)).join(' ')}`);
  return m;
}

test('summarizeFamilies: histogram count, sum, mean and quantiles from the python capture', () => {
  for (const e of [prom(cap('python-0.0.4.prom')), om(cap('python-openmetrics.txt'))]) {
    const list = summarizeFamilies(e);
    const tok = find(list, 'tokenize_ms', { model: 'bert-base' });
    assert.equal(tok.type, 'histogram');
    assert.equal(tok.unit, 'ms');
    assert.equal(tok.count, 9);
    near(tok.sum, 375.3, 'sum');
    near(tok.mean, 375.3 / 9, 'mean');
    // rank 4.5 falls in (2.5, 5] holding observations 4..5: 2.5 + 2.5 · 1.5/2.
    near(tok.p50, 4.375, 'p50');
    // rank 8.55 is past the 100 bucket (8): in +Inf, so the second-highest bound.
    near(tok.p95, 100, 'p95');
    near(tok.p99, 100, 'p99');
    const idle = find(list, 'tokenize_ms', { model: 'gpt2' });
    assert.equal(idle.count, 0);
    assert.equal(idle.mean, undefined, 'no mean without observations');
    assert.equal(idle.p50, undefined, 'no quantile without observations');
    const lat = find(list, 'request_latency_seconds');
    assert.equal(lat.unit, 's');
    assert.equal(lat.count, 7);
    // rank 3.5: the 0.05 bucket holds 3, the 0.1 bucket 4, so (0.05, 0.1] at 0.5/1 of its width.
    near(lat.p50, 0.075, 'latency p50');
  }
});

test('summarizeFamilies: counters, gauges, info, stateset, untyped from the python capture', () => {
  const e = om(cap('python-openmetrics.txt'));
  const list = summarizeFamilies(e);
  const ok = find(list, 'grpc_requests', { code: 'OK', method: '/infer.Predict/Run' });
  assert.equal(ok.type, 'counter');
  assert.equal(ok.value, 41, '_total, not _created');
  assert.equal(find(list, 'inference_queue_depth').value, 7);
  assert.equal(find(list, 'model_workers').value, 4);
  const mps = find(list, 'mps_allocated_memory_bytes');
  assert.equal(mps.value, 536870912);
  assert.equal(mps.unit, 'bytes');
  assert.equal(find(list, 'build', { commit: 'deadbeef', version: '1.2.3' }).value, 1);
  assert.equal(find(list, 'server_state', { server_state: 'serving' }).value, 1);
  assert.equal(find(list, 'legacy_worker_restarts', { pool: 'default' }).value, 3);
  assert.ok(Number.isNaN(find(list, 'special_values', { kind: 'nan' }).value!), 'NaN kept');
  const gh = find(list, 'inflight_request_age_seconds');
  assert.equal(gh.type, 'gaugehistogram');
  assert.equal(gh.count, 6);
  near(gh.sum, 4.25, 'gsum');
  // One sample per series: python 0.0.4's batch_size is a summary without quantiles.
  const bs = find(summarizeFamilies(prom(cap('python-0.0.4.prom'))), 'batch_size');
  assert.deepEqual(bs, { family: 'batch_size', type: 'summary', labels: {}, unit: null, count: 4, sum: 15, mean: 3.75 });
});

test('summarizeFamilies: summary quantiles from prom-client; p95 absent when not exported', () => {
  const list = summarizeFamilies(prom(cap('node-prom-client.prom')));
  const bs = find(list, 'batch_size');
  assert.deepEqual(bs, { family: 'batch_size', type: 'summary', labels: {}, unit: null, count: 4, sum: 15, mean: 3.75, p50: 3, p99: 8 });
  assert.equal(find(list, 'grpc_requests_total', { method: '/infer.Predict/Run', code: 'UNAVAILABLE' }).value, 2);
  near(find(list, 'tokenize_ms', { model: 'bert-base' }).p50, 4.375, 'same p50 as from python');
});

// ---------------------------------------------------------------------------------------------
// intervalSummaries

function one(list: IntervalSummary[], family: string, labels: Record<string, string> = {}): IntervalSummary {
  const m = list.find((s) => s.family === family && JSON.stringify(s.labels) === JSON.stringify(labels));
  assert.ok(m, `interval for ${family} ${JSON.stringify(labels)}`);
  return m;
}

function histogramText(name: string, buckets: Array<[string, number]>, sum: number): string {
  const lines = [`# TYPE ${name} histogram`];
  for (const [le, c] of buckets) lines.push(`${name}_bucket{le="${le}"} ${c}`);
  lines.push(`${name}_count ${buckets[buckets.length - 1]![1]}`, `${name}_sum ${sum}`);
  return lines.join('\n') + '\n';
}

test('interval: a histogram p95 from the bucket deltas, not from the cumulative counts', () => {
  // 1000 fast tokenizations (≤ 1 ms) first; then, in the interval, 100 slow ones (10–50 ms).
  const prev = prom(histogramText('tokenize_ms', [['1', 1000], ['10', 1000], ['50', 1000], ['+Inf', 1000]], 500));
  const cur = prom(histogramText('tokenize_ms', [['1', 1000], ['10', 1000], ['50', 1100], ['+Inf', 1100]], 500 + 100 * 30));
  const cumulative = find(summarizeFamilies(cur), 'tokenize_ms');
  // Cumulative: rank 1045 of 1100 lands in (10, 50]: the spike is diluted to 10 + 40·45/100.
  near(cumulative.p95, 28, 'cumulative p95');
  const iv = one(intervalSummaries(prev, cur, 10), 'tokenize_ms');
  assert.equal(iv.reset, false);
  assert.equal(iv.isNew, false);
  assert.equal(iv.count, 100);
  near(iv.sum, 3000, 'interval sum');
  near(iv.mean, 30, 'interval mean = Δsum/Δcount');
  near(iv.rate, 10, 'observations per second');
  // Interval: all 100 observations are in (10, 50]; rank 95 → 10 + 40·95/100.
  near(iv.p95, 48, 'interval p95');
  near(iv.p50, 30, 'interval p50');
  assert.equal(iv.unit, 'ms');
});

test('interval: an idle histogram has no mean or quantiles, and a zero rate', () => {
  const text = histogramText('h', [['1', 5], ['+Inf', 5]], 2);
  const iv = one(intervalSummaries(prom(text), prom(text), 5), 'h');
  assert.equal(iv.count, 0);
  assert.equal(iv.rate, 0);
  assert.equal(iv.mean, undefined);
  assert.equal(iv.p95, undefined);
});

test('interval: a counter reset gives a non-negative rate from the current value, and reset: true', () => {
  const prev = prom('# TYPE requests_total counter\nrequests_total{code="OK"} 1000\nrequests_total{code="ERR"} 10\n');
  const cur = prom('# TYPE requests_total counter\nrequests_total{code="OK"} 30\nrequests_total{code="ERR"} 14\n');
  const list = intervalSummaries(prev, cur, 10);
  const restarted = one(list, 'requests_total', { code: 'OK' });
  assert.equal(restarted.reset, true);
  assert.equal(restarted.delta, 30);
  assert.equal(restarted.rate, 3);
  const steady = one(list, 'requests_total', { code: 'ERR' });
  assert.equal(steady.reset, false);
  assert.equal(steady.delta, 4);
  near(steady.rate, 0.4, 'rate');
});

test('interval: a restart seen through _created even when the counter grew past its old value', () => {
  const prev = om('# TYPE r counter\nr_total 10\nr_created 1700000000\n# EOF\n');
  const cur = om('# TYPE r counter\nr_total 50\nr_created 1700000100\n# EOF\n');
  const iv = one(intervalSummaries(prev, cur, 100), 'r');
  assert.equal(iv.reset, true);
  assert.equal(iv.delta, 50);
  near(iv.rate, 0.5, 'rate');
});

test('0.0.4: prometheus_client\'s _created gauges are folded into their families', () => {
  const list = summarizeFamilies(prom(cap('python-0.0.4.prom')));
  assert.deepEqual(
    list.filter((m) => m.family.endsWith('_created')).map((m) => m.family),
    [],
  );
  // A restart seen through the folded gauge: the counter grew, but its series was created again.
  const text = (value: number, created: number) =>
    `# TYPE r_total counter\nr_total{a="b"} ${value}\n# TYPE r_created gauge\nr_created{a="b"} ${created}\n`;
  const iv = intervalSummaries(prom(text(10, 1700000000)), prom(text(50, 1700000100)), 100);
  assert.deepEqual(
    iv.map((s) => [s.family, s.reset, s.delta]),
    [['r_total', true, 50]],
  );
  const steady = intervalSummaries(prom(text(10, 1700000000)), prom(text(50, 1700000000)), 100);
  assert.deepEqual(
    steady.map((s) => [s.family, s.reset, s.delta]),
    [['r_total', false, 40]],
  );
});

test('interval: a series new after a restart counts from zero', () => {
  const prev = prom('# TYPE requests_total counter\nrequests_total{code="OK"} 10\n' + histogramText('tokenize_ms', [['1', 3], ['+Inf', 3]], 1));
  const cur = prom(
    '# TYPE requests_total counter\nrequests_total{code="OK"} 12\nrequests_total{code="UNAVAILABLE"} 6\n' +
      histogramText('tokenize_ms', [['1', 4], ['+Inf', 4]], 1.5) +
      '# TYPE inference_queue_depth gauge\ninference_queue_depth 3\n',
  );
  const list = intervalSummaries(prev, cur, 2);
  const fresh = one(list, 'requests_total', { code: 'UNAVAILABLE' });
  assert.equal(fresh.isNew, true);
  assert.equal(fresh.reset, false);
  assert.equal(fresh.delta, 6);
  assert.equal(fresh.rate, 3);
  const gauge = one(list, 'inference_queue_depth');
  assert.equal(gauge.isNew, true);
  assert.equal(gauge.value, 3);
  assert.equal(gauge.delta, undefined, 'no change to report for a gauge seen once');
  // Restarted server: every series is new relative to an empty earlier scrape.
  const afterRestart = intervalSummaries(prom(''), cur, 2);
  for (const s of afterRestart) assert.equal(s.isNew, true, `${s.family} new`);
  const tok = one(afterRestart, 'tokenize_ms');
  assert.equal(tok.count, 4);
  assert.ok(tok.count! >= 0 && (tok.rate ?? 0) >= 0, 'never negative');
});

test('interval: a histogram reset (count or a bucket went down) uses the current values', () => {
  const prev = prom(histogramText('h', [['1', 50], ['10', 90], ['+Inf', 100]], 300));
  const cur = prom(histogramText('h', [['1', 1], ['10', 4], ['+Inf', 4]], 9));
  const iv = one(intervalSummaries(prev, cur, 10), 'h');
  assert.equal(iv.reset, true);
  assert.equal(iv.count, 4);
  near(iv.sum, 9, 'sum');
  near(iv.p50, 1 + 9 * (1 / 3), 'p50 of the current buckets');
  // One bucket went down while the count grew (a restart followed by a burst): still a reset.
  const cur2 = prom(histogramText('h', [['1', 40], ['10', 150], ['+Inf', 160]], 400));
  assert.equal(one(intervalSummaries(prev, cur2, 10), 'h').reset, true);
  // Bucket layout changed (the server was redeployed with new buckets): a reset, not a diff.
  const cur3 = prom(histogramText('h', [['1', 60], ['5', 95], ['10', 100], ['+Inf', 110]], 350));
  assert.equal(one(intervalSummaries(prev, cur3, 10), 'h').reset, true);
});

test('interval: gauges report value and change; summaries their interval count and the server quantiles', () => {
  const prev = prom('# TYPE q gauge\nq 7\n# TYPE s summary\ns{quantile="0.5"} 2\ns{quantile="0.99"} 9\ns_sum 100\ns_count 50\n');
  const cur = prom('# TYPE q gauge\nq 4\n# TYPE s summary\ns{quantile="0.5"} 3\ns{quantile="0.99"} 12\ns_sum 160\ns_count 60\n');
  const list = intervalSummaries(prev, cur, 10);
  const q = one(list, 'q');
  assert.equal(q.value, 4);
  assert.equal(q.delta, -3, 'a gauge may go down: no reset');
  assert.equal(q.reset, false);
  const s = one(list, 's');
  assert.equal(s.count, 10);
  assert.equal(s.sum, 60);
  assert.equal(s.mean, 6);
  assert.equal(s.rate, 1);
  assert.equal(s.p50, 3);
  assert.equal(s.p99, 12);
  assert.equal(s.serverQuantiles, true, 'the quantiles are the server\'s, not the interval\'s');
});

test('interval: a summary whose count went down is a reset', () => {
  const a = prom('# TYPE s summary\ns_sum 160\ns_count 60\n');
  const b = prom('# TYPE s summary\ns_sum 10\ns_count 5\n');
  const iv = one(intervalSummaries(a, b, 5), 's');
  assert.equal(iv.reset, true);
  assert.equal(iv.count, 5);
  assert.equal(iv.serverQuantiles, undefined, 'no quantiles exported, no flag');
});

test('interval: a family whose type changed between scrapes is new', () => {
  const iv = one(intervalSummaries(prom('# TYPE x gauge\nx 5\n'), prom('# TYPE x counter\nx 2\n'), 1), 'x');
  assert.equal(iv.isNew, true);
  assert.equal(iv.delta, 2);
});

test('interval: the captured fixtures between 0.0.4 and OpenMetrics agree with themselves (zero interval)', () => {
  const e: Exposition = om(cap('python-openmetrics.txt'));
  const list = intervalSummaries(e, e, 15);
  const ok = one(list, 'grpc_requests', { code: 'OK', method: '/infer.Predict/Run' });
  assert.equal(ok.rate, 0);
  assert.equal(ok.reset, false);
  assert.equal(one(list, 'tokenize_ms', { model: 'bert-base' }).count, 0);
});

// ---------------------------------------------------------------------------------------------
// Key metrics

test('recognize: the captured servers', () => {
  for (const e of [om(cap('python-openmetrics.txt')), prom(cap('python-0.0.4.prom')), prom(cap('node-prom-client.prom'))]) {
    const r = recognize(e.families);
    assert.deepEqual(r.get('tokenize'), ['tokenize_ms']);
    assert.deepEqual(r.get('requestLatency'), ['request_latency_seconds'], '_created gauges are skipped');
    assert.deepEqual(r.get('queueDepth'), ['inference_queue_depth']);
    assert.deepEqual(r.get('workerCount'), ['model_workers']);
    assert.equal(r.get('gpuMemory')![0], 'gpu_memory_used_bytes');
  }
  assert.deepEqual(recognize(om(cap('python-openmetrics.txt')).families).get('gpuMemory'), ['gpu_memory_used_bytes', 'mps_allocated_memory_bytes']);
});

test('recognize: common names from other servers, best match first', () => {
  const names: Array<[string, string]> = [
    ['vllm:num_requests_waiting', 'gauge'],
    ['vllm:e2e_request_latency_seconds', 'histogram'],
    ['nv_inference_queue_duration_us', 'counter'],
    ['nv_inference_request_duration_us', 'counter'],
    ['nv_inference_pending_request_count', 'gauge'],
    ['nv_gpu_memory_total_bytes', 'gauge'],
    ['nv_gpu_memory_used_bytes', 'gauge'],
    ['DCGM_FI_DEV_FB_USED', 'gauge'],
    ['tgi_queue_size', 'gauge'],
    ['grpc_server_handling_seconds', 'histogram'],
    ['tokenizer_threads', 'gauge'],
    ['tokenization_seconds', 'summary'],
    ['num_workers', 'gauge'],
    ['worker_restarts_total', 'counter'],
    ['torch_cuda_memory_allocated_bytes', 'gauge'],
  ];
  const families = names.map(([name, type]) => ({ name, type: type as 'gauge', help: null, unit: null, samples: [{ name, labels: {}, value: 1, timestampMs: null, exemplar: null, line: 1 }] }));
  const r = recognize(families);
  assert.deepEqual(r.get('tokenize'), ['tokenization_seconds'], 'threads are not a time');
  assert.deepEqual(r.get('requestLatency'), ['vllm:e2e_request_latency_seconds', 'nv_inference_request_duration_us', 'grpc_server_handling_seconds'], 'queue duration is not request latency');
  assert.deepEqual(r.get('queueDepth'), ['tgi_queue_size', 'nv_inference_pending_request_count', 'vllm:num_requests_waiting'], 'in the order of the patterns');
  assert.deepEqual(r.get('workerCount'), ['num_workers']);
  assert.deepEqual(r.get('gpuMemory'), ['nv_gpu_memory_used_bytes', 'nv_gpu_memory_total_bytes', 'torch_cuda_memory_allocated_bytes', 'DCGM_FI_DEV_FB_USED']);
});

test('recognize: overrides replace a key\'s patterns; every key is present; bad patterns are named', () => {
  const e = prom('# TYPE prep_time_ms histogram\nprep_time_ms_bucket{le="+Inf"} 1\n# TYPE tokenize_ms gauge\ntokenize_ms 3\n# TYPE empty gauge\n');
  const r = recognize(e.families, { tokenize: ['prep_time'] });
  assert.deepEqual(r.get('tokenize'), ['prep_time_ms']);
  assert.deepEqual([...r.keys()].sort(), Object.keys(KEY_METRICS).sort());
  assert.deepEqual(r.get('queueDepth'), []);
  assert.throws(() => recognize(e.families, { queueDepth: ['('] }), /metrics\.queueDepth: invalid pattern "\("/);
});

// ---------------------------------------------------------------------------------------------
// The series limit (select.ts) and interval values across a cut

test('selectSeries: the first families first, then the exposition order, cut at the limit; every series counted', () => {
  const e = prom('# TYPE a counter\na_total{i="1"} 1\na_total{i="2"} 2\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_count 2\nh_sum 1\n# TYPE q gauge\nq 4\n');
  const all = selectSeries(e);
  assert.deepEqual([all.total, all.kept], [4, 4]);
  const cut = selectSeries(e, { limit: 2, first: ['q'] });
  assert.deepEqual([cut.total, cut.kept], [4, 2]);
  // Kept: q (first), then a's first series; listed in the exposition's order.
  assert.deepEqual(cut.families.map((f) => [f.family.name, f.series.length, f.complete]), [['a', 1, false], ['q', 1, true]]);
});

test('intervalRows across a cut: a series the earlier cut left out waits one sample; after a complete scrape a new one counts from zero', () => {
  const body = (n: number, extra = '') => `# TYPE a counter\n${Array.from({ length: n }, (_, i) => `a_total{i="${i}"} ${10 + i}`).join('\n')}\n${extra}`;
  const prevCut = seriesTable(selectSeries(prom(body(5)), { limit: 3 }));
  // The server now lists a new series first: the cut moves, a{i="2"} falls out, and the kept
  // a{i="new"} was never seen: it may be new or may only have been cut, so no row this time.
  const cur = selectSeries(prom(`# TYPE a counter\na_total{i="new"} 7\n${body(5).split('\n').slice(1).join('\n')}`), { limit: 3 });
  const { rows, notCompared } = intervalRows(prevCut, cur, 2);
  assert.equal(notCompared, 1);
  assert.deepEqual(rows.map((r) => [r.labels.i, r.delta, r.isNew]), [['0', 0, false], ['1', 0, false]]);
  // Against a complete earlier scrape the same series is new, counted from zero, as before.
  const complete = intervalRows(seriesTable(selectSeries(prom(body(5)))), cur, 2);
  assert.equal(complete.notCompared, 0);
  assert.deepEqual(complete.rows.find((r) => r.labels.i === 'new')?.delta, 7);
  assert.equal(complete.rows.find((r) => r.labels.i === 'new')?.isNew, true);
});

test('rows keep a label value cut to 256 characters, its full length in labelLengths, and the series apart by the whole value', () => {
  const long = (c: string) => 'x'.repeat(2000) + c; // long enough for the table to key it by a hash
  const prev = prom(`y{p="${long('a')}"} 1\ny{p="${long('b')}"} 5\n`);
  const cur = prom(`y{p="${long('a')}"} 2\ny{p="${long('b')}"} 9\n`);
  const list = summarizeFamilies(cur);
  assert.equal(list.length, 2);
  for (const m of list) {
    assert.equal(m.labels.p, 'x'.repeat(256));
    assert.deepEqual(m.labelLengths, { p: 2001 });
  }
  const iv = intervalSummaries(prev, cur, 1);
  assert.deepEqual(iv.map((r) => r.delta), [1, 4], 'each differenced against its own earlier value');
});
