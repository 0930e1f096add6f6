// metrics and watch metrics against real servers: Python prometheus_client (driven between
// scrapes), Node prom-client, a restarted server, and small hostile servers.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import client from 'prom-client';
import { makeContext } from '../../src/cli/context.js';
import type { MetricsSample } from '../../src/model/metrics-sample.js';
import { metricsWatcher } from '../../src/cli/commands/watch-metrics.js';
import { histogramQuantile } from '../../src/metrics/histogram-quantile.js';
import type { IntervalSummary } from '../../src/model/metrics-summary.js';
import { makeStyle } from '../../src/render/style.js';
import { cleanup, freePort, runCli } from '../helpers/live.js';
import { startMetricsServer } from '../helpers/metrics-server.js';
import { ROOT } from '../helpers/paths.js';
import { serveHttp } from '../helpers/http-server.js';

const tracked = new Set<number>();
const closers: Array<() => void> = [];
const serve = (handler: Parameters<typeof serveHttp>[0]) => serveHttp(handler, closers);
const tmp = mkdtempSync(join(tmpdir(), 'rd-metrics-'));
after(async () => {
  closers.forEach((c) => c());
  await cleanup(tracked, [...tracked]);
  rmSync(tmp, { recursive: true, force: true });
});

const io = { stdout: () => {}, stderr: () => {}, env: { ...process.env, RERUN_DOCTOR_STATE_DIR: tmp }, isTTY: false, cwd: ROOT, columns: 100 };
const BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500];

function watcherFor(url: string) {
  const ctx = makeContext({}, io);
  return metricsWatcher(ctx, url, { 'no-grpc': true }, { style: makeStyle(false), width: 100, intervalMs: 2000 }).watcher;
}

const tokenize = (s: MetricsSample) => {
  assert.ok(s.ok, `sample failed: ${JSON.stringify(s)}`);
  if (!s.ok) throw new Error('unreachable');
  const k = s.keys.find((x) => x.key === 'tokenize');
  assert.ok(k, 'tokenize_ms recognised as the tokenize time');
  return k.series[0] as IntervalSummary;
};

test('watch metrics: the interval p95 of tokenize_ms comes from the bucket deltas of what the server recorded', async () => {
  const srv = await startMetricsServer(tracked);
  const w = watcherFor(srv.url);
  await srv.send('tokenize 3 50'); // history before watching: fast tokenization
  const first = (await w.sample()) as MetricsSample;
  assert.ok(first.ok && first.seconds === null, 'the first sample shows totals');

  await srv.send('tokenize 150 10'); // a spike: 10 observations of 150 ms, all in (100, 200]
  await srv.send('tokenize 4 2');
  const second = tokenize((await w.sample()) as MetricsSample);
  // What the server recorded in this interval, bucketed as it buckets: 2 × 4 ms in (2, 5], 10 × 150 ms in (100, 200].
  const counts = BUCKETS.map((le) => (le >= 4 ? 2 : 0) + (le >= 150 ? 10 : 0));
  const expected = histogramQuantile(0.95, [...BUCKETS.map((le, i) => ({ le, count: counts[i]! })), { le: Infinity, count: 12 }]);
  assert.equal(second.count, 12);
  assert.ok(Math.abs(second.p95! - expected) < 1e-9, `interval p95 ${second.p95} vs expected ${expected}`);
  assert.ok(second.p95! > 100 && second.p95! <= 200, `p95 in the spike's bucket: ${second.p95}`);
  assert.ok(Math.abs(second.mean! - (10 * 150 + 2 * 4) / 12) < 1e-9, `interval mean ${second.mean}`);
  // The cumulative p95 (50 fast + 12 in the interval) is lower: the interval view is what shows the spike.
  const cumulative = histogramQuantile(0.95, [...BUCKETS.map((le) => ({ le, count: (le >= 3 ? 50 : 0) + (le >= 4 ? 2 : 0) + (le >= 150 ? 10 : 0) })), { le: Infinity, count: 62 }]);
  assert.ok(cumulative < second.p95!, `cumulative ${cumulative} < interval ${second.p95}`);

  const quiet = tokenize((await w.sample()) as MetricsSample);
  assert.equal(quiet.count, 0, 'nothing recorded since: an empty interval');
  await srv.stop();
});

