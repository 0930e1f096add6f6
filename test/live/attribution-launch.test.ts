// The launcher/init half of issue 8's live attribution matrix, each case in its own PID + network
// namespace (test/helpers/sandbox.ts), with the sample server (`python -m src.main --workers 2
// --worker-port 50051 --metrics-port 8080`, spawn unless a case says fork/forkserver) and an
// unrelated multiprocessing bystander with a live main started first in the same project dir:
//   class 2  a live server started through a wrapper (timeout, /usr/bin/time, sh -c, make, tmux,
//            env, nohup, rerun-doctor run): healthy, then SIGKILL of the wrapper, of the main,
//            SIGTERM of the main (no handler), Ctrl-C to the job's group;
//   class 3  a server detached on purpose by a start script (`nohup … &`, the script exits);
//   class 5  subreapers and container inits (tini as pid 1 and `tini -s`, dumb-init, a Python
//            PR_SET_CHILD_SUBREAPER standing in for `systemd --user`, `sh -c` as pid 1 with the
//            server as pid 2).
// Healthy: no finding at warning or above, `clean --dry-run` plans nothing, the server is role
// server and no wrapper is. Broken: what the kill left (recorded inside, by pid) is exactly what
// `clean --yes` ends, and every other process alive before the clean (init, terminal, wrappers
// still alive, the bystander, a newer run) is alive after it (test/helpers/cleanup-contract.ts).
// The behaviour asserted is the spec of issue 8; corner cases decided here say so in a comment.
// Every scenario starts at load, concurrently (runSandbox bounds how many), and each test awaits
// its own.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertCleanedExactly, assertHealthy, assertPlansNothing, assertServer, brief, cleanJson, serious, targets } from '../helpers/cleanup-contract.js';
import { requireProgram } from '../helpers/requirements.js';
import { sandboxSkipReason, startSandbox, type SandboxResult, type SandboxSpec } from '../helpers/sandbox.js';

const skip = sandboxSkipReason();
const LAUNCH = '"$REPO/test/fixtures/bin/attribution/launch"';

type Method = 'spawn' | 'fork' | 'forkserver';
const serverArgs = (m: Method) => `-m src.main --workers 2 --worker-port 50051 --metrics-port 8080${m === 'spawn' ? '' : ` --start-method ${m}`}`;
/** The server as a shell word list (cwd = the project: `python -m src.main`). */
const server = (m: Method) => `"$PY" ${serverArgs(m)}`;

/** Programs a scenario runs beyond bash, coreutils and python3: program → its Debian package. */
type Programs = Record<string, string>;

interface Launcher {
  id: string;
  programs?: Programs;
  /** bash: starts the server so that its stdout is logs/srv.out. */
  start(m: Method): string;
  /** bash, after the ready line: records `wrapper` (and other launcher pids) when a wrapper process stays. */
  after?: string;
  files?(m: Method): SandboxSpec['files'];
  /** bash: Ctrl-C as the user sends it (SIGINT to the job's process group, or tmux send-keys). */
  ctrlC: string;
  /**
   * What SIGKILL of the wrapper leaves: 'run' (the whole run, detached), 'nothing' (the
   * wrapper's death ends the run by design). Absent: no wrapper process (env and nohup exec).
   */
  wrapperKill?: 'run' | 'nothing';
  /** What the main's death leaves: its workers and helpers, or 'nothing' (`run` ends them). */
  mainKill: 'workers' | 'nothing';
  /** The wrapper exits once the server is gone. */
  wrapperExits: boolean;
}

const TMUX = 'tmux -S "$OUT/tmux.sock"';

