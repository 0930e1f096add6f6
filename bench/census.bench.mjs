// npm run bench: census cost against the tools users run today, measured in the same run
// (absolute times drift ±15-30 % on shared machines; ratios hold, perf-baseline.md).
// For K extra idle processes (100 of them listening on 127.0.0.1), it times, as whole processes:
//   rerun-doctor procs --json, rerun-doctor ports --json, `ps -eo …`, `ss -ltnpH`,
//   `lsof -nP -iTCP -sTCP:LISTEN`, the npm packages systeminformation (processes() +
//   networkConnections()) and find-process (one port), each in its own `node` process;
// and in-process: takeCensus() (the library call) against a raw reader that only reads the same
// /proc files (stat and cmdline of every pid, every fd link) and parses nothing. NODE_EXTRA_CA_CERTS is unset for the timed
// runs, as users do not have it. Results: a table on stdout (copy it into docs/benchmarks.md).
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = `${root}dist/cli/bin.js`;
const env = { ...process.env, NO_COLOR: '1' };
delete env.NODE_EXTRA_CA_CERTS;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const KS = (process.env.BENCH_K ?? '0,2000,5000').split(',').map(Number);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeCmd(argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) return null;
  return ms;
}

function startIdle(k) {
  // One Python parent forks k sleepers; 100 of them (at most) listen on 127.0.0.1.
  const code = `
import os, socket, sys, time, signal
k=${k}
kids=[]
for i in range(k):
    pid=os.fork()
    if pid==0:
        s=None
        if i<100:
            s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen()
        signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
        time.sleep(3600); os._exit(0)
    kids.append(pid)
print("ready", flush=True)
time.sleep(3600)
`;
  const child = spawn('/usr/bin/python3', ['-c', code], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout.once('data', () => setTimeout(() => resolve(child), 300)));
}

import { rawRead } from './one-census.mjs';

const SI = `import si from 'systeminformation'; await Promise.all([si.processes(), si.networkConnections()]);`;
const FP = `import find from 'find-process'; await find('port', 50051);`;

const { takeCensus } = await import(`${root}dist/census/census.js`);
const { createHost } = await import(`${root}dist/host/host.js`);
const opts = { serverPattern: /python.*-m src\.main/, workerPatterns: [], ports: [50051, 8080], generationGapSeconds: 30 };

const rows = [];
for (const k of KS) {
  const idle = k > 0 ? await startIdle(k) : null;
  const t = { procs: [], ports: [], ps: [], ss: [], psss: [], lsof: [], si: [], fp: [], lib: [], raw: [], coldLib: [], coldRaw: [], nodeNull: [] };
  const host = createHost();
  for (let r = 0; r < ROUNDS; r++) {
    t.nodeNull.push(timeCmd([process.execPath, '-e', '0']));
    t.procs.push(timeCmd([process.execPath, cli, 'procs', '--json']));
    t.ports.push(timeCmd([process.execPath, cli, 'ports', '--json']));
    const ps = timeCmd(['ps', '-eo', 'pid,ppid,pgid,sid,uid,stat,lstart,rss,time,args']);
    const ss = timeCmd(['ss', '-ltnpH']);
    t.ps.push(ps);
    t.ss.push(ss);
    t.psss.push(ps !== null && ss !== null ? ps + ss : null);
    t.lsof.push(timeCmd(['lsof', '-nP', '-iTCP', '-sTCP:LISTEN']));
    t.si.push(timeCmd([process.execPath, '--input-type=module', '-e', SI]));
    t.fp.push(timeCmd([process.execPath, '--input-type=module', '-e', FP]));
    const cold = (w) => Number(spawnSync(process.execPath, [`${root}bench/one-census.mjs`, w], { env }).stdout.toString());
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
  if (idle) {
    process.kill(-idle.pid, 'SIGKILL');
  }
  const m = Object.fromEntries(Object.entries(t).map(([key, v]) => [key, v.includes(null) ? null : median(v)]));
  // Best of the rounds too: on shared, noisy machines the minimum is the steadiest estimate of intrinsic cost.
  const best = Object.fromEntries(Object.entries(t).map(([key, v]) => [`${key}Min`, v.includes(null) ? null : Math.min(...v)]));
  rows.push({ k, processes: Number(procCount), ...m, ...best });
}
const rssMiB = (process.resourceUsage().maxRSS / 1024).toFixed(0);

const f = (v) => (v === null ? 'n/a' : v.toFixed(1));
const ratio = (a, b) => (a === null || b === null ? 'n/a' : (a / b).toFixed(2));
console.log(`rerun-doctor census benchmark: ${ROUNDS} rounds, medians in ms, Node ${process.version}, ${new Date().toISOString()}`);
console.log('');
console.log('Whole processes (Node start included for the Node tools):');
console.log('');
console.log('| K extra | processes | rerun-doctor procs --json | rerun-doctor ports --json | ps -eo … | ss -ltnpH | ps + ss | lsof -iTCP -sTCP:LISTEN | systeminformation | find-process (1 port) | node -e 0 |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.k} | ${r.processes} | ${f(r.procs)} | ${f(r.ports)} | ${f(r.ps)} | ${f(r.ss)} | ${f(r.psss)} | ${f(r.lsof)} | ${f(r.si)} | ${f(r.fp)} | ${f(r.nodeNull)} |`);
}
console.log('');
console.log('Ratios (rerun-doctor procs --json ÷ each tool, whole processes; < 1 means rerun-doctor is faster):');
console.log('');
console.log('| K extra | ÷ ps + ss | ÷ lsof | ÷ systeminformation | ÷ find-process |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.k} | ${ratio(r.procs, r.psss)} | ${ratio(r.procs, r.lsof)} | ${ratio(r.procs, r.si)} | ${ratio(r.procs, r.fp)} |`);
console.log('');
console.log('In-process (no Node start): the full census against the raw cost of reading its /proc files.');
console.log('Cold: the first call in a fresh process (what a one-shot CLI pays); warm: repeated calls in one process (what watch pays).');
console.log('');
console.log('| K extra | processes | census cold ms | raw reads cold ms | cold ÷ raw | census warm ms | raw reads warm ms | warm ÷ raw | census warm, best ms | raw warm, best ms |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.k} | ${r.processes} | ${f(r.coldLib)} | ${f(r.coldRaw)} | ${ratio(r.coldLib, r.coldRaw)} | ${f(r.lib)} | ${f(r.raw)} | ${ratio(r.lib, r.raw)} | ${f(r.libMin)} | ${f(r.rawMin)} |`);
console.log('');
console.log(`bench process peak RSS: ${rssMiB} MiB`);
