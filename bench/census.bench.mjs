// npm run bench: census cost against the tools users run today, measured in the same run
// (absolute times drift ±15-30 % on shared machines; ratios hold, perf-baseline.md).
// For K extra idle processes (100 of them listening on 127.0.0.1), it times, as whole processes:
//   rerun-doctor procs --json, rerun-doctor ports --json, `ps -eo …` and `ss -ltnpH`,
// and in-process: takeCensus() (the library call). NODE_EXTRA_CA_CERTS is unset for the timed
// runs, as users do not have it. Results: a table on stdout (copy it into docs/benchmarks.md).
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = `${root}dist/cli/bin.js`;
const env = { ...process.env, NO_COLOR: '1' };
delete env.NODE_EXTRA_CA_CERTS;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const KS = (process.env.BENCH_K ?? '0,1000').split(',').map(Number);

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

const { takeCensus } = await import(`${root}dist/census/census.js`);
const { createHost } = await import(`${root}dist/host/host.js`);
const opts = { serverPattern: /python.*-m src\.main/, workerPatterns: [], ports: [50051, 8080], generationGapSeconds: 30 };

const rows = [];
for (const k of KS) {
  const idle = k > 0 ? await startIdle(k) : null;
  const t = { procs: [], ports: [], ps: [], ss: [], psss: [], lib: [], nodeNull: [] };
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
    const t0 = performance.now();
    await takeCensus(host, opts);
    t.lib.push(performance.now() - t0);
  }
  if (idle) {
    process.kill(-idle.pid, 'SIGKILL');
  }
  const procCount = spawnSync('sh', ['-c', 'ls -d /proc/[0-9]* | wc -l']).stdout.toString().trim();
  const m = Object.fromEntries(Object.entries(t).map(([key, v]) => [key, v.includes(null) ? null : median(v)]));
  rows.push({ k, processes: Number(procCount), ...m });
}
const rssMiB = (process.resourceUsage().maxRSS / 1024).toFixed(0);

const f = (v) => (v === null ? 'n/a' : v.toFixed(1));
const ratio = (a, b) => (a === null || b === null ? 'n/a' : (a / b).toFixed(2));
console.log(`rerun-doctor census benchmark: ${ROUNDS} rounds, medians in ms, Node ${process.version}, ${new Date().toISOString()}`);
console.log('');
console.log('| K extra | procs --json | ports --json | takeCensus() in-process | ps -eo … | ss -ltnpH | ps + ss | node -e 0 | procs ÷ (ps+ss) | in-process ÷ (ps+ss) |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.k} | ${f(r.procs)} | ${f(r.ports)} | ${f(r.lib)} | ${f(r.ps)} | ${f(r.ss)} | ${f(r.psss)} | ${f(r.nodeNull)} | ${ratio(r.procs, r.psss)} | ${ratio(r.lib, r.psss)} |`);
}
console.log('');
console.log(`bench process peak RSS: ${rssMiB} MiB`);
