// port-held on real processes, in a sandbox (its own PID, network and mount namespaces: its own
// loopback, so 29500 and 8080 are free): a spawn server (test/fixtures/ports/ports_server.py) whose
// worker listens on 127.0.0.1:29500 (torch.distributed's default MASTER_PORT) and on a unix socket,
// and whose main binds a unix socket of its own; an unrelated listener (TCP and unix) beside it; a
// fake docker-proxy (a symlink named docker-proxy to python3, so its comm is docker-proxy, with
// docker-proxy's argv) on watched port 8080, re-parented to init as dockerd's proxies are when
// dockerd dies. Healthy: nothing. SIGKILL the main: its worker's endpoints are named, main.sock is
// stale. clean --yes --include-detached ends the run and never the proxy; the port is free after it
// and both socket files are reported stale (nothing unlinks a socket file when its owner dies).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixture } from '../helpers/paths.js';
import { runSandbox, sandboxSkipReason } from '../helpers/sandbox.js';

const skip = sandboxSkipReason();

const NEIGHBOUR = `
import socket, sys, time
t = socket.socket(); t.bind(("127.0.0.1", 29600)); t.listen()
u = socket.socket(socket.AF_UNIX); u.bind(sys.argv[1]); u.listen()
print("listening", flush=True)
time.sleep(300)
`;

const SCRIPT = `
start neighbour "$PY" -c '${NEIGHBOUR}' "$PROJECT/neighbour.sock"
wait_line neighbour '^listening'
start srv "$PY" -m src.ports_server 29500
wait_ready srv 60
wait_port 29500
cli healthy diagnose --json --no-metrics --quick
ln -s "$PY" "$OUT/docker-proxy"
start proxy-launcher bash -c '"$@" </dev/null >"$OUT/logs/proxy.out" 2>&1 & echo $! >"$OUT/marks/proxy-pid"' _ "$OUT/docker-proxy" "$PROJECT/fake_docker_proxy.py" -proto tcp -host-ip 127.0.0.1 -host-port 8080 -container-ip 172.17.0.2 -container-port 80
wait_file proxy-pid
record proxy "$(cat "$OUT/marks/proxy-pid")"
wait_line proxy '^listening'
wait_gone "$(pid proxy-launcher)"
sig KILL "$(pid srv.main)"
wait_gone "$(pid srv.main)"
cli dead diagnose --json --no-metrics --quick
cli clean clean --yes --json --include-detached --grace 2s
wait_gone $(pids srv.workers)
cli named clean --yes --json --pid "$(pid proxy)"
alive after $(pids srv.run) "$(pid neighbour)" "$(pid proxy)"
if "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 29500))' 2>"$OUT/marks/bind-err"; then mark bind free; else mark bind taken; fi
cli after diagnose --json --no-metrics --quick
sig KILL "$(pid neighbour)" "$(pid proxy)"
`;

interface Finding {
  id: string;
  messageId: string;
  severity: string;
  title: string;
  pids: number[];
  ports: number[];
  evidence: Array<{ source: string; text: string }>;
  fix: string;
}
interface DiagnosisJson {
  findings: Finding[];
}
interface CleanJson {
  plan: { targets: Array<{ pid: number }>; excluded: Array<{ pid: number; why: string }> };
  report: { results: Array<{ pid: number; outcome: string }> } | null;
}

