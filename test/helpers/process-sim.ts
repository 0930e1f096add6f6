// A tiny, faithful simulator of the Linux process table, for the cleanup planner's property test
// (issue 8). It runs the kernel's own rules (fork, exec, setsid, setpgid, fd inheritance, death and
// re-parenting to the nearest subreaper or the namespace init) under the programs our users run,
// and it keeps the ground truth that /proc does not show: who really started each process, which
// launch ("run") it belongs to and which project. A Snapshot comes out exactly as the probes would
// build it, readable or not by the uid that takes it.
//
// Semantics followed (man pages and sources cited where they decide something):
// - fork(2): the child copies ppid=parent, pgid, sid, uid, cwd, environment, exe, argv, the signal
//   dispositions and every fd. PR_SET_CHILD_SUBREAPER is not inherited (prctl(2)).
// - execve(2): argv/exe/comm replaced, comm = basename of the file run, cut to 15 characters
//   (TASK_COMM_LEN); ignored signals stay ignored. Python creates every fd O_CLOEXEC (PEP 446) and
//   its subprocess/spawnv_passfds closes all but pass_fds, so an exec keeps only what is passed.
// - setsid(2): sid = pgid = pid, no controlling tty; fails for a group leader (EPERM).
// - exit: children go to the nearest living ancestor with PR_SET_CHILD_SUBREAPER, else to the
//   namespace init (kernel/exit.c find_new_reaper); the reaper reaps zombies it receives.
// - multiprocessing (CPython 3.11): popen_spawn_posix._launch (sentinel pipe, tracker fd and
//   pipe_handle passed), popen_fork._launch, forkserver.ensure_running/_serve_one (workers hold
//   the "alive" pipe and the tracker fd), resource_tracker.ensure_running (the tracker holds the
//   read end, exits at EOF when no write end is left; it ignores SIGINT and SIGTERM).
// - torch/lib/libshm: torch_shm_manager is fork+execl'd, calls setsid(), exits when its clients are gone.
// - GNU timeout: setpgid(0,0) then fork; tini: isolates the child in its own group; dumb-init:
//   setsid() in the child; bash: SIGHUP is resent to every job before it exits; nohup: SIGHUP ignored.
// - Node's child_process `detached: true` is setsid(); cluster workers exit when the master's IPC closes.
import type { ListeningSocket, ProcessInfo, Snapshot } from '../../src/model/snapshot.js';

export interface Ident {
  pid: number;
  startKey: number;
}

type Fd = { kind: 'pipe'; inode: number; end: 'r' | 'w' } | { kind: 'socket'; inode: number };

type Behaviour =
  | { kind: 'persistent' }
  /** A wrapper (timeout, sh -c, time, make, uv, tini, dumb-init): exits when the child it runs exits. `then: 'sleep'` is a pid-1 `sh -c 'server; sleep infinity'`. */
  | { kind: 'waiter'; child: Ident | null; then: 'exit' | 'sleep' }
  /** An interactive shell with job control: its jobs are process groups it created. */
  | { kind: 'shell'; jobs: number[]; foreground: number | null }
  | { kind: 'tracker'; pipe: number }
  | { kind: 'forkserver'; alive: number }
  | { kind: 'shm-manager'; clients: Ident[] }
  | { kind: 'cluster-worker'; master: Ident }
  /** `rerun-doctor run`: ends every process with its marker when its child exits (supervise.ts). */
  | { kind: 'rd-run'; runId: string; child: Ident | null; watchdog: Ident | null }
  /** Its watchdog: ends the marked tree when the supervisor dies (watchdog.ts). */
  | { kind: 'rd-watchdog'; runId: string; supervisor: Ident };

/** What the process is in the story (for the ground truth and for printing), never read by the code under test. */
export type Label =
  | 'init'
  | 'kthread'
  | 'daemon'
  | 'systemd-user'
  | 'desktop'
  | 'terminal'
  | 'shell'
  | 'ide'
  | 'tmux'
  | 'self'
  | 'sudo'
  | 'launcher'
  | 'script'
  | 'main'
  | 'worker'
  | 'tracker'
  | 'forkserver'
  | 'shm-manager'
  | 'watchdog'
  | 'sleep';

export interface SimProc {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  uid: number;
  startKey: number;
  comm: string;
  argv: string[];
  exe: string | null;
  cwd: string | null;
  env: Record<string, string>;
  cgroup: string;
  tty: string | null;
  fds: Map<number, Fd>;
  sigIgn: Set<number>;
  subreaper: boolean;
  zombie: boolean;
  behaviour: Behaviour;
  label: Label;
  /** Ground truth: the run (launch) it belongs to, null for the machine's own processes. */
  run: number | null;
  /** Ground truth: the process that forked it (null: pid 1, kernel threads, entered from outside the namespace). */
  starter: Ident | null;
}

export const SIG = { HUP: 1, INT: 2, KILL: 9, PIPE: 13, TERM: 15, XFSZ: 25 } as const;
const USERS: Record<number, string> = { 0: 'root', 1000: 'alice', 1001: 'bob' };
const ENV_KEYS = ['RERUN_DOCTOR_RUN_ID', 'RERUN_DOCTOR_PROJECT', 'PWD', 'VIRTUAL_ENV', 'CONDA_PREFIX'];
const TICKS = 100; // USER_HZ
const PY_EXE = '/usr/bin/python3.11';
const BOOT = Date.parse('2026-11-26T08:00:00Z');

/** mulberry32: a tiny seeded PRNG, so a world is the same every time from the same seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const basename = (s: string) => s.split('/').pop() ?? s;

/** The kernel part: processes, fds, signals, death. No scenario knowledge. */
export class Kernel {
  readonly procs = new Map<number, SimProc>();
  clock = 360_000; // ticks since boot (an hour in) when the world is built
  private nextPid = 1;
  private wrapped = false;
  private nextInode = 40_000;
  /** Listening TCP sockets by inode. */
  readonly listeners = new Map<number, { port: number; address: string; family: 4 | 6 }>();
  /** Set while a reaction cascade runs, so deaths queue instead of recursing. */
  private settling = false;
  /**
   * systemd units (systemd-run --user: a transient Type=simple service). When the unit's main
   * process exits the unit stops, and KillMode=control-group (the default, systemd.kill(5)) ends
   * every process left in its cgroup: nothing survives in a unit its main left.
   */
  readonly units: Array<{ cgroup: string; main: Ident }> = [];

  constructor(
    private readonly rng: () => number,
    private readonly pidMax = 4_194_304,
  ) {}

  /** Move time on by a few ticks (every new process starts strictly later than the last). */
  tick(max = 30): void {
    this.clock += 1 + Math.floor(this.rng() * max);
  }

  /** Jump the pid cursor (to make a wraparound happen soon: pids then go below their parents'). */
  setPidCursor(next: number): void {
    this.nextPid = next;
  }

  private allocPid(): number {
    for (let tries = 0; tries < this.pidMax; tries++) {
      if (this.nextPid >= this.pidMax) {
        // kernel/pid.c alloc_pid: after the first wrap, ids below RESERVED_PIDS (300) are skipped.
        this.nextPid = 300;
        this.wrapped = true;
      }
      const pid = this.nextPid++;
      if (!this.procs.has(pid)) return pid;
    }
    throw new Error('pid space exhausted');
  }

  inode(): number {
    return this.nextInode++;
  }

  alive(id: Ident | null | undefined): boolean {
    if (!id) return false;
    const p = this.procs.get(id.pid);
    return p !== undefined && p.startKey === id.startKey && !p.zombie;
  }

  ident(p: SimProc): Ident {
    return { pid: p.pid, startKey: p.startKey };
  }

