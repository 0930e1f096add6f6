// The cores the project's processes may use: CPUs online, and the CPU quota of each of their cgroups
// (the tightest limit on the cgroup's path, v2 `cpu.max` or v1 CFS quota), read under the host's sys
// root. Affinity is per process and comes with the census (status `Cpus_allowed_list`). Bounded: at
// most MAX_CGROUPS distinct cgroups, each path walked to its root. See docs/rules/cpu-oversubscribed.md.
import { AccessDenied, ProcessGone } from '../host/errors.js';
import type { Host } from '../host/host.js';
import type { CgroupCpu, CpuEvidence, CpuQuota } from '../model/cpu.js';
import { cpuListCount } from '../model/cpu.js';
import { ok, unavailable, type Outcome } from '../model/outcome.js';
import type { SnapshotIssue } from '../model/snapshot.js';
import { cgroupAncestry, parseCfsQuota, parseCpuCgroup, parseCpuMax, type CpuCgroupPath } from '../os/linux/cgroup-cpu.js';

const PROBE = 'cpu.linux';
export const MAX_CGROUPS = 16;
const ONLINE = 'devices/system/cpu/online';

function tryRead(host: Host, rel: string): string | null {
  try {
    return host.sys.read(rel);
  } catch (e) {
    if (e instanceof ProcessGone || e instanceof AccessDenied) return null;
    throw e;
  }
}

/** The tightest quota on the path; `found` says whether any quota file existed at all. */
function quotaOf(host: Host, cg: CpuCgroupPath): { quota: CpuQuota | null; found: boolean } {
  let best: CpuQuota | null = null;
  let found = false;
  for (const dir of cgroupAncestry(cg.path)) {
    const sub = dir === '/' ? '' : dir;
    let q: { quotaUs: number; periodUs: number } | null;
    let source: string;
    if (cg.version === 2) {
      const rel = `fs/cgroup${sub}/cpu.max`;
      source = host.sys.path(rel);
      const t = tryRead(host, rel);
      if (t === null) continue;
      found = true;
      q = parseCpuMax(t);
    } else {
      // The v1 hierarchy is mounted under its controllers' names (`cpu,cpuacct`, often linked as `cpu`).
      const mounts = [...new Set([cg.controllers ?? 'cpu', 'cpu', 'cpu,cpuacct'])];
      let got: { quota: string; period: string; rel: string } | null = null;
      for (const m of mounts) {
        const base = `fs/cgroup/${m}${sub}`;
        const quota = tryRead(host, `${base}/cpu.cfs_quota_us`);
        const period = quota === null ? null : tryRead(host, `${base}/cpu.cfs_period_us`);
        if (quota !== null && period !== null) {
          got = { quota, period, rel: `${base}/cpu.cfs_quota_us` };
          break;
        }
      }
      if (got === null) continue;
      found = true;
      source = host.sys.path(got.rel);
      q = parseCfsQuota(got.quota, got.period);
    }
    if (q && (best === null || q.quotaUs / q.periodUs < best.cores)) best = { source, quotaUs: q.quotaUs, periodUs: q.periodUs, cores: q.quotaUs / q.periodUs };
  }
  return { quota: best, found };
}

/** macOS has no cgroups, and its thread counts are not read (docs/rules/cpu-oversubscribed.md). */
export async function collectCpu(host: Host, pids: readonly number[]): Promise<Outcome<CpuEvidence>> {
  if (host.platform === 'darwin') return unavailable('macOS: no cgroup quota, and threads per process are not read (ps -M lists every thread of every process)', 'sysctl');
  const source = `${host.sys.path(ONLINE)}; ${host.sys.path('fs/cgroup')}/…/cpu.max`;
  const onlineText = tryRead(host, ONLINE)?.trim() ?? null;
  const online = onlineText !== null && cpuListCount(onlineText) !== null ? onlineText : null;
  const groups = new Map<string, { cg: CpuCgroupPath; pids: number[] }>();
  const issues: SnapshotIssue[] = [];
  let unreadable = 0;
  for (const pid of pids) {
    let cg: CpuCgroupPath | null;
    try {
      cg = parseCpuCgroup(host.proc.read(`${pid}/cgroup`));
    } catch (e) {
      if (e instanceof ProcessGone || e instanceof AccessDenied) {
        unreadable++;
        continue;
      }
      throw e;
    }
    if (!cg) continue;
    const key = `${cg.version}:${cg.path}`;
    const g = groups.get(key);
    if (g) g.pids.push(pid);
    else if (groups.size < MAX_CGROUPS) groups.set(key, { cg, pids: [pid] });
  }
  if (groups.size === MAX_CGROUPS) issues.push({ probe: PROBE, kind: 'unavailable', message: `only the first ${MAX_CGROUPS} distinct cgroups were read` });
  if (unreadable > 0) issues.push({ probe: PROBE, kind: 'access-denied', message: `the cgroup of ${unreadable} process(es) was not readable or they ended` });
  const cgroups: CgroupCpu[] = [];
  for (const { cg, pids: members } of groups.values()) {
    const { quota, found } = quotaOf(host, cg);
    if (!found) {
      issues.push({ probe: PROBE, kind: 'unavailable', message: `no CPU quota file for cgroup ${cg.path} (v${cg.version}) under ${host.sys.path('fs/cgroup')}`, pids: members });
      continue;
    }
    cgroups.push({ cgroup: cg.path, version: cg.version, pids: members.sort((a, b) => a - b), quota });
  }
  if (online === null && cgroups.length === 0) return unavailable(`neither ${host.sys.path(ONLINE)} nor a cgroup CPU quota file could be read`, source);
  return ok({ online, cgroups }, source, issues);
}