test('a restarted server (counter reset) gives a flagged, non-negative interval', async () => {
  const port = await freePort();
  const a = await startMetricsServer(tracked, port);
  const w = watcherFor(a.url);
  await a.send('request 0.05 40');
  await w.sample();
  await a.send('request 0.05 40');
  const before = (await w.sample()) as MetricsSample;
  assert.ok(before.ok && before.resets.length === 0, JSON.stringify(before.ok && before.resets));
  await a.stop();
  const gap = (await w.sample()) as MetricsSample;
  assert.ok(!gap.ok && gap.kind === 'refused', `a gap while it is down: ${JSON.stringify(gap)}`);
  const b = await startMetricsServer(tracked, port);
  await b.send('request 0.05 3');
  const after = (await w.sample()) as MetricsSample;
  assert.ok(after.ok, JSON.stringify(after));
  if (!after.ok) return;
  assert.ok(after.resets.some((r) => r.startsWith('requests')), `reset flagged: ${after.resets.join(',')}`);
  const requests = after.series.find((x) => x.family === 'requests') as IntervalSummary;
  assert.equal(requests.reset, true);
  assert.ok(requests.rate! >= 0, `rate ${requests.rate}`);
  assert.equal(requests.delta, 3, 'the increase is what the new server counted');
  await b.stop();
});

test('watch metrics CLI: one greppable line per sample, gaps included, and --record NDJSON', async () => {
  const srv = await startMetricsServer(tracked);
  await srv.send('tokenize 7 5');
  const rec = join(tmp, 'rec.ndjson');
  const r = await runCli(['watch', 'metrics', srv.url, '--interval', '300ms', '--count', '3', '--record', rec]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^\S+Z metrics ok scrape=\d+ms first=totals tokenize_ms\.count=5 tokenize_ms\.mean=7\.00ms/);
  assert.match(lines[1]!, /metrics ok .*tokenize_ms\.rate=0\.00\/s tokenize_ms\.count=0/);
  const recorded = readFileSync(rec, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; schemaVersion?: number; ok?: boolean });
  assert.equal(recorded[0]!.type, 'header');
  assert.equal(recorded[0]!.schemaVersion, 1);
  assert.deepEqual(recorded.slice(1).map((x) => [x.type, x.ok]), [['metrics', true], ['metrics', true], ['metrics', true]]);
  await srv.stop();
  const down = await runCli(['watch', 'metrics', srv.url, '--interval', '200ms', '--count', '2']);
  assert.equal(down.code, 0, 'watching goes on and ends normally');
  const gaps = down.stdout.trim().split('\n');
  assert.equal(gaps.length, 2);
  for (const g of gaps) assert.match(g, /metrics GAP refused "connection refused: nothing listens on 127\.0\.0\.1:\d+"/);
});

test('metrics against a Node prom-client server, both formats', async () => {
  const registry = new client.Registry();
  const h = new client.Histogram({ name: 'tokenize_ms', help: 'tokenize time', buckets: BUCKETS, registers: [registry] });
  const c = new client.Counter({ name: 'requests_total', help: 'requests', labelNames: ['method'], registers: [registry] });
  new client.Gauge({ name: 'queue_depth', help: 'waiting', registers: [registry] }).set(7);
  for (let i = 0; i < 20; i++) h.observe(12);
  c.inc({ method: 'Predict' }, 5);
  const om = new client.Registry();
  om.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE as never);
  om.registerMetric(h);
  om.registerMetric(c);
  const base = await serve(async (req, res) => {
    const reg = req.url === '/om' ? om : registry;
    res.writeHead(200, { 'content-type': reg.contentType });
    res.end(await reg.metrics());
  });
  for (const path of ['/metrics', '/om']) {
    const r = await runCli(['metrics', `${base}${path}`, '--json', '--no-grpc']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { format: string; key: Record<string, { family: string; series: Array<{ count: number; mean: number; p95: number }> } | null> };
    assert.equal(j.format, path === '/om' ? 'openmetrics-1.0.0' : 'prometheus-0.0.4');
    assert.equal(j.key.tokenize!.family, 'tokenize_ms');
    assert.equal(j.key.tokenize!.series[0]!.count, 20);
    assert.equal(j.key.tokenize!.series[0]!.mean, 12);
    assert.ok(j.key.tokenize!.series[0]!.p95 > 10 && j.key.tokenize!.series[0]!.p95 <= 20, `p95 in (10, 20]: ${j.key.tokenize!.series[0]!.p95}`);
  }
  const text = await runCli(['metrics', `${base}/metrics`, '--no-grpc']);
  assert.match(text.stdout, /tokenize time\s+tokenize_ms\s+histogram\s+count 20\s+mean 12\.0 ms/);
  assert.match(text.stdout, /queue depth\s+queue_depth\s+gauge\s+7/);
});

