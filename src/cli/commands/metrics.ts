import { recognize } from '../../metrics/key-metrics.js';
import { keyEntries, keyOverrides, KEY_ORDER } from '../../metrics/report.js';
import { selectSeries } from '../../metrics/select.js';
import { summarizeSelection } from '../../metrics/snapshot-summary.js';
import type { ExpositionFormat } from '../../model/metrics.js';
import { checkGrpcHealth } from '../../probes/grpc/health-check.js';
import type { GrpcHealth } from '../../model/grpc.js';
import { SCRAPE_EXIT, scrapeMetrics } from '../../probes/metrics.http.js';
import { metricsFailureJson, metricsJson } from '../../render/json.js';
import { renderMetrics } from '../../render/metrics.js';
import { makeStyle } from '../../render/style.js';
import { defineCommand } from '../command-spec.js';
import { configFlag } from '../config-flags.js';
import { parseUrl } from '../../config/flag-values.js';
import { makeContext, parsePortList, type Context } from '../context.js';
import { parseDuration } from '../duration.js';
import { EXIT, UsageError } from '../errors.js';
import { useColor, type Io } from '../io.js';
import { COLOR_FLAGS, SCRAPE_FLAGS } from '../shared-flags.js';
import { writeText } from '../terminal.js';
import { parseCommandArgs } from '../parse.js';

export const spec = defineCommand({
  name: 'metrics',
  usage: ['metrics [URL] [options]'],
  about: `Read the server's Prometheus metrics once and summarise them: the metrics a diagnosis needs
first (tokenize time, request latency, queue depth, worker count, GPU memory), then the rest.
Histograms and summaries as count, sum, mean, p50/p95/p99 (interpolated as Prometheus'
histogram_quantile does); counters; gauges; units from the names (_ms, _seconds, _bytes).
Also asks the gRPC port whether it answers grpc.health.v1.Health/Check.

URL defaults to "metrics-url" in the config, else http://127.0.0.1:8080/metrics. Both
Prometheus text 0.0.4 and OpenMetrics 1.0 are read (negotiated as Prometheus does). --json
is documented in docs/metrics.md.`,
  flags: {
    all: { type: 'boolean', help: 'list every series, not the first 30 of the rest' },
    ...SCRAPE_FLAGS,
    timeout: configFlag('timeout', 'for the scrape and the gRPC health check'),
    'grpc-port': configFlag('grpc-port'),
    'no-grpc': configFlag('no-grpc'),
    ...COLOR_FLAGS,
  },
  common: true,
  positionals: { value: 'URL' },
  examples: [
    { run: 'rerun-doctor metrics', does: 'the key metrics first (tokenize time, request latency…), then the rest' },
    { run: 'rerun-doctor metrics http://127.0.0.1:9100/metrics --no-grpc', does: 'metrics on another port, without asking a gRPC port' },
    { run: 'rerun-doctor metrics --all --timeout 5s', does: 'every series, from a slow server' },
    { run: 'rerun-doctor metrics --json --format openmetrics', does: 'ask for OpenMetrics only; the summaries as JSON (docs/metrics.md)' },
  ],
  exit: `Exit status: 0 read and parsed; 2 usage error; 3 the server could not be reached (refused,
timeout, network); 4 it answered but not with metrics (HTTP status, a redirect loop or a redirect
off the URL's host and port, not HTTP, a TLS failure, HTML or JSON, too large, bad encoding);
5 the metrics are malformed (the message names the line).`,
});

export interface ScrapeSettings {
  timeoutMs: number;
  maxBytes: number;
  maxSeries: number;
  prefer: ExpositionFormat | 'any';
  grpcPort: number | null;
}

