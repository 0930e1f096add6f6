// The evidence bundle: one Markdown file a person can read and a replay can read back. The diagnosis,
// port holders, process trees, the project's ps lines, the head of the metrics, GPU and thermal
// state, /dev/shm and the versions, then the evidence document itself (redacted, trimmed to what the
// diagnosis reads) so `rerun-doctor diagnose --from BUNDLE.md` gives the same diagnosis elsewhere.
import type { Census, PortReport } from '../model/census.js';
import type { Diagnosis } from '../model/diagnosis.js';
import { EMBED_MARKER, type Evidence } from '../model/evidence.js';
import { renderDiagnosisMarkdown } from './diagnosis.js';
import { formatArgv, formatBytes } from './format.js';
import { renderPorts } from './ports.js';
import { renderProcs } from './procs.js';
import { makeStyle } from './style.js';

export interface BundleParts {
  evidence: Evidence;
  census: Census;
  ports: PortReport[];
  diagnosis: Diagnosis;
  kept: { processes: number; of: number };
  now: Date;
}

const fence = (t: string, lang = 'text') => ['```' + lang, t.trimEnd(), '```'];

/** /dev/shm: how full, and each segment with its size, owner, times and holders (the first 50). */
function shmSection(e: Evidence): string[] {
  const o = e.shm;
  if (!o) return fence('unavailable: not in this document (collected by an older rerun-doctor)');
  if (o.status !== 'ok') return fence(`${o.status}: ${o.reason}`);
  const v = o.value;
  const head = [
    `${v.dir}: ${v.usage ? `${formatBytes(v.usage.usedBytes)} of ${formatBytes(v.usage.totalBytes)} used (${v.usage.percent}%)` : 'fullness unknown'}; ${v.segments.length} segment(s) of the known kinds${v.unlisted.count ? ` (+${v.unlisted.count} not listed)` : ''}, ${v.other.count} other entr${v.other.count === 1 ? 'y' : 'ies'}`,
    `holders: ${v.visibility.complete ? 'every process in view' : 'not every process in view'} (${v.visibility.reason}); ${v.scanned} process(es) read${v.unreadable.length ? `, ${v.unreadable.reduce((n, u) => n + u.pids.length, 0)} unreadable` : ''}`,
    '',
    'NAME                              KIND   SIZE       UID  CREATED                   HOLDERS',
  ];
  const rows = v.segments.slice(0, 50).map((s) => `${s.name.padEnd(33)} ${s.kind.padEnd(6)} ${formatBytes(s.usedBytes).padStart(9)} ${String(s.uid).padStart(5)}  ${s.createdAt}  ${s.holders.length ? s.holders.map((h) => `${h.pid}${h.map ? '' : '(fd)'}`).join(' ') : '-'}`);
  if (v.segments.length > 50) rows.push(`… ${v.segments.length - 50} more (in the document below)`);
  return fence([...head, ...rows].join('\n'));
}

export function renderEvidenceBundle(b: BundleParts): string {
  const { evidence: e, census, diagnosis: d } = b;
  const plain = makeStyle(false);
  const text = { style: plain, now: b.now, width: 200, wide: true };
  const project = census.processes.filter((p) => p.role !== null);
  const psLines = ['    PID    PPID    PGID USER     STARTED                  RSS       COMMAND', ...project.map((p) => `${String(p.pid).padStart(7)} ${String(p.ppid).padStart(7)} ${String(p.pgid).padStart(7)} ${(p.user ?? '?').padEnd(8)} ${p.startTime} ${formatBytes(p.rssBytes).padStart(9)} ${formatArgv(p.argv, p.comm)}`)];
  const metricsHead = e.metrics.status === 'ok' ? (e.metrics.value.head ?? 'no body was read') : `${e.metrics.status}: ${e.metrics.reason}`;
  const metricsUrl = e.metrics.status === 'ok' ? e.metrics.value.url : e.metrics.source.replace(/^GET /, '');
  const gpu = e.gpu.status === 'ok' ? fence(JSON.stringify(e.gpu.value, null, 2), 'json') : fence(`${e.gpu.status}: ${e.gpu.reason}`);
  const memory = e.memory === undefined ? fence('not in this document') : e.memory.status === 'ok' ? fence(JSON.stringify(e.memory.value, null, 2), 'json') : fence(`${e.memory.status}: ${e.memory.reason}`);
  const thermal = e.thermal.status === 'ok' ? fence(JSON.stringify(e.thermal.value.last, null, 2), 'json') : fence(`${e.thermal.status}: ${e.thermal.reason}`);
  const shm = shmSection(e);
  const cpu = cpuSection(e, project);
  const multiproc = multiprocSection(e);
  const unixSockets = unixSection(e, census);
  const versions = e.environment ? Object.entries(e.environment).map(([k, v]) => `- ${k}: ${v}`) : [`- tool: ${e.tool}`];
  const redactions = e.redacted?.values ?? 0;
  return [
    `# rerun-doctor evidence: ${e.snapshot.hostname}, ${b.now.toISOString()}`,
    '',
    `Verdict: **${d.verdict}**`,
    '',
    '## Versions',
    '',
    ...versions,
    '',
    renderDiagnosisMarkdown(d),
    '## Port holders',
    '',
    ...fence(renderPorts(census, b.ports, text)),
    '',
    '## Process trees',
    '',
    ...fence(renderProcs(census, { ...text, patternSource: e.settings.census.serverPattern, ports: e.settings.census.ports })),
    '',
    "## ps lines (the project's processes)",
    '',
    ...fence(psLines.join('\n')),
    '',
    `## Metrics (${metricsUrl}, first lines)`,
    '',
    ...fence(metricsHead),
    '',
    '## GPU',
    '',
    ...gpu,
    '',
    '## Thermal',
    '',
    ...thermal,
    '',
    '## Memory',
    '',
    ...memory,
    '',
    '## Shared memory',
    '',
    ...shm,
    '',
    "## Threads and CPUs (the project's processes)",
    '',
    ...cpu,
    '',
    '## prometheus_client multiprocess directories',
    '',
    ...multiproc,
    '',
    "## Unix sockets (the project's listeners, socket files)",
    '',
    ...unixSockets,
    '',
    '## The evidence document',
    '',
    `What the diagnosis above was made from (${b.kept.processes} of the ${b.kept.of} processes the census saw: the others play no part in it). Replay it with \`rerun-doctor diagnose --from THIS_FILE\`.`,
    '',
    '<details><summary>evidence.json</summary>',
    '',
    EMBED_MARKER,
    '',
    ...fence(JSON.stringify(e, null, 1), 'json'),
    '',
    '</details>',
    '',
    '---',
    `${redactions} value${redactions === 1 ? '' : 's'} redacted (shown as [REDACTED]). Review this file before sharing it: a secret with no recognisable shape cannot be found.`,
    '',
  ].join('\n');
}

