// npm run bench (part): `ports` with default flags while a silent listener holds the gRPC port
// (:50051 accepts TCP from its backlog and never answers: a hung server) and K extra idle
// processes run, against `lsof -nP -iTCP -sTCP:LISTEN` and `ss -ltnp`, as whole processes in the
// same run. Issue 12's target: `ports` at most 1.0 times lsof at K = 2000. The health check's
// HTTP/2 handshake budget (100 ms) runs beside the census, so a silent peer costs
// max(census, 100 ms), not census + the 2 s deadline as before.
//
// BENCH_K (default 2000), BENCH_ROUNDS (default 7); BENCH_BASELINE_CLI=path/to/dist/cli/bin.cjs
// times another build's `ports` too (an older one, for the before/after figure).
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = `${root}dist/cli/bin.cjs`;
const baseline = process.env.BENCH_BASELINE_CLI ?? null;
// The command bundles' code cache (src/cli/code-cache.ts) in the bench's own directory: written by
// the first run, used by the rest, as a user's runs after the first.
const cacheHome = mkdtempSync(join(tmpdir(), 'rd-bench-cache-'));
process.on('exit', () => rmSync(cacheHome, { recursive: true, force: true }));
const env = { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: cacheHome };
delete env.NODE_EXTRA_CA_CERTS;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const K = Number(process.env.BENCH_K ?? 2000);
const GRPC_PORT = 50051;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeCmd(argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return r.error ? null : { ms, stdout: r.stdout.toString() };
}

// The silent listener on 127.0.0.1:50051 (listen() and nothing else: the kernel completes
// handshakes from the backlog), a process of its own; and, apart from it, one Python parent that
// forks K idle sleepers: the machine's other processes. (Until 2026-12-02 the sleepers were the
// listener's own children, which made them its 2,000 workers, enriched one by one: not the case
// the issue measures.)
const listenerCode = `
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", ${GRPC_PORT}))
except OSError as e:
    print("cannot bind 127.0.0.1:${GRPC_PORT}: %s" % e, flush=True); sys.exit(1)
s.listen(128)
print("ready", flush=True)
time.sleep(3600)
`;
const idleCode = `
import os, time, signal
for i in range(${K}):
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
        time.sleep(3600); os._exit(0)
print("ready", flush=True)
time.sleep(3600)
`;
const started = [];
async function start(code) {
  const child = spawn('/usr/bin/python3', ['-c', code], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(child);
  const line = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(d.toString().trim())));
  if (line !== 'ready') {
    console.error(`ports-grpc bench: ${line}`);
    for (const c of started) process.kill(-c.pid, 'SIGKILL');
    process.exit(1);
  }
}
await start(listenerCode);
await start(idleCode);
await new Promise((r) => setTimeout(r, 300));

const t = { ports: [], portsJson: [], noGrpc: [], lsof: [], ss: [], baseline: [] };
let status = null;
try {
  for (let r = 0; r < ROUNDS; r++) {
    t.ports.push(timeCmd([process.execPath, cli, 'ports'])?.ms ?? null);
    const j = timeCmd([process.execPath, cli, 'ports', '--json']);
    t.portsJson.push(j?.ms ?? null);
    if (j && status === null) status = JSON.parse(j.stdout).ports.find((p) => p.port === GRPC_PORT)?.grpc ?? null;
    t.noGrpc.push(timeCmd([process.execPath, cli, 'ports', '--no-grpc'])?.ms ?? null);
    t.lsof.push(timeCmd(['lsof', '-nP', '-iTCP', '-sTCP:LISTEN'])?.ms ?? null);
    t.ss.push(timeCmd(['ss', '-ltnp'])?.ms ?? null);
    if (baseline) t.baseline.push(timeCmd([process.execPath, baseline, 'ports'])?.ms ?? null);
  }
} finally {
  for (const c of started) process.kill(-c.pid, 'SIGKILL');
}
const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.length === 0 || v.includes(null) ? null : median(v)]));
const f = (v) => (v === null ? 'n/a' : v.toFixed(1));
const ratio = (a, b) => (a === null || b === null ? 'n/a' : (a / b).toFixed(2));
console.log(`rerun-doctor ports with a silent listener on :${GRPC_PORT}: ${K} extra processes, ${ROUNDS} rounds, medians in ms, Node ${process.version}, ${new Date().toISOString()}`);
console.log(`gRPC health reported: ${status ? `${status.status} (${status.detail})` : 'none'}`);
console.log('');
console.log(`| K extra | ports | ports --json | ports --no-grpc | lsof -nP -iTCP -sTCP:LISTEN | ss -ltnp | ports ÷ lsof | ports --json ÷ lsof | ports ÷ ss |${baseline ? ' baseline ports | baseline ÷ lsof |' : ''}`);
console.log(`|---|---|---|---|---|---|---|---|---|${baseline ? '---|---|' : ''}`);
console.log(
  `| ${K} | ${f(m.ports)} | ${f(m.portsJson)} | ${f(m.noGrpc)} | ${f(m.lsof)} | ${f(m.ss)} | ${ratio(m.ports, m.lsof)} | ${ratio(m.portsJson, m.lsof)} | ${ratio(m.ports, m.ss)} |${baseline ? ` ${f(m.baseline)} | ${ratio(m.baseline, m.lsof)} |` : ''}`,
);
