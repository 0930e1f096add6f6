// Pure parsers for nvidia-smi's CSV queries. The NVIDIA probe (src/probes/gpu.nvidia.ts) runs
//
//   nvidia-smi --query-gpu=index,uuid,name,memory.used,memory.total,utilization.gpu,temperature.gpu,driver_version --format=csv,noheader,nounits
//   nvidia-smi --query-compute-apps=pid,used_memory,gpu_uuid --format=csv,noheader,nounits
//   nvidia-smi --query-gpu=index,clocks_event_reasons.active,…,clocks_event_reasons_counters.… --format=csv,noheader,nounits
//
// and hands the text here. Rules every parser follows (../shared/reference/failure-modes.md §5.4, §7.6):
//
// * Parse by position, never by header name. `noheader` drops the header line, and the header is
//   untrustworthy anyway: from driver 535.113.01 it says `clocks_event_reasons` even when the
//   `clocks_throttle_reasons` names were queried (utkuozdemir/nvidia_gpu_exporter#123). The column
//   order is the order of the fields in our own argv, so the argv is built from the same field list
//   the parser reads (`clockQueryFields`).
// * Unknown is null, never zero or "inactive": nvidia-smi prints `[N/A]`, `N/A`, `[Not Supported]`,
//   and other bracketed notes such as `[Requested functionality has been deprecated]` (seen in the
//   H100 590.48.01 capture of utkuozdemir/nvidia_gpu_exporter, internal/captures/) where it has no
//   value. Every fully bracketed cell is treated as unknown.
// * Fields are separated by `, `; none of the fields we query can contain a comma (no process_name).
// * A line with the wrong number of fields, or text in a numeric column, is a ParseError that
//   quotes the line: a changed output format must not turn into silent zeros.
import { ParseError } from '../../host/errors.js';

/** The per-GPU query: identity, memory (MiB), utilisation (%), temperature (°C), driver. */
export const GPU_QUERY_FIELDS: readonly string[] = [
  'index',
  'uuid',
  'name',
  'memory.used',
  'memory.total',
  'utilization.gpu',
  'temperature.gpu',
  'driver_version',
];

/** `--help-query-compute-apps`: `used_memory` is an alias of `used_gpu_memory` (MiB). */
export const COMPUTE_APPS_FIELDS: readonly string[] = ['pid', 'used_memory', 'gpu_uuid'];

/** `csv` is mandatory; `noheader` and `nounits` leave one bare value per cell. */
export const CSV_FORMAT = '--format=csv,noheader,nounits';

