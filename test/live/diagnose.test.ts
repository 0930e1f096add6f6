// diagnose end to end with real Python servers: every finding on its cause, and none on a clean server.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanup, freePort, killAndReap, PYTHON, runCli, startServer, waitListening } from '../helpers/live.js';
import { startMetricsServer } from '../helpers/metrics-server.js';

const tracked = new Set<number>();
const groups: number[] = [];
const state = mkdtempSync(join(tmpdir(), 'rd-diag-'));
after(async () => {
  await cleanup(tracked, groups);
  rmSync(state, { recursive: true, force: true });
});
const testStart = Date.now() - 1000;
const env = { RERUN_DOCTOR_STATE_DIR: state };

interface Diag {
  schemaVersion: number;
  verdict: string;
  status: string;
  findings: Array<{ id: string; severity: string; pids: number[]; ports: number[]; evidence: Array<{ text: string; source: string }> }>;
  deferred: Array<{ id: string }>;
  skipped: Array<{ id: string; reason: string }>;
}

async function diag(args: string[]): Promise<{ code: number; d: Diag }> {
  const r = await runCli(['diagnose', '--json', ...args], { env });
  assert.ok(r.stdout.startsWith('{'), `diagnose printed JSON: ${r.stdout}${r.stderr}`);
  const d = JSON.parse(r.stdout) as Diag;
  // Strays from before this file (a developer's machine) are not ours to judge.
  d.findings = d.findings.map((f) => ({ ...f, pids: f.pids.filter((p) => tracked.has(p) || p > 0) }));
  return { code: r.code, d };
}

async function start(args: string[], launcher?: string[]) {
  const s = await startServer(args, tracked, launcher ? { launcher } : {});
  groups.push(s.pgid);
  return s;
}

test('a clean server: no findings at all, and what could not be judged is said', async () => {
  const [port, mport] = [await freePort(), await freePort()];
  const s = await start(['--workers', '2', '--port', String(port), '--worker-port', String(mport)]);
  await waitListening([port, mport]);
  const { code, d } = await diag(['--port', `${port},${mport}`, '--no-metrics', '--quick']);
  const mine = d.findings.filter((f) => f.pids.some((p) => [s.main, ...s.workers, s.tracker].includes(p)) || f.ports.some((p) => p === port || p === mport));
  assert.deepEqual(mine, [], `no false positives: ${JSON.stringify(mine)}`);
  assert.ok(d.skipped.some((k) => k.id === 'tokenizer-bottleneck' && /--no-metrics/.test(k.reason)), JSON.stringify(d.skipped));
  assert.doesNotMatch(d.verdict, /^healthy/, 'never healthy with evidence missing');
  if (d.findings.length === 0) assert.equal(code, 0);
});