const LAUNCHERS: Launcher[] = [
  {
    id: 'timeout 3600',
    start: (m) => `start srv timeout 3600 ${server(m)}`,
    after: 'record wrapper "$(pid srv)"',
    ctrlC: 'sig_group INT "$(pid srv)"',
    wrapperKill: 'run',
    mainKill: 'workers',
    wrapperExits: true,
  },
  {
    id: '/usr/bin/time',
    programs: { '/usr/bin/time': 'time' },
    start: (m) => `start srv /usr/bin/time ${server(m)}`,
    after: 'record wrapper "$(pid srv)"',
    ctrlC: 'sig_group INT "$(pid srv)"',
    wrapperKill: 'run',
    mainKill: 'workers',
    wrapperExits: true,
  },
  {
    id: "sh -c '…; echo done'",
    start: (m) => `start srv /bin/sh -c '${server(m)}; echo done'`,
    after: 'record wrapper "$(pid srv)"',
    ctrlC: 'sig_group INT "$(pid srv)"',
    wrapperKill: 'run',
    mainKill: 'workers',
    wrapperExits: true,
  },
  {
    // GNU make execs a recipe line without shell metacharacters itself: python is make's child.
    id: 'make run',
    programs: { make: 'make' },
    start: () => 'start srv make run',
    files: (m) => ({ Makefile: `run:\n\t$(PY) ${serverArgs(m)}\n` }),
    after: 'record wrapper "$(pid srv)"',
    ctrlC: 'sig_group INT "$(pid srv)"',
    wrapperKill: 'run',
    mainKill: 'workers',
    wrapperExits: true,
  },
  {
    // A private socket (-S, in the scenario's dir: -L names live in the shared /tmp). The tmux
    // server daemonizes (its parent is init) and runs the pane's `sh -c` on a pty; its argv
    // carries the server's command line. SIGKILL of the tmux server closes the pty master: the
    // kernel hangs up the pane's session (SIGHUP to its foreground group, where the server and
    // its workers and tracker are), so nothing is left (measured). The same when the main dies:
    // the pane's shell, the pty's session leader, exits after it, and the kernel hangs up the
    // pane's foreground group (the workers and the tracker). Ctrl-C is send-keys C-c.
    id: 'tmux new -d',
    programs: { tmux: 'tmux' },
    start: (m) => `${TMUX} new-session -d -s run '${server(m)} >"$OUT/logs/srv.out" 2>"$OUT/logs/srv.err"'`,
    after: `record wrapper "$(${TMUX} display -p '#{pid}')"\nrecord pane "$(${TMUX} display -p '#{pane_pid}')"`,
    ctrlC: `${TMUX} send-keys -t run C-c`,
    wrapperKill: 'nothing',
    mainKill: 'nothing',
    wrapperExits: true,
  },
  {
    // env execs python: no wrapper process stays.
    id: 'env X=1',
    start: (m) => `start srv env X=1 ${server(m)}`,
    ctrlC: 'sig_group INT "$(pid srv)"',
    mainKill: 'workers',
    wrapperExits: false,
  },
  {
    // nohup execs python (SIGHUP ignored); the terminal stays open: a live job of it.
    id: 'nohup (terminal open)',
    start: (m) => `start srv nohup ${server(m)}`,
    ctrlC: 'sig_group INT "$(pid srv)"',
    mainKill: 'workers',
    wrapperExits: false,
  },
  {
    // rerun-doctor run: the command in its own group; when it exits, run ends what is left, and
    // its watchdog does when run itself is SIGKILLed (docs/run-guard.md), so neither leaves anything.
    id: 'rerun-doctor run --',
    start: (m) => `start srv "$NODE" "$CLI_JS" run --grace 2s -- ${server(m)}`,
    after: 'record wrapper "$(pid srv)"',
    ctrlC: 'sig_group INT "$(pid srv)"',
    wrapperKill: 'nothing',
    mainKill: 'nothing',
    wrapperExits: true,
  },
];

// --- scenario pieces (bash) -----------------------------------------------------------------
const DIAG = 'diagnose --quick --no-metrics --json';
const HEALTHY = `cli h_diag ${DIAG}\ncli h_dry clean --dry-run --json\ncli h_procs procs --json\n`;
const BROKEN = `cli b_diag ${DIAG}\ncli b_dry clean --dry-run --json\n`;
/** The clean under test, the liveness of everything around it, and a diagnosis after it (fresh orphans would show there). */
const clean = (flags = '') => `snapshot before\ncli clean clean --yes --json --grace 1s${flags}\nalive_since after before\ncli a_diag ${DIAG}\n`;
const ready = (l: Launcher, m: Method) => `bystander by\n${l.start(m)}\nwait_ready srv\nwait_port 50051 8080\n${l.after ?? ''}\n`;
/** After a kill: wait for what must end, then record what is left of the run. */
const leftAfter = (l: Launcher, waitAll: boolean) =>
  `${l.wrapperExits || waitAll ? 'wait_gone "$(pid wrapper)"\n' : ''}${waitAll ? 'wait_gone $(pids srv.run)\n' : 'settle 0.3\n'}alive left $(pids srv.run)\n`;