export function gpuQueryArgv(): string[] {
  return ['nvidia-smi', `--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, CSV_FORMAT];
}

export function computeAppsArgv(): string[] {
  return ['nvidia-smi', `--query-compute-apps=${COMPUTE_APPS_FIELDS.join(',')}`, CSV_FORMAT];
}

/**
 * The clock event reason flags we read, each `Active` / `Not Active`. The thermal ones are the
 * throttling evidence (§5.4); `hw_slowdown` also covers power-brake slowdowns; `sw_power_cap` is
 * common under full load and is reported so a reader can tell it apart from thermal throttling.
 */
export const CLOCK_REASON_FLAGS: readonly string[] = ['sw_thermal_slowdown', 'hw_thermal_slowdown', 'hw_slowdown', 'sw_power_cap'];

/**
 * Microsecond counters (`clocks_event_reasons_counters.*`, "Retrieves counters in microseconds for
 * events which have reduced the frequency of clocks": `nvidia-smi --help-query-gpu`, 590.48.01).
 * The driver has no counter for `hw_slowdown`. Counters tell throttling after the fact, when the
 * flag is no longer Active (NVIDIA/k8s-test-infra#691).
 */
export const CLOCK_REASON_COUNTERS: readonly string[] = ['sw_thermal_slowdown', 'hw_thermal_slowdown', 'sw_power_cap'];

/**
 * Which names to ask for. `event` is the current naming; older drivers know only `throttle` and
 * reject the event names outright (`Field "clocks_event_reasons.active" is not a valid field to
 * query.`). Counters exist only under the event naming, and not on every driver that has it.
 */
export interface ClockQuery {
  naming: 'event' | 'throttle';
  counters: boolean;
}

/** The three queries the probe tries, most informative first. */
export const CLOCK_QUERIES: readonly ClockQuery[] = [
  { naming: 'event', counters: true },
  { naming: 'event', counters: false },
  { naming: 'throttle', counters: false },
];

export function clockQueryFields(q: ClockQuery): string[] {
  const prefix = q.naming === 'event' ? 'clocks_event_reasons' : 'clocks_throttle_reasons';
  const fields = ['index', `${prefix}.active`, ...CLOCK_REASON_FLAGS.map((f) => `${prefix}.${f}`)];
  if (q.counters) fields.push(...CLOCK_REASON_COUNTERS.map((c) => `clocks_event_reasons_counters.${c}`));
  return fields;
}

export function clockQueryArgv(q: ClockQuery): string[] {
  return ['nvidia-smi', `--query-gpu=${clockQueryFields(q).join(',')}`, CSV_FORMAT];
}

export interface NvidiaGpuRow {
  index: number;
  uuid: string | null;
  name: string | null;
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
  utilizationPercent: number | null;
  temperatureC: number | null;
  driverVersion: string | null;
}

export interface NvidiaComputeApp {
  pid: number;
  /** MiB; null when nvidia-smi cannot tell (`[N/A]` in containers and under WDDM). */
  usedMemoryMiB: number | null;
  gpuUuid: string | null;
}

export interface NvidiaClockRow {
  index: number;
  /** `clocks_event_reasons.active`: the bitmask of active reasons (nvml.h), null when unknown. */
  activeMask: bigint | null;
  /** Flag name (without prefix) → Active (true) / Not Active (false) / unknown (null). */
  flags: Record<string, boolean | null>;
  /** Counter name → microseconds; null when unknown. Empty when counters were not queried. */
  counters: Record<string, number | null>;
}

/** nvml.h `nvmlClocksEventReason*` bits (the same values as the older `nvmlClocksThrottleReason*`). */
export const CLOCK_EVENT_REASON_BITS: ReadonlyArray<readonly [bigint, string]> = [
  [0x1n, 'gpu_idle'],
  [0x2n, 'applications_clocks_setting'],
  [0x4n, 'sw_power_cap'],
  [0x8n, 'hw_slowdown'],
  [0x10n, 'sync_boost'],
  [0x20n, 'sw_thermal_slowdown'],
  [0x40n, 'hw_thermal_slowdown'],
  [0x80n, 'hw_power_brake_slowdown'],
  [0x100n, 'display_clock_setting'],
];

/** A cell's text, or null when nvidia-smi says it has no value. */
export function nvidiaCell(raw: string): string | null {
  const v = raw.trim();
  if (v === '' || v === 'N/A' || (v.startsWith('[') && v.endsWith(']'))) return null;
  return v;
}

/** Fields of one CSV line, trimmed. */
export function splitNvidiaCsv(line: string): string[] {
  return line.split(',').map((f) => f.trim());
}

function dataLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '');
}

function fieldsOf(line: string, expected: number, source: string): string[] {
  const fields = splitNvidiaCsv(line);
  if (fields.length !== expected) {
    throw new ParseError(`expected ${expected} comma-separated fields, got ${fields.length}: ${JSON.stringify(line)}`, source);
  }
  return fields;
}

// `nounits` should leave bare numbers; a unit is tolerated in case a caller or an nvidia-smi build
// keeps it (the 590.48.01 capture without `nounits` prints `19818 MiB`, `0 us`, `100 %`).
const NUMBER = /^(-?\d+(?:\.\d+)?)(?:\s*(?:MiB|%|C|us|W|MHz))?$/;

function numberCell(raw: string, what: string, line: string, source: string): number | null {
  const v = nvidiaCell(raw);
  if (v === null) return null;
  const m = NUMBER.exec(v);
  if (!m) throw new ParseError(`${what} is not a number (${JSON.stringify(v)}): ${JSON.stringify(line)}`, source);
  return Number(m[1]);
}

function integerCell(raw: string, what: string, line: string, source: string): number {
  const n = numberCell(raw, what, line, source);
  if (n === null || !Number.isInteger(n) || n < 0) throw new ParseError(`${what} must be a non-negative integer: ${JSON.stringify(line)}`, source);
  return n;
}

/** Parses `--query-gpu=index,uuid,name,memory.used,memory.total,utilization.gpu,temperature.gpu,driver_version`. */
export function parseGpuQuery(text: string, source: string): NvidiaGpuRow[] {
  return dataLines(text).map((line) => {
    const [index, uuid, name, used, total, util, temp, driver] = fieldsOf(line, GPU_QUERY_FIELDS.length, source) as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    return {
      index: integerCell(index, 'index', line, source),
      uuid: nvidiaCell(uuid),
      name: nvidiaCell(name),
      memoryUsedMiB: numberCell(used, 'memory.used', line, source),
      memoryTotalMiB: numberCell(total, 'memory.total', line, source),
      utilizationPercent: numberCell(util, 'utilization.gpu', line, source),
      temperatureC: numberCell(temp, 'temperature.gpu', line, source),
      driverVersion: nvidiaCell(driver),
    };
  });
}

// Some builds print this sentence instead of an empty CSV body when nothing runs; the plain table's
// wording is "No running processes found" (captures in utkuozdemir/nvidia_gpu_exporter).
const NO_PROCESSES = /^no running (?:compute )?processes found/i;

/** Parses `--query-compute-apps=pid,used_memory,gpu_uuid`. Empty output means no compute process. */
export function parseComputeApps(text: string, source: string): NvidiaComputeApp[] {
  return dataLines(text)
    .filter((line) => !NO_PROCESSES.test(line.trim()))
    .map((line) => {
      const [pid, used, uuid] = fieldsOf(line, COMPUTE_APPS_FIELDS.length, source) as [string, string, string];
      return {
        pid: integerCell(pid, 'pid', line, source),
        usedMemoryMiB: numberCell(used, 'used_memory', line, source),
        gpuUuid: nvidiaCell(uuid),
      };
    });
}

function flagCell(raw: string, what: string, line: string, source: string): boolean | null {
  const v = nvidiaCell(raw);
  if (v === null) return null;
  // `NotActive` is listed among the values seen in the wild (failure-modes.md §5.4).
  if (v === 'Active') return true;
  if (v === 'Not Active' || v === 'NotActive') return false;
  throw new ParseError(`${what} is neither Active nor Not Active (${JSON.stringify(v)}): ${JSON.stringify(line)}`, source);
}

function maskCell(raw: string, line: string, source: string): bigint | null {
  const v = nvidiaCell(raw);
  if (v === null) return null;
  // 16 hex digits (`0x0000000000000004`): a 64-bit mask, so BigInt rather than Number.
  if (!/^0x[0-9a-fA-F]{1,16}$/.test(v)) throw new ParseError(`active reasons is not a hex bitmask (${JSON.stringify(v)}): ${JSON.stringify(line)}`, source);
  return BigInt(v);
}

/** Parses the clock event reasons query built by `clockQueryArgv(q)`, by position. */
export function parseClockQuery(text: string, source: string, q: ClockQuery): NvidiaClockRow[] {
  const width = clockQueryFields(q).length;
  return dataLines(text).map((line) => {
    const f = fieldsOf(line, width, source);
    const flags: Record<string, boolean | null> = {};
    CLOCK_REASON_FLAGS.forEach((name, i) => {
      flags[name] = flagCell(f[2 + i]!, name, line, source);
    });
    const counters: Record<string, number | null> = {};
    if (q.counters) {
      CLOCK_REASON_COUNTERS.forEach((name, i) => {
        counters[name] = numberCell(f[2 + CLOCK_REASON_FLAGS.length + i]!, `counter ${name}`, line, source);
      });
    }
    return { index: integerCell(f[0]!, 'index', line, source), activeMask: maskCell(f[1]!, line, source), flags, counters };
  });
}

/** Reason names whose bit is set in an active mask, in bit order; unknown bits as `bit_0x…`. */
export function decodeClockEventMask(mask: bigint): string[] {
  const names: string[] = [];
  let known = 0n;
  for (const [bit, name] of CLOCK_EVENT_REASON_BITS) {
    known |= bit;
    if (mask & bit) names.push(name);
  }
  // NVIDIA/nvidia-settings#80: `supported` can be 0x1FF while the header documents fewer bits.
  for (let bit = 1n << 9n, rest = mask & ~known; rest !== 0n; bit <<= 1n) {
    if (rest & bit) {
      names.push(`bit_0x${bit.toString(16)}`);
      rest &= ~bit;
    }
  }
  return names;
}

/**
 * The reasons holding the clocks down: every flag column that says Active, plus what the mask adds
 * (reasons we have no column for, such as hw_power_brake_slowdown or sync_boost). `gpu_idle` is left
 * out: it is Active on every idle GPU and is not a slowdown (JuliaGPU/CUDA.jl#2194).
 */
export function activeClockReasons(row: NvidiaClockRow): string[] {
  const out = new Set<string>();
  for (const name of CLOCK_REASON_FLAGS) if (row.flags[name] === true) out.add(name);
  if (row.activeMask !== null) for (const name of decodeClockEventMask(row.activeMask)) out.add(name);
  out.delete('gpu_idle');
  return [...out];
}

/** Counters with a known value (name → µs), for GpuDevice.eventReasonCounters. */
export function knownCounters(row: NvidiaClockRow): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, v] of Object.entries(row.counters)) if (v !== null) out[name] = v;
  return out;
}

/**
 * The field nvidia-smi rejected, from `Field "clocks_event_reasons.active" is not a valid field to
 * query.` (the wording of published transcripts; printed on stdout, with a non-zero exit). Null when
 * the output says no such thing.
 */
export function rejectedQueryField(output: string): string | null {
  const m = /Field "([^"]+)" is not a valid field to query/.exec(output);
  return m ? m[1]! : null;
}

/**
 * The line nvidia-smi prints when it cannot reach the kernel driver (driver not loaded, a container
 * started without the GPU, a kernel update without the module rebuilt), or null. nvidia-smi(1)
 * RETURN VALUE: exit 9, "NVIDIA driver is not loaded".
 */
export function driverUnreachableMessage(output: string): string | null {
  // `.` for the apostrophe: copies of the message circulate with a typographic one.
  const m = /NVIDIA-SMI has failed because it couldn.t communicate with the NVIDIA driver\.?/.exec(output);
  return m ? m[0] : null;
}
