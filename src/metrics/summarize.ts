// Pure arithmetic over parsed expositions: quantiles from histogram buckets, per-series summaries,
// per-interval values between two scrapes, units read from names, and recognition of the metrics
// the diagnosis needs. No I/O, no clock: the caller passes the interval's length.
import type { Exposition, Labels, MetricFamily, MetricType, Sample } from '../model/metrics.js';

// ---------------------------------------------------------------------------------------------
// histogram_quantile

export interface Bucket {
  /** Upper bound (the `le` label); +Infinity for the last bucket. */
  le: number;
  /** Cumulative count of observations ≤ le. */
  count: number;
}

/**
 * The φ-quantile of a classic histogram, exactly as Prometheus' `histogram_quantile` computes it
 * for `_bucket` series: `bucketQuantile` in prometheus/prometheus promql/quantile.go (with its
 * helpers coalesceBuckets, correctPrecisionErrors and ensureMonotonic).
 *
 * - q NaN → NaN; q < 0 → -Inf; q > 1 → +Inf (checked first, as there).
 * - Buckets are sorted by le; the highest must be +Inf, else NaN.
 * - Buckets with the same le are merged, their counts added (`le="0.2"` and `le="2e-1"`).
 * - Counts that differ from the previous bucket's by a relative 1e-12 or less are set equal to it
 *   (float noise from rate() sums); then any decrease is raised to the running maximum, since
 *   cumulative counts cannot fall (the "envelope" that ensureMonotonic builds).
 * - Fewer than 2 buckets, or no observations, → NaN.
 * - The rank q·total is located in the first bucket whose count reaches it, and interpolated
 *   linearly within that bucket; the lowest bucket starts at 0 when its upper bound is > 0, and a
 *   lowest bucket with bound ≤ 0 returns that bound; a rank in the +Inf bucket returns the upper
 *   bound of the second-highest bucket.
 */
export function histogramQuantile(q: number, buckets: ReadonlyArray<Bucket>): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (buckets.length === 0) return NaN;
  const sorted = buckets.map((b) => ({ le: b.le, count: b.count })).sort((a, b) => a.le - b.le);
  if (sorted[sorted.length - 1]!.le !== Infinity) return NaN;
  const bs = coalesceBuckets(sorted);
  correctPrecisionErrors(bs, 1e-12);
  ensureMonotonic(bs);
  if (bs.length < 2) return NaN;
  const observations = bs[bs.length - 1]!.count;
  if (observations === 0) return NaN;
  let rank = q * observations;
  // sort.Search(len(buckets)-1, count >= rank): the first bucket reaching the rank, else len-1.
  let b = 0;
  while (b < bs.length - 1 && !(bs[b]!.count >= rank)) b++;
  if (b === bs.length - 1) return bs[bs.length - 2]!.le;
  if (b === 0 && bs[0]!.le <= 0) return bs[0]!.le;
  let bucketStart = 0;
  const bucketEnd = bs[b]!.le;
  let count = bs[b]!.count;
  if (b > 0) {
    bucketStart = bs[b - 1]!.le;
    count -= bs[b - 1]!.count;
    rank -= bs[b - 1]!.count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/** coalesceBuckets (quantile.go): adjacent buckets with the same upper bound become one. */
function coalesceBuckets(sorted: Bucket[]): Bucket[] {
  const out: Bucket[] = [];
  for (const b of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last.le === b.le) last.count += b.count;
    else out.push({ le: b.le, count: b.count });
  }
  return out;
}

/** correctPrecisionErrors (quantile.go): near-equal neighbours are made equal. */
function correctPrecisionErrors(bs: Bucket[], tolerance: number): void {
  let prev = bs[0]!.count;
  for (let i = 1; i < bs.length; i++) {
    const curr = bs[i]!.count;
    const delta = Math.abs(curr - prev);
    if (delta === 0) continue;
    if (delta / curr <= tolerance) bs[i]!.count = prev;
    else prev = curr;
  }
}