  get(id: Ident | null | undefined): SimProc | undefined {
    return id && this.alive(id) ? this.procs.get(id.pid) : undefined;
  }

  /** A process with no visible parent: pid 1, a kernel thread, one entered from outside the namespace (ppid 0). */
  root(fields: Partial<SimProc> & { argv: string[]; label: Label; pid?: number }): SimProc {
    this.tick();
    const pid = fields.pid ?? this.allocPid();
    const p: SimProc = {
      pid,
      ppid: 0,
      pgid: pid,
      sid: pid,
      uid: 0,
      startKey: this.clock,
      comm: basename(fields.argv[0] ?? '').slice(0, 15),
      exe: null,
      cwd: '/',
      env: {},
      cgroup: '/',
      tty: null,
      fds: new Map(),
      sigIgn: new Set(),
      subreaper: false,
      zombie: false,
      behaviour: { kind: 'persistent' },
      run: null,
      starter: null,
      ...fields,
    };
    if (fields.pid !== undefined && fields.pid >= this.nextPid) this.nextPid = fields.pid + 1;
    this.procs.set(pid, p);
    return p;
  }

  fork(parent: SimProc, label: Label = parent.label): SimProc {
    if (!this.alive(this.ident(parent))) throw new Error(`fork from a dead process ${parent.pid}`);
    this.tick();
    const pid = this.allocPid();
    const child: SimProc = {
      ...parent,
      pid,
      ppid: parent.pid,
      startKey: this.clock,
      argv: [...parent.argv],
      env: { ...parent.env },
      fds: new Map(parent.fds),
      sigIgn: new Set(parent.sigIgn),
      subreaper: false,
      zombie: false,
      behaviour: { kind: 'persistent' },
      label,
      starter: this.ident(parent),
    };
    this.procs.set(pid, child);
    return child;
  }

  /** execve: keeps only the fds passed (CLOEXEC everywhere else, as Python and the shells make them). */
  exec(p: SimProc, argv: string[], path: string, exe: string | null, keep: number[] = []): void {
    p.argv = argv;
    p.exe = exe;
    p.comm = basename(path).slice(0, 15);
    for (const fd of [...p.fds.keys()]) if (!keep.includes(fd)) p.fds.delete(fd);
  }

  setsid(p: SimProc): void {
    if (p.pgid === p.pid) throw new Error(`setsid by group leader ${p.pid}: EPERM`);
    p.sid = p.pid;
    p.pgid = p.pid;
    p.tty = null;
  }

  setpgid(p: SimProc): void {
    p.pgid = p.pid;
  }

  private lowestFd(p: SimProc): number {
    let fd = 3;
    while (p.fds.has(fd)) fd++;
    return fd;
  }

  /** A new pipe in p: returns its inode and the two fd numbers. */
  pipe(p: SimProc): { inode: number; r: number; w: number } {
    const inode = this.inode();
    const r = this.lowestFd(p);
    p.fds.set(r, { kind: 'pipe', inode, end: 'r' });
    const w = this.lowestFd(p);
    p.fds.set(w, { kind: 'pipe', inode, end: 'w' });
    return { inode, r, w };
  }

  /** A socket in p (a TCP listener when `listen` is given). */
  socket(p: SimProc, listen?: { port: number; address?: string }): { inode: number; fd: number } {
    const inode = this.inode();
    const fd = this.lowestFd(p);
    p.fds.set(fd, { kind: 'socket', inode });
    if (listen) {
      const address = listen.address ?? '0.0.0.0';
      this.listeners.set(inode, { port: listen.port, address, family: address.includes(':') ? 6 : 4 });
    }
    return { inode, fd };
  }

  /** SCM_RIGHTS: q receives a copy of p's fd at its lowest free number. */
  send(p: SimProc, fd: number, q: SimProc): number {
    const h = p.fds.get(fd);
    if (!h) throw new Error(`no fd ${fd} in ${p.pid}`);
    const to = this.lowestFd(q);
    q.fds.set(to, h);
    return to;
  }

  close(p: SimProc, fd: number): void {
    p.fds.delete(fd);
  }

  /** Live processes holding the inode (optionally only one end of a pipe). */
  holders(inode: number, end?: 'r' | 'w'): SimProc[] {
    const out: SimProc[] = [];
    for (const p of this.procs.values()) {
      if (p.zombie) continue;
      for (const h of p.fds.values()) {
        if (h.inode === inode && (end === undefined || (h.kind === 'pipe' && h.end === end))) {
          out.push(p);
          break;
        }
      }
    }
    return out;
  }

  private isNamespaceInit(p: SimProc): boolean {
    return p.pid === 1;
  }

  /** Deliver a signal with its default action (death) unless ignored; the namespace init ignores what it has no handler for. */
  signal(p: SimProc, sig: number): void {
    if (p.zombie || !this.procs.has(p.pid)) return;
    if (this.isNamespaceInit(p)) return; // kernel: signals from inside the namespace to its init without a handler are dropped
    if (p.behaviour.kind === 'rd-watchdog' && sig !== SIG.KILL) return; // it handles HUP/INT, TERM means "done" (watchdog.ts)
    if (sig !== SIG.KILL && p.sigIgn.has(sig)) return;
    if (sig === SIG.HUP && p.behaviour.kind === 'shell') {
      // bash: on SIGHUP an interactive shell resends SIGHUP to every job, then exits.
      for (const pgid of p.behaviour.jobs) this.killpg(pgid, SIG.HUP);
    }
    this.die(p);
  }

  killpg(pgid: number, sig: number): void {
    for (const p of [...this.procs.values()]) if (p.pgid === pgid && !p.zombie) this.signal(p, sig);
  }

  /** The process ends. Its children go to the nearest living subreaper above it, else the namespace init. */
  die(p: SimProc, opts: { zombie?: boolean } = {}): void {
    if (!this.procs.has(p.pid) || p.zombie) return;
    if (this.isNamespaceInit(p)) throw new Error('the namespace init died: the whole namespace is gone');
    p.fds.clear();
    let reaper: SimProc | undefined;
    for (let a = this.procs.get(p.ppid); a; a = a.pid === 1 ? undefined : this.procs.get(a.ppid)) {
      if (a.subreaper && !a.zombie) {
        reaper = a;
        break;
      }
    }
    reaper ??= this.procs.get(1);
    for (const c of [...this.procs.values()]) {
      if (c.ppid !== p.pid || c.pid === p.pid) continue;
      if (c.zombie) this.procs.delete(c.pid); // the reaper waits for it at once
      else c.ppid = reaper?.pid ?? 0;
    }
    const parent = this.procs.get(p.ppid);
    if (opts.zombie && parent && !parent.zombie) {
      p.zombie = true;
      p.argv = [];
    } else {
      this.procs.delete(p.pid);
    }
    this.settle();
  }

