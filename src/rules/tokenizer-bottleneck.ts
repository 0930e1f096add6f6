// tokenizer-bottleneck: tokenize_ms spikes in the interval data, and tokenize time as a share of
// request latency (DOMAIN.md, Tokenizer: judge per interval from bucket deltas).
import type { IntervalSummary } from '../model/metrics-summary.js';
import { toMs as unitToMs } from '../metrics/report.js';
import type { EvidenceItem } from '../model/diagnosis.js';
import { cpuOversubscribed, oversubscriptionNote, oversubscriptions } from './cpu-oversubscribed.js';
import { report } from './lib/report.js';
import type { Rule } from './types.js';

const msOf = (family: string, v: number) => unitToMs(family, null, v) ?? v;

export interface TokenizerOptions {
  /** An interval p95 this many times the median of the window's interval p95s is a spike. */
  spikeFactor: number;
  /** Tokenize mean as a share of request latency mean that is a bottleneck. */
  share: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export const tokenizerBottleneck: Rule<TokenizerOptions> = {
  meta: {
    id: 'tokenizer-bottleneck',
    title: 'tokenization is slow or spiking',
    severity: 'warning',
    requires: ['metrics'],
    stage: 'causes',
    messages: { bottleneck: 'tokenization is a bottleneck: tokenize_ms spikes or takes a large share of request latency' },
    defaultOptions: { spikeFactor: 3, share: 0.3 },
    schema: {
      type: 'object',
      properties: {
        spikeFactor: { type: 'number', exclusiveMinimum: 1, description: "an interval's tokenize p95 this many times the median of the rest of the window is a spike" },
        share: { type: 'number', exclusiveMinimum: 0, maximum: 1, description: 'tokenize time as a share of request latency (means over the window) that is a bottleneck' },
      },
      additionalProperties: false,
    },
    cannotJudge: (input) => {
      if (input.metrics.status !== 'ok') return null;
      const ok = input.metrics.value.filter((s) => s.ok);
      if (ok.length > 0 && ok.every((s) => s.ok && !s.keys.some((k) => k.key === 'tokenize'))) return 'metrics: no tokenize-time metric found (name it in the config: key-metrics.tokenize)';
      if (!ok.some((s) => s.ok && s.seconds !== null)) return 'metrics: one sample gives no interval (run without --quick)';
      return null;
    },
  },
  check(input, options) {
    if (input.metrics.status !== 'ok') return [];
    const samples = input.metrics.value.filter((s): s is Extract<typeof s, { ok: true }> => s.ok && s.seconds !== null);
    const tok = samples.map((s) => ({ t: s.t, row: s.keys.find((k) => k.key === 'tokenize')?.series[0] as IntervalSummary | undefined, lat: s.keys.find((k) => k.key === 'requestLatency')?.series[0] as IntervalSummary | undefined }));
    const withData = tok.filter((x) => x.row && (x.row.count ?? 0) > 0 && x.row.p95 !== undefined && Number.isFinite(x.row.p95));
    if (withData.length === 0) return [];
    const evidence: EvidenceItem[] = [];
    const family = withData[0]!.row!.family;
    // The metric's own unit (from its name or # UNIT), as a time in ms; a bare number is taken as ms.
    const toMs = (v: number) => msOf(family, v);
    const p95s = withData.map((x) => toMs(x.row!.p95!));
    // The baseline of an interval is the median of the others, and of the totals since the server
    // started (the first sample): with the default three samples there are only two intervals.
    const first = input.metrics.value.find((s): s is Extract<typeof s, { ok: true }> => s.ok && s.seconds === null);
    const totalsP95 = first?.keys.find((k) => k.key === 'tokenize')?.series[0]?.p95;
    withData.forEach((x, i) => {
      const others = p95s.filter((_, j) => j !== i);
      if (totalsP95 !== undefined && Number.isFinite(totalsP95)) others.push(toMs(totalsP95));
      if (others.length === 0) return;
      const m = median(others);
      if (m > 0 && p95s[i]! >= options.spikeFactor * m) evidence.push({ source: 'GET /metrics (tokenize histogram, bucket deltas)', text: `at ${x.t} the interval p95 of ${x.row!.family} was ${p95s[i]!.toFixed(1)} ms, ${(p95s[i]! / m).toFixed(1)}× the median ${m.toFixed(1)} ms of the rest of the window` });
    });
    // With one interval a spike cannot be told from a level; the share below still can.
    const shares = withData.filter((x) => x.lat?.mean !== undefined && x.row!.mean !== undefined && Number.isFinite(x.lat.mean) && x.lat.mean! > 0);
    if (shares.length > 0) {
      const latFamily = shares[0]!.lat!.family;
      const latMs = (v: number) => msOf(latFamily, v);
      const tokMean = shares.reduce((a, x) => a + toMs(x.row!.mean!), 0) / shares.length;
      const latMean = shares.reduce((a, x) => a + latMs(x.lat!.mean!), 0) / shares.length;
      const share = tokMean / latMean;
      if (share >= options.share) evidence.push({ source: 'GET /metrics (tokenize and request latency means)', text: `tokenization takes ${(share * 100).toFixed(0)} % of request latency (${tokMean.toFixed(1)} of ${latMean.toFixed(1)} ms on average over the window)` });
    }
    if (evidence.length === 0) return [];
    // Oversubscribed workers (cpu-oversubscribed, with its default thresholds) are one cause of
    // tokenize spikes: said here when both are seen, with its measured threads per worker.
    const overs = oversubscriptions(input, cpuOversubscribed.meta.defaultOptions).filter((o) => o.fires);
    const over = overs[0];
    for (const o of overs) evidence.push({ source: '/proc/PID/status (Threads, Cpus_allowed_list)', text: oversubscriptionNote(o) });
    return [report(tokenizerBottleneck.meta, 'bottleneck', {}, {
      severity: 'warning',
      pids: [],
      ports: [],
      evidence,
      fix: `Cap threads per worker (TOKENIZERS_PARALLELISM=false, OMP_NUM_THREADS${over ? `=${over.suggested}` : ''}), use a fast (Rust) tokenizer, and wipe PROMETHEUS_MULTIPROC_DIR at start so earlier runs do not pollute the histogram.`,
      next: ['rerun-doctor explain tokenizer-bottleneck', ...(over ? ['rerun-doctor explain cpu-oversubscribed'] : []), 'rerun-doctor watch metrics'],
      confidence: 'high',
    })];
  },
};
