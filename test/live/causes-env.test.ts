// The causes read from each process's status and environment, on real servers
// (test/fixtures/causes/env_server.py): cpu-oversubscribed, fork-unsafe. Each case starts its server in its own
// process group, diagnoses it with the built CLI, and ends the group; nothing may survive.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const UNSET = { OMP_NUM_THREADS: undefined, MKL_NUM_THREADS: undefined, OPENBLAS_NUM_THREADS: undefined, TORCH_NUM_THREADS: undefined, TOKENIZERS_PARALLELISM: undefined, GRPC_ENABLE_FORK_SUPPORT: undefined, GRPC_POLL_STRATEGY: undefined };

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
  assert.equal(f.messageId, 'contended', JSON.stringify(f.evidence));
  assert.equal(f.severity, 'warning');
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

test('fork-unsafe: grpc loaded in a fork-start server without fork support; silent with it', async () => {
  const s = await start(['--workers', '2', '--start-method', 'fork', '--import-grpc']);
  const d = await diagnose(s);
  const f = all(d).find((x) => x.id === 'fork-unsafe');
  assert.ok(f, JSON.stringify(d));
  assert.equal(f.messageId, 'grpcBeforeFork');
  assert.match(f.evidence.map((e) => e.text).join('\n'), new RegExp(`grpc's core \\(cygrpc\\) is mapped in server ${s.main} \\(evidenced\\)[^\\n]*\\nGRPC_ENABLE_FORK_SUPPORT unset, GRPC_POLL_STRATEGY unset`));
  const ok = await start(['--workers', '2', '--start-method', 'fork', '--import-grpc'], { GRPC_ENABLE_FORK_SUPPORT: 'true', GRPC_POLL_STRATEGY: 'poll' });
  const d2 = await diagnose(ok);
  assert.equal(all(d2).find((x) => x.id === 'fork-unsafe' && x.pids.includes(ok.main)), undefined, JSON.stringify(all(d2)));
});
