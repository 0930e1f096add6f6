// Pure parsers and rooted readers for Linux CPU thermal evidence:
//
//   <sys>/devices/system/cpu/cpuN/thermal_throttle/{core,package}_throttle_count
//   <sys>/devices/system/cpu/cpuN/cpufreq/{scaling_cur_freq,cpuinfo_max_freq}
//   <sys>/class/thermal/cooling_deviceN/{type,cur_state,max_state}
//   <proc>/pressure/cpu
//
// Every reader takes the RootedFs it reads under (never a global "/sys"), so fixture trees and a
// container's /host/sys read the same way. A file that does not exist is "absent", not zero: most
// VMs have none of these files (../shared/reference/failure-modes.md §5.3,
// MatthiasSchinzel/sysmon#14), and the probe must be able to say "unavailable", not "not throttled".
//
// Sources for the file formats:
// * thermal_throttle: arch/x86/kernel/cpu/mce/therm_throt.c. Intel only (the group is created by the
//   Intel thermal-interrupt code; AMD and ARM CPUs have no such directory). Each show function prints
//   "%lu\n" for an online CPU and 0 bytes for an offline one. `core_throttle_count` is always in the
//   group; `package_*` only where the CPU has PTS (package thermal status); the `*_power_limit_count`
//   files only with the `int_pln_enable` boot parameter, which is why we do not rely on them. The
//   counts are events (PROCHOT assertions since boot), not time. They are per logical CPU but core-
//   or package-scoped, so siblings can show different values (prometheus/node_exporter#1479, §5.3).
//   Documentation/admin-guide/thermal/thermal_throttle.rst describes the mechanism.
// * cpufreq: Documentation/admin-guide/pm/cpufreq.rst. Both files are in kHz. On a real system
//   cpuN/cpufreq is a symlink to ../cpufreq/policyM, which reads through transparently.
//   `scaling_cur_freq` is the driver's view (on x86 an average since the last read,
//   netdata/netdata#2704) and can exceed scaling_max_freq (HeinleinSupport/check_mk_extensions#151);
//   some drivers print `<unknown>` for a frequency they cannot get, which we read as null.
// * cooling devices: Documentation/driver-api/thermal/sysfs-api.rst: `type` is a string ("Fan",
//   "Processor", "LCD" for generic ACPI), `max_state` the highest state, `cur_state` 0 = no cooling ..
//   max_state = maximum cooling. Real entries are symlinks into /sys/devices/virtual/thermal/.
// * PSI: Documentation/accounting/psi.rst: `some avg10=… avg60=… avg300=… total=…` and, for CPU since
//   5.13, a `full` line that is always zero at the system level ("CPU full is undefined at the system
//   level, but has been reported since 5.13, so it is set to zero for backward compatibility").
//   The averages are percentages; total is microseconds. PSI is contention, not throttling.
import { AccessDenied, ProcessGone } from '../../host/errors.js';
import type { RootedFs } from '../../host/rooted-fs.js';
import type { SnapshotIssue } from '../../model/snapshot.js';
import type { CoolingDevice, CpuThrottle } from '../../model/thermal.js';

const PROBE = 'thermal.linux';

/** Paths relative to the sys root. */
export const SYS_CPU_DIR = 'devices/system/cpu';
export const SYS_COOLING_DIR = 'class/thermal';
/** Path relative to the proc root. */
export const PROC_PRESSURE_CPU = 'pressure/cpu';

const CPU_NAME = /^cpu(\d+)$/;
const COOLING_NAME = /^cooling_device(\d+)$/;

/**
 * A sysfs integer attribute: one decimal number and a newline. null for anything else: the empty
 * string an offline CPU's thermal_throttle files return, `<unknown>` from cpufreq, or garbage.
 * Negative values are valid (intel_powerclamp has reported cur_state -1 while idle injection is off).
 */
