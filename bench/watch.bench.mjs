// npm run bench (part 2): the CPU cost of `watch procs` sampling every 2 s, with K extra idle
// processes and a running sample server (main + 2 workers + tracker). Measured as CPU time
// (process.cpuUsage, user + system) per sample, as a share of one core at a 2 s interval, for
// the incremental sampler against a full census per sample, in the same run. Target (issue 12):
// under 0.3 % at 2,000 processes.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { createProcSampler } = await import(`${root}dist/watch/proc-sampler.js`);
const { takeCensus } = await import(`${root}dist/census/census.js`);
const { createHost } = await import(`${root}dist/host/host.js`);
const KS = (process.env.BENCH_K ?? '0,2000').split(',').map(Number);
// The sampler: one whole cycle of its own, as a watch left running for minutes pays it: a full pass
// every 60 samples, of which every 5th also redoes the fd scan, so 300 samples hold one of each
// kind in their proportion, after a warm-up of 61 (the first full pass, and a JIT still cold).
// Until 2026-12-02 the mean was of 61 samples after 3: one full pass, the first, at its coldest.
// The full census per sample, for comparison: 11 samples after 3.
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 300);
const WARM = Number(process.env.BENCH_WARM ?? 61);
const FULL_SAMPLES = 11;
const INTERVAL_MS = 2000;

function startIdle(k) {
  const code = `
import os, time
for i in range(${k}):
    if os.fork()==0:
        time.sleep(3600); os._exit(0)
print("ready", flush=True)
time.sleep(3600)`;
  const child = spawn('/usr/bin/python3', ['-c', code], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout.once('data', () => setTimeout(() => resolve(child), 300)));
}

function startServer() {
  const child = spawn('/usr/bin/python3', ['-m', 'src.main', '--workers', '2'], { cwd: `${root}demo/server`, detached: true, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  return new Promise((resolve) => child.stdout.once('data', () => setTimeout(() => resolve(child), 300)));
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function perSample(fn, samples = SAMPLES, warm = 3) {
  for (let i = 0; i < warm; i++) await fn(); // warm the JIT: watch runs for minutes
  const costs = [];
  for (let i = 0; i < samples; i++) {
    const c0 = cpuMs();
    await fn();
    costs.push(cpuMs() - c0);
  }
  costs.sort((a, b) => a - b);
  return { median: costs[Math.floor(costs.length / 2)], mean: costs.reduce((a, b) => a + b, 0) / costs.length, max: costs[costs.length - 1] };
}

const opts = { serverPattern: /python.*-m src\.main/, workerPatterns: [], ports: [50051, 8080], generationGapSeconds: 30 };
const server = await startServer();
const rows = [];
for (const k of KS) {
  const idle = k > 0 ? await startIdle(k) : null;
  const host = createHost();
  const sampler = createProcSampler(host, opts);
  const inc = await perSample(() => sampler.sample(), SAMPLES, WARM);
  const full = await perSample(() => takeCensus(host, opts), FULL_SAMPLES);
  rows.push({ k, inc, full });
  if (idle) process.kill(-idle.pid, 'SIGKILL');
}
process.kill(-server.pid, 'SIGKILL');

// watch metrics: scrape + parse + difference the Python prometheus_client server of the tests (4 families, about 30 series).
const metricsSrv = spawn('/usr/bin/python3', [`${root}test/fixtures/bin/metrics_server.py`, '--port', '0'], { detached: true, stdio: ['pipe', 'pipe', 'inherit'] });
const msPort = await new Promise((resolve) => metricsSrv.stdout.once('data', (d) => resolve(JSON.parse(String(d).split('\n')[0]).port)));
metricsSrv.stdin.write('tokenize 7 100\nrequest 0.1 100\nqueue 3\n');
const { metricsWatcher } = await import(`${root}dist/cli/commands/watch-metrics.js`);
const { makeContext } = await import(`${root}dist/cli/context.js`);
const { makeStyle } = await import(`${root}dist/render/style.js`);
const ctx = makeContext({}, { stdout: () => {}, stderr: () => {}, env: process.env, isTTY: false, cwd: root, columns: 100 });
const mw = metricsWatcher(ctx, `http://127.0.0.1:${msPort}/metrics`, {}, { style: makeStyle(false), width: 100, intervalMs: INTERVAL_MS }).watcher;
const metricsCost = await perSample(async () => {
  const r = await mw.sample();
  if (!r.ok) throw new Error(r.message);
});
process.kill(-metricsSrv.pid, 'SIGKILL');

const pct = (ms) => `${((ms / INTERVAL_MS) * 100).toFixed(2)} %`;
console.log(`watch procs sampling cost: CPU ms per sample (user + system), the sampler ${SAMPLES} samples after ${WARM} (one cycle: 5 full passes, one with the fd scan), a full census ${FULL_SAMPLES} after 3, Node ${process.version}, ${new Date().toISOString()}`);
console.log('');
console.log('| K extra | incremental sampler: median ms | mean ms | costliest sample ms | share of one core at 2 s (mean) | full census per sample: median ms | share of one core at 2 s |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.k} | ${r.inc.median.toFixed(2)} | ${r.inc.mean.toFixed(2)} | ${r.inc.max.toFixed(1)} | ${pct(r.inc.mean)} | ${r.full.median.toFixed(1)} | ${pct(r.full.mean)} |`);
console.log('');
console.log(`watch metrics (scrape, parse and difference a prometheus_client endpoint, in this process's CPU): median ${metricsCost.median.toFixed(2)} ms, mean ${metricsCost.mean.toFixed(2)} ms per sample = ${pct(metricsCost.mean)} of one core at 2 s.`);
