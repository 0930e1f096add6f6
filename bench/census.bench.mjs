// npm run bench: the census and the one-shot commands against the tools users run today, measured
// in the same run (absolute times drift ±15-30 % on shared machines; ratios hold, perf-baseline.md).
// Issue 12's targets, each printed with its ratio:
//   - procs --json at 2,000 extra processes while something holds a watched port: <= 1.0 x
//     `ps -eo pid,ppid,pgid,sid,uid,stat,lstart,rss,time,args` + `ss -ltnp` run one after the other;
//   - diagnose --quick at 2,000: <= 1.5 x ps + ss;
//   - the CLI's start (module loading before the first /proc read) within 15 ms of `node -e 0`;
//   - the census linear from 0 to 10,000 processes: a table with the per-process cost, and peak memory.
// (`ports` with a silent listener against lsof is bench/ports-grpc.bench.mjs.)
//
// For each K of BENCH_K (default 0,2000,5000,10000) one Python parent forks K idle sleepers (100 of
// them listening on 127.0.0.1: the machine's other servers), and one more process, apart from them,
// holds the watched port with a small HTTP /metrics endpoint (the server users run: procs must find
// the owners of its socket, diagnose scrapes it). Timed as whole processes, BENCH_ROUNDS (default 7)
// rounds, medians: rerun-doctor procs --json, ports --json, diagnose --quick --json; ps; ss; lsof;
// node -e 0; and, at K <= 2000, the npm packages systeminformation and find-process. In-process:
// takeCensus() cold (a fresh process's first call: what a one-shot CLI pays) and warm (what watch
// pays), against a raw reader that only reads the same /proc files and parses nothing.
// NODE_EXTRA_CA_CERTS is unset for the timed runs, as users do not have it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rawRead } from './one-census.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = `${root}dist/cli/bin.cjs`;
// The code cache of the command bundles (src/cli/code-cache.ts) in a directory of the bench's own:
// written by the first run of each command, used by the rounds after it (as a user's second run
// uses it). The start is also timed without it (RERUN_DOCTOR_CODE_CACHE=0: a first run).
const cacheHome = mkdtempSync(join(tmpdir(), 'rd-bench-cache-'));
process.on('exit', () => rmSync(cacheHome, { recursive: true, force: true }));
const env = { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: cacheHome };
delete env.NODE_EXTRA_CA_CERTS;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const KS = (process.env.BENCH_K ?? '0,2000,5000,10000').split(',').map(Number);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeCmd(argv, extraEnv = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { env: { ...env, ...extraEnv }, cwd: root, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) return null;
  return { ms, stdout: r.stdout.toString(), stderr: r.stderr.toString(), status: r.status };
}

/** Peak RSS in MiB of one run, from GNU time (the `time` package); null where it is absent. */
function peakMiB(argv) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...argv], { env, cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.error || r.status !== 0) return null;
  const kb = Number(r.stderr.toString().trim().split('\n').pop());
  return Number.isFinite(kb) ? kb / 1024 : null;
}

function waitLine(child) {
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(String(d).trim()));
    child.once('exit', (code) => reject(new Error(`exited ${code} before it was ready`)));
  });
}

