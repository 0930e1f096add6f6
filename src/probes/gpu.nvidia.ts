// NVIDIA GPU evidence: devices and their memory, compute processes, clock event reasons, and the
// /dev/nvidia* holders nvidia-smi cannot see. See docs/probes/gpu.md for the argv and their limits.
import { AccessDenied } from '../host/errors.js';
import type { Host } from '../host/host.js';
import type { GpuDevice, GpuEvidence, GpuProcess } from '../model/gpu.js';
import { failed, ok, unavailable, type Outcome } from '../model/outcome.js';
import type { SnapshotIssue } from '../model/snapshot.js';
import {
  activeClockReasons,
  CLOCK_QUERIES,
  clockQueryArgv,
  clockQueryFields,
  computeAppsArgv,
  driverUnreachableMessage,
  gpuQueryArgv,
  knownCounters,
  parseClockQuery,
  parseComputeApps,
  parseGpuQuery,
  rejectedQueryField,
  type NvidiaClockRow,
  type NvidiaComputeApp,
} from '../os/any/nvidia-smi.js';
import type { GpuProbeOptions } from './types.js';
import { describeCommandFailure } from '../host/run-command.js';

const PROBE = 'gpu.nvidia';

/**
 * nvidia-smi can take seconds per call when persistence mode is off (the driver initialises each
 * GPU for every client), more on multi-GPU hosts; 10 s (the default) is tight for that.
 */
const NVIDIA_SMI_TIMEOUT_MS = 30_000;

/**
 * The device nodes a CUDA process holds open: one per GPU (`/dev/nvidia0`…), the control node
 * and the unified-memory node. `/dev/nvidia-modeset` (display) and `/dev/nvidia-caps/*` are left out.
 */
export const DEV_NVIDIA = /^\/dev\/nvidia(?:\d+|ctl|-uvm)$/;



function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Clock event reasons, by GPU index. Tries the event names with counters, then without counters,
 * then the pre-rename throttle names, skipping to the first query that lacks the field nvidia-smi
 * rejected: an old driver rejects `clocks_event_reasons.active` and goes straight to the throttle
 * names. Every problem is an issue; clocks never fail the probe.
 */
async function readClocks(host: Host, sources: string[], issues: SnapshotIssue[]): Promise<Map<number, NvidiaClockRow>> {
  const byIndex = new Map<number, NvidiaClockRow>();
  let i = 0;
  while (i < CLOCK_QUERIES.length) {
    const q = CLOCK_QUERIES[i]!;
    const argv = clockQueryArgv(q);
    const source = argv.join(' ');
    sources.push(source);
    const res = await host.run(argv, { timeoutMs: NVIDIA_SMI_TIMEOUT_MS });
    // The rejection comes with a non-zero exit; look for it first so it is never parsed as data.
    const rejected = res.notFound || res.timedOut ? null : rejectedQueryField(`${res.stdout}\n${res.stderr}`);
    if (rejected !== null) {
      const next = CLOCK_QUERIES.findIndex((c, j) => j > i && !clockQueryFields(c).includes(rejected));
      if (next < 0) {
        issues.push({ probe: PROBE, kind: 'unavailable', message: `clock event reasons unknown: nvidia-smi rejected ${rejected} and every fallback query` });
        return byIndex;
      }
      i = next;
      continue;
    }
    if (res.notFound || res.timedOut || res.code !== 0) {
      issues.push({ probe: PROBE, kind: 'failed', message: `clock event reasons unknown: ${source}: ${res.notFound ? 'nvidia-smi not found' : describeCommandFailure(res)}` });
      return byIndex;
    }
    try {
      for (const row of parseClockQuery(res.stdout, source, q)) byIndex.set(row.index, row);
    } catch (e) {
      issues.push({ probe: PROBE, kind: 'parse', message: `clock event reasons unknown: ${message(e)}` });
    }
    return byIndex;
  }
  return byIndex;
}

/** Compute processes, or null when the query failed (then an issue says why). */
async function readComputeApps(host: Host, sources: string[], issues: SnapshotIssue[]): Promise<NvidiaComputeApp[] | null> {
  const argv = computeAppsArgv();
  const source = argv.join(' ');
  sources.push(source);
  const res = await host.run(argv, { timeoutMs: NVIDIA_SMI_TIMEOUT_MS });
  if (res.notFound || res.timedOut || res.code !== 0) {
    issues.push({ probe: PROBE, kind: 'failed', message: `compute processes unknown: ${source}: ${res.notFound ? 'nvidia-smi not found' : describeCommandFailure(res)}` });
    return null;
  }
  try {
    return parseComputeApps(res.stdout, source);
  } catch (e) {
    issues.push({ probe: PROBE, kind: 'parse', message: `compute processes unknown: ${message(e)}` });
    return null;
  }
}

