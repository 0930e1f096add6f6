// Captures the golden evidence documents of test/fixtures/evidence/: real servers started, broken
// the usual ways, and `rerun-doctor evidence --json` run on each, inside a private PID + network +
// IPC namespace with a tmpfs of its own over /dev/shm (as root; it re-runs itself there), so
// nothing of this machine is touched. Each
// scenario writes <name>/evidence.json (the redacted, trimmed document the bundle embeds) and
// <name>/diagnosis.json (its diagnosis: the golden the replay test compares with), and SOURCE.md
// says how. Run it deliberately, after `npm run build`: `node scripts/capture-evidence.mjs [NAME…]`.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'test', 'fixtures', 'evidence');
const CLI = join(ROOT, 'dist', 'cli', 'bin.cjs');
const PY = '/usr/bin/python3';

if (process.env.RD_CAPTURE_NS !== '1') {
  // --ipc and (below) a tmpfs of its own over /dev/shm: the captures' shared memory is theirs,
  // never the machine's, and every holder of it is in view.
  const r = spawnSync('/usr/bin/unshare', ['--pid', '--fork', '--mount-proc', '--net', '--ipc', '--kill-child', PY, join(ROOT, 'scripts', 'ns-init.py'), process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, RD_CAPTURE_NS: '1', RD_CAPTURE_HOST_MNT: readlinkSync('/proc/self/ns/mnt') } });
  process.exit(r.status ?? 1);
}
if (readlinkSync('/proc/self/ns/mnt') === process.env.RD_CAPTURE_HOST_MNT) throw new Error('capture: not in a mount namespace of its own: not mounting over /dev/shm');
const mounted = spawnSync('/bin/mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=1777', 'rd-capture-shm', '/dev/shm'], { stdio: 'inherit' });
if (mounted.status !== 0) throw new Error('capture: could not mount a private tmpfs over /dev/shm');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const groups = [];

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** A project directory holding a copy of the sample server (python -m src.main runs from it). */
function project(name) {
  const dir = mkdtempSync(join(tmpdir(), `rd-${name}-`));
  cpSync(join(ROOT, 'demo', 'server', 'src'), join(dir, 'src'), { recursive: true });
  return dir;
}