for (const method of ['spawn', 'forkserver'] as const) {
  test(`orphan-workers (${method}): the killed run's workers and helpers, by pid, holding the port`, async () => {
    const port = await freePort();
    const s = await start(['--workers', '2', '--start-method', method, '--worker-port', String(port)]);
    await waitListening([port]);
    await killAndReap(s);
    const { code, d } = await diag(['--port', String(port), '--no-metrics', '--quick']);
    assert.equal(code, 1);
    const f = d.findings.find((x) => x.id === 'orphan-workers' && x.pids.includes(s.workers[0]!));
    assert.ok(f, JSON.stringify(d.findings));
    const expected = [...s.workers, s.tracker!, ...(method === 'forkserver' ? [s.forkserver!] : [])].sort((a, b) => a - b);
    assert.deepEqual(f.pids, expected);
    assert.deepEqual(f.ports, [port]);
    assert.match(d.verdict, /orphaned worker/);
    const text = await runCli(['diagnose', '--port', String(port), '--no-metrics', '--quick'], { env });
    assert.match(text.stdout, /^Verdict: \d+ problem/);
    assert.match(text.stdout, /next: rerun-doctor clean\n {10}rerun-doctor explain orphan-workers/);
    const md = await runCli(['diagnose', '--format', 'markdown', '--port', String(port), '--no-metrics', '--quick'], { env });
    assert.match(md.stdout, /^## Diagnosis\n\n\*\*Verdict:\*\*/);
  });
}

test('orphan-server and port-shared: a server whose launcher died still holds the port a rerun shares', async () => {
  const port = await freePort();
  const old = await start([], ['/bin/sh', '-c', `${PYTHON} -m src.main --workers 1 --port ${port} --reuseport & wait`]);
  await waitListening([port]);
  process.kill(old.pgid, 'SIGKILL'); // the launcher (an IDE's wrapper) dies; the server lives on
  await new Promise<void>((r) => (old.child.exitCode !== null || old.child.signalCode !== null ? r() : old.child.once('exit', () => r())));
  const rerun = await start(['--workers', '1', '--port', String(port), '--reuseport']);
  await waitListening([port]);
  const { d } = await diag(['--port', String(port), '--no-metrics', '--quick']);
  const server = d.findings.find((f) => f.id === 'orphan-server');
  assert.ok(server && server.ports.includes(port), JSON.stringify(d.findings));
  server.pids.forEach((p) => tracked.add(p));
  assert.ok(!server.pids.includes(rerun.main), 'the rerun is not the orphan');
  const shared = d.findings.find((f) => f.id === 'port-shared');
  assert.ok(shared && shared.severity === 'error' && shared.pids.includes(rerun.main), JSON.stringify(d.findings));
});

test('process-leak: three leaky runs leave three orphaned runs', async () => {
  const pids: number[] = [];
  const port = await freePort();
  for (let i = 0; i < 3; i++) {
    const s = await start(['--workers', '1', '--worker-port', String(port)]);
    await waitListening([port]);
    await killAndReap(s);
    pids.push(...s.workers, s.tracker!);
  }
  const { d } = await diag(['--port', String(port), '--no-metrics', '--quick']);
  const leak = d.findings.find((f) => f.id === 'process-leak');
  assert.ok(leak, JSON.stringify(d.findings.map((f) => f.id)));
  for (const p of pids) assert.ok(leak.pids.includes(p), `pid ${p} of a leaked run is named`);
  assert.match(leak.evidence.map((e) => e.text).join('\n'), /run \d+, started .* left 2 processes/);
});

test('tokenizer-bottleneck: a tokenize_ms spike between two of the diagnosis samples', async () => {
  const srv = await startMetricsServer(tracked);
  await srv.send('tokenize 5 50');
  await srv.send('request 0.05 50');
  await srv.send('on-scrape 2 tokenize 150 12'); // the spike, in the first interval
  await srv.send('on-scrape 3 tokenize 5 10'); // then ordinary intervals
  await srv.send('on-scrape 4 tokenize 5 10');
  const { d } = await diag(['--port', String(await freePort()), '--metrics-url', srv.url, '--samples', '4', '--interval', '300ms']);
  const all = [...d.findings, ...d.deferred];
  const tok = all.find((f) => f.id === 'tokenizer-bottleneck') as Diag['findings'][number] | undefined;
  assert.ok(tok, `found: ${JSON.stringify(all.map((f) => f.id))}, skipped: ${JSON.stringify(d.skipped)}`);
  assert.match(tok.evidence[0]!.text, /interval p95 of tokenize_ms was 1\d\d\.\d ms/);
  await srv.stop();
});

test('metrics unreachable: the verdict says what was not judged', async () => {
  const port = await freePort();
  const { d } = await diag(['--port', String(port), '--metrics-url', `http://127.0.0.1:${port}/metrics`, '--quick']);
  const k = d.skipped.find((s) => s.id === 'tokenizer-bottleneck');
  assert.ok(k && /could not be read \(refused/.test(k.reason), JSON.stringify(d.skipped));
  void testStart;
});

test('metrics port held by something that is not HTTP: the not-judged reason is the line `metrics` prints', async () => {
  const { createServer: createTcp } = await import('node:net');
  const tcp = createTcp((s) => s.once('data', () => s.end('SSH-2.0-OpenSSH_9.6\r\n')));
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  try {
    const a = tcp.address();
    const url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/metrics`;
    const m = await runCli(['metrics', url, '--no-grpc'], { env });
    assert.equal(m.code, 4, m.stderr);
    const line = m.stderr.trim().replace(`rerun-doctor: metrics ${url}: `, '');
    assert.match(line, /answered, but not with HTTP \(it sent "SSH-2\.0-OpenSSH_9\.6"\): is this the metrics port\?$/);
    const { d } = await diag(['--port', String(await freePort()), '--metrics-url', url, '--quick']);
    const k = d.skipped.find((s) => s.id === 'tokenizer-bottleneck');
    assert.ok(k, JSON.stringify(d.skipped));
    assert.ok(k.reason.includes(`${url} could not be read (not-http: ${line})`), k.reason);
  } finally {
    tcp.close();
  }
});

test('gpu-memory-held: real orphans named by a (fake, fixture-fed) nvidia-smi as holding GPU memory', async () => {
  const { cpSync, writeFileSync } = await import('node:fs');
  const { fixture } = await import('../helpers/paths.js');
  const port = await freePort();
  const s = await start(['--workers', '2', '--worker-port', String(port)]);
  await waitListening([port]);
  await killAndReap(s);
  // The captured scenario, with its two pids replaced by this run's orphaned workers.
  const dir = mkdtempSync(join(tmpdir(), 'rd-gpu-'));
  cpSync(fixture('gpu', 'nvidia-orphans'), dir, { recursive: true });
  const uuid = 'GPU-8f3c2a71-5d4e-4b9a-a0c6-2e7d91b4f0a3';
  writeFileSync(join(dir, 'compute-apps.out'), s.workers.map((w) => `${w}, 5212, ${uuid}\n`).join(''));
  try {
    const r = await runCli(['diagnose', '--json', '--port', String(port), '--no-metrics', '--quick'], {
      env: { ...env, PATH: `${fixture('bin', 'gpu')}:${process.env.PATH}`, RERUN_DOCTOR_FIXTURE_DIR: dir },
    });
    const d = JSON.parse(r.stdout) as Diag;
    const g = d.findings.find((f) => f.id === 'gpu-memory-held');
    assert.ok(g, JSON.stringify({ findings: d.findings.map((f) => f.id), skipped: d.skipped }));
    assert.deepEqual(g.pids, [...s.workers].sort((a, b) => a - b));
    assert.match(g.evidence[0]!.text, /holds 5212 MiB of GPU memory on GPU-8f3c/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
