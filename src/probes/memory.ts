// Memory evidence (src/model/memory.ts): the kernel's own word on memory pressure, swap in use, and
// physical memory. macOS: three `sysctl -n` reads; Linux: /proc/pressure/memory and /proc/meminfo.
// See docs/probes/memory.md. Which processes hold memory is not read here: the census has RSS and,
// on macOS, the GPU probe's footprint calls the physical footprint of the suspect pids.
//
// Each value is its own part: one that cannot be read is null with an issue, never "fine". With no
// pressure reading at all the outcome is `unavailable` (or `failed` when a read broke), so "no
// PSI on this kernel" is never "no memory pressure".
import { AccessDenied, ProcessGone } from '../host/errors.js';
import type { Host } from '../host/host.js';
import { describeCommandFailure } from '../host/run-command.js';
import type { MemoryEvidence } from '../model/memory.js';
import { failed, ok, unavailable, type Outcome } from '../model/outcome.js';
import type { SnapshotIssue } from '../model/snapshot.js';
import { parseSwapUsage, parseSysctlInteger, type SysctlParse } from '../os/darwin/sysctl.js';
import { parseMeminfo } from '../os/linux/meminfo.js';
import { parsePressure } from '../os/linux/sys-thermal.js';

/** `sysctl -n NAME` for each value the darwin probe reads, in this order. */
export const SYSCTL_PRESSURE_ARGV: readonly string[] = ['sysctl', '-n', 'kern.memorystatus_vm_pressure_level'];
export const SYSCTL_SWAP_ARGV: readonly string[] = ['sysctl', '-n', 'vm.swapusage'];
export const SYSCTL_MEMSIZE_ARGV: readonly string[] = ['sysctl', '-n', 'hw.memsize'];
export const PROC_PRESSURE_MEMORY = 'pressure/memory';
export const PROC_MEMINFO = 'meminfo';

/** sysctl answers in milliseconds; a hang is a failure, not a wait. */
const TIMEOUT_MS = 5_000;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function darwinMemory(host: Host): Promise<Outcome<MemoryEvidence>> {
  const PROBE = 'memory.darwin';
  const env = { ...host.env, LC_ALL: 'C' };
  const issues: SnapshotIssue[] = [];
  const sources: string[] = [];
  let broken = false;
  let absent = false;
  const read = async <T>(argv: readonly string[], parse: (text: string) => SysctlParse<T>, what: string): Promise<T | null> => {
    const source = argv.join(' ');
    const res = await host.run([...argv], { env, timeoutMs: TIMEOUT_MS });
    if (res.notFound) {
      absent = true;
      return null;
    }
    if (res.timedOut || res.code !== 0) {
      broken = true;
      issues.push({ probe: PROBE, kind: 'failed', message: `${what} unknown: ${source}: ${describeCommandFailure(res)}` });
      return null;
    }
    const parsed = parse(res.stdout);
    if (!parsed.ok) {
      broken = true;
      issues.push({ probe: PROBE, kind: 'parse', message: `${what} unknown: ${source}: ${parsed.problem}` });
      return null;
    }
    sources.push(source);
    return parsed.value;
  };
  const pressureLevel = await read(SYSCTL_PRESSURE_ARGV, (t) => parseSysctlInteger(t, 'kern.memorystatus_vm_pressure_level'), 'memory pressure');
  const source = SYSCTL_PRESSURE_ARGV.join(' ');
  if (absent) return unavailable('sysctl is not installed (not found on PATH): memory pressure unknown', source);
  const swap = await read(SYSCTL_SWAP_ARGV, parseSwapUsage, 'swap use');
  const total = await read(SYSCTL_MEMSIZE_ARGV, (t) => parseSysctlInteger(t, 'hw.memsize'), 'physical memory');
  if (pressureLevel === null && broken && swap === null) return failed(issues.map((i) => i.message).join('; '), source);
  const value: MemoryEvidence = {
    platform: 'darwin',
    pressureLevel,
    psiSomeAvg10: null,
    psiFullAvg10: null,
    totalBytes: total,
    availableBytes: null,
    swapUsedBytes: swap?.usedBytes ?? null,
    swapTotalBytes: swap?.totalBytes ?? null,
    sources,
  };
  return ok(value, source, issues);
}

