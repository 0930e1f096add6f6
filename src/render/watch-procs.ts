// watch procs for people: one greppable line per sample off a terminal; a live view on one.
import type { Role } from '../model/census.js';
import type { ProcSample, ProcSampleResult } from '../model/proc-sample.js';
import { formatBytes } from './format.js';
import { sparkline } from './sparkline.js';
import type { Style } from './style.js';

const ROLES: Role[] = ['server', 'worker', 'helper'];

const byRole = (r: Record<Role, number>, f: (n: number) => string) => ROLES.map((role) => `${role}:${f(r[role])}`).join(',');
const pids = (xs: ProcSample['appeared']) => (xs.length === 0 ? '-' : xs.map((x) => `${x.pid}/${x.role}`).join(','));

/** One line, key=value, easy to grep. */
export function procLine(s: ProcSampleResult): string {
  if (!s.ok) return `${s.t} procs GAP error=${JSON.stringify(s.error)}`;
  const cpu = s.cpuPercent ? byRole(s.cpuPercent, (n) => n.toFixed(1)) : '-';
  return `${s.t} procs server=${s.counts.server} worker=${s.counts.worker} helper=${s.counts.helper} orphans=${s.orphans} zombies=${s.zombies} runs=${s.runs} cpu%=${cpu} rss=${byRole(s.rssBytes, (n) => formatBytes(n).replace(' ', ''))} appeared=${pids(s.appeared)} vanished=${pids(s.vanished)} cost=${s.costMs}ms`;
}

/** The live view: counts, CPU and RSS per role with sparklines of the last samples. */
export function procView(history: ProcSampleResult[], o: { style: Style; width: number; intervalMs: number }): string {
  const s = o.style;
  const last = history[history.length - 1];
  const w = Math.max(10, Math.min(40, o.width - 60));
  const out: string[] = [];
  out.push(s.bold(`rerun-doctor watch procs · every ${o.intervalMs / 1000}s · ${history.length} sample${history.length === 1 ? '' : 's'} · Ctrl-C to stop`));
  if (!last) return out.join('\n') + '\n';
  if (!last.ok) out.push(s.red(`last sample failed: ${last.error}`));
  const okSamples = history.map((h) => (h.ok ? h : null));
  out.push(`${'role'.padEnd(8)} ${'count'.padStart(5)} ${'cpu%'.padStart(7)} ${'rss'.padStart(10)}  count ${''.padEnd(w - 6)} cpu%`);
  for (const role of ROLES) {
    const cur = last.ok ? last : null;
    const count = cur ? String(cur.counts[role]) : '?';
    const cpu = cur?.cpuPercent ? cur.cpuPercent[role].toFixed(1) : '-';
    const rss = cur ? formatBytes(cur.rssBytes[role]) : '?';
    const countLine = sparkline(okSamples.map((h) => (h ? h.counts[role] : null)), w);
    const cpuLine = sparkline(okSamples.map((h) => (h?.cpuPercent ? h.cpuPercent[role] : null)), w);
    out.push(`${role.padEnd(8)} ${count.padStart(5)} ${cpu.padStart(7)} ${rss.padStart(10)}  ${countLine.padEnd(w)} ${cpuLine}`);
  }
  if (last.ok) {
    const orphanLine = sparkline(okSamples.map((h) => (h ? h.orphans : null)), w);
    const text = `orphans ${String(last.orphans).padStart(5)}   zombies ${last.zombies}   runs ${last.runs}   ${orphanLine}`;
    out.push(last.orphans > 0 ? s.red(text) : text);
    const changes = history.slice(-5).filter((h): h is ProcSample => h.ok && (h.appeared.length > 0 || h.vanished.length > 0));
    for (const c of changes) {
      const parts = [...c.appeared.map((x) => s.green(`+${x.pid} ${x.role}/${x.kind ?? '-'}`)), ...c.vanished.map((x) => s.yellow(`-${x.pid} ${x.role}/${x.kind ?? '-'}`))];
      out.push(`${c.t.slice(11, 19)} ${parts.join('  ')}`);
    }
    out.push(s.dim(`sample cost ${last.costMs} ms`));
  }
  return out.join('\n') + '\n';
}
