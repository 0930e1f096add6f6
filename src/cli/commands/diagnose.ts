import { diagnose } from '../../diagnosis/diagnose.js';
import { atOrAbove, type Severity } from '../../model/diagnosis.js';
import { renderDiagnosisMarkdown, renderDiagnosisText } from '../../render/diagnosis.js';
import { makeStyle } from '../../render/style.js';
import { defineCommand } from '../command-spec.js';
import { configFlag } from '../config-flags.js';
import { makeContext } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { useColor, type Io } from '../io.js';
import { checkEvidenceFlags, evidenceFor } from '../evidence-input.js';
import { ruleSettingsOf } from '../rule-settings.js';
import { COLOR_FLAGS, FAIL_ON, NO_METRICS, QUICK, SCRAPE_FLAGS } from '../shared-flags.js';
import { writeText } from '../terminal.js';
import { parseCommandArgs } from '../parse.js';
import { writeNew } from '../write-file.js';

export const spec = defineCommand({
  name: 'diagnose',
  usage: ['diagnose [options]      (also: rerun-doctor with no command)', 'diagnose --from FILE [--format F] [--fail-on LEVEL]', 'diagnose --format html [--out FILE]'],
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

--json is the same as --format json (docs/diagnose.md). --format html writes the diagnosis as the
self-contained page of \`rerun-doctor report\` (docs/report.md): the findings, the process trees,
the metrics window's chart, secrets redacted as \`evidence\` redacts them.`,
  flags: {
    quick: QUICK,
    samples: { type: 'string', value: 'N', help: 'metrics samples, 1-100', defaultText: '3; 1 with --quick' },
    interval: configFlag('interval', 'between metrics samples'),
    'no-metrics': NO_METRICS,
    'metrics-url': configFlag('metrics-url'),
    timeout: SCRAPE_FLAGS.timeout,
    'max-bytes': SCRAPE_FLAGS['max-bytes'],
    'fail-on': FAIL_ON,
    format: { type: 'string', value: 'F', choices: ['text', 'markdown', 'json', 'html'], help: 'how to print the diagnosis (html: the page of `report`)', defaultText: 'text' },
    out: { type: 'string', value: 'FILE', help: 'write the diagnosis to FILE instead of stdout; never overwrites' },
    from: { type: 'string', value: 'FILE', help: 'diagnose a saved evidence document (no census is taken)' },
    save: { type: 'string', value: 'FILE', help: 'also write the evidence collected here to FILE (JSON, not redacted: share `evidence` instead); never overwrites' },
    ...COLOR_FLAGS,
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

export async function run(args: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs(spec, args);
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  const failOn = (values['fail-on'] ?? 'error') as Severity;
  if (!['error', 'warning', 'info'].includes(failOn)) throw new UsageError(`--fail-on "${values['fail-on']}": expected error, warning or info`);
  const format = values.json ? 'json' : (values.format ?? 'text');
  if (!['text', 'markdown', 'json', 'html'].includes(format)) throw new UsageError(`--format "${format}": expected text, markdown, json or html`);
  checkEvidenceFlags(values);
  if (values.out !== undefined) writeNew.check(values.out, '--out');
  const ctx = makeContext(values, io);
  const rules = ruleSettingsOf(ctx, io);
  const evidence = await evidenceFor(values, ctx, io, { progress: format === 'text' && values.out === undefined });
  const d = diagnose(evidence, { rules, where: values.from });
  const code = d.findings.some((f) => atOrAbove(f, failOn)) ? EXIT.findings : EXIT.ok;
  let out: string;
  if (format === 'json') out = JSON.stringify(d, null, 2) + '\n';
  else if (format === 'markdown') out = renderDiagnosisMarkdown(d);
  else if (format === 'html') {
    // Loaded only here: the report layer and uPlot cost the other formats nothing.
    const { reportHtml } = await import('../report-page.js');
    out = reportHtml([{ kind: 'evidence', name: values.from ?? `this machine (${evidence.snapshot.hostname})`, evidence, diagnosis: d }], { now: ctx.host.now(), title: 'rerun-doctor diagnosis' });
  } else if (values.out === undefined) {
    // Text on the terminal: coloured as the flags and environment say, fitted to its width.
    await writeText(io, renderDiagnosisText(d, makeStyle(useColor(io, values))));
    return code;
  } else out = renderDiagnosisText(d, makeStyle(false));
  if (values.out !== undefined) {
    writeNew(values.out, out, '--out');
    io.stderr(`rerun-doctor: diagnosis written to ${values.out}; verdict: ${d.verdict}\n`);
  } else io.stdout(out);
  return code;
}
