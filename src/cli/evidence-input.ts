// The evidence a judging command works on, from its flags: a saved document (--from FILE), or
// this machine's, collected through the one pipeline (--samples/--quick, --interval, --no-metrics,
// --metrics-url, --timeout, --max-bytes), and written to --save FILE when asked.
import { parseUrl } from '../config/flag-values.js';
import { collectEvidence } from '../evidence/collect.js';
import { evidencePlan } from '../evidence/plan.js';
import { readEvidenceFile } from '../evidence/replay.js';
import { censusFailure, takeCensus } from '../census/census.js';
import { diagnosisInput } from '../diagnosis/input.js';
import type { Census } from '../model/census.js';
import type { Evidence } from '../model/evidence.js';
import { scrapeSettings } from './commands/metrics.js';
import type { Context } from './context.js';
import { parseDuration } from './duration.js';
import { UsageError } from './errors.js';
import type { Io } from './io.js';
import { loadFit, outputWidth, progressLine } from './terminal.js';
import { writeNew } from './write-file.js';

export interface EvidenceFlags {
  from?: string;
  save?: string;
  quick?: boolean;
  samples?: string;
  interval?: string;
  'no-metrics'?: boolean;
  'metrics-url'?: string;
  timeout?: string;
  'max-bytes'?: string;
  port?: string[];
  'server-pattern'?: string;
  'worker-pattern'?: string[];
  instances?: string;
  'proc-root'?: string;
  'sys-root'?: string;
  project?: string;
}

/** Flags that shape what is collected: meaningless for a document collected already. */
const COLLECTION_FLAGS = ['quick', 'samples', 'interval', 'no-metrics', 'metrics-url', 'timeout', 'max-bytes', 'port', 'server-pattern', 'worker-pattern', 'instances', 'proc-root', 'sys-root', 'project', 'save'] as const;

/** Before any work: --from with a collection flag, --save over a file, a bad value, is a usage error. */
export function checkEvidenceFlags(values: EvidenceFlags): void {
  if (values.from !== undefined) {
    const clash = COLLECTION_FLAGS.find((f) => values[f] !== undefined);
    if (clash) throw new UsageError(`--${clash} cannot be used with --from: the evidence in "${values.from}" was collected already`);
  }
  if (values['metrics-url'] !== undefined) parseUrl(values['metrics-url'], '--metrics-url');
  samplesOf(values);
  if (values.interval !== undefined) parseDuration(values.interval, '--interval', { minMs: 100 });
  if (values.save !== undefined) writeNew.check(values.save, '--save');
}

function samplesOf(values: EvidenceFlags): number {
  if (values.samples === undefined) return values.quick ? 1 : 3;
  const samples = Number(values.samples);
  if (!Number.isInteger(samples) || samples < 1 || samples > 100) throw new UsageError(`--samples "${values.samples}" is not a sample count: expected an integer 1-100`);
  return samples;
}

export async function evidenceFor(values: EvidenceFlags, ctx: Context, io: Io, o: { progress: boolean; environment?: boolean }): Promise<Evidence> {
  if (values.from !== undefined) return readEvidenceFile(values.from);
  const samples = samplesOf(values);
  const intervalMs = values.interval !== undefined ? parseDuration(values.interval, '--interval', { minMs: 100 }) : ctx.config.thresholds.watchIntervalSeconds * 1000;
  // On a terminal, one line rewritten in place, cut to the width so that it never wraps (terminal.ts).
  const fit = o.progress && io.isTTY && outputWidth(io) !== null ? await loadFit() : null;
  const progress = o.progress && io.isTTY ? (l: string) => io.stderr(progressLine(fit, io, l)) : undefined;
  const evidence = await collectEvidence(ctx.host, evidencePlan(ctx.config, ctx.root, ctx.classify, ctx.host.env, {
    samples,
    intervalMs,
    metrics: values['no-metrics'] !== true,
    metricsUrl: values['metrics-url'],
    // --timeout and --max-bytes as for `metrics` (the diagnosis asks gRPC nothing itself).
    scrape: scrapeSettings({ timeout: values.timeout, 'max-bytes': values['max-bytes'] }, ctx),
    environment: o.environment,
    progress,
    warn: (line) => io.stderr(`${progress ? '\r\u001b[K' : ''}rerun-doctor: warning: ${line}\n`),
  }));
  if (progress) io.stderr('\r\u001b[K');
  if (values.save !== undefined) writeNew(values.save, JSON.stringify(evidence, null, 2) + '\n', '--save');
  return evidence;
}

/** What procs and ports show: this machine's census, or the census of a saved document (--from). */
export interface ShownCensus {
  census: Census;
  ports: number[];
  patternSource: string;
  /** The time the census was taken: ages are shown against it (a replay's, not today's). */
  now: Date;
  from: string | null;
}

export async function censusFor(values: EvidenceFlags, ctx: Context, o: { enrichAll?: boolean } = {}): Promise<ShownCensus> {
  if (values.from !== undefined) {
    const e = readEvidenceFile(values.from);
    const { census } = diagnosisInput(e, values.from);
    return { census, ports: e.settings.census.ports, patternSource: e.settings.census.serverPattern, now: new Date(e.snapshot.takenAt), from: values.from };
  }
  const census = await takeCensus(ctx.host, ctx.classify, { enrichAll: o.enrichAll });
  const failure = censusFailure(census);
  if (failure) throw new UsageError(failure);
  return { census, ports: ctx.classify.ports, patternSource: ctx.classify.serverPattern.source, now: ctx.host.now(), from: null };
}
