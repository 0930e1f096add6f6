// `metrics` for people: where it came from, gRPC health, key metrics first, then the rest.
import type { GrpcHealth } from '../model/grpc.js';
import type { MetricSummary } from '../model/metrics-summary.js';
import { keyEntries, type KeyEntry } from '../metrics/report.js';
export { duplicatesText };
import { duplicatesText, labelsText, type Duplicates, type Exposition } from '../model/metrics.js';
import { formatBytes } from './format.js';
import type { Style } from './style.js';

const num = (v: number) => (Number.isNaN(v) ? 'NaN' : !Number.isFinite(v) ? (v > 0 ? '+Inf' : '-Inf') : Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(Math.abs(v) < 10 ? 3 : 1));

/** A value in its unit: times as ms or s, sizes as bytes; otherwise a plain number. */
export function withUnit(v: number | undefined, unit: string | null): string {
  if (v === undefined) return '-';
  if (!Number.isFinite(v)) return num(v);
  switch (unit) {
    case 'ms':
      return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 2 : 1)} ms`;
    case 's':
      return v >= 1 ? `${v.toFixed(2)} s` : `${(v * 1000).toFixed(v * 1000 < 10 ? 2 : 1)} ms`;
    case 'us':
      return `${(v / 1000).toFixed(3)} ms`;
    case 'bytes':
      return formatBytes(v);
    case 'mib':
      return formatBytes(v * 1024 * 1024);
    case 'ratio':
      return `${(v * 100).toFixed(1)} %`;
    case 'percent':
      return `${v.toFixed(1)} %`;
    default:
      return num(v);
  }
}

/** `family{labels}` for a row, long label values cut (labelsText). */
const seriesText = (m: MetricSummary) => `${m.family}${labelsText(m.labels, m.labelLengths)}`;

/** The series a scrape had beyond the limit, in one line. */
export function droppedText(dropped: number, limit: number): string {
  return `${dropped} more series not summarised: over the limit of ${limit} series per scrape (--max-series, thresholds.metrics-max-series)`;
}

export function summaryText(s: MetricSummary): string {
  if (s.type === 'histogram' || s.type === 'summary' || s.type === 'gaugehistogram') {
    if (!s.count) return `${s.type}, no observations yet`;
    return `${s.type}  count ${num(s.count)}  mean ${withUnit(s.mean, s.unit)}  p50 ${withUnit(s.p50, s.unit)}  p95 ${withUnit(s.p95, s.unit)}  p99 ${withUnit(s.p99, s.unit)}`;
  }
  return `${s.type}  ${withUnit(s.value, s.type === 'counter' ? null : s.unit)}`;
}

export function grpcText(g: GrpcHealth, s: Style): string {
  const what: Record<GrpcHealth['status'], string> = {
    SERVING: 'a server answers and is serving',
    NOT_SERVING: 'a server answers but says it is not serving',
    SERVICE_UNKNOWN: 'a server answers but does not know the service asked for',
    UNKNOWN: 'a server answers with an unknown status',
    UNIMPLEMENTED: 'a gRPC server answers but has no health service',
    NO_ANSWER: 'something holds the port but does not answer: a hung process?',
    NOT_GRPC: 'something answers, but not gRPC',
    REFUSED: 'nothing listens',
    ERROR: 'the check failed',
  };
  const color = g.status === 'SERVING' ? s.green : g.status === 'REFUSED' ? s.dim : s.yellow;
  return `gRPC ${g.address} health: ${color(g.status)} (${what[g.status]}${g.latencyMs !== null ? `, ${g.latencyMs.toFixed(0)} ms` : ''})${g.detail && g.status !== 'REFUSED' && g.status !== 'SERVING' ? ` ${s.dim(g.detail)}` : ''}`;
}

export function renderMetrics(
  expo: Exposition,
  summaries: MetricSummary[],
  keys: KeyEntry<MetricSummary>[],
  o: {
    style: Style;
    url: string;
    /** The URL asked, and the redirects that led to `url` (each reported). */
    requested?: string;
    redirects?: string[];
    bytes: number;
    durationMs: number;
    grpc: GrpcHealth | null;
    all: boolean;
    series?: { total: number; dropped: number; limit: number };
    duplicates?: Duplicates | null;
  },
): string {
  const s = o.style;
  const out: string[] = [];
  const fmt = expo.format === 'openmetrics-1.0.0' ? 'OpenMetrics 1.0' : 'Prometheus text 0.0.4';
  const count = o.series && o.series.dropped > 0 ? ` · ${o.series.total.toLocaleString('en-US')} series, ${(o.series.total - o.series.dropped).toLocaleString('en-US')} summarised` : '';
  out.push(`${s.bold(o.url)} · ${fmt} · ${formatBytes(o.bytes)} in ${o.durationMs.toFixed(0)} ms · ${expo.families.length} families${count}`);
  if (o.redirects && o.redirects.length > 0) out.push(s.dim(`redirected: ${[o.requested ?? '', ...o.redirects].join(' → ')}`));
  if (o.duplicates) out.push(s.yellow(duplicatesText(o.duplicates)));
  if (o.grpc) out.push(grpcText(o.grpc, s));
  out.push('', s.bold('Key metrics'));
  const w = Math.max(...keys.map((k) => k.title.length));
  const used = new Set<string>();
  for (const k of keys) {
    if (k.family === null) {
      out.push(`  ${k.title.padEnd(w)}  ${s.dim('not found (name it in the config: key-metrics)')}`);
      continue;
    }
    used.add(k.family);
    for (const ser of k.series.slice(0, 8)) out.push(`  ${k.title.padEnd(w)}  ${seriesText(ser)}  ${summaryText(ser)}`);
    if (k.series.length > 8) out.push(`  ${''.padEnd(w)}  … and ${k.series.length - 8} more series`);
  }
  const rest = summaries.filter((m) => !used.has(m.family) && !m.family.endsWith('_created'));
  const shown = o.all ? rest : rest.slice(0, 30);
  out.push('', s.bold(`Other metrics (${rest.length} series)`));
  for (const m of shown) out.push(`  ${seriesText(m)}  ${summaryText(m)}`);
  if (shown.length < rest.length) out.push(s.dim(`  … ${rest.length - shown.length} more (--all shows them)`));
  if (o.series && o.series.dropped > 0) out.push(s.yellow(`  … ${droppedText(o.series.dropped, o.series.limit)}`));
  return out.join('\n') + '\n';
}

export { keyEntries };
