// The quick reference's Step 1, done for the user: census before; start the server; wait until
// its ports listen (and gRPC says SERVING); load or hold; stop it the way the user does; settle;
// census after; diagnose what the run left behind. Starts and signals only the process it
// started (and, for Ctrl-C, that process's group), never anything else.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeCensus } from '../census/census.js';
import { portReports } from '../census/ports.js';
import type { Context } from '../cli/context.js';
import type { Census } from '../model/census.js';
import type { GpuEvidence } from '../model/gpu.js';
import { checkGrpcHealth } from '../probes/grpc/health-check.js';
import { collectGpu } from '../probes/gpu.js';
import { collectThermal } from '../probes/thermal.js';
import { diagnose, verdictOf, type Diagnosis } from '../rules/diagnose.js';
import type { MetricsSample } from '../watch/metrics-sample.js';
import { createMetricsSampler } from '../watch/metrics-sampler.js';
import { createRunFinder, newRunId, readIdentity, RUN_ID_VAR, signalOwnChild, spawnGroup, terminate, type SpawnedGroup } from './process-control.js';
import type { Host } from '../host/host.js';

export type StopMode = 'int' | 'term' | 'kill';

export interface CheckOptions {
  command: string[];
  cwd: string;
  stop: StopMode;
  graceMs: number;
  readyTimeoutMs: number;
  loadCommand: string | null;
  holdMs: number;
  settleMs: number;
  metricsUrl: string;
  metrics: boolean;
  progress: (line: string) => void;
}