/**
 * Processes holding /dev/nvidia* open, from /proc/PID/fd. This is how GPU memory holders are found
 * when nvidia-smi lists none: inside a container the driver does not know the container's pid
 * namespace, so the process table is empty while memory is in use (NVIDIA/nvidia-docker#179, #1460,
 * #759; NVIDIA/gpu-operator#664), and a killed nohup job's orphans showed up only through
 * `fuser -v /dev/nvidia*` (PaddlePaddle/PaddleOCR#2074). It is what `fuser`/`lsof /dev/nvidia0` do
 * (pytorch/pytorch#8805), without needing either tool. Other users' fd tables need root, as for
 * fuser (Syllo/nvtop#230): those pids are reported as an issue.
 */
function devNvidiaHolders(host: Host, pids: number[] | undefined, issues: SnapshotIssue[]): GpuProcess[] {
  let candidates: number[];
  if (pids !== undefined) {
    candidates = [...new Set(pids)];
  } else {
    try {
      candidates = host.proc
        .readdir('.')
        .filter((n) => /^\d+$/.test(n))
        .map(Number);
    } catch (e) {
      issues.push({ probe: PROBE, kind: 'failed', message: `could not list ${host.proc.root} to look for /dev/nvidia* holders: ${message(e)}` });
      return [];
    }
  }
  candidates.sort((a, b) => a - b);
  const holders: GpuProcess[] = [];
  const denied: number[] = [];
  for (const pid of candidates) {
    let targets: string[];
    try {
      targets = host.proc.fdLinks(pid).targets;
    } catch (e) {
      if (e instanceof AccessDenied) denied.push(pid);
      continue; // gone: nothing held
    }
    if (targets.some((t) => DEV_NVIDIA.test(t))) holders.push({ pid, usedMemoryMiB: null, gpuUuid: null, source: '/dev/nvidia*' });
  }
  if (denied.length > 0) {
    issues.push({
      probe: PROBE,
      kind: 'access-denied',
      message: `fd tables of ${denied.length} process(es) not readable: whether they hold /dev/nvidia* is unknown (run as root to see them)`,
      pids: denied,
    });
  }
  return holders;
}

/**
 * The listed processes that are in this /proc, and those that are not (pids of a PID namespace this
 * /proc does not show: the host's, read from inside a container). When /proc cannot be listed, every
 * listed process is taken as seen (the census says /proc failed).
 */
function splitBySeen(host: Host, listed: GpuProcess[], issues: SnapshotIssue[]): { seen: GpuProcess[]; unseen: GpuProcess[] } {
  if (listed.length === 0) return { seen: [], unseen: [] };
  let here: Set<number>;
  try {
    here = new Set(host.proc.readdir('.').filter((n) => /^\d+$/.test(n)).map(Number));
  } catch {
    return { seen: listed, unseen: [] };
  }
  const seen = listed.filter((p) => here.has(p.pid));
  const unseen = listed.filter((p) => !here.has(p.pid));
  if (unseen.length > 0) {
    const pids = [...new Set(unseen.map((p) => p.pid))].sort((a, b) => a - b);
    issues.push({
      probe: PROBE,
      kind: 'unavailable',
      message: `nvidia-smi lists ${pids.length === 1 ? 'pid' : 'pids'} ${pids.join(', ')} that ${pids.length === 1 ? 'is' : 'are'} not in ${host.proc.root}: the driver reports the host's pids and this /proc shows another PID namespace (a container without the host's pids); the holders are looked for through /proc/PID/fd → /dev/nvidia* instead`,
      pids,
    });
  }
  return { seen, unseen };
}

/**
 * The per-GPU query (index, uuid, memory, …), run and parsed: what both the probe and the wait's
 * light reading start with. Unavailable when nvidia-smi is missing or reaches no driver.
 */
async function readGpuRows(host: Host): Promise<Outcome<ReturnType<typeof parseGpuQuery>>> {
  const argv = gpuQueryArgv();
  const source = argv.join(' ');
  const res = await host.run(argv, { timeoutMs: NVIDIA_SMI_TIMEOUT_MS });
  if (res.notFound) return unavailable('nvidia-smi is not installed (not found on PATH): no NVIDIA evidence', source);
  // nvidia-smi installed but no driver to talk to (not loaded, or a container started without the
  // GPU): nothing to measure, which is "unavailable", not a failure of ours. Exit 9 per nvidia-smi(1).
  const noDriver = res.timedOut ? null : driverUnreachableMessage(`${res.stdout}\n${res.stderr}`);
  if (noDriver !== null) return unavailable(noDriver, source);
  if (res.timedOut || res.code !== 0) return failed(`nvidia-smi ${describeCommandFailure(res)}`, source);
  try {
    return ok(parseGpuQuery(res.stdout, source), source);
  } catch (e) {
    return failed(message(e), source);
  }
}

