// The sandbox itself (test/helpers/sandbox.ts), proven with real processes: what runs inside is
// private (its own pids and loopback), pid 1 is the init and adopts orphans, pid 1 can be the
// scenario's own, a timeout ends everything, and nothing a scenario started outlives it.
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { runSandbox, sandboxSkipReason, type Member } from '../helpers/sandbox.js';

const skip = sandboxSkipReason();

/** Still a process of that namespace? (After the namespace is gone, none of its pids may be.) */
function inNamespace(hostPid: number, nsTag: string): boolean {
  try {
    return readlinkSync(`/proc/${hostPid}/ns/pid`) === nsTag;
  } catch {
    return false;
  }
}

test('pid 1 is the sandbox init (a session leader); the terminal is a session leader whose jobs get their own groups', { skip }, async () => {
  const r = await runSandbox({
    name: 'shape',
    script: `
start job1 sleep 300
start job2 sleep 300
start_in "$PROJECT2" job3 sleep 300
# The job's subshell cds, then execs: until it has, /proc shows the terminal's cwd.
for _ in $(seq 100); do [[ $(cat "/proc/$(pid job3)/comm") == sleep ]] && break; sleep 0.02; done
mark cwd3 "$(readlink "/proc/$(pid job3)/cwd")"
cli_in "$PROJECT2" help2 --help
snapshot s
grep SigIgn "/proc/$(pid job1)/status" > "$OUT/marks/sigign"
`,
  });
  const rows = new Map(r.snapshot('s').map((p) => [p.pid, p]));
  const init = rows.get(1);
  assert.ok(init, 'pid 1 is in the snapshot');
  assert.equal(init.argv[0], 'sandbox-init', `pid 1 runs the init: ${init.argv.join(' ')}`);
  assert.deepEqual([init.ppid, init.pgid, init.sid], [0, 1, 1], 'pid 1 leads its own session and group');
  const term = rows.get(r.pid('terminal'));
  assert.ok(term, 'the terminal is in the snapshot');
  assert.deepEqual([term.ppid, term.pgid, term.sid], [1, term.pid, term.pid], 'the terminal is init\'s child and leads its own session');
  for (const j of ['job1', 'job2', 'job3']) {
    const row = rows.get(r.pid(j));
    assert.ok(row, `${j} is alive`);
    assert.equal(row.pgid, row.pid, `${j} leads its own process group (job control)`);
    assert.equal(row.sid, term.pid, `${j} is in the terminal's session`);
    assert.equal(row.ppid, term.pid, `${j} is the terminal's child`);
  }
  assert.equal(r.mark('cwd3'), r.project2, 'start_in runs the job in the other project dir');
  assert.equal(r.cli('help2').code, 0, `the CLI runs inside: ${r.cli('help2').stderr}`);
  assert.match(r.cli('help2').stdout, /Usage: rerun-doctor/, 'the CLI printed its help');
  // Ctrl-C reaches a job: SIGINT (bit 1) and SIGQUIT (bit 2) are not ignored, as in a terminal.
  const ign = BigInt(`0x${(r.mark('sigign') ?? '').split(/\s+/)[1] ?? 'ff'}`);
  assert.equal(ign & 6n, 0n, `a job does not ignore SIGINT or SIGQUIT: ${r.mark('sigign')}`);
  assert.ok(rows.size <= 7, `only the namespace's processes are visible inside: ${[...rows.keys()].join(' ')}`);
});

test('a process inside has its own pid; the host sees it only under another pid, and its pid 1 is the init', { skip }, async () => {
  let seen: Member[] = [];
  let nsTag = '';
  const r = await runSandbox({
    name: 'visibility',
    env: { HOST_PID: String(process.pid) },
    script: `
start sleeper sleep 300
mark started "$(pid sleeper)"
alive host "$HOST_PID"
wait_file looked
`,
    whileRunning: async (ns) => {
      await ns.waitMark('started');
      seen = ns.members();
      nsTag = readlinkSync(`/proc/${ns.initHostPid}/ns/pid`);
      ns.mark('looked');
    },
  });
  const inner = r.pid('sleeper');
  const sleeper = seen.find((m) => m.nsPid === inner && m.argv[0] === 'sleep');
  assert.ok(sleeper, `the host finds the sleeper through the namespace: ${JSON.stringify(seen)}`);
  assert.notEqual(sleeper.hostPid, inner, 'its host pid is not its pid inside');
  assert.ok(seen.some((m) => m.nsPid === 1 && m.argv[0] === 'sandbox-init'), 'the namespace pid 1 is the init');
  if (process.pid > 1000) assert.equal(r.alive('host').get(process.pid), false, `the test process (host pid ${process.pid}) is not visible inside`);
  assert.deepEqual(r.survivors, [], 'nothing survived');
  for (const m of seen) assert.equal(inNamespace(m.hostPid, nsTag), false, `host pid ${m.hostPid} (${m.argv.join(' ')}) is gone`);
});

test('an orphan is reparented to pid 1 (the init), keeping its dead leader\'s group and the terminal\'s session', { skip }, async () => {
  const r = await runSandbox({
    name: 'orphan',
    script: `
start orphaner /bin/sh -c 'sleep 300 & echo $! > "$OUT/marks/orphan"'
wait_gone "$(pid orphaner)"
wait_file orphan
record orphan "$(cat "$OUT/marks/orphan")"
settle 0.1
snapshot s
`,
  });
  const orphan = r.snapshot('s').find((p) => p.pid === r.pid('orphan'));
  assert.ok(orphan, 'the orphan is alive');
  assert.equal(orphan.ppid, 1, 'reparented to the namespace init');
  assert.equal(orphan.pgid, r.pid('orphaner'), 'its group is its dead leader\'s');
  assert.equal(orphan.sid, r.pid('terminal'), 'its session is the terminal\'s');
});

