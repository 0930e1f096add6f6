// Unix socket files that may be stale: the paths the project's runs name (unix:PATH, unix://PATH,
// ipc://PATH in argv and in the environment keys read; --uds PATH), and the socket entries of a
// depth-1 listing of the project directory, /tmp and $XDG_RUNTIME_DIR. Bounded: MAX_NAMED named
// paths, MAX_ENTRIES names read per directory, MAX_FILES socket files kept; never a recursive walk.
// Each is told listening (a listener in /proc/net/unix has its path), answered or refused by a
// connect() (refused: nothing is bound to it: stale). Never writes or unlinks anything.
// docs/rules/port-held.md.
import { AccessDenied, ProcessGone } from '../host/errors.js';
import type { Host } from '../host/host.js';
import { listSocketEntries, lstatPath, probeUnixSocket } from '../host/socket-files.js';
import type { Census } from '../model/census.js';
import { ok, unavailable, type Outcome } from '../model/outcome.js';
import type { SnapshotIssue } from '../model/snapshot.js';
import type { SocketFile, SocketFileEvidence, SocketFileLook } from '../model/socket-files.js';

export const MAX_NAMED = 64;
export const MAX_ENTRIES = 10_000;
export const MAX_FILES = 200;
export const CONNECT_TIMEOUT_MS = 500;

