// Process samples for `watch procs`, cheap enough to take every 2 s on a busy machine.
// On Linux the sampler is incremental (../shared/reference/perf-baseline.md: a full re-read every
// 2 s cost 3 % of a core at 1,000 processes): each sample lists /proc, reads new pids once, and
// re-reads only the project's processes; sockets and a full re-read (which catches a reused pid)
// come every `fullEvery` samples. Other platforms take a full census each time.
import { classify, assignRoles, type ClassifyOptions } from '../census/classify.js';
import { takeCensus } from '../census/census.js';
import type { Host } from '../host/host.js';
import { monotonicMs } from '../host/clock.js';
import type { Census, ClassifiedProcess, Role } from '../model/census.js';
import type { ProcRef, ProcSampleResult } from '../model/proc-sample.js';
import { SNAPSHOT_SCHEMA_VERSION, type ListeningSocket, type ProcessInfo, type Snapshot, type SnapshotIssue } from '../model/snapshot.js';
import { accessIssues, enrichProcess, listPids, readBootTime, readPageSize, readProcess, readUserNames } from '../probes/processes.linux.js';
import { linuxListenerTable, linuxSockets } from '../probes/sockets.linux.js';

export interface ProcSampler {
  sample(): Promise<ProcSampleResult>;
  /** The census behind the latest sample (for the live view's tree and for records). */
  latest(): Census | null;
}

const ROLES: Role[] = ['server', 'worker', 'helper', 'launcher'];
const zero = (): Record<Role, number> => ({ server: 0, worker: 0, helper: 0, launcher: 0 });
const keyOf = (p: { pid: number; startKey: number }) => `${p.pid}@${p.startKey}`;

export function createProcSampler(host: Host, opts: ClassifyOptions, settings: { fullEvery?: number } = {}): ProcSampler {
  // A full pass (sockets, every pid re-read: catches a reused pid) every 2 minutes at 2 s.
  const fullEvery = settings.fullEvery ?? 60;
  let n = 0;
  let last: Census | null = null;
  let lastAt = 0;
  let prevProject = new Map<string, ClassifiedProcess>();
  const incremental = host.platform === 'linux' ? linuxIncremental(host, opts) : null;

  return {
    latest: () => last,
    async sample() {
      const t0 = monotonicMs();
      const t = host.now();
      let census: Census;
      try {
        census = incremental ? await incremental(n % fullEvery === 0) : await takeCensus(host, opts);
      } catch (e) {
        return { ok: false, t: t.toISOString(), error: (e as Error).message, costMs: monotonicMs() - t0 };
      }
      n++;
      const project = census.processes.filter((p) => p.role !== null && !p.zombie);
      const now = new Map(project.map((p) => [keyOf(p), p]));
      const counts = zero();
      const rss = zero();
      for (const p of project) {
        counts[p.role!]++;
        rss[p.role!] += p.rssBytes ?? 0;
      }
      let cpu: Record<Role, number> | null = null;
      const seconds = (t.getTime() - lastAt) / 1000;
      if (last && seconds > 0) {
        cpu = zero();
        for (const [k, p] of now) {
          const before = prevProject.get(k);
          if (before && p.cpuSeconds !== null && before.cpuSeconds !== null) cpu[p.role!] += (Math.max(0, p.cpuSeconds - before.cpuSeconds) / seconds) * 100;
        }
        for (const r of ROLES) cpu[r] = Math.round(cpu[r] * 10) / 10;
      }
      const ref = (p: ClassifiedProcess): ProcRef => ({ pid: p.pid, role: p.role!, kind: p.kind, orphan: p.orphan });
      const appeared = last ? [...now].filter(([k]) => !prevProject.has(k)).map(([, p]) => ref(p)) : [];
      const vanished = last ? [...prevProject].filter(([k]) => !now.has(k)).map(([, p]) => ref(p)) : [];
      prevProject = now;
      last = census;
      lastAt = t.getTime();
      return {
        ok: true,
        t: t.toISOString(),
        counts,
        orphans: project.filter((p) => p.orphan).length,
        zombies: census.processes.filter((p) => p.role !== null && p.zombie).length,
        runs: census.generations.length,
        cpuPercent: cpu,
        rssBytes: rss,
        appeared,
        vanished,
        costMs: Math.round((monotonicMs() - t0) * 10) / 10,
      };
    },
  };
}

/**
 * Linux: keep every row between samples; re-read only what can have changed for us. When no pid
 * came or went and no project process changed its parent, group or state, the classification of
 * the previous sample still holds: only the project's CPU time and RSS are refreshed.
 */
