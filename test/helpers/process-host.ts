// A fake machine for process-control unit tests: a process table with behaviour (exits on SIGTERM or
// ignores it, survives SIGKILL, becomes a zombie), a clock that moves only when the code sleeps,
// events scheduled on that clock (a pid reused during the grace period), and every signal recorded.
// It answers as the real readers would: Linux through an in-memory /proc (stat lines as proc(5)
// lays them out, via builders.statLine; EACCES as AccessDenied), macOS through `ps` lines in the
// layout of the fake at test/fixtures/bin/darwin-live/ps (Apple adv_cmds print.c: lstart is
// strftime("%c") in 28 columns). Nothing here touches the real machine.
import { AccessDenied, ProcessGone } from '../../src/host/errors.js';
import type { RootedFs } from '../../src/host/rooted-fs.js';
import type { CommandResult } from '../../src/host/run-command.js';
import type { ControlHost } from '../../src/actions/process-control.js';
import type { Platform } from '../../src/model/snapshot.js';
import { statLine } from './builders.js';

export interface FakeProcess {
  pid: number;
  ppid: number;
  pgid: number;
  /** Linux session id (macOS ps shows none). Default: pgid. */
  sid?: number;
  /** Linux: start ticks; macOS: epoch seconds. */
  startKey: number;
  state?: string;
  comm?: string;
  argv?: string[];
  environ?: Record<string, string>;
  /** Its /proc entry is unreadable (hidepid, another user's). */
  hidden?: boolean;
  /** kill() answers EPERM. */
  eperm?: boolean;
  /** What SIGTERM (and SIGINT, SIGHUP) does. Default 'exit'. */
  onTerm?: 'exit' | 'ignore';
  /** What SIGKILL does. Default 'exit'. */
  onKill?: 'exit' | 'survive';
  /** Exiting leaves a zombie (its parent does not reap it). */
  zombieOnExit?: boolean;
}

export interface SentSignal {
  at: number;
  target: number;
  signal: NodeJS.Signals;
}

const fmtDate = (epochSeconds: number): string => {
  // C-locale %c: "Tue Dec  1 22:56:14 2026" (day space-padded), read back as UTC (TZ=UTC0).
  const d = new Date(epochSeconds * 1000);
  const wd = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]!;
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()]!;
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${wd} ${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
};

/** One line in the census's ps column layout (PS_ARGV), as the darwin-live fake prints it. */
export function psLine(p: FakeProcess): string {
  const zombie = (p.state ?? 'S').startsWith('Z');
  const command = zombie ? '<defunct>' : (p.argv ?? [p.comm ?? 'x']).join(' ');
  return `${String(p.pid).padStart(5)} ${String(p.ppid).padStart(5)} ${String(p.pgid).padStart(5)}   501 dev          ${(p.state ?? 'S').padEnd(4)} ${fmtDate(p.startKey).padEnd(28)}     1024    0:00.10 ??       ${command}`;
}

export class FakeMachine {
  readonly procs = new Map<number, FakeProcess>();
  readonly signals: SentSignal[] = [];
  clock = 1_000_000;
  private events: Array<{ at: number; run: () => void }> = [];
  /** Called after every clock step (a tracker that exits once its clients are gone, …). */
  onTick: Array<() => void> = [];
  /** ps calls made (macOS), each argv joined by spaces. */
  readonly psCalls: string[] = [];
  /** Called after each signal is delivered (a pid reused right after SIGTERM, …). */
  onSignal: ((target: number, signal: NodeJS.Signals) => void) | null = null;
  /** Make every `ps` fail (not found, or an exit status). */
  psFails: 'not-found' | number | null = null;

  constructor(
    readonly selfPid: number,
    procs: FakeProcess[] = [],
  ) {
    for (const p of procs) this.add(p);
  }

  add(p: FakeProcess): void {
    this.procs.set(p.pid, { sid: p.pgid, state: 'S', ...p });
  }

  /** The process ends: gone, or a zombie when it says so. */
  exit(pid: number): void {
    const p = this.procs.get(pid);
    if (!p) return;
    if (p.zombieOnExit) this.procs.set(pid, { ...p, state: 'Z' });
    else this.procs.delete(pid);
  }

  /** pid reuse: the old process is gone and an unrelated one has its pid. */
  reuse(pid: number, startKey: number, more: Partial<FakeProcess> = {}): void {
    this.procs.delete(pid);
    this.add({ pid, ppid: 1, pgid: pid, startKey, argv: ['/usr/bin/unrelated'], onTerm: 'exit', ...more });
  }