  /** What programs do when something they watch ends: wrappers exit, trackers see EOF, managers lose their clients. */
  settle(): void {
    if (this.settling) return;
    this.settling = true;
    try {
      for (let changed = true; changed; ) {
        changed = false;
        for (const p of [...this.procs.values()]) {
          if (p.zombie || !this.procs.has(p.pid)) continue;
          const b = p.behaviour;
          let end = false;
          if (b.kind === 'waiter' && b.child && !this.alive(b.child)) {
            if (b.then === 'sleep') {
              const s = this.fork(p, 'sleep');
              this.exec(s, ['sleep', 'infinity'], '/usr/bin/sleep', '/usr/bin/sleep');
              b.child = this.ident(s);
              changed = true;
            } else end = true;
          } else if (b.kind === 'tracker') end = this.holders(b.pipe, 'w').length === 0;
          else if (b.kind === 'forkserver') end = this.holders(b.alive, 'w').length === 0;
          else if (b.kind === 'shm-manager') end = !b.clients.some((c) => this.alive(c));
          else if (b.kind === 'cluster-worker') end = !this.alive(b.master);
          else if (b.kind === 'rd-run' && b.child && !this.alive(b.child)) {
            this.endMarked(b.runId);
            const w = this.get(b.watchdog);
            if (w) this.exitNow(w); // "done" on its stdin: it exits without ending anything
            end = true;
          } else if (b.kind === 'rd-watchdog' && !this.alive(b.supervisor)) {
            this.endMarked(b.runId);
            end = true;
          }
          if (end) {
            this.exitNow(p);
            changed = true;
          }
        }
        for (const u of this.units) {
          if (this.alive(u.main)) continue;
          for (const p of [...this.procs.values()]) {
            if (p.cgroup === u.cgroup && !p.zombie) {
              this.exitNow(p); // SIGTERM, then SIGKILL after TimeoutStopSec for what ignores it (the tracker)
              changed = true;
            }
          }
        }
      }
    } finally {
      this.settling = false;
    }
  }

  private exitNow(p: SimProc): void {
    this.die(p);
  }

  /** supervise.ts endRun: every live process carrying the run's marker is ended. */
  private endMarked(runId: string): void {
    for (const q of [...this.procs.values()]) {
      if (q.zombie || q.env.RERUN_DOCTOR_RUN_ID !== runId) continue;
      if (q.behaviour.kind === 'rd-run' || q.behaviour.kind === 'rd-watchdog') continue;
      this.die(q);
    }
  }

  wasWrapped(): boolean {
    return this.wrapped;
  }
}

// ---------------------------------------------------------------------------------------------
// Scenarios: the shapes our users have (DOMAIN.md), built from the kernel's operations.

export type From = 'terminal' | 'terminal-bg' | 'nohup-bg' | 'start-script' | 'ide' | 'systemd-user' | 'tmux' | 'container-shell';
export type Via = 'none' | 'timeout' | 'sh-c' | 'time' | 'make' | 'uv' | 'tini-s' | 'dumb-init' | 'rerun-doctor-run';
export type Program = 'server' | 'mp-program' | 'node-cluster';
export type StartMethod = 'spawn' | 'fork' | 'forkserver';
export type PortMode = 'main' | 'reuseport' | 'inherited' | 'none';

export interface LaunchSpec {
  from: From;
  via: Via;
  program: Program;
  /** Where it runs: the project (root or a subdirectory), or another project's directory. */
  where: 'project' | 'project-subdir' | 'other';
  user: 'alice' | 'bob';
  method: StartMethod;
  workers: number;
  setsidWorkers: boolean;
  /** torch_shm_manager, started by the main or by the first worker. */
  shm: 'none' | 'main' | 'worker';
  ports: PortMode;
  /** fork start method only: a shared_memory/semaphore user starts the resource tracker anyway. */
  tracker: boolean;
  /** The first worker forks a child of its own (a DataLoader worker). */
  grandchild: boolean;
  venv: boolean;
  /** Reuse the last terminal opened for this user instead of opening a new one (background jobs only). */
  reuseTerminal: boolean;
  /** alice's terminal: a desktop one (under systemd --user, a subreaper) or an ssh login (under sshd; orphans go to pid 1). bob always logs in by ssh. */
  terminal: 'desktop' | 'ssh';
}

export type SimEvent =
  | { kind: 'kill-main' | 'kill-wrapper' | 'kill-group' | 'term-group' | 'stop' | 'kill-shell' | 'close-terminal'; run: number }
  | { kind: 'kill-worker' | 'zombie-worker'; run: number; worker: number }
  | { kind: 'kill-ide' };

export type Action = { t: 'launch'; spec: LaunchSpec } | { t: 'event'; event: SimEvent };

export interface WorldOptions {
  seed: number;
  kind: 'host' | 'container';
  /** host: '/home/alice/proj' or a shared '/srv/app' (bob works there too); container: '/app'. */
  sharedProject: boolean;
  /** Who runs rerun-doctor: alice, root through sudo (SUDO_UID=1000), root in a container. */
  self: 'alice' | 'sudo';
  /** Start pids near pid_max so they wrap during the scenario (children below their parents, reuse). */
  wrapPids: boolean;
  /** Container pid 1: tini, dumb-init, `sh -c 'server; sleep infinity'`, or a devcontainer's sleep loop. */
  entrypoint: 'tini' | 'dumb-init' | 'sh' | 'devcontainer';
}

export interface RunTruth {
  id: number;
  spec: LaunchSpec;
  /** The project directory it belongs to (its launch cwd's project). */
  project: string;
  uid: number;
  /** The live process that started it (shell, IDE, systemd --user, tmux server, pid 1). */
  starter: Ident;
  /** Launchers between the starter and the main, outermost first (a start script included). */
  launchers: Ident[];
  main: Ident;
  workers: Ident[];
  shell: Ident | null;
  startKey: number;
  description: string;
}

/**
 * running: its main and the whole launch chain (starter, wrappers) are alive; detached: the main
 * is alive but something that started it is gone (nohup from a script that exited, a killed
 * wrapper, a closed terminal, a killed IDE); dead: the main is gone.
 */
export type RunStatus = 'running' | 'detached' | 'dead';

export interface TruthRow {
  starter: Ident | null;
  starterAlive: boolean;
  run: number | null;
  project: string | null;
  label: Label;
}

export interface SimResult {
  snapshot: Snapshot;
  selfPid: number;
  ancestors: number[];
  uid: number;
  sudoUid: number | null;
  projectRoot: string;
  truth: Map<number, TruthRow>;
  runs: RunTruth[];
  status: Map<number, RunStatus>;
  /** Live processes of a run with a live main that no longer hang under it (the run is not whole). */
  strays: Set<number>;
}

const q = (s: string) => (/\s/.test(s) ? `'${s}'` : s);

export class World {
  readonly k: Kernel;
  private readonly rng: () => number;
  readonly runs: RunTruth[] = [];
  readonly projectRoot: string;
  private readonly terminals = new Map<string, SimProc>();
  private sessionN = 2;
  private ptyN = 0;
  private systemdUser: SimProc | null = null;
  private ide: SimProc | null = null;
  private tmux: SimProc | null = null;
  private sshd: SimProc | null = null;
  private execShell: SimProc | null = null;
  private self: SimProc | null = null;
  readonly selfUid: number;
  readonly sudoUid: number | null;
  /** Container: pid 1 runs this run's main (killing that main would end the container). */
  private entrypointRun: number | null = null;