/** ensureMonotonic (quantile.go): a count below the running maximum is raised to it. */
function ensureMonotonic(bs: Bucket[]): void {
  let max = bs[0]!.count;
  for (let i = 1; i < bs.length; i++) {
    const c = bs[i]!.count;
    if (c > max) max = c;
    else if (c < max) bs[i]!.count = max;
  }
}

// ---------------------------------------------------------------------------------------------
// Units

/**
 * Units a name can tell. Times: `ms`, `s`, `us`; sizes: `bytes`, `mib` (DCGM's framebuffer
 * fields); fractions: `ratio` (0–1) and `percent` (0–100).
 */
export type Unit = 'ms' | 's' | 'us' | 'bytes' | 'mib' | 'ratio' | 'percent';

export interface UnitInfo {
  unit: Unit | null;
  /** Multiply a value by this to get milliseconds (time units only). */
  scaleToMs?: number;
  /** Multiply a value by this to get bytes (size units only). */
  scaleToBytes?: number;
}

/** Sample suffixes that stand after the unit in a name (`x_seconds_bucket`, `x_bytes_total`). */
const TRAILING_SUFFIXES = ['_total', '_bucket', '_sum', '_count', '_gsum', '_gcount'];

/** Name endings (after those suffixes are cut), longest first so `_milliseconds` beats `_seconds`. */
const UNIT_ENDINGS: ReadonlyArray<readonly [string, Unit]> = [
  ['_milliseconds', 'ms'],
  ['_microseconds', 'us'],
  ['_seconds', 's'],
  ['_ms', 'ms'],
  ['_us', 'us'],
  ['_bytes', 'bytes'],
  ['_mib', 'mib'],
  ['_ratio', 'ratio'],
  ['_percent', 'percent'],
  ['_perc', 'percent'], // vLLM: vllm:gpu_cache_usage_perc
];

/** OpenMetrics `# UNIT` values (the spec recommends base units: seconds, bytes, ratio). */
const UNIT_WORDS: Readonly<Record<string, Unit>> = {
  seconds: 's',
  milliseconds: 'ms',
  microseconds: 'us',
  bytes: 'bytes',
  ratio: 'ratio',
  percent: 'percent',
};

/** Names that carry their unit only in their documentation (NVIDIA DCGM field list: FB_* in MiB). */
const KNOWN_UNITS: Readonly<Record<string, Unit>> = {
  dcgm_fi_dev_fb_used: 'mib',
  dcgm_fi_dev_fb_free: 'mib',
  dcgm_fi_dev_fb_total: 'mib',
  dcgm_fi_dev_fb_reserved: 'mib',
};

function withScale(unit: Unit | null): UnitInfo {
  switch (unit) {
    case 'ms':
      return { unit, scaleToMs: 1 };
    case 's':
      return { unit, scaleToMs: 1000 };
    case 'us':
      return { unit, scaleToMs: 0.001 };
    case 'bytes':
      return { unit, scaleToBytes: 1 };
    case 'mib':
      return { unit, scaleToBytes: 1024 * 1024 };
    default:
      return { unit };
  }
}

/**
 * The unit of a metric, from OpenMetrics' `# UNIT` when the family has one, else from the name's
 * ending (Prometheus naming practice: the unit is the last word before `_total`/`_bucket`/...):
 * `tokenize_ms`, `request_latency_seconds_bucket`, `gpu_memory_used_bytes`, `cache_hit_ratio`.
 */
export function unitOf(name: string, unitField: string | null): UnitInfo {
  if (unitField !== null && unitField !== '') {
    const fromField = UNIT_WORDS[unitField.toLowerCase()];
    if (fromField !== undefined) return withScale(fromField);
  }
  let base = name.toLowerCase();
  const known = KNOWN_UNITS[base];
  if (known !== undefined) return withScale(known);
  for (const suffix of TRAILING_SUFFIXES) {
    if (base.endsWith(suffix)) {
      base = base.slice(0, base.length - suffix.length);
      break;
    }
  }
  for (const [ending, unit] of UNIT_ENDINGS) if (base.endsWith(ending)) return withScale(unit);
  return { unit: null };
}