const NEWER = 'start new "$PY" -m src.main --workers 2 --worker-port 50051 --metrics-port 8081\nwait_ready new\nwait_port 8081\n';

type Scenario = SandboxSpec & { programs?: Programs };

function spec(name: string, l: Launcher, m: Method, script: string): Scenario {
  return { name, script, files: l.files?.(m), programs: l.programs };
}

/** Starts the scenario now, once its programs are found (missing, each test fails with what to install). */
function run({ programs = {}, ...s }: Scenario): Promise<SandboxResult> {
  const p = skip ? Promise.reject(new Error(skip)) : Promise.all(Object.entries(programs).map(([name, pkg]) => requireProgram(name, pkg))).then(() => startSandbox(s));
  p.catch(() => undefined);
  return p;
}

// --- assertions on a scenario's result --------------------------------------------------------
function left(r: SandboxResult): number[] {
  return [...r.alive('left')].filter(([, a]) => a).map(([p]) => p).sort((a, b) => a - b);
}
const sortedPids = (...lists: number[][]) => [...new Set(lists.flat())].sort((a, b) => a - b);
const helpers = (r: SandboxResult, n = 'srv') => sortedPids(r.pids(`${n}.workers`), r.pids(`${n}.tracker`), r.pids(`${n}.forkserver`));

function checkHealthy(r: SandboxResult, l: Launcher | undefined, main = r.pid('srv.main'), extra: number[] = []): void {
  assertHealthy(r, 'h_diag', 'h_dry');
  const launchers = l ? ['wrapper', 'pane'].filter((n) => r.has(n)).map((n) => r.pid(n)) : [];
  assertServer(r, 'h_procs', main, [...launchers, ...extra, ...r.pids('srv.workers'), ...r.pids('srv.tracker'), ...r.pids('by.run')].filter((p) => p !== main));
}

/** The only serious finding is one orphan-workers error naming exactly the leftovers. */
function checkOrphanWorkers(r: SandboxResult, leftovers: number[]): void {
  const s = serious(r, 'b_diag');
  assert.deepEqual(s.map((f) => `${f.id}/${f.severity}`), ['orphan-workers/error'], `${r.name}: one orphan-workers error, nothing else at warning or above\n${brief(s)}`);
  assert.deepEqual(sortedPids(s[0]!.pids), leftovers, `${r.name}: orphan-workers names exactly the leftovers\n${brief(s)}`);
}

/**
 * A detached whole run, the project's only one: exactly one finding at warning or above, an
 * orphan-server warning for the server pid, listing both ports. (Decided here: the run's ports,
 * :8080 held by the main and :50051 by its workers, are all in that one finding, as the spec's
 * wording "this still holds :50051 and :8080" says; the workers get no finding of their own.)
 */
function checkDetachedWarning(r: SandboxResult, diag: string, main: number): void {
  const s = serious(r, diag);
  assert.deepEqual(s.map((f) => `${f.id}/${f.severity}`), ['orphan-server/warning'], `${r.name}: one orphan-server warning and nothing else at warning or above\n${brief(s)}`);
  assert.ok(s[0]!.pids.includes(main), `${r.name}: the finding names the server ${main}\n${brief(s)}`);
  for (const port of [50051, 8080]) assert.ok(s[0]!.ports.includes(port), `${r.name}: the one finding lists :${port}\n${brief(s)}`);
}

function checkLeftAlone(r: SandboxResult, dry: string, main: number): void {
  assertPlansNothing(r, dry);
  const j = cleanJson(r, dry);
  assert.ok(j.plan.excluded.some((e) => e.pid === main), `${r.name}: the dry run lists the detached server ${main} as left alone\n${JSON.stringify(j.plan.excluded)}`);
  const runs = j.plan.runs.filter((x) => x.status === 'detached');
  assert.equal(runs.length, 1, `${r.name}: one detached run\n${JSON.stringify(j.plan.runs)}`);
  assert.equal(runs[0]!.decision, 'leave', `${r.name}: the detached run is left alone\n${JSON.stringify(runs)}`);
}

