// `procs` for people: one block per run (generation), processes as trees, orphans marked.
import type { Census, ClassifiedProcess, Generation } from '../model/census.js';
import { formatArgv, formatBytes, formatStart, truncate } from './format.js';
import type { Style } from './style.js';

export interface TextOptions {
  style: Style;
  now: Date;
  /** Terminal width; command lines are cut to fit unless wide. */
  width: number;
  wide: boolean;
}

export function describeGeneration(g: Generation, all: Generation[]): string {
  const idx = all.indexOf(g);
  const fromEnd = all.length - 1 - idx;
  const pos = all.length === 1 ? 'the only run' : fromEnd === 0 ? 'the latest run' : fromEnd === 1 ? 'the run before last' : `${fromEnd} runs before the latest`;
  return `run ${g.id} of ${all.length} (${pos})`;
}

function statusText(g: Generation, style: Style): string {
  const whose = g.scope === 'project' ? '' : style.dim(g.scope === 'other' ? ` · another project's${g.cwd ? ` (${g.cwd})` : ''}` : ' · project unknown');
  if (g.status === 'running') {
    const by = g.startedBy ? `, started by ${g.startedBy.comm} ${g.startedBy.pid}` : '';
    if (g.serverPid === null) return style.green(`running (no server: a program the server pattern does not name${by})`) + whose;
    return (g.current ? style.green(`running, server ${g.serverPid}${by}`) : style.yellow(`running, server ${g.serverPid}${by} (not the newest run)`)) + whose;
  }
  if (g.status === 'detached') return style.yellow(`DETACHED: server ${g.serverPid} runs on, its launcher gone${g.shadowed ? ' (a newer run is beside it: left over)' : ' (nohup? if you stopped your server, this is it)'}`) + whose;
  return style.red(g.serverPid !== null ? `ORPHANED: server ${g.serverPid}'s run is broken` : 'ORPHANED: its main process is gone') + whose;
}

function line(p: ClassifiedProcess, prefix: string, o: TextOptions): string[] {
  const s = o.style;
  const flags: string[] = [];
  if (p.orphan) flags.push(s.red('ORPHAN'));
  if (p.zombie) flags.push(s.yellow('ZOMBIE'));
  if (p.ports.length > 0) flags.push(s.cyan(p.ports.map((x) => `:${x}`).join(' ')));
  // Read from an outer namespace's /proc (the host's): its pid in its own namespace too.
  const inner = p.nsPids && p.nsPids.length > 1 && p.nsPids[0] === p.pid ? ` (pid ${p.nsPids[p.nsPids.length - 1]} in its container)` : '';
  const head = `${prefix}${s.bold(String(p.pid))}${inner} ${p.role ?? 'other'}/${p.kind ?? '-'} ppid ${p.ppid} pgid ${p.pgid} ${p.user ?? '?'} started ${formatStart(p.startTime, o.now)} rss ${formatBytes(p.rssBytes)}${flags.length ? ' ' + flags.join(' ') : ''}`;
  const indent = ' '.repeat(prefix.length + 2);
  const cmd = formatArgv(p.argv, p.comm);
  // Cut to what is left of the width (at least 20 columns: a narrower line is wrapped where it is written).
  const out = [head, `${indent}${s.dim(o.wide ? cmd : truncate(cmd, Math.max(20, o.width - indent.length)))}`];
  if (p.orphan && p.orphanReason) out.push(`${indent}${s.red('↳')} ${p.orphanReason}`);
  else if (p.adopted && p.adoptedReason) out.push(`${indent}${s.yellow('↳')} ${p.adoptedReason}`);
  if (p.zombie) out.push(`${indent}${s.yellow('↳')} unreaped child (defunct): its parent ${p.ppid} never wait()ed for it; it holds no memory or ports`);
  return out;
}

