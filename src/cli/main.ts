// The CLI's one way in: pick a command, run it, map errors to exit codes. Only bin.ts exits.
import { ConfigError } from '../config/config.js';
import { StateError } from '../state/store.js';
import { Unavailable } from '../host/errors.js';
import { Interrupted } from '../model/errors.js';
import { EXIT, UsageError } from './errors.js';
import type { Io } from './io.js';
import { version } from '../version.js';

interface CommandModule {
  run(args: string[], io: Io): Promise<number>;
  help: string;
}

// Commands are loaded lazily: start-up time is most of a one-shot CLI's cost (perf-baseline.md).
export const COMMANDS = {
  diagnose: { summary: 'why the rerun got slow: the decision tree, with the evidence (the default command)', load: () => import('./commands/diagnose.js') },
  explain: { summary: "a finding's page: what it detects, the evidence, the fix", load: () => import('./commands/explain.js') },
  ports: { summary: 'who holds each port: every socket, every owner, orphaned or not', load: () => import('./commands/ports.js') },
  procs: { summary: 'server, worker and helper processes as trees, by run, orphans marked', load: () => import('./commands/procs.js') },
  count: { summary: 'count before / after a run against 1 + N; history across runs', load: () => import('./commands/count.js') },
  metrics: { summary: "read and summarise the server's Prometheus metrics; gRPC health", load: () => import('./commands/metrics.js') },
  watch: { summary: 'watch metrics or processes every 2 s, live or one line per sample; --record', load: () => import('./commands/watch.js') },
  run: { summary: 'run a server so its whole process tree dies with it (setsid, double fork, even if rerun-doctor is killed)', load: () => import('./commands/run.js') },
  guard: { summary: 'run a command and fail if it leaves processes or listening ports behind (CI)', load: () => import('./commands/guard.js') },
  clean: { summary: 'end what the last runs left behind, and nothing else (plan first, identity re-checked)', load: () => import('./commands/clean.js') },
  evidence: { summary: 'one shareable Markdown file with all the evidence, secrets redacted', load: () => import('./commands/evidence.js') },
  check: { summary: 'start a server, stop it as you do, and diagnose what it left behind', load: () => import('./commands/check.js') },
  rerun: { summary: 'K checks in a row: processes leaked and slowdown per run', load: () => import('./commands/rerun.js') },
  demo: { summary: 'start a sample server, kill its main process, show what rerun-doctor finds, clean up', load: () => import('./commands/demo.js') },
} as const satisfies Record<string, { summary: string; load: () => Promise<CommandModule> }>;

export type CommandName = keyof typeof COMMANDS;


export function usage(): string {
  const names = Object.keys(COMMANDS) as CommandName[];
  const w = Math.max(...names.map((n) => n.length));
  return `rerun-doctor: why did my inference server's rerun get slow?

Usage: rerun-doctor <command> [options]

Commands:
${names.map((n) => `  ${n.padEnd(w)}  ${COMMANDS[n].summary}`).join('\n')}

With no command, rerun-doctor runs diagnose. Run "rerun-doctor <command> --help" for a command's
options. New here? Run "rerun-doctor demo".
`;
}

export async function main(argv: string[], io: Io): Promise<number> {
  // No command, or options only: diagnose (the tool's main job).
  if (argv.length === 0 || (argv[0]!.startsWith('-') && !['--help', '-h', '--version', '-V'].includes(argv[0]!))) argv = ['diagnose', ...argv];
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.stdout(usage());
    return EXIT.ok;
  }
  if (first === '--version' || first === '-V') {
    io.stdout(`${version()}\n`);
    return EXIT.ok;
  }
  if (!(first in COMMANDS)) {
    io.stderr(`rerun-doctor: unknown command "${first}": expected one of ${Object.keys(COMMANDS).join(', ')} (see rerun-doctor --help)\n`);
    return EXIT.usage;
  }
  try {
    const mod = await COMMANDS[first as CommandName].load();
    return await mod.run(rest, io);
  } catch (e) {
    return reportError(e, first, io);
  }
}

function reportError(e: unknown, command: string, io: Io): number {
  const err = e as Error & { code?: string };
  // Stopped by the user after cleaning up what it started: 128 + SIGINT, as a shell reports it.
  if (e instanceof Interrupted) {
    io.stderr(`rerun-doctor ${command}: ${err.message}\n`);
    return 130;
  }
  if (e instanceof UsageError || e instanceof ConfigError || e instanceof StateError || e instanceof Unavailable) {
    io.stderr(`rerun-doctor: ${err.message}\n`);
    return EXIT.usage;
  }
  // util.parseArgs errors: unknown or malformed flags.
  if (typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS')) {
    io.stderr(`rerun-doctor ${command}: ${err.message.split('\n')[0]} (see rerun-doctor ${command} --help)\n`);
    return EXIT.usage;
  }
  io.stderr(`rerun-doctor: internal error: ${err.stack ?? String(e)}\nPlease report it with the command you ran.\n`);
  return EXIT.usage;
}