test('loopback is up and private: the default ports are free in each of two namespaces at once, a host listener is not there', { skip }, async () => {
  // A host listener on a random port: inside, that port is free (another loopback).
  const server: Server = createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const hostPort = (server.address() as { port: number }).port;
  try {
    const script = `
start srv "$PY" -m src.main --workers 1 --worker-port 50051 --metrics-port 8080
wait_ready srv
wait_port 50051 8080
"$PY" -c '
import socket, sys, urllib.request
body = urllib.request.urlopen("http://127.0.0.1:8080/metrics", timeout=5).read().decode()
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
print("metrics" if "requests_total" in body else "no-metrics", "bound")
' "${hostPort}" > "$OUT/marks/loopback"
`;
    const [a, b] = await Promise.all([runSandbox({ name: 'loopback-a', script }), runSandbox({ name: 'loopback-b', script })]);
    for (const r of [a, b]) assert.equal(r.mark('loopback'), 'metrics bound', `${r.name}: 127.0.0.1:8080 answered and :${hostPort} was free\n${r.describe()}`);
  } finally {
    await new Promise<void>((res) => server.close(() => res()));
  }
});

test('pid 1 can be the scenario\'s: sh -c as pid 1, the server as pid 2, the terminal enters as docker exec does', { skip }, async () => {
  const r = await runSandbox({
    name: 'pid1-sh',
    pid1: { argv: ['/bin/sh', '-c', '/usr/bin/python3 -m src.main --workers 2 --worker-port 50051 --metrics-port 8080 & sleep 100000; echo exited'] },
    script: `
wait_port 50051 8080
snapshot s
`,
  });
  const rows = new Map(r.snapshot('s').map((p) => [p.pid, p]));
  assert.deepEqual(rows.get(1)?.argv.slice(0, 2), ['/bin/sh', '-c'], 'pid 1 is the entrypoint shell');
  assert.deepEqual(rows.get(2)?.argv.slice(0, 3), ['/usr/bin/python3', '-m', 'src.main'], 'pid 2 is the server');
  assert.equal(rows.get(2)?.ppid, 1, 'the server is the entrypoint\'s child');
  assert.match(r.log('pid1'), /"main": 2,/, 'the server says it is pid 2');
  const term = rows.get(r.pid('terminal'));
  assert.ok(term, 'the terminal is inside');
  assert.deepEqual([term.ppid, term.sid], [0, term.pid], 'the terminal\'s parent is outside (ppid 0) and it leads its own session');
});

test('a timeout ends everything in the namespace, daemons included', { skip }, async () => {
  let seen: Member[] = [];
  let nsTag = '';
  const t0 = Date.now();
  const r = await runSandbox({
    name: 'timeout',
    timeoutMs: 3000,
    allowFailure: true,
    script: `
start daemon /usr/bin/setsid /bin/sh -c 'sleep 1000 & sleep 1000'
start srv "$PY" -m src.main --workers 2 --worker-port 50051
wait_ready srv
mark started ok
sleep 1000
`,
    whileRunning: async (ns) => {
      await ns.waitMark('started');
      seen = ns.members();
      nsTag = readlinkSync(`/proc/${ns.initHostPid}/ns/pid`);
    },
  });
  assert.equal(r.timedOut, true, 'it timed out');
  assert.equal(r.code, null, 'the terminal never finished');
  assert.ok(Date.now() - t0 < 10_000, `ended promptly (${Date.now() - t0} ms)`);
  assert.ok(seen.length >= 8, `the scenario was running: ${seen.map((m) => m.argv.join(' ')).join('; ')}`);
  assert.deepEqual(r.survivors, [], 'nothing survived');
  for (const m of seen) assert.equal(inNamespace(m.hostPid, nsTag), false, `host pid ${m.hostPid} (${m.argv.join(' ')}) is gone`);
});

test('nothing a scenario started survives it, when it ends with daemons and orphans running', { skip }, async () => {
  let seen: Member[] = [];
  let nsTag = '';
  const r = await runSandbox({
    name: 'leftovers',
    script: `
start daemon /usr/bin/setsid /bin/sh -c 'sleep 1000 & sleep 1000'
start srv "$PY" -m src.main --workers 2 --worker-port 50051
wait_ready srv
sig KILL "$(pid srv.main)"
wait_gone "$(pid srv.main)"
mark started ok
wait_file looked
`,
    whileRunning: async (ns) => {
      await ns.waitMark('started');
      seen = ns.members();
      nsTag = readlinkSync(`/proc/${ns.initHostPid}/ns/pid`);
      ns.mark('looked');
    },
  });
  assert.equal(r.code, 0, r.describe());
  assert.ok(seen.some((m) => m.argv.join(' ').includes('spawn_main')), 'orphaned workers were running at the end');
  assert.deepEqual(r.survivors, [], 'nothing survived');
  for (const m of seen) assert.equal(inNamespace(m.hostPid, nsTag), false, `host pid ${m.hostPid} (${m.argv.join(' ')}) is gone`);
});

test('a step that fails ends the scenario and says which', { skip }, async () => {
  await assert.rejects(
    runSandbox({ name: 'failing', env: { WAIT_S: '1' }, script: 'wait_port 9\nmark after ok\n' }),
    /port 9 not listening after 1s/,
  );
  const r = await runSandbox({ name: 'failing-allowed', allowFailure: true, script: 'false\nmark after ok\n' });
  assert.match(r.failure ?? '', /`false` exited 1/, r.describe());
  assert.equal(r.mark('after'), undefined, 'nothing ran after the failing step');
  assert.equal(r.code, 97, 'the terminal exited with the failure code');
});