// [name, handler, exit status, message pattern]
const hostile: Array<[string, (req: IncomingMessage, res: ServerResponse) => void, number, RegExp]> = [
  ['HTTP 500', (_q, r) => { r.writeHead(500); r.end('boom\n'); }, 4, /HTTP 500: boom/],
  ['HTTP 404', (_q, r) => { r.writeHead(404); r.end(); }, 4, /HTTP 404/],
  ['an HTML page', (_q, r) => { r.writeHead(200, { 'content-type': 'text/html' }); r.end('<!doctype html><html></html>'); }, 4, /an HTML page, not Prometheus metrics/],
  ['a JSON page', (_q, r) => { r.writeHead(200, { 'content-type': 'text/plain' }); r.end('{"status":"ok"}'); }, 4, /JSON, not Prometheus metrics/],
  ['a redirect loop', (_q, r) => { r.writeHead(302, { location: '/again' }); r.end(); }, 4, /more than 5 redirects/],
  ['a redirect to file:', (_q, r) => { r.writeHead(302, { location: 'file:///etc/passwd' }); r.end(); }, 4, /redirected to file:\/\/\/etc\/passwd, which is not an http:\/\/ URL/],
  ['a redirect to another port', (q, r) => { r.writeHead(301, { location: `http://127.0.0.1:1${q.url}` }); r.end(); }, 4, /redirected to another port, http:\/\/127\.0\.0\.1:1\/metrics \(HTTP 301 from .*only redirects within http:\/\/127\.0\.0\.1:\d+ are followed/],
  ['a malformed line', (_q, r) => { r.writeHead(200); r.end('# TYPE up gauge\nup 1\nup{job="x" 2\n'); }, 5, /line 3/],
  ['a duplicate TYPE', (_q, r) => { r.writeHead(200); r.end('# TYPE up gauge\nup 1\n# TYPE up counter\n'); }, 5, /line 3.*TYPE/i],
  ['a body over the limit', (_q, r) => { r.writeHead(200); r.end(`x ${'1'.repeat(4096)}\n`); }, 4, /larger than 2048 bytes/],
  ['corrupt gzip', (_q, r) => { r.writeHead(200, { 'content-encoding': 'gzip' }); r.end('nope'); }, 4, /gzip-encoded answer is corrupt/],
];

for (const [name, handler, code, re] of hostile) {
  test(`metrics against a hostile server: ${name} → exit ${code}, one line`, async () => {
    const base = await serve(handler);
    const r = await runCli(['metrics', `${base}/metrics`, '--no-grpc', '--max-bytes', name.includes('limit') ? '2048' : '1048576']);
    assert.equal(r.code, code, r.stdout + r.stderr);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  });
}

test('metrics against something that is not an HTTP server, and https:// on a plain HTTP port: exit 4, one line', async () => {
  const { createServer: createTcp } = await import('node:net');
  const tcp = createTcp((s) => s.once('data', () => s.end('SSH-2.0-OpenSSH_9.6\r\n')));
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  closers.push(() => tcp.close());
  const a = tcp.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  const ssh = await runCli(['metrics', `http://127.0.0.1:${port}/metrics`, '--no-grpc']);
  assert.equal(ssh.code, 4, ssh.stderr);
  assert.equal(ssh.stderr, `rerun-doctor: metrics http://127.0.0.1:${port}/metrics: 127.0.0.1:${port} answered, but not with HTTP (it sent "SSH-2.0-OpenSSH_9.6"): is this the metrics port?\n`);
  const plain = await serve((_q, r) => r.end('up 1\n'));
  const https = plain.replace('http:', 'https:');
  const tls = await runCli(['metrics', `${https}/metrics`, '--no-grpc']);
  assert.equal(tls.code, 4, tls.stderr);
  assert.equal(tls.stderr.trim().split('\n').length, 1, tls.stderr);
  assert.match(tls.stderr, new RegExp(`^rerun-doctor: metrics ${https}/metrics: 127\\.0\\.0\\.1:\\d+ does not speak TLS .*: a plain HTTP port\\? try ${plain}/metrics\n$`));
  assert.doesNotMatch(tls.stderr, /SSL routines|EPROTO/);
});

test('metrics: refused and timeout are exit 3; gzip answers are read', async () => {
  const port = await freePort();
  const refused = await runCli(['metrics', `http://127.0.0.1:${port}/metrics`, '--no-grpc']);
  assert.equal(refused.code, 3);
  assert.match(refused.stderr, /connection refused/);
  const hang = await serve(() => {});
  const t0 = Date.now();
  const timeout = await runCli(['metrics', `${hang}/metrics`, '--no-grpc', '--timeout', '300ms']);
  assert.equal(timeout.code, 3);
  assert.match(timeout.stderr, /no complete answer within 0\.3 s/);
  assert.ok(Date.now() - t0 < 5000, 'ends promptly');
  const gz = await serve((_q, r) => {
    r.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'text/plain; version=0.0.4' });
    r.end(gzipSync('# TYPE queue_depth gauge\nqueue_depth 3\n'));
  });
  const ok = await runCli(['metrics', `${gz}/metrics`, '--no-grpc']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /queue_depth\s+gauge\s+3/);
});
