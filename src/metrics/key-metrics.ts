// Key-metric recognition: which families carry the metrics the diagnosis reads, by name. Pure.
import type { MetricFamily, MetricType } from '../model/metrics.js';
import type { KeyMetric } from '../model/metrics-summary.js';

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
} as const satisfies Record<KeyMetric, KeyMetricSpec>;

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
