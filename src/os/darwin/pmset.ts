// Pure parser for `pmset -g therm` on macOS.
//
// Shapes (../shared/reference/failure-modes.md §5.1, §5.2, §7.3):
//
//   Intel (prometheus/node_exporter#2031; throttled values from yujitach/MenuMeters#158):
//     Note: No thermal warning level has been recorded
//     Note: No performance warning level has been recorded
//     2021-05-02 11:51:57 +0800 CPU Power notify
//     <TAB>CPU_Scheduler_Limit <TAB>= 100
//     <TAB>CPU_Available_CPUs <TAB>= 12
//     <TAB>CPU_Speed_Limit <TAB>= 100
//
//   Apple Silicon, even under heavy sustained load (exelban/stats#749, mingrath/mbcheck, macmade/Hot#80):
//     Note: No thermal warning level has been recorded
//     Note: No performance warning level has been recorded
//     Note: No CPU power status has been recorded
//
// `Note:` lines mean "nothing recorded" (IOPMCopyCPUPowerStatus returns kIOReturnNotFound,
// leaperone/smctl#1); they are NOT "100 %". So the speed limit is null there, never 100, and the
// caller must look elsewhere (the thermal pressure level, ./notifyutil.ts).
//
// When a warning level IS recorded, pmset prints it on one line after the date (Apple's pmset.m,
// PowerManagement-1846.0.25.0.1, show_thermal_warning_level / show_performance_warning_level: the
// date and a space, then `Thermal Warning Level = %d`; the date is left out only if it cannot be
// formatted):
//
//     2021-05-02 11:51:57 +0800 Thermal Warning Level = 5
//     2021-05-02 11:51:57 +0800 Performance Warning Level = 100
//
// No published capture shows one (every real output in test/fixtures/darwin/captured/pmset/ has the
// "No … recorded" notes instead), so the shape is the source's. The levels (IOPM.h, IOPMPrivate.h):
// thermal 0 normal, 5 danger ("thermal pressure may cause system slowdown"), 10 critical, 100
// warning (the newer alias of danger), 110 trap, 255 unknown; performance 0 normal, 100 warning.
// A failed query prints `Error:Failed to get thermal warning level with error code 0x…` or
// `Error: No CPU power status with error code 0x…`: kept apart as errors, never read as a level.
//
// Values follow a timestamped "… CPU Power notify" line as `key <TAB>= value`. Copies of the output
// in forum posts have the tabs turned into spaces (newbetuts.com "pmset CPU_Speed_Limit" post), so
// any whitespace is accepted around `=`. A key = value line with no timestamp line before it still
// counts (into a block without a timestamp) rather than being dropped.

/** The argv the darwin thermal probe runs. */
export const PMSET_THERM_ARGV: readonly string[] = ['pmset', '-g', 'therm'];

export interface PmsetThermBlock {
  /** `2021-05-02 11:51:57 +0800`, as printed (local time with its offset); null when values came without one. */
  timestamp: string | null;
  /** The rest of the timestamp line: `CPU Power notify`. */
  event: string | null;
  /** `CPU_Speed_Limit` → 100, … */
  values: Record<string, number>;
}

export interface PmsetTherm {
  /** The text after `Note:` on each Note line. */
  notes: string[];
  blocks: PmsetThermBlock[];
  /**
   * `CPU_Speed_Limit` (percent of nominal clock) from the last block that has one; null when nothing
   * was recorded (Apple Silicon always; Intel before the first power notification).
   */
  cpuSpeedLimitPercent: number | null;
  /** `CPU_Scheduler_Limit` (percent of scheduler capacity), same rule. */
  cpuSchedulerLimitPercent: number | null;
  /** `CPU_Available_CPUs`, same rule. */
  cpuAvailableCpus: number | null;
  /** `Thermal Warning Level = N` (0 normal; see above), the last one printed; null when not recorded. */
  thermalWarningLevel: number | null;
  /** `Performance Warning Level = N` (0 normal, 100 warning), the last one printed; null when not recorded. */
  performanceWarningLevel: number | null;
  /** True when only `Note:` lines came back: pmset has nothing recorded, which is not "no throttling". */
  nothingRecorded: boolean;
  /** `Error:` lines (a query pmset could not answer), the text after `Error:`. */
  errors: string[];
  /** Lines we did not understand (`Error: …`, new formats), verbatim. */
  unrecognised: string[];
}

const NOTE = /^Note:\s*(.*)$/;
const ERROR = /^Error:\s*(.*)$/;
const WARNING_LEVEL = /^(?:\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}\s+)?(Thermal|Performance) Warning Level\s*=\s*(-?\d+)$/;
const STAMP = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4})\s*(.*)$/;
const VALUE = /^([A-Za-z][A-Za-z0-9_]*)\s*=\s*(-?\d+)$/;

function lastValue(blocks: PmsetThermBlock[], key: string): number | null {
  for (let i = blocks.length - 1; i >= 0; i--) {
    const v = blocks[i]!.values[key];
    if (v !== undefined) return v;
  }
  return null;
}

export function parsePmsetTherm(text: string): PmsetTherm {
  const notes: string[] = [];
  const blocks: PmsetThermBlock[] = [];
  const unrecognised: string[] = [];
  const errors: string[] = [];
  let thermalWarningLevel: number | null = null;
  let performanceWarningLevel: number | null = null;
  let current: PmsetThermBlock | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    let m = NOTE.exec(line);
    if (m) {
      notes.push(m[1]!);
      continue;
    }
    m = ERROR.exec(line);
    if (m) {
      errors.push(m[1]!);
      continue;
    }
    // Before STAMP: a dated warning level is a line of its own, not the start of a values block.
    m = WARNING_LEVEL.exec(line);
    if (m) {
      if (m[1] === 'Thermal') thermalWarningLevel = Number(m[2]);
      else performanceWarningLevel = Number(m[2]);
      continue;
    }
    m = STAMP.exec(line);
    if (m) {
      current = { timestamp: m[1]!, event: m[2] || null, values: {} };
      blocks.push(current);
      continue;
    }
    m = VALUE.exec(line);
    if (m) {
      if (current === null) {
        current = { timestamp: null, event: null, values: {} };
        blocks.push(current);
      }
      current.values[m[1]!] = Number(m[2]);
      continue;
    }
    unrecognised.push(line);
  }
  return {
    notes,
    blocks,
    cpuSpeedLimitPercent: lastValue(blocks, 'CPU_Speed_Limit'),
    cpuSchedulerLimitPercent: lastValue(blocks, 'CPU_Scheduler_Limit'),
    cpuAvailableCpus: lastValue(blocks, 'CPU_Available_CPUs'),
    thermalWarningLevel,
    performanceWarningLevel,
    nothingRecorded: blocks.length === 0 && unrecognised.length === 0 && errors.length === 0 && thermalWarningLevel === null && performanceWarningLevel === null,
    errors,
    unrecognised,
  };
}