export async function nvidiaGpu(host: Host, opts: GpuProbeOptions = {}): Promise<Outcome<GpuEvidence>> {
  const read = await readGpuRows(host);
  if (read.status !== 'ok') return read;
  const { value: rows, source } = read;
  if (rows.length === 0) return unavailable('nvidia-smi lists no GPU', source);

  const sources = [source];
  const issues: SnapshotIssue[] = [];
  const apps = await readComputeApps(host, sources, issues);
  const clocks = await readClocks(host, sources, issues);

  const devices: GpuDevice[] = rows.map((r) => {
    const c = clocks.get(r.index);
    return {
      index: r.index,
      uuid: r.uuid,
      name: r.name,
      memoryUsedMiB: r.memoryUsedMiB,
      memoryTotalMiB: r.memoryTotalMiB,
      utilizationPercent: r.utilizationPercent,
      temperatureC: r.temperatureC,
      activeEventReasons: c ? activeClockReasons(c) : [],
      eventReasonCounters: c ? knownCounters(c) : {},
    };
  });
  const listed: GpuProcess[] = (apps ?? []).map((a) => ({ pid: a.pid, usedMemoryMiB: a.usedMemoryMiB, gpuUuid: a.gpuUuid, source: 'nvidia-smi' }));
  // nvidia-smi names pids as the driver sees them: the host's. Read from the host's /proc (on the
  // host, a hostPID container, --proc-root of the host) they are ours; inside a container that does
  // not see the host's pids they are no process here, and attributing them by number would name
  // whatever process has that number here. Kept apart, said, and the fd holders looked for instead.
  const { seen: processes, unseen } = splitBySeen(host, listed, issues);

  // Memory in use (or unknown) with no compute process listed, or listed under pids that are not
  // here: look for the holders ourselves. A desktop's display server also holds /dev/nvidia* and
  // shows up here; callers that pass the suspect pids only see those.
  const memoryInUse = rows.some((r) => r.memoryUsedMiB === null || r.memoryUsedMiB > 0);
  if ((processes.length === 0 || unseen.length > 0) && memoryInUse) {
    sources.push(`${host.proc.path('[pid]')}/fd → /dev/nvidia*`);
    const have = new Set(processes.map((p) => p.pid));
    processes.push(...devNvidiaHolders(host, opts.pids, issues).filter((h) => !have.has(h.pid)));
  }

  const value: GpuEvidence = { vendor: 'nvidia', devices, processes, driverVersion: rows[0]!.driverVersion, sources };
  if (unseen.length > 0) value.unseenProcesses = unseen;
  return ok<GpuEvidence>(value, source, issues);
}

/** One reading of the wait after a cleanup (actions/gpu-wait.ts): each GPU's memory, and which of the given pids still hold it. */
export interface NvidiaReading {
  devices: Array<{ index: number; uuid: string | null; memoryUsedMiB: number | null }>;
  /** Of the pids asked about: listed by nvidia-smi's compute processes, or holding /dev/nvidia* open. */
  heldBy: number[];
}

/**
 * The light query the wait polls with: memory per GPU and the compute processes (no clocks), then
 * the fd tables of the given pids, whether nvidia-smi lists processes or not: a pid that left NVML
 * but still holds /dev/nvidia* (a process stuck in the driver) has not let go, and inside a
 * container nvidia-smi lists nothing at all. Failed when the per-GPU query fails.
 */
export async function nvidiaReading(host: Host, pids: number[]): Promise<Outcome<NvidiaReading>> {
  const read = await readGpuRows(host);
  if (read.status !== 'ok') return read;
  const { value: rows, source } = read;
  const issues: SnapshotIssue[] = [];
  const apps = await readComputeApps(host, [], issues);
  const asked = new Set(pids);
  const held = new Set<number>((apps ?? []).filter((a) => asked.has(a.pid)).map((a) => a.pid));
  for (const h of devNvidiaHolders(host, pids, issues)) held.add(h.pid);
  return ok({ devices: rows.map((r) => ({ index: r.index, uuid: r.uuid, memoryUsedMiB: r.memoryUsedMiB })), heldBy: [...held].sort((a, b) => a - b) }, source, issues);
}
