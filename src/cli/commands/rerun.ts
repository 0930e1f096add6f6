import { parseArgs } from 'node:util';
import { runCheck, type CheckResult } from '../../actions/run-check.js';
import type { IntervalSummary } from '../../model/metrics-summary.js';
import { toMs } from '../../metrics/report.js';
import { makeStyle } from '../../render/style.js';
import { openRecorder } from '../../watch/record.js';
import type { MetricsSample } from '../../model/metrics-sample.js';
import { defineCommand } from '../command-spec.js';
import { makeContext } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { useColor, type Io } from '../io.js';
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
    ...RUN_FLAGS,
  },
  common: true,
  positionals: { command: true },
  examples: [
    { run: 'rerun-doctor rerun -n 5 -- python -m src.main', does: 'five checks in a row: does each run leave something behind, or start slower?' },
    { run: "rerun-doctor rerun -n 10 --stop kill --load 'python bench.py' --record reruns.ndjson -- python -m src.main", does: 'ten runs stopped as an IDE does, under load, each result kept' },
    { run: 'rerun-doctor rerun -n 3 --json -- ./start.sh', does: 'the runs and the trend as one JSON object' },
  ],
  exit: `Exit status: 0 no leak and no slowdown, 1 processes leaked or reruns got slower, 2 usage error
or a run could not be checked.`,
});

function p95Of(s: MetricsSample | null, key: string): number | null {
  if (!s || !s.ok) return null;
  const row = s.keys.find((k) => k.key === key)?.series[0] as IntervalSummary | undefined;
  if (row?.p95 === undefined || !Number.isFinite(row.p95)) return null;
  return toMs(row.family, null, row.p95) ?? row.p95;
}

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: spec.options, strict: true, allowPositionals: true });
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  const k = Number(values.n ?? 'x');
  if (!Number.isInteger(k) || k < 2 || k > 50) throw new UsageError(`-n "${values.n ?? ''}" is not a run count: expected an integer 2-50`);
  const ctx = makeContext(values, io);
  const s = makeStyle(useColor(io));
  const o = checkOptions(values, positionals, ctx, io, () => {});
  const rec = values.record ? openRecorder(values.record, { kind: 'rerun', tool: `rerun-doctor ${version()}`, command: o.command, runs: k, startedAt: ctx.host.now().toISOString() }) : null;
  const results: CheckResult[] = [];
  const leftSoFar = new Set<number>();
  const rows: string[][] = [];
  try {
    for (let i = 1; i <= k; i++) {
      io.stderr(`run ${i}/${k}: starting…\n`);
      const r = await runCheck(ctx, { ...o, progress: (l) => io.stderr(`run ${i}/${k}: ${l}\n`) });
      results.push(r);
      rec?.write({ type: 'run', run: i, ...r });
      if (!r.ok) {
        if (ctx.json) io.stdout(JSON.stringify({ schemaVersion: 1, command: o.command, runs: results, leftBehindInAll: [...leftSoFar, ...r.leftBehind.map((p) => p.pid)], leaked: leftSoFar.size > 0 || r.leftBehind.length > 0, slower: false, error: `run ${i} could not be checked: ${r.error}` }, null, 2) + '\n');
        else io.stdout(s.red(`run ${i} could not be checked: ${r.error}\n`));
        return EXIT.usage;
      }
      r.leftBehind.forEach((p) => leftSoFar.add(p.pid));
      const lat = p95Of(r.metricsAfterLoad, 'requestLatency');
      const tok = p95Of(r.metricsAfterLoad, 'tokenize');
      rows.push([String(i), ((r.readyMs ?? 0) / 1000).toFixed(1), ((r.loadMs ?? 0) / 1000).toFixed(1), lat === null ? '-' : lat.toFixed(1), tok === null ? '-' : tok.toFixed(1), String(r.leftBehind.length), String(leftSoFar.size), r.gpuAfterMiB === null ? '-' : String(r.gpuAfterMiB)]);
    }
  } finally {
    rec?.close();
  }
  const head = ['run', 'ready s', 'load s', 'p95 latency ms', 'p95 tokenize ms', 'left', 'left in all', 'GPU MiB after'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padStart(w[i]!)).join('  ');
  const out = [fmt(head), ...rows.map(fmt), ''];
  const leaked = leftSoFar.size > 0;
  const ready = results.map((r) => r.readyMs ?? 0);
  const slower = ready[ready.length - 1]! > ready[0]! * 1.5 && ready[ready.length - 1]! - ready[0]! > 500;
  if (leaked) out.push(s.red(`LEAK: ${leftSoFar.size} processes left behind over ${k} runs (about ${(leftSoFar.size / k).toFixed(1)} per run)`));
  if (slower) out.push(s.red(`SLOWER: time to ready went from ${(ready[0]! / 1000).toFixed(1)} s to ${(ready[ready.length - 1]! / 1000).toFixed(1)} s`));
  if (!leaked && !slower) out.push(s.green(`OK: ${k} runs, nothing left behind, no slowdown`));
  if (ctx.json) io.stdout(JSON.stringify({ schemaVersion: 1, command: o.command, runs: results, leftBehindInAll: [...leftSoFar], leaked, slower, error: null }, null, 2) + '\n');
  else io.stdout(out.join('\n') + '\n');
  return leaked || slower ? EXIT.findings : EXIT.ok;
}
