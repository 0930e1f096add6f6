// The prometheus_client multiprocess directories the project's live processes name
// (PROMETHEUS_MULTIPROC_DIR in their environment), each listed once: its `*_<pid>.db` files
// counted per pid, with their sizes and newest modification time. Bounded: at most MAX_DIRS
// directories, MAX_ENTRIES names read in each, MAX_PIDS pids kept per directory. Never writes or
// deletes anything. Listed through /proc/PID/root of a process that names it, so a containerised
// server's directory is read in its own mount namespace. See docs/rules/stale-multiproc-dir.md.
import { AccessDenied, ProcessGone } from '../host/errors.js';
import { listDirectory } from '../host/dir-list.js';
import type { Host } from '../host/host.js';
import type { Census } from '../model/census.js';
import type { MultiprocDir, MultiprocPidFiles } from '../model/multiproc.js';
import { ok, unavailable, type Outcome } from '../model/outcome.js';
import type { SnapshotIssue } from '../model/snapshot.js';
import { parseMultiprocFileName } from '../os/any/multiproc.js';

export const MULTIPROC_KEYS = ['PROMETHEUS_MULTIPROC_DIR', 'prometheus_multiproc_dir'] as const;
export const MAX_DIRS = 8;
export const MAX_ENTRIES = 10_000;
export const MAX_PIDS = 2_000;

/** The directory a process's environment names (the upper-case variable wins, as in prometheus_client ≥ 0.10). */
export function multiprocDirOf(env: Record<string, string> | undefined): { dir: string; key: string } | null {
  if (!env) return null;
  for (const key of MULTIPROC_KEYS) if (env[key]) return { dir: env[key], key };
  return null;
}

function listOne(host: Host, dir: string, key: string, pids: number[], cwds: Map<number, string | null>): MultiprocDir {
  const base: MultiprocDir = { dir, key, pids, source: '', error: null, dbFiles: 0, other: 0, byPid: [], pidsTruncated: false, truncated: false };
  let lastError = 'not listed';
  // A relative directory is relative to the process's working directory.
  for (const pid of pids.slice(0, 3)) {
    const rel = dir.startsWith('/') ? `${pid}/root${dir}` : cwds.get(pid) ? `${pid}/root${cwds.get(pid)}/${dir}` : null;
    if (rel === null) continue;
    const path = host.proc.path(rel);
    let listing;
    try {
      listing = listDirectory(path, MAX_ENTRIES, (n) => parseMultiprocFileName(n) !== null);
    } catch (e) {
      lastError = e instanceof ProcessGone ? 'no such directory (or the process ended)' : e instanceof AccessDenied ? 'access denied' : (e as Error).message;
      base.source = path;
      continue;
    }
    const per = new Map<number, MultiprocPidFiles & { newestMs: number | null }>();
    let dbFiles = 0;
    let other = 0;
    for (const e of listing.entries) {
      const f = parseMultiprocFileName(e.name);
      if (!f) {
        other++;
        continue;
      }
      dbFiles++;
      const r = per.get(f.pid) ?? { pid: f.pid, files: 0, liveGauges: 0, bytes: 0, newest: null, newestMs: null };
      r.files++;
      if (f.liveGauge) r.liveGauges++;
      r.bytes += e.bytes ?? 0;
      if (e.mtimeMs !== null && (r.newestMs === null || e.mtimeMs > r.newestMs)) r.newestMs = e.mtimeMs;
      per.set(f.pid, r);
    }
    const all = [...per.values()].sort((a, b) => b.files - a.files || a.pid - b.pid);
    const byPid = all.slice(0, MAX_PIDS).map(({ newestMs, ...r }) => ({ ...r, newest: newestMs === null ? null : new Date(newestMs).toISOString() }));
    return { ...base, source: path, dbFiles, other, byPid, pidsTruncated: all.length > MAX_PIDS, truncated: listing.truncated };
  }
  return { ...base, error: lastError };
}

export async function collectMultiprocDirs(host: Host, census: Census): Promise<Outcome<MultiprocDir[]>> {
  const source = `${host.proc.path('[pid]')}/environ (${MULTIPROC_KEYS.join(', ')}); ${host.proc.path('[pid]')}/root/DIR`;
  if (host.platform !== 'linux') return unavailable("macOS: another process's environment is not readable, so its PROMETHEUS_MULTIPROC_DIR is not known", source);
  const named = new Map<string, { dir: string; key: string; pids: number[] }>();
  const cwds = new Map<number, string | null>();
  for (const p of census.processes) {
    if (p.role === null || p.zombie) continue;
    const m = multiprocDirOf(p.env);
    if (!m) continue;
    cwds.set(p.pid, p.cwd);
    const g = named.get(m.dir) ?? { ...m, pids: [] };
    g.pids.push(p.pid);
    named.set(m.dir, g);
  }
  const issues: SnapshotIssue[] = [];
  if (named.size > MAX_DIRS) issues.push({ probe: 'multiproc', kind: 'unavailable', message: `${named.size} multiprocess directories are named; only the first ${MAX_DIRS} were listed` });
  const dirs = [...named.values()].slice(0, MAX_DIRS).map((g) => listOne(host, g.dir, g.key, g.pids.sort((a, b) => a - b), cwds));
  for (const d of dirs) if (d.truncated) issues.push({ probe: 'multiproc', kind: 'unavailable', message: `${d.dir}: more than ${MAX_ENTRIES} entries; the rest were not read` });
  return ok(dirs, source, issues);
}
