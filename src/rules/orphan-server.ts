// orphan-server: the server of a dead run (DOMAIN.md: "ports still held by Python processes after
// stopping"), one finding per process with every watched port its run still holds. A detached run
// (whole, its launcher gone, nothing newer beside it) may be running on purpose: a warning worded
// for both readings. Beside a newer run of the project, or broken, it is an error. Another
// project's dead server on a watched port is named, with whose it is; never cleaned unasked.
import { isDockerProxy } from '../census/docker-proxy.js';
import { splitsTraffic } from '../census/ports.js';
import type { ClassifiedProcess, Generation } from '../model/census.js';
import type { EvidenceItem, Finding, Severity } from '../model/diagnosis.js';
import { describeProc, pythonGuardEvidence, sortNum } from './lib/evidence.js';
import { report } from './lib/report.js';
import { sourcesFor } from './lib/sources.js';
import { NO_OPTIONS, type Rule } from './types.js';

const portList = (ports: number[]) => (ports.length === 0 ? 'no watched port' : ports.map((p) => `:${p}`).join(' and '));
const cwdNote = (run: Generation) => (run.cwd ? ` (cwd ${run.cwd})` : '');

export const orphanServer: Rule = {
  meta: {
    id: 'orphan-server',
    title: 'a server whose run is dead still runs (and holds its ports)',
    severity: 'error',
    requires: ['census', 'ports'],
    stage: 'orphans',
    messages: {
      foreignRunning: "{{ports}} {{verb}} held by another project's running server {{pid}}{{cwd}}",
      foreignDetached: "{{ports}} {{verb}} held by another project's server {{pid}}, whose launcher is gone{{cwd}}",
      detached: 'server {{pid}} was started detached and its launcher is gone: if you stopped your server, this one still holds {{ports}}',
      dead: 'server {{pid}} of a dead run still {{holds}}{{beside}}',
    },
    defaultOptions: {},
    schema: NO_OPTIONS,
  },
  check(input) {
    const src = sourcesFor(input.platform);
    const watched = new Set(input.ports.filter((r) => r.watched).map((r) => r.port));
    const own = new Set(input.ownLeftovers);
    const findings: Finding[] = [];
    const byRun = new Map<number, ClassifiedProcess[]>();
    for (const p of input.census.processes) if (p.generation !== null) byRun.set(p.generation, [...(byRun.get(p.generation) ?? []), p]);
    const make = (messageId: string, data: Record<string, string | number>, severity: Severity, procs: ClassifiedProcess[], ports: number[], evidence: EvidenceItem[], fix: string, run: Generation): Finding =>
      report(orphanServer.meta, messageId, data, {
        severity,
        pids: sortNum(procs.map((p) => p.pid)),
        ports,
        evidence,
        fix,
        next: run.scope === 'project' ? ['rerun-doctor clean --dry-run', 'rerun-doctor explain orphan-server'] : ['rerun-doctor ports', 'rerun-doctor explain orphan-server'],
        confidence: 'high',
      });
    for (const run of input.census.generations) {
      // A port docker-proxy holds is a container's, not a run's: port-held names the container side.
      if (run.serverPid !== null && input.census.processes.some((p) => p.pid === run.serverPid && isDockerProxy(p))) continue;
      const members = (byRun.get(run.id) ?? []).filter((m) => !m.zombie);
      const runPorts = sortNum(members.flatMap((m) => m.ports.filter((p) => watched.has(p))));
      const verb = runPorts.length === 1 ? 'is' : 'are';
      if (!run.dead) {
        // A running server of another project on a watched port: say whose it is (info: it is not ours to stop).
        if (run.scope !== 'project' && runPorts.length > 0 && run.serverPid !== null) {
          const srv = members.find((m) => m.pid === run.serverPid)!;
          findings.push(make('foreignRunning', { ports: portList(runPorts), verb, pid: srv.pid, cwd: cwdNote(run) }, 'info', [srv], runPorts, [
            { source: src.process(srv.pid), text: `${describeProc(srv)}: ${run.statusReason}; not this project's (${run.cwd ?? 'its working directory is not readable'})` },
          ], "It is another project's running server: stop it there if your rerun needs these ports, or give your server other ports (`ports` in the config).", run));
        }
        continue;
      }
      for (const srv of members.filter((m) => m.role === 'server')) {
        const others = members.filter((m) => m !== srv);
        const evidence: EvidenceItem[] = [{ source: src.process(srv.pid), text: `${describeProc(srv)}: ${srv.orphanReason ?? run.statusReason}` }];
        evidence.push(...pythonGuardEvidence(run.pythonGuard ?? [], [srv.pid], true));
        if (others.length > 0) evidence.push({ source: src.kinship, text: `its run ${run.id} also holds ${others.length} process${others.length === 1 ? '' : 'es'}: ${others.slice(0, 12).map((m) => `${m.pid} (${m.role}/${m.kind ?? '-'})`).join(', ')}${others.length > 12 ? ', …' : ''}` });
        // Only when the port's sockets span runs: the run's own workers binding it is its design.
        const dup = input.ports.filter((r) => runPorts.includes(r.port) && splitsTraffic(r));
        for (const r of dup) evidence.push({ source: src.sockets, text: `${r.sockets.length} sockets listen on :${r.port} (SO_REUSEPORT): a rerun binds it too and the kernel splits connections with the old server` });
        const stopped = run.pids.some((pid) => own.has(pid));
        let severity: Severity;
        let messageId: string;
        let data: Record<string, string | number>;
        if (run.scope !== 'project') {
          if (runPorts.length === 0) continue;
          severity = 'warning';
          messageId = 'foreignDetached';
          data = { ports: portList(runPorts), verb, pid: srv.pid, cwd: cwdNote(run) };
          evidence.push({ source: 'project scope', text: `not this project's run (${run.cwd ?? 'working directory not readable'}): rerun-doctor clean leaves it unless you name it (--pid ${srv.pid}, or --all-projects)` });
        } else if (run.status === 'detached' && !run.shadowed && !stopped) {
          severity = 'warning';
          messageId = 'detached';
          data = { pid: srv.pid, ports: portList(runPorts) };
          evidence.push({ source: 'run status', text: `${run.statusReason}. It is the project's only run, so it may be running on purpose (nohup, a start script): rerun-doctor clean leaves it unless --include-detached or --pid ${srv.pid}` });
        } else {
          severity = 'error';
          messageId = 'dead';
          data = { pid: srv.pid, holds: runPorts.length > 0 ? `holds ${portList(runPorts)}` : 'runs', beside: run.shadowed ? ' beside a newer run of the project' : stopped ? ' after the run was stopped' : '' };
          evidence.push({ source: 'run status', text: run.shadowed ? `${run.statusReason}; a newer run of the project started after it, so it is left over, not running on purpose` : stopped ? 'check stopped this run, and its server lives on' : run.statusReason });
        }
        findings.push(make(messageId, data, severity, [srv, ...others], runPorts, evidence, `End the old run (rerun-doctor clean${severity === 'error' ? '' : ` --pid ${srv.pid}`}). In the server: stop the gRPC server and the workers on SIGTERM and SIGINT, and set grpc.so_reuseport to 0 so a second server fails loudly instead of sharing the port.`, run));
      }
    }
    return findings;
  },
};
