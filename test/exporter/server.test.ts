// The exporter's HTTP side on a real socket (127.0.0.1, an ephemeral port) over a real collector
// on this machine's /proc: content negotiation, the paths and methods it answers, 503 before the
// first collection, and that scrapes are served from the cache (no collection per scrape).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, test } from 'node:test';
import { createCollector } from '../../src/exporter/collector.js';
import { exporterServer, listen, negotiate } from '../../src/exporter/server.js';
import { evidencePlanFor } from '../../src/evidence/plan.js';
import { createHost } from '../../src/host/host.js';

function get(port: number, path: string, o: { method?: string; accept?: string } = {}): Promise<{ status: number; type: string; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers: o.accept ? { accept: o.accept } : {}, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const host = createHost();
const plan = { ...evidencePlanFor({ metrics: false }), gpu: false };
const collector = createCollector(host, { plan, intervalMs: 3_600_000 });
const server = exporterServer(collector);
after(async () => {
  collector.stop();
  const closed = new Promise<void>((r) => server.close(() => r()));
  server.closeAllConnections();
  await closed;
});

test('negotiate: OpenMetrics only when it weighs more than the text format', () => {
  // What Prometheus 2.x sends (scrape.go, scrapeAcceptHeader).
  assert.equal(negotiate('application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'), 'openmetrics');
  assert.equal(negotiate('text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5'), 'text');
  assert.equal(negotiate('*/*'), 'text');
  assert.equal(negotiate(undefined), 'text');
  assert.equal(negotiate('application/openmetrics-text;q=0'), 'text');
  assert.equal(negotiate('application/json'), 'text');
});

test('the endpoints: 503 before the first collection, then the cached exposition', async () => {
  const addr = await listen(server, '127.0.0.1', 0);
  const early = await get(addr.port, '/metrics');
  assert.equal(early.status, 503, 'nothing collected yet');
  assert.equal(early.headers['retry-after'], '1');

  await collector.start();
  assert.equal(collector.stats().collections, 1);

  const text = await get(addr.port, '/metrics');
  assert.equal(text.status, 200);
  assert.equal(text.type, 'text/plain; version=0.0.4; charset=utf-8');
  assert.match(text.body, /^rerun_doctor_collection_success 1$/m);
  assert.match(text.body, /^rerun_doctor_census_processes \d+$/m);

  const om = await get(addr.port, '/metrics', { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' });
  assert.equal(om.type, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
  assert.ok(om.body.endsWith('# EOF\n'), 'OpenMetrics ends with # EOF');

  const page = await get(addr.port, '/');
  assert.equal(page.status, 200);
  assert.match(page.type, /^text\/html/);
  assert.match(page.body, /<a href="\/metrics">/);

  const head = await get(addr.port, '/metrics', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  assert.equal(Number(head.headers['content-length']), Buffer.byteLength(text.body), 'HEAD gives the length of what GET sends');

  assert.equal((await get(addr.port, '/metrics/x')).status, 404);
  assert.equal((await get(addr.port, '/favicon.ico')).status, 404);
  const post = await get(addr.port, '/metrics', { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers['allow'], 'GET, HEAD');

  // Fifty scrapers at once: served from the cache; not one more collection.
  const many = await Promise.all(Array.from({ length: 50 }, () => get(addr.port, '/metrics')));
  assert.ok(many.every((r) => r.status === 200 && r.body === text.body), 'every scrape gets the same cached exposition');
  assert.equal(collector.stats().collections, 1, 'a scrape never collects');
});

test('collectOnce while a collection is under way joins it instead of starting another', async () => {
  const c = createCollector(host, { plan, intervalMs: 3_600_000 });
  const [a, b] = await Promise.all([c.collectOnce(), c.collectOnce()]);
  assert.equal(a, b);
  assert.equal(c.stats().collections, 1);
});

test('a failed collection keeps the last good series and says so', async () => {
  const errors: string[] = [];
  let fail = false;
  // /proc gone: its listing fails, through the host and through the census's own pass (which
  // lists the root itself: host/proc-scan.ts).
  const gone = () => {
    throw new Error('proc went away');
  };
  const flaky = { ...host, proc: new Proxy(host.proc, { get: (t, k, r) => (fail && (k === 'readdir' || k === 'startProcScan') ? gone : Reflect.get(t, k, r)) }) };
  const c = createCollector(flaky as typeof host, { plan, intervalMs: 3_600_000, onError: (m) => errors.push(m) });
  const good = await c.collectOnce();
  assert.match(good.text, /^rerun_doctor_collection_success 1$/m);
  fail = true;
  const bad = await c.collectOnce();
  assert.ok(errors.length === 1, `one error said: ${errors.join('; ')}`);
  assert.match(bad.text, /^rerun_doctor_collection_success 0$/m);
  assert.match(bad.text, /^rerun_doctor_collection_errors_total 1$/m);
  assert.match(bad.text, /^rerun_doctor_collections_total 2$/m);
  assert.match(bad.text, /^rerun_doctor_orphans\{role="worker"\} \d+$/m, 'the last good series are still served');
  assert.equal(bad.collectedAt, good.collectedAt, 'and their time is the last good collection\'s');
});