function linuxIncremental(host: Host, opts: ClassifyOptions): (full: boolean) => Promise<Census> {
  const rows = new Map<number, ProcessInfo>();
  const enriched = new Set<string>();
  // null until the first full pass has read them.
  let sockets: ListeningSocket[] | null = null;
  let socketIssues: SnapshotIssue[] = [];
  // Denied reads stay denied between samples (the rows are kept): they are said on every sample.
  const deniedBasic = new Set<number>();
  const deniedEnrich = new Set<number>();
  let bootTime = 0;
  let pageSize = 4096;
  let users = new Map<number, string>();
  let previous: Census | null = null;
  let roles = new Map<number, unknown>();
  const kernel = new Set<number>();
  // The last pid the kernel handed out (/proc/loadavg's 5th field, counted in the reader's pid
  // namespace): while it stays the same, no process (nor thread) was created since the last
  // sample, so the listing of /proc can only have lost pids, and the project's are re-read below
  // anyway. Trusted only where this /proc is our own namespace's (/proc/self is this process).
  let lastPid: string | null = null;
  let ownProc: boolean | null = null;
  let pids: number[] = [];
  const readLastPid = (): string | null => {
    if (ownProc === null) {
      try {
        ownProc = host.proc.readlink('self') === String(host.selfPid);
      } catch {
        ownProc = false;
      }
    }
    if (!ownProc) return null;
    try {
      return host.proc.read('loadavg', { singleRead: true }).trim().split(/\s+/)[4] ?? null;
    } catch {
      return null;
    }
  };
  // The fd scan of every process, the dearest part of a full pass, is done again only when the
  // listeners could have other owners: a listening socket came or went in this namespace's tables
  // (read every full pass: a few ms), or an owner seen by the last scan is gone or was replaced
  // (the rows were just re-read); and every SCAN_EVERY-th full pass regardless (a socket handed
  // over SCM_RIGHTS, a listener in another namespace). Returns whether the sockets changed.
  const SCAN_EVERY = 5;
  let fullPasses = 0;
  let lastListeners: string | null = null;
  const ownerStarts = new Map<number, number>();
  const refreshSockets = async (): Promise<boolean> => {
    const table = linuxListenerTable(host);
    const listeners = table?.key ?? null;
    const ownersSame = [...ownerStarts].every(([pid, start]) => rows.get(pid)?.startKey === start);
    const due = fullPasses++ % SCAN_EVERY === 0;
    if (!due && sockets !== null && listeners !== null && listeners === lastListeners && ownersSame) return false;
    const s = await linuxSockets(host, table?.rows);
    if (s.status !== 'ok') return false;
    sockets = s.value;
    socketIssues = s.issues;
    lastListeners = listeners;
    ownerStarts.clear();
    for (const sock of sockets) for (const o of sock.owners) ownerStarts.set(o.pid, rows.get(o.pid)?.startKey ?? -1);
    return true;
  };
  return async (full) => {
    if (full || bootTime === 0) {
      bootTime = readBootTime(host);
      pageSize = readPageSize(host);
      users = readUserNames(host);
    }
    const denied: number[] = [];
    const created = readLastPid();
    const listed = full || created === null || created !== lastPid;
    if (listed) pids = listPids(host);
    lastPid = created;
    const present = new Set(pids);
    let changed = full || previous === null;
    for (const [pid, row] of rows) {
      if (!present.has(pid)) {
        rows.delete(pid);
        enriched.delete(keyOf(row));
        deniedBasic.delete(pid);
        deniedEnrich.delete(pid);
        changed = true;
      }
    }
    if (full) kernel.clear();
    for (const pid of kernel) if (!present.has(pid)) kernel.delete(pid); // gone: its pid may be reused
    // Not listed (nothing was created): the project's processes are all that is re-read, and one
    // that is gone drops out here.
    for (const pid of listed ? pids : [...roles.keys()]) {
      const before = rows.get(pid);
      if (!full && before && !roles.has(pid)) continue; // not ours and already known
      if (!full && kernel.has(pid)) continue; // a kernel thread: read again on the next full pass
      const p = readProcess(host, pid, bootTime, pageSize, denied);
      if (!p) {
        if (before) changed = true;
        else kernel.add(pid); // listed but no row: a kernel thread (or it vanished: the next full pass tells)
        rows.delete(pid);
        continue;
      }
      if (before && before.startKey === p.startKey) {
        // The same process: keep what enrichment found (it is read once per process).
        p.uid = before.uid;
        p.user = before.user;
        p.exe = before.exe;
        p.cwd = before.cwd;
        p.cgroup = before.cgroup;
        p.pipes = before.pipes;
        p.socketFds = before.socketFds;
        if (before.ppid !== p.ppid || before.pgid !== p.pgid || before.state !== p.state || before.argv.join('\0') !== p.argv.join('\0')) changed = true;
      } else {
        changed = true;
      }
      rows.set(pid, p);
    }
    for (const pid of denied) deniedBasic.add(pid);
    if (full || sockets === null) {
      if (await refreshSockets()) changed = true;
    }
    if (!changed && previous) {
      const prev: Census = previous;
      const processes = prev.processes.map((c) => {
        const r = rows.get(c.pid);
        return r && roles.has(c.pid) ? { ...c, cpuSeconds: r.cpuSeconds, rssBytes: r.rssBytes } : c;
      });
      previous = { ...prev, processes, snapshot: { ...prev.snapshot, takenAt: host.now().toISOString() } };
      return previous;
    }
    const list = [...rows.values()];
    const now = assignRoles(list, sockets ?? [], opts, host.selfPid, host.platform);
    for (const p of list) {
      if (!now.has(p.pid)) continue;
      const k = keyOf(p);
      // Enrich each project process once (pipes, exe, cwd, uid); keep it across re-reads.
      if (!enriched.has(k) || full) {
        enrichProcess(host, p, deniedEnrich, users);
        enriched.add(k);
      }
    }
    const snapshot: Snapshot = {
      schemaVersion: SNAPSHOT_SCHEMA_VERSION,
      platform: host.platform,
      takenAt: host.now().toISOString(),
      hostname: host.hostname(),
      selfPid: host.selfPid,
      bootTime: new Date(bootTime * 1000).toISOString(),
      processes: list,
      sockets: sockets ?? [],
      probes: [{ probe: 'processes.linux', status: 'ok', source: '/proc (incremental: new pids and the project\'s re-read each sample)' }],
      issues: [...accessIssues([...deniedBasic], deniedEnrich), ...socketIssues],
    };
    previous = classify(snapshot, opts);
    roles = new Map(previous.processes.filter((p) => p.role !== null).map((p) => [p.pid, p.role]));
    return previous;
  };
}
