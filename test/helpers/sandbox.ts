// A scenario inside a fresh PID + network + mount namespace (`unshare --pid --fork --mount-proc
// --net`), for the destructive live tests: whatever a scenario kills or cleans, it can only reach
// processes of its own namespace, never one of this machine. runSandbox(spec) runs it and returns
// what happened, for a test on the host to assert on.
//
// The machine shape, as on a desktop or in a container (test/fixtures/bin/sandbox/):
//   pid 1      "sandbox-init" (init.sh, bash): its own session; reaps every child it adopts;
//              started by boot.py, which brings loopback up (127.0.0.1 and ::1; the default ports
//              50051 and 8080 are always free: each namespace has its own loopback).
//   pid 2      the user's terminal: a session leader bash with job control (`set -m`), running
//              the scenario body; each job it starts gets its own process group and carries the
//              terminal's session id. An orphan is reparented to pid 1 (or to a subreaper the
//              scenario starts).
//   spec.pid1  replaces the init with the scenario's own pid 1 (tini, dumb-init, `sh -c '…'`);
//              boot.py forks nothing, so what that pid 1 starts first is pid 2. The terminal then
//              enters the namespace from outside as `docker exec` does (nsenter: its parent is
//              outside, so inside its ppid reads 0), once spec.pid1.ready matched pid 1's output.
// The scenario body is bash with the steps of lib.sh (start, wait_ready, wait_port, sig, cli,
// alive, snapshot…); everything they record lies under a temporary directory on the host (the
// filesystem is shared) and comes back in SandboxResult. The CLI inside is `node dist/cli/bin.cjs`
// with cwd = the scenario's project dir, a fresh temp dir holding a copy of demo/server/src (so
// the server runs as `python -m src.main` from it); a second one ($PROJECT2) serves "another
// project". The environment is minimal (no pyenv on PATH, HOME inside the temp dir).
//
// Always bounded, and proven clean:
//   - spec.timeoutMs: the host SIGKILLs the namespace's pid 1 (the kernel then ends every process
//     in it, pid_namespaces(7)); `timeout --signal=KILL` around unshare (and unshare's
//     --kill-child) does the same a few seconds later even if this test process has died.
//   - The host holds an fd on the namespace while it runs (so its inode cannot be reused) and,
//     after pid 1 is gone, scans /proc for any process still in it: there must be none (any found
//     is SIGKILLed by pid, being provably ours, and runSandbox throws).
// Namespaces are isolated (own pids, own loopback, own /proc), so sandboxed scenarios and test
// files can run in parallel with each other. What they share is the filesystem: a unix socket
// bound to a path (tmux -L's /tmp/tmux-0/NAME, a gunicorn bind) reaches across namespaces, so a
// scenario keeps such paths under $OUT (tmux -S "$OUT/tmux.sock"). /dev/shm is not shared: each
// sandbox has its own IPC namespace and boot.py mounts a tmpfs of its own over /dev/shm, so the
// semaphores and segments of the runs a scenario kills end with it. runSandbox
// bounds how many run at once in one test process (RD_SANDBOX_JOBS, default max(4, cores)) so
// that CPU starvation does not fake a timeout. RD_SANDBOX_CLI runs another build's bin.cjs (or an older build's bin.js).
// It needs root and util-linux's unshare/nsenter: sandboxSkipReason() says why not, for
// `test(…, { skip })`. RD_SANDBOX_KEEP=1 keeps the temp dirs (their paths are in the results).
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, cpSync, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CLI, PYTHON, sleep } from './live.js';
import { fixture, ROOT } from './paths.js';

export const SANDBOX_BIN = fixture('bin', 'sandbox');
const BOOT = join(SANDBOX_BIN, 'boot.py');
const INIT = join(SANDBOX_BIN, 'init.sh');
const LIB = join(SANDBOX_BIN, 'lib.sh');
const SERVER_SRC = join(ROOT, 'demo', 'server', 'src');
const TOOLS = ['/usr/bin/unshare', '/usr/bin/nsenter', '/usr/bin/timeout', '/usr/bin/setsid', '/bin/bash'];

/** Why sandboxed tests cannot run here, or undefined when they can. */
export function sandboxSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'the sandbox needs Linux PID and network namespaces';
  if (process.getuid?.() !== 0) return 'the sandbox needs root (unshare --pid --net); CI runs as root';
  const missing = TOOLS.filter((t) => !existsSync(t));
  if (missing.length > 0) return `the sandbox needs ${missing.join(', ')} (util-linux, coreutils)`;
  return undefined;
}