test('port-held: silent while healthy; after SIGKILL of the main, the orphan\'s 29500 and unix socket, the stale main.sock and docker-proxy\'s container side; clean ends the run, never the proxy', { skip, timeout: 240_000 }, async () => {
  const r = await runSandbox({
    name: 'port-held',
    files: {
      'src/ports_server.py': readFileSync(fixture('ports', 'ports_server.py'), 'utf8'),
      'fake_docker_proxy.py': readFileSync(fixture('ports', 'fake_docker_proxy.py'), 'utf8'),
      'rerun-doctor.json': JSON.stringify({ 'server-pattern': 'python.*-m src\\.ports_server' }),
    },
    timeoutMs: 150_000,
    script: SCRIPT,
  });
  const P = r.project;
  const worker = r.pids('srv.workers')[0]!;
  const mentionsProject = (f: Finding) => JSON.stringify(f).includes(P);

  const healthy = r.cli('healthy').json<DiagnosisJson>();
  assert.deepEqual(healthy.findings.filter((f) => f.id === 'port-held' && (f.messageId !== 'staleSocketFiles' || mentionsProject(f))), [], `healthy: nothing of the project (${r.cli('healthy').stdout.slice(0, 1500)})`);

  const dead = r.cli('dead').json<DiagnosisJson>();
  const held = dead.findings.find((f) => f.id === 'port-held' && f.messageId === 'held');
  assert.ok(held, `a held finding: ${r.cli('dead').stdout.slice(0, 3000)}`);
  assert.equal(held.severity, 'error');
  assert.deepEqual(held.ports, [29500]);
  assert.ok(held.pids.includes(worker), 'the orphaned worker holds them');
  assert.match(held.title, /still holds 2 listeners beyond the watched ports: 127\.0\.0\.1:29500, /);
  const texts = held.evidence.map((e) => e.text).join('\n');
  assert.match(texts, /127\.0\.0\.1:29500 \(torch\.distributed's default MASTER_PORT\) listens, held by pid \d+ \(worker\/spawn-worker, orphan\)/);
  assert.ok(texts.includes(`unix stream socket ${join(P, 'worker.sock')} listens`), texts);
  assert.ok(!texts.includes('29600') && !texts.includes('neighbour.sock'), 'the neighbour is not the run\'s');
  const stale = dead.findings.find((f) => f.id === 'port-held' && f.messageId === 'staleSocketFiles');
  assert.ok(stale, 'main.sock is stale');
  assert.equal(stale.severity, 'warning');
  assert.ok(stale.evidence.some((e) => e.source === join(P, 'main.sock')), JSON.stringify(stale.evidence));
  assert.ok(!stale.evidence.some((e) => e.source === join(P, 'worker.sock') || e.source === join(P, 'neighbour.sock')), 'the live ones are not');
  assert.ok(stale.fix.includes(`rm ${join(P, 'main.sock')}`), stale.fix);
  const proxy = dead.findings.find((f) => f.id === 'port-held' && f.messageId === 'dockerProxy');
  assert.ok(proxy, 'docker-proxy on 8080');
  assert.equal(proxy.title, `:8080 is published by docker-proxy ${r.pid('proxy')} for container 172.17.0.2:80`);
  assert.match(proxy.fix, /docker ps --filter publish=8080.*docker stop <container>/);
  assert.ok(!dead.findings.some((f) => f.id === 'orphan-server' && f.pids.includes(r.pid('proxy'))), 'orphan-server does not offer to clean it');

  for (const name of ['named', 'clean']) {
    const c = r.cli(name).json<CleanJson>();
    assert.ok(!c.plan.targets.some((t) => t.pid === r.pid('proxy')), `${name}: docker-proxy is never planned`);
    assert.match(c.plan.excluded.find((e) => e.pid === r.pid('proxy'))?.why ?? '', /docker-proxy publishes a container's port/, `${name}: ${r.cli(name).stdout.slice(0, 2000)}`);
  }
  const cleaned = r.cli('clean').json<CleanJson>();
  assert.ok(cleaned.report, r.cli('clean').stdout.slice(0, 3000) + r.cli('clean').stderr);
  assert.ok(cleaned.report!.results.some((x) => x.pid === worker && x.outcome === 'terminated'), JSON.stringify(cleaned.report));
  const up = r.alive('after');
  for (const pid of r.pids('srv.run')) assert.equal(up.get(pid), false, `pid ${pid} of the dead run is gone`);
  assert.equal(up.get(r.pid('neighbour')), true, 'the unrelated listener survives');
  assert.equal(up.get(r.pid('proxy')), true, 'docker-proxy survives clean');
  assert.equal(r.mark('bind'), 'free', `29500 is free after clean: ${r.mark('bind-err') ?? ''}`);

  const after = r.cli('after').json<DiagnosisJson>();
  assert.equal(after.findings.find((f) => f.id === 'port-held' && f.messageId === 'held'), undefined, 'nothing is held any more');
  const files = after.findings.find((f) => f.id === 'port-held' && f.messageId === 'staleSocketFiles');
  assert.ok(files, 'the socket files stay');
  const sources = files.evidence.map((e) => e.source);
  for (const s of ['main.sock', 'worker.sock']) assert.ok(sources.includes(join(P, s)), `${s} is stale now: ${sources.join(', ')}`);
  assert.ok(!sources.includes(join(P, 'neighbour.sock')), 'the neighbour\'s is live');
});