/** With a newer run of the project beside it, the old server is an error and the whole old run the plan. */
function checkShadowed(r: SandboxResult, oldRun: number[]): void {
  const s = serious(r, 'b_diag');
  const os = s.filter((f) => f.id === 'orphan-server');
  assert.ok(os.some((f) => f.severity === 'error' && f.pids.includes(r.pid('srv.main'))), `${r.name}: the old server is an orphan-server error beside a newer run\n${brief(s)}`);
  // (port-shared rightly names both runs' sockets on :50051; what must never name the newer run
  // is a finding that makes its processes leftovers.)
  const leftoverFindings = s.filter((f) => f.id.startsWith('orphan-') || f.id === 'process-leak');
  for (const f of leftoverFindings) for (const p of r.pids('new.run')) assert.ok(!f.pids.includes(p), `${r.name}: the newer run's ${p} is in no ${f.id} finding\n${brief(s)}`);
  assert.deepEqual(targets(r, 'b_dry'), oldRun, `${r.name}: the dry run plans exactly the old run`);
}

/** clean --yes ended exactly LEFTOVERS, everything else lives, and the diagnosis after it finds nothing at warning or above. */
function cleaned(r: SandboxResult, leftovers: number[]): void {
  assertCleanedExactly(r, { clean: 'clean', leftovers, before: 'before', after: 'after' });
  assert.deepEqual(brief(serious(r, 'a_diag')), '(none)', `${r.name}: after clean, nothing at warning or above is left (no fresh orphans)`);
}