  constructor(readonly o: WorldOptions) {
    this.rng = prng(o.seed);
    this.k = new Kernel(this.rng, o.wrapPids ? 32_768 : 4_194_304);
    this.projectRoot = o.kind === 'container' ? '/app' : o.sharedProject ? '/srv/app' : '/home/alice/proj';
    this.selfUid = o.self === 'sudo' || o.kind === 'container' ? 0 : 1000;
    this.sudoUid = o.self === 'sudo' && o.kind === 'host' ? 1000 : null;
    if (o.kind === 'host') this.buildHost();
    else this.buildContainer();
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rng() * xs.length)]!;
  }

  // ---- the machine ----

  private buildHost(): void {
    const k = this.k;
    const init = k.root({ pid: 1, argv: ['/sbin/init', 'splash'], exe: '/usr/lib/systemd/systemd', label: 'init', cgroup: '/init.scope', startKey: 1 });
    init.comm = 'systemd';
    const kthreadd = k.root({ pid: 2, argv: [], exe: null, label: 'kthread', cwd: null });
    kthreadd.comm = 'kthreadd';
    const kw = k.fork(kthreadd, 'kthread');
    kw.comm = 'kworker/0:1-events';
    kw.comm = kw.comm.slice(0, 15);
    const journald = this.service(init, ['/usr/lib/systemd/systemd-journald'], '/system.slice/systemd-journald.service', 0);
    journald.label = 'daemon';
    const su = this.service(init, ['/usr/lib/systemd/systemd', '--user'], '/user.slice/user-1000.slice/user@1000.service/init.scope', 1000);
    su.subreaper = true;
    su.label = 'systemd-user';
    su.cwd = '/home/alice';
    this.systemdUser = su;
    if (this.o.wrapPids) k.setPidCursor(32_768 - 10);
  }

  private buildContainer(): void {
    const k = this.k;
    const uid = 0;
    const ep = this.o.entrypoint;
    const argv =
      ep === 'tini'
        ? ['/usr/bin/tini', '--', 'python', '-m', 'src.main', '--workers', '2']
        : ep === 'dumb-init'
          ? ['/usr/bin/dumb-init', '--', 'python', '-m', 'src.main', '--workers', '2']
          : ep === 'sh'
            ? ['/bin/sh', '-c', 'python -m src.main --workers 2; sleep infinity']
            : ['/bin/sh', '-c', 'echo Container started; trap "exit 0" 15; while sleep 1000 & wait $!; do :; done'];
    // runc's init calls setsid(): the container's pid 1 leads session 1.
    const init = k.root({ pid: 1, argv, exe: ep === 'tini' || ep === 'dumb-init' ? argv[0]! : '/usr/bin/dash', label: 'init', cwd: '/app', uid });
    if (ep === 'devcontainer') {
      const s = k.fork(init, 'sleep');
      k.exec(s, ['sleep', '1000'], '/usr/bin/sleep', '/usr/bin/sleep');
      init.behaviour = { kind: 'waiter', child: k.ident(s), then: 'sleep' };
    } else {
      const spec: LaunchSpec = { ...DEFAULT_SPEC, from: 'container-shell', workers: 2 };
      this.entrypointRun = this.startRun(spec, init, (job) => {
        if (ep === 'tini') k.setpgid(job); // tini isolate_child(): its own process group
        if (ep === 'dumb-init') k.setsid(job);
        return job;
      }, `container entrypoint ${argv.join(' ')}`);
      const main = this.runs[this.entrypointRun]!.main;
      init.behaviour = { kind: 'waiter', child: main, then: ep === 'sh' ? 'sleep' : 'exit' };
      // An entrypoint runs exactly its command: tini and dumb-init exec the argv after `--`, sh -c
      // runs the string; so pid 1's command line holds the server's own (as on a real container).
      const serverArgv = k.procs.get(main.pid)?.argv ?? [];
      if (ep === 'tini' || ep === 'dumb-init') init.argv = [argv[0]!, '--', ...serverArgv];
      else if (ep === 'sh') init.argv = ['/bin/sh', '-c', `${serverArgv.join(' ')}; sleep infinity`];
    }
    if (this.o.wrapPids) k.setPidCursor(32_768 - 10);
  }

  private service(parent: SimProc, argv: string[], cgroup: string, uid: number): SimProc {
    const s = this.k.fork(parent, 'daemon');
    this.k.setsid(s); // systemd services lead their own session
    s.uid = uid;
    s.cgroup = cgroup;
    s.cwd = '/';
    s.env = {};
    this.k.exec(s, argv, argv[0]!, argv[0]!);
    return s;
  }

  private home(user: 'alice' | 'bob'): string {
    return `/home/${user}`;
  }

  /** A terminal shell (session leader with job control): desktop terminal for alice, ssh for bob (and sometimes alice). */
  private terminal(user: 'alice' | 'bob', reuse: boolean, kind: 'desktop' | 'ssh' = 'desktop'): SimProc {
    const key = user;
    const old = this.terminals.get(key);
    if (reuse && old && this.k.alive(this.k.ident(old))) return old;
    const k = this.k;
    const uid = user === 'alice' ? 1000 : 1001;
    let shell: SimProc;
    if (this.o.kind === 'container') {
      // docker exec -it c bash: entered from outside the namespace (ppid 0), its own session.
      shell = k.root({ argv: ['bash'], exe: '/usr/bin/bash', label: 'shell', uid: this.selfUid, cwd: '/app', env: { PWD: '/app' }, tty: `pts/${this.ptyN++}` });
      shell.behaviour = { kind: 'shell', jobs: [], foreground: null };
    } else if (user === 'alice' && kind === 'desktop') {
      const su = this.systemdUser!;
      let term = [...k.procs.values()].find((p) => p.label === 'terminal');
      if (!term) {
        term = this.service(su, ['/usr/libexec/gnome-terminal-server'], '/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.gnome.Terminal.slice/gnome-terminal-server.service', 1000);
        term.label = 'terminal';
        term.cwd = '/home/alice';
      }
      shell = k.fork(term, 'shell');
      k.setsid(shell);
      shell.cgroup = `/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.gnome.Terminal.slice/vte-spawn-${this.sessionN++}.scope`;
    } else {
      if (!this.sshd) this.sshd = this.service(this.k.procs.get(1)!, ['sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups'], '/system.slice/ssh.service', 0);
      const priv = k.fork(this.sshd, 'daemon');
      k.setsid(priv);
      priv.cgroup = `/user.slice/user-${uid}.slice/session-${this.sessionN++}.scope`;
      k.exec(priv, [`sshd: ${user} [priv]`], '/usr/sbin/sshd', '/usr/sbin/sshd');
      const conn = k.fork(priv, 'daemon');
      conn.uid = uid;
      k.exec(conn, [`sshd: ${user}@pts/${this.ptyN}`], '/usr/sbin/sshd', '/usr/sbin/sshd');
      shell = k.fork(conn, 'shell');
      k.setsid(shell);
    }
    if (this.o.kind !== 'container') {
      shell.uid = uid;
      shell.tty = `pts/${this.ptyN++}`;
      shell.cwd = this.home(user);
      shell.env = { PWD: this.home(user) };
      k.exec(shell, ['-bash'], '/usr/bin/bash', '/usr/bin/bash');
      shell.comm = 'bash';
      shell.behaviour = { kind: 'shell', jobs: [], foreground: null };
    }
    this.terminals.set(key, shell);
    return shell;
  }

  private ideProcess(): SimProc {
    if (this.ide && this.k.alive(this.k.ident(this.ide))) return this.ide;
    const k = this.k;
    let shellProc = [...k.procs.values()].find((p) => p.argv[0] === '/usr/bin/gnome-shell');
    if (!shellProc) shellProc = this.service(this.systemdUser!, ['/usr/bin/gnome-shell'], '/user.slice/user-1000.slice/user@1000.service/session.slice/org.gnome.Shell@wayland.service', 1000);
    shellProc.label = 'desktop';
    shellProc.cwd = '/home/alice';
    shellProc.env = { PWD: '/home/alice' };
    // An IDE started from the desktop: not a session leader, its own group, its own scope; it
    // starts run configurations without job control (java.lang.ProcessBuilder): same group and session.
    const ide = k.fork(shellProc, 'ide');
    k.setpgid(ide);
    ide.cgroup = '/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-pycharm-4242.scope';
    k.exec(ide, ['/opt/pycharm/jbr/bin/java', '-Xmx2048m', 'com.intellij.idea.Main'], '/opt/pycharm/jbr/bin/java', '/opt/pycharm/jbr/bin/java');
    this.ide = ide;
    return ide;
  }

  private tmuxServer(): SimProc {
    if (this.tmux && this.k.alive(this.k.ident(this.tmux))) return this.tmux;
    const k = this.k;
    // tmux new -d: the client forks the server, which daemon()s (fork, setsid, the middle exits):
    // the server is adopted by the subreaper above the terminal, or init.
    const shell = this.terminal('alice', true);
    const client = k.fork(shell, 'tmux');
    k.setpgid(client);
    k.exec(client, ['tmux', 'new', '-d'], '/usr/bin/tmux', '/usr/bin/tmux');
    const mid = k.fork(client, 'tmux');
    const server = k.fork(mid, 'tmux');
    k.setsid(server);
    k.die(mid);
    k.die(client);
    this.tmux = server;
    return server;
  }

  // ---- runs ----

  private projectDir(where: LaunchSpec['where'], user: 'alice' | 'bob'): { dir: string; project: string } {
    if (where === 'other') {
      if (this.o.kind === 'container') return { dir: '/opt/tools', project: '/opt/tools' };
      return user === 'bob' ? { dir: '/home/bob/proj', project: '/home/bob/proj' } : { dir: '/home/alice/other-svc', project: '/home/alice/other-svc' };
    }
    const root = user === 'bob' && !this.o.sharedProject && this.o.kind === 'host' ? '/home/bob/proj' : this.projectRoot;
    return { dir: where === 'project-subdir' ? `${root}/services/api` : root, project: root };
  }

  /**
   * Start one run. `start(job)` is where the starter put the first process of the run (its own
   * group for a job, a new session for a service); wrappers and the program follow from the spec.
   */
  launch(spec: LaunchSpec): number | null {
    const k = this.k;
    if (this.o.kind === 'container' && !['container-shell', 'terminal-bg', 'nohup-bg', 'start-script', 'terminal'].includes(spec.from)) spec = { ...spec, from: 'container-shell' };
    if (this.o.kind === 'container') spec = { ...spec, user: 'alice', via: spec.via === 'tini-s' ? 'none' : spec.via };
    if (spec.user === 'bob' && this.o.kind === 'host' && !['terminal', 'terminal-bg', 'nohup-bg', 'start-script'].includes(spec.from)) spec = { ...spec, from: 'terminal' };
    const { dir } = this.projectDir(spec.where, spec.user);
    let starter: SimProc;
    let shell: SimProc | null = null;
    const jobControl = (job: SimProc, fg: boolean) => {
      k.setpgid(job);
      const b = shell!.behaviour;
      if (b.kind === 'shell') {
        b.jobs.push(job.pid);
        if (fg) b.foreground = job.pid;
      }
      return job;
    };
    let prepare: (job: SimProc) => SimProc;
    let story: string;
    switch (spec.from) {
      case 'terminal':
      case 'terminal-bg':
      case 'nohup-bg':
      case 'start-script':
      case 'container-shell': {
        const bg = spec.from !== 'terminal' && spec.from !== 'container-shell' && spec.from !== 'start-script';
        shell = this.terminal(spec.user, bg && spec.reuseTerminal, spec.terminal);
        const b = shell.behaviour;
        // A terminal whose foreground job still runs takes no new command: open another.
        if (b.kind === 'shell' && b.foreground !== null && k.procs.has(b.foreground)) shell = this.terminal(spec.user, false, spec.terminal);
        // cd DIR: the shell's cwd and PWD follow; a venv is activated with VIRTUAL_ENV.
        shell.cwd = dir;
        shell.env = { ...shell.env, PWD: dir };
        if (spec.venv) shell.env.VIRTUAL_ENV = `${this.projectDir(spec.where, spec.user).project}/.venv`;
        else delete shell.env.VIRTUAL_ENV;
        starter = shell;
        if (spec.from === 'start-script') {
          prepare = (job) => {
            jobControl(job, true);
            k.exec(job, ['bash', './start.sh'], '/usr/bin/bash', '/usr/bin/bash');
            job.label = 'script';
            // start.sh: `nohup python -m src.main … &` then exit: no job control in a script, so the
            // server stays in the script's group.
            const child = k.fork(job, 'launcher');
            child.sigIgn.add(SIG.HUP);
            return child;
          };
          story = `bash ./start.sh (nohup … &, then the script exits) from ${shell.argv[0]} ${shell.pid}`;
        } else if (spec.from === 'nohup-bg') {
          prepare = (job) => {
            jobControl(job, false);
            job.sigIgn.add(SIG.HUP); // nohup execs the command with SIGHUP ignored
            return job;
          };
          story = `nohup … & from shell ${shell.pid}`;
        } else {
          prepare = (job) => jobControl(job, !bg);
          story = `${bg ? 'background job (&)' : 'foreground job'} of shell ${shell.pid} (${shell.cgroup.includes('session-') ? 'ssh' : this.o.kind === 'container' ? 'docker exec' : 'desktop terminal'})`;
        }
        break;
      }
      case 'ide': {
        starter = this.ideProcess();
        prepare = (job) => job;
        story = `run configuration of the IDE ${starter.pid}`;
        break;
      }
      case 'systemd-user': {
        starter = this.systemdUser!;
        prepare = (job) => {
          k.setsid(job);
          job.cgroup = `/user.slice/user-1000.slice/user@1000.service/app.slice/run-u${job.pid}.service`;
          job.env = {};
          k.units.push({ cgroup: job.cgroup, main: k.ident(job) });
          return job;
        };
        story = `systemd-run --user (a service of systemd --user ${starter.pid})`;
        break;
      }
      case 'tmux': {
        starter = this.tmuxServer();
        prepare = (job) => {
          k.setsid(job); // a tmux pane: forkpty, its own session
          job.tty = `pts/${this.ptyN++}`;
          job.cwd = dir;
          job.env = { ...job.env, PWD: dir };
          return job;
        };
        story = `tmux new -d (pane of the tmux server ${starter.pid})`;
        break;
      }
    }
    if (spec.from === 'ide' || spec.from === 'systemd-user') {
      const inner = prepare;
      prepare = (job) => {
        const j = inner(job);
        j.cwd = dir; // the run configuration's / --working-directory's directory
        if (spec.venv) j.env = { ...j.env, VIRTUAL_ENV: `${this.projectDir(spec.where, spec.user).project}/.venv` };
        return j;
      };
    }
    return this.startRun(spec, starter, prepare, story, shell);
  }

  private startRun(spec: LaunchSpec, starter: SimProc, prepare: (job: SimProc) => SimProc, story: string, shell: SimProc | null = null): number {
    const k = this.k;
    const id = this.runs.length;
    k.tick(3000); // runs are tens of seconds apart
    const job = k.fork(starter, 'launcher');
    job.run = id;
    const launchers: SimProc[] = [];
    let cur = prepare(job);
    if (cur !== job) launchers.push(job);
    cur.run = id;
    const { dir, project } = this.projectDir(spec.where, spec.user);
    const cmd = this.programArgv(spec);
    const wrapper = (argv: string[], path: string, opts: { pgid?: boolean; setsidChild?: boolean; pgidChild?: boolean; subreaper?: boolean } = {}) => {
      k.exec(cur, argv, path, path);
      cur.label = 'launcher';
      if (opts.pgid && cur.pgid !== cur.pid) k.setpgid(cur);
      if (opts.subreaper) cur.subreaper = true;
      const child = k.fork(cur, 'launcher');
      if (opts.setsidChild) k.setsid(child);
      if (opts.pgidChild) k.setpgid(child);
      cur.behaviour = { kind: 'waiter', child: k.ident(child), then: 'exit' };
      launchers.push(cur);
      cur = child;
    };
    let rdRun: SimProc | null = null;
    switch (spec.via) {
      case 'none':
        break;
      case 'timeout':
        wrapper(['timeout', '3600', ...cmd], '/usr/bin/timeout', { pgid: true });
        break;
      case 'sh-c':
        wrapper(['sh', '-c', `${cmd.join(' ')}; echo "server exited: $?"`], '/usr/bin/dash');
        break;
      case 'time':
        wrapper(['/usr/bin/time', '-v', ...cmd], '/usr/bin/time');
        break;
      case 'make':
        wrapper(['make', 'serve'], '/usr/bin/make');
        break;
      case 'uv':
        wrapper(['uv', 'run', ...cmd], `${this.home(spec.user)}/.local/bin/uv`);
        break;
      case 'tini-s':
        wrapper(['tini', '-s', '--', ...cmd], '/usr/bin/tini', { subreaper: true, pgidChild: true });
        break;
      case 'dumb-init':
        wrapper(['dumb-init', '--', ...cmd], '/usr/bin/dumb-init', { setsidChild: true });
        break;
      case 'rerun-doctor-run': {
        const runId = `rd-${id}-${cur.pid}`;
        k.exec(cur, ['node', '/usr/lib/node_modules/rerun-doctor/dist/cli/bin.cjs', 'run', '--', ...cmd], '/usr/bin/node', '/usr/bin/node');
        cur.label = 'launcher';
        const wd = k.fork(cur, 'watchdog');
        k.setsid(wd);
        k.exec(wd, ['/usr/bin/node', '/usr/lib/node_modules/rerun-doctor/dist/actions/watchdog.js', runId, String(cur.pid), String(cur.startKey), '1000', '/proc'], '/usr/bin/node', '/usr/bin/node');
        wd.behaviour = { kind: 'rd-watchdog', runId, supervisor: k.ident(cur) };
        const child = k.fork(cur, 'launcher');
        k.setsid(child); // spawn(…, { detached: true })
        child.env = { ...child.env, RERUN_DOCTOR_RUN_ID: runId, RERUN_DOCTOR_PROJECT: dir };
        cur.behaviour = { kind: 'rd-run', runId, child: k.ident(child), watchdog: k.ident(wd) };
        rdRun = cur;
        launchers.push(cur);
        cur = child;
        break;
      }
    }
    const main = cur;
    main.label = 'main';
    const workers = this.startProgram(main, spec, cmd);
    if (rdRun && rdRun.behaviour.kind === 'rd-run') rdRun.behaviour.child = k.ident(main);
    const run: RunTruth = {
      id,
      spec,
      project,
      uid: main.uid,
      starter: k.ident(starter),
      launchers: launchers.map((l) => k.ident(l)),
      main: k.ident(main),
      workers,
      shell: shell ? k.ident(shell) : null,
      startKey: job.startKey,
      description: `${story}${spec.via === 'none' ? '' : ` via ${spec.via}`}: ${spec.program} (${spec.method}, ${spec.workers} workers${spec.setsidWorkers ? ', setsid' : ''}${spec.shm !== 'none' ? `, torch_shm_manager by ${spec.shm}` : ''}, ports ${spec.ports}) in ${dir} as ${USERS[main.uid]}`,
    };
    this.runs.push(run);
    if (spec.from === 'start-script') k.die(job); // the script exits; the backgrounded server stays
    return id;
  }

  /** sys.executable: what multiprocessing starts its children with (the venv's path is not resolved). */
  private sysExecutable(spec: LaunchSpec): string {
    return spec.venv ? `${this.projectDir(spec.where, spec.user).project}/.venv/bin/python` : '/usr/bin/python3';
  }

  private programArgv(spec: LaunchSpec): string[] {
    if (spec.program === 'node-cluster') return ['node', 'server.js'];
    const py = spec.venv ? 'python' : 'python3';
    if (spec.program === 'mp-program') return this.pick([[py, 'train.py', '--epochs', '3'], [py, '-m', 'pytest', '-x'], [py, '-m', 'ipykernel_launcher', '-f', `${this.home(spec.user)}/.local/share/jupyter/runtime/kernel-7.json`]]);
    return [py, '-m', 'src.main', '--workers', String(spec.workers), '--worker-port', '50051', '--metrics-port', '8080', '--start-method', spec.method];
  }

  /** exec the program in main and start its children; returns the workers. */
  private startProgram(main: SimProc, spec: LaunchSpec, cmd: string[]): Ident[] {
    const k = this.k;
    if (spec.program === 'node-cluster') {
      k.exec(main, cmd, '/usr/bin/node', '/usr/bin/node');
      k.socket(main, { port: 8080, address: '::' });
      const out: Ident[] = [];
      for (let i = 0; i < spec.workers; i++) {
        const w = k.fork(main, 'worker');
        // child_process.fork: the IPC channel is one end of a socketpair on fd 3 (own inodes).
        k.exec(w, ['/usr/bin/node', `${main.cwd}/server.js`], '/usr/bin/node', '/usr/bin/node');
        k.socket(w);
        k.socket(main);
        w.behaviour = { kind: 'cluster-worker', master: k.ident(main) };
        out.push(k.ident(w));
      }
      return out;
    }
    const argv0 = this.sysExecutable(spec);
    k.exec(main, cmd, cmd[0] === 'python' ? argv0 : '/usr/bin/python3', PY_EXE);
    main.sigIgn.add(SIG.PIPE).add(SIG.XFSZ); // CPython ignores SIGPIPE and SIGXFSZ at startup
    if (spec.program === 'server' && spec.ports !== 'none') {
      if (spec.ports !== 'reuseport') k.socket(main, { port: 50051, address: '::' });
      k.socket(main, { port: 8080 });
    }
    const n = spec.workers;
    const out: Ident[] = [];
    const tracker = { w: -1 };
    const startTracker = () => {
      const p = k.pipe(main);
      const t = k.fork(main, 'tracker');
      k.exec(t, [argv0, '-c', `from multiprocessing.resource_tracker import main;main(${p.r})`], argv0, PY_EXE, [p.r]);
      t.sigIgn.add(SIG.INT).add(SIG.TERM); // resource_tracker.main ignores both
      t.behaviour = { kind: 'tracker', pipe: p.inode };
      k.close(main, p.r);
      tracker.w = p.w;
      return t;
    };
    if (spec.method === 'fork' && spec.tracker) startTracker();
    let forkserver: SimProc | null = null;
    let aliveW = -1;
    for (let i = 0; i < n; i++) {
      let w: SimProc;
      if (spec.method === 'spawn') {
        if (tracker.w < 0) startTracker();
        const tfd = tracker.w;
        const a = k.pipe(main); // parent_r, child_w (the sentinel)
        const b = k.pipe(main); // child_r, parent_w (the preparation data)
        w = k.fork(main, 'worker');
        k.exec(w, [argv0, '-c', `from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=${tfd}, pipe_handle=${b.r})`, '--multiprocessing-fork'], argv0, PY_EXE, [tfd, b.r, a.w]);
        k.close(w, b.r); // spawn_main reads the preparation data and closes it
        k.close(main, b.r);
        k.close(main, a.w);
      } else if (spec.method === 'fork') {
        const a = k.pipe(main);
        const b = k.pipe(main);
        w = k.fork(main, 'worker');
        k.close(w, a.r);
        k.close(w, b.w);
        k.close(main, a.w);
        k.close(main, b.r);
      } else {
        if (tracker.w < 0) startTracker();
        if (!forkserver) {
          const l = k.socket(main); // AF_UNIX listener
          const alive = k.pipe(main);
          forkserver = k.fork(main, 'forkserver');
          k.exec(forkserver, [argv0, '-c', `from multiprocessing.forkserver import main; main(${l.fd}, ${alive.r}, ['__main__'], **{'sys_path': ['${main.cwd}']})`], argv0, PY_EXE, [l.fd, alive.r]);
          forkserver.behaviour = { kind: 'forkserver', alive: alive.inode };
          k.close(main, l.fd);
          k.close(main, alive.r);
          aliveW = alive.w;
        }
        const fs = forkserver;
        const a = k.pipe(main); // parent_r, child_w
        const b = k.pipe(main); // child_r, parent_w
        // connect_to_new_process sends child_r, child_w, the alive fd and the tracker fd (SCM_RIGHTS).
        const got = [a.w, b.r, aliveW, tracker.w].map((fd) => k.send(main, fd, fs));
        const gChildW = got[0]!;
        w = k.fork(fs, 'worker');
        // _serve_one: the child closes the listener, alive_r and the other children's fds; it keeps
        // child_r (a dup, its parent sentinel), the alive fd and the tracker fd.
        for (const fd of [...w.fds.keys()]) if (!got.includes(fd) || fd === gChildW) w.fds.delete(fd);
        // The forkserver keeps child_w (to report the exit), closes what it received otherwise.
        for (const fd of got) if (fd !== gChildW) k.close(fs, fd);
        k.close(main, a.w);
        k.close(main, b.r);
      }
      if (spec.setsidWorkers) k.setsid(w);
      if (spec.program === 'server' && spec.ports === 'reuseport') k.socket(w, { port: 50051 });
      out.push(k.ident(w));
    }
    if (spec.grandchild && out.length > 0) {
      const w0 = k.get(out[0])!;
      k.fork(w0, 'worker'); // a DataLoader worker: a plain fork of the model worker
    }
    if (spec.shm !== 'none') {
      const by = spec.shm === 'worker' && out.length > 0 ? k.get(out[0])! : main;
      const m = k.fork(by, 'shm-manager');
      const path = spec.venv ? `${this.projectDir(spec.where, spec.user).project}/.venv/lib/python3.11/site-packages/torch/bin/torch_shm_manager` : '/usr/lib/python3/dist-packages/torch/bin/torch_shm_manager';
      k.exec(m, ['torch_shm_manager'], path, path);
      k.setsid(m);
      k.socket(m); // its AF_UNIX listener
      const clients = [main, ...out.map((o) => k.get(o)!)];
      for (const c of clients) {
        k.socket(c); // each client's connected end and the manager's: different inodes, nothing shared
        k.socket(m);
      }
      m.behaviour = { kind: 'shm-manager', clients: clients.map((c) => k.ident(c)) };
    }
    return out;
  }

  /** rerun-doctor itself, started where a user starts it: from a terminal in the project (host), `docker exec` (container). */
  startSelf(viaShell: boolean, terminal: 'desktop' | 'ssh' = this.rng() < 0.5 ? 'desktop' : 'ssh'): SimProc {
    const k = this.k;
    let p: SimProc;
    if (this.o.kind === 'container' && !viaShell) {
      p = k.root({ argv: ['node', '/usr/lib/node_modules/rerun-doctor/dist/cli/bin.cjs', 'clean'], exe: '/usr/bin/node', label: 'self', uid: 0, cwd: '/app', env: {} });
    } else {
      const shell = this.terminal('alice', false, terminal);
      shell.cwd = this.projectRoot;
      shell.env = { ...shell.env, PWD: this.projectRoot };
      const job = k.fork(shell, 'self');
      k.setpgid(job);
      if (this.o.self === 'sudo' && this.o.kind === 'host') {
        k.exec(job, ['sudo', 'rerun-doctor', 'clean'], '/usr/bin/sudo', '/usr/bin/sudo');
        job.uid = 0;
        job.label = 'sudo';
        p = k.fork(job, 'self');
      } else p = job;
      k.exec(p, ['node', '/usr/lib/node_modules/rerun-doctor/dist/cli/bin.cjs', 'clean'], '/usr/bin/node', '/usr/bin/node');
    }
    this.self = p;
    return p;
  }

  // ---- events ----

  private wouldEndNamespace(run: RunTruth): boolean {
    return this.o.kind === 'container' && run.id === this.entrypointRun && this.o.entrypoint !== 'sh';
  }

  apply(e: SimEvent): void {
    const k = this.k;
    if (e.kind === 'kill-ide') {
      const ide = this.ide && k.get(k.ident(this.ide));
      if (ide) k.signal(ide, SIG.KILL);
      return;
    }
    if (this.runs.length === 0) return;
    const run = this.runs[e.run % this.runs.length]!;
    k.tick(500);
    const main = k.get(run.main);
    switch (e.kind) {
      case 'kill-main':
        if (main && !this.wouldEndNamespace(run)) k.signal(main, SIG.KILL);
        break;
      case 'kill-wrapper': {
        const w = run.launchers.map((l) => k.get(l)).find((p) => p !== undefined);
        if (w) k.signal(w, SIG.KILL);
        break;
      }
      case 'kill-group':
      case 'term-group':
        if (main && !this.wouldEndNamespace(run)) k.killpg(main.pgid, e.kind === 'kill-group' ? SIG.KILL : SIG.TERM);
        break;
      case 'stop': {
        // A clean stop (Ctrl-C handled, SIGTERM with a handler): the main ends its children, then exits.
        if (!main || this.wouldEndNamespace(run)) break;
        const mine = [...k.procs.values()].filter((p) => p.run === run.id && !p.zombie && p.pid !== main.pid && descendsByStarter(k, p, run.main));
        for (const p of mine) k.die(p);
        k.die(main);
        break;
      }
      case 'kill-shell': {
        const sh = k.get(run.shell);
        if (!sh || sh.pid === this.self?.ppid || this.isSelfAncestor(sh)) break;
        const b = sh.behaviour;
        const fg = b.kind === 'shell' ? b.foreground : null;
        k.signal(sh, SIG.KILL);
        // The controlling process exits: the kernel hangs up the terminal's foreground group (disassociate_ctty).
        if (fg !== null) k.killpg(fg, SIG.HUP);
        break;
      }
      case 'close-terminal': {
        const sh = k.get(run.shell);
        if (sh && !this.isSelfAncestor(sh)) k.signal(sh, SIG.HUP);
        break;
      }
      case 'kill-worker':
      case 'zombie-worker': {
        if (run.workers.length === 0) break;
        const w = k.get(run.workers[e.worker % run.workers.length]);
        if (!w) break;
        if (e.kind === 'kill-worker') k.signal(w, SIG.KILL);
        else k.die(w, { zombie: true });
        break;
      }
    }
  }

  private isSelfAncestor(p: SimProc): boolean {
    for (let a = this.self ? this.k.procs.get(this.self.ppid) : undefined; a; a = a.pid <= 1 ? undefined : this.k.procs.get(a.ppid)) if (a.pid === p.pid) return true;
    return false;
  }

  // ---- ground truth and the snapshot ----

  runStatus(run: RunTruth): RunStatus {
    const k = this.k;
    if (!k.alive(run.main)) return 'dead';
    return [run.starter, ...run.launchers].every((c) => k.alive(c)) ? 'running' : 'detached';
  }

  /**
   * Whole: every live process of the run hangs under the live part of its launch chain. A detached
   * run stops being whole when a worker that had started a helper (torch_shm_manager, a DataLoader
   * fork) dies and the helper is re-parented away from the server.
   */
  runStrays(run: RunTruth): number[] {
    const k = this.k;
    if (!k.alive(run.main)) return [];
    const chain = [run.starter, ...run.launchers, run.main];
    let topIdx = chain.length - 1;
    while (topIdx > 0 && k.alive(chain[topIdx - 1])) topIdx--;
    const top = chain[topIdx]!;
    return [...k.procs.values()].filter((p) => p.run === run.id && !p.zombie && !descendsByParent(k, p, top.pid)).map((p) => p.pid);
  }

  result(): SimResult {
    const k = this.k;
    const self = this.self ?? this.startSelf(this.o.kind === 'host');
    const ancestors: number[] = [];
    for (let a = k.procs.get(self.ppid); a; a = a.pid <= 1 ? undefined : k.procs.get(a.ppid)) {
      ancestors.push(a.pid);
      if (a.ppid === 0) break;
    }
    const truth = new Map<number, TruthRow>();
    const status = new Map<number, RunStatus>();
    const strays = new Set<number>();
    for (const r of this.runs) {
      status.set(r.id, this.runStatus(r));
      for (const pid of this.runStrays(r)) strays.add(pid);
    }
    for (const p of k.procs.values()) {
      const run = p.run === null ? undefined : this.runs[p.run];
      truth.set(p.pid, { starter: p.starter, starterAlive: k.alive(p.starter), run: p.run, project: run?.project ?? null, label: p.label });
    }
    return { snapshot: this.snapshot(self), selfPid: self.pid, ancestors, uid: this.selfUid, sudoUid: this.sudoUid, projectRoot: this.projectRoot, truth, runs: this.runs, status, strays };
  }

  private snapshot(self: SimProc): Snapshot {
    const k = this.k;
    const readable = (p: SimProc) => !p.zombie && (this.selfUid === 0 || p.uid === this.selfUid);
    const iso = (ticks: number) => new Date(BOOT + (ticks * 1000) / TICKS).toISOString();
    const processes: ProcessInfo[] = [...k.procs.values()]
      .sort((a, b) => a.pid - b.pid)
      .map((p) => {
        const r = readable(p);
        const pipes = new Set<number>();
        const socketFds: number[] = [];
        const pipeFds: number[] = [];
        const socketInodes = new Set<number>();
        for (const [fd, h] of p.fds) {
          if (h.kind === 'pipe') {
            pipes.add(h.inode);
            if (fd >= 3) pipeFds.push(fd);
          } else {
            socketFds.push(fd);
            socketInodes.add(h.inode);
          }
        }
        const env: Record<string, string> = {};
        for (const key of ENV_KEYS) if (p.env[key] !== undefined) env[key] = p.env[key]!;
        const info: ProcessInfo = {
          pid: p.pid,
          ppid: p.ppid,
          pgid: p.pgid,
          sid: p.sid,
          uid: p.uid,
          user: USERS[p.uid] ?? String(p.uid),
          state: p.zombie ? 'Z' : 'S',
          zombie: p.zombie,
          startTime: iso(p.startKey),
          startKey: p.startKey,
          comm: p.comm,
          argv: p.zombie ? [] : p.argv,
          exe: r ? p.exe : null,
          cwd: r ? p.cwd : null,
          rssBytes: p.zombie || p.label === 'kthread' ? null : 12 << 20,
          cpuSeconds: 0.5,
          tty: p.tty,
          cgroup: p.cgroup,
          nsPid: p.pid,
          sigIgn: sigMask(p.sigIgn),
        };
        if (r) {
          info.pipes = [...pipes].sort((a, b) => a - b);
          info.socketFds = socketFds.sort((a, b) => a - b);
          info.pipeFds = pipeFds.sort((a, b) => a - b);
          info.socketInodes = [...socketInodes].sort((a, b) => a - b);
          info.env = env;
        }
        return info;
      });
    const sockets: ListeningSocket[] = [];
    for (const [inode, l] of k.listeners) {
      const owners: ListeningSocket['owners'] = [];
      let anyHolder = false;
      for (const p of k.procs.values()) {
        for (const [fd, h] of p.fds) {
          if (h.inode !== inode) continue;
          anyHolder = true;
          if (readable(p)) owners.push({ pid: p.pid, fd });
        }
      }
      if (!anyHolder) continue; // closed: gone from /proc/net/tcp
      sockets.push({ address: l.address, port: l.port, family: l.family, id: `inode:${inode}`, owners, source: l.family === 6 ? '/proc/net/tcp6' : '/proc/net/tcp' });
    }
    return {
      schemaVersion: 1,
      platform: 'linux',
      takenAt: iso(k.clock + 100),
      hostname: this.o.kind === 'container' ? 'c0ffee' : 'workstation',
      selfPid: self.pid,
      bootTime: new Date(BOOT).toISOString(),
      processes,
      sockets,
      probes: [],
      issues: [],
    };
  }

  /** The process table as lines, for a failing property's message. */
  describe(mark: (pid: number) => string = () => ''): string {
    const k = this.k;
    const res = this.result();
    const lines = [`world: ${this.o.kind}${this.o.kind === 'container' ? ` (pid 1: ${this.o.entrypoint})` : ''}, project ${this.projectRoot}, rerun-doctor pid ${res.selfPid} as uid ${this.selfUid}${this.sudoUid !== null ? ` (sudo from ${this.sudoUid})` : ''}${k.wasWrapped() ? ', pids wrapped' : ''}`];
    for (const r of this.runs) lines.push(`  run ${r.id} [${res.status.get(r.id)}] ${r.description}`);
    lines.push('    PID   PPID   PGID    SID  UID  START  TRUTH                               ARGV');
    for (const p of [...k.procs.values()].sort((a, b) => a.pid - b.pid)) {
      const t = res.truth.get(p.pid)!;
      const who = `${t.label}${t.run !== null ? ` r${t.run}` : ''}${res.strays.has(p.pid) ? ' stray' : ''} by ${t.starter ? `${t.starter.pid}${t.starterAlive ? '' : '†'}` : '-'}`;
      const cmd = p.zombie ? `<defunct ${p.comm}>` : p.argv.map(q).join(' ') || `[${p.comm}]`;
      lines.push(`  ${String(p.pid).padStart(5)} ${String(p.ppid).padStart(6)} ${String(p.pgid).padStart(6)} ${String(p.sid).padStart(6)} ${String(p.uid).padStart(4)} ${String(p.startKey).padStart(6)}  ${who.padEnd(34)}  ${cmd.slice(0, 110)}${p.subreaper ? '  (subreaper)' : ''}${p.cwd ? `  cwd=${p.cwd}` : ''}${mark(p.pid)}`);
    }
    return lines.join('\n');
  }
}

