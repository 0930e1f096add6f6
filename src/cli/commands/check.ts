import { runCheck, type CheckOptions, type StopMode } from '../../actions/run-check.js';
import { atOrAbove } from '../../model/diagnosis.js';
import { makeStyle } from '../../render/style.js';
import { defineCommand } from '../command-spec.js';
import { configFlag } from '../config-flags.js';
import { makeContext, type Context } from '../context.js';
import { parseDuration } from '../duration.js';
import { parseUrl } from '../../config/flag-values.js';
import { checkCommand, EXIT, UsageError } from '../errors.js';
import type { FlagTable } from '../flags.js';
import { useColor, type Io } from '../io.js';
import { COLOR_FLAGS, FAIL_ON, NO_METRICS } from '../shared-flags.js';
import { loadFit, outputWidth, progressLine, writeText } from '../terminal.js';
import { withInterrupt } from '../interrupt.js';
import { ruleSettingsOf } from '../rule-settings.js';
import { writeNew } from '../write-file.js';
import { parseCommandArgs } from '../parse.js';
import { renderCheck } from '../../render/check.js';
import { checkJson } from '../../render/json.js';

/** check's own flags; rerun takes them too. */
export const CHECK_FLAGS = {
  load: { type: 'string', value: 'CMD', help: 'a load command, run by /bin/sh while the server is ready' },
  hold: { type: 'string', value: 'D', help: 'without --load, how long to keep it running', defaultText: '5s' },
  stop: { type: 'string', value: 'HOW', choices: ['int', 'term', 'kill'], help: 'how to stop it: SIGINT to its process group, or SIGTERM or SIGKILL to its main process', defaultText: 'int' },
  grace: { type: 'string', value: 'D', help: 'before SIGKILL', defaultText: '10s' },
  'ready-timeout': { type: 'string', value: 'D', help: 'how long to wait for the ports', defaultText: '60s' },
  settle: configFlag('settle'),
  'no-metrics': NO_METRICS,
  'metrics-url': configFlag('metrics-url'),
  'fail-on': FAIL_ON,
} as const satisfies FlagTable;

export const spec = defineCommand({
  name: 'check',
  usage: ['check [options] -- SERVER_CMD…'],
  about: `The quick reference's Step 1, done for you: a census before; start SERVER_CMD; wait until the
watched ports listen (and the gRPC port answers; with --instances N, until N workers have started
too); run --load CMD, or hold --hold; stop the server the way you do (--stop int: SIGINT to its
process group, as Ctrl-C; term or kill: to its main process, as kill or an IDE's stop button),
escalating to SIGKILL after --grace; let it settle; a census after; then diagnose what the run
left behind (processes, ports, GPU memory before and after), counting against 1 + N with
--instances. Leftovers are reported, not killed; Ctrl-C ends the server's whole run and exits 130.
--proc-root cannot be used: check starts and stops a server on this machine.`,
  flags: { ...CHECK_FLAGS, save: { type: 'string', value: 'FILE', help: 'also write the evidence document the diagnosis was made from (JSON: diagnose --from FILE replays it); never overwrites' }, ...COLOR_FLAGS },
  common: true,
  positionals: { command: true },
  examples: [
    { run: 'rerun-doctor check -- python -m src.main', does: 'start it, hold it 5 s, stop it with Ctrl-C, diagnose what it left' },
    { run: "rerun-doctor check --instances 4 --load 'python bench.py --requests 200' -- python -m src.main --workers 4", does: 'wait for 4 workers, run a load, then stop' },
    { run: 'rerun-doctor check --stop kill --port 50051 -- python -m src.main', does: "stop it as an IDE's stop button does (SIGKILL to the main process)" },
    { run: 'rerun-doctor check --json --fail-on warning -- ./start.sh', does: 'for CI: the result as JSON, exit 1 on warnings too' },
  ],
  exit: `Exit status: 0 clean, 1 it left processes behind or findings at or above --fail-on, 2 usage
error or the server could not be checked (it exited early or never got ready).`,
});

export function checkOptions(values: Record<string, unknown>, positionals: string[], ctx: Context, io: Io, progress: (l: string) => void): CheckOptions {
  if (values['proc-root'] !== undefined) throw new UsageError('--proc-root cannot be used: check starts and stops a server on this machine');
  const stop = (values.stop as string | undefined) ?? 'int';
  if (!['int', 'term', 'kill'].includes(stop)) throw new UsageError(`--stop "${stop}": expected int, term or kill`);
  const dur = (k: string, d: string) => parseDuration((values[k] as string | undefined) ?? d, `--${k}`, { minMs: 0 });
  const o: CheckOptions = {
    command: positionals,
    cwd: io.cwd,
    stop: stop as StopMode,
    graceMs: dur('grace', '10s'),
    readyTimeoutMs: dur('ready-timeout', '60s'),
    loadCommand: (values.load as string | undefined) ?? null,
    holdMs: dur('hold', '5s'),
    settleMs: values.settle !== undefined ? dur('settle', '2s') : ctx.config.thresholds.settleSeconds * 1000,
    metricsUrl: values['metrics-url'] !== undefined ? parseUrl(values['metrics-url'] as string, '--metrics-url') : ctx.config.metricsUrl,
    metrics: values['no-metrics'] !== true,
    rules: ruleSettingsOf(ctx, io),
    progress,
  };
  // Last: every flag is right, and the command can be started, before anything is.
  if (positionals.length === 0) throw new UsageError('expected the server command after --, e.g. rerun-doctor check -- python -m src.main');
  checkCommand(positionals, { cwd: io.cwd, env: ctx.host.env, shell: false });
  return o;
}

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(spec, args);
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  const ctx = makeContext(values, io);
  const failOn = values['fail-on'] ?? 'error';
  if (!['error', 'warning', 'info'].includes(failOn)) throw new UsageError(`--fail-on "${failOn}": expected error, warning or info`);
  // On a terminal, each step on one line rewritten in place, cut to the width (terminal.ts).
  const fit = io.isTTY && outputWidth(io) !== null ? await loadFit() : null;
  const o = checkOptions(values, positionals, ctx, io, (l) => (io.isTTY ? io.stderr(progressLine(fit, io, l)) : undefined));
  const save = values.save;
  if (save !== undefined) writeNew.check(save, '--save');
  const r = await withInterrupt((signal) => runCheck(ctx, o, signal));
  if (io.isTTY) io.stderr('\r\u001b[K');
  if (save !== undefined && r.evidence) writeNew(save, JSON.stringify(r.evidence, null, 2) + '\n', '--save');
  if (ctx.json) io.stdout(JSON.stringify(checkJson(o.command, r), null, 2) + '\n');
  else await writeText(io, renderCheck(r, makeStyle(useColor(io, values)), o.command));
  if (!r.ok) return EXIT.usage;
  return r.leftBehind.length > 0 || (r.diagnosis?.findings.some((f) => atOrAbove(f, failOn as 'error')) ?? false) ? EXIT.findings : EXIT.ok;
}