  at(ms: number, run: () => void): void {
    this.events.push({ at: this.clock + ms, run });
  }

  private advance(ms: number): void {
    this.clock += ms;
    const due = this.events.filter((e) => e.at <= this.clock);
    this.events = this.events.filter((e) => e.at > this.clock);
    for (const e of due) e.run();
    for (const f of this.onTick) f();
  }

  signalsTo(pid: number): NodeJS.Signals[] {
    return this.signals.filter((s) => s.target === pid).map((s) => s.signal);
  }

  private deliver(p: FakeProcess, signal: NodeJS.Signals): void {
    if ((p.state ?? 'S').startsWith('Z')) return;
    if (signal === 'SIGKILL') {
      if ((p.onKill ?? 'exit') === 'exit') this.exit(p.pid);
    } else if ((p.onTerm ?? 'exit') === 'exit') this.exit(p.pid);
  }

  kill(target: number, signal: NodeJS.Signals): 'ok' | 'gone' | 'denied' {
    this.signals.push({ at: this.clock, target, signal });
    if (target < 0) {
      const members = [...this.procs.values()].filter((p) => p.pgid === -target);
      if (members.length === 0) return 'gone';
      for (const p of members) this.deliver(p, signal);
      return 'ok';
    }
    const p = this.procs.get(target);
    if (!p) return 'gone';
    if (p.eperm) return 'denied';
    this.deliver(p, signal);
    this.onSignal?.(target, signal);
    return 'ok';
  }

  private proc(): RootedFs {
    const read = (rel: string): string => {
      const m = /^(\d+)\/(stat|cmdline|environ)$/.exec(rel);
      const p = m ? this.procs.get(Number(m[1])) : undefined;
      if (!m || !p) throw new ProcessGone(`/fakeproc/${rel}: gone`);
      if (p.hidden) throw new AccessDenied(`/fakeproc/${rel}: access denied`);
      if (m[2] === 'stat') return statLine({ pid: p.pid, comm: p.comm ?? 'x', state: p.state, ppid: p.ppid, pgid: p.pgid, sid: p.sid ?? p.pgid, startTicks: p.startKey });
      if (m[2] === 'cmdline') return (p.argv ?? []).map((a) => `${a}\0`).join('');
      return Object.entries(p.environ ?? {}).map(([k, v]) => `${k}=${v}\0`).join('');
    };
    return {
      root: '/fakeproc',
      path: (rel) => `/fakeproc/${rel}`,
      read,
      readBytes: (rel) => Buffer.from(read(rel)),
      readdir: (rel) => {
        if (rel !== '.') throw new ProcessGone(rel);
        return ['self', 'stat', ...[...this.procs.keys()].map(String)];
      },
      readlink: (rel) => {
        throw new ProcessGone(rel);
      },
      fdLinks: () => ({ fds: [], targets: [] }),
    };
  }

  private ps(argv: string[]): CommandResult {
    this.psCalls.push(argv.join(' '));
    if (this.psFails === 'not-found') return { stdout: '', stderr: 'spawn ps ENOENT', code: null, notFound: true, timedOut: false };
    if (typeof this.psFails === 'number') return { stdout: '', stderr: 'ps: fake failure', code: this.psFails, notFound: false, timedOut: false };
    const pi = argv.indexOf('-p');
    const pids = pi >= 0 ? argv[pi + 1]!.split(',').map(Number) : [...this.procs.keys()].sort((a, b) => a - b);
    const lines = pids.map((pid) => this.procs.get(pid)).filter((p): p is FakeProcess => p !== undefined).map(psLine);
    return { stdout: lines.map((l) => `${l}\n`).join(''), stderr: '', code: lines.length > 0 ? 0 : 1, notFound: false, timedOut: false };
  }

  host(platform: Platform = 'linux'): ControlHost {
    return {
      platform,
      proc: this.proc(),
      env: {},
      selfPid: this.selfPid,
      run: async (argv) => {
        if (argv[0] !== 'ps') throw new Error(`fake host: unexpected command ${argv.join(' ')}`);
        return this.ps(argv);
      },
      kill: (pid, signal) => this.kill(pid, signal),
      sleep: async (ms) => this.advance(ms),
      now: () => new Date(this.clock),
    };
  }
}
