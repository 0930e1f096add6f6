import { join } from 'node:path';
import { censusFailure, takeCensus } from '../../census/census.js';
import { compare, COUNT_SCHEMA_VERSION, censusSummary, judgeCount, saveable, trend } from '../../census/count.js';
import type { HistoryEntry, SavedCensus } from '../../model/count.js';
import { renderCompare, renderHistory } from '../../render/count.js';
import { countCompareJson, countHistoryJson, countSavedJson } from '../../render/json.js';
import { makeStyle } from '../../render/style.js';
import { historyEntryProblem, savedCensusProblem } from '../../state/records.js';
import { appendNdjson, projectStateDir, readJsonFile, readNdjson, skippedNote, stateBaseDir, writeJsonFile } from '../../state/store.js';
import { defineCommand } from '../command-spec.js';
import { COLOR_FLAGS } from '../shared-flags.js';
import { writeText } from '../terminal.js';
import { makeContext } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { useColor, type Io } from '../io.js';
import { parseCommandArgs } from '../parse.js';

export const spec = defineCommand({
  name: 'count',
  usage: ['count before', 'count after [--instances N]', 'count history'],
  about: `Count the project's processes around a run, the quick reference's "count before/after":
  before    save a census of the project's processes now (before you start or stop the server)
  after     compare against the saved census: what survived, what is new, what is gone, and
            the count against the expected 1 + N per running server; helper processes
            (resource tracker, forkserver) are explained, not counted as a leak
  history   every count taken for this project, and whether the count grows run after run

Counts are kept under --state-dir, one directory per project.`,
  flags: { ...COLOR_FLAGS },
  common: true,
  positionals: { choices: ['before', 'after', 'history'] },
  examples: [
    { run: 'rerun-doctor count before', does: 'save the census before you stop and start the server' },
    { run: 'rerun-doctor count after --instances 4', does: 'then compare: 1 main + 4 workers expected per running server' },
    { run: 'rerun-doctor count history --json', does: 'every count of this project and the trend, as JSON (docs/json.md)' },
  ],
  exit: `Exit status: 0 as expected, 1 more processes than the running servers explain (or a growing count
in history), 2 usage error (for example \`after\` with no saved \`before\`).`,
});

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(spec, args);
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  const [sub, ...rest] = positionals;
  if (sub === undefined) throw new UsageError('count: expected "before", "after" or "history"');
  if (!['before', 'after', 'history'].includes(sub)) throw new UsageError(`count: unknown subcommand "${sub}": expected "before", "after" or "history"`);
  if (rest.length > 0) throw new UsageError(`count ${sub}: unexpected argument "${rest[0]}"`);
  const ctx = makeContext(values, io);
  const dir = projectStateDir(stateBaseDir(ctx.config.stateDir, io.env), ctx.root);
  const beforePath = join(dir, 'before.json');
  const historyPath = join(dir, 'history.ndjson');
  const style = makeStyle(useColor(io, values));

  if (sub === 'history') {
    const { entries, bad, skipped } = readNdjson<HistoryEntry>(historyPath, historyEntryProblem);
    const note = skippedNote(historyPath, skipped);
    if (note) io.stderr(`rerun-doctor: warning: ${note}\n`);
    const t = trend(entries);
    if (ctx.json) io.stdout(JSON.stringify(countHistoryJson({ root: ctx.root, file: historyPath, entries, trend: t, badLines: bad, skipped }), null, 2) + '\n');
    else await writeText(io, renderHistory(entries, t, { style, now: ctx.host.now(), file: historyPath }));
    return t.growing ? EXIT.findings : EXIT.ok;
  }

  const census = await takeCensus(ctx.host, ctx.classify);
  const failure = censusFailure(census);
  if (failure) {
    io.stderr(`rerun-doctor: ${failure}\n`);
    return EXIT.usage;
  }
  const instances = ctx.config.instances;
  if (sub === 'before') {
    const saved: SavedCensus = { schemaVersion: COUNT_SCHEMA_VERSION, kind: 'before', takenAt: census.snapshot.takenAt, root: ctx.root, processes: saveable(census) };
    writeJsonFile(beforePath, saved);
    const summary = censusSummary(census);
    const judged = judgeCount(census, instances);
    appendNdjson(historyPath, { schemaVersion: COUNT_SCHEMA_VERSION, kind: 'before', takenAt: saved.takenAt, summary, expected: judged.expected, unexplained: judged.unexplained.length } satisfies HistoryEntry);
    if (ctx.json) io.stdout(JSON.stringify(countSavedJson(beforePath, summary), null, 2) + '\n');
    else {
      const r = summary.byRole;
      await writeText(io, `Saved the census: ${summary.total} project process${summary.total === 1 ? '' : 'es'} (${r.server} server, ${r.worker} worker${r.worker === 1 ? '' : 's'}, ${r.helper} helper${r.helper === 1 ? '' : 's'}${summary.orphans ? `, ${summary.orphans} orphaned` : ''}) in ${beforePath}\nNow run or stop the server, then: rerun-doctor count after${instances === null ? ' --instances N' : ''}\n`);
    }
    return EXIT.ok;
  }
  // Checked field by field (src/state/records.ts): a wrong file is one line naming it and what is wrong.
  const before = readJsonFile<SavedCensus>(beforePath, savedCensusProblem, 'run "rerun-doctor count before" again');
  if (!before) throw new UsageError(`count after: no saved census in ${dir}: run "rerun-doctor count before" first`);
  const cmp = compare(before, census, instances);
  appendNdjson(historyPath, { schemaVersion: COUNT_SCHEMA_VERSION, kind: 'after', takenAt: cmp.after.takenAt, summary: cmp.after.summary, expected: cmp.expectation.expected, unexplained: cmp.expectation.unexplained.length } satisfies HistoryEntry);
  if (ctx.json) io.stdout(JSON.stringify(countCompareJson(cmp), null, 2) + '\n');
  else await writeText(io, renderCompare(cmp, { style, now: ctx.host.now() }));
  return cmp.expectation.verdict === 'leak' ? EXIT.findings : EXIT.ok;
}
