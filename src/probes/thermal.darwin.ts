// macOS thermal evidence: `pmset -g therm` (Intel CPU_Speed_Limit) and
// `notifyutil -g com.apple.system.thermalpressurelevel` (the thermal pressure level, the signal that
// works on Apple Silicon). See docs/probes/thermal.md and ../shared/reference/failure-modes.md
// §5.1, §5.2, §7.3.
//
// Each command is one part: a part that cannot run (not on PATH) is unknown (null, with an issue),
// never "fine". With neither part known the outcome is `unavailable` (or `failed` when a command ran
// and broke), so "pmset printed only Note: lines and notifyutil is missing" is not "not throttled".
import type { Host } from '../host/host.js';
import type { CommandResult } from '../host/run-command.js';
import { failed, ok, unavailable, type Outcome } from '../model/outcome.js';
import type { SnapshotIssue } from '../model/snapshot.js';
import type { ThermalEvidence } from '../model/thermal.js';
import { NOTIFYUTIL_THERMAL_ARGV, THERMAL_PRESSURE_KEY, parseNotifyutilGet } from '../os/darwin/notifyutil.js';
import { PMSET_THERM_ARGV, parsePmsetTherm } from '../os/darwin/pmset.js';
import { firstLine } from '../host/run-command.js';

const PROBE = 'thermal.darwin';
/** Both commands answer in milliseconds (notifyutil: 8 ms, mbcheck); a hang is a failure, not a wait. */
const TIMEOUT_MS = 5_000;

type Part<T> = { state: 'value'; value: T; issues: SnapshotIssue[] } | { state: 'nothing'; why: string; issues: SnapshotIssue[] } | { state: 'absent'; why: string } | { state: 'failed'; why: string };


/** notFound / timedOut / non-zero exit, or null when the command ran and exited 0. */
function runProblem(name: string, res: CommandResult): Part<never> | null {
  if (res.notFound) return { state: 'absent', why: `${name} is not on PATH` };
  if (res.timedOut) return { state: 'failed', why: `${name} timed out after ${TIMEOUT_MS} ms` };
  if (res.code !== 0) return { state: 'failed', why: `${name} failed: ${firstLine(res.stderr) || `exit status ${String(res.code)}`}` };
  return null;
}

/** What pmset -g therm recorded: any of the three may be missing. */
interface PmsetValues {
  cpuSpeedLimitPercent: number | null;
  thermalWarningLevel: number | null;
  performanceWarningLevel: number | null;
}

function pmsetPart(res: CommandResult): Part<PmsetValues> {
  const problem = runProblem('pmset', res);
  if (problem) return problem;
  const parsed = parsePmsetTherm(res.stdout);
  const issues: SnapshotIssue[] = parsed.unrecognised.length > 0 ? [{ probe: PROBE, kind: 'parse', message: `pmset -g therm: ${parsed.unrecognised.length} line(s) not understood, first: "${parsed.unrecognised[0]!.slice(0, 80)}"` }] : [];
  if (parsed.errors.length > 0) issues.push({ probe: PROBE, kind: 'failed', message: `pmset -g therm: ${parsed.errors.join('; ').slice(0, 200)}` });
  const value: PmsetValues = { cpuSpeedLimitPercent: parsed.cpuSpeedLimitPercent, thermalWarningLevel: parsed.thermalWarningLevel, performanceWarningLevel: parsed.performanceWarningLevel };
  if (value.cpuSpeedLimitPercent !== null || value.thermalWarningLevel !== null || value.performanceWarningLevel !== null) return { state: 'value', value, issues };
  // Apple Silicon prints only Note: lines even when throttled (§5.2): nothing recorded, not 100 %.
  const why = parsed.nothingRecorded ? 'pmset -g therm has no CPU power status recorded (only Note: lines, as on every Apple Silicon Mac)' : 'pmset -g therm printed no CPU_Speed_Limit and no warning level';
  return { state: 'nothing', why, issues };
}

function notifyutilPart(res: CommandResult): Part<number> {
  const problem = runProblem('notifyutil', res);
  if (problem) return problem;
  const parsed = parseNotifyutilGet(res.stdout, THERMAL_PRESSURE_KEY);
  if (!parsed.ok) return { state: 'failed', why: `notifyutil -g ${THERMAL_PRESSURE_KEY}: ${parsed.problem}` };
  return { state: 'value', value: parsed.value, issues: [] };
}

function why(p: Part<unknown>): string {
  return p.state === 'value' ? '' : p.why;
}

/**
 * One sample of macOS thermal evidence. Both commands run with LC_ALL=C (as every darwin probe does,
 * so any message we match is English) and a short timeout.
 */
export async function darwinThermal(host: Host): Promise<Outcome<ThermalEvidence>> {
  const pmsetArgv = [...PMSET_THERM_ARGV];
  const notifyArgv = [...NOTIFYUTIL_THERMAL_ARGV];
  const source = `${pmsetArgv.join(' ')}; ${notifyArgv.join(' ')}`;
  const env = { ...host.env, LC_ALL: 'C' };
  const [pmRes, nuRes] = await Promise.all([host.run(pmsetArgv, { env, timeoutMs: TIMEOUT_MS }), host.run(notifyArgv, { env, timeoutMs: TIMEOUT_MS })]);
  const pm = pmsetPart(pmRes);
  const nu = notifyutilPart(nuRes);

  if (pm.state !== 'value' && nu.state !== 'value') {
    const reasons = `${why(pm)}; ${why(nu)}`;
    if (pm.state === 'failed' || nu.state === 'failed') return failed(`${reasons}: macOS thermal state unknown`, source);
    return unavailable(`macOS thermal evidence is unavailable: ${reasons}. Throttling is unknown, not ruled out.`, source);
  }

  const issues: SnapshotIssue[] = [];
  const sources: string[] = [];
  if (pm.state === 'value' || pm.state === 'nothing') {
    issues.push(...pm.issues);
    sources.push(pmsetArgv.join(' '));
  }
  if (pm.state === 'absent') issues.push({ probe: PROBE, kind: 'unavailable', message: `${pm.why}: CPU_Speed_Limit unknown, and the warning levels` });
  if (pm.state === 'failed') issues.push({ probe: PROBE, kind: 'failed', message: pm.why });
  if (nu.state === 'value') sources.push(notifyArgv.join(' '));
  if (nu.state === 'absent') issues.push({ probe: PROBE, kind: 'unavailable', message: `${nu.why}: thermal pressure level unknown` });
  if (nu.state === 'failed') issues.push({ probe: PROBE, kind: 'failed', message: nu.why });

  return ok<ThermalEvidence>(
    {
      platform: 'darwin',
      cpus: [],
      coolingDevices: [],
      cpuPressureSomeAvg10: null,
      cpuSpeedLimitPercent: pm.state === 'value' ? pm.value.cpuSpeedLimitPercent : null,
      thermalPressureLevel: nu.state === 'value' ? nu.value : null,
      thermalWarningLevel: pm.state === 'value' ? pm.value.thermalWarningLevel : null,
      performanceWarningLevel: pm.state === 'value' ? pm.value.performanceWarningLevel : null,
      gpuThermalSlowdown: [],
      sources,
    },
    source,
    issues,
  );
}
