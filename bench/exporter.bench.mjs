// npm run bench: the exporter's cost at K extra idle processes (default 2,000): CPU per collection
// (the census, /dev/shm, GPU, thermal, memory, CPU, multiprocess and socket-file probes, the rules
// and both renderings), and per scrape from the cache (a GET /metrics over loopback, measured from
// the client and as the exporter's own CPU over 200 scrapes). Against `ps -eo …` + `ss -ltnp`
// timed in the same run, the pair a hand-made exporter script would run per scrape.
import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const K = Number(process.env.BENCH_EXPORTER_K ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function startIdle(k) {
  const code = `
import os, time, signal
for i in range(${k}):
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
        time.sleep(3600); os._exit(0)
print("ready", flush=True)
time.sleep(3600)
`;
  const child = spawn('/usr/bin/python3', ['-c', code], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout.once('data', () => setTimeout(() => resolve(child), 300)));
}

function get(port) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
}

const { createCollector } = await import(`${root}dist/exporter/collector.js`);
const { exporterServer, listen } = await import(`${root}dist/exporter/server.js`);
const { evidencePlanFor } = await import(`${root}dist/evidence/plan.js`);
const { createHost } = await import(`${root}dist/host/host.js`);

const idle = await startIdle(K);
try {
  const collector = createCollector(createHost(), { plan: evidencePlanFor({ metrics: false }), intervalMs: 3_600_000 });
  await collector.collectOnce(); // warm-up
  const wall = [];
  const cpu = [];
  for (let i = 0; i < ROUNDS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await collector.collectOnce();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const pair = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    spawnSync('ps', ['-eo', 'pid,ppid,pgid,sid,uid,stat,lstart,rss,time,args'], { stdio: 'ignore' });
    spawnSync('ss', ['-ltnp'], { stdio: 'ignore' });
    pair.push(performance.now() - t0);
  }
  const server = exporterServer(collector);
  const { port } = await listen(server, '127.0.0.1', 0);
  for (let i = 0; i < 20; i++) await get(port); // warm-up
  const scrapes = 200;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < scrapes; i++) await get(port);
  const scrapeWall = (performance.now() - t0) / scrapes;
  const c = process.cpuUsage(c0);
  const scrapeCpu = (c.user + c.system) / 1000 / scrapes;
  const before = collector.stats().collections;
  server.close();
  server.closeAllConnections();
  const size = Buffer.byteLength(collector.current().text);
  console.log(`exporter at ${K} extra processes (${ROUNDS} rounds, medians; the client's CPU is in the per-scrape figure too)`);
  console.log('| what | wall ms | CPU ms |');
  console.log('| --- | ---: | ---: |');
  console.log(`| one collection (census, probes, rules, both formats) | ${median(wall).toFixed(1)} | ${median(cpu).toFixed(1)} |`);
  console.log(`| \`ps -eo …\` + \`ss -ltnp\`, one after the other | ${median(pair).toFixed(1)} | – |`);
  console.log(`| one scrape from the cache (GET /metrics, ${size} bytes) | ${scrapeWall.toFixed(2)} | ${scrapeCpu.toFixed(2)} |`);
  console.log(`collection per scrape: ${collector.stats().collections - before} collections during ${scrapes} scrapes; at --interval 15s a collection costs ${(median(cpu) / 150).toFixed(2)} % of one core`);
} finally {
  process.kill(-idle.pid, 'SIGKILL');
}
