import { parseArgs } from 'node:util';
import { censusFailure, takeCensus } from '../../census/census.js';
import { procsJson } from '../../render/json.js';
import { renderProcs } from '../../render/procs.js';
import { makeStyle } from '../../render/style.js';
import { COMMON_OPTIONS, makeContext } from '../context.js';
import { EXIT } from '../errors.js';
import { useColor, type Io } from '../io.js';

export const help = `Usage: rerun-doctor procs [options]

The server, worker and helper processes as trees, grouped by run (generation), orphans marked.

Options:
  --json                 machine-readable output (docs/json.md)
  --all                  every process, not only the project's (role "other" in text)
  --wide                 do not cut command lines to the terminal width
  --port P               watched ports (repeatable or comma-separated; default 50051,8080)
  --server-pattern RE    what a server's command line looks like (default "python.*-m src\\.main")
  --worker-pattern RE    extra pattern for renamed worker processes (repeatable)
  --config FILE          config file (default: rerun-doctor.json or pyproject.toml, from the cwd up)
  --project DIR          the project runs are judged against (default: the config file's
                         directory, else the cwd); other projects' runs are marked as such
  --proc-root DIR        read processes from DIR instead of /proc (a host's /proc in a container)
  --sys-root DIR         read /sys from DIR

Exit status: 0 no orphans of this project, 1 orphans found (in a dead run of the project), 2 usage or
internal error. Other projects' runs are shown, marked, and do not change the exit status.
`;

export async function run(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { ...COMMON_OPTIONS, all: { type: 'boolean' }, wide: { type: 'boolean' } }, strict: true, allowPositionals: false });
  if (values.help) {
    io.stdout(help);
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
