// Makes the report's sample inputs (test/fixtures/report/) from a REAL run of the sample server
// (demo/server): a SIGKILLed run diagnosed (its orphaned workers and tracker holding the port),
// a 3-run `rerun --stop kill`, `watch procs --record` and `watch metrics --record` over all of it,
// and `count before` / `count after` (the count history). Run as root: it re-runs itself inside a
// private PID + network + IPC namespace (scripts/ns-init.py as pid 1, as the live tests do), so
// the killed runs' leftovers die with the namespace and nothing of this machine is touched.
//
//   npm run build && node scripts/make-report-sample.mjs [OUT_DIR]     (default test/fixtures/report)
//
// The metrics endpoint is a small HTTP server of this script on 127.0.0.1 (Prometheus text
// 0.0.4: tokenize_ms and request_latency_seconds histograms, observations added every 200 ms,
// slower as the runs go on): the sample server's own /metrics has no histograms.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = resolve(process.argv[2] ?? join(ROOT, 'test', 'fixtures', 'report'));
const CLI = join(ROOT, 'dist', 'cli', 'bin.cjs');
const SERVER_DIR = join(ROOT, 'demo', 'server');
const PYTHON = '/usr/bin/python3';

function freePort() {
  return new Promise((res, rej) => {
    const s = createNetServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A histogram in Prometheus text: cumulative buckets, +Inf, _sum, _count. */
function histogram(name, help, buckets, obs) {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
  for (const le of buckets) lines.push(`${name}_bucket{le="${le}"} ${obs.filter((v) => v <= le).length}`);
  lines.push(`${name}_bucket{le="+Inf"} ${obs.length}`, `${name}_sum ${obs.reduce((a, b) => a + b, 0)}`, `${name}_count ${obs.length}`);
  return lines.join('\n');
}

function metricsEndpoint(port) {
  const tokenize = [];
  const latency = [];
  const started = Date.now();
  // Slower as time goes on: the chart has something to show.
  const timer = setInterval(() => {
    const slow = 1 + (Date.now() - started) / 20000;
    for (let i = 0; i < 20; i++) {
      tokenize.push(Math.random() * 8 * slow + 1);
      latency.push((Math.random() * 0.08 + 0.02) * slow);
    }
  }, 200);
  const server = createServer((req, res) => {
    if (!req.url?.startsWith('/metrics')) {
      res.writeHead(404).end();
      return;
    }
    const body = [
      histogram('tokenize_ms', 'Time spent tokenizing, ms.', [1, 2, 5, 10, 20, 50, 100, 200, 500], tokenize),
      histogram('request_latency_seconds', 'Request latency.', [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10], latency),
      '# HELP requests_total Requests served.',
      '# TYPE requests_total counter',
      `requests_total ${latency.length}`,
      '',
    ].join('\n');
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(body);
  });
  return new Promise((res) => server.listen(port, '127.0.0.1', () => res({ url: `http://127.0.0.1:${port}/metrics`, close: () => (clearInterval(timer), server.close()) })));
}

function cli(args, { env = {}, cwd = ROOT } = {}) {
  return new Promise((res) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', PYTHONDONTWRITEBYTECODE: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => res({ code, stdout, stderr }));
  });
}

function background(args, env) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((r) => child.on('exit', r));
  return { child, stop: async () => (child.kill('SIGINT'), await exited) };
}

async function startServer(args) {
  const child = spawn(PYTHON, ['-m', 'src.main', ...args], { cwd: SERVER_DIR, detached: true, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  const ready = await new Promise((res, rej) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) res(JSON.parse(line));
    });
    child.once('exit', (c) => rej(new Error(`the sample server exited early (${c})`)));
  });
  return { child, ready };
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const state = mkdtempSync(join(tmpdir(), 'rd-sample-state-'));
  const env = { RERUN_DOCTOR_STATE_DIR: state };
  const [port, metricsPort, rerunPort, mainMetricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const metrics = await metricsEndpoint(metricsPort);
  const ports = `${port},${rerunPort}`;
  const files = { procs: join(OUT, 'watch-procs.ndjson'), metrics: join(OUT, 'watch-metrics.ndjson') };
  for (const f of Object.values(files)) rmSync(f, { force: true });
  const watchProcs = background(['watch', 'procs', '--interval', '1s', '--port', ports, '--instances', '2', '--record', files.procs], env);
  const watchMetrics = background(['watch', 'metrics', metrics.url, '--interval', '1s', '--record', files.metrics], env);
  await sleep(2500);

  let r = await cli(['count', 'before', '--port', ports, '--instances', '2'], { env });
  if (r.code !== 0) throw new Error(`count before: ${r.stderr}`);
  // The run a stop button kills: its main SIGKILLed, its workers and tracker left holding the port.
  const { child, ready } = await startServer(['--workers', '2', '--worker-port', String(port), '--metrics-port', String(mainMetricsPort)]);
  await sleep(3000);
  process.kill(ready.main, 'SIGKILL');
  await new Promise((res) => (child.exitCode !== null || child.signalCode !== null ? res() : child.once('exit', res)));
  await sleep(2000);
  r = await cli(['count', 'after', '--port', ports, '--instances', '2'], { env });
  console.error(`count after: exit ${r.code}`);
  rmSync(join(OUT, 'evidence.json'), { force: true });
  r = await cli(['diagnose', '--port', ports, '--instances', '2', '--metrics-url', metrics.url, '--samples', '3', '--interval', '1s', '--save', join(OUT, 'evidence.json')], { env, cwd: SERVER_DIR });
  console.error(`diagnose: exit ${r.code}\n${r.stdout}`);

  // Three reruns stopped as an IDE does: each leaves its workers and tracker behind.
  r = await cli(['rerun', '-n', '3', '--json', '--stop', 'kill', '--port', String(rerunPort), '--instances', '2', '--metrics-url', metrics.url, '--hold', '1s', '--settle', '1s', '--grace', '3s', '--', PYTHON, '-m', 'src.main', '--workers', '2', '--worker-port', String(rerunPort)], { env, cwd: SERVER_DIR });
  console.error(`rerun: exit ${r.code}`);
  if (!r.stdout.startsWith('{')) throw new Error(`rerun printed no JSON: ${r.stderr}`);
  writeFileSync(join(OUT, 'rerun.json'), r.stdout);
  await sleep(2500);
  await cli(['count', 'after', '--port', ports, '--instances', '2'], { env });
  await watchProcs.stop();
  await watchMetrics.stop();
  metrics.close();
  // The count history, as `count` keeps it (one file per project under the state directory).
  r = await cli(['count', 'history', '--json', '--port', ports], { env });
  const history = JSON.parse(r.stdout);
  copyFileSync(history.file, join(OUT, 'count-history.ndjson'));
  rmSync(state, { recursive: true, force: true });
  const sizes = Object.fromEntries(['evidence.json', 'rerun.json', 'watch-procs.ndjson', 'watch-metrics.ndjson', 'count-history.ndjson'].map((f) => [f, readFileSync(join(OUT, f)).length]));
  console.error(`make-report-sample: wrote ${JSON.stringify(sizes)} to ${OUT}`);
  // Everything the runs left ends with this namespace (its init exits after us); the metrics
  // endpoint's keep-alive sockets would hold the event loop open, so exit now.
  process.exit(0);
}

if (process.env.RD_SAMPLE_IN_NS !== '1') {
  if (process.getuid?.() !== 0) {
    console.error('make-report-sample: run as root: the runs are killed inside a private namespace');
    process.exit(2);
  }
  const argv = ['/usr/bin/unshare', '--pid', '--fork', '--mount-proc', '--net', '--ipc', '--kill-child', PYTHON, join(ROOT, 'scripts', 'ns-init.py'), process.execPath, fileURLToPath(import.meta.url), OUT];
  const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit', env: { ...process.env, RD_SAMPLE_IN_NS: '1', RD_HOST_MNT_NS: readlinkSync('/proc/self/ns/mnt') } });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  // unshare waits out SIGTERM; SIGKILL to it ends its child (--kill-child), and with it the namespace.
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill('SIGKILL'));
} else {
  await main().catch((e) => {
    console.error(`make-report-sample: ${e.stack ?? e}`);
    process.exit(1);
  });
}
