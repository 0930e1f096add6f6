// The causes read from each process's status and environment, on real servers
// (test/fixtures/causes/env_server.py): cpu-oversubscribed, fork-unsafe, stale-multiproc-dir. Each case starts its server in its own
// process group, diagnoses it with the built CLI, and ends the group; nothing may survive.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { cleanup, freePort, PYTHON, runCli, sleep, startServer, waitListening, type Started } from '../helpers/live.js';
import { fixture } from '../helpers/paths.js';

const SERVER = fixture('causes', 'env_server.py');
const tracked = new Set<number>();
const groups: number[] = [];
afterEach(async () => {
  try {
    await cleanup(tracked, groups);
  } finally {
    tracked.clear();
    groups.length = 0;
  }
});

interface Finding {
  id: string;
  messageId: string;
  severity: string;
  confidence: string;
  pids: number[];
  evidence: Array<{ text: string; source: string }>;
  fix: string;
}
interface Diag {
  findings: Finding[];
  deferred: Finding[];
  skipped: Array<{ id: string; reason: string }>;
}

// Settings for every case: the thread caps unset unless the case sets them.
const UNSET = { OMP_NUM_THREADS: undefined, MKL_NUM_THREADS: undefined, OPENBLAS_NUM_THREADS: undefined, TORCH_NUM_THREADS: undefined, TOKENIZERS_PARALLELISM: undefined, GRPC_ENABLE_FORK_SUPPORT: undefined, GRPC_POLL_STRATEGY: undefined, PROMETHEUS_MULTIPROC_DIR: undefined, prometheus_multiproc_dir: undefined };