export interface SandboxSpec {
  /** For messages and the temp dir's name. */
  name?: string;
  /** The terminal's scenario: bash, after lib.sh, with cwd = $PROJECT and job control on. */
  script: string;
  /** The scenario's own pid 1 (argv, cwd = $PROJECT); the terminal enters once `ready` matches its stdout. */
  pid1?: { argv: string[]; ready?: RegExp };
  /** Files written into the project dir (path relative to it → content, or content with a mode). */
  files?: Record<string, string | { content: string; mode: number }>;
  /** The same for $PROJECT2. */
  files2?: Record<string, string | { content: string; mode: number }>;
  /** Extra environment for everything in the namespace. */
  env?: Record<string, string>;
  /** Ends the namespace after this long (default 60 s). */
  timeoutMs?: number;
  /** Return a failed or timed-out scenario instead of throwing. */
  allowFailure?: boolean;
  /** Called once the namespace is up and pinned, while the scenario runs (e.g. to look from outside). */
  whileRunning?: (ns: RunningSandbox) => Promise<void>;
}

export interface RunningSandbox {
  out: string;
  /** Host pid of the namespace's pid 1. */
  initHostPid: number;
  /** Every process in the namespace now, with its host pid and its pid inside. */
  members(): Member[];
  /** Writes marks/NAME, which the scenario's `wait_file NAME` waits for. */
  mark(name: string, value?: string): void;
  /** Waits until the scenario wrote marks/NAME (its `mark NAME …`); returns the value. */
  waitMark(name: string, timeoutMs?: number): Promise<string>;
}

export interface Member {
  hostPid: number;
  /** Its pid inside the namespace (the last NSpid of /proc/PID/status). */
  nsPid: number;
  argv: string[];
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (throws with the output when it is not). */
  json<T = unknown>(): T;
}

export interface ProcRow {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  state: string;
  argv: string[];
}

export interface SandboxResult {
  name: string;
  /** The terminal's exit status (0: the body ran to its end), null when it never finished. */
  code: number | null;
  timedOut: boolean;
  /** What a step reported when it failed (`fail`, a wait that timed out, a command that failed). */
  failure: string | undefined;
  /** Host pids found in the namespace after its pid 1 was gone: always [] (runSandbox throws otherwise). */
  survivors: number[];
  /** The terminal's xtrace and stderr. */
  trace: string;
  /** The temp dir (removed unless RD_SANDBOX_KEEP=1). */
  dir: string;
  project: string;
  project2: string;
  /** Pids recorded under NAME (throws when NAME was never recorded). */
  pids(name: string): number[];
  /** The one pid recorded under NAME. */
  pid(name: string): number;
  has(name: string): boolean;
  cli(name: string): CliRun;
  /** pid → alive, as `alive NAME …` recorded it. */
  alive(name: string): Map<number, boolean>;
  snapshot(name: string): ProcRow[];
  mark(name: string): string | undefined;
  /** logs/NAME.out (and .err with `log(name, 'err')`); '' when absent. */
  log(name: string, stream?: 'out' | 'err'): string;
  /** A short account for assertion messages: failure, trace tail, recorded names. */
  describe(): string;
}

// --- bounded concurrency: each scenario's clock starts when it gets a slot --------------------
const JOBS = Number(process.env.RD_SANDBOX_JOBS) || Math.max(4, availableParallelism());
let running = 0;
const queue: (() => void)[] = [];
async function slot(): Promise<void> {
  if (running < JOBS) {
    running++;
    return;
  }
  await new Promise<void>((r) => queue.push(r));
}
function release(): void {
  const next = queue.shift();
  if (next) next();
  else running--;
}

export async function runSandbox(spec: SandboxSpec): Promise<SandboxResult> {
  const reason = sandboxSkipReason();
  if (reason) throw new Error(`runSandbox: ${reason}`);
  await slot();
  try {
    return await runOne(spec);
  } finally {
    release();
  }
}

/** Starts a scenario now and returns its promise; a rejection is reported when a test awaits it. */
export function startSandbox(spec: SandboxSpec): Promise<SandboxResult> {
  const p = runSandbox(spec);
  p.catch(() => undefined);
  return p;
}

// --- /proc from the host -------------------------------------------------------------------
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function nsOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

