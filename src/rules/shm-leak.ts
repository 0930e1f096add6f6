// shm-leak: shared-memory segments (psm_*, torch_*, sem.mp-*, nccl*) that dead runs left in
// /dev/shm. A SIGKILLed run (its resource tracker or torch_shm_manager killed with it) leaves
// them; /dev/shm fills (Docker's default is 64 MiB) and the next run dies with a bus error or
// FileExistsError. Judged by census/shm.ts; `clean --shm` removes the project's.
import { judgeShm, shmTotal, SHM_JUDGE_DEFAULTS, type ShmJudgement } from '../census/shm.js';
import type { EvidenceItem } from '../model/diagnosis.js';
import type { ShmEvidence } from '../model/shm.js';
import { bytesText } from '../model/text.js';
import { sortNum } from './lib/evidence.js';
import { plural, report } from './lib/report.js';
import { sourcesFor } from './lib/sources.js';
import type { DiagnosisInput, Rule } from './types.js';

export interface ShmLeakOptions {
  /** /dev/shm at least this full (percent) makes a leak an error; alone, a warning. */
  fullPercent: number;
  /** Leaked (or dead-held) segments taking at least this many MiB make an error. */
  leakedMib: number;
  /** How long before a dead run's oldest live process one of its segments may have been made (its gone main made it). */
  runSlackSeconds: number;
}

/** At most this many segments are listed one per line; the rest are counted. */
const MAX_LINES = 20;

const usageText = (shm: ShmEvidence) => (shm.usage ? `${shm.usage.percent}% full` : 'fullness unknown');

function line(shm: ShmEvidence, j: ShmJudgement): EvidenceItem {
  const s = j.segment;
  // What it takes (pages in use); its size too where that reads differently (a 32 B semaphore takes a page).
  const size = bytesText(s.bytes) !== bytesText(s.usedBytes) ? ` (size ${bytesText(s.bytes)})` : '';
  return { source: `${shm.dir}/${s.name}`, text: `${s.name} (${s.kind}, ${bytesText(s.usedBytes)}${size}, uid ${s.uid}, made ${s.createdAt}): ${j.why}` };
}

function lines(shm: ShmEvidence, js: ShmJudgement[]): EvidenceItem[] {
  const out = js.slice(0, MAX_LINES).map((j) => line(shm, j));
  if (js.length > MAX_LINES) {
    const rest = shmTotal(js.slice(MAX_LINES));
    out.push({ source: shm.dir, text: `and ${plural(rest.count, 'more segment')} like these (${bytesText(rest.bytes)})` });
  }
  return out;
}

/** Segments nobody in view holds that could not be judged (processes out of view or unreadable), with nothing leaked to report. */
function unjudged(input: DiagnosisInput): string | null {
  if (input.shm.status !== 'ok') return null;
  const shm = input.shm.value;
  const js = judgeShm(shm, input.census, SHM_JUDGE_DEFAULTS);
  if (js.some((j) => j.state === 'leaked' || j.state === 'held-by-dead-run')) return null;
  const unknown = js.filter((j) => j.state === 'unknown');
  if (unknown.length === 0) return null;
  const t = shmTotal(unknown);
  return `shared memory: ${plural(t.count, 'segment')} (${bytesText(t.bytes)}) in ${shm.dir} that nothing in view holds could not be judged (${usageText(shm)}): ${unknown[0]!.why.replace(/^nothing (in view|readable) holds it, but /, '')}`;
}

