// The built-in default: start the sample server shipped in demo/server, kill its main process
// the way an IDE stop button does (SIGKILL), then show the main job on what it left: the
// diagnosis, and the plan `clean --dry-run` makes for it; end everything.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { cleanupOptions, planCleanup } from '../../actions/plan-cleanup.js';
import { createRunFinder, newRunId, readIdentity, signalOwnChild, spawnGroup, terminate, type SpawnedGroup } from '../../actions/process-control.js';
import { censusSnapshot } from '../../census/census.js';
import { classify as classifySnapshot, type ClassifyOptions } from '../../census/classify.js';
import { diagnose } from '../../diagnosis/diagnose.js';
import { diagnosisInput } from '../../diagnosis/input.js';
import { censusEvidence } from '../../evidence/collect.js';
import type { Census } from '../../model/census.js';
import type { Evidence } from '../../model/evidence.js';
import type { Host } from '../../host/host.js';
import { describeCommandProblem, findCommand } from '../../host/find-command.js';
import { createHost } from '../../host/host.js';
import { renderPlan } from '../../render/clean-plan.js';
import { renderDiagnosisText } from '../../render/diagnosis.js';
import { renderProcs } from '../../render/procs.js';
import { makeStyle } from '../../render/style.js';
import { defineCommand } from '../command-spec.js';
import { EXIT, UsageError } from '../errors.js';
import { Interrupted } from '../../model/errors.js';
import { useColor, type Io } from '../io.js';
import { COLOR_FLAGS } from '../shared-flags.js';
import { outputWidth, textWriter } from '../terminal.js';
import { parseCommandArgs } from '../parse.js';
import { packageRoot } from '../../host/package-root.js';

export const spec = defineCommand({
  name: 'demo',
  usage: ['demo [--python PATH] [--workers N] [--start-method spawn|forkserver]'],
  about: `Starts the sample server shipped with rerun-doctor (python -m src.main: a main process with N
workers holding a gRPC-like port with SO_REUSEPORT, and a metrics port), shows it healthy, kills
its main process with SIGKILL as an IDE stop button does, then shows what rerun-doctor makes of
what is left: the diagnosis (the orphaned workers and their resource tracker, the port they still
hold) and the plan of \`clean --dry-run\` (what clean would end, and why). Then it ends every
process it started (also on Ctrl-C, which then exits 130). It uses two free ports picked at random
and judges only its own processes, so it never touches a server of yours.`,
  flags: {
    python: { type: 'string', value: 'PATH', help: 'the Python interpreter', defaultText: 'python3 on PATH' },
    workers: { type: 'string', value: 'N', help: 'workers to start, 1-16', defaultText: '2' },
    'start-method': { type: 'string', value: 'M', choices: ['spawn', 'forkserver'], help: "the workers' multiprocessing start method", defaultText: 'spawn' },
    ...COLOR_FLAGS,
  },
  common: false,
  examples: [
    { run: 'rerun-doctor demo', does: 'the whole story in a few seconds, on a sample server of its own' },
    { run: 'rerun-doctor demo --workers 4 --start-method forkserver', does: 'the forkserver variant: its forkserver outlives the main process too' },
    { run: 'rerun-doctor demo --python /usr/bin/python3.11', does: 'with another interpreter' },
  ],
  exit: `Exit status: 0 done and nothing left behind, 1 a process it started could not be ended, 2 usage
error or the sample server did not start, 130 interrupted (after ending what it started).`,
});

interface Ready {
  main: number;
  workers: number[];
  tracker: number | null;
  forkserver: number | null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function waitReady(child: ChildProcess, timeoutMs: number): Promise<Ready> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`the sample server did not start within ${timeoutMs / 1000}s${err ? `: ${err.trim().split('\n').pop()}` : ''}`)), timeoutMs);
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as Ready);
        } catch (e) {
          reject(e as Error);
        }
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`the sample server exited early (${sig ?? `exit ${code}`})${err ? `: ${err.trim().split('\n').pop()}` : ''}`));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The evidence of what the demo started, and nothing else: the runs (by kinship, however their
 * pieces are grouped) holding the processes it started, with their parents up to pid 1, even when
 * older runs of the sample server exist beside it. Its census numbers the demo's runs among
 * themselves. The demo reads no metrics, GPU or thermal state, and its document says so.
 */
