import { procsJson } from '../../render/json.js';
import { renderProcs } from '../../render/procs.js';
import { makeStyle } from '../../render/style.js';
import { defineCommand } from '../command-spec.js';
import { makeContext } from '../context.js';
import { EXIT } from '../errors.js';
import { censusFor, checkEvidenceFlags } from '../evidence-input.js';
import { useColor, type Io } from '../io.js';
import { redactCensus } from '../../evidence/redact/census.js';
import { COLOR_FLAGS, REDACT, SHAREABLE_NOTE, WIDE } from '../shared-flags.js';
import { outputWidth, writeText } from '../terminal.js';
import { parseCommandArgs } from '../parse.js';

export const spec = defineCommand({
  name: 'procs',
  usage: ['procs [options]', 'procs --from FILE [--all] [--wide] [--redact] [--json]'],
  about: `The server, worker and helper processes as trees, grouped by run (generation), orphans marked.
With --from, the processes of a saved evidence document (a bundle someone sent, a diagnose --save
file), judged as they were on the machine it came from.

${SHAREABLE_NOTE}`,
  flags: {
    from: { type: 'string', value: 'FILE', help: 'show the census of a saved evidence document instead of this machine' },
    all: { type: 'boolean', help: 'every process, not only the project\'s (role "other" in text)' },
    wide: WIDE,
    redact: REDACT,
    ...COLOR_FLAGS,
  },
  common: true,
  examples: [
    { run: 'rerun-doctor procs', does: "the project's servers, workers and helpers, by run, with why each orphan is one" },
    { run: 'rerun-doctor procs --from bug-report.md', does: "the process trees in a bundle someone sent, as on their machine" },
    { run: 'rerun-doctor procs --proc-root /host/proc --wide --redact', does: "from a container: the host's processes, whole command lines, secrets as [REDACTED]" },
    { run: "rerun-doctor procs --server-pattern 'uvicorn .*app:main' --port 8000", does: 'a server that is not python -m src.main, on another port' },
  ],
  exit: `Exit status: 0 no orphans of this project, 1 orphans found (in a dead run of the project), 2
usage or internal error. Other projects' runs are shown, marked, and do not change the exit status.`,
});

export async function run(args: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs(spec, args);
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  checkEvidenceFlags(values);
  const ctx = makeContext(values, io);
  const shown = await censusFor(values, ctx, { enrichAll: values.all === true });
  const { ports, patternSource, now } = shown;
  // Judged on the real argv first; redacting changes what is printed, never what was found.
  const redacted = values.redact ? redactCensus(shown.census) : null;
  const census = redacted?.census ?? shown.census;
  if (ctx.json) {
    io.stdout(JSON.stringify(procsJson(census, { all: values.all === true, ports, serverPattern: patternSource, redactions: redacted?.redactions }), null, 2) + '\n');
  } else {
    // --wide: lines whole, neither cut nor wrapped (the terminal wraps them; a command line copies whole).
    const text = renderProcs(census, { style: makeStyle(useColor(io, values)), now, width: outputWidth(io) ?? 120, wide: values.wide === true, patternSource, ports, all: values.all === true });
    if (values.wide === true) io.stdout(text);
    else await writeText(io, text);
  }
  const own = new Set(census.generations.filter((g) => g.scope === 'project').map((g) => g.id));
  return census.processes.some((p) => p.orphan && p.generation !== null && own.has(p.generation)) ? EXIT.findings : EXIT.ok;
}