// ---------------------------------------------------------------------------------------------
// Series: the samples of one family that share their labels, `le` and `quantile` aside.

interface Series {
  labels: Labels;
  /** Counter, gauge, untyped, info and stateset samples. */
  value?: number;
  count?: number;
  sum?: number;
  /** `_created`: seconds since the epoch when the series (re)started. */
  created?: number;
  buckets: Bucket[];
  /** Summary quantiles by φ. */
  quantiles: Map<number, number>;
}

/** Labels that make one sample of a series rather than a series of its own. */
function innerLabel(type: MetricType): string | null {
  if (type === 'histogram' || type === 'gaugehistogram') return 'le';
  if (type === 'summary') return 'quantile';
  return null;
}

/** A canonical key for a label set: names sorted, JSON so that any value is unambiguous. */
function labelsKey(labels: Labels): string {
  const names = Object.keys(labels).sort();
  const parts: string[] = [];
  for (const n of names) parts.push(n, labels[n]!);
  return JSON.stringify(parts);
}

/** A float in a label value (`le`, `quantile`): Go spellings of infinity allowed. */
function labelFloat(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf' || lower === '+infinity' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  const v = Number(text);
  return Number.isNaN(v) ? undefined : v;
}

function seriesOf(family: MetricFamily, companions: Companions): Series[] {
  const inner = innerLabel(family.type);
  const created = companions.created.get(family.name);
  const byKey = new Map<string, Series>();
  const order: Series[] = [];
  for (const sample of family.samples) {
    let labels = sample.labels;
    let innerValue: string | undefined;
    if (inner !== null && Object.prototype.hasOwnProperty.call(labels, inner)) {
      innerValue = labels[inner];
      labels = { ...labels };
      delete labels[inner];
    }
    const key = labelsKey(labels);
    let s = byKey.get(key);
    if (s === undefined) {
      s = { labels, buckets: [], quantiles: new Map() };
      const c = created?.get(key);
      if (c !== undefined) s.created = c;
      byKey.set(key, s);
      order.push(s);
    }
    addSample(family, s, sample, innerValue);
  }
  return order;
}

/**
 * The 0.0.4 text has no `_created` samples, so prometheus_client writes them as gauge families of
 * their own (`x_created` beside counter `x_total`, histogram or summary `x`); see its
 * exposition.generate_latest. They are folded back into their series here: they tell a restart
 * apart even when a counter has already grown past its old value, and they are not metrics to show.
 */
interface Companions {
  /** Owner family name → series key → `_created` value. */
  created: Map<string, Map<string, number>>;
  /** Names of the `_created` families folded in. */
  folded: Set<string>;
}

function companionsOf(exposition: Exposition): Companions {
  const byName = new Map(exposition.families.map((f) => [f.name, f]));
  const out: Companions = { created: new Map(), folded: new Set() };
  for (const family of exposition.families) {
    if (!family.name.endsWith('_created') || (family.type !== 'gauge' && family.type !== 'untyped' && family.type !== 'unknown')) continue;
    const base = family.name.slice(0, family.name.length - '_created'.length);
    const counter = byName.get(`${base}_total`);
    const other = byName.get(base);
    const owner = counter?.type === 'counter' ? counter : other !== undefined && ['histogram', 'summary', 'counter'].includes(other.type) ? other : undefined;
    if (owner === undefined) continue;
    const values = new Map<string, number>();
    for (const sample of family.samples) values.set(labelsKey(sample.labels), sample.value);
    out.created.set(owner.name, values);
    out.folded.add(family.name);
  }
  return out;
}

