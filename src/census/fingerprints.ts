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

/** A Python interpreter (python, python3, python3.11, pythonw; pt_main_thread is torch's renamed main thread). */
export function looksLikePython(argv: string[], comm: string, exe: string | null): boolean {
  const base = (s: string | undefined) => (s ?? '').split('/').pop() ?? '';
  return /^python[\d.]*w?$/i.test(base(argv[0])) || /^python/i.test(comm) || /^python/i.test(base(exe ?? undefined)) || comm === 'pt_main_thread';
}

/**
 * Processes that adopt orphans: Linux subreapers (systemd --user, container inits) and launchd.
 * PR_SET_CHILD_SUBREAPER is not visible in /proc, so this is by name; the start-time check in
 * classify.ts (adoptedBy) catches the rest (an adopter younger than the child cannot be its real parent).
 */
export function looksLikeSubreaper(argv: string[], comm: string): boolean {
  if (comm === 'systemd' && argv.includes('--user')) return true;
  return ['tini', 'dumb-init', 'catatonit', 'docker-init', 's6-svscan', 'containerd-shim', 'containerd-shim-runc-v2', 'launchd'].includes(comm);
}
