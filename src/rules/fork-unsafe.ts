// fork-unsafe: a server whose workers are fork copies of it (the fork start method: they carry
// its command line) with a setting that hangs or slows a forked child: TOKENIZERS_PARALLELISM
// forced on, the tokenizers library loaded without it (the child's tokenizer turns serial), grpc
// loaded without fork support, and on macOS the Objective-C runtime's fork check. What is read
// (the start method, the environment, the libraries mapped in the server) is said apart from
// what is inferred (that the library was used before the fork): the confidence field.
import type { ClassifiedProcess } from '../model/census.js';
import type { EvidenceItem, Finding } from '../model/diagnosis.js';
import { sortNum } from './lib/evidence.js';
import { plural, report } from './lib/report.js';
import { sourcesFor } from './lib/sources.js';
import { NO_OPTIONS, type DiagnosisInput, type Rule } from './types.js';

/** tokenizers' own reading of TOKENIZERS_PARALLELISM (utils/parallelism.rs): these are off, any other value is on. */
const TOKENIZERS_OFF = new Set(['', 'off', 'false', 'f', 'no', 'n', '0']);
/** grpc's gpr_is_true. */
const GRPC_TRUE = new Set(['1', 'true', 'yes']);
/** The poll strategies grpc's fork support works with (doc/fork_support.md). */
const FORK_POLLERS = new Set(['epoll1', 'poll']);

interface ForkRun {
  server: ClassifiedProcess;
  workers: ClassifiedProcess[];
  /** The environment the server was started with (the workers' is a copy of it); null when unreadable. */
  env: Record<string, string> | null;
}

/** Servers with their live fork workers: each fork worker under its nearest server that is not a fork copy itself. */
export function forkRuns(input: DiagnosisInput): ForkRun[] {
  const byPid = new Map(input.census.processes.map((p) => [p.pid, p]));
  const runs = new Map<number, ForkRun>();
  for (const w of input.census.processes) {
    if (w.kind !== 'fork-worker' || w.zombie) continue;
    for (let cur = byPid.get(w.ppid), n = 0; cur && n < 64; cur = byPid.get(cur.ppid), n++) {
      if (cur.role !== 'server' || cur.kind === 'fork-worker') continue;
      const r = runs.get(cur.pid) ?? { server: cur, workers: [], env: null };
      r.workers.push(w);
      runs.set(cur.pid, r);
      break;
    }
  }
  for (const r of runs.values()) r.env = r.server.env ?? r.workers.find((w) => w.env !== undefined)?.env ?? null;
  return [...runs.values()].sort((a, b) => a.server.pid - b.server.pid);
}

const shown = (env: Record<string, string>, k: string) => (env[k] === undefined ? `${k} unset` : `${k}=${env[k]}`);

