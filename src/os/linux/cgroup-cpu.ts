// Pure parsers for a process's CPU cgroup (cgroups(7)): which hierarchy holds its cpu controller,
// and the quota files of cgroup v2 (`cpu.max`) and v1 (`cpu.cfs_quota_us`, `cpu.cfs_period_us`).

export interface CpuCgroupPath {
  /** 2: the unified hierarchy (`0::/path`); 1: a v1 hierarchy that carries the cpu controller. */
  version: 1 | 2;
  /** The v1 hierarchy's controllers as listed (`cpu,cpuacct`): its mount directory under /sys/fs/cgroup. */
  controllers: string | null;
  path: string;
}

/**
 * `/proc/PID/cgroup` → where its CPU limits live. A v1 line whose controllers include `cpu` wins
 * (on a hybrid system the unified hierarchy then carries no cpu controller); else the `0::` line.
 */
export function parseCpuCgroup(text: string): CpuCgroupPath | null {
  let unified: string | null = null;
  for (const line of text.split('\n')) {
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    const controllers = line.slice(a + 1, b);
    const path = line.slice(b + 1);
    if (!path.startsWith('/')) continue;
    if (line.slice(0, a) === '0' && controllers === '') unified = path;
    else if (controllers.split(',').includes('cpu')) return { version: 1, controllers, path };
  }
  return unified === null ? null : { version: 2, controllers: null, path: unified };
}

/** cgroup v2 `cpu.max`: `max 100000` (no limit) → null; `150000 100000` → 150000 µs per 100000 µs. */
export function parseCpuMax(text: string): { quotaUs: number; periodUs: number } | null {
  const m = /^\s*(max|\d+)(?:\s+(\d+))?\s*$/.exec(text);
  if (!m || m[1] === 'max') return null;
  const quotaUs = Number(m[1]);
  const periodUs = m[2] === undefined ? 100_000 : Number(m[2]);
  return quotaUs > 0 && periodUs > 0 ? { quotaUs, periodUs } : null;
}

/** cgroup v1 `cpu.cfs_quota_us` (`-1`: no limit) and `cpu.cfs_period_us`. */
export function parseCfsQuota(quota: string, period: string): { quotaUs: number; periodUs: number } | null {
  const q = Number(quota.trim());
  const p = Number(period.trim());
  if (!Number.isInteger(q) || !Number.isInteger(p) || q <= 0 || p <= 0) return null;
  return { quotaUs: q, periodUs: p };
}

/** `/a/b/c` → [`/a/b/c`, `/a/b`, `/a`, `/`]: a cgroup and every ancestor, whose limits all apply. */
export function cgroupAncestry(path: string): string[] {
  const parts = path.split('/').filter((x) => x !== '');
  const out: string[] = [];
  for (let i = parts.length; i >= 0; i--) out.push(`/${parts.slice(0, i).join('/')}`);
  return out;
}
