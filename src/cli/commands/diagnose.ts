import { parseArgs } from 'node:util';
import { gather } from '../../diagnosis/gather.js';
import { atOrAbove, diagnose } from '../../rules/diagnose.js';
import type { Severity } from '../../rules/types.js';
import { renderDiagnosisMarkdown, renderDiagnosisText } from '../../render/diagnosis.js';
import { makeStyle } from '../../render/style.js';
import { COMMON_OPTIONS, makeContext } from '../context.js';
import { parseDuration } from '../duration.js';
import { EXIT, UsageError } from '../errors.js';
import { useColor, type Io } from '../io.js';
import { METRICS_OPTIONS, scrapeSettings } from './metrics.js';

export const help = `Usage: rerun-doctor diagnose [options]      (also: rerun-doctor with no command)

Why did the rerun get slow? Collects the census (processes and ports), samples the server's
metrics over a short window (3 samples, 2 s apart), reads GPU and thermal state and the count
history, and runs the decision tree: orphaned servers, orphaned workers, a process leak, GPU
memory held, a shared port, zombies first; thermal throttling and a tokenizer bottleneck are
offered as the cause only when none of those is found. Evidence that cannot be read (metrics
unreachable, no nvidia-smi, a VM without thermal files) is reported as not judged, never as
healthy. Prints the verdict in one line, then each finding with its evidence, fix and next command.

Options:
  --quick                one metrics sample, no window (interval values need two)
  --samples N            metrics samples (default 3)
  --interval D           between samples (default 2s)
  --no-metrics           do not read metrics
  --fail-on LEVEL        exit 1 for findings at or above error (default), warning or info
  --format F             text (default), markdown or json
  --json                 the same as --format json (docs/json.md)
  --instances N          model-instance workers per server, for the 1 + N count
  --metrics-url URL      where the metrics are (default "metrics-url" in the config)
  --timeout D, --max-bytes N      for the scrapes, as for \`metrics\`
  --port P, --server-pattern RE, --config FILE, --proc-root DIR, --sys-root DIR   as for \`procs\`

Exit status: 0 nothing at or above --fail-on, 1 findings, 2 usage or internal error.
`;

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
  let samples = values.quick ? 1 : 3;
  if (values.samples !== undefined) {
    samples = Number(values.samples);
    if (!Number.isInteger(samples) || samples < 1 || samples > 100) throw new UsageError(`--samples "${values.samples}" is not a sample count: expected an integer 1-100`);
  }
  const ctx = makeContext(values, io);
  const intervalMs = values.interval !== undefined ? parseDuration(values.interval, '--interval', { minMs: 100 }) : ctx.config.thresholds.watchIntervalSeconds * 1000;
  const { input } = await gather(ctx, {
    samples,
    intervalMs,
    metricsUrl: values['metrics-url'] ?? ctx.config.metricsUrl,
    metrics: values['no-metrics'] !== true,
    // --timeout and --max-bytes as for `metrics` (the diagnosis asks gRPC nothing itself).
    scrape: scrapeSettings({ timeout: values.timeout, 'max-bytes': values['max-bytes'] }, ctx),
    progress: io.isTTY && format === 'text' ? (l) => io.stderr(`\r${l}`) : undefined,
  });
  if (io.isTTY && format === 'text') io.stderr('\r\u001b[K');
  const d = diagnose(input);
  if (format === 'json') io.stdout(JSON.stringify(d, null, 2) + '\n');
  else if (format === 'markdown') io.stdout(renderDiagnosisMarkdown(d));
  else io.stdout(renderDiagnosisText(d, makeStyle(useColor(io))));
  return d.findings.some((f) => atOrAbove(f, failOn)) ? EXIT.findings : EXIT.ok;
}