type ReadResult = { kind: 'ok'; text: string } | { kind: 'absent' } | { kind: 'error'; message: string; denied: boolean };

function tryRead(host: Host, rel: string): ReadResult {
  try {
    return { kind: 'ok', text: host.proc.read(rel) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    if (e instanceof ProcessGone || code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'absent' };
    return { kind: 'error', message: message(e), denied: e instanceof AccessDenied };
  }
}

function linuxMemory(host: Host): Outcome<MemoryEvidence> {
  const PROBE = 'memory.linux';
  const issues: SnapshotIssue[] = [];
  const sources: string[] = [];
  const psiPath = host.proc.path(PROC_PRESSURE_MEMORY);
  const memPath = host.proc.path(PROC_MEMINFO);

  let some: number | null = null;
  let full: number | null = null;
  const psi = tryRead(host, PROC_PRESSURE_MEMORY);
  let psiWhy: string | null = null;
  if (psi.kind === 'ok') {
    const p = parsePressure(psi.text);
    for (const m of p.problems) issues.push({ probe: PROBE, kind: 'parse', message: `${psiPath}: ${m}` });
    if (p.some) {
      some = p.some.avg10;
      full = p.full?.avg10 ?? null;
      sources.push(psiPath);
    } else psiWhy = `${psiPath} has no "some" line`;
  } else if (psi.kind === 'absent') {
    psiWhy = `${psiPath} does not exist (kernel before 4.20, CONFIG_PSI off, or psi=0 at boot)`;
  } else {
    psiWhy = `${psiPath}: ${psi.message}`;
    issues.push({ probe: PROBE, kind: psi.denied ? 'access-denied' : 'failed', message: psiWhy });
  }

  const mem = tryRead(host, PROC_MEMINFO);
  const info = mem.kind === 'ok' ? parseMeminfo(mem.text) : null;
  if (info) sources.push(memPath);
  else issues.push({ probe: PROBE, kind: mem.kind === 'error' && mem.denied ? 'access-denied' : 'failed', message: `${memPath}: ${mem.kind === 'error' ? mem.message : 'does not exist'}` });

  // Without PSI, MemAvailable is still a direct reading of how short memory is.
  if (some === null && (info === null || info.availableBytes === null || info.totalBytes === null)) {
    const why = [psiWhy, info === null ? `${memPath} unreadable` : 'no MemAvailable in it'].filter(Boolean).join('; ');
    return psi.kind === 'error' || mem.kind === 'error' ? failed(`${why}: memory pressure unknown`, psiPath) : unavailable(`${why}: memory pressure unknown`, psiPath);
  }
  if (some === null && psiWhy) issues.push({ probe: PROBE, kind: 'unavailable', message: `${psiWhy}: no stall figure, MemAvailable only` });
  const swapUsed = info && info.swapTotalBytes !== null && info.swapFreeBytes !== null ? info.swapTotalBytes - info.swapFreeBytes : null;
  return ok<MemoryEvidence>(
    {
      platform: 'linux',
      pressureLevel: null,
      psiSomeAvg10: some,
      psiFullAvg10: full,
      totalBytes: info?.totalBytes ?? null,
      availableBytes: info?.availableBytes ?? null,
      swapUsedBytes: swapUsed,
      swapTotalBytes: info?.swapTotalBytes ?? null,
      sources,
    },
    psiPath,
    issues,
  );
}

/** The host platform's memory evidence. A probe that throws is a bug, reported as a failed outcome. */
export async function collectMemory(host: Host): Promise<Outcome<MemoryEvidence>> {
  try {
    return host.platform === 'darwin' ? await darwinMemory(host) : linuxMemory(host);
  } catch (e) {
    return failed(`memory.${host.platform} threw: ${message(e)}`, `memory.${host.platform}`);
  }
}
