// Pure parsers for /proc/PID/{stat,status,cmdline,cgroup} and /proc/stat (proc(5)).
import { ParseError } from '../../host/errors.js';
import { cpuListCount } from '../../model/cpu.js';
export { SIGKILL_MASK, sigkillPending } from '../../model/snapshot.js';

// The fields parseProcStat gives; defined beside the native reader (host/proc-scan.ts), which
// gives the same ones where it parses a line itself.
import type { ProcStat } from '../../host/proc-scan.js';
export type { ProcStat };

/**
 * comm may hold spaces, parentheses and even newlines (`83875 (sleep (2) .sh) S …`,
 * uutils/procps#214; util-linux#1971), so: pid before the first `(`, comm up to the LAST `)`,
 * then split the rest on whitespace (containers/psgo#66).
 */
export function parseProcStat(text: string, source: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new ParseError('no "(comm)" in stat line', source);
  const pid = Number(text.slice(0, open).trim());
  if (!Number.isInteger(pid)) throw new ParseError('pid is not a number', source);
  // The fields after comm, split once (native code: on a cold census, the first a one-shot CLI
  // takes, a hand-written scan over every character ran in the interpreter and cost 2-3 times as
  // much; docs/benchmarks.md). The kernel writes one space between fields. f[k - 3] is field k.
  const f = text.slice(close + 2).split(' ', 22);
  const num = (k: number): number => {
    const s = f[k - 3];
    if (s === undefined || s === '') throw new ParseError(`field ${k} is missing`, source);
    const v = Number(s);
    if (!Number.isInteger(v)) throw new ParseError(`field ${k} is not a number`, source);
    return v;
  };
  const state = f[0] ?? '';
  if (state.length !== 1) throw new ParseError('field 3 (state) is missing', source);
  return {
    pid,
    comm: text.slice(open + 1, close),
    state,
    ppid: num(4),
    pgid: num(5),
    sid: num(6),
    ttyNr: num(7),
    flags: num(9),
    utimeTicks: num(14),
    stimeTicks: num(15),
    startTicks: num(22),
    rssPages: num(24),
  };
}

/** include/linux/sched.h: `#define PF_KTHREAD 0x00200000` ("I am a kernel thread"). */
export const PF_KTHREAD = 0x00200000;

/** A kernel thread, told by its flag (proc(5) field 9), never by its pid: in a container pid 2 is an ordinary process. */
export function isKernelThreadFlags(flags: number): boolean {
  return (flags & PF_KTHREAD) !== 0;
}

/**
 * The kernel's page size from /proc/self/auxv (AT_PAGESZ = 6), to turn stat's rss pages into
 * bytes without reading every process's status. 64-bit little-endian auxv assumed; null if unreadable.
 */
export function parseAuxvPageSize(data: Buffer): number | null {
  for (let off = 0; off + 16 <= data.length; off += 16) {
    const type = data.readBigUInt64LE(off);
    if (type === 0n) break;
    if (type === 6n) {
      const v = Number(data.readBigUInt64LE(off + 8));
      return v > 0 && (v & (v - 1)) === 0 ? v : null;
    }
  }
  return null;
}

