// How our users' processes look (../shared/DOMAIN.md, failure-modes.md §1.1). Matched against
// the joined argv, or comm when argv is unreadable (zombies, access denied).

export type ProcessKind =
  | 'server'
  | 'spawn-worker'
  | 'fork-worker'
  | 'loky-worker'
  | 'renamed-worker'
  | 'pattern-worker'
  | 'descendant'
  | 'resource-tracker'
  | 'semaphore-tracker'
  | 'forkserver'
  | 'torch-shm-manager'
  | 'loky-tracker';

export type Role = 'server' | 'worker' | 'helper';

interface Fingerprint {
  kind: ProcessKind;
  role: Role;
  test: (cmd: string, comm: string) => boolean;
  why: string;
  /** Started only by a Python parent: any other parent means the original one is gone. */
  pythonParent: boolean;
}

export const FINGERPRINTS: readonly Fingerprint[] = [
  // Helpers first: `joblib.externals.loky.backend.resource_tracker` must not read as a worker.
  { kind: 'resource-tracker', role: 'helper', pythonParent: true, why: 'multiprocessing resource_tracker (one per program; lives while any of its processes holds the pipe)', test: (c) => /-c\s+from multiprocessing\.resource_tracker import main;\s*main\(/.test(c) },
  { kind: 'semaphore-tracker', role: 'helper', pythonParent: true, why: 'multiprocessing semaphore_tracker (Python ≤ 3.7)', test: (c) => /-c\s+from multiprocessing\.semaphore_tracker import main;\s*main\(/.test(c) },
  { kind: 'forkserver', role: 'helper', pythonParent: true, why: 'multiprocessing forkserver (the Linux default start method from Python 3.14)', test: (c) => /-c\s+from multiprocessing\.forkserver import main;\s*main\(/.test(c) },
  { kind: 'loky-tracker', role: 'helper', pythonParent: true, why: 'loky/joblib resource_tracker', test: (c) => /loky\.backend\.resource_tracker import main/.test(c) },
  { kind: 'torch-shm-manager', role: 'helper', pythonParent: true, why: 'torch_shm_manager (exec\'d by libshm for the file_system sharing strategy)', test: (c, comm) => comm === 'torch_shm_manage' || comm === 'torch_shm_manager' || /(^|\/)torch_shm_manager(\s|$)/.test(c) },
  { kind: 'spawn-worker', role: 'worker', pythonParent: true, why: 'multiprocessing spawn child (spawn_main … --multiprocessing-fork)', test: (c) => /from multiprocessing\.spawn import spawn_main;\s*spawn_main\(/.test(c) },
  { kind: 'loky-worker', role: 'worker', pythonParent: true, why: 'loky/joblib worker', test: (c) => /-m\s+(joblib\.externals\.)?loky\.backend\.popen_loky_posix/.test(c) },
  // setproctitle'd processes escape `grep python`; comm is cut to 15 characters (VLLM::EngineCor).
  { kind: 'renamed-worker', role: 'worker', pythonParent: false, why: 'renamed ML worker (ray::, VLLM::, sglang::)', test: (c, comm) => /^(ray|VLLM|sglang)::/.test(c) || /^(ray|VLLM|sglang)::/.test(comm) },
];

export function joinedCommand(argv: string[], comm: string): string {
  return argv.length > 0 ? argv.join(' ') : comm;
}

/** Every fingerprint needs one of these in its argv or comm: a cheap test before the regexes. */
function mayMatch(cmd: string, comm: string): boolean {
  return cmd.includes('multiprocessing') || cmd.includes('loky') || cmd.includes('::') || comm.includes('::') || cmd.includes('torch_shm_manager') || comm.startsWith('torch_shm_manag');
}

export function matchFingerprint(cmd: string, comm: string): Fingerprint | null {
  if (!mayMatch(cmd, comm)) return null;
  for (const f of FINGERPRINTS) if (f.test(cmd, comm)) return f;
  return null;
}

const base = (s: string | null | undefined): string => {
  if (!s) return '';
  const i = s.lastIndexOf('/');
  return i < 0 ? s : s.slice(i + 1);
};

/** A Python interpreter (python, python3, python3.11, pythonw; pt_main_thread is torch's renamed main thread). */
export function looksLikePython(argv: string[], comm: string, exe: string | null): boolean {
  // The executable is the evidence that survives setproctitle (which rewrites argv and comm).
  if (exe !== null && /^python[\d.]*w?( \(deleted\))?$/i.test(base(exe))) return true;
  return /^python[\d.]*w?$/i.test(base(argv[0])) || /^python/i.test(comm) || comm === 'pt_main_thread';
}

/** The same program: the same executable when both are known, else the same argv[0]. */
export function sameExecutable(a: { exe: string | null; argv: string[]; comm: string }, b: { exe: string | null; argv: string[]; comm: string }): boolean {
  if (a.exe !== null && b.exe !== null) return a.exe === b.exe;
  if (a.argv.length > 0 && b.argv.length > 0) return base(a.argv[0]) === base(b.argv[0]);
  return a.comm === b.comm;
}

/**
 * Programs that run another program and are never the server, whatever their argv says:
 * shells, env and signal/time wrappers, build tools, terminal multiplexers, container inits and
 * supervisors (as runners of the server: whether one adopted a process is judged by evidence
 * alone, never by this list), environment runners.
 * Matched on the executable's name (argv[0], exe or comm), and on argv[1] when argv[0] is an
 * interpreter running a launcher script (`python3 /usr/bin/poetry run …`, `node …/npx …`).
 */
const LAUNCHERS = new Set([
  'sh', 'bash', 'dash', 'zsh', 'ksh', 'fish', 'busybox',
  'env', 'nohup', 'timeout', 'time', 'nice', 'ionice', 'taskset', 'chrt', 'stdbuf', 'setsid', 'setpriv', 'unshare', 'nsenter',
  'sudo', 'su', 'runuser', 'doas', 'xargs', 'script', 'flock', 'watch', 'entr', 'caffeinate',
  'make', 'gmake', 'just', 'task', 'tmux', 'screen', 'dtach', 'abduco',
  'tini', 'dumb-init', 'catatonit', 'docker-init', 'runsv', 's6-supervise', 'supervise-daemon',
  'uv', 'uvx', 'poetry', 'pipenv', 'pdm', 'hatch', 'rye', 'conda', 'mamba', 'micromamba', 'pixi', 'tox', 'nox', 'invoke',
  'npm', 'npx', 'pnpm', 'yarn', 'bun', 'foreman', 'honcho', 'overmind', 'watchmedo', 'nodemon', 'direnv',
  'rerun-doctor',
]);
const INTERPRETERS = /^(python[\d.]*w?|node|nodejs|bun|deno|ruby|perl|sh|bash|dash)$/i;

/**
 * Our own CLI (`node …/dist/cli/bin.cjs …`, tsc's dist/cli/bin.js of earlier builds, the
 * `rerun-doctor` link, the run watchdog: bundled as dist/cli/commands/watchdog.cjs (watchdog.js
 * until the bundles were CommonJS), tsc's dist/actions/watchdog.js, or src/actions/watchdog.ts under tsx).
 */
export function isRerunDoctor(argv: string[]): boolean {
  const b0 = base(argv[0]);
  if (b0 === 'rerun-doctor') return true;
  if (b0 !== 'node' && b0 !== 'nodejs') return false;
  const a1 = argv[1] ?? '';
  return base(a1) === 'rerun-doctor' || /rerun-doctor.*\/(dist|src)\/actions\/watchdog\.[jt]s$/.test(a1) || /\/(dist|src)\/cli\/(bin|commands\/watchdog)\.(c?js|ts)$/.test(a1);
}

/** The watchdog `rerun-doctor run` starts beside its command (dist/cli/commands/watchdog.cjs once bundled). */
export function isRunWatchdog(argv: string[]): boolean {
  return isRerunDoctor(argv) && /\/(actions|cli\/commands)\/watchdog\.(c?js|ts)$/.test(argv[1] ?? '');
}

/** The launcher's name when p runs a launcher program, else null. */
export function launcherName(p: { argv: string[]; comm: string; exe: string | null }): string | null {
  if (isRerunDoctor(p.argv)) return 'rerun-doctor';
  for (const n of [base(p.argv[0]), base(p.exe), p.comm]) {
    // Only processes whose command line matches the server pattern are asked: an interactive
    // shell (a terminal) never is, so it is never taken for a wrapper.
    if (n && LAUNCHERS.has(n)) return n;
  }
  if (p.argv.length > 1 && INTERPRETERS.test(base(p.argv[0]))) {
    const script = base(p.argv[1]);
    if (LAUNCHERS.has(script)) return script;
  }
  return null;
}
