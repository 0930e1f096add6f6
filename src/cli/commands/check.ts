import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runCheck, type CheckOptions, type StopMode } from '../../actions/run-check.js';
import { atOrAbove } from '../../model/diagnosis.js';
import { makeStyle } from '../../render/style.js';
import { COMMON_OPTIONS, makeContext, type Context } from '../context.js';
import { parseDuration } from '../duration.js';
import { EXIT, UsageError } from '../errors.js';
import { useColor, type Io } from '../io.js';
import { withInterrupt } from '../interrupt.js';
import { ruleSettingsOf } from '../rule-settings.js';
import { writeNew } from '../write-file.js';
import { renderCheck } from '../../render/check.js';
import { checkJson } from '../../render/json.js';

export const help = `Usage: rerun-doctor check [options] -- SERVER_CMD…

The quick reference's Step 1, done for you: a census before; start SERVER_CMD; wait until the
watched ports listen (and the gRPC port answers); run --load CMD, or hold --hold; stop the
server the way you do (--stop int: SIGINT to its process group, as Ctrl-C; term or kill: to its
main process, as kill or an IDE's stop button), escalating to SIGKILL after --grace; let it
settle; a census after; then diagnose what the run left behind (processes, ports, GPU memory
before and after). Leftovers are reported, not killed.

Options:
  --instances N          model-instance workers per server: ready waits for N workers too, and
                         the diagnosis counts against 1 + N
  --load CMD             a load command, run by /bin/sh while the server is ready
  --hold D               without --load, how long to keep it running (default 5s)
  --stop int|term|kill   how to stop it (default int)
  --grace D              before SIGKILL (default 10s)
  --ready-timeout D      how long to wait for the ports (default 60s)
  --settle D             after it exits, before the census (default "settle-seconds" in the config, 2s)
  --no-metrics           do not read the server's metrics
  --metrics-url URL      where they are (default "metrics-url" in the config)
  --fail-on LEVEL        error (default), warning or info
  --save FILE            also write the evidence document the diagnosis was made from (JSON;
                         replay it with diagnose --from FILE); refuses to overwrite
  --json                 machine-readable result
  --port P, --config FILE, --server-pattern RE   as for \`procs\` (the ports to wait for)

Exit status: 0 clean, 1 it left processes behind or findings at or above --fail-on, 2 usage
error or the server could not be checked (it exited early or never got ready).
`;

export const CHECK_OPTIONS = {
  ...COMMON_OPTIONS,
  load: { type: 'string' },
  hold: { type: 'string' },
  stop: { type: 'string' },
  grace: { type: 'string' },
  'ready-timeout': { type: 'string' },
  settle: { type: 'string' },
  'no-metrics': { type: 'boolean' },
  'metrics-url': { type: 'string' },
  'fail-on': { type: 'string' },
  save: { type: 'string' },
} as const;

export function checkOptions(values: Record<string, unknown>, positionals: string[], ctx: Context, io: Io, progress: (l: string) => void): CheckOptions {
  if (positionals.length === 0) throw new UsageError('expected the server command after --, e.g. rerun-doctor check -- python -m src.main');
  if (values['proc-root'] !== undefined) throw new UsageError('--proc-root cannot be used: check starts and stops a server on this machine');
  const stop = (values.stop as string | undefined) ?? 'int';
  if (!['int', 'term', 'kill'].includes(stop)) throw new UsageError(`--stop "${stop}": expected int, term or kill`);
  const dur = (k: string, d: string) => parseDuration((values[k] as string | undefined) ?? d, `--${k}`, { minMs: 0 });
  return {
    command: positionals,
    cwd: io.cwd,
    stop: stop as StopMode,
    graceMs: dur('grace', '10s'),
    readyTimeoutMs: dur('ready-timeout', '60s'),
    loadCommand: (values.load as string | undefined) ?? null,
    holdMs: dur('hold', '5s'),
    settleMs: values.settle !== undefined ? dur('settle', '2s') : ctx.config.thresholds.settleSeconds * 1000,
    metricsUrl: (values['metrics-url'] as string | undefined) ?? ctx.config.metricsUrl,
    metrics: values['no-metrics'] !== true,
    rules: ruleSettingsOf(ctx, io),
    progress,
  };
}

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: CHECK_OPTIONS, strict: true, allowPositionals: true });
  if (values.help) {
    io.stdout(help);
    return EXIT.ok;
  }
  const ctx = makeContext(values, io);
  const failOn = values['fail-on'] ?? 'error';
  if (!['error', 'warning', 'info'].includes(failOn)) throw new UsageError(`--fail-on "${failOn}": expected error, warning or info`);
  const o = checkOptions(values, positionals, ctx, io, (l) => (io.isTTY ? io.stderr(`\r\u001b[K${l}`) : undefined));
  const save = values.save;
  if (save !== undefined && existsSync(save)) throw new UsageError(`--save "${save}" exists: choose another file (it is never overwritten)`);
  const r = await withInterrupt((signal) => runCheck(ctx, o, signal));
  if (io.isTTY) io.stderr('\r\u001b[K');
  if (save !== undefined && r.evidence) writeNew(save, JSON.stringify(r.evidence, null, 2) + '\n', '--save');
  if (ctx.json) io.stdout(JSON.stringify(checkJson(o.command, r), null, 2) + '\n');
  else io.stdout(renderCheck(r, makeStyle(useColor(io)), o.command));
  if (!r.ok) return EXIT.usage;
  return r.leftBehind.length > 0 || (r.diagnosis?.findings.some((f) => atOrAbove(f, failOn as 'error')) ?? false) ? EXIT.findings : EXIT.ok;
}