/** `/proc/PID/cmdline`: NUL-separated argv; a trailing NUL is not an empty argument. */
export function parseCmdline(text: string): string[] {
  if (text.length === 0) return [];
  const parts = text.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export interface ProcStatus {
  /** Real uid (first of the four Uid: values). */
  uid: number | null;
  /** VmRSS in bytes; absent for kernel threads and zombies. */
  rssBytes: number | null;
  /** The last `NSpid:` value: its pid in the innermost PID namespace (1 for a container's init); null before Linux 4.1. */
  nsPid: number | null;
  /**
   * The whole `NSpid:` line, outermost namespace first (the namespace of the /proc mount read), down
   * to the innermost (its own); `[48213, 7]` for pid 7 of a container seen from the host. null before Linux 4.1.
   */
  nsPids: number[] | null;
  /** `SigIgn:` as printed (16 hex digits); null when absent. */
  sigIgn: string | null;
  /** `SigPnd:` (pending for the thread) as printed (hex); null when absent. */
  sigPnd: string | null;
  /** `ShdPnd:` (pending for the whole process) as printed (hex); null when absent. */
  shdPnd: string | null;
  /** `Threads:`: threads in the process now. */
  threads: number | null;
  /** `nonvoluntary_ctxt_switches:`: times the kernel preempted the main thread (the thread group leader; status does not sum the others). */
  involuntarySwitches: number | null;
  /** `Cpus_allowed_list:` as printed (`0-3,8`): the CPUs its affinity mask allows. */
  cpusAllowed: string | null;
}

export function parseProcStatus(text: string): ProcStatus {
  // Two fields out of ~55 lines, on every process of every census: look them up, do not split.
  const field = (name: string): string | null => {
    const i = text.startsWith(name) ? 0 : text.indexOf('\n' + name);
    if (i < 0) return null;
    const start = i === 0 ? name.length : i + 1 + name.length;
    const end = text.indexOf('\n', start);
    return text.slice(start, end < 0 ? text.length : end);
  };
  const uidLine = field('Uid:');
  const uidNum = uidLine === null ? NaN : parseInt(uidLine.trim(), 10);
  const rssLine = field('VmRSS:');
  const rssNum = rssLine === null ? NaN : parseInt(rssLine.trim(), 10);
  const nsLine = field('NSpid:');
  const nsAll = nsLine === null ? [] : nsLine.trim().split(/\s+/).map(Number);
  const nsOk = nsAll.length > 0 && nsAll.every((n) => Number.isInteger(n) && n > 0);
  const nsLast = nsOk ? nsAll[nsAll.length - 1]! : NaN;
  const hex = (name: string): string | null => {
    const v = field(name)?.trim() ?? null;
    return v !== null && /^[0-9a-f]+$/i.test(v) ? v : null;
  };
  const ign = field('SigIgn:')?.trim() ?? null;
  const count = (name: string): number | null => {
    const v = field(name)?.trim();
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
  };
  const allowed = field('Cpus_allowed_list:')?.trim() ?? null;
  return {
    uid: Number.isInteger(uidNum) ? uidNum : null,
    rssBytes: Number.isInteger(rssNum) ? rssNum * 1024 : null,
    nsPid: Number.isInteger(nsLast) && nsLast > 0 ? nsLast : null,
    nsPids: nsOk ? nsAll : null,
    sigIgn: ign !== null && /^[0-9a-f]+$/i.test(ign) ? ign : null,
    sigPnd: hex('SigPnd:'),
    shdPnd: hex('ShdPnd:'),
    threads: count('Threads:'),
    involuntarySwitches: count('nonvoluntary_ctxt_switches:'),
    cpusAllowed: allowed !== null && cpuListCount(allowed) !== null ? allowed : null,
  };
}

/** Signal numbers set in a SigIgn/SigBlk mask (bit n-1 is signal n). */
export function signalsInMask(hex: string): number[] {
  const out: number[] = [];
  let v = BigInt(`0x${hex}`);
  for (let n = 1; v > 0n; n++, v >>= 1n) if (v & 1n) out.push(n);
  return out;
}

/**
 * The only environment variables ever read from /proc/PID/environ: what ties a process to its
 * run and its project, and the settings the cause rules judge (thread caps: cpu-oversubscribed;
 * fork settings: fork-unsafe; the metrics directory: stale-multiproc-dir). Nothing else (tokens,
 * keys) is kept, so no secret can reach a snapshot. docs/attribution.md lists them.
 */
export const ENV_KEYS = [
  'RERUN_DOCTOR_RUN_ID',
  'RERUN_DOCTOR_PROJECT',
  // the Python parent-death guard was on in it (docs/prevention.md): orphans despite it are its limits
  'RERUN_DOCTOR_GUARD',
  'PWD',
  'VIRTUAL_ENV',
  'CONDA_PREFIX',
  // cpu-oversubscribed
  'OMP_NUM_THREADS',
  'MKL_NUM_THREADS',
  'OPENBLAS_NUM_THREADS',
  'TORCH_NUM_THREADS',
  // fork-unsafe
  'TOKENIZERS_PARALLELISM',
  'GRPC_ENABLE_FORK_SUPPORT',
  'GRPC_POLL_STRATEGY',
  // stale-multiproc-dir (the old lower-case name too: prometheus_client before 0.10 read only it)
  'PROMETHEUS_MULTIPROC_DIR',
  'prometheus_multiproc_dir',
  // port-held (torch.distributed's rendezvous: names a dead run's TCPStore port)
  'MASTER_ADDR',
  'MASTER_PORT',
] as const;

/** `/proc/PID/environ` (NUL-separated KEY=VALUE) → the ENV_KEYS present. */
export function parseEnviron(text: string, keys: readonly string[] = ENV_KEYS): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of text.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    const k = entry.slice(0, eq);
    if (keys.includes(k) && !(k in out)) out[k] = entry.slice(eq + 1);
  }
  return out;
}

/** `btime` from /proc/stat: boot time, epoch seconds. */
export function parseBootTime(text: string, source: string): number {
  const m = /^btime\s+(\d+)\s*$/m.exec(text);
  if (!m?.[1]) throw new ParseError('no btime line', source);
  return Number(m[1]);
}

/** Unified-hierarchy (`0::/…`) cgroup path; falls back to the first line's path (cgroup v1). */
export function parseCgroup(text: string): string | null {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const unified = lines.find((l) => l.startsWith('0::'));
  const line = unified ?? lines[0];
  if (!line) return null;
  const i = line.indexOf(':', line.indexOf(':') + 1);
  return i >= 0 ? line.slice(i + 1) : null;
}

/**
 * tty_nr (field 7) → name. Encoding: minor = (bits 31-20 << 8) | bits 7-0, major = bits 15-8
 * (proc(5)). 136-143 are Unix98 ptys (/dev/pts/N), 4 is /dev/ttyN (N < 64) or ttySN.
 */
export function ttyName(ttyNr: number): string | null {
  if (ttyNr === 0) return null;
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  if (major === 4) return minor < 64 ? `tty${minor}` : `ttyS${minor - 64}`;
  return `tty(${major},${minor})`;
}

/** `socket:[12345]` → 12345; `pipe:[678]` with kind 'pipe'. */
export function parseFdLink(link: string): { kind: 'socket' | 'pipe'; inode: number } | null {
  const m = /^(socket|pipe):\[(\d+)\]$/.exec(link);
  if (!m?.[1] || !m[2]) return null;
  return { kind: m[1] as 'socket' | 'pipe', inode: Number(m[2]) };
}

/** /etc/passwd → uid → name. */
export function parsePasswd(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    const uid = Number(f[2]);
    if (f[0] && Number.isInteger(uid) && !out.has(uid)) out.set(uid, f[0]);
  }
  return out;
}