const CAPS = ['OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'TORCH_NUM_THREADS'];

/** Threads, preemptions, affinity and thread caps per process, then CPUs online and the cgroup quotas (cpu-oversubscribed). */
function cpuSection(e: Evidence, project: Census['processes']): string[] {
  const rows = project.filter((p) => p.threads !== undefined && !p.zombie);
  const table = rows.length === 0
    ? 'no thread counts in this document (macOS, or collected by an older rerun-doctor)'
    : ['    PID ROLE     THREADS  PREEMPTED CPUS      THREAD CAPS', ...rows.map((p) => `${String(p.pid).padStart(7)} ${(p.role ?? '-').padEnd(8)} ${String(p.threads ?? '?').padStart(7)} ${String(p.involuntarySwitches ?? '?').padStart(10)} ${(p.cpusAllowed ?? '?').padEnd(9)} ${p.env === undefined ? '(environment not readable)' : CAPS.filter((k) => p.env![k] !== undefined).map((k) => `${k}=${p.env![k]}`).join(' ') || '(none set)'}`)].join('\n');
  const quota = e.cpu === undefined ? 'not in this document (collected by an older rerun-doctor)' : e.cpu.status === 'ok' ? JSON.stringify(e.cpu.value, null, 2) : `${e.cpu.status}: ${e.cpu.reason}`;
  return [...fence(table), '', ...fence(quota, e.cpu?.status === 'ok' ? 'json' : 'text')];
}

/** Each directory the project's processes name, with its files per pid (stale-multiproc-dir). */
function multiprocSection(e: Evidence): string[] {
  if (e.multiproc === undefined) return fence('not in this document (collected by an older rerun-doctor)');
  if (e.multiproc.status !== 'ok') return fence(`${e.multiproc.status}: ${e.multiproc.reason}`);
  if (e.multiproc.value.length === 0) return fence("none: no live process of the project names PROMETHEUS_MULTIPROC_DIR");
  const lines = e.multiproc.value.flatMap((d) => [
    `${d.key}=${d.dir} (named by ${d.pids.join(', ')}; listed at ${d.source})`,
    d.error !== null ? `  not listed: ${d.error}` : `  ${d.dbFiles} .db files, ${d.other} other entries${d.truncated ? ' (only the first entries read)' : ''}`,
    ...d.byPid.slice(0, 20).map((r) => `  pid ${String(r.pid).padStart(7)}: ${r.files} files (${r.liveGauges} live gauges), ${r.bytes} bytes, newest ${r.newest ?? '?'}`),
    ...(d.byPid.length > 20 ? [`  … ${d.byPid.length - 20} more pids (in the document below)`] : []),
  ]);
  return fence(lines.join('\n'));
}

/** The listening unix sockets of the project's processes, and the socket files looked at (port-held). */
function unixSection(e: Evidence, census: Census): string[] {
  const byPid = new Map(census.processes.map((p) => [p.pid, p]));
  const listeners = e.snapshot.unixSockets;
  const own = listeners === undefined ? null : listeners.filter((u) => u.owners.some((o) => byPid.get(o.pid)?.generation != null));
  const l =
    own === null
      ? 'listening unix sockets: not in this document (macOS, or collected by an older rerun-doctor)'
      : own.length === 0
        ? "listening unix sockets: none held by the project's processes"
        : own.map((u) => `${u.path} (${u.type}, ${u.id}): ${u.owners.map((o) => `pid ${o.pid}${byPid.get(o.pid)?.generation != null ? ` run ${byPid.get(o.pid)!.generation}` : ''}`).join(', ')}`).join('\n');
  const f = e.socketFiles;
  const files =
    f === undefined
      ? 'socket files: not in this document (collected by an older rerun-doctor)'
      : f.status !== 'ok'
        ? `socket files: ${f.status}: ${f.reason}`
        : [
            `socket files (${f.value.looked.map((x) => `${x.path}${x.error ? `: ${x.error}` : ''}`).join('; ') || 'nothing looked at'}):`,
            ...(f.value.files.length === 0 ? ['  none found'] : f.value.files.slice(0, 50).map((x) => `  ${x.path}: ${x.state}${x.detail ? ` (${x.detail})` : ''}, uid ${x.uid}, bound ${x.mtime}; ${x.why}`)),
            ...(f.value.files.length > 50 ? [`  … ${f.value.files.length - 50} more (in the document below)`] : []),
          ].join('\n');
  return [...fence(l), '', ...fence(files)];
}
