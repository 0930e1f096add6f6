// Shared memory in /dev/shm: the segments our users' runs make (psm_*, torch_*, sem.mp-*, nccl*),
// each with its size, owner and times, and the live processes that hold it (an fd on it in
// /proc/PID/fd, or a mapping of it in /proc/PID/maps, matched by device and inode); how full the
// filesystem is (statfs); whether every process that could hold one is in view. Facts only: which
// segments are leaked is judged by src/census/shm.ts. docs/rules/shm-leak.md says what it costs.
import { AccessDenied, ProcessGone } from '../host/errors.js';
import type { Host } from '../host/host.js';
import type { ShmStat } from '../host/shm-dir.js';
import { failed, ok, unavailable, type Outcome } from '../model/outcome.js';
import { shmKindOf, torchCreatorPid, type ShmEvidence, type ShmHolder, type ShmSegment, type ShmUnreadable, type ShmVisibility } from '../model/shm.js';
import type { SnapshotIssue } from '../model/snapshot.js';
import { INIT_IPC_NS, INIT_PID_NS, mappedInodes, nsInode } from '../os/linux/proc-maps.js';
import { parseProcStatus } from '../os/linux/proc-pid.js';

const PROBE = 'shm';

export interface ShmProbeOptions {
  /** At most this many segments are listed (and judged); the rest are counted. Default 5000. */
  limit?: number;
  /** Only these names (clean's re-check before unlinking): no other entry is looked at. */
  names?: readonly string[];
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const iso = (ms: number) => new Date(ms).toISOString();

/** Whether every process that could map the directory's files is in the proc root's view. */
export function shmVisibility(host: Host): ShmVisibility {
  const link = (rel: string): number | null => {
    try {
      return nsInode(host.proc.readlink(rel));
    } catch {
      return null;
    }
  };
  // pid 1 of the proc root lives in the namespace the root shows; our own link when it is ours.
  const ownRoot = host.proc.root.replace(/\/+$/, '') === '/proc';
  const pidNs = link('1/ns/pid') ?? (ownRoot ? link('self/ns/pid') : null);
  if (pidNs === null) return { complete: false, reason: `the PID namespace of ${host.proc.root} could not be read (its pid 1's ns/pid): processes outside it may hold segments unseen` };
  if (pidNs === INIT_PID_NS) return { complete: true, reason: "the machine's first PID namespace: every process is in view" };
  const ipcNs = link('1/ns/ipc') ?? (ownRoot ? link('self/ns/ipc') : null);
  if (ipcNs === null) return { complete: false, reason: `a PID namespace of its own whose IPC namespace could not be read: ${host.shm.root} may be shared with processes outside it, which cannot be seen` };
  if (ipcNs === INIT_IPC_NS) {
    return { complete: false, reason: `a PID namespace of its own (a container) in the machine's IPC namespace (docker --ipc=host, unshare without --ipc): ${host.shm.root} is likely the machine's, and processes outside this namespace that map it cannot be seen` };
  }
  return { complete: true, reason: `a container's own PID and IPC namespaces: ${host.shm.root} is taken to be its own (not one mounted from outside)` };
}

function pidsOf(host: Host): number[] {
  return host.proc
    .readdir('.')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * An fd target that could be a file of a shared-memory directory, to be stat'ed (device and inode
 * decide). A name " (deleted)" may still be one: glibc's sem_open makes a semaphore under a
 * temporary name, links it to its own and unlinks the temporary one (test/fixtures/linux/shm).
 */
function mayBeShm(target: string, root: string): boolean {
  if (!target.startsWith('/')) return false;
  return target.includes('/shm/') || target.startsWith(root.endsWith('/') ? root : `${root}/`);
}

export interface HolderScan {
  holders: Map<string, ShmHolder[]>;
  unreadable: ShmUnreadable[];
  scanned: number;
}

/**
 * Every live process's fds and maps, for the `dev:ino` keys given. Reading maps is the cost (a
 * kernel walk of each address space): done only when there is a segment to look for.
 */
export function scanHolders(host: Host, keys: ReadonlySet<string>, issues: SnapshotIssue[]): HolderScan {
  const holders = new Map<string, ShmHolder[]>();
  const devs = [...new Set([...keys].map((k) => k.slice(0, k.lastIndexOf(':'))))];
  const denied = new Map<number | null, number[]>();
  let pids: number[];
  try {
    pids = pidsOf(host);
  } catch (e) {
    issues.push({ probe: PROBE, kind: 'failed', message: `could not list ${host.proc.root}: ${message(e)}` });
    return { holders, unreadable: [{ uid: null, pids: [] }], scanned: 0 };
  }
  let scanned = 0;
  const hold = (key: string, pid: number, how: 'fd' | 'map') => {
    const list = holders.get(key) ?? [];
    let h = list.find((x) => x.pid === pid);
    if (!h) {
      h = { pid, fd: false, map: false };
      list.push(h);
      holders.set(key, list);
    }
    h[how] = true;
  };
  for (const pid of pids) {
    if (pid === host.selfPid) continue;
    let unreadable = false;
    try {
      const { fds, targets } = host.proc.fdLinks(pid);
      for (let i = 0; i < fds.length; i++) {
        if (!mayBeShm(targets[i]!, host.shm.root)) continue;
        const id = host.shm.identify(host.proc.path(`${pid}/fd/${fds[i]}`));
        if (id && keys.has(`${id.dev}:${id.ino}`)) hold(`${id.dev}:${id.ino}`, pid, 'fd');
      }
    } catch (e) {
      if (e instanceof ProcessGone) continue;
      unreadable = true;
    }
    try {
      for (const key of mappedInodes(host.proc.read(`${pid}/maps`), devs)) if (keys.has(key)) hold(key, pid, 'map');
    } catch (e) {
      if (e instanceof ProcessGone) continue;
      unreadable = true;
    }
    if (unreadable) {
      let uid: number | null = null;
      try {
        uid = parseProcStatus(host.proc.read(`${pid}/status`)).uid;
      } catch {
        /* gone, or not even that */
      }
      denied.set(uid, [...(denied.get(uid) ?? []), pid]);
    } else scanned++;
  }
  const unreadable = [...denied].map(([uid, list]) => ({ uid, pids: list })).sort((a, b) => (a.uid ?? -1) - (b.uid ?? -1));
  if (unreadable.length > 0) {
    const n = unreadable.reduce((s, u) => s + u.pids.length, 0);
    issues.push({
      probe: PROBE,
      kind: 'access-denied',
      message: `fd tables or maps of ${n} process(es) not readable (uid ${unreadable.map((u) => u.uid ?? '?').join(', ')}): whether they hold a segment is unknown (run as root to see them)`,
      pids: unreadable.flatMap((u) => u.pids),
    });
  }
  for (const list of holders.values()) list.sort((a, b) => a.pid - b.pid);
  return { holders, unreadable, scanned };
}

function segmentOf(name: string, st: ShmStat): ShmSegment {
  const created = st.birthtimeMs > 0 && st.birthtimeMs <= st.ctimeMs + 1 ? st.birthtimeMs : st.ctimeMs;
  return {
    name,
    kind: shmKindOf(name)!,
    creatorPid: torchCreatorPid(name),
    bytes: st.size,
    usedBytes: st.usedBytes,
    uid: st.uid,
    mode: st.mode,
    dev: st.dev,
    ino: st.ino,
    mtimeMs: st.mtimeMs,
    createdAt: iso(created),
    changedAt: iso(Math.max(st.mtimeMs, st.ctimeMs)),
    holders: [],
  };
}

export async function linuxShm(host: Host, opts: ShmProbeOptions = {}): Promise<Outcome<ShmEvidence>> {
  const dir = host.shm.root;
  const source = `${dir} (entries, statfs); ${host.proc.path('[pid]')}/fd, ${host.proc.path('[pid]')}/maps`;
  const issues: SnapshotIssue[] = [];
  let names: string[];
  try {
    names = opts.names ? [...opts.names] : host.shm.list().sort();
  } catch (e) {
    if (e instanceof ProcessGone) return unavailable(`${dir} does not exist: no POSIX shared-memory directory to read`, source);
    if (e instanceof AccessDenied) return failed(`${dir}: permission denied`, source);
    return failed(`${dir}: ${message(e)}`, source);
  }
  let usage: ShmEvidence['usage'] = null;
  try {
    const u = host.shm.usage();
    usage = { ...u, percent: u.totalBytes > 0 ? Math.round((u.usedBytes / u.totalBytes) * 1000) / 10 : 0 };
  } catch (e) {
    issues.push({ probe: PROBE, kind: 'failed', message: `how full ${dir} is: ${message(e)}` });
  }
  const limit = opts.limit ?? 5000;
  const segments: ShmSegment[] = [];
  const unlisted = { count: 0, bytes: 0 };
  const other = { count: 0, bytes: 0, examples: [] as string[] };
  for (const name of names) {
    let st: ShmStat | null;
    try {
      st = host.shm.stat(name);
    } catch (e) {
      issues.push({ probe: PROBE, kind: e instanceof AccessDenied ? 'access-denied' : 'failed', message: `${dir}/${name}: ${message(e)}` });
      continue;
    }
    if (st === null) continue; // removed since the listing
    const kind = shmKindOf(name);
    if (kind === null || !st.isFile) {
      other.count++;
      if (st.isFile) other.bytes += st.usedBytes;
      if (other.examples.length < 10) other.examples.push(st.isDirectory ? `${name}/` : name);
      continue;
    }
    if (segments.length >= limit) {
      unlisted.count++;
      unlisted.bytes += st.usedBytes;
      continue;
    }
    segments.push(segmentOf(name, st));
  }
  if (unlisted.count > 0) issues.push({ probe: PROBE, kind: 'failed', message: `${unlisted.count} more segment(s) past the first ${limit}: counted, not listed or judged` });
  let visibility: ShmVisibility = { complete: true, reason: 'no segment to look for' };
  let unreadable: ShmUnreadable[] = [];
  let scanned = 0;
  if (segments.length > 0) {
    visibility = shmVisibility(host);
    const scan = scanHolders(host, new Set(segments.map((s) => `${s.dev}:${s.ino}`)), issues);
    for (const s of segments) s.holders = scan.holders.get(`${s.dev}:${s.ino}`) ?? [];
    unreadable = scan.unreadable;
    scanned = scan.scanned;
  }
  return ok({ dir, usage, segments, unlisted, other, unreadable, visibility, scanned }, source, issues);
}