export const forkUnsafe: Rule = {
  meta: {
    id: 'fork-unsafe',
    title: 'forked workers with a setting that hangs or slows them',
    severity: 'warning',
    requires: ['census'],
    stage: 'causes',
    messages: {
      tokenizersParallel: 'server {{server}} forks {{workers}} with TOKENIZERS_PARALLELISM={{value}}: a tokenizer used before the fork can hang them',
      tokenizersUnset: 'server {{server}} forks {{workers}} with the tokenizers library loaded: their tokenizers turn single-threaded (TOKENIZERS_PARALLELISM unset)',
      grpcBeforeFork: 'server {{server}} runs grpc and forks {{workers}}, with no fork support set: they can hang in grpc',
      objcFork: 'server {{server}} forks {{workers}} on macOS: they crash if the server used Objective-C frameworks first (OBJC_DISABLE_INITIALIZE_FORK_SAFETY)',
    },
    defaultOptions: {},
    schema: NO_OPTIONS,
    cannotJudge: (input) => {
      if (input.platform !== 'linux') return null;
      const runs = forkRuns(input);
      if (runs.length === 0) return null;
      if (runs.every((r) => r.server.loaded === undefined)) return { because: 'unavailable', reason: "libraries: not in this document (collected by an older rerun-doctor): the fork server's settings were not read" };
      if (runs.every((r) => r.env === null && r.server.loaded === null)) return { because: 'unavailable', reason: "environment: the fork servers' environment and maps were not readable (another user's processes need root)" };
      return null;
    },
  },
  check(input) {
    const src = sourcesFor(input.platform);
    const out: Finding[] = [];
    for (const run of forkRuns(input)) {
      const { server, workers, env } = run;
      const data = { server: server.pid, workers: plural(workers.length, 'worker') };
      const pids = sortNum([server.pid, ...workers.map((w) => w.pid)]);
      const forked: EvidenceItem = { source: src.kinship, text: `${plural(workers.length, 'worker')} (${workers.map((w) => w.pid).join(', ')}) ${workers.length === 1 ? 'is a copy' : 'are copies'} of server ${server.pid}'s command line under it: the fork start method (evidenced)` };
      const threads = server.threads != null && server.threads > 1 ? [{ source: `/proc/${server.pid}/status`, text: `server ${server.pid} runs ${server.threads} threads now: a fork copies only the forking thread, with the others' locks as they were` }] : [];
      if (input.platform === 'darwin') {
        out.push(report(forkUnsafe.meta, 'objcFork', data, {
          severity: 'info',
          pids,
          ports: [],
          evidence: [forked, { source: src.process(server.pid), text: "macOS shows no other process's environment: whether OBJC_DISABLE_INITIALIZE_FORK_SAFETY is set, and whether the server used an Objective-C framework before forking, is not known (inferred risk)" }],
          fix: 'Use the spawn start method on macOS (the default since Python 3.8: do not force "fork"); only if fork is required, start the server with OBJC_DISABLE_INITIALIZE_FORK_SAFETY=YES.',
          next: ['rerun-doctor explain fork-unsafe'],
          confidence: 'low',
        }));
        continue;
      }
      const loaded = server.loaded ?? null;
      const mapsSource = `/proc/${server.pid}/maps`;
      const envSource = `/proc/${server.pid}/environ`;
      if (env !== null) {
        const tp = env.TOKENIZERS_PARALLELISM;
        const tokLoaded = loaded?.includes('tokenizers') ?? false;
        const tokLine: EvidenceItem = loaded === null ? { source: mapsSource, text: 'the server\'s maps were not readable: whether it loaded the tokenizers library is not known' } : { source: mapsSource, text: tokLoaded ? `the tokenizers library (its Rust extension) is mapped in server ${server.pid} (evidenced); that it ran before the fork is inferred` : `the tokenizers library is not mapped in server ${server.pid}: the hang needs a tokenizer used before the fork (not seen)` };
        if (tp !== undefined && !TOKENIZERS_OFF.has(tp.toLowerCase())) {
          out.push(report(forkUnsafe.meta, 'tokenizersParallel', { ...data, value: tp }, {
            severity: 'warning',
            pids,
            ports: [],
            evidence: [forked, { source: envSource, text: `TOKENIZERS_PARALLELISM=${tp} in the server's environment, inherited by every fork worker (evidenced): it overrides tokenizers' own fork guard` }, tokLine, ...threads],
            fix: 'Set TOKENIZERS_PARALLELISM=false (the workers are the parallelism), or start the workers with the spawn start method; never force it to true with fork (docs/fixes/thread-caps.md).',
            next: ['rerun-doctor explain fork-unsafe'],
            confidence: tokLoaded ? 'high' : 'low',
          }));
        } else if (tp === undefined && tokLoaded) {
          out.push(report(forkUnsafe.meta, 'tokenizersUnset', data, {
            // No hang: tokenizers notices the fork, warns and runs serially. Slower, not stuck.
            severity: 'info',
            pids,
            ports: [],
            evidence: [forked, { source: envSource, text: 'TOKENIZERS_PARALLELISM is not set in the server\'s environment (evidenced)' }, tokLine, ...threads],
            fix: 'Set TOKENIZERS_PARALLELISM=false before the fork (silences the warning, keeps each worker serial on purpose), or load the tokenizer in each worker after it starts, or use spawn.',
            next: ['rerun-doctor explain fork-unsafe'],
            confidence: 'low',
          }));
        }
      }
      if (loaded?.includes('grpc')) {
        const fs = env?.GRPC_ENABLE_FORK_SUPPORT;
        const poll = env?.GRPC_POLL_STRATEGY;
        const supported = fs !== undefined && GRPC_TRUE.has(fs.toLowerCase()) && (poll === undefined || poll.split(',').every((p) => FORK_POLLERS.has(p.trim())));
        const t = server.grpcThreads ?? null;
        // Importing grpc starts no thread; a channel or a server starts its executors and timer.
        // grpc's own multiprocessing example (import, fork, then a server in each worker) leaves
        // none in the main: that is the supported pattern, and silent here.
        if (!supported && (t === null || t.count > 0)) {
          const envText = env === null ? "the server's environment was not readable: its fork settings are not known" : `${shown(env, 'GRPC_ENABLE_FORK_SUPPORT')}, ${shown(env, 'GRPC_POLL_STRATEGY')} in the server's environment (evidenced)${fs !== undefined && GRPC_TRUE.has(fs.toLowerCase()) ? ': fork support works with the epoll1 and poll strategies only' : ''}`;
          const threadText: EvidenceItem = t === null
            ? { source: `/proc/${server.pid}/task`, text: "the server's threads could not be read: whether grpc runs in it is not known (inferred risk)" }
            : { source: `/proc/${server.pid}/task/*/comm`, text: `${plural(t.count, 'grpc thread')} (${t.names.join(', ')}) run in server ${server.pid}: a grpc channel or server exists in the process its workers are forked from (evidenced); that it existed at the fork is inferred (grpc restarts its threads around each fork, so their start times do not tell)` };
          out.push(report(forkUnsafe.meta, 'grpcBeforeFork', data, {
            severity: t === null ? 'info' : 'warning',
            pids,
            ports: [],
            evidence: [forked, { source: mapsSource, text: `grpc's core (cygrpc) is mapped in server ${server.pid} (evidenced)` }, threadText, { source: envSource, text: envText }],
            fix: 'Create grpc servers and channels only in the workers, after they start (grpc\'s multiprocessing example: import, fork, then one server per worker), or use spawn; for client channels made before fork, GRPC_ENABLE_FORK_SUPPORT=true with GRPC_POLL_STRATEGY=poll.',
            next: ['rerun-doctor explain fork-unsafe'],
            confidence: 'low',
          }));
        }
      }
    }
    return out;
  },
};
