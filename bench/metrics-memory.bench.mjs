// npm run bench (part 3): the memory `watch metrics` keeps against an endpoint with many series.
// A child process serves BENCH_SERIES counter series (default 200,000; about 14 MiB of text, the
// values moving on every scrape) and a tokenize_ms histogram labelled with its model; this process takes BENCH_SAMPLES samples (default 8) through
// the watch's own code path (metricsWatcher: the sampler, and the History the live view keeps)
// and reports the heap still in use after a full GC, after each sample.
//
// Two ways, in the same run:
//   bounded    what watch metrics does: --max-series at its default (10,000), the history keeping
//              what the view reads (`retain`);
//   unbounded  every series kept in every sample, and every sample kept whole: what watch metrics
//              did before the limit (the baseline), here with this version's rows.
// Run with --expose-gc (the npm script does).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { metricsWatcher } = await import(`${root}dist/cli/commands/watch-metrics.js`);
const { makeContext } = await import(`${root}dist/cli/context.js`);
const { makeStyle } = await import(`${root}dist/render/style.js`);
const { History } = await import(`${root}dist/watch/history.js`);

const SERIES = Number(process.env.BENCH_SERIES ?? 200_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 8);
if (typeof globalThis.gc !== 'function') {
  console.error('metrics-memory.bench: run with node --expose-gc');
  process.exit(2);
}

// The endpoint, in a process of its own so that its memory is not counted here.
const serverCode = (series) => `
const http = require('node:http');
let n = 0;
const head = '# TYPE tokenize_ms histogram\\n';
http.createServer((q, r) => {
  n++;
  const m = '{model="meta-llama/Meta-Llama-3-8B-Instruct"';
  const parts = [head, 'tokenize_ms_bucket' + m + ',le="5"} ' + n + '\\ntokenize_ms_bucket' + m + ',le="+Inf"} ' + 2 * n + '\\ntokenize_ms_count' + m + '} ' + 2 * n + '\\ntokenize_ms_sum' + m + '} ' + 7 * n + '\\n# TYPE requests counter\\n'];
  for (let i = 0; i < ${series}; i++) parts.push('requests_total{path="/api/v1/models/model-' + i + '/infer",code="200"} ' + (n * 3 + i) + '\\n');
  r.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
  r.end(parts.join(''));
}).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n'); });`;
async function serve(series) {
  const child = spawn(process.execPath, ['-e', serverCode(series)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
  return { child, url: `http://127.0.0.1:${port}/metrics` };
}
const big = await serve(SERIES);
const url = big.url;
// The long run (issue 12: memory flat over 1,000 samples): a usual endpoint, many samples.
const LONG_SAMPLES = Number(process.env.BENCH_LONG_SAMPLES ?? 1000);
const LONG_SERIES = Number(process.env.BENCH_LONG_SERIES ?? 2000);
const small = await serve(LONG_SERIES);

const dir = mkdtempSync(join(tmpdir(), 'rd-bench-metrics-'));
const io = { stdout: () => {}, stderr: () => {}, env: { RERUN_DOCTOR_STATE_DIR: dir }, isTTY: false, cwd: dir, columns: 100 };
const heapMiB = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

/** 1,000 samples the way watch metrics takes them (bounded): the heap after a full GC every 100. */
async function long() {
  const w = metricsWatcher(makeContext({}, io), small.url, { 'no-grpc': true }, { style: makeStyle(false), width: 100, intervalMs: 2000 });
  const history = new History((r) => w.watcher.retain(r));
  const base = heapMiB();
  const at = [];
  for (let i = 1; i <= LONG_SAMPLES; i++) {
    const smp = await w.watcher.sample();
    if (!smp.ok) throw new Error(`sample failed: ${smp.message}`);
    history.push(smp);
    w.watcher.line(smp);
    if (i === 1 || i % 100 === 0) at.push([i, heapMiB() - base]);
  }
  // The slope of a least-squares line through the checkpoints once the history is full (sample
  // 200 on: the view keeps 120): a leak is a steady climb; V8's own code and old-space churn move
  // the heap by a few hundred KiB both ways.
  const pts = at.filter(([i]) => i >= 200);
  const n = pts.length;
  const mx = pts.reduce((a, [i]) => a + i, 0) / n;
  const my = pts.reduce((a, [, v]) => a + v, 0) / n;
  const slope = pts.reduce((a, [i, v]) => a + (i - mx) * (v - my), 0) / Math.max(1e-9, pts.reduce((a, [i]) => a + (i - mx) ** 2, 0));
  return { at, perSampleBytes: slope * 2 ** 20, from: pts[0]?.[0] ?? 0, to: pts[n - 1]?.[0] ?? 0 };
}

async function measure(mode) {
  const values = { 'no-grpc': true, 'max-bytes': String(256 * 2 ** 20), ...(mode === 'unbounded' ? { 'max-series': '10000000' } : {}) };
  const w = metricsWatcher(makeContext({}, io), url, values, { style: makeStyle(false), width: 100, intervalMs: 2000 });
  const history = mode === 'bounded' ? new History((r) => w.watcher.retain(r)) : { items: [], push(r) { this.items.push(r); } };
  const base = heapMiB();
  const after = [];
  const one = async () => {
    const s = await w.watcher.sample();
    if (!s.ok) throw new Error(`sample failed: ${s.message}`);
    history.push(s);
    w.watcher.line(s);
  };
  for (let i = 0; i < SAMPLES; i++) {
    await one(); // only the history (and the sampler) keep the sample after this
    after.push(heapMiB() - base);
  }
  return { mode, after, perSample: (after[after.length - 1] - after[0]) / Math.max(1, SAMPLES - 1) };
}

try {
  const rows = [await measure('bounded'), await measure('unbounded')];
  console.log(`watch metrics memory: ${SERIES.toLocaleString('en-US')} series, ${SAMPLES} samples; heap in use after a full GC, MiB above the start`);
  console.log(`| mode | ${rows[0].after.map((_, i) => `after ${i + 1}`).join(' | ')} | growth per sample |`);
  console.log(`|---|${rows[0].after.map(() => '---').join('|')}|---|`);
  for (const r of rows) console.log(`| ${r.mode} | ${r.after.map((v) => v.toFixed(1)).join(' | ')} | ${r.perSample.toFixed(1)} |`);
  const l = await long();
  console.log('');
  console.log(`watch metrics over ${LONG_SAMPLES} samples (${LONG_SERIES.toLocaleString('en-US')} series, bounded, back to back): heap in use after a full GC, MiB above the start`);
  console.log(`| ${l.at.map(([i]) => `after ${i}`).join(' | ')} | growth per sample (least squares, ${l.from} to ${l.to}) |`);
  console.log(`|${l.at.map(() => '---').join('|')}|---|`);
  console.log(`| ${l.at.map(([, v]) => v.toFixed(2)).join(' | ')} | ${l.perSampleBytes.toFixed(0)} bytes |`);
} finally {
  big.child.kill();
  small.child.kill();
  rmSync(dir, { recursive: true, force: true });
}
