// The commands, by name: a one-line summary and how to load each. Loaded lazily: start-up time is
// most of a one-shot CLI's cost (perf-baseline.md). `help` and `completion` read every command's
// spec through it. Each loader says its type: `help` imports this table, so inferring it from the
// modules would be circular.
import type { CommandView } from './command-spec.js';
import type { Io } from './io.js';

export interface CommandModule {
  run(args: string[], io: Io): Promise<number>;
  spec: CommandView;
  /** Set by a bundled command (scripts/bundle.mjs): reportError with the bundle's own error classes. */
  reportError?: (e: unknown, command: string, io: Io) => number;
}

export const COMMANDS = {
  diagnose: { summary: 'why the rerun got slow: the decision tree, with the evidence (the default command)', load: (): Promise<CommandModule> => import('./commands/diagnose.js') },
  explain: { summary: "a finding's page: what it detects, the evidence, the fix", load: (): Promise<CommandModule> => import('./commands/explain.js') },
  ports: { summary: 'who holds each port: every socket, every owner, orphaned or not', load: (): Promise<CommandModule> => import('./commands/ports.js') },
  procs: { summary: 'server, worker and helper processes as trees, by run, orphans marked', load: (): Promise<CommandModule> => import('./commands/procs.js') },
  count: { summary: 'count before / after a run against 1 + N; history across runs', load: (): Promise<CommandModule> => import('./commands/count.js') },
  metrics: { summary: "read and summarise the server's Prometheus metrics; gRPC health", load: (): Promise<CommandModule> => import('./commands/metrics.js') },
  watch: { summary: 'watch metrics or processes every 2 s, live or one line per sample; --record', load: (): Promise<CommandModule> => import('./commands/watch.js') },
  run: { summary: 'run a server so its whole process tree dies with it (setsid, double fork, even if rerun-doctor is killed)', load: (): Promise<CommandModule> => import('./commands/run.js') },
  guard: { summary: 'run a command and fail if it leaves processes or listening ports behind (CI)', load: (): Promise<CommandModule> => import('./commands/guard.js') },
  clean: { summary: 'end what the last runs left behind, and nothing else (plan first, identity re-checked)', load: (): Promise<CommandModule> => import('./commands/clean.js') },
  evidence: { summary: 'one shareable Markdown file with all the evidence, secrets redacted', load: (): Promise<CommandModule> => import('./commands/evidence.js') },
  check: { summary: 'start a server, stop it as you do, and diagnose what it left behind', load: (): Promise<CommandModule> => import('./commands/check.js') },
  rerun: { summary: 'K checks in a row: processes leaked and slowdown per run', load: (): Promise<CommandModule> => import('./commands/rerun.js') },
  demo: { summary: 'start a sample server, kill its main process, show what rerun-doctor finds, clean up', load: (): Promise<CommandModule> => import('./commands/demo.js') },
  'python-guard': { summary: 'print the environment that makes Python workers exit when their parent dies (no code change)', load: (): Promise<CommandModule> => import('./commands/python-guard.js') },
  report: { summary: 'one self-contained HTML page: verdict, findings, process trees, charts over time (from saved results)', load: (): Promise<CommandModule> => import('./commands/report.js') },
  exporter: { summary: 'a Prometheus exporter: orphans, ports, GPU and shared memory held, findings, for fleets', load: (): Promise<CommandModule> => import('./commands/exporter.js') },
  completion: { summary: 'a completion script for bash, zsh or fish: commands, options and their values', load: (): Promise<CommandModule> => import('./commands/completion.js') },
  help: { summary: 'a command\'s help: its options, examples and exit status (as "<command> --help")', load: (): Promise<CommandModule> => import('./commands/help.js') },
} as const;

export type CommandName = keyof typeof COMMANDS;

export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

export function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

export function usage(): string {
  const w = Math.max(...COMMAND_NAMES.map((n) => n.length));
  return `rerun-doctor: why did my inference server's rerun get slow?

Usage: rerun-doctor <command> [options]

Commands:
${COMMAND_NAMES.map((n) => `  ${n.padEnd(w)}  ${COMMANDS[n].summary}`).join('\n')}

With no command, rerun-doctor runs diagnose. Run "rerun-doctor help <command>" for a command's
options and examples. New here? Run "rerun-doctor demo".
`;
}
