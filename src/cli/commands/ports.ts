import { portReports } from '../../census/ports.js';
import { portsJson } from '../../render/json.js';
import { renderPorts } from '../../render/ports.js';
import { makeStyle } from '../../render/style.js';
import { checkGrpcHealth, startGrpcHealth, type StartedGrpcCheck } from '../../probes/grpc/health-check.js';
import type { GrpcHealth } from '../../model/grpc.js';
import { defineCommand } from '../command-spec.js';
import { configFlag } from '../config-flags.js';
import { makeContext, parsePortList } from '../context.js';
import { parseDuration } from '../duration.js';
import { EXIT, UsageError } from '../errors.js';
import { censusFor, checkEvidenceFlags } from '../evidence-input.js';
import { useColor, type Io } from '../io.js';
import { redactCensus } from '../../evidence/redact/census.js';
import { COLOR_FLAGS, REDACT, SHAREABLE_NOTE, WIDE } from '../shared-flags.js';
import { outputWidth, writeText } from '../terminal.js';
import { parseCommandArgs } from '../parse.js';

export const spec = defineCommand({
  name: 'ports',
  usage: ['ports [PORT…] [options]', 'ports [PORT…] --from FILE [--wide] [--redact] [--json]'],
  about: `Who holds each port: every listening socket (IPv4 and IPv6) and every owning process, since when,
their parents, orphaned or not. Two sockets on one address (SO_REUSEPORT: an old server still takes
part of the traffic) are told apart from one socket shared by several processes (inherited).
Without PORT, the watched ports (default 50051 and 8080, or "ports" in the config). When something
listens on the gRPC port, it is asked grpc.health.v1.Health/Check, beside the census (a peer that
does not answer the HTTP/2 handshake within 100 ms is NO_ANSWER; --timeout bounds the call once it
does; docs/grpc-health.md). With --from, the port holders of
a saved evidence document (nothing is asked: it is not this machine).

${SHAREABLE_NOTE}`,
  flags: {
    from: { type: 'string', value: 'FILE', help: 'show the port holders of a saved evidence document instead of this machine' },
    wide: WIDE,
    redact: REDACT,
    'grpc-port': configFlag('grpc-port'),
    'no-grpc': configFlag('no-grpc'),
    timeout: configFlag('timeout', 'for the gRPC health check'),
    ...COLOR_FLAGS,
  },
  common: true,
  positionals: { value: 'PORT' },
  examples: [
    { run: 'rerun-doctor ports', does: 'the watched ports: who holds them, and whether an orphan does' },
    { run: 'rerun-doctor ports 50051 8080 --wide --redact', does: 'these two ports, command lines not cut, their secrets as [REDACTED]' },
    { run: 'rerun-doctor ports --from bug-report.md', does: 'who held the watched ports on the machine a bundle came from' },
    { run: 'rerun-doctor ports --no-grpc --json', does: 'the port holders as JSON (docs/json.md), without the health check' },
  ],
  exit: `Exit status: 0 no watched port held by an orphan, 1 a watched port is held by an orphan, 2 usage
or internal error.`,
});

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(spec, args);
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  const asked = parsePortList(positionals, 'port');
  checkEvidenceFlags(values);
  if (values.from !== undefined && values['grpc-port'] !== undefined) throw new UsageError('--grpc-port cannot be used with --from: a saved document cannot be asked for its health');
  const ctx = makeContext(values, io, asked);
  let grpcPort = ctx.config.grpcPort;
  if (values['grpc-port'] !== undefined) grpcPort = parsePortList([values['grpc-port']], '--grpc-port')[0]!;
  const timeoutMs = values.timeout !== undefined ? parseDuration(values.timeout, '--timeout', { minMs: 10 }) : ctx.config.thresholds.metricsTimeoutSeconds * 1000;
  // The health check runs beside the census, not after it: it starts on 127.0.0.1 (where a
  // listener on 0.0.0.0, 127.0.0.1 or a dual-stack :: answers) with its preface out before the
  // census blocks the event loop, and its answer is taken if the census shows such a listener.
  // A replay (--from) is not this machine: nothing is asked.
  if (values['no-grpc'] || values.from !== undefined) grpcPort = null;
  let early: StartedGrpcCheck | null = null;
  // Only when the gRPC port is among those shown (the watched ones, or the PORTs asked).
  if (grpcPort !== null && (asked.length > 0 ? asked : ctx.classify.ports).includes(grpcPort)) {
    early = startGrpcHealth({ host: '127.0.0.1', port: grpcPort }, { timeoutMs });
    await early.connected;
  }
  // On an error below, the check still ends by itself within its budget (it holds no timer past it).
  const shown = await censusFor(values, ctx);
  // Judged on the real argv; with --redact, printed redacted (the port holders' argv come from the census).
  const redacted = values.redact ? redactCensus(shown.census) : null;
  const census = redacted?.census ?? shown.census;
  const sockProbe = census.snapshot.probes.find((p) => p.probe.startsWith('sockets.'));
  if (sockProbe && sockProbe.status !== 'ok') {
    io.stderr(`rerun-doctor: cannot list listening sockets (${sockProbe.source}): ${sockProbe.message ?? sockProbe.status}\n`);
    return EXIT.usage;
  }
  const ports = asked.length > 0 ? asked : shown.ports;
  const reports = portReports(census, ports, shown.ports.concat(asked));
  // An old server still answering, or a hung process holding the port: ask the gRPC port.
  const grpc = new Map<number, GrpcHealth>();
  const grpcReport = reports.find((r) => r.port === grpcPort && r.sockets.length > 0);
  const earlyResult = await early?.result;
  if (grpcReport && earlyResult) {
    const sock = grpcReport.sockets[0]!;
    const address = sock.address.replace(/^::ffff:/, '');
    // A dual-stack :: listener took the IPv4 connection unless it refused it (IPV6_V6ONLY).
    const reached = address === '0.0.0.0' || address === '127.0.0.1' || (address === '::' && earlyResult.status !== 'REFUSED');
    const host = address === '::' ? '::1' : address;
    grpc.set(grpcReport.port, reached ? earlyResult : await checkGrpcHealth({ host, port: grpcReport.port }, { timeoutMs }));
  }
  if (ctx.json) io.stdout(JSON.stringify(portsJson(census, reports, grpc, redacted?.redactions), null, 2) + '\n');
  else {
    // --wide: lines whole, neither cut nor wrapped (as procs).
    const text = renderPorts(census, reports, { style: makeStyle(useColor(io, values)), now: shown.now, width: outputWidth(io) ?? 120, wide: values.wide === true }, grpc);
    if (values.wide === true) io.stdout(text);
    else await writeText(io, text);
  }
  return reports.some((r) => r.watched && r.heldByOrphan) ? EXIT.findings : EXIT.ok;
}
