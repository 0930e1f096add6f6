// Pure parser for `notifyutil -g com.apple.system.thermalpressurelevel` on macOS.
//
// The thermal pressure level is the signal that works on Apple Silicon, where `pmset -g therm`
// prints only "Note:" lines even when throttled (../shared/reference/failure-modes.md §5.2,
// mingrath/mbcheck: 8 ms, no sudo). notifyutil prints the name and the notify(3) state, one line:
//
//   com.apple.system.thermalpressurelevel 1
//
// Scale on macOS (OSThermalNotification.h, via mbcheck and MacThrottle's README): 0 Nominal,
// 1 Moderate, 2 Heavy, 3 Trapping, 4 Sleeping. iOS uses 0/10/20/30/40/50 instead; a value outside
// 0..4 is kept as-is and named "unknown" rather than guessed at.
//
// Caveat: `notifyutil -g` answers `<name> 0` and exits 0 even for a name nobody has ever posted, so
// "0" cannot be told from "no such key" by the output alone (a public measurement of exactly that is
// in the research notes behind §5.2). On macOS the key is posted by the system, so we read 0 as
// nominal, and say so in docs/probes/thermal.md.

export const THERMAL_PRESSURE_KEY = 'com.apple.system.thermalpressurelevel';

/** The argv the darwin thermal probe runs. */
export const NOTIFYUTIL_THERMAL_ARGV: readonly string[] = ['notifyutil', '-g', THERMAL_PRESSURE_KEY];

export const THERMAL_PRESSURE_LEVEL_NAMES: readonly string[] = ['nominal', 'moderate', 'heavy', 'trapping', 'sleeping'];

/** 2 → "heavy"; outside 0..4 → "unknown (N)". */
export function thermalPressureLevelName(level: number): string {
  return THERMAL_PRESSURE_LEVEL_NAMES[level] ?? `unknown (${level})`;
}

export type NotifyutilGet = { ok: true; value: number } | { ok: false; problem: string };

/**
 * The state of `key` from `notifyutil -g key` output. Exactly one line naming that key is expected;
 * anything else (another key, no number, several lines for the key) is a problem, not a guess.
 */
export function parseNotifyutilGet(text: string, key: string = THERMAL_PRESSURE_KEY): NotifyutilGet {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const mine = lines.filter((l) => l === key || l.startsWith(`${key} `) || l.startsWith(`${key}\t`));
  if (mine.length === 0) {
    return { ok: false, problem: lines.length === 0 ? 'empty output' : `no line for ${key} (got "${lines[0]!.slice(0, 80)}")` };
  }
  if (mine.length > 1) return { ok: false, problem: `${mine.length} lines for ${key}` };
  const rest = mine[0]!.slice(key.length).trim();
  if (!/^\d+$/.test(rest)) return { ok: false, problem: `state "${rest.slice(0, 40)}" is not a number` };
  const value = Number(rest);
  if (!Number.isSafeInteger(value)) return { ok: false, problem: `state ${rest} is out of range` };
  return { ok: true, value };
}
