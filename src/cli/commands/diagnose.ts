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
import { defineCommand } from '../command-spec.js';
import { configFlag } from '../config-flags.js';
import { makeContext } from '../context.js';
import { parseDuration } from '../duration.js';
import { EXIT, UsageError } from '../errors.js';
import { useColor, type Io } from '../io.js';
import { ruleSettingsOf } from '../rule-settings.js';
import { FAIL_ON, NO_METRICS, QUICK, SCRAPE_FLAGS } from '../shared-flags.js';
import { scrapeSettings } from './metrics.js';

export const spec = defineCommand({
  name: 'diagnose',
  usage: ['diagnose [options]      (also: rerun-doctor with no command)', 'diagnose --from FILE [--format F] [--fail-on LEVEL]'],
  about: `Why did the rerun get slow? Collects the census (processes and ports), samples the server's
metrics over a short window (3 samples, 2 s apart), reads GPU and thermal state and the count
history, and runs the decision tree: orphaned servers, orphaned workers, a process leak, GPU
memory held, a shared port, zombies first; thermal throttling and a tokenizer bottleneck are
offered as the cause only when none of those is found. Evidence that cannot be read (metrics
unreachable, no nvidia-smi, a VM without thermal files) is reported as not judged, never as
healthy. Prints the verdict in one line, then each finding with its evidence, fix and next command.
With --from, it diagnoses a saved evidence document instead of this machine (the JSON of
\`rerun-doctor evidence --json\`, \`diagnose --save\` or \`check --save\`, or a bundle written by
\`rerun-doctor evidence\`): the same document gives the same diagnosis anywhere. The config's
\`rules\` (levels and options, docs/diagnose.md) apply to both.

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
    from: { type: 'string', value: 'FILE', help: 'diagnose a saved evidence document (no census is taken)' },
    save: { type: 'string', value: 'FILE', help: 'also write the evidence collected here to FILE (JSON, not redacted: share `evidence` instead); never overwrites' },
  },
  common: true,
  examples: [
    { run: 'rerun-doctor', does: 'the diagnosis of this project, with the evidence and the fix' },
    { run: 'rerun-doctor diagnose --quick --no-metrics', does: 'processes, ports, GPU and thermal state only: no metrics window' },
    { run: 'rerun-doctor diagnose --fail-on warning --format markdown > diagnosis.md', does: 'for CI: exit 1 on warnings too, the report as Markdown' },
    { run: 'rerun-doctor diagnose --from bug-report.md', does: "the diagnosis of a bundle someone sent (or of a saved --save FILE), as on their machine" },
  ],
  exit: 'Exit status: 0 nothing at or above --fail-on, 1 findings, 2 usage or internal error.',
});

/** Flags that shape what is collected: meaningless for a document collected already. */
const COLLECTION_FLAGS = ['quick', 'samples', 'interval', 'no-metrics', 'metrics-url', 'timeout', 'max-bytes', 'port', 'server-pattern', 'worker-pattern', 'instances', 'proc-root', 'sys-root', 'project', 'save'] as const;

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
