import { parseArgs } from 'node:util';
import { censusFailure, takeCensus } from '../../census/census.js';
import { procsJson } from '../../render/json.js';
import { renderProcs } from '../../render/procs.js';
import { makeStyle } from '../../render/style.js';
import { defineCommand } from '../command-spec.js';
import { makeContext } from '../context.js';
import { EXIT } from '../errors.js';
import { useColor, type Io } from '../io.js';
import { WIDE } from '../shared-flags.js';

export const spec = defineCommand({
  name: 'procs',
  usage: ['procs [options]'],
  about: 'The server, worker and helper processes as trees, grouped by run (generation), orphans marked.',
  flags: {
    all: { type: 'boolean', help: 'every process, not only the project\'s (role "other" in text)' },
    wide: WIDE,
  },
  common: true,
  examples: [
    { run: 'rerun-doctor procs', does: "the project's servers, workers and helpers, by run, with why each orphan is one" },
    { run: 'rerun-doctor procs --all --wide', does: 'every process, command lines not cut' },
    { run: 'rerun-doctor procs --proc-root /host/proc --json', does: "from a container: the host's processes, as JSON (docs/json.md)" },
    { run: "rerun-doctor procs --server-pattern 'uvicorn .*app:main' --port 8000", does: 'a server that is not python -m src.main, on another port' },
  ],
  exit: `Exit status: 0 no orphans of this project, 1 orphans found (in a dead run of the project), 2
usage or internal error. Other projects' runs are shown, marked, and do not change the exit status.`,
});

export async function run(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: spec.options, strict: true, allowPositionals: false });
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  const ctx = makeContext(values, io);
  const census = await takeCensus(ctx.host, ctx.classify, { enrichAll: values.all === true });
  const failure = censusFailure(census);
  if (failure) {
    io.stderr(`rerun-doctor: ${failure}\n`);
    return EXIT.usage;
  }
  if (ctx.json) {
    io.stdout(JSON.stringify(procsJson(census, { all: values.all === true, ports: ctx.classify.ports, serverPattern: ctx.classify.serverPattern.source }), null, 2) + '\n');
  } else {
    const text = renderProcs(census, { style: makeStyle(useColor(io)), now: ctx.host.now(), width: io.columns ?? 120, wide: values.wide === true, patternSource: ctx.classify.serverPattern.source, ports: ctx.classify.ports, all: values.all === true });
    io.stdout(text);
  }
  const own = new Set(census.generations.filter((g) => g.scope === 'project').map((g) => g.id));
  return census.processes.some((p) => p.orphan && p.generation !== null && own.has(p.generation)) ? EXIT.findings : EXIT.ok;
}