export function parseSysfsInt(text: string): number | null {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

/** One PSI line: averages in percent, total stall time in microseconds. */
export interface PressureLine {
  avg10: number;
  avg60: number;
  avg300: number;
  totalUs: number;
}

export interface CpuPressure {
  /** Share of time at least one runnable task waited for a CPU. */
  some: PressureLine;
  /** Kernel ≥ 5.13 prints it for CPU too, always zero system-wide; null where absent (4.20–5.12). */
  full: PressureLine | null;
}

export interface PressureParse {
  some: PressureLine | null;
  full: PressureLine | null;
  /** What could not be read, as messages. */
  problems: string[];
}

const PRESSURE_LINE = /^(some|full)\s+(.*)$/;
const PRESSURE_FIELD = /^(avg10|avg60|avg300|total)=(\d+(?:\.\d+)?)$/;

function parsePressureFields(rest: string): PressureLine | string {
  const seen = new Map<string, number>();
  for (const tok of rest.trim().split(/\s+/)) {
    const m = PRESSURE_FIELD.exec(tok);
    if (!m) return `unexpected field "${tok}"`;
    seen.set(m[1]!, Number(m[2]));
  }
  const avg10 = seen.get('avg10');
  const avg60 = seen.get('avg60');
  const avg300 = seen.get('avg300');
  const totalUs = seen.get('total');
  if (avg10 === undefined || avg60 === undefined || avg300 === undefined || totalUs === undefined) {
    return 'missing one of avg10, avg60, avg300, total';
  }
  return { avg10, avg60, avg300, totalUs };
}

/** `/proc/pressure/<resource>` (and cgroup `*.pressure`, the same format) → its `some` and `full` lines. */
export function parsePressure(text: string): PressureParse {
  const out: PressureParse = { some: null, full: null, problems: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const m = PRESSURE_LINE.exec(line);
    if (!m) {
      out.problems.push(`unrecognised line "${line}"`);
      continue;
    }
    const kind = m[1] as 'some' | 'full';
    const parsed = parsePressureFields(m[2]!);
    if (typeof parsed === 'string') {
      out.problems.push(`${kind} line: ${parsed}`);
      continue;
    }
    if (out[kind] !== null) out.problems.push(`more than one ${kind} line; the last one is kept`);
    out[kind] = parsed;
  }
  if (out.some === null && out.problems.length === 0) out.problems.push('no "some" line');
  return out;
}

type ReadResult = { kind: 'ok'; text: string } | { kind: 'absent' } | { kind: 'denied'; message: string } | { kind: 'error'; message: string };

/** ENOENT (ProcessGone after translation) and ENOTDIR are "not there"; anything else is a real error. */
function isAbsent(e: unknown): boolean {
  if (e instanceof ProcessGone) return true;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function tryRead(fs: RootedFs, rel: string): ReadResult {
  try {
    return { kind: 'ok', text: fs.read(rel) };
  } catch (e) {
    if (isAbsent(e)) return { kind: 'absent' };
    if (e instanceof AccessDenied) return { kind: 'denied', message: describe(e) };
    return { kind: 'error', message: describe(e) };
  }
}

function tryReaddir(fs: RootedFs, rel: string): string[] | ReadResult {
  try {
    return fs.readdir(rel);
  } catch (e) {
    if (isAbsent(e)) return { kind: 'absent' };
    if (e instanceof AccessDenied) return { kind: 'denied', message: describe(e) };
    return { kind: 'error', message: describe(e) };
  }
}

/** Directory entries `<prefix>N`, as numbers, ascending (readdir order is not numeric order). */
function numbered(names: string[], pattern: RegExp): number[] {
  const out: number[] = [];
  for (const n of names) {
    const m = pattern.exec(n);
    if (m) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

/**
 * Per-file problems, folded so that 64 CPUs with the same `<unknown>` make one issue, not 64.
 * Key: kind + file + detail; value: the items (cpuN / cooling_deviceN) it happened on.
 */
class ProblemFold {
  private readonly groups = new Map<string, { kind: SnapshotIssue['kind']; what: string; items: string[] }>();
  add(kind: SnapshotIssue['kind'], what: string, item: string): void {
    const key = `${kind}\0${what}`;
    const g = this.groups.get(key);
    if (g) g.items.push(item);
    else this.groups.set(key, { kind, what, items: [item] });
  }
  issues(): SnapshotIssue[] {
    return [...this.groups.values()].map((g) => ({ probe: PROBE, kind: g.kind, message: `${g.what} (${summariseItems(g.items)})` }));
  }
}

function summariseItems(items: string[]): string {
  return items.length <= 4 ? items.join(', ') : `${items.slice(0, 3).join(', ')} and ${items.length - 3} more`;
}

/** Reads one integer attribute; records absence separately from unreadable or unparseable content. */
function readInt(fs: RootedFs, rel: string, item: string, file: string, fold: ProblemFold): { value: number | null; present: boolean } {
  const r = tryRead(fs, rel);
  switch (r.kind) {
    case 'absent':
      return { value: null, present: false };
    case 'denied':
      fold.add('access-denied', `${file}: access denied`, item);
      return { value: null, present: true };
    case 'error':
      fold.add('failed', `${file}: ${r.message.replace(fs.path(rel), '…')}`, item);
      return { value: null, present: true };
    case 'ok': {
      const v = parseSysfsInt(r.text);
      // 0 bytes is what therm_throt.c's show functions return for an offline CPU: not a parse error.
      if (v === null && r.text.trim() !== '') fold.add('parse', `${file}: not an integer ("${r.text.trim().slice(0, 40)}")`, item);
      return { value: v, present: true };
    }
  }
}

export interface CpuThermalReading {
  /** Only CPUs where at least one of the four files exists; a VM's bare cpuN directories are left out. */
  cpus: CpuThrottle[];
  /** How many CPUs had a thermal_throttle count file / a cpufreq file. */
  withThrottleFiles: number;
  withCpufreqFiles: number;
  /** cpuN directories seen at all (online or not). */
  cpuDirs: number;
  /** The cpu directory exists but could not be listed (not the same as absent). */
  dirError: string | null;
  issues: SnapshotIssue[];
}

/** `<sys>/devices/system/cpu/cpuN/{thermal_throttle,cpufreq}` for every cpuN directory. */
export function readCpuThermal(sys: RootedFs): CpuThermalReading {
  const fold = new ProblemFold();
  const out: CpuThermalReading = { cpus: [], withThrottleFiles: 0, withCpufreqFiles: 0, cpuDirs: 0, dirError: null, issues: [] };
  const names = tryReaddir(sys, SYS_CPU_DIR);
  if (!Array.isArray(names)) {
    if (names.kind === 'denied' || names.kind === 'error') out.dirError = `${sys.path(SYS_CPU_DIR)}: ${names.message}`;
    return out;
  }
  const ids = numbered(names, CPU_NAME);
  out.cpuDirs = ids.length;
  for (const cpu of ids) {
    const base = `${SYS_CPU_DIR}/cpu${cpu}`;
    const item = `cpu${cpu}`;
    const core = readInt(sys, `${base}/thermal_throttle/core_throttle_count`, item, 'thermal_throttle/core_throttle_count', fold);
    const pkg = readInt(sys, `${base}/thermal_throttle/package_throttle_count`, item, 'thermal_throttle/package_throttle_count', fold);
    const cur = readInt(sys, `${base}/cpufreq/scaling_cur_freq`, item, 'cpufreq/scaling_cur_freq', fold);
    const max = readInt(sys, `${base}/cpufreq/cpuinfo_max_freq`, item, 'cpufreq/cpuinfo_max_freq', fold);
    const throttleFiles = core.present || pkg.present;
    const cpufreqFiles = cur.present || max.present;
    if (!throttleFiles && !cpufreqFiles) continue;
    if (throttleFiles) out.withThrottleFiles++;
    if (cpufreqFiles) out.withCpufreqFiles++;
    out.cpus.push({ cpu, coreThrottleCount: core.value, packageThrottleCount: pkg.value, curFreqKHz: cur.value, maxFreqKHz: max.value });
  }
  out.issues = fold.issues();
  return out;
}

export interface CoolingReading {
  devices: CoolingDevice[];
  /** The thermal class directory exists but could not be listed. */
  dirError: string | null;
  issues: SnapshotIssue[];
}

/** `<sys>/class/thermal/cooling_deviceN/{type,cur_state,max_state}`; thermal_zoneN entries are skipped. */
export function readCoolingDevices(sys: RootedFs): CoolingReading {
  const fold = new ProblemFold();
  const out: CoolingReading = { devices: [], dirError: null, issues: [] };
  const names = tryReaddir(sys, SYS_COOLING_DIR);
  if (!Array.isArray(names)) {
    if (names.kind === 'denied' || names.kind === 'error') out.dirError = `${sys.path(SYS_COOLING_DIR)}: ${names.message}`;
    return out;
  }
  for (const n of numbered(names, COOLING_NAME)) {
    const name = `cooling_device${n}`;
    const base = `${SYS_COOLING_DIR}/${name}`;
    const t = tryRead(sys, `${base}/type`);
    let type = '';
    if (t.kind === 'ok') type = t.text.trim();
    else if (t.kind === 'denied') fold.add('access-denied', 'type: access denied', name);
    else if (t.kind === 'error') fold.add('failed', `type: ${t.message.replace(sys.path(`${base}/type`), '…')}`, name);
    // Some drivers fail cur_state reads (an ACPI fan whose method errors): null, with an issue.
    const cur = readInt(sys, `${base}/cur_state`, name, 'cur_state', fold);
    const max = readInt(sys, `${base}/max_state`, name, 'max_state', fold);
    out.devices.push({ name, type, curState: cur.value, maxState: max.value });
  }
  out.issues = fold.issues();
  return out;
}


export type CpuPressureReading =
  | { kind: 'ok'; pressure: CpuPressure; issues: SnapshotIssue[] }
  | { kind: 'absent' }
  | { kind: 'failed'; message: string };

/**
 * `<proc>/pressure/cpu`. Absent on kernels before 4.20, without CONFIG_PSI, or with PSI disabled at
 * boot (recent kernels then create no /proc/pressure; older ones had the files fail with EOPNOTSUPP,
 * which lands in `failed`). System-wide: a container's own pressure is its cgroup's cpu.pressure.
 */
export function readCpuPressure(proc: RootedFs): CpuPressureReading {
  const r = tryRead(proc, PROC_PRESSURE_CPU);
  if (r.kind === 'absent') return { kind: 'absent' };
  if (r.kind !== 'ok') return { kind: 'failed', message: r.message };
  const p = parsePressure(r.text);
  if (p.some === null) return { kind: 'failed', message: `${proc.path(PROC_PRESSURE_CPU)}: ${p.problems.join('; ')}` };
  const issues: SnapshotIssue[] = p.problems.map((m) => ({ probe: PROBE, kind: 'parse', message: `${proc.path(PROC_PRESSURE_CPU)}: ${m}` }));
  return { kind: 'ok', pressure: { some: p.some, full: p.full }, issues };
}
