import { existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { diagnose } from '../../diagnosis/diagnose.js';
import { collectEvidence } from '../../evidence/collect.js';
import { evidencePlan } from '../../evidence/plan.js';
import { readEvidenceFile } from '../../evidence/replay.js';
import { atOrAbove, type Severity } from '../../model/diagnosis.js';
import type { Evidence } from '../../model/evidence.js';
import { renderDiagnosisMarkdown, renderDiagnosisText } from '../../render/diagnosis.js';
import { makeStyle } from '../../render/style.js';
import { COMMON_OPTIONS, makeContext } from '../context.js';
import { parseDuration } from '../duration.js';
import { EXIT, UsageError } from '../errors.js';
import { useColor, type Io } from '../io.js';
import { ruleSettingsOf } from '../rule-settings.js';
import { METRICS_OPTIONS, scrapeSettings } from './metrics.js';

export const help = `Usage: rerun-doctor diagnose [options]      (also: rerun-doctor with no command)
       rerun-doctor diagnose --from FILE [--format F] [--fail-on LEVEL]

Why did the rerun get slow? Collects the census (processes and ports), samples the server's
metrics over a short window (3 samples, 2 s apart), reads GPU and thermal state and the count
history, and runs the decision tree: orphaned servers, orphaned workers, a process leak, GPU
memory held, a shared port, zombies first; thermal throttling and a tokenizer bottleneck are
offered as the cause only when none of those is found. Evidence that cannot be read (metrics
unreachable, no nvidia-smi, a VM without thermal files) is reported as not judged, never as
healthy. Prints the verdict in one line, then each finding with its evidence, fix and next command.

With --from, it diagnoses a saved evidence document instead of this machine (the JSON of
\`rerun-doctor evidence --json\` or \`diagnose --save\`, or a bundle written by \`rerun-doctor
evidence\`): the same document gives the same diagnosis anywhere. The config's \`rules\` (levels and
options) apply to both.

Options:
  --quick                one metrics sample, no window (interval values need two)
  --samples N            metrics samples (default 3)
  --interval D           between samples (default 2s)
  --no-metrics           do not read metrics
  --fail-on LEVEL        exit 1 for findings at or above error (default), warning or info
  --format F             text (default), markdown or json
  --json                 the same as --format json (docs/json.md)
  --from FILE            diagnose a saved evidence document (no census is taken)
  --save FILE            also write the evidence document collected here to FILE (JSON, not
                         redacted: share \`rerun-doctor evidence\` instead); refuses to overwrite
  --instances N          model-instance workers per server, for the 1 + N count
  --metrics-url URL      where the metrics are (default "metrics-url" in the config)
  --timeout D, --max-bytes N      for the scrapes, as for \`metrics\`
  --port P, --server-pattern RE, --config FILE, --proc-root DIR, --sys-root DIR   as for \`procs\`

Exit status: 0 nothing at or above --fail-on, 1 findings, 2 usage or internal error.
`;

/** Flags that shape what is collected: meaningless for a document collected already. */
const COLLECTION_FLAGS = ['quick', 'samples', 'interval', 'no-metrics', 'metrics-url', 'timeout', 'max-bytes', 'port', 'server-pattern', 'worker-pattern', 'instances', 'proc-root', 'sys-root', 'project', 'save'] as const;

export async function run(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...COMMON_OPTIONS,
      ...METRICS_OPTIONS,
      quick: { type: 'boolean' },
      samples: { type: 'string' },
      interval: { type: 'string' },
      'no-metrics': { type: 'boolean' },
      'fail-on': { type: 'string' },
      'metrics-url': { type: 'string' },
      from: { type: 'string' },
      save: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    io.stdout(help);
    return EXIT.ok;
  }
  const failOn = (values['fail-on'] ?? 'error') as Severity;
  if (!['error', 'warning', 'info'].includes(failOn)) throw new UsageError(`--fail-on "${values['fail-on']}": expected error, warning or info`);
  const format = values.json ? 'json' : (values.format ?? 'text');
  if (!['text', 'markdown', 'json'].includes(format)) throw new UsageError(`--format "${format}": expected text, markdown or json`);
  if (values.from !== undefined) {
    const clash = COLLECTION_FLAGS.find((f) => values[f] !== undefined);
    if (clash) throw new UsageError(`--${clash} cannot be used with --from: the evidence in "${values.from}" was collected already`);
  }
  if (values.save !== undefined && existsSync(values.save)) throw new UsageError(`--save "${values.save}" exists: choose another file (it is never overwritten)`);
  let samples = values.quick ? 1 : 3;
  if (values.samples !== undefined) {
    samples = Number(values.samples);
    if (!Number.isInteger(samples) || samples < 1 || samples > 100) throw new UsageError(`--samples "${values.samples}" is not a sample count: expected an integer 1-100`);
  }
  const ctx = makeContext(values, io);
  const rules = ruleSettingsOf(ctx, io);
  let evidence: Evidence;
  if (values.from !== undefined) evidence = readEvidenceFile(values.from);
  else {
    const intervalMs = values.interval !== undefined ? parseDuration(values.interval, '--interval', { minMs: 100 }) : ctx.config.thresholds.watchIntervalSeconds * 1000;
    const progress = io.isTTY && format === 'text' ? (l: string) => io.stderr(`\r${l}`) : undefined;
    evidence = await collectEvidence(ctx.host, evidencePlan(ctx.config, ctx.root, ctx.classify, ctx.host.env, {
      samples,
      intervalMs,
      metrics: values['no-metrics'] !== true,
      metricsUrl: values['metrics-url'],
      // --timeout and --max-bytes as for `metrics` (the diagnosis asks gRPC nothing itself).
      scrape: scrapeSettings({ timeout: values.timeout, 'max-bytes': values['max-bytes'] }, ctx),
      progress,
    }));
    if (progress) io.stderr('\r\u001b[K');
    if (values.save !== undefined) {
      try {
        writeFileSync(values.save, JSON.stringify(evidence, null, 2) + '\n', { flag: 'wx' });
      } catch (e) {
        throw new UsageError(`--save "${values.save}": cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
  }
  const d = diagnose(evidence, { rules, where: values.from });
  if (format === 'json') io.stdout(JSON.stringify(d, null, 2) + '\n');
  else if (format === 'markdown') io.stdout(renderDiagnosisMarkdown(d));
  else io.stdout(renderDiagnosisText(d, makeStyle(useColor(io))));
  return d.findings.some((f) => atOrAbove(f, failOn)) ? EXIT.findings : EXIT.ok;
}