function membersOf(nsTag: string): Member[] {
  const out: Member[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const hostPid = Number(name);
    if (nsOf(hostPid) !== nsTag) continue;
    try {
      const status = readFileSync(`/proc/${hostPid}/status`, 'utf8');
      const nspid = /^NSpid:\s*(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? [];
      const argv = readFileSync(`/proc/${hostPid}/cmdline`, 'utf8').split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
      out.push({ hostPid, nsPid: Number(nspid[nspid.length - 1]), argv });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

async function until<T>(what: string, ms: number, probe: () => T | undefined, stop?: () => string | undefined): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    const why = stop?.();
    if (why) throw new Error(`sandbox: ${what}: ${why}`);
    if (Date.now() > end) throw new Error(`sandbox: timed out waiting for ${what}`);
    await sleep(5);
  }
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function writeFiles(dir: string, files: SandboxSpec['files']): void {
  for (const [rel, f] of Object.entries(files ?? {})) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, typeof f === 'string' ? f : f.content);
    if (typeof f !== 'string') chmodSync(path, f.mode);
  }
}

let seq = 0;

async function runOne(spec: SandboxSpec): Promise<SandboxResult> {
  const name = spec.name ?? `scenario-${++seq}`;
  const base = mkdtempSync(join(tmpdir(), `rd-sandbox-${name.replace(/[^\w.-]+/g, '_').slice(0, 40)}-`));
  const out = join(base, 'out');
  for (const d of ['pids', 'cli', 'alive', 'logs', 'marks', 'snap', 'home']) mkdirSync(join(out, d), { recursive: true });
  const project = join(base, 'project');
  const project2 = join(base, 'project2');
  for (const p of [project, project2]) cpSync(SERVER_SRC, join(p, 'src'), { recursive: true });
  writeFiles(project, spec.files);
  writeFiles(project2, spec.files2);
  const terminal = join(out, 'terminal.sh');
  // The terminal: lib.sh's steps, cwd the project, job control, a trace on stderr. The body comes
  // from a file, never from argv: a `bash -c '…python -m src.main…'` would match the server pattern.
  writeFileSync(terminal, `source ${JSON.stringify(LIB)}\ncd "$PROJECT"\nset -m\nrecord terminal $$\nPS4='+ $SECONDS '\nset -x\n${spec.script}\nset +x\nmark done ok\nexit 0\n`);

  const env: Record<string, string> = {
    // boot.py mounts a tmpfs of its own over /dev/shm (never in this mount namespace) and the IPC
    // namespace is the sandbox's: what a scenario's killed runs leave in shared memory ends with it.
    RD_HOST_MNT_NS: readlinkSync('/proc/self/ns/mnt'),
    PATH: `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${dirname(process.execPath)}`,
    HOME: join(out, 'home'),
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    OUT: out,
    PROJECT: project,
    PROJECT2: project2,
    PY: PYTHON,
    NODE: process.execPath,
    // RD_SANDBOX_CLI: another build's bin.cjs (or an older build's bin.js) (e.g. an older commit's, to see a test fail there).
    CLI_JS: process.env.RD_SANDBOX_CLI ?? CLI,
    REPO: ROOT,
    SANDBOX_BIN,
    ...spec.env,
  };
  const timeoutMs = spec.timeoutMs ?? 60_000;
  const hardS = Math.ceil(timeoutMs / 1000) + 10;
  const pid1 = spec.pid1 ? [spec.pid1.argv[0]!, spec.pid1.argv[0]!, ...spec.pid1.argv.slice(1)] : ['sandbox-init', '/bin/bash', INIT, terminal];
  // stdio are files, never pipes: a pipe handed down to every process would tie them all together.
  const so = openSync(join(out, 'logs', 'pid1.out'), 'a');
  const se = openSync(join(out, 'logs', 'pid1.err'), 'a');
  const outer = spawn('/usr/bin/timeout', ['--signal=KILL', `${hardS}s`, '/usr/bin/unshare', '--pid', '--fork', '--mount-proc', '--net', '--ipc', '--kill-child=SIGKILL', PYTHON, BOOT, out, ...pid1], {
    cwd: project,
    env,
    stdio: ['ignore', so, se],
  });
  closeSync(so);
  closeSync(se);
  let outerDone = false;
  const outerExit = new Promise<void>((resolve) => {
    outer.once('close', () => {
      outerDone = true;
      resolve();
    });
    outer.once('error', () => {
      outerDone = true;
      resolve();
    });
  });
  const gone = () => (outerDone ? `the namespace ended early: ${read(join(out, 'logs', 'pid1.err')).slice(-600)}` : undefined);

  let nsFd: number | undefined;
  let nsTag: string | undefined;
  let initHostPid = 0;
  let timedOut = false;
  let termCode: number | null = null;
  let setupError: unknown;
  const killNamespace = () => {
    // By pid, and only while it provably is this namespace's pid 1 (its pid namespace is ours).
    if (initHostPid && nsTag && nsOf(initHostPid) === nsTag) {
      try {
        process.kill(initHostPid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killNamespace();
  }, timeoutMs);

  try {
    await until('boot.py to start', 15_000, () => (existsSync(join(out, 'boot.ready')) ? true : undefined), gone);
    const unsharePid = await until('unshare', 5_000, () => childrenOf(outer.pid!)[0], gone);
    initHostPid = await until('the namespace init', 5_000, () => childrenOf(unsharePid)[0], gone);
    nsFd = openSync(`/proc/${unsharePid}/ns/pid_for_children`, 'r');
    nsTag = `pid:[${fstatSync(nsFd).ino}]`;
    if (nsOf(initHostPid) !== nsTag) throw new Error(`sandbox: pid ${initHostPid} is not in ${nsTag}`);
    writeFileSync(join(out, 'host.pinned'), '');
    const ns: RunningSandbox = {
      out,
      initHostPid,
      members: () => membersOf(nsTag!),
      mark: (n, v = 'ok') => writeFileSync(join(out, 'marks', n), `${v}\n`),
      waitMark: (n, ms = 20_000) => until(`marks/${n}`, ms, () => (existsSync(join(out, 'marks', n)) ? read(join(out, 'marks', n)).trim() : undefined), gone),
    };
    const hook = spec.whileRunning?.(ns);
    hook?.catch(() => undefined);
    if (spec.pid1) {
      const ready = spec.pid1.ready ?? /"ready": true/;
      await until(`pid 1 to print ${ready}`, Math.min(timeoutMs, 30_000), () => (ready.test(read(join(out, 'logs', 'pid1.out'))) ? true : undefined), gone);
      const to = openSync(join(out, 'terminal.out'), 'a');
      const te = openSync(join(out, 'terminal.err'), 'a');
      // `docker exec`: setns into pid 1's namespaces; nsenter forks the terminal inside.
      const enter = spawn('/usr/bin/nsenter', [`--target=${initHostPid}`, '--pid', '--mount', '--net', '--ipc', `--wd=${project}`, '--', '/usr/bin/setsid', '--wait', '/bin/bash', '--noprofile', '--norc', terminal], {
        env,
        stdio: ['ignore', to, te],
      });
      closeSync(to);
      closeSync(te);
      termCode = await new Promise<number | null>((resolve) => {
        enter.once('close', (code) => resolve(code));
        enter.once('error', () => resolve(null));
      });
      killNamespace();
    }
    if (hook) await hook;
  } catch (e) {
    setupError = e;
    killNamespace();
  }
  await outerExit;
  clearTimeout(timer);

  // Proof: nothing of the namespace is left (the pinned fd keeps its inode from being reused).
  let survivors: number[] = [];
  if (nsTag) {
    survivors = membersOf(nsTag).map((m) => m.hostPid);
    for (const p of survivors) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  if (nsFd !== undefined) closeSync(nsFd);

  if (!spec.pid1) {
    const c = read(join(out, 'terminal.code')).trim();
    termCode = c === '' ? null : Number(c);
  }
  const result = collect(name, base, out, project, project2, termCode, timedOut, survivors);
  if (process.env.RD_SANDBOX_KEEP !== '1') rmSync(base, { recursive: true, force: true });
  if (survivors.length > 0) throw new Error(`sandbox ${name}: processes survived their namespace (host pids ${survivors.join(', ')}; SIGKILLed)\n${result.describe()}`);
  if (setupError) throw new Error(`sandbox ${name}: ${(setupError as Error).message}\n${result.describe()}`);
  if (!spec.allowFailure && (timedOut || termCode !== 0 || result.failure)) {
    throw new Error(`sandbox ${name}: ${timedOut ? `timed out after ${timeoutMs} ms` : `the scenario failed (terminal exit ${termCode})`}\n${result.describe()}`);
  }
  return result;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function collect(name: string, dir: string, out: string, project: string, project2: string, code: number | null, timedOut: boolean, survivors: number[]): SandboxResult {
  const pidsBy = new Map<string, number[]>();
  for (const f of listDir(join(out, 'pids'))) pidsBy.set(f, read(join(out, 'pids', f)).split('\n').filter(Boolean).map(Number));
  const clis = new Map<string, CliRun>();
  for (const f of listDir(join(out, 'cli'))) {
    const m = /^(.*)\.code$/.exec(f);
    if (!m) continue;
    const n = m[1]!;
    const stdout = read(join(out, 'cli', `${n}.out`));
    const stderr = read(join(out, 'cli', `${n}.err`));
    clis.set(n, {
      code: Number(read(join(out, 'cli', f)).trim()),
      stdout,
      stderr,
      json<T>(): T {
        try {
          return JSON.parse(stdout) as T;
        } catch {
          throw new Error(`cli ${n} (exit ${read(join(out, 'cli', f)).trim()}) did not print JSON:\n${stdout.slice(0, 1500)}\n${stderr.slice(0, 1500)}`);
        }
      },
    });
  }
  const aliveBy = new Map<string, Map<number, boolean>>();
  for (const f of listDir(join(out, 'alive'))) {
    const m = new Map<number, boolean>();
    for (const line of read(join(out, 'alive', f)).split('\n').filter(Boolean)) {
      const [p, a] = line.split(' ');
      m.set(Number(p), a === '1');
    }
    aliveBy.set(f, m);
  }
  const snaps = new Map<string, ProcRow[]>();
  for (const f of listDir(join(out, 'snap'))) {
    snaps.set(
      f,
      read(join(out, 'snap', f))
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [head, args = ''] = line.split('\t');
          const [pid, ppid, pgid, sid, state] = head!.split(' ');
          return { pid: Number(pid), ppid: Number(ppid), pgid: Number(pgid), sid: Number(sid), state: state!, argv: args === '' ? [] : args.split('\x1f') };
        }),
    );
  }
  const marks = new Map<string, string>();
  for (const f of listDir(join(out, 'marks'))) marks.set(f, read(join(out, 'marks', f)).trim());
  const logs = new Map<string, string>();
  for (const f of listDir(join(out, 'logs'))) logs.set(f, read(join(out, 'logs', f)));
  const failure = read(join(out, 'failure')).trim() || undefined;
  const trace = read(join(out, 'terminal.err'));
  const known = () => `recorded: ${[...pidsBy.keys()].join(' ')}; cli: ${[...clis.keys()].join(' ')}`;
  const result: SandboxResult = {
    name,
    code,
    timedOut,
    failure,
    survivors,
    trace,
    dir,
    project,
    project2,
    pids(n) {
      const v = pidsBy.get(n);
      if (!v) throw new Error(`sandbox ${name}: no pids recorded as ${n} (${known()})`);
      return v;
    },
    pid(n) {
      const v = result.pids(n);
      if (v.length !== 1) throw new Error(`sandbox ${name}: ${n} holds ${v.length} pids, not one`);
      return v[0]!;
    },
    has: (n) => pidsBy.has(n),
    cli(n) {
      const c = clis.get(n);
      if (!c) throw new Error(`sandbox ${name}: no cli run named ${n} (${known()})\n${result.describe()}`);
      return c;
    },
    alive(n) {
      const a = aliveBy.get(n);
      if (!a) throw new Error(`sandbox ${name}: no liveness recorded as ${n}`);
      return a;
    },
    snapshot(n) {
      const s = snaps.get(n);
      if (!s) throw new Error(`sandbox ${name}: no snapshot ${n}`);
      return s;
    },
    mark: (n) => marks.get(n),
    log: (n, stream = 'out') => logs.get(`${n}.${stream}`) ?? '',
    describe: () =>
      [
        `scenario ${name}: terminal exit ${code}${timedOut ? ', timed out' : ''}${failure ? `, failed: ${failure}` : ''}`,
        known(),
        `trace (tail):\n${trace.split('\n').slice(-25).join('\n')}`,
        read(join(out, 'logs', 'pid1.err')).trim() ? `pid 1 stderr: ${read(join(out, 'logs', 'pid1.err')).slice(-800)}` : '',
        // A scenario's own pid 1 that exited ends the namespace (its last words say why).
        read(join(out, 'logs', 'pid1.out')).trim() ? `pid 1 stdout (tail): ${read(join(out, 'logs', 'pid1.out')).slice(-300)}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
  };
  return result;
}