async function start(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Started & { port: number }> {
  const port = await freePort();
  const s = await startServer([], tracked, { launcher: [PYTHON, SERVER, '--port', String(port), ...args], env: { ...UNSET, ...env } });
  groups.push(s.pgid);
  await waitListening([port]);
  return { ...s, port };
}

async function diagnose(s: { port: number }, extra: string[] = ['--no-metrics', '--quick']): Promise<Diag> {
  const r = await runCli(['diagnose', '--json', '--port', String(s.port), '--server-pattern', 'env_server\\.py', ...extra]);
  assert.ok(r.stdout.startsWith('{'), `diagnose printed JSON: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as Diag;
}

const all = (d: Diag) => [...d.findings, ...d.deferred];

test('cpu-oversubscribed: two workers each keeping both cores busy, no thread cap set', async () => {
  const s = await start(['--workers', '2', '--threads', '2']);
  await sleep(2500); // CPU time and preemptions to measure
  const d = await diagnose(s);
  const f = all(d).find((x) => x.id === 'cpu-oversubscribed');
  assert.ok(f, JSON.stringify(d));
  assert.deepEqual(f.pids, [...s.workers].sort((a, b) => a - b));
  // A warning when the workers' own CPU time fills the cores; on a machine that other work keeps
  // busy they get less of it, and the finding is then a note: either way it fires.
  const busy = Number(/the workers used ([\d.]+) of 2 usable cores/.exec(f.evidence.map((e) => e.text).join('\n'))?.[1]);
  assert.ok(Number.isFinite(busy), JSON.stringify(f.evidence));
  assert.deepEqual([f.messageId, f.severity], busy >= 1.5 ? ['contended', 'warning'] : ['threads', 'info'], JSON.stringify(f.evidence));
  const text = f.evidence.map((e) => e.text).join('\n');
  assert.match(text, /usable cores: 2 \(affinity 0-1/);
  for (const w of s.workers) assert.match(text, new RegExp(`worker ${w} \\(run \\d+\\): 2 threads; OMP_NUM_THREADS=\\(unset\\)`));
  assert.match(f.fix, /Cap each worker at 1 thread \(2 usable cores \/ 2 workers\)/);
  // The evidence carries it: --json has the threads and the cpu part, the bundle shows them, and
  // both replay to the finding (the shareable copy keeps what the rule reads).
  const dir = mkdtempSync(join(tmpdir(), 'rd-causes-'));
  try {
    const json = await runCli(['evidence', '--json', '--port', String(s.port), '--server-pattern', 'env_server\\.py', '--no-metrics', '--quick']);
    const j = JSON.parse(json.stdout) as { evidence: { cpu: { status: string; value: { online: string } }; snapshot: { processes: Array<{ pid: number; threads?: number; cpusAllowed?: string }> } } };
    assert.equal(j.evidence.cpu.status, 'ok');
    assert.equal(j.evidence.cpu.value.online, '0-1');
    for (const w of s.workers) assert.deepEqual(j.evidence.snapshot.processes.filter((p) => p.pid === w).map((p) => [p.threads, p.cpusAllowed]), [[2, '0-1']]);
    const file = join(dir, 'evidence.json');
    writeFileSync(file, json.stdout);
    const out = join(dir, 'evidence.md');
    assert.equal((await runCli(['evidence', '--out', out, '--port', String(s.port), '--server-pattern', 'env_server\\.py', '--no-metrics', '--quick'])).code, 0);
    const md = readFileSync(out, 'utf8');
    assert.match(md, /## Threads and CPUs \(the project's processes\)/);
    for (const w of s.workers) assert.match(md, new RegExp(`^ *${w} worker +2 +\\d+ 0-1 +\\(none set\\)$`, 'm'));
    for (const from of [file, out]) {
      const r = await runCli(['diagnose', '--from', from, '--json']);
      const replayed = all(JSON.parse(r.stdout) as Diag).find((x) => x.id === 'cpu-oversubscribed');
      assert.deepEqual(replayed?.pids, f.pids, `${from} replays to the finding`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cpu-oversubscribed: silent with OMP_NUM_THREADS=1 and one thread per worker', async () => {
  const s = await start(['--workers', '2', '--threads', '1'], { OMP_NUM_THREADS: '1' });
  await sleep(1000);
  const d = await diagnose(s);
  assert.equal(all(d).find((x) => x.id === 'cpu-oversubscribed'), undefined, JSON.stringify(all(d)));
  assert.equal(d.skipped.find((x) => x.id === 'cpu-oversubscribed'), undefined, 'judged, not skipped');
});

test('fork-unsafe: a fork-start server with TOKENIZERS_PARALLELISM=true in its environment', async () => {
  const s = await start(['--workers', '2', '--start-method', 'fork'], { TOKENIZERS_PARALLELISM: 'true' });
  const d = await diagnose(s);
  const f = all(d).find((x) => x.id === 'fork-unsafe');
  assert.ok(f, JSON.stringify(d));
  assert.equal(f.messageId, 'tokenizersParallel');
  assert.deepEqual(f.pids, [s.main, ...s.workers].sort((a, b) => a - b));
  assert.equal(f.severity, 'warning');
  assert.equal(f.confidence, 'low', 'no tokenizer loaded in the server: the hang is inferred, not seen');
  const text = f.evidence.map((e) => e.text).join('\n');
  assert.match(text, /copies of server \d+'s command line under it: the fork start method \(evidenced\)/);
  assert.match(text, /TOKENIZERS_PARALLELISM=true in the server's environment/);
  assert.match(text, /the tokenizers library is not mapped in server/);
});

test('fork-unsafe: silent with the spawn start method, whatever TOKENIZERS_PARALLELISM says', async () => {
  const s = await start(['--workers', '2', '--start-method', 'spawn', '--import-grpc'], { TOKENIZERS_PARALLELISM: 'true' });
  const d = await diagnose(s);
  assert.equal(all(d).find((x) => x.id === 'fork-unsafe'), undefined, JSON.stringify(all(d)));
  assert.equal(d.skipped.find((x) => x.id === 'fork-unsafe'), undefined, 'judged, not skipped');
});

test('fork-unsafe: a fork server that created a grpc channel before forking, no fork support; silent when grpc is only imported, or with fork support', async () => {
  const s = await start(['--workers', '2', '--start-method', 'fork', '--grpc-channel']);
  const d = await diagnose(s);
  const f = all(d).find((x) => x.id === 'fork-unsafe');
  assert.ok(f, JSON.stringify(d));
  assert.deepEqual([f.messageId, f.severity, f.confidence], ['grpcBeforeFork', 'warning', 'low']);
  const text = f.evidence.map((e) => e.text).join('\n');
  assert.match(text, new RegExp(`grpc's core \\(cygrpc\\) is mapped in server ${s.main} \\(evidenced\\)`));
  assert.match(text, new RegExp(`grpc threads \\([^)]*default-executo[^)]*\\) run in server ${s.main}: a grpc channel or server exists`));
  assert.match(text, /GRPC_ENABLE_FORK_SUPPORT unset, GRPC_POLL_STRATEGY unset/);
  // grpc's own multiprocessing example: grpc imported, no channel or server before the fork.
  const imported = await start(['--workers', '2', '--start-method', 'fork', '--import-grpc']);
  const d2 = await diagnose(imported);
  assert.equal(all(d2).find((x) => x.id === 'fork-unsafe' && x.pids.includes(imported.main)), undefined, JSON.stringify(all(d2)));
  const supported = await start(['--workers', '2', '--start-method', 'fork', '--grpc-channel'], { GRPC_ENABLE_FORK_SUPPORT: 'true', GRPC_POLL_STRATEGY: 'poll' });
  const d3 = await diagnose(supported);
  assert.equal(all(d3).find((x) => x.id === 'fork-unsafe' && x.pids.includes(supported.main)), undefined, JSON.stringify(all(d3)));
});

/** An earlier run's process: prometheus_client in multiprocess mode writes its files, and it exits. */
function earlierRun(dir: string): Promise<number> {
  const code = "import os; from prometheus_client import Counter, Gauge; Counter('requests', 'Requests served.').inc(); Gauge('workers', 'Live workers.', multiprocess_mode='all').set(1); Gauge('busy', 'Busy workers.', multiprocess_mode='livesum').set(1); print(os.getpid())";
  return new Promise((resolve, reject) => {
    execFile(PYTHON, ['-c', code], { env: { ...process.env, PROMETHEUS_MULTIPROC_DIR: dir }, timeout: 20_000 }, (err, stdout) => (err ? reject(err) : resolve(Number(stdout.trim()))));
  });
}

test("stale-multiproc-dir: a live server's PROMETHEUS_MULTIPROC_DIR holds two earlier runs' files", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rd-mp-'));
  try {
    const dead = [await earlierRun(dir), await earlierRun(dir)].sort((a, b) => a - b);
    assert.equal(readdirSync(dir).filter((n) => n.endsWith(`_${dead[0]}.db`)).length, 3, `prometheus_client wrote its files: ${readdirSync(dir).join(' ')}`);
    await sleep(2200); // the earlier runs' files are older than the server (start times are to the second: btime)
    const mport = await freePort();
    const s = await start(['--workers', '2', '--metrics', '--metrics-port', String(mport)], { PROMETHEUS_MULTIPROC_DIR: dir });
    await waitListening([mport]);
    const d = await diagnose(s, ['--metrics-url', `http://127.0.0.1:${mport}/metrics`, '--quick']);
    const f = all(d).find((x) => x.id === 'stale-multiproc-dir');
    assert.ok(f, JSON.stringify(d));
    assert.equal(f.messageId, 'stale');
    assert.equal(f.severity, 'warning');
    assert.deepEqual(f.pids, [s.main, ...s.workers, s.tracker!].sort((a, b) => a - b), 'the live processes that name the directory (the tracker inherits it too)');
    const text = f.evidence.map((e) => e.text).join('\n');
    assert.match(text, new RegExp(`earlier runs' pids: ${dead[0]}, ${dead[1]} `));
    assert.match(text, /6 of 2 dead pids last written before it started/);
    assert.match(text, new RegExp(`2 live-mode gauge files \\(gauge_live\\*\\) of 2 dead pids \\(${dead[0]}, ${dead[1]}\\)`));
    assert.match(text, new RegExp(`workers has 4 series by pid, 2 of them for pids that are dead \\(${dead[0]}, ${dead[1]}\\), with 2 workers alive`));
    assert.match(text, /1 scrape took \d+ ms on average/);
    // The document carries the listing, the bundle shows it, and both replay to the finding.
    const args = ['--port', String(s.port), '--server-pattern', 'env_server\\.py', '--metrics-url', `http://127.0.0.1:${mport}/metrics`, '--quick'];
    const json = await runCli(['evidence', '--json', ...args]);
    const doc = JSON.parse(json.stdout) as { evidence: { multiproc: { status: string; value: Array<{ dir: string; byPid: Array<{ pid: number; files: number }> }> } } };
    assert.equal(doc.evidence.multiproc.status, 'ok');
    assert.deepEqual(doc.evidence.multiproc.value[0]!.byPid.filter((r) => dead.includes(r.pid)).map((r) => r.files), [3, 3]);
    const file = join(dir, '..', `${dir.split('/').pop()}-evidence.json`);
    const out = join(dir, '..', `${dir.split('/').pop()}-evidence.md`);
    try {
      writeFileSync(file, json.stdout);
      assert.equal((await runCli(['evidence', '--out', out, ...args])).code, 0);
      assert.match(readFileSync(out, 'utf8'), new RegExp(`## prometheus_client multiprocess directories[\\s\\S]*pid +${dead[0]}: 3 files \\(1 live gauges\\)`));
      for (const from of [file, out]) {
        const r = await runCli(['diagnose', '--from', from, '--json']);
        assert.equal(all(JSON.parse(r.stdout) as Diag).find((x) => x.id === 'stale-multiproc-dir')?.messageId, 'stale', `${from} replays to the finding`);
      }
    } finally {
      rmSync(file, { force: true });
      rmSync(out, { force: true });
    }
    assert.equal(readdirSync(dir).filter((n) => dead.some((p) => n.endsWith(`_${p}.db`))).length, 6, 'reports only: nothing deleted');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stale-multiproc-dir: silent on a fresh directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rd-mp-'));
  try {
    const mport = await freePort();
    const s = await start(['--workers', '2', '--metrics', '--metrics-port', String(mport)], { PROMETHEUS_MULTIPROC_DIR: dir });
    await waitListening([mport]);
    const d = await diagnose(s, ['--metrics-url', `http://127.0.0.1:${mport}/metrics`, '--quick']);
    assert.equal(all(d).find((x) => x.id === 'stale-multiproc-dir'), undefined, JSON.stringify(all(d)));
    assert.equal(d.skipped.find((x) => x.id === 'stale-multiproc-dir'), undefined, 'judged, not skipped');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