/** Starts a command in its own process group; resolves with its ready line (JSON) when it prints one. */
function start(argv, cwd, { ready = true, stdin = 'ignore' } = {}) {
  const child = spawn(argv[0], argv.slice(1), { cwd, detached: true, stdio: [stdin, 'pipe', 'inherit'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  groups.push(child.pid);
  if (!ready) return Promise.resolve({ child });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, ...JSON.parse(line) });
    });
    child.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}`)));
  });
}

const server = async (dir, args) => start([PY, '-m', 'src.main', ...args], dir);

async function killMain(s) {
  const gone = new Promise((r) => s.child.once('exit', r));
  process.kill(s.main, 'SIGKILL');
  await gone;
  await sleep(300);
}

function evidence(dir, args) {
  const r = spawnSync(process.execPath, [CLI, 'evidence', '--json', '--project', dir, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, RERUN_DOCTOR_STATE_DIR: join(dir, '.state') } });
  if (r.status !== 0) throw new Error(`evidence: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function endAll() {
  for (const g of groups.splice(0)) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

const SCENARIOS = {
  async 'healthy-server'() {
    const dir = project('healthy');
    const [wp, mp] = [await freePort(), await freePort()];
    await server(dir, ['--workers', '2', '--worker-port', String(wp), '--metrics-port', String(mp)]);
    await sleep(1500);
    return { what: 'the sample server (python -m src.main, 2 spawn workers, metrics) running healthy; 3 metrics samples 2 s apart', dir, args: ['--port', `${wp},${mp}`, '--metrics-url', `http://127.0.0.1:${mp}/metrics`, '--instances', '2'] };
  },
  async 'killed-main'() {
    const dir = project('killed');
    const wp = await freePort();
    const s = await server(dir, ['--workers', '2', '--worker-port', String(wp)]);
    await sleep(1500);
    await killMain(s);
    return { what: "the sample server's main SIGKILLed (an IDE's stop button): its 2 workers and resource tracker orphaned, still holding the worker port", dir, args: ['--port', String(wp), '--no-metrics'] };
  },
  async 'rerun-after-kill'() {
    const dir = project('rerun');
    const wp = await freePort();
    const s = await server(dir, ['--workers', '2', '--worker-port', String(wp)]);
    await sleep(1500);
    await killMain(s);
    await server(dir, ['--workers', '2', '--worker-port', String(wp)]);
    await sleep(1500);
    return { what: 'a killed run beside its rerun: both bind the worker port (SO_REUSEPORT), so the old workers take part of the traffic', dir, args: ['--port', String(wp), '--no-metrics', '--instances', '2'] };
  },
  async 'leak-three-runs'() {
    const dir = project('leak');
    const wp = await freePort();
    for (let i = 0; i < 2; i++) {
      const s = await server(dir, ['--workers', '1', '--worker-port', String(wp)]);
      await sleep(1200);
      await killMain(s);
    }
    await server(dir, ['--workers', '1', '--worker-port', String(wp)]);
    await sleep(1200);
    return { what: 'two runs killed one after the other, then a third running: each killed run left its worker and tracker (a leak that grows with every run)', dir, args: ['--port', String(wp), '--no-metrics', '--instances', '1'] };
  },
  async 'detached-nohup'() {
    const dir = project('nohup');
    const [wp, mp] = [await freePort(), await freePort()];
    // A start script that backgrounds the server with nohup and exits.
    const sh = await start(['/bin/sh', '-c', `nohup ${PY} -m src.main --workers 1 --worker-port ${wp} --metrics-port ${mp} >/dev/null 2>&1 & echo '{"started": true}'`], dir);
    await new Promise((r) => sh.child.once('exit', r));
    await sleep(1500);
    // The server leads no group of its own: end its group by the server's pgid after.
    const ps = spawnSync('ps', ['-eo', 'pgid=,args='], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes('src.main'));
    for (const l of ps) groups.push(Number(l.trim().split(/\s+/)[0]));
    return { what: 'the only run, started by `nohup … &` from a start script that exited: a detached server that may be running on purpose (a warning, left alone by clean)', dir, args: ['--port', `${wp},${mp}`, '--no-metrics'] };
  },
  async 'foreign-server'() {
    const mine = project('mine');
    const other = project('other');
    const wp = await freePort();
    await server(other, ['--workers', '1', '--worker-port', String(wp)]);
    await sleep(1500);
    return { what: "another project's server, running, holds this project's watched port (named as whose it is, never cleaned)", dir: mine, args: ['--port', String(wp), '--no-metrics'] };
  },
  async 'shm-leak'() {
    // test/fixtures/shm/shm_server.py: a run SIGKILLed with its resource tracker and
    // torch_shm_manager leaves its segments (one worker orphaned); a healthy rerun maps its own.
    const dir = project('shm');
    writeFileSync(join(dir, 'src', 'shm_server.py'), readFileSync(join(ROOT, 'test', 'fixtures', 'shm', 'shm_server.py')));
    const dead = await start([PY, '-m', 'src.shm_server', '--mapped', '4', '--closed', '2', '--lock', '--torch'], dir);
    for (const pid of [dead.shm_manager, dead.tracker, dead.main]) process.kill(pid, 'SIGKILL');
    await sleep(1500);
    await start([PY, '-m', 'src.shm_server', '--mapped', '1', '--lock', '--attach'], dir);
    await sleep(1500);
    return { what: 'test/fixtures/shm/shm_server.py SIGKILLed with its resource tracker and torch_shm_manager (psm, semaphore and torch segments left; one worker orphaned), a healthy rerun mapping its own beside it', dir, args: ['--server-pattern', 'python.*-m src\\.shm_server', '--no-metrics'] };
  },
  async 'tokenizer-spikes'() {
    const dir = project('tokenizer');
    const m = await start([PY, join(ROOT, 'test', 'fixtures', 'bin', 'metrics_server.py'), '--port', '0'], dir, { stdin: 'pipe' });
    const send = (line) => m.child.stdin.write(line + '\n');
    send('tokenize 5 200');
    send('request 0.05 200');
    // Between the second and the third scrape: a burst of slow tokenization.
    send('on-scrape 2 tokenize 180 60');
    await sleep(500);
    return { what: 'a prometheus_client server (test/fixtures/bin/metrics_server.py) whose tokenize_ms histogram spikes between two of the three scrapes', dir, args: ['--port', '59999', '--metrics-url', `http://127.0.0.1:${m.port}/metrics`] };
  },
};

const only = process.argv.slice(2);
const names = only.length ? only : Object.keys(SCENARIOS);
const sources = [];
for (const name of names) {
  process.stderr.write(`capture: ${name}…\n`);
  try {
    const s = await SCENARIOS[name]();
    const bundle = evidence(s.dir, s.args);
    const dir = join(OUT, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'evidence.json'), JSON.stringify(bundle.evidence, null, 1) + '\n');
    writeFileSync(join(dir, 'diagnosis.json'), JSON.stringify(bundle.diagnosis, null, 2) + '\n');
    sources.push({ name, what: s.what, args: s.args, verdict: bundle.diagnosis.verdict });
    rmSync(s.dir, { recursive: true, force: true });
  } finally {
    endAll();
    await sleep(300);
  }
}
process.stderr.write(`captured: ${sources.map((s) => `${s.name}: ${s.verdict}`).join('\n          ')}\n`);
if (only.length === 0) {
  const kernel = spawnSync('uname', ['-sr'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(join(OUT, 'SOURCE.md'), [
    '# Captured evidence documents',
    '',
    `Captured by \`node scripts/capture-evidence.mjs\` on ${new Date().toISOString().slice(0, 10)}, ${kernel}, Node ${process.version},`,
    "/usr/bin/python3 (Debian's), inside a private PID + network + IPC namespace with a tmpfs of its own over",
    "/dev/shm (the script's own; pid 1 is scripts/ns-init.sh's bash). Each directory holds what `rerun-doctor evidence --json --project DIR …`",
    'wrote for a real run of the scenario: `evidence.json` is the redacted document, trimmed to the',
    'processes the diagnosis reads (as the bundle embeds it), and `diagnosis.json` its diagnosis, which',
    'test/diagnosis/golden.test.ts replays. Regenerate on purpose (a capture is not reproducible to the',
    'byte: pids, times and paths differ), and review the diagnoses before committing.',
    '',
    '| scenario | what ran | flags | verdict |',
    '|---|---|---|---|',
    ...sources.map((s) => `| \`${s.name}\` | ${s.what} | \`${s.args.join(' ').replace(/\d{4,5}/g, 'PORT')}\` | ${s.verdict.replace(/\|/g, '\\|')} |`),
    '',
  ].join('\n'));
}
