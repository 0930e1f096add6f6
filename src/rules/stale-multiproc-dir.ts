// stale-multiproc-dir: prometheus_client's multiprocess directory (PROMETHEUS_MULTIPROC_DIR)
// still holding the .db files of earlier runs' processes: every scrape reads and merges them, so
// histograms mix runs, scrapes slow down as the directory grows, and live-mode gauges of pids that
// were never marked dead keep counting (a `workers` gauge reading 6 with 2 workers alive). It
// reports only: deleting a live run's files would lose its counters (docs/fixes/multiproc-dir.md).
import type { ClassifiedProcess } from '../model/census.js';
import type { EvidenceItem, Finding } from '../model/diagnosis.js';
import type { MultiprocDir, MultiprocPidFiles } from '../model/multiproc.js';
import { sortNum } from './lib/evidence.js';
import { plural, report } from './lib/report.js';
import type { DiagnosisInput, Rule } from './types.js';

export interface StaleMultiprocOptions {
  /** Files of earlier runs' pids that make a finding. */
  minStaleFiles: number;
}

/** How far before a run's start a file must have been last written to be an earlier run's (btime's whole second, a tick, slack). */
export const START_SLACK_MS = 1100;

const list = (xs: number[], max = 8) => (xs.length > max ? `${xs.slice(0, max).join(', ')}, … (${xs.length} in all)` : xs.join(', '));
const files = (rows: MultiprocPidFiles[]) => rows.reduce((a, r) => a + r.files, 0);

interface Sorted {
  /** Files of live processes of the runs that name the directory. */
  current: MultiprocPidFiles[];
  /** Named for a live process outside those runs (another program, or a reused pid). */
  otherLive: MultiprocPidFiles[];
  /** Dead pids last written before the runs that name it started: earlier runs. */
  earlier: MultiprocPidFiles[];
  /** Dead pids written since: this run's exited workers (prometheus_client keeps their counters on purpose). */
  thisRun: MultiprocPidFiles[];
  /** Dead pids whose files could not be stat'ed. */
  unknown: MultiprocPidFiles[];
  runStart: string | null;
  runs: number[];
}

function sortPids(input: DiagnosisInput, d: MultiprocDir): Sorted {
  const procs = input.census.processes.filter((p) => !p.zombie);
  const ids = (p: ClassifiedProcess) => (p.nsPid ? [p.pid, p.nsPid] : [p.pid]);
  const live = new Set(procs.flatMap(ids));
  const naming = procs.filter((p) => d.pids.includes(p.pid));
  const runs = sortNum(naming.map((p) => p.generation).filter((g): g is number => g !== null));
  const members = procs.filter((p) => d.pids.includes(p.pid) || (p.generation !== null && runs.includes(p.generation) && p.role !== null));
  const current = new Set(members.flatMap(ids));
  const startMs = Math.min(...members.map((p) => Date.parse(p.startTime)));
  const runStart = Number.isFinite(startMs) ? new Date(startMs).toISOString() : null;
  const out: Sorted = { current: [], otherLive: [], earlier: [], thisRun: [], unknown: [], runStart, runs };
  for (const r of d.byPid) {
    if (current.has(r.pid)) out.current.push(r);
    else if (live.has(r.pid)) out.otherLive.push(r);
    else if (r.newest === null || runStart === null) out.unknown.push(r);
    // A start time is boot time + ticks, and boot time (/proc/stat btime) is in whole seconds: a
    // file written less than START_SLACK_MS before the run started may be its own.
    else if (Date.parse(r.newest) < startMs - START_SLACK_MS) out.earlier.push(r);
    else out.thisRun.push(r);
  }
  return out;
}

/** The worker-count gauge against the census: per-pid series of dead pids, or a total above the live workers. */
function gaugeEvidence(input: DiagnosisInput, s: Sorted): EvidenceItem | null {
  if (input.metrics.status !== 'ok') return null;
  const last = [...input.metrics.value].reverse().find((x): x is Extract<typeof x, { ok: true }> => x.ok && x.keys.some((k) => k.key === 'workerCount'));
  const key = last?.keys.find((k) => k.key === 'workerCount');
  if (!last || !key || key.series.length === 0) return null;
  const liveWorkers = input.census.processes.filter((p) => p.role === 'worker' && !p.zombie && p.generation !== null && s.runs.includes(p.generation)).length;
  const withPid = key.series.filter((r) => r.labels.pid !== undefined);
  const dead = new Set([...s.earlier, ...s.thisRun, ...s.unknown].map((r) => r.pid));
  if (withPid.length > 0) {
    const deadSeries = withPid.filter((r) => dead.has(Number(r.labels.pid)));
    if (deadSeries.length === 0) return null;
    return { source: `GET ${last.url} (${key.family})`, text: `${key.family} has ${plural(withPid.length, 'series', 'series')} by pid, ${deadSeries.length} of them for pids that are dead (${list(sortNum(deadSeries.map((r) => Number(r.labels.pid))))}), with ${plural(liveWorkers, 'worker')} alive` };
  }
  const total = key.series.reduce((a, r) => a + (typeof r.value === 'number' && Number.isFinite(r.value) ? r.value : 0), 0);
  if (dead.size === 0 || total <= liveWorkers) return null;
  return { source: `GET ${last.url} (${key.family})`, text: `${key.family} reads ${total} with ${plural(liveWorkers, 'worker')} alive: the directory holds files of ${plural(dead.size, 'dead pid')}` };
}

