// The quick reference's Step 1, done for the user: census before; start the server; wait until
// its ports listen (and gRPC says SERVING); load or hold; stop it the way the user does; settle;
// census after; diagnose what the run left behind. Starts and signals only the process it
// started (and, for Ctrl-C, that process's group), never anything else.
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeCensus } from '../census/census.js';
import type { ClassifyOptions } from '../census/classify.js';
import { portReports } from '../census/ports.js';
import type { Config } from '../config/config.js';
import { diagnose } from '../diagnosis/diagnose.js';
import { evidenceSession } from '../evidence/collect.js';
import type { Host } from '../host/host.js';
import type { Census } from '../model/census.js';
import { Interrupted } from '../model/errors.js';
import type { CheckResult } from '../model/check.js';
import type { GpuEvidence } from '../model/gpu.js';

export type { CheckResult } from '../model/check.js';
import { checkGrpcHealth } from '../probes/grpc/health-check.js';
import { verdictOf } from '../rules/diagnose.js';
import type { RuleSettings } from '../rules/settings.js';
import { createRunFinder, newRunId, readIdentity, RUN_ID_VAR, signalOwnChild, spawnGroup, terminate, type SpawnedGroup } from './process-control.js';

export type StopMode = 'int' | 'term' | 'kill';

/** What a check runs against: this machine, the configuration, the census options (a CLI Context has them all). */
export interface CheckTarget {
  host: Host;
  config: Config;
  classify: ClassifyOptions;
}

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
  /** The config's rule levels and options. */
  rules?: RuleSettings;
  progress: (line: string) => void;
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
 * runCheck with the server's run ended if the caller aborts (the CLI aborts on Ctrl-C and SIGTERM)
 * or the check fails mid-run: the server was started detached, so nothing else would reach it.
 * An abort ends the run, then rejects with Interrupted.
 */
export async function runCheck(target: CheckTarget, o: CheckOptions, signal?: AbortSignal): Promise<CheckResult> {
  let started: Started | null = null;
  const aborted = new Promise<never>((_, reject) => {
    signal?.addEventListener('abort', () => void (started ? endStarted(target.host, started, 500) : Promise.resolve()).finally(() => reject(new Interrupted('interrupted: the server the check started was ended'))), { once: true });
  });
  try {
    const r = await Promise.race([runCheckInner(target, o, (s) => (started = s)), aborted]);
    // Aborted while the check was finishing (ending the server on Ctrl-C makes the check see it
    // exit, and return "not checkable" before the run is all gone): still an interruption, said
    // once everything it started has been ended.
    if (signal?.aborted) await aborted;
    return r;
  } catch (e) {
    if (signal?.aborted && !(e instanceof Interrupted)) await aborted;
    if (started && !(e instanceof Interrupted)) await endStarted(target.host, started, 500);
    throw e;
  }
}

async function runCheckInner(ctx: CheckTarget, o: CheckOptions, onStarted: (s: Started) => void): Promise<CheckResult> {
  const host = ctx.host;
  const logFile = join(tmpdir(), `rerun-doctor-check-${process.pid}-${Date.now()}.log`);
  const result: CheckResult = { ok: false, error: null, serverPid: null, readyMs: null, loadMs: null, loadExit: null, stopSignals: [], exitedAfterMs: null, leftBehind: [], metricsBefore: null, metricsAfterLoad: null, gpuBeforeMiB: null, gpuAfterMiB: null, diagnosis: null, evidence: null, logFile };
  const t = ctx.config.thresholds;
  // The one evidence pipeline, spread over the run: the census and GPU state before it, metrics
  // samples while it serves, everything after it stopped.
  const session = evidenceSession(host, {
    census: ctx.classify,
    instances: ctx.config.instances,
    metrics: o.metrics ? { url: o.metricsUrl, samples: 2, intervalMs: 0, scrape: { timeoutMs: t.metricsTimeoutSeconds * 1000, maxBytes: t.metricsMaxBytes, maxSeries: t.metricsMaxSeries }, keyMetrics: ctx.config.keyMetrics } : null,
    metricsOff: 'not sampled (--no-metrics)',
    historyFile: null,
  });
  o.progress('census before…');
  const before = await session.begin({ gpuBefore: true });
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
    // Nothing ran, nothing was written to it: no log file is left behind.
    closeSync(log);
    rmSync(logFile, { force: true });
    return result;
  }
  closeSync(log);
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

  result.metricsBefore = await session.sampleMetrics();
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
  result.metricsAfterLoad = await session.sampleMetrics();

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
  const fresh = (p: Census['processes'][number]) => !beforeKeys.has(`${p.pid}@${p.startKey}`) && !p.zombie && Date.parse(p.startTime) >= runStart - 1000;
  const leftOf = (after: Census) => {
    // The run's own: its process group, the marker every descendant inherits (Linux), and then
    // everything the census ties to those (setsid'd workers, their tracker, torch_shm_manager).
    const own = after.processes.filter((p) => fresh(p) && (p.pgid === pid || (p.env?.[RUN_ID_VAR] ?? '').split(',').includes(runId)));
    const runs = new Set(own.map((p) => p.generation).filter((g): g is number => g !== null));
    const ownPids = new Set(own.map((p) => p.pid));
    return after.processes.filter((p) => fresh(p) && (ownPids.has(p.pid) || (p.generation !== null && runs.has(p.generation))));
  };
  // Every process read in full (environment included): a leftover of the run need not look like
  // a server or a worker to be one. The window is the run itself, not the census before it.
  const { evidence, census: after } = await session.finish({
    fresh: true,
    window: false,
    enrichAll: true,
    // This run was stopped by us: what it left is left over, not running on purpose.
    leftovers: (c) => leftOf(c).map((p) => p.pid),
    gpuPids: (c) => leftOf(c).map((p) => p.pid),
  });
  result.leftBehind = leftOf(after).map((p) => ({ pid: p.pid, role: p.role, kind: p.kind, orphan: p.orphan, argv: p.argv }));
  result.gpuBeforeMiB = totalGpuMiB(evidence.gpuBefore);
  result.gpuAfterMiB = evidence.gpu.status === 'ok' ? totalGpuMiB(evidence.gpu.value) : null;
  result.evidence = evidence;
  const full = diagnose(evidence, { rules: o.rules });
  // Judge the run, not the machine: findings about processes that were there before it started
  // belong to \`rerun-doctor diagnose\`.
  const runPids = new Set([pid, ...result.leftBehind.map((p) => p.pid)]);
  const related = (f: { pids: number[] }) => f.pids.length === 0 || f.pids.some((p) => runPids.has(p));
  const findings = full.findings.filter(related);
  result.diagnosis = { ...full, ...verdictOf(findings, full.skipped), findings, deferred: full.deferred.filter(related) };
  result.ok = true;
  return result;
}