const PREFIXED = /(?:^|[\s=,;'"(])(?:unix:(?:\/\/)?|ipc:\/\/)([^\s,;'")]+)/g;
const PATH_FLAGS = new Set(['--uds', '--unix-socket', '--socket-path', '--socket']);

/** The unix socket paths one argv and environment name (absolute, or relative to cwd when it is known). */
export function namedSocketPaths(argv: string[], env: Record<string, string> | undefined, cwd: string | null): Array<{ path: string; where: string }> {
  const out: Array<{ path: string; where: string }> = [];
  const add = (raw: string, where: string) => {
    if (raw === '' || raw.startsWith('@')) return; // abstract: no file
    const path = raw.startsWith('/') ? raw : cwd ? `${cwd.replace(/\/$/, '')}/${raw}` : null;
    if (path && !out.some((o) => o.path === path)) out.push({ path, where });
  };
  const scan = (text: string, where: string) => {
    for (const m of text.matchAll(PREFIXED)) add(m[1]!, where);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    scan(a, 'argv');
    const eq = a.indexOf('=');
    if (eq > 0 && PATH_FLAGS.has(a.slice(0, eq))) add(a.slice(eq + 1), 'argv');
    else if (PATH_FLAGS.has(a) && argv[i + 1] !== undefined) add(argv[i + 1]!, 'argv');
  }
  for (const [k, v] of Object.entries(env ?? {})) scan(v, `environment ${k}`);
  return out;
}

export interface SocketFileOptions {
  /** Directories listed at depth 1 (default: the project root, /tmp, $XDG_RUNTIME_DIR). */
  dirs?: string[];
  /** Paths that listening unix sockets of this snapshot are bound to. */
  listening: Set<string>;
}

export async function collectSocketFiles(host: Host, census: Census, o: SocketFileOptions): Promise<Outcome<SocketFileEvidence>> {
  const source = 'lstat + connect() of named unix socket paths; depth-1 listings of the project directory, /tmp, $XDG_RUNTIME_DIR';
  if (host.platform !== 'linux') return unavailable("macOS: another process's environment is not readable and unix listeners are not listed, so a socket file's owner cannot be told", source);
  const issues: SnapshotIssue[] = [];
  let ownMnt: string | null = null;
  try {
    ownMnt = host.proc.readlink('self/ns/mnt');
  } catch {
    /* a fixture tree: every path is read as it is */
  }
  const looked: SocketFileLook[] = [];
  const files: SocketFile[] = [];
  const seen = new Set<string>();
  let truncated = false;
  const keep = (f: Omit<SocketFile, 'state' | 'detail'>) => {
    if (seen.has(f.source)) return;
    seen.add(f.source);
    if (files.length >= MAX_FILES) {
      truncated = true;
      return;
    }
    files.push({ ...f, state: 'unchecked', detail: null });
  };

  // Named by the project's processes, read in each one's own mount namespace.
  const named = new Map<string, { pids: number[]; where: string; via: string }>();
  for (const p of census.processes) {
    if (p.generation === null || p.zombie) continue;
    const run = census.generations.find((g) => g.id === p.generation);
    if (run?.scope !== 'project') continue;
    for (const n of namedSocketPaths(p.argv, p.env, p.cwd)) {
      const g = named.get(n.path);
      if (g) {
        g.pids.push(p.pid);
        continue;
      }
      let via = n.path;
      try {
        if (ownMnt !== null && host.proc.readlink(`${p.pid}/ns/mnt`) !== ownMnt) via = host.proc.path(`${p.pid}/root${n.path}`);
      } catch {
        /* gone or denied: read as it is */
      }
      named.set(n.path, { pids: [p.pid], where: n.where, via });
    }
  }
  if (named.size > MAX_NAMED) issues.push({ probe: 'socket-files', kind: 'unavailable', message: `${named.size} unix socket paths are named; only the first ${MAX_NAMED} were looked at` });
  for (const [path, g] of [...named].slice(0, MAX_NAMED)) {
    const why = `named by pid ${g.pids.join(', ')} (${g.where})`;
    try {
      const st = lstatPath(g.via);
      if (!st.isSocket()) {
        looked.push({ path, kind: 'named', why, read: 1, truncated: false, error: 'not a socket file' });
        continue;
      }
      looked.push({ path, kind: 'named', why, read: 1, truncated: false, error: null });
      keep({ path, source: g.via, why, namedBy: g.pids.sort((a, b) => a - b), inode: st.ino, uid: st.uid, mtime: st.mtime.toISOString() });
    } catch (e) {
      looked.push({ path, kind: 'named', why, read: 0, truncated: false, error: e instanceof ProcessGone ? 'no such file (not bound yet, or removed)' : e instanceof AccessDenied ? 'access denied' : (e as Error).message });
    }
  }

  // Depth-1 listings, in our own view.
  const xdg = host.env.XDG_RUNTIME_DIR;
  const dirs = o.dirs ?? [...new Set([census.projectRoot, '/tmp', xdg && xdg.startsWith('/') ? xdg : null].filter((d): d is string => d !== null && d !== undefined))];
  for (const dir of dirs) {
    const why = `listing of ${dir}`;
    try {
      const l = listSocketEntries(dir, MAX_ENTRIES);
      looked.push({ path: dir, kind: 'directory', why, read: l.read, truncated: l.truncated, error: null });
      if (l.truncated) issues.push({ probe: 'socket-files', kind: 'unavailable', message: `${dir}: more than ${MAX_ENTRIES} entries; the rest were not read` });
      for (const e of l.entries) {
        const path = `${dir.replace(/\/$/, '')}/${e.name}`;
        keep({ path, source: path, why, namedBy: named.get(path)?.pids ?? [], inode: e.stat.ino, uid: e.stat.uid, mtime: e.stat.mtime.toISOString() });
      }
    } catch (e) {
      looked.push({ path: dir, kind: 'directory', why, read: 0, truncated: false, error: e instanceof ProcessGone ? 'no such directory' : e instanceof AccessDenied ? 'access denied' : (e as Error).message });
    }
  }
  if (truncated) issues.push({ probe: 'socket-files', kind: 'unavailable', message: `more than ${MAX_FILES} socket files found; the rest were not kept` });

  // Listening by path; the others are asked (a listener in another network namespace is not in our table).
  await Promise.all(
    files.map(async (f) => {
      if (o.listening.has(f.path)) {
        f.state = 'listening';
        return;
      }
      const r = await probeUnixSocket(f.source, CONNECT_TIMEOUT_MS);
      f.state = r.state;
      f.detail = r.detail;
    }),
  );
  return ok({ files, looked, truncated }, source, issues);
}
