// Real processes for live tests: the sample server (demo/server, `python -m src.main`) started in
// its own process group, cleaned up by process group and pid (never by name), and checked gone.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { ROOT } from './paths.js';

export const PYTHON = '/usr/bin/python3';
export const SERVER_DIR = join(ROOT, 'demo', 'server');
export const CLI = join(ROOT, 'dist', 'cli', 'bin.cjs');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Ready {
  ready: true;
  main: number;
  workers: number[];
  tracker: number | null;
  forkserver: number | null;
}

export interface Started extends Ready {
  child: ChildProcess;
  /** The process group the test owns (the launcher's pid). */
  pgid: number;
  stderr: () => string;
}

/** Alive and not a zombie (a zombie answers kill(pid, 0) but is gone for our purposes). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Starts `python -m src.main ARGS` (or a launcher argv that runs it) as a process-group leader.
 * Every pid it reports is tracked in `tracked` for cleanup.
 */
export async function startServer(args: string[], tracked: Set<number>, opts: { launcher?: string[]; host?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Started> {
  const argv = opts.launcher ?? [PYTHON, '-m', 'src.main', ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: SERVER_DIR,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...opts.env },
  });
  if (child.pid === undefined) throw new Error(`cannot start ${argv.join(' ')}`);
  tracked.add(child.pid);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const ready = await new Promise<Ready>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not get ready: ${err}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as Ready);
      }
    });
    child.once('exit', (c, s) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (${s ?? c}): ${err}`));
    });
  });
  for (const p of [ready.main, ...ready.workers, ready.tracker, ready.forkserver]) if (p) tracked.add(p);
  return { ...ready, child, pgid: child.pid, stderr: () => err };
}

/** Waits until the ports listen (workers bind after the ready line in some modes). */
export async function waitListening(ports: number[]): Promise<void> {
  const hex = ports.map((p) => `:${p.toString(16).toUpperCase().padStart(4, '0')} `);
  await waitFor(() => {
    const text = readFileSync('/proc/net/tcp', 'utf8') + (existsSync('/proc/net/tcp6') ? readFileSync('/proc/net/tcp6', 'utf8') : '');
    const listening = text.split('\n').filter((l) => / 0A /.test(l));
    return hex.every((h) => listening.some((l) => l.includes(h)));
  }, `ports ${ports.join(', ')} to listen`);
}

/** Kill by process group, then every tracked pid; assert that nothing survives. */
export async function cleanup(tracked: Set<number>, pgids: number[]): Promise<void> {
  for (const g of pgids) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      /* group empty */
    }
  }
  for (const pid of tracked) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await waitFor(() => [...tracked].every((p) => !alive(p)), `tracked pids ${[...tracked].join(',')} to end`, 10_000);
  const left = [...tracked].filter(alive);
  if (left.length > 0) throw new Error(`processes survived cleanup: ${left.join(', ')}`);
  removeUnheldShm();
}

/**
 * What the runs a test killed left in shared memory (a SIGKILLed run cannot unlink its semaphores
 * and segments), removed once nothing holds or maps it: only inside the live group's namespace,
 * whose /dev/shm is a tmpfs of its own (scripts/ns-init.py), never the machine's. Without it, one
 * test's leftovers would be the next test's shm-leak finding.
 */
export function removeUnheldShm(dir = '/dev/shm'): void {
  const host = process.env.RD_HOST_MNT_NS;
  if (!host || readlinkSync('/proc/self/ns/mnt') === host) return;
  const dev = statSync(dir).dev;
  const held = new Set<number>();
  // st_dev as the kernel encodes it (new_encode_dev); maps prints major:minor as %02x:%02x.
  const major = (dev >> 8) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  const devField = ` ${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')} `;
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          const s = statSync(`/proc/${pid}/fd/${fd}`);
          if (s.dev === dev) held.add(s.ino);
        } catch {
          /* closed meanwhile */
        }
      }
      for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
        if (!line.includes(devField)) continue;
        const f = line.trim().split(/\s+/);
        if (` ${f[3]} ` === devField) held.add(Number(f[4]));
      }
    } catch {
      /* gone meanwhile */
    }
  }
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    try {
      if (!held.has(statSync(p).ino)) rmSync(p, { recursive: true, force: true });
    } catch {
      /* gone meanwhile */
    }
  }
}

export async function killAndReap(s: Started, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  const exited = s.child.exitCode !== null || s.child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => s.child.once('exit', () => r()));
  process.kill(s.main, signal);
  await exited;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1', ...opts.env }, cwd: opts.cwd ?? ROOT, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 99) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * What a live test file starts and makes, ended and removed after its last test: the pids and
 * process groups (by group, then by pid; fails if one survives) and its temporary directories.
 */
export function liveScope(): { tracked: Set<number>; groups: number[]; tempDir: (prefix: string) => string } {
  const tracked = new Set<number>();
  const groups: number[] = [];
  const dirs: string[] = [];
  after(async () => {
    await cleanup(tracked, groups);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return {
    tracked,
    groups,
    tempDir(prefix) {
      const d = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
  };
}

/** The sample server with 2 workers on a free worker port, its main then SIGKILLed: 2 orphaned workers and the tracker. */
export async function orphanedRun(tracked: Set<number>, groups: number[], args: string[] = []): Promise<{ s: Started; port: number }> {
  const port = await freePort();
  const s = await startServer(['--workers', '2', '--worker-port', String(port), ...args], tracked);
  groups.push(s.pgid);
  await waitListening([port]);
  await killAndReap(s);
  return { s, port };
}