function scrapeEvidence(input: DiagnosisInput, d: MultiprocDir): EvidenceItem | null {
  if (input.metrics.status !== 'ok') return null;
  const ok = input.metrics.value.filter((x): x is Extract<typeof x, { ok: true }> => x.ok);
  if (ok.length === 0) return null;
  const mean = ok.reduce((a, x) => a + x.scrapeMs, 0) / ok.length;
  const max = Math.max(...ok.map((x) => x.scrapeMs));
  return { source: `GET ${ok[0]!.url}`, text: `${plural(ok.length, 'scrape')} took ${mean.toFixed(0)} ms on average (at most ${max.toFixed(0)} ms, ${ok.at(-1)!.bytes} bytes): prometheus_client opens and merges all ${d.dbFiles} .db files on each` };
}

export const staleMultiprocDir: Rule<StaleMultiprocOptions> = {
  meta: {
    id: 'stale-multiproc-dir',
    title: "prometheus_client's multiprocess directory holds earlier runs' files",
    severity: 'warning',
    requires: ['census'],
    stage: 'causes',
    messages: {
      stale: '{{dir}} holds {{files}} of {{pids}} from earlier runs: every scrape merges them',
      deadGauges: "{{dir}} holds live-gauge files of {{pids}} that exited and were never marked dead: live gauges still count them",
      gauge: '{{dir}} keeps the series of {{pids}} that exited: the worker-count gauge counts them',
    },
    defaultOptions: { minStaleFiles: 1 },
    schema: {
      type: 'object',
      properties: {
        minStaleFiles: { type: 'integer', minimum: 1, description: ".db files of earlier runs' pids (dead, last written before the run that names the directory started) that make a finding" },
      },
      additionalProperties: false,
    },
    cannotJudge: (input) => (input.multiproc.status === 'ok' ? null : { because: input.multiproc.status === 'failed' ? 'failed' : 'unavailable', reason: `multiprocess directory: ${input.multiproc.reason}` }),
  },
  check(input, options) {
    if (input.multiproc.status !== 'ok') return [];
    const out: Finding[] = [];
    for (const d of input.multiproc.value) {
      if (d.error !== null) continue;
      const s = sortPids(input, d);
      const evidence: EvidenceItem[] = [];
      const named = { source: `/proc/${d.pids[0]}/environ (${d.key})`, text: `${d.key}=${d.dir} in the environment of ${plural(d.pids.length, 'live process', 'live processes')} (${list(d.pids)}), of run${s.runs.length === 1 ? '' : 's'} ${s.runs.join(', ') || '?'} (started ${s.runStart ?? '?'})` };
      const listing = { source: d.source, text: `${d.dbFiles} .db files for ${plural(d.byPid.length, 'pid')}${d.pidsTruncated ? ' (the first pids kept)' : ''}${d.truncated ? ' (only the first entries were read)' : ''}: ${files(s.current)} of the live run, ${files(s.earlier)} of ${plural(s.earlier.length, 'dead pid')} last written before it started${s.thisRun.length ? `, ${files(s.thisRun)} of ${plural(s.thisRun.length, 'dead pid')} of this run (counters are kept on purpose)` : ''}${s.unknown.length ? `, ${files(s.unknown)} of ${plural(s.unknown.length, 'dead pid')} of unknown age` : ''}${s.otherLive.length ? `, ${files(s.otherLive)} of ${plural(s.otherLive.length, 'other live process', 'other live processes')} (${list(s.otherLive.map((r) => r.pid))})` : ''}` };
      const earlierLine = s.earlier.length ? [{ source: d.source, text: `earlier runs' pids: ${list(s.earlier.map((r) => r.pid))} (newest file ${s.earlier.map((r) => r.newest!).sort().at(-1)}, ${s.earlier.reduce((a, r) => a + r.bytes, 0)} bytes)` }] : [];
      const deadLive = [...s.earlier, ...s.thisRun, ...s.unknown].filter((r) => r.liveGauges > 0);
      const deadLiveLine = deadLive.length ? [{ source: d.source, text: `${plural(deadLive.reduce((a, r) => a + r.liveGauges, 0), 'live-mode gauge file')} (gauge_live*) of ${plural(deadLive.length, 'dead pid')} (${list(deadLive.map((r) => r.pid))}): mark_process_dead() was not called for them` }] : [];
      const gauge = gaugeEvidence(input, s);
      const scrape = scrapeEvidence(input, d);
      evidence.push(named, listing, ...earlierLine, ...deadLiveLine, ...(gauge ? [gauge] : []), ...(scrape ? [scrape] : []));
      const body = {
        severity: 'warning' as const,
        pids: sortNum(d.pids),
        ports: [],
        evidence,
        fix: `Empty ${d.dir} when the server starts, before any metric is created and before the workers start (docs/fixes/multiproc-dir.md), and call prometheus_client.multiprocess.mark_process_dead(pid) when a worker exits. Never delete the files of a run that is still running (end its orphans first); rerun-doctor deletes nothing here.`,
        next: ['rerun-doctor explain stale-multiproc-dir', 'rerun-doctor metrics'],
        confidence: 'high' as const,
      };
      const stale = files(s.earlier);
      if (stale >= options.minStaleFiles) out.push(report(staleMultiprocDir.meta, 'stale', { dir: d.dir, files: plural(stale, '.db file'), pids: plural(s.earlier.length, 'dead pid') }, body));
      else if (deadLive.length > 0) out.push(report(staleMultiprocDir.meta, 'deadGauges', { dir: d.dir, pids: plural(deadLive.length, 'pid') }, body));
      else if (gauge) out.push(report(staleMultiprocDir.meta, 'gauge', { dir: d.dir, pids: plural(s.thisRun.length + s.unknown.length, 'pid') }, body));
    }
    return out;
  },
};