// --- class 2: wrappers ----------------------------------------------------------------------
describe('class 2: a live server started through a wrapper', { skip }, () => {
  for (const l of LAUNCHERS) {
    const methods: Method[] = l.id === 'timeout 3600' || l.id === 'nohup (terminal open)' ? ['spawn', 'fork'] : l.id.startsWith('sh -c') || l.id === '/usr/bin/time' ? ['spawn', 'forkserver'] : ['spawn'];
    for (const m of methods) {
      const tag = m === 'spawn' ? l.id : `${l.id}, ${m}`;
      // Healthy, then SIGKILL of the main (the server itself).
      const killMain = run(spec(`${tag}: kill main`, l, m, `${ready(l, m)}${HEALTHY}sig KILL "$(pid srv.main)"\nwait_gone "$(pid srv.main)"\n${leftAfter(l, l.mainKill === 'nothing')}${BROKEN}${clean()}`));
      test(`${tag}: healthy: nothing at warning or above, nothing planned, the server is role server and the wrapper is not`, async () => {
        checkHealthy(await killMain, l);
      });
      test(`${tag}: SIGKILL of the main: ${l.mainKill === 'workers' ? 'its workers and tracker are the orphans, clean --yes ends exactly them' : 'its launcher ends the rest: nothing left, nothing planned'}`, async () => {
        const r = await killMain;
        const want = l.mainKill === 'workers' ? helpers(r) : [];
        assert.deepEqual(left(r), want, `${r.name}: what the kill left (measured inside)`);
        if (want.length > 0) {
          checkOrphanWorkers(r, want);
          assert.deepEqual(targets(r, 'b_dry'), want, `${r.name}: the dry run plans exactly the leftovers`);
        } else assertHealthy(r, 'b_diag', 'b_dry');
        cleaned(r, want);
      });

      if (l.wrapperKill) {
        const detachedRun = l.wrapperKill === 'run';
        const killWrapper = run(spec(`${tag}: kill wrapper`, l, m, `${ready(l, m)}sig KILL "$(pid wrapper)"\nwait_gone "$(pid wrapper)"\n${leftAfter(l, !detachedRun)}${BROKEN}${clean(' --include-detached')}`));
        test(`${tag}: SIGKILL of the wrapper: ${detachedRun ? 'the whole run is left, a detached orphan-server warning; the dry run leaves it; --include-detached ends all of it' : 'nothing is left, nothing planned'}`, async () => {
          const r = await killWrapper;
          const whole = sortedPids(r.pids('srv.run'));
          assert.deepEqual(left(r), detachedRun ? whole : [], `${r.name}: what the kill left (measured inside)`);
          if (detachedRun) {
            checkDetachedWarning(r, 'b_diag', r.pid('srv.main'));
            checkLeftAlone(r, 'b_dry', r.pid('srv.main'));
          } else assertHealthy(r, 'b_diag', 'b_dry');
          cleaned(r, detachedRun ? whole : []);
        });
        if (detachedRun && m === 'spawn') {
          const newer = run(spec(`${tag}: kill wrapper, newer run`, l, m, `${ready(l, m)}sig KILL "$(pid wrapper)"\nwait_gone "$(pid wrapper)"\nsettle 0.3\n${NEWER}${BROKEN}${clean()}`));
          test(`${tag}: SIGKILL of the wrapper, then a newer run beside it: plain clean --yes ends all of the old run, the newer survives`, async () => {
            const r = await newer;
            const old = sortedPids(r.pids('srv.run'));
            checkShadowed(r, old);
            cleaned(r, old);
          });
        }
      }

      if (m !== 'spawn') continue;
      // SIGTERM of the main: the sample server installs no handler without --handle-sigterm, so
      // it dies at once, as with SIGKILL.
      const term = run(spec(`${tag}: TERM main`, l, m, `${ready(l, m)}sig TERM "$(pid srv.main)"\nwait_gone "$(pid srv.main)"\n${leftAfter(l, l.mainKill === 'nothing')}${BROKEN}${clean()}`));
      test(`${tag}: SIGTERM of the main (no handler): the same as SIGKILL`, async () => {
        const r = await term;
        const want = l.mainKill === 'workers' ? helpers(r) : [];
        assert.deepEqual(left(r), want, `${r.name}: what SIGTERM left (measured inside)`);
        if (want.length > 0) {
          checkOrphanWorkers(r, want);
          assert.deepEqual(targets(r, 'b_dry'), want, `${r.name}: the dry run plans exactly the leftovers`);
        } else assertHealthy(r, 'b_diag', 'b_dry');
        cleaned(r, want);
      });
      // Ctrl-C: SIGINT to the job's group; the sample server shuts down cleanly (terminate, join).
      const ctrlC = run(spec(`${tag}: ctrl-c`, l, m, `${ready(l, m)}${l.ctrlC}\n${l.wrapperExits ? 'wait_gone "$(pid wrapper)"\n' : ''}wait_gone $(pids srv.run)\nalive left $(pids srv.run)\n${BROKEN}`));
      test(`${tag}: Ctrl-C to the job's group: a clean shutdown, nothing left, nothing planned`, async () => {
        const r = await ctrlC;
        assert.deepEqual(left(r), [], `${r.name}: nothing of the run is left`);
        assertHealthy(r, 'b_diag', 'b_dry');
      });
    }
  }
});

// --- class 3: detached on purpose -----------------------------------------------------------
const START_SH = {
  'start.sh': { content: `#!/bin/sh\n# Starts the server in the background and returns, as many projects' start scripts do.\nnohup "$PY" ${serverArgs('spawn')} >"$OUT/logs/srv.out" 2>"$OUT/logs/srv.err" &\necho started\n`, mode: 0o755 },
};
const DETACHED = 'bystander by\nstart script ./start.sh\nwait_gone "$(pid script)"\nwait_ready srv\nwait_port 50051 8080\n';

