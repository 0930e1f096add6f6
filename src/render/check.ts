// check's result, for people: how the run went, what it left behind, the diagnosis of what it left
// (its JSON is checkJson in json.ts).
import type { CheckResult } from '../model/check.js';
import { renderDiagnosisText } from './diagnosis.js';
import type { Style } from './style.js';

export function renderCheck(r: CheckResult, s: Style, command: string[]): string {
  const out: string[] = [];
  out.push(s.bold(`check: ${command.join(' ')}${r.serverPid ? ` (pid ${r.serverPid})` : ''}`));
  if (r.error) return [...out, s.red(`could not check: ${r.error}`), ...(r.serverPid === null ? [] : [`server output: ${r.logFile}`])].join('\n') + '\n';
  out.push(`  ready in ${((r.readyMs ?? 0) / 1000).toFixed(1)} s; ${r.loadExit !== null ? `load took ${((r.loadMs ?? 0) / 1000).toFixed(1)} s (exit ${r.loadExit})` : `held ${((r.loadMs ?? 0) / 1000).toFixed(1)} s`}; stopped with ${r.stopSignals.join(', then ')}; it exited after ${((r.exitedAfterMs ?? 0) / 1000).toFixed(1)} s`);
  if (r.leftBehind.length === 0) out.push(s.green('  left behind: nothing'));
  else {
    out.push(s.red(`  left behind: ${r.leftBehind.length} process${r.leftBehind.length === 1 ? '' : 'es'}`));
    for (const p of r.leftBehind) out.push(`    ${p.pid} ${p.role ?? 'other'}/${p.kind ?? '-'}${p.orphan ? ' ORPHAN' : ''}  ${p.argv.join(' ').slice(0, 100)}`);
  }
  out.push(`  GPU memory: ${r.gpuBeforeMiB === null ? 'unavailable' : `${r.gpuBeforeMiB} MiB before, ${r.gpuAfterMiB ?? '?'} MiB after`}`);
  out.push(`  server output: ${r.logFile}`, '');
  if (r.diagnosis) out.push(renderDiagnosisText(r.diagnosis, s).trimEnd());
  return out.join('\n') + '\n';
}