function addSample(family: MetricFamily, s: Series, sample: Sample, innerValue: string | undefined): void {
  const suffix = sample.name.startsWith(family.name) ? sample.name.slice(family.name.length) : sample.name;
  if (suffix === '_created') {
    s.created = sample.value;
    return;
  }
  switch (family.type) {
    case 'histogram':
    case 'gaugehistogram': {
      if (suffix === '_bucket') {
        const le = labelFloat(innerValue);
        if (le !== undefined) s.buckets.push({ le, count: sample.value });
      } else if (suffix === '_sum' || suffix === '_gsum') s.sum = sample.value;
      else if (suffix === '_count' || suffix === '_gcount') s.count = sample.value;
      return;
    }
    case 'summary': {
      if (suffix === '_sum') s.sum = sample.value;
      else if (suffix === '_count') s.count = sample.value;
      else if (suffix === '') {
        const q = labelFloat(innerValue);
        if (q !== undefined) s.quantiles.set(q, sample.value);
      }
      return;
    }
    default:
      s.value = sample.value;
  }
}

/** A histogram's observation count: `_count`, else its +Inf bucket. */
function countOf(s: Series): number | undefined {
  if (s.count !== undefined) return s.count;
  return s.buckets.find((b) => b.le === Infinity)?.count;
}

// ---------------------------------------------------------------------------------------------
// summarizeFamilies

/** One series as it stands now, cumulative since the server (re)started. */
export interface MetricSummary {
  family: string;
  type: MetricType;
  /** The series' labels (`le` and `quantile` removed). */
  labels: Labels;
  unit: Unit | null;
  /** Counters (the running total), gauges, untyped/unknown, info, stateset. */
  value?: number;
  /** Histograms and summaries. */
  count?: number;
  sum?: number;
  /** sum / count; absent while count is 0. */
  mean?: number;
  /** Histograms: histogram_quantile over the buckets; summaries: the server's own quantiles. Absent when undefined (no observations, no +Inf bucket, or a summary without that quantile). */
  p50?: number;
  p95?: number;
  p99?: number;
}

const QUANTILES = [
  ['p50', 0.5],
  ['p95', 0.95],
  ['p99', 0.99],
] as const;

function setQuantiles(out: { p50?: number; p95?: number; p99?: number }, pick: (q: number) => number | undefined): void {
  for (const [key, q] of QUANTILES) {
    const v = pick(q);
    if (v !== undefined && !Number.isNaN(v)) out[key] = v;
  }
}

/**
 * One summary per series of every family, in the order the exposition lists them. The `_created`
 * gauges that prometheus_client adds to 0.0.4 text are folded into their families, not listed.
 */