export const shmLeak: Rule<ShmLeakOptions> = {
  meta: {
    id: 'shm-leak',
    title: 'shared memory and semaphores left in /dev/shm by dead runs',
    severity: 'warning',
    requires: ['census', 'shm'],
    stage: 'orphans',
    messages: {
      leaked: '{{segments}} ({{size}}) in {{dir}}, {{usage}}',
      heldByDeadRuns: '{{segments}} ({{size}}) in {{dir}} held only by processes of dead runs, {{usage}}',
      full: '{{dir}} is {{percent}}% full ({{used}} of {{total}}), by live processes',
    },
    defaultOptions: { fullPercent: 80, leakedMib: 1024, runSlackSeconds: SHM_JUDGE_DEFAULTS.runSlackSeconds },
    schema: {
      type: 'object',
      properties: {
        fullPercent: { type: 'number', minimum: 0, maximum: 100, description: 'how full /dev/shm (percent) makes a leak an error; a full /dev/shm with nothing leaked is a warning' },
        leakedMib: { type: 'number', minimum: 0, description: 'how many MiB of leaked segments (or segments held only by dead runs) make an error' },
        runSlackSeconds: { type: 'number', minimum: 0, description: "how long before a dead run's oldest live process a segment may have been made and still be that run's (its main, gone now, made it)" },
      },
      additionalProperties: false,
    },
    cannotJudge: unjudged,
  },
  check(input, options) {
    if (input.shm.status !== 'ok') return [];
    const shm = input.shm.value;
    const js = judgeShm(shm, input.census, { runSlackSeconds: options.runSlackSeconds });
    const leaked = js.filter((j) => j.state === 'leaked');
    const held = js.filter((j) => j.state === 'held-by-dead-run');
    const pct = shm.usage?.percent ?? null;
    const full = pct !== null && pct >= options.fullPercent;
    if (leaked.length === 0 && held.length === 0 && !full) return [];
    const src = sourcesFor(input.platform);
    const evidence: EvidenceItem[] = [];
    if (shm.usage) evidence.push({ source: `statfs ${shm.dir}`, text: `${shm.dir}: ${bytesText(shm.usage.usedBytes)} of ${bytesText(shm.usage.totalBytes)} used (${shm.usage.percent}%), ${bytesText(shm.usage.availableBytes)} free` });
    const both = shmTotal([...leaked, ...held]);
    const data = { segments: '', size: bytesText(both.bytes), dir: shm.dir, usage: usageText(shm) };
    if (leaked.length === 0 && held.length === 0) {
      // Full, and nothing of a dead run in it: what is using it.
      const inUse = js.filter((j) => j.state !== 'leaked').sort((a, b) => b.segment.usedBytes - a.segment.usedBytes);
      evidence.push(...lines(shm, inUse.slice(0, 5)));
      if (shm.other.count > 0) evidence.push({ source: shm.dir, text: `${plural(shm.other.count, 'other entry', 'other entries')} (${bytesText(shm.other.bytes)}, not judged): ${shm.other.examples.join(', ')}` });
      return [
        report(shmLeak.meta, 'full', { dir: shm.dir, percent: pct!, used: bytesText(shm.usage!.usedBytes), total: bytesText(shm.usage!.totalBytes) }, {
          severity: 'warning',
          pids: sortNum(inUse.flatMap((j) => j.pids)),
          ports: [],
          evidence,
          fix: `Nothing in ${shm.dir} was left by a dead run: live processes use it. Give it more room (docker run --shm-size, a larger tmpfs) or make the server share less; a run that needs more than is free dies with a bus error.`,
          next: ['rerun-doctor explain shm-leak'],
          confidence: 'high',
        }),
      ];
    }
    evidence.push(...lines(shm, leaked), ...lines(shm, held));
    const maybe = js.filter((j) => j.state === 'maybe-in-use' || j.state === 'unknown');
    if (maybe.length > 0) {
      const t = shmTotal(maybe);
      evidence.push({ source: src.shmHolders, text: `not counted: ${plural(t.count, 'segment')} (${bytesText(t.bytes)}) that nothing holds but that may be a live run's, or whose holders could not all be seen (${maybe[0]!.why})` });
    }
    const severity = full || both.bytes >= options.leakedMib * 1024 * 1024 ? 'error' : 'warning';
    const elsewhere = leaked.some((j) => j.owner !== 'project');
    const messageId = leaked.length > 0 ? 'leaked' : 'heldByDeadRuns';
    data.segments = leaked.length > 0 ? plural(leaked.length + held.length, 'leaked shared-memory segment') : plural(held.length, 'shared-memory segment');
    return [
      report(shmLeak.meta, messageId, data, {
        severity,
        pids: sortNum(held.flatMap((j) => j.pids)),
        ports: [],
        evidence,
        fix:
          `Unlink what the server creates: in the process that created a segment, SharedMemory.unlink() in a finally (or atexit), close() in every other, and replace a stale segment of a fixed name at start (docs/fixes/shm-unlink.md); do not unregister segments from the resource tracker (it unlinks them when the run dies, unless it is killed with it); for torch, keep torch_shm_manager alive or use the file_descriptor sharing strategy. ` +
          `Now: \`rerun-doctor clean --shm\` removes the segments of the project's dead runs that no live process holds${elsewhere ? ' (those of runs that are gone or not the project\'s: with --all-projects)' : ''}, never a mapped one.`,
        next: ['rerun-doctor clean --shm', ...(elsewhere ? ['rerun-doctor clean --shm --all-projects --dry-run'] : []), 'rerun-doctor explain shm-leak'],
        confidence: 'high',
      }),
    ];
  },
};