/** --timeout, --max-bytes, --format, --grpc-port / --no-grpc over the config. */
export function scrapeSettings(values: { timeout?: string; 'max-bytes'?: string; 'max-series'?: string; format?: string; 'grpc-port'?: string; 'no-grpc'?: boolean }, ctx: Context): ScrapeSettings {
  const timeoutMs = values.timeout !== undefined ? parseDuration(values.timeout, '--timeout', { minMs: 10 }) : ctx.config.thresholds.metricsTimeoutSeconds * 1000;
  let maxBytes = ctx.config.thresholds.metricsMaxBytes;
  if (values['max-bytes'] !== undefined) {
    maxBytes = Number(values['max-bytes']);
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1024) throw new UsageError(`--max-bytes "${values['max-bytes']}" is not a size: expected an integer number of bytes ≥ 1024`);
  }
  let maxSeries = ctx.config.thresholds.metricsMaxSeries;
  if (values['max-series'] !== undefined) {
    maxSeries = Number(values['max-series']);
    if (!Number.isSafeInteger(maxSeries) || maxSeries < 1 || maxSeries > 10_000_000) throw new UsageError(`--max-series "${values['max-series']}" is not a series count: expected an integer from 1 to 10000000`);
  }
  const formats: Record<string, ExpositionFormat | 'any'> = { openmetrics: 'openmetrics-1.0.0', prometheus: 'prometheus-0.0.4', any: 'any' };
  const prefer = values.format === undefined ? 'any' : formats[values.format];
  if (prefer === undefined) throw new UsageError(`--format "${values.format}": expected openmetrics, prometheus or any`);
  let grpcPort = ctx.config.grpcPort;
  if (values['grpc-port'] !== undefined) grpcPort = parsePortList([values['grpc-port']], '--grpc-port')[0]!;
  if (values['no-grpc']) grpcPort = null;
  return { timeoutMs, maxBytes, maxSeries, prefer, grpcPort };
}

/** The gRPC port on the metrics URL's host (a server's ports share its address). */
export function grpcTarget(url: string, port: number): { host: string; port: number } {
  let host = '127.0.0.1';
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '') || host;
  } catch {
    /* a bad URL is reported by the scrape */
  }
  return { host, port };
}

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(spec, args);
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  if (positionals.length > 1) throw new UsageError(`metrics: expected at most one URL, got "${positionals.join(' ')}"`);
  const ctx = makeContext(values, io);
  const settings = scrapeSettings(values, ctx);
  const url = positionals[0] !== undefined ? parseUrl(positionals[0], 'metrics URL') : ctx.config.metricsUrl;
  const [scrape, grpc] = await Promise.all([
    scrapeMetrics(ctx.host, url, settings),
    settings.grpcPort === null ? Promise.resolve<GrpcHealth | null>(null) : checkGrpcHealth(grpcTarget(url, settings.grpcPort), { timeoutMs: settings.timeoutMs }),
  ]);
  if (!scrape.ok) {
    if (ctx.json) io.stdout(JSON.stringify(metricsFailureJson({ url, takenAt: scrape.takenAt, kind: scrape.kind, message: scrape.message, line: scrape.line ?? null, grpc }), null, 2) + '\n');
    io.stderr(`rerun-doctor: metrics ${url}: ${scrape.message}\n`);
    return SCRAPE_EXIT[scrape.kind];
  }
  const overrides = keyOverrides(ctx.config.keyMetrics);
  let found;
  try {
    found = recognize(scrape.exposition.families, overrides);
  } catch (e) {
    throw new UsageError(`key-metrics: ${(e as Error).message}`);
  }
  // At most --max-series series are summarised (the key metrics' first): a one-shot read of an
  // endpoint with a million series stays bounded too, and says how many it left out.
  const selection = selectSeries(scrape.exposition, { limit: settings.maxSeries, first: KEY_ORDER.flatMap((k) => found.get(k)?.slice(0, 1) ?? []) });
  const summaries = summarizeSelection(selection);
  const keys = keyEntries(scrape.exposition, summaries, overrides);
  const series = { total: selection.total, dropped: selection.total - selection.kept, limit: settings.maxSeries };
  const duplicates = scrape.exposition.duplicates ?? null;
  if (ctx.json) {
    const key = Object.fromEntries(keys.map((k) => [k.key, k.family === null ? null : { family: k.family, series: k.series }]));
    io.stdout(JSON.stringify(metricsJson({ url: scrape.url, takenAt: scrape.takenAt, format: scrape.format, redirects: scrape.redirects, bytes: scrape.bytes, durationMs: scrape.durationMs, grpc, key, metrics: summaries, series, duplicates }), null, 2) + '\n');
  } else {
    await writeText(io, renderMetrics(scrape.exposition, summaries, keys, { style: makeStyle(useColor(io, values)), url: scrape.url, requested: url, redirects: scrape.redirects, bytes: scrape.bytes, durationMs: scrape.durationMs, grpc, all: values.all === true, series, duplicates }));
  }
  return EXIT.ok;
}
