import { runCheck, type CheckResult } from '../../actions/run-check.js';
import { checkResultJson, rerunJson } from '../../render/json.js';
import { renderRerun, rerunTrend } from '../../render/rerun.js';
import { makeStyle } from '../../render/style.js';
import { openRecorder } from '../../watch/record.js';
import { defineCommand } from '../command-spec.js';
import { makeContext } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { withInterrupt } from '../interrupt.js';
import { useColor, type Io } from '../io.js';
import { COLOR_FLAGS } from '../shared-flags.js';
import { textWriter, writeText } from '../terminal.js';
import { parseCommandArgs } from '../parse.js';
import { writeNew } from '../write-file.js';
import { version } from '../../version.js';
import { CHECK_FLAGS, checkOptions } from './check.js';

// check's flags but --fail-on: the verdict here is the trend, not the findings.
const { 'fail-on': _failOn, ...RUN_FLAGS } = CHECK_FLAGS;

export const spec = defineCommand({
  name: 'rerun',
  usage: ['rerun -n K [options] -- SERVER_CMD…'],
  about: `K \`check\` runs in a row, with progress, then a table per run: time to ready, load time, p95
request latency and tokenize time from the metrics, processes left behind (in all, so far), GPU
memory. The trend is the verdict: processes leaked per run, slowdown per run. Every \`check\`
option but --fail-on applies to each run.`,
  flags: {
    n: { type: 'string', value: 'K', short: 'n', help: 'how many runs, 2-50' },
    record: { type: 'string', value: 'FILE', help: "append every run's result to FILE as NDJSON" },
    html: { type: 'string', value: 'FILE', help: 'also write the runs as the page of `report` (docs/report.md); never overwrites' },
    ...RUN_FLAGS,
    ...COLOR_FLAGS,
  },
  common: true,
  positionals: { command: true },
  examples: [
    { run: 'rerun-doctor rerun -n 5 -- python -m src.main', does: 'five checks in a row: does each run leave something behind, or start slower?' },
    { run: "rerun-doctor rerun -n 10 --stop kill --load 'python bench.py' --record reruns.ndjson -- python -m src.main", does: 'ten runs stopped as an IDE does, under load, each result kept' },
    { run: 'rerun-doctor rerun -n 3 --html reruns.html -- python -m src.main', does: 'three runs, and a page with the time to ready and the leftovers per run charted' },
    { run: 'rerun-doctor rerun -n 3 --json -- ./start.sh', does: 'the runs and the trend as one JSON object' },
  ],
  exit: `Exit status: 0 no leak and no slowdown, 1 processes leaked or reruns got slower, 2 usage error
or a run could not be checked.`,
});

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(spec, args);
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  if (values.n === undefined) throw new UsageError('rerun: -n K is required: the number of runs, 2-50 (e.g. rerun-doctor rerun -n 5 -- python -m src.main)');
  const k = Number(values.n);
  if (!Number.isInteger(k) || k < 2 || k > 50) throw new UsageError(`-n "${values.n}" is not a run count: expected an integer 2-50`);
  const ctx = makeContext(values, io);
  const s = makeStyle(useColor(io, values));
  // The progress, one line per step, fitted to the terminal's width.
  const note = await textWriter(io, 'stderr');
  const o = checkOptions(values, positionals, ctx, io, () => {});
  if (values.html !== undefined) writeNew.check(values.html, '--html');
  const rec = values.record ? openRecorder(values.record, { kind: 'rerun', tool: `rerun-doctor ${version()}`, command: o.command, runs: k, startedAt: ctx.host.now().toISOString() }) : null;
  const results: CheckResult[] = [];
  const leftSoFar = new Set<number>();
  try {
    await withInterrupt(async (signal) => {
      for (let i = 1; i <= k; i++) {
        note(`run ${i}/${k}: starting…\n`);
        const r = await runCheck(ctx, { ...o, progress: (l) => note(`run ${i}/${k}: ${l}\n`) }, signal);
        results.push(r);
        rec?.write({ type: 'run', run: i, ...checkResultJson(r) });
        if (!r.ok) return;
        r.leftBehind.forEach((p) => leftSoFar.add(p.pid));
      }
    });
  } finally {
    rec?.close();
  }
  const failed = results.find((r) => !r.ok);
  const at = failed ? results.indexOf(failed) + 1 : 0;
  const trend = rerunTrend(results, k);
  if (values.html !== undefined && results.length > 0) {
    const { reportHtml } = await import('../report-page.js');
    const page = reportHtml([{ kind: 'rerun', name: `rerun -n ${k}`, command: o.command, runs: results.map(checkResultJson), error: failed ? `run ${at} could not be checked: ${failed.error}` : null }], { now: ctx.host.now(), title: 'rerun-doctor rerun' });
    writeNew(values.html, page, '--html');
    io.stderr(`rerun-doctor: report written to ${values.html}\n`);
  }
  if (ctx.json) {
    const leftInAll = [...leftSoFar, ...(failed?.leftBehind.map((p) => p.pid) ?? [])];
    io.stdout(JSON.stringify(rerunJson({ command: o.command, runs: results, leftBehindInAll: leftInAll, leaked: leftInAll.length > 0, slower: failed ? false : trend.slower, error: failed ? `run ${at} could not be checked: ${failed.error}` : null }), null, 2) + '\n');
  } else if (failed) await writeText(io, s.red(`run ${at} could not be checked: ${failed.error}\n`));
  else await writeText(io, renderRerun(results, k, trend, s));
  if (failed) return EXIT.usage;
  return trend.leaked || trend.slower ? EXIT.findings : EXIT.ok;
}