function tree(members: ClassifiedProcess[], o: TextOptions): string[] {
  const inGen = new Set(members.map((m) => m.pid));
  const children = new Map<number, ClassifiedProcess[]>();
  const roots: ClassifiedProcess[] = [];
  for (const m of members) {
    if (inGen.has(m.ppid) && m.ppid !== m.pid) {
      const list = children.get(m.ppid) ?? [];
      list.push(m);
      children.set(m.ppid, list);
    } else roots.push(m);
  }
  const out: string[] = [];
  const walk = (p: ClassifiedProcess, prefix: string, childPrefix: string) => {
    out.push(...line(p, prefix, o));
    const kids = children.get(p.pid) ?? [];
    kids.forEach((k, i) => {
      const last = i === kids.length - 1;
      walk(k, `${childPrefix}${last ? '└─ ' : '├─ '}`, `${childPrefix}${last ? '   ' : '│  '}`);
    });
  };
  for (const r of roots) walk(r, '  ', '  ');
  return out;
}

export function renderProcs(census: Census, o: TextOptions & { patternSource: string; ports: number[]; all?: boolean }): string {
  const s = o.style;
  const project = census.processes.filter((p) => p.role !== null);
  const out: string[] = [];
  const orphans = project.filter((p) => p.orphan).length;
  const zombies = project.filter((p) => p.zombie).length;
  if (project.length === 0) {
    out.push(s.green(`No server, worker or helper processes found (server pattern /${o.patternSource}/, ports ${o.ports.join(', ')}).`));
  } else {
    const runs = census.generations.length;
    out.push(
      s.bold(`${project.length} project process${project.length === 1 ? '' : 'es'} in ${runs} run${runs === 1 ? '' : 's'}`) +
        (orphans > 0 ? `, ${s.red(`${orphans} orphan${orphans === 1 ? '' : 's'}`)}` : ', no orphans') +
        (zombies > 0 ? `, ${s.yellow(`${zombies} zombie${zombies === 1 ? '' : 's'}`)}` : ''),
    );
    const byPid = new Map(project.map((p) => [p.pid, p]));
    for (const g of census.generations) {
      out.push('');
      const c = g.counts;
      out.push(`${s.bold(describeGeneration(g, census.generations))} · started ${formatStart(g.startedAt, o.now)} · ${statusText(g, s)} · ${c.server} server, ${c.worker} worker${c.worker === 1 ? '' : 's'}, ${c.helper} helper${c.helper === 1 ? '' : 's'}${c.launcher ? `, ${c.launcher} launcher${c.launcher === 1 ? '' : 's'}` : ''} · pgid ${g.pgids.join(',')}${g.linkedBy.length ? ` · tied by ${g.linkedBy.join(', ')}` : ''}`);
      out.push(...tree(g.pids.map((pid) => byPid.get(pid)!), o));
    }
  }
  if (o.all) {
    const others = census.processes.filter((p) => p.role === null);
    out.push('', s.bold(`${others.length} other process${others.length === 1 ? '' : 'es'}`));
    for (const p of others) {
      const head = `  ${String(p.pid).padStart(7)} ppid ${String(p.ppid).padStart(7)} ${(p.user ?? '?').padEnd(8)} ${formatStart(p.startTime, o.now)} ${formatBytes(p.rssBytes).padStart(9)}${p.zombie ? ' ZOMBIE' : ''}  `;
      const cmd = formatArgv(p.argv, p.comm);
      // A narrow terminal leaves the command line too little room beside its columns: it goes under them.
      if (o.wide || o.width - head.length >= 30) out.push(head + (o.wide ? cmd : truncate(cmd, o.width - head.length)));
      else out.push(head.trimEnd(), `${' '.repeat(11)}${truncate(cmd, Math.max(20, o.width - 11))}`);
    }
  }
  out.push(...renderIssues(census, s));
  return out.join('\n') + '\n';
}

export function renderIssues(census: Census, s: Style): string[] {
  const out: string[] = [];
  for (const p of census.snapshot.probes) {
    if (p.status !== 'ok') out.push(s.yellow(`! ${p.probe} ${p.status}: ${p.message ?? ''}`));
  }
  for (const i of census.snapshot.issues) {
    if (i.kind === 'vanished') continue;
    out.push(s.yellow(`! ${i.message}`));
  }
  return out.length > 0 ? ['', 'Not everything could be seen:', ...out] : [];
}