describe('class 3: a server detached on purpose (a start script runs nohup … & and exits)', { skip }, () => {
  const only = run({
    name: 'start script: only run',
    files: START_SH,
    script: `${DETACHED}cli d_diag ${DIAG}\ncli d_dry clean --dry-run --json\ncli d_procs procs --json\nsnapshot before_plain\ncli d_yes clean --yes --json --grace 1s\nalive_since after_plain before_plain\n${clean(' --pid "$(pid srv.main)"')}`,
  });
  test('the only run: exactly one orphan-server warning for the server, both ports in that one finding', async () => {
    const r = await only;
    checkDetachedWarning(r, 'd_diag', r.pid('srv.main'));
    assertServer(r, 'd_procs', r.pid('srv.main'), [...r.pids('srv.workers'), ...r.pids('srv.tracker')]);
  });
  test('the only run: clean --dry-run plans nothing and lists it as left alone; clean --yes ends nothing', async () => {
    const r = await only;
    checkLeftAlone(r, 'd_dry', r.pid('srv.main'));
    assertCleanedExactly(r, { clean: 'd_yes', leftovers: [], before: 'before_plain', after: 'after_plain' });
  });
  test('clean --yes --pid <server> ends the server and all of its run (workers, tracker), nothing else', async () => {
    // Decided here: naming the server names its run; the tracker goes with it (left alone, it
    // would be a fresh orphan).
    const r = await only;
    cleaned(r, sortedPids(r.pids('srv.run')));
  });

  const shadowed = run({ name: 'start script: newer run', files: START_SH, script: `${DETACHED}${NEWER}${BROKEN}${clean()}` });
  test('with a newer run of the project beside it, the old server is an error and all of its run a clean target; the newer survives', async () => {
    const r = await shadowed;
    const old = sortedPids(r.pids('srv.run'));
    checkShadowed(r, old);
    cleaned(r, old);
  });
});

// --- class 5: subreapers and container inits ------------------------------------------------
const pid1Server = ['/usr/bin/python3', '-m', 'src.main', '--workers', '2', '--worker-port', '50051', '--metrics-port', '8080'];
const P1 = 'bystander by\nwait_ready pid1\nwait_port 50051 8080\n';