function descendsByParent(k: Kernel, p: SimProc, top: number): boolean {
  for (let a: SimProc | undefined = p, n = 0; a && n < 1000; a = k.procs.get(a.ppid), n++) {
    if (a.pid === top) return true;
    if (a.pid <= 1) return false;
  }
  return false;
}

function descendsByStarter(k: Kernel, p: SimProc, top: Ident): boolean {
  for (let s = p.starter, n = 0; s && n < 1000; n++) {
    if (s.pid === top.pid && s.startKey === top.startKey) return true;
    const a = k.procs.get(s.pid);
    if (!a || a.startKey !== s.startKey) return false;
    s = a.starter;
  }
  return false;
}

function sigMask(set: Set<number>): string {
  let v = 0n;
  for (const s of set) v |= 1n << BigInt(s - 1);
  return v.toString(16).padStart(16, '0');
}

export const DEFAULT_SPEC: LaunchSpec = {
  from: 'terminal',
  via: 'none',
  program: 'server',
  where: 'project',
  user: 'alice',
  method: 'spawn',
  workers: 2,
  setsidWorkers: false,
  shm: 'none',
  ports: 'main',
  tracker: false,
  grandchild: false,
  venv: false,
  reuseTerminal: false,
  terminal: 'desktop',
};

export const DEFAULT_WORLD: WorldOptions = { seed: 1, kind: 'host', sharedProject: false, self: 'alice', wrapPids: false, entrypoint: 'tini' };

/** Build a world from an action script (the property test's generated input, or an example's). */
export function simulate(o: WorldOptions, actions: readonly Action[]): World {
  const w = new World(o);
  for (const a of actions) {
    if (a.t === 'launch') w.launch(a.spec);
    else w.apply(a.event);
  }
  return w;
}