export function summarizeFamilies(exposition: Exposition): MetricSummary[] {
  const out: MetricSummary[] = [];
  const companions = companionsOf(exposition);
  for (const family of exposition.families) {
    if (companions.folded.has(family.name)) continue;
    const unit = unitOf(family.name, family.unit).unit;
    for (const s of seriesOf(family, companions)) {
      const m: MetricSummary = { family: family.name, type: family.type, labels: s.labels, unit };
      if (family.type === 'histogram' || family.type === 'gaugehistogram' || family.type === 'summary') {
        const count = family.type === 'summary' ? s.count : countOf(s);
        if (count !== undefined) m.count = count;
        if (s.sum !== undefined) m.sum = s.sum;
        if (count !== undefined && count > 0 && s.sum !== undefined) m.mean = s.sum / count;
        if (family.type === 'summary') setQuantiles(m, (q) => s.quantiles.get(q));
        else if (s.buckets.length > 0) setQuantiles(m, (q) => histogramQuantile(q, s.buckets));
      } else if (s.value !== undefined) {
        m.value = s.value;
      }
      out.push(m);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// intervalSummaries

/** One series over the interval between two scrapes. */
export interface IntervalSummary {
  family: string;
  type: MetricType;
  labels: Labels;
  unit: Unit | null;
  /** The interval's length, as given. */
  seconds: number;
  /** Not in the earlier scrape: counted from zero (a new series, or the first scrape after a restart). */
  isNew: boolean;
  /**
   * A counter (or a histogram's or summary's count, or any bucket) went down, the bucket layout
   * changed, or `_created` moved: the server restarted. As Prometheus' rate() does, the current
   * value is then taken as the increase over the interval, so it is never negative.
   */
  reset: boolean;
  /** Gauges, untyped/unknown, info, stateset: the current value. */
  value?: number;
  /** Gauges: change since the earlier scrape (absent for a new series). Counters: the increase. */
  delta?: number;
  /** Counters: increase per second. Histograms and summaries: observations per second. */
  rate?: number;
  /** Histograms and summaries: observations, their sum and mean within the interval. */
  count?: number;
  sum?: number;
  mean?: number;
  /** Histograms: from the bucket deltas, so of this interval only. Summaries: see serverQuantiles. */
  p50?: number;
  p95?: number;
  p99?: number;
  /** Summaries: p50/p95/p99 are the server's current values, not this interval's (a summary's quantiles cannot be differenced). */
  serverQuantiles?: true;
}

function seriesIndex(exposition: Exposition): Map<string, { family: MetricFamily; series: Map<string, Series> }> {
  const index = new Map<string, { family: MetricFamily; series: Map<string, Series> }>();
  const companions = companionsOf(exposition);
  for (const family of exposition.families) {
    const series = new Map<string, Series>();
    for (const s of seriesOf(family, companions)) series.set(labelsKey(s.labels), s);
    index.set(family.name, { family, series });
  }
  return index;
}

/** The per-second rate, or undefined when the interval has no length to divide by. */
function perSecond(delta: number, seconds: number): number | undefined {
  return seconds > 0 && Number.isFinite(seconds) ? delta / seconds : undefined;
}

/** _created moved: the series was created again, whatever its value did. */
function createdMoved(prev: Series, cur: Series): boolean {
  return prev.created !== undefined && cur.created !== undefined && prev.created !== cur.created;
}

/**
 * Per-interval values between two scrapes `seconds` apart, one per series of `cur`. Counters give
 * their increase and rate; histograms the interval's count, sum, mean and p50/p95/p99 from the
 * bucket deltas (the DOMAIN's "judge per interval"); summaries the interval's count, sum and mean
 * with the server's quantiles; gauges their value and change. Series only in `prev` are dropped.
 */
export function intervalSummaries(prev: Exposition, cur: Exposition, seconds: number): IntervalSummary[] {
  const before = seriesIndex(prev);
  const companions = companionsOf(cur);
  const out: IntervalSummary[] = [];
  for (const family of cur.families) {
    if (companions.folded.has(family.name)) continue;
    const unit = unitOf(family.name, family.unit).unit;
    const earlier = before.get(family.name);
    // A family whose type changed between scrapes is a different metric: every series is new.
    const sameType = earlier !== undefined && earlier.family.type === family.type;
    for (const s of seriesOf(family, companions)) {
      const p = sameType ? earlier.series.get(labelsKey(s.labels)) : undefined;
      const base: IntervalSummary = { family: family.name, type: family.type, labels: s.labels, unit, seconds, isNew: p === undefined, reset: false };
      switch (family.type) {
        case 'counter':
          out.push(counterInterval(base, p, s));
          break;
        case 'histogram':
        case 'gaugehistogram':
          out.push(histogramInterval(base, p, s));
          break;
        case 'summary':
          out.push(summaryInterval(base, p, s));
          break;
        default:
          out.push(gaugeInterval(base, p, s));
      }
    }
  }
  return out;
}

function counterInterval(out: IntervalSummary, prev: Series | undefined, cur: Series): IntervalSummary {
  if (cur.value === undefined) return out;
  let delta = cur.value;
  if (prev?.value !== undefined) {
    out.reset = cur.value < prev.value || createdMoved(prev, cur);
    if (!out.reset) delta = cur.value - prev.value;
  }
  out.delta = delta;
  const rate = perSecond(delta, out.seconds);
  if (rate !== undefined) out.rate = rate;
  return out;
}

function gaugeInterval(out: IntervalSummary, prev: Series | undefined, cur: Series): IntervalSummary {
  if (cur.value === undefined) return out;
  out.value = cur.value;
  if (prev?.value !== undefined) out.delta = cur.value - prev.value;
  return out;
}

/** Same upper bounds in the same order (after sorting): otherwise the buckets cannot be differenced. */
function sameLayout(a: Bucket[], b: Bucket[]): boolean {
  if (a.length !== b.length) return false;
  const x = a.map((v) => v.le).sort((m, n) => m - n);
  const y = b.map((v) => v.le).sort((m, n) => m - n);
  return x.every((le, i) => le === y[i]);
}

function histogramInterval(out: IntervalSummary, prev: Series | undefined, cur: Series): IntervalSummary {
  const curCount = countOf(cur);
  let buckets = cur.buckets;
  let count = curCount;
  let sum = cur.sum;
  if (prev !== undefined) {
    const prevCount = countOf(prev);
    const prevByLe = new Map(prev.buckets.map((b) => [b.le, b.count]));
    const reset =
      (curCount !== undefined && prevCount !== undefined && curCount < prevCount) ||
      !sameLayout(prev.buckets, cur.buckets) ||
      cur.buckets.some((b) => b.count < (prevByLe.get(b.le) ?? 0)) ||
      createdMoved(prev, cur);
    out.reset = reset;
    if (!reset) {
      buckets = cur.buckets.map((b) => ({ le: b.le, count: b.count - (prevByLe.get(b.le) ?? 0) }));
      count = curCount !== undefined && prevCount !== undefined ? curCount - prevCount : undefined;
      sum = cur.sum !== undefined && prev.sum !== undefined ? cur.sum - prev.sum : undefined;
    }
  }
  return observationsInterval(out, count, sum, (q) => (buckets.length > 0 ? histogramQuantile(q, buckets) : undefined));
}

function summaryInterval(out: IntervalSummary, prev: Series | undefined, cur: Series): IntervalSummary {
  let count = cur.count;
  let sum = cur.sum;
  if (prev !== undefined) {
    out.reset = (cur.count !== undefined && prev.count !== undefined && cur.count < prev.count) || createdMoved(prev, cur);
    if (!out.reset) {
      count = cur.count !== undefined && prev.count !== undefined ? cur.count - prev.count : undefined;
      sum = cur.sum !== undefined && prev.sum !== undefined ? cur.sum - prev.sum : undefined;
    }
  }
  observationsInterval(out, count, sum, (q) => cur.quantiles.get(q));
  if (cur.quantiles.size > 0) out.serverQuantiles = true;
  return out;
}

function observationsInterval(out: IntervalSummary, count: number | undefined, sum: number | undefined, quantile: (q: number) => number | undefined): IntervalSummary {
  if (count !== undefined) {
    out.count = count;
    const rate = perSecond(count, out.seconds);
    if (rate !== undefined) out.rate = rate;
  }
  if (sum !== undefined) out.sum = sum;
  if (count !== undefined && count > 0 && sum !== undefined) out.mean = sum / count;
  setQuantiles(out, quantile);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Key metrics

interface KeyMetricSpec {
  /** How a report names it. */
  readonly title: string;
  /** JS RegExp sources, matched case-insensitively anywhere in the family name; earlier ones rank first. */
  readonly patterns: readonly string[];
  /** Families matching any of these are not this metric (queue wait time is not request latency). */
  readonly exclude: readonly string[];
  /** Among equal pattern matches, names matching this rank first (`used` GPU memory before `total`). */
  readonly prefer?: string;
  /** Types in order of preference: a histogram gives interval quantiles, a gauge a level. */
  readonly types: readonly MetricType[];
}

const TIMING_TYPES: readonly MetricType[] = ['histogram', 'summary', 'gaugehistogram', 'gauge', 'counter', 'untyped', 'unknown'];
const LEVEL_TYPES: readonly MetricType[] = ['gauge', 'untyped', 'unknown', 'counter'];

/**
 * The metrics the diagnosis reads, with the names servers commonly give them: our users' own
 * servers (`tokenize_ms`), prometheus_client and prom-client conventions, go-grpc-prometheus and
 * py-grpc-prometheus (`grpc_server_handling_seconds`), vLLM (`vllm:num_requests_waiting`,
 * `vllm:e2e_request_latency_seconds`), Triton (`nv_inference_pending_request_count`,
 * `nv_gpu_memory_used_bytes`), TGI (`tgi_queue_size`), DCGM (`DCGM_FI_DEV_FB_USED`). The config
 * file's `metrics` table replaces the patterns of a key.
 */
export const KEY_METRICS = {
  tokenize: {
    title: 'tokenize time',
    patterns: ['tokeni[sz](e|ation|er).*(_ms|_milliseconds|_seconds|_us|_microseconds|_time|duration|latency)', 'tokenize_ms', 'tokenization_seconds'],
    exclude: [],
    types: TIMING_TYPES,
  },
  requestLatency: {
    title: 'request latency',
    patterns: ['request.*(latency|duration)', 'grpc_server_handling_seconds', 'http_request_duration_seconds', 'inference.*(latency|duration)', 'rpc.*(latency|duration)'],
    exclude: ['tokeni[sz]', 'queue'],
    types: TIMING_TYPES,
  },
  queueDepth: {
    title: 'queue depth',
    patterns: ['queue.*(depth|size|length|len)', 'pending_requests?', 'num_requests_waiting', 'requests?_(waiting|queued|pending)'],
    exclude: ['seconds', 'duration', 'latency', '_ms$', '_us$', 'time'],
    types: LEVEL_TYPES,
  },
  workerCount: {
    title: 'worker count',
    patterns: ['workers?(_count|_alive|_total|_live|_running)?$', 'model_instances', 'num_workers'],
    exclude: [],
    types: LEVEL_TYPES,
  },
  gpuMemory: {
    title: 'GPU memory',
    patterns: ['gpu.*mem', 'cuda.*mem', 'mps.*mem', 'DCGM_FI_DEV_FB_USED'],
    exclude: [],
    prefer: 'used|alloc|usage|in_use',
    types: LEVEL_TYPES,
  },
} as const satisfies Record<string, KeyMetricSpec>;

export type KeyMetric = keyof typeof KEY_METRICS;

const KEYS: readonly KeyMetric[] = Object.keys(KEY_METRICS) as KeyMetric[];

function compile(key: KeyMetric, sources: readonly string[]): RegExp[] {
  return sources.map((source) => {
    try {
      return new RegExp(source, 'i');
    } catch (err) {
      throw new Error(`metrics.${key}: invalid pattern ${JSON.stringify(source)}: ${(err as Error).message}`, { cause: err });
    }
  });
}

/**
 * Which families carry each key metric, best match first: the earliest matching pattern, then
 * the `prefer` pattern, then the preferred type, then the exposition's order. Families without
 * samples, and the `_created` gauges that prometheus_client adds in 0.0.4 text, are skipped.
 * An override replaces that key's default patterns (and its exclusions: the user knows the name).
 * Every key is present in the result, with an empty list when nothing matched.
 */
export function recognize(families: readonly MetricFamily[], overrides?: Partial<Record<KeyMetric, string[]>>): Map<KeyMetric, string[]> {
  const result = new Map<KeyMetric, string[]>();
  for (const key of KEYS) {
    const spec: KeyMetricSpec = KEY_METRICS[key];
    const override = overrides?.[key];
    const patterns = compile(key, override ?? spec.patterns);
    const exclude = override === undefined ? compile(key, spec.exclude) : [];
    const prefer = override === undefined && spec.prefer !== undefined ? new RegExp(spec.prefer, 'i') : null;
    const ranked: Array<{ name: string; pattern: number; preferred: number; type: number; order: number }> = [];
    families.forEach((family, order) => {
      if (family.samples.length === 0 || /_created$/.test(family.name)) return;
      const pattern = patterns.findIndex((re) => re.test(family.name));
      if (pattern === -1 || exclude.some((re) => re.test(family.name))) return;
      const typeRank = spec.types.indexOf(family.type);
      ranked.push({
        name: family.name,
        pattern,
        preferred: prefer !== null && prefer.test(family.name) ? 0 : 1,
        type: typeRank === -1 ? spec.types.length : typeRank,
        order,
      });
    });
    ranked.sort((a, b) => a.pattern - b.pattern || a.preferred - b.preferred || a.type - b.type || a.order - b.order);
    result.set(key, ranked.map((r) => r.name));
  }
  return result;
}
