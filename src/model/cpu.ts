// CPU evidence: how many cores the project's processes may use (affinity, cgroup quota), beside
// the per-process thread counts the census reads from status (src/model/snapshot.ts). Read by the
// cpu-oversubscribed rule (docs/rules/cpu-oversubscribed.md).

/** A cgroup CPU quota: `quotaUs` of CPU time per `periodUs` of wall time, i.e. `cores` cores. */
export interface CpuQuota {
  /** The file that set the tightest limit on the cgroup's path (`/sys/fs/cgroup/…/cpu.max`). */
  source: string;
  quotaUs: number;
  periodUs: number;
  /** quotaUs / periodUs: the cores' worth of CPU the cgroup may use. */
  cores: number;
}

export interface CgroupCpu {
  /** The cgroup path as `/proc/PID/cgroup` names it (the unified hierarchy's, or v1's cpu controller's). */
  cgroup: string;
  /** 2: cgroup v2 (`cpu.max`); 1: v1 (`cpu.cfs_quota_us`, `cpu.cfs_period_us`). */
  version: 1 | 2;
  /** The project processes in it. */
  pids: number[];
  /** The tightest quota on its path up to the root; null: none set (`max`, `-1`). */
  quota: CpuQuota | null;
}

export interface CpuEvidence {
  /** CPUs online (`/sys/devices/system/cpu/online`, `0-7`), as printed; null when not readable. */
  online: string | null;
  /** The distinct cgroups of the project's processes whose quota could be read. */
  cgroups: CgroupCpu[];
}

/** `0-3,8,10-11` (a Cpus_allowed_list or the online list) → 7; null when it is not such a list. */
export function cpuListCount(list: string): number | null {
  const t = list.trim();
  if (t === '') return null;
  let n = 0;
  for (const part of t.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) return null;
    n += b - a + 1;
  }
  return n;
}