async function startIdle(k) {
  // One Python parent forks k sleepers; 100 of them (at most) listen on 127.0.0.1.
  const code = `
import os, socket, time, signal
for i in range(${k}):
    if os.fork() == 0:
        s = None
        if i < 100:
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
        signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
        time.sleep(3600); os._exit(0)
print("ready", flush=True)
time.sleep(3600)
`;
  const child = spawn('/usr/bin/python3', ['-c', code], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  await waitLine(child);
  await new Promise((r) => setTimeout(r, 300));
  return child;
}

// The watched port's holder: a small Prometheus endpoint, as the servers users run have.
async function startHolder() {
  const code = `
import http.server, socketserver
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"# TYPE requests_total counter\\nrequests_total 42\\n# TYPE tokenize_ms histogram\\ntokenize_ms_bucket{le=\\"10\\"} 5\\ntokenize_ms_bucket{le=\\"+Inf\\"} 6\\ntokenize_ms_sum 31\\ntokenize_ms_count 6\\n"
        self.send_response(200); self.send_header("Content-Type", "text/plain; version=0.0.4"); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
srv = socketserver.TCPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
`;
  const child = spawn('/usr/bin/python3', ['-c', code], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = Number(await waitLine(child));
  return { child, port };
}

/** A proc tree of one process: the CLI's start with a census that costs nothing. */
function tinyProc() {
  const dir = mkdtempSync(join(tmpdir(), 'rd-bench-proc-'));
  mkdirSync(join(dir, '1'));
  // Read and written, not copied: a proc file says it is empty, so copyFileSync copies nothing.
  writeFileSync(join(dir, 'stat'), readFileSync('/proc/stat'));
  writeFileSync(join(dir, '1', 'stat'), readFileSync('/proc/1/stat'));
  writeFileSync(join(dir, '1', 'cmdline'), readFileSync('/proc/1/cmdline'));
  return dir;
}

// The CLI's start, as the issue defines it: from exec to the first /proc read. A preloaded hook
// notes the time of the first read under the proc root (performance.now() counts from the
// process's start) and prints it at exit; `node -e 0` is timed whole in the same rounds. The
// first read is JavaScript's (an fs call) or the native reader's: its start() lists the root on
// its own thread at once, so the call to start() is that read's time (the hook wraps the module's
// start when process.dlopen loads it).
function firstReadHook(procRoot) {
  const file = join(tmpdir(), `rd-bench-first-read-${process.pid}.cjs`);
  writeFileSync(
    file,
    `const fs = require('fs'); let at = null; const root = ${JSON.stringify(procRoot)};
const seen = (p) => { if (at === null && typeof p === 'string' && p.startsWith(root)) at = performance.now(); };
for (const name of ['openSync', 'readdirSync', 'readFileSync', 'readlinkSync', 'statSync']) { const orig = fs[name]; fs[name] = function (p, ...rest) { seen(p); return orig.call(this, p, ...rest); }; }
const dlopen = process.dlopen;
process.dlopen = function (module, filename, ...rest) { const r = dlopen.call(this, module, filename, ...rest); if (/proc-scan-[a-z]+-[a-z0-9]+\\.node$/.test(filename)) { const start = module.exports.start; module.exports.start = function (prefix, ...a) { seen(prefix); return start.call(this, prefix, ...a); }; } return r; };
process.on('exit', () => { if (at !== null) process.stderr.write('first-proc-read ' + at.toFixed(2) + '\\n'); });`,
  );
  return file;
}

/** The hook's time of the first read under the tiny tree in one `procs --json` run; null if it saw none. */
function firstRead(extraEnv = {}) {
  const r = timeCmd([process.execPath, '-r', hook, cli, 'procs', '--json', '--proc-root', tiny], extraEnv);
  const m = r && /first-proc-read ([\d.]+)/.exec(r.stderr);
  return m ? Number(m[1]) : null;
}

const SI = `import si from 'systeminformation'; await Promise.all([si.processes(), si.networkConnections()]);`;
const FP = `import find from 'find-process'; await find('port', 50051);`;

const { takeCensus } = await import(`${root}dist/census/census.js`);
const { createHost } = await import(`${root}dist/host/host.js`);

const tiny = tinyProc();
const hook = firstReadHook(tiny);
const holder = await startHolder();
const opts = { serverPattern: /python.*-m src\.main/, workerPatterns: [], ports: [holder.port], generationGapSeconds: 30 };
const portFlags = ['--port', String(holder.port)];
const rows = [];
let start;
try {
  // The start, first (K = 0: nothing else running).
  const st = { nodeNull: [], firstRead: [], firstReadNoCache: [], firstReadJs: [], tiny: [], version: [] };
  for (let r = 0; r < ROUNDS * 2; r++) {
    st.nodeNull.push(timeCmd([process.execPath, '-e', '0']).ms);
    st.firstRead.push(firstRead());
    st.firstReadNoCache.push(firstRead({ RERUN_DOCTOR_CODE_CACHE: '0' }));
    // Without the native reader (where it is not built: another architecture, no C compiler):
    // the first read this thread makes (a worker, where one is started, lists on its own thread).
    st.firstReadJs.push(firstRead({ RERUN_DOCTOR_NATIVE: '0' }));
    st.tiny.push(timeCmd([process.execPath, cli, 'procs', '--json', '--proc-root', tiny]).ms);
    st.version.push(timeCmd([process.execPath, cli, '--version']).ms);
  }
  start = Object.fromEntries(Object.entries(st).map(([k, v]) => [k, v.includes(null) ? null : median(v)]));

  for (const k of KS) {
    const idle = k > 0 ? await startIdle(k) : null;
    try {
      const t = { procs: [], ports: [], quick: [], ps: [], ss: [], psss: [], lsof: [], si: [], fp: [], lib: [], raw: [], coldLib: [], coldRaw: [], nodeNull: [] };
      const host = createHost();
      const withNpm = k <= 2000;
      for (let r = 0; r < ROUNDS; r++) {
        t.nodeNull.push(timeCmd([process.execPath, '-e', '0']).ms);
        t.procs.push(timeCmd([process.execPath, cli, 'procs', '--json', ...portFlags])?.ms ?? null);
        t.ports.push(timeCmd([process.execPath, cli, 'ports', '--json', '--no-grpc', ...portFlags])?.ms ?? null);
        t.quick.push(timeCmd([process.execPath, cli, 'diagnose', '--quick', '--json', ...portFlags, '--metrics-url', `http://127.0.0.1:${holder.port}/metrics`])?.ms ?? null);
        const ps = timeCmd(['ps', '-eo', 'pid,ppid,pgid,sid,uid,stat,lstart,rss,time,args'])?.ms ?? null;
        const ss = timeCmd(['ss', '-ltnp'])?.ms ?? null;
        t.ps.push(ps);
        t.ss.push(ss);
        t.psss.push(ps !== null && ss !== null ? ps + ss : null);
        t.lsof.push(timeCmd(['lsof', '-nP', '-iTCP', '-sTCP:LISTEN'])?.ms ?? null);
        if (withNpm) {
          t.si.push(timeCmd([process.execPath, '--input-type=module', '-e', SI])?.ms ?? null);
          t.fp.push(timeCmd([process.execPath, '--input-type=module', '-e', FP])?.ms ?? null);
        }
        const cold = (w) => Number(spawnSync(process.execPath, [`${root}bench/one-census.mjs`, w, String(holder.port)], { env }).stdout.toString());
        t.coldLib.push(cold('census'));
        t.coldRaw.push(cold('raw'));
        const r0 = performance.now();
        rawRead();
        t.raw.push(performance.now() - r0);
        // Warm: what a long-running caller (watch) pays once the JIT has seen the code.
        if (r === 0) for (let w = 0; w < 3; w++) await takeCensus(host, opts);
        const t0 = performance.now();
        await takeCensus(host, opts);
        t.lib.push(performance.now() - t0);
      }
      const procCount = spawnSync('sh', ['-c', 'ls -d /proc/[0-9]* | wc -l']).stdout.toString().trim();
      const m = Object.fromEntries(Object.entries(t).map(([key, v]) => [key, v.length === 0 || v.includes(null) ? null : median(v)]));
      const peak = { procs: peakMiB([process.execPath, cli, 'procs', '--json', ...portFlags]), quick: peakMiB([process.execPath, cli, 'diagnose', '--quick', '--json', ...portFlags, '--metrics-url', `http://127.0.0.1:${holder.port}/metrics`]) };
      rows.push({ k, processes: Number(procCount), ...m, peak });
    } finally {
      if (idle) process.kill(-idle.pid, 'SIGKILL');
    }
  }
} finally {
  process.kill(-holder.child.pid, 'SIGKILL');
  rmSync(tiny, { recursive: true, force: true });
  rmSync(hook, { force: true });
}

const f = (v) => (v === null || v === undefined ? 'n/a' : v.toFixed(1));
const ratio = (a, b) => (a === null || b === null || a === undefined || b === undefined ? 'n/a' : (a / b).toFixed(2));
console.log(`rerun-doctor census benchmark: ${ROUNDS} rounds, medians in ms, Node ${process.version}, ${new Date().toISOString()}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
console.log('');
console.log(`The CLI's start (${ROUNDS * 2} rounds, no other processes): module loading before the first /proc read, against \`node -e 0\` whole; with the code cache a first run wrote, and without it (RERUN_DOCTOR_CODE_CACHE=0).`);
console.log('');
console.log('| node -e 0 | procs: first /proc read | ÷ target (node -e 0 + 15 ms) | without the code cache | without the native reader (RERUN_DOCTOR_NATIVE=0) | procs on a one-process /proc, whole | --version |');
console.log('|---|---|---|---|---|---|---|');
console.log(`| ${f(start.nodeNull)} | ${f(start.firstRead)} (+${f(start.firstRead - start.nodeNull)}) | ${ratio(start.firstRead, start.nodeNull + 15)} | ${f(start.firstReadNoCache)} (+${f(start.firstReadNoCache - start.nodeNull)}) | ${f(start.firstReadJs)} (+${f(start.firstReadJs - start.nodeNull)}) | ${f(start.tiny)} | ${f(start.version)} |`);
console.log('');
console.log('Whole processes (Node start included for the Node tools); a process apart from the K holds the watched port with a /metrics endpoint:');
console.log('');
console.log('| K extra | processes | procs --json | ports --json --no-grpc | diagnose --quick --json | ps -eo … | ss -ltnp | ps + ss | lsof -iTCP -sTCP:LISTEN | systeminformation | find-process | node -e 0 |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.k} | ${r.processes} | ${f(r.procs)} | ${f(r.ports)} | ${f(r.quick)} | ${f(r.ps)} | ${f(r.ss)} | ${f(r.psss)} | ${f(r.lsof)} | ${f(r.si)} | ${f(r.fp)} | ${f(r.nodeNull)} |`);
console.log('');
console.log('Ratios (< 1 means rerun-doctor is faster); targets at 2,000: procs ÷ (ps + ss) <= 1.0, diagnose --quick ÷ (ps + ss) <= 1.5:');
console.log('');
console.log('| K extra | procs ÷ (ps + ss) | diagnose --quick ÷ (ps + ss) | ports ÷ lsof | procs ÷ systeminformation | procs ÷ find-process |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.k} | ${ratio(r.procs, r.psss)} | ${ratio(r.quick, r.psss)} | ${ratio(r.ports, r.lsof)} | ${ratio(r.procs, r.si)} | ${ratio(r.procs, r.fp)} |`);
console.log('');
console.log('In-process (no Node start): the full census against the raw cost of reading its /proc files.');
console.log('Cold: the first call in a fresh process (what a one-shot CLI pays); warm: repeated calls in one process (what watch pays).');
console.log('Per process: (cost at K - cost at K = 0) ÷ (processes at K - processes at K = 0). Peak: max RSS of the whole command.');
console.log('');
console.log('| K extra | processes | census cold ms | raw reads cold ms | cold ÷ raw | census warm ms | raw warm ms | warm ÷ raw | per process, cold µs | per process, warm µs | peak RSS procs --json MiB | peak RSS diagnose --quick MiB |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
const base = rows.find((r) => r.k === 0) ?? null;
const per = (r, key) => (base && r.k !== 0 && r[key] !== null && base[key] !== null ? (((r[key] - base[key]) / (r.processes - base.processes)) * 1000).toFixed(1) : '—');
for (const r of rows) console.log(`| ${r.k} | ${r.processes} | ${f(r.coldLib)} | ${f(r.coldRaw)} | ${ratio(r.coldLib, r.coldRaw)} | ${f(r.lib)} | ${f(r.raw)} | ${ratio(r.lib, r.raw)} | ${per(r, 'coldLib')} | ${per(r, 'lib')} | ${f(r.peak.procs)} | ${f(r.peak.quick)} |`);
console.log('');
console.log(`bench process peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
