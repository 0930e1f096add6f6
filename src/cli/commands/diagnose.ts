import { parseArgs } from 'node:util';
import { gather } from '../../diagnosis/gather.js';
import { atOrAbove, diagnose } from '../../rules/diagnose.js';
import type { Severity } from '../../rules/types.js';
import { renderDiagnosisMarkdown, renderDiagnosisText } from '../../render/diagnosis.js';
import { makeStyle } from '../../render/style.js';
import { defineCommand } from '../command-spec.js';
import { configFlag } from '../config-flags.js';
import { makeContext } from '../context.js';
import { parseDuration } from '../duration.js';
import { EXIT, UsageError } from '../errors.js';
import { useColor, type Io } from '../io.js';
import { FAIL_ON, NO_METRICS, QUICK, SCRAPE_FLAGS } from '../shared-flags.js';
import { scrapeSettings } from './metrics.js';

export const spec = defineCommand({
  name: 'diagnose',
  usage: ['diagnose [options]      (also: rerun-doctor with no command)'],
  about: `Why did the rerun get slow? Collects the census (processes and ports), samples the server's
metrics over a short window (3 samples, 2 s apart), reads GPU and thermal state and the count
history, and runs the decision tree: orphaned servers, orphaned workers, a process leak, GPU
memory held, a shared port, zombies first; thermal throttling and a tokenizer bottleneck are
offered as the cause only when none of those is found. Evidence that cannot be read (metrics
unreachable, no nvidia-smi, a VM without thermal files) is reported as not judged, never as
healthy. Prints the verdict in one line, then each finding with its evidence, fix and next command.
--json is the same as --format json (docs/diagnose.md).`,
  flags: {
    quick: QUICK,
    samples: { type: 'string', value: 'N', help: 'metrics samples, 1-100', defaultText: '3; 1 with --quick' },
    interval: configFlag('interval', 'between metrics samples'),
    'no-metrics': NO_METRICS,
    'metrics-url': configFlag('metrics-url'),
    timeout: SCRAPE_FLAGS.timeout,
    'max-bytes': SCRAPE_FLAGS['max-bytes'],
    'fail-on': FAIL_ON,
    format: { type: 'string', value: 'F', choices: ['text', 'markdown', 'json'], help: 'how to print the diagnosis', defaultText: 'text' },
  },
  common: true,
  examples: [
    { run: 'rerun-doctor', does: 'the diagnosis of this project, with the evidence and the fix' },
    { run: 'rerun-doctor diagnose --quick --no-metrics', does: 'processes, ports, GPU and thermal state only: no metrics window' },
    { run: 'rerun-doctor diagnose --fail-on warning --format markdown > diagnosis.md', does: 'for CI: exit 1 on warnings too, the report as Markdown' },
    { run: 'rerun-doctor diagnose --metrics-url http://127.0.0.1:9100/metrics --samples 5 --interval 1s', does: 'a longer metrics window, from another endpoint' },
  ],
  exit: 'Exit status: 0 nothing at or above --fail-on, 1 findings, 2 usage or internal error.',
});

export async function run(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: spec.options, strict: true, allowPositionals: false });
  if (values.help) {
    io.stdout(spec.help);
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