describe('class 5: subreapers and container inits', { skip }, () => {
  const tini1 = run({ name: 'tini as pid 1', programs: { '/usr/bin/tini': 'tini' }, pid1: { argv: ['/usr/bin/tini', '--', ...pid1Server] }, script: `${P1}${HEALTHY}` });
  test('tini as pid 1, the server its direct child (pid 2): healthy, and the server is not dropped', async () => {
    const r = await tini1;
    assert.equal(r.pid('pid1.main'), 2, 'the server is pid 2');
    assertHealthy(r, 'h_diag', 'h_dry');
    assertServer(r, 'h_procs', 2, [1, ...r.pids('pid1.workers'), ...r.pids('pid1.tracker'), ...r.pids('by.run')]);
  });
  // (SIGKILL of tini's child ends the container: tini exits with it and the kernel ends the
  // namespace; nothing is left to judge, so the broken case is tini -s below.)

  const dumb1 = run({ name: 'dumb-init as pid 1', programs: { '/usr/bin/dumb-init': 'dumb-init' }, pid1: { argv: ['/usr/bin/dumb-init', ...pid1Server] }, script: `${P1}${HEALTHY}` });
  test('dumb-init as pid 1, the server its direct child (pid 2, its own session): healthy, and the server is not dropped', async () => {
    const r = await dumb1;
    assert.equal(r.pid('pid1.main'), 2, 'the server is pid 2');
    assertHealthy(r, 'h_diag', 'h_dry');
    assertServer(r, 'h_procs', 2, [1, ...r.pids('pid1.workers'), ...r.pids('pid1.tracker'), ...r.pids('by.run')]);
  });

  // A container whose entrypoint shell stays pid 1 (`cmd & sleep …; echo`: the trailing command
  // keeps dash from exec'ing the sleep), the server pid 2, in pid 1's group and session.
  const shEntry = `${pid1Server.join(' ')} & sleep 100000; echo exited`;
  const sh1 = run({
    name: 'sh -c as pid 1',
    pid1: { argv: ['/bin/sh', '-c', shEntry] },
    script: `${P1}${HEALTHY}sig KILL 2\nwait_gone 2\nsettle 0.3\nalive left $(pids pid1.run)\n${BROKEN}${clean()}`,
  });
  test('sh -c as pid 1, the server pid 2: healthy, the server is role server (not a kernel thread)', async () => {
    const r = await sh1;
    assert.equal(r.pid('pid1.main'), 2, 'the server is pid 2');
    assertHealthy(r, 'h_diag', 'h_dry');
    assertServer(r, 'h_procs', 2, [1, ...r.pids('pid1.workers'), ...r.pids('pid1.tracker'), ...r.pids('by.run')]);
  });
  test('sh -c as pid 1, SIGKILL of the server (pid 2): clean --yes ends exactly its workers and tracker; pid 1 and the rest survive', async () => {
    const r = await sh1;
    const want = helpers(r, 'pid1');
    assert.deepEqual(left(r), want, `${r.name}: what the kill left`);
    checkOrphanWorkers(r, want);
    cleaned(r, want);
  });

  // Subreapers started from the terminal: the server is the subreaper's direct child.
  interface Reaper {
    id: string;
    programs?: Programs;
    start: string;
    /** The reaper outlives the server (a service manager) or exits with it (tini, dumb-init). */
    survives: boolean;
    /** What the server's SIGKILL leaves: its workers and tracker, or nothing (dumb-init's default
     * setsid mode SIGTERMs its child's group when the child dies: measured). */
    leaves: 'workers' | 'nothing';
  }
  const reapers: Reaper[] = [
    { id: 'tini -s (a subreaper, not pid 1)', programs: { tini: 'tini' }, start: `start srv tini -s -- ${server('spawn')}\nrecord reaper "$(pid srv)"`, survives: false, leaves: 'workers' },
    { id: 'dumb-init (not pid 1, setsid mode)', programs: { 'dumb-init': 'dumb-init' }, start: `start srv dumb-init ${server('spawn')}\nrecord reaper "$(pid srv)"`, survives: false, leaves: 'nothing' },
    { id: 'dumb-init -c (single-child mode)', programs: { 'dumb-init': 'dumb-init' }, start: `start srv dumb-init -c ${server('spawn')}\nrecord reaper "$(pid srv)"`, survives: false, leaves: 'workers' },
    {
      id: 'a Python PR_SET_CHILD_SUBREAPER (systemd --user stand-in)',
      start: `start reaper "$PY" ${LAUNCH}/subreaper.py "$OUT/logs/srv.out" "$OUT/logs/srv.err" ${server('spawn')}`,
      survives: true,
      leaves: 'workers',
    },
  ];
  for (const x of reapers) {
    const readyName = 'srv';
    const script = `bystander by\n${x.start}\nwait_ready srv\nwait_port 50051 8080\n${HEALTHY}sig KILL "$(pid srv.main)"\nwait_gone "$(pid srv.main)"\n${x.survives ? '' : 'wait_gone "$(pid reaper)"\n'}settle 0.3\nalive left $(pids srv.run)\nalive reaper_alive "$(pid reaper)"\n${BROKEN}${clean()}`;
    const s = run({ name: x.id, programs: x.programs, script });
    test(`${x.id}: healthy, the server (the reaper's direct child) is role server, the reaper is not`, async () => {
      const r = await s;
      const main = r.pid(`${readyName}.main`);
      assertHealthy(r, 'h_diag', 'h_dry');
      assertServer(r, 'h_procs', main, [r.pid('reaper'), ...r.pids(`${readyName}.workers`), ...r.pids(`${readyName}.tracker`), ...r.pids('by.run')]);
    });
    test(`${x.id}: SIGKILL of the server: ${x.leaves === 'workers' ? 'clean --yes ends exactly its workers and tracker' : 'dumb-init ends its group: nothing left, nothing planned'}; ${x.survives ? 'the subreaper survives' : 'the init survives'}`, async () => {
      const r = await s;
      const want = x.leaves === 'workers' ? helpers(r, readyName) : [];
      assert.deepEqual(left(r), want, `${r.name}: what the kill left (measured inside)`);
      assert.equal(r.alive('reaper_alive').get(r.pid('reaper')), x.survives, `${r.name}: the reaper ${x.survives ? 'outlives' : 'exits with'} the server`);
      if (want.length > 0) {
        checkOrphanWorkers(r, want);
        assert.deepEqual(targets(r, 'b_dry'), want, `${r.name}: the dry run plans exactly the leftovers`);
      } else assertHealthy(r, 'b_diag', 'b_dry');
      cleaned(r, want);
    });
  }
});
