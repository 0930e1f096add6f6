// `run` and `guard` on the darwin code path, end to end through the CLI, with real processes: fake
// `ps` and `lsof` first on PATH (test/fixtures/bin/darwin-live: this Linux machine's live process
// table and listeners printed in the macOS layouts, NOT captures; their headers say where each part
// of the layout comes from) and RERUN_DOCTOR_PLATFORM=darwin, so nothing reads /proc or the
// environment marker. A setsid'd escapee and its listener are found through the process group and
// parent chain seen while the command ran, as on a Mac. Inside a private PID + network namespace
// (test/helpers/private-ns.ts); cleanup by pid and group.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { escapeFixtures } from '../helpers/escape.js';
import { alive, CLI, PYTHON, runCli, waitFor } from '../helpers/live.js';
import { fixture } from '../helpers/paths.js';
import { insidePrivateNamespace, privateNamespaceSkipReason, runInPrivateNamespace } from '../helpers/private-ns.js';

const PS_ALL = 'ps -axww -o pid=,ppid=,pgid=,uid=,user=,state=,lstart=,rss=,time=,tty=,command=';
const LSOF = 'lsof -w -nP -iTCP -sTCP:LISTEN -FpcfdtnT0';

if (!insidePrivateNamespace()) {
  test('run and guard on the darwin path, with fake ps/lsof over real processes (in a private PID + network namespace)', { skip: privateNamespaceSkipReason() }, () => runInPrivateNamespace(import.meta.url));
} else {
  const fx = escapeFixtures('rd-darwin-run');
  const { tracked, groups, escape, pidFile, readPids } = fx;
  const logDir = mkdtempSync(join(tmpdir(), 'rd-darwin-log-'));
  after(async () => {
    await fx.done();
    rmSync(logDir, { recursive: true, force: true });
  });
  let n = 0;
  /** The darwin environment, with a fresh log of the fake ps/lsof calls. */
  const darwinEnv = () => {
    const log = join(logDir, `calls-${++n}`);
    return { log, env: { RERUN_DOCTOR_PLATFORM: 'darwin', PATH: `${fixture('bin', 'darwin-live')}:${process.env.PATH}`, RERUN_DOCTOR_FAKE_LOG: log } };
  };
  const calls = (log: string): string[] => {
    try {
      return readFileSync(log, 'utf8').trim().split('\n');
    } catch {
      return [];
    }
  };
  /** An unrelated process in a session of its own: it must outlive every test. */
  const stranger = spawn('/bin/sleep', ['120'], { detached: true, stdio: 'ignore' });
  tracked.add(stranger.pid!);
  groups.push(stranger.pid!);

  test('guard on macOS: the setsid\'d escapee and its listener are reported, through ps and lsof only', async () => {
    const { log, env } = darwinEnv();
    const pf = pidFile();
    const r = await runCli(['guard', '--', PYTHON, escape('setsid_listener.py'), pf, '1.5'], { env });
    const [pid, port] = readPids(pf).escapee ?? [];
    assert.ok(pid && port, `the fixture reported its escapee: ${r.stderr}`);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`left 1 process behind, listening on 127\\.0\\.0\\.1:${port}:`));
    assert.match(r.stderr, new RegExp(`^  ${pid} \\S*python3 .*setsid_listener\\.py .*\\(left the process group \\(setsid or setpgid\\), orphaned; listening 127\\.0\\.0\\.1:${port}\\)$`, 'm'));
    assert.match(r.stderr, /^ {4}parents: 1 sh$/m);
    assert.ok(alive(pid), 'guard without --clean leaves it alone');
    const c = calls(log);
    assert.ok(c.includes(PS_ALL), `the run was swept with ps: ${c.join('\n')}`);
    assert.ok(c.includes(LSOF), `listeners came from lsof: ${c.join('\n')}`);
    process.kill(pid, 'SIGKILL');
  });

  test('run on macOS ends the setsid\'d escapee (identity re-read with ps -p before the signal), and not a stranger', async () => {
    const { log, env } = darwinEnv();
    const pf = pidFile();
    const r = await runCli(['run', '--grace', '2s', '--', PYTHON, escape('setsid_listener.py'), pf, '1.5'], { env });
    const [pid] = readPids(pf).escapee ?? [];
    assert.ok(pid, 'the fixture reported its escapee');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!alive(pid), `escapee ${pid} was ended`);
    assert.match(r.stderr, new RegExp(`^rerun-doctor run: ended 1 leftover process \\(pid ${pid}; 1 out of the process group \\(setsid or setpgid\\), 1 orphaned`, 'm'));
    assert.ok(calls(log).some((l) => l.startsWith('ps -ww -o ') && l.endsWith(` -p ${pid}`)), `ps -p ${pid} re-read it: ${calls(log).join('\n')}`);
    assert.ok(alive(stranger.pid!), 'the stranger lives');
  });

  test('guard on macOS passes a command that leaves nothing, with its exit status', async () => {
    const { env } = darwinEnv();
    const r = await runCli(['guard', '--', '/bin/sh', '-c', 'exit 5'], { env });
    assert.equal(r.code, 5, r.stderr);
    assert.equal(r.stderr, '');
  });

  test('run on macOS SIGKILLed mid-run: the watchdog ends the group and the escapee it heard of through its pipe', async () => {
    const { env } = darwinEnv();
    const pf = pidFile();
    // The escapee's parent exits after 1.5 s: from then on only what was seen links it to the run.
    const cli = spawn(process.execPath, [CLI, 'run', '--', '/bin/sh', '-c', `${PYTHON} ${escape('setsid_listener.py')} ${pf} 1.5; exec /bin/sleep 60`], { stdio: 'ignore', env: { ...process.env, ...env } });
    tracked.add(cli.pid!);
    const exited = new Promise((r) => cli.once('exit', r));
    await waitFor(() => readPids(pf).escapee !== undefined, 'the escapee to start');
    const parent = readPids(pf).parent![0]!;
    const escapee = readPids(pf).escapee![0]!;
    await waitFor(() => !alive(parent), 'the escapee\'s parent to exit');
    const [, ppid, pgid] = readFileSync(`/proc/${escapee}/stat`, 'utf8').split(') ')[1]!.split(' ').map(Number);
    assert.equal(ppid, 1, 'the escapee was re-parented to pid 1');
    assert.equal(pgid, escapee, 'and leads a group of its own: only the pipe can tell the watchdog about it');
    // Let a tracking sweep pass after the re-parenting (they run every 200 ms at first).
    await new Promise((r) => setTimeout(r, 500));
    const sleeper = Number(
      readFileSync('/proc/' + cli.pid + '/task/' + cli.pid + '/children', 'utf8')
        .trim()
        .split(/\s+/)
        .find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('/bin/sleep')) ?? 0,
    );
    assert.ok(sleeper > 0, 'the command (now /bin/sleep) runs');
    tracked.add(sleeper);
    groups.push(sleeper);
    process.kill(cli.pid!, 'SIGKILL');
    await exited;
    await waitFor(() => !alive(escapee) && !alive(sleeper), `the watchdog to end ${escapee} and ${sleeper}`, 6000);
    assert.ok(alive(stranger.pid!), 'the stranger lives');
  });
}