async function demoEvidence(host: Host, opts: ClassifyOptions, started: Set<number>, workers: number): Promise<{ evidence: Evidence; census: Census }> {
  const whole = await censusSnapshot(host, opts);
  const full = classifySnapshot(whole, opts);
  const runs = new Set(full.processes.filter((p) => started.has(p.pid) && p.generation !== null).map((p) => p.generation!));
  const keep = new Set(full.processes.filter((p) => p.generation !== null && runs.has(p.generation)).map((p) => p.pid));
  const byPid = new Map(whole.processes.map((p) => [p.pid, p]));
  for (const pid of [...keep]) for (let cur = byPid.get(byPid.get(pid)?.ppid ?? -1); cur && !keep.has(cur.pid); cur = byPid.get(cur.ppid)) keep.add(cur.pid);
  const snapshot = {
    ...whole,
    processes: whole.processes.filter((p) => keep.has(p.pid)),
    sockets: whole.sockets.filter((x) => opts.ports.includes(x.port)).map((x) => ({ ...x, owners: x.owners.filter((o) => keep.has(o.pid)) })),
  };
  const evidence = censusEvidence(snapshot, opts, workers, 'in the demo');
  return { evidence, census: diagnosisInput(evidence).census };
}

export async function run(args: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs(spec, args);
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  const workers = Number(values.workers ?? '2');
  if (!Number.isInteger(workers) || workers < 1 || workers > 16) throw new UsageError(`--workers "${values.workers}" is not a worker count: expected an integer 1-16`);
  const method = values['start-method'] ?? 'spawn';
  if (method !== 'spawn' && method !== 'forkserver') throw new UsageError(`--start-method "${method}": expected spawn or forkserver`);
  const python = values.python ?? 'python3';
  // Before the walk-through says a word: the interpreter can be started.
  const found = findCommand(python, { cwd: io.cwd, env: io.env });
  if (!found.ok) {
    throw new UsageError(
      values.python !== undefined ? `--python ${describeCommandProblem(python, found.problem)}` : `demo: cannot run ${describeCommandProblem(python, found.problem)} (install Python 3 or pass --python PATH)`,
    );
  }
  const style = makeStyle(useColor(io, values));
  // Text for people, fitted to the terminal's width.
  const say = await textWriter(io);
  const host = createHost({ env: io.env });
  if (host.platform !== 'linux' && host.platform !== 'darwin') throw new UsageError('demo: Linux or macOS only');
  // Shipped beside dist/ (package.json "files"), so an installed rerun-doctor finds it too.
  const serverDir = join(packageRoot(), 'demo', 'server');
  if (!existsSync(join(serverDir, 'src', 'main.py'))) throw new UsageError(`demo: the sample server is missing (expected ${join(serverDir, 'src', 'main.py')}): reinstall rerun-doctor`);
  const grpcPort = await freePort();
  let metricsPort = await freePort();
  while (metricsPort === grpcPort) metricsPort = await freePort();
  const ports = [grpcPort, metricsPort];
  const classify = { serverPattern: /python.*-m src\.main/, workerPatterns: [], ports, generationGapSeconds: 30, projectRoot: serverDir };
  const ac = new AbortController();
  const step = (n: number, text: string) => {
    // Once interrupted, the walk-through stops at its next step; only the clean-up (6) goes on.
    if (ac.signal.aborted && n < 6) throw new Interrupted('interrupted');
    say(`\n${style.bold(`[${n}/6] ${text}`)}\n`);
  };
  const opts = () => ({ style, now: host.now(), width: outputWidth(io) ?? 120, wide: false });

  step(1, `Starting the sample server: ${python} -m src.main with ${workers} ${method} workers (gRPC-like port ${grpcPort}, metrics port ${metricsPort})`);
  // Its own process group and a run marker: the demo ends its whole run by them, never by name.
  const runId = newRunId();
  let server: SpawnedGroup;
  try {
    server = await spawnGroup([python, '-m', 'src.main', '--workers', String(workers), '--start-method', method, '--worker-port', String(grpcPort), '--metrics-port', String(metricsPort)], {
      cwd: serverDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...io.env, PYTHONDONTWRITEBYTECODE: '1' },
      marker: runId,
    });
  } catch (e) {
    throw new UsageError(`demo: cannot run "${python}": ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found (install Python 3 or pass --python PATH)' : (e as Error).message}`);
  }
  const child = server.child;
  const pgid = server.pid;
  const leader = await readIdentity(host, pgid, { argv: false });
  const finder = createRunFinder(host, { runId, leader: leader && leader !== 'denied' ? { pid: leader.pid, startKey: leader.startKey } : null, pgid });
  const started = new Set<number>([pgid]);
  /** Ends the demo's run (its group, its marker's carriers, their descendants); returns what survived. */
  const cleanup = async (): Promise<number[]> => {
    const report = await terminate(host, () => finder.sweep(), { graceMs: 500, pollMs: 50 });
    return report.survivors.map((t) => t.pid);
  };
  // Ctrl-C ends the demo's run, then the demo (exit 130); it never leaves its processes behind.
  const onSignal = () => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const interrupted = new Promise<never>((_, reject) => ac.signal.addEventListener('abort', () => void cleanup().finally(() => reject(new Interrupted('interrupted: ended every process the demo started'))), { once: true }));
  let survivors: number[];
  try {
    await Promise.race([show(), interrupted]);
  } finally {
    step(6, 'Ending everything the demo started (by its process group and run marker, never by name)');
    survivors = await cleanup();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  if (survivors.length > 0) {
    io.stderr(`rerun-doctor demo: could not end ${survivors.join(', ')}\n`);
    return EXIT.findings;
  }
  say(`Done: ${started.size} processes ended, nothing left behind.\n\nOn your own server: rerun-doctor (the diagnosis), then rerun-doctor clean --dry-run and\nrerun-doctor clean to end what a run left; rerun-doctor procs, ports, metrics and watch show the details.\n`);
  return EXIT.ok;

  async function show(): Promise<void> {
    let ready: Ready;
    try {
      ready = await waitReady(child, 20_000);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new UsageError(`demo: ${err.code === 'ENOENT' ? `cannot run "${python}": not found (install Python 3 or pass --python PATH)` : err.message}`);
    }
    for (const p of [...ready.workers, ready.tracker, ready.forkserver]) if (p) started.add(p);
    say(`main ${ready.main}, workers ${ready.workers.join(', ')}${ready.tracker ? `, resource tracker ${ready.tracker}` : ''}${ready.forkserver ? `, forkserver ${ready.forkserver}` : ''}\n`);

    // The workers bind the gRPC-like port after the ready line (each in its own start-up): wait
    // until every one of them listens, as a client would, so the picture is the running server's.
    let healthy = (await demoEvidence(host, classify, started, workers)).census;
    for (let i = 0; i < 100 && !ready.workers.every((w) => healthy.processes.find((p) => p.pid === w)?.ports.includes(grpcPort)); i++) {
      await sleep(100);
      healthy = (await demoEvidence(host, classify, started, workers)).census;
    }
    step(2, 'While it runs, rerun-doctor procs shows one healthy run:');
    say(renderProcs(healthy, { ...opts(), patternSource: classify.serverPattern.source, ports }));

    step(3, `Killing the main process ${ready.main} with SIGKILL, as an IDE stop button does (no handler runs, no cleanup)`);
    await signalOwnChild(host, server, 'SIGKILL');
    await server.exited; // reaped by Node: gone, not a zombie
    started.delete(ready.main); // its pid may be reused from now on: never judge or signal it again
    await sleep(300);

    step(4, 'What is left, diagnosed (rerun-doctor, the default command):');
    // The one pipeline, as the default command runs it: an evidence document, then diagnose().
    const { evidence, census: after } = await demoEvidence(host, classify, started, workers);
    const diagnosis = diagnose(evidence);
    say(renderDiagnosisText(diagnosis, style));
    const orphans = after.processes.filter((p) => p.orphan && p.generation !== null);
    say(`\n${style.bold('In short:')} the main process is gone, but ${orphans.length} of its processes live on as orphans and still hold port ${grpcPort}: a rerun would bind it again (SO_REUSEPORT) and share traffic with them.\n`);

    step(5, 'What rerun-doctor clean would end, and why (rerun-doctor clean --dry-run):');
    // clean's own planner on the same census, with clean's defaults (this user, this project).
    const plan = planCleanup(after, cleanupOptions(after, host, { sudoUid: null }));
    say(renderPlan(plan, style));
  }
}
