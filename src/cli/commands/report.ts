import { defineCommand } from '../command-spec.js';
import { EXIT, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { parseCommandArgs } from '../parse.js';
import { writeNew } from '../write-file.js';

export const spec = defineCommand({
  name: 'report',
  usage: ['report FILE… [--out FILE] [--force] [--title TEXT]'],
  about: `One self-contained HTML page from saved results, to look at or attach to a bug: the verdict
and the findings with their evidence and fixes, the process trees by run with orphans marked, the
reruns, and charts over time (processes by role, orphans, time to ready and leftovers per run, p95
request latency and tokenize time, GPU memory, CPU and RSS by role), each with its values in a
table; the charts the inputs have no data for are named, with why. FILE may be any mix of: an
evidence document (\`diagnose --save\`, \`check --save\`, \`evidence --json\`, an evidence bundle),
\`diagnose --json\`, \`rerun --json\` or \`rerun --record\`, \`check --json\`, a \`watch procs\` or
\`watch metrics\` recording (\`--record\`), and the count history (its history.ndjson, or \`count
history --json\`); each is told by its content. Secrets are redacted as \`evidence\` redacts them.
The page makes no network request: uPlot, the styles and the data are inside it (docs/report.md).`,
  flags: {
    out: { type: 'string', value: 'FILE', help: 'write the page to FILE, never over an existing one without --force', defaultText: 'stdout' },
    force: { type: 'boolean', help: 'overwrite FILE' },
    title: { type: 'string', value: 'TEXT', help: "the page's title", defaultText: 'rerun-doctor report' },
  },
  common: false,
  positionals: { value: 'FILE' },
  examples: [
    { run: 'rerun-doctor report evidence.json --out report.html', does: 'the diagnosis saved by diagnose --save (or check --save) as a page' },
    { run: 'rerun-doctor report procs.ndjson metrics.ndjson --out watch.html', does: 'what watch procs / watch metrics --record kept, charted' },
    { run: 'rerun-doctor report evidence.json reruns.json procs.ndjson history.ndjson --out report.html --force', does: 'everything in one page, replacing an older one' },
  ],
  exit: 'Exit status: 0 written, 2 usage error (a FILE that is not a report input, --out FILE exists).',
});

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(spec, args);
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError('report: expected one or more FILEs: an evidence document, a rerun or watch record, or the count history (see rerun-doctor report --help)');
  const outOptions = { force: values.force === true, forceFlag: true };
  if (values.out !== undefined) writeNew.check(values.out, '--out', outOptions);
  const { readInputFile, reportHtml } = await import('../report-page.js');
  const inputs = positionals.flatMap((f) => readInputFile(f));
  const page = reportHtml(inputs, { now: new Date(), title: values.title });
  if (values.out === undefined) io.stdout(page);
  else {
    writeNew(values.out, page, '--out', outOptions);
    io.stderr(`rerun-doctor: report written to ${values.out} (${inputs.length} input${inputs.length === 1 ? '' : 's'})\n`);
  }
  return EXIT.ok;
}