export interface CheckResult {
  ok: boolean;
  /** Why the run could not be checked (the server exited early, never got ready). */
  error: string | null;
  serverPid: number | null;
  readyMs: number | null;
  loadMs: number | null;
  loadExit: number | null;
  stopSignals: string[];
  exitedAfterMs: number | null;
  /** Processes the run left behind: started after the run began, still alive after the settle. */
  leftBehind: Array<{ pid: number; role: string | null; kind: string | null; orphan: boolean; argv: string[] }>;
  metricsBefore: MetricsSample | null;
  metricsAfterLoad: MetricsSample | null;
  gpuBeforeMiB: number | null;
  gpuAfterMiB: number | null;
  diagnosis: Diagnosis | null;
  logFile: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function totalGpuMiB(g: GpuEvidence | null): number | null {
  if (!g) return null;
  const used = g.devices.map((d) => d.memoryUsedMiB).filter((x): x is number => x !== null);
  if (used.length > 0) return used.reduce((a, b) => a + b, 0);
  return g.inUseSystemMemoryBytes != null ? Math.round(g.inUseSystemMemoryBytes / 2 ** 20) : null;
}

function exited(child: SpawnedGroup): boolean {
  return !child.unreaped();
}

/** What runCheck started, so that it can be ended whatever happens: the server's whole run. */
interface Started {
  server: SpawnedGroup;
  runId: string;
}

/**
 * Ends everything the check started that is still alive: the server's group, every process
 * carrying its run marker (setsid'd workers too) and their descendants; SIGTERM, then SIGKILL
 * after graceMs (the one policy, terminate). Used when the check is stopped or fails mid-run.
 */
async function endStarted(host: Host, s: Started, graceMs: number): Promise<void> {
  const leader = await readIdentity(host, s.server.pid, { argv: false });
  const finder = createRunFinder(host, { runId: s.runId, leader: leader && leader !== 'denied' ? { pid: leader.pid, startKey: leader.startKey } : null, pgid: s.server.pid });
  await terminate(host, () => finder.sweep(), { graceMs, pollMs: 50 });
}

/**
 * runCheck with the server's run ended if rerun-doctor is stopped (Ctrl-C, SIGTERM) or fails
 * mid-run: the server was started detached, so nothing else would reach it.
 */
export async function runCheck(ctx: Context, o: CheckOptions): Promise<CheckResult> {
  let started: Started | null = null;
  const stop = () => {
    void (started ? endStarted(ctx.host, started, 500) : Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await runCheckInner(ctx, o, (s) => (started = s));
  } catch (e) {
    if (started) await endStarted(ctx.host, started, 500);
    throw e;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}

async function runCheckInner(ctx: Context, o: CheckOptions, onStarted: (s: Started) => void): Promise<CheckResult> {
  const host = ctx.host;
  const logFile = join(tmpdir(), `rerun-doctor-check-${process.pid}-${Date.now()}.log`);
  const result: CheckResult = { ok: false, error: null, serverPid: null, readyMs: null, loadMs: null, loadExit: null, stopSignals: [], exitedAfterMs: null, leftBehind: [], metricsBefore: null, metricsAfterLoad: null, gpuBeforeMiB: null, gpuAfterMiB: null, diagnosis: null, logFile };
  o.progress('census before…');
  const before = await takeCensus(host, ctx.classify);
  const gpuBefore = await collectGpu(host, {});
  const thermalBefore = await collectThermal(host);
  const gpuB = gpuBefore.status === 'ok' ? gpuBefore.value : null;
  result.gpuBeforeMiB = totalGpuMiB(gpuB);
  const beforeKeys = new Set(before.processes.map((p) => `${p.pid}@${p.startKey}`));
  const runStart = host.now().getTime();

  o.progress(`starting: ${o.command.join(' ')}`);
  const log = openSync(logFile, 'a');
  // The run marker reaches every descendant, also one that calls setsid (its own session and
  // group): the leftovers are found by it and by kinship, not by the process group alone.
  const runId = newRunId();
  let child: SpawnedGroup;
  try {
    child = await spawnGroup(o.command, { cwd: o.cwd, env: host.env, stdio: ['ignore', log, log], marker: runId });
  } catch (e) {
    result.error = `cannot start "${o.command[0]}": ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message}`;
    return result;
  } finally {
    closeSync(log);
  }
  const pid = child.pid;
  result.serverPid = pid;
  onStarted({ server: child, runId });
  const childExit = child.exited.then(() => undefined);

  // Ready: every watched port listens with an owner in the server's tree (its process group), and
  // the gRPC port, when one of them, answers SERVING.
  const t0 = Date.now();
  let ready = false;
  while (Date.now() - t0 < o.readyTimeoutMs) {
    if (exited(child)) break;
    const c = await takeCensus(host, ctx.classify);
    const ours = (p: Census['processes'][number]) => p.pgid === pid || (p.env?.[RUN_ID_VAR] ?? '').split(',').includes(runId);
    const mine = new Set(c.processes.filter(ours).map((p) => p.pid));
    const reports = portReports(c, ctx.config.ports, ctx.config.ports);
    const listening = reports.every((r) => r.sockets.some((s) => s.owners.some((ow) => mine.has(ow.pid))));
    // With --instances N, ready also means N workers have started (a port can listen before the
    // last worker is up, and stopping then would judge a half-started server).
    const n = ctx.config.instances;
    const workersUp = n === null || c.processes.filter((p) => ours(p) && p.role === 'worker').length >= n;
    if (!workersUp) {
      await sleep(100);
      continue;
    }
    if (listening) {
      const g = ctx.config.grpcPort;
      if (g !== null && ctx.config.ports.includes(g)) {
        const h = await checkGrpcHealth({ host: '127.0.0.1', port: g }, { timeoutMs: 1000 });
        // Ready unless a gRPC server says it is not serving yet: a listener that never answers the
        // handshake (NO_ANSWER: a raw socket the workers bind, as in grpc's multiprocessing
        // example before the server starts) will not answer later either.
        if (h.status === 'SERVING' || h.status === 'UNIMPLEMENTED' || h.status === 'NOT_GRPC' || h.status === 'NO_ANSWER') ready = true;
      } else ready = true;
    }
    if (ready) break;
    await sleep(200);
  }
  const tail = () => readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
  if (!ready) {
    const how = exited(child) ? await child.exited : null;
    result.error = how ? `the server exited before it was ready (${how.signal ?? `exit ${how.code}`}): ${tail()}` : `the server was not ready within ${o.readyTimeoutMs / 1000} s (ports ${ctx.config.ports.join(', ')} not all listening)`;
    // Whatever it started goes too, setsid'd processes included: the check never leaves its own.
    await endStarted(host, { server: child, runId }, 500);
    return result;
  }
  result.readyMs = Date.now() - t0;
  o.progress(`ready in ${(result.readyMs / 1000).toFixed(1)} s`);

  const t = ctx.config.thresholds;
  const mw = o.metrics ? createMetricsSampler(host, o.metricsUrl, { timeoutMs: t.metricsTimeoutSeconds * 1000, maxBytes: t.metricsMaxBytes }, ctx.config.keyMetrics) : null;
  if (mw) result.metricsBefore = await mw.sample();
  const l0 = Date.now();
  if (o.loadCommand) {
    o.progress(`load: ${o.loadCommand}`);
    // The user's own command line, as they would type it: run by /bin/sh.
    try {
      const load = await spawnGroup(['/bin/sh', '-c', o.loadCommand], { cwd: o.cwd, stdio: ['ignore', 'ignore', 'inherit'], env: host.env });
      const done = await load.exited;
      result.loadExit = done.code ?? (done.signal ? 128 : 1);
    } catch {
      result.loadExit = 127;
    }
  } else {
    o.progress(`holding ${o.holdMs / 1000} s`);
    await sleep(o.holdMs);
  }
  result.loadMs = Date.now() - l0;
  if (mw) result.metricsAfterLoad = await mw.sample();

  // Stop as the user does: Ctrl-C reaches the whole foreground group; `kill` and an IDE's stop
  // button reach the main process only. Escalate to SIGKILL of the main after the grace period.
  const s0 = Date.now();
  const first = o.stop === 'int' ? 'SIGINT' : o.stop === 'term' ? 'SIGTERM' : 'SIGKILL';
  if ((await signalOwnChild(host, child, first, { group: o.stop === 'int' })) === 'sent') result.stopSignals.push(o.stop === 'int' ? 'SIGINT to the process group' : `${first} to pid ${pid}`);
  o.progress(`stopping (${result.stopSignals[0] ?? 'already gone'})…`);
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([childExit, new Promise<void>((r) => (graceTimer = setTimeout(r, o.graceMs)))]);
  clearTimeout(graceTimer);
  if (!exited(child) && (await signalOwnChild(host, child, 'SIGKILL')) === 'sent') {
    result.stopSignals.push(`SIGKILL to pid ${pid} after ${o.graceMs / 1000} s`);
    await childExit;
  }
  result.exitedAfterMs = Date.now() - s0;
  await sleep(o.settleMs);

  o.progress('census after…');
  // Every process read in full (environment included): a leftover of the run need not look like
  // a server or a worker to be one.
  const after: Census = await takeCensus(host, ctx.classify, { enrichAll: true });
  const fresh = (p: Census['processes'][number]) => !beforeKeys.has(`${p.pid}@${p.startKey}`) && !p.zombie && Date.parse(p.startTime) >= runStart - 1000;
  // The run's own: its process group, the marker every descendant inherits (Linux), and then
  // everything the census ties to those (setsid'd workers, their tracker, torch_shm_manager).
  const own = after.processes.filter((p) => fresh(p) && (p.pgid === pid || (p.env?.[RUN_ID_VAR] ?? '').split(',').includes(runId)));
  const runs = new Set(own.map((p) => p.generation).filter((g): g is number => g !== null));
  const ownPids = new Set(own.map((p) => p.pid));
  result.leftBehind = after.processes
    .filter((p) => fresh(p) && (ownPids.has(p.pid) || (p.generation !== null && runs.has(p.generation))))
    .map((p) => ({ pid: p.pid, role: p.role, kind: p.kind, orphan: p.orphan, argv: p.argv }));
  const gpuAfter = await collectGpu(host, { pids: result.leftBehind.map((p) => p.pid) });
  result.gpuAfterMiB = gpuAfter.status === 'ok' ? totalGpuMiB(gpuAfter.value) : null;
  const thermal = await collectThermal(host);
  const thermalFirst = thermalBefore.status === 'ok' ? thermalBefore.value : null;
  const full = diagnose({
    census: after,
    ports: portReports(after, ctx.config.ports, ctx.config.ports),
    instances: ctx.config.instances,
    history: { available: false, reason: 'a single check run' },
    metrics:
      result.metricsBefore?.ok && result.metricsAfterLoad?.ok
        ? { available: true, value: [result.metricsBefore, result.metricsAfterLoad] }
        : { available: false, reason: o.metrics ? `${o.metricsUrl} could not be read${result.metricsAfterLoad && !result.metricsAfterLoad.ok ? ` (${result.metricsAfterLoad.kind}: ${result.metricsAfterLoad.message})` : ''}` : 'not sampled (--no-metrics)' },
    gpu: gpuAfter.status === 'ok' ? { available: true, value: gpuAfter.value } : { available: false, reason: gpuAfter.reason },
    gpuBefore: gpuB,
    thermal: thermal.status === 'ok' ? { available: true, value: { first: thermalFirst ?? thermal.value, last: thermal.value } } : { available: false, reason: thermal.reason },
    // This run was stopped by us: what it left is left over, not running on purpose.
    ownLeftovers: result.leftBehind.map((p) => p.pid),
  });
  // Judge the run, not the machine: findings about processes that were there before it started
  // belong to \`rerun-doctor diagnose\`.
  const runPids = new Set([pid, ...result.leftBehind.map((p) => p.pid)]);
  const related = (f: { pids: number[] }) => f.pids.length === 0 || f.pids.some((p) => runPids.has(p));
  const findings = full.findings.filter(related);
  result.diagnosis = { ...full, ...verdictOf(findings, full.skipped), findings, deferred: full.deferred.filter(related) };
  result.ok = true;
  return result;
}
