import { existsSync, writeFileSync } from 'node:fs';
import { release, type as osType, arch } from 'node:os';
import { parseArgs } from 'node:util';
import type { Host } from '../../host/host.js';
import { portReports } from '../../census/ports.js';
import { looksLikePython } from '../../census/fingerprints.js';
import { gather } from '../../diagnosis/gather.js';
import { redactArgv, redactText } from '../../evidence/redact.js';
import { scrapeMetrics } from '../../probes/metrics.http.js';
import { renderDiagnosisMarkdown } from '../../render/diagnosis.js';
import { formatBytes, formatArgv } from '../../render/format.js';
import { procsJson } from '../../render/json.js';
import { renderPorts } from '../../render/ports.js';
import { renderProcs } from '../../render/procs.js';
import { makeStyle } from '../../render/style.js';
import { diagnose } from '../../rules/diagnose.js';
import { defineCommand } from '../command-spec.js';
import { configFlag } from '../config-flags.js';
import { makeContext } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { version } from '../main.js';
import { NO_METRICS, QUICK } from '../shared-flags.js';

export const spec = defineCommand({
  name: 'evidence',
  usage: ['evidence [--out FILE] [--json] [options]'],
  about: `The quick reference's "share evidence" step, as one Markdown file: the diagnosis, port holders,
process trees, the relevant ps lines, the head of the metrics, GPU and thermal state, and the
tool, OS, Python and driver versions. Secrets are redacted wherever they appear (argv,
environment, URLs: --api-key=…, HF_TOKEN=…, https://user:pass@…, bearer tokens, …); the bundle
says how many values were redacted. Review it before you share it. With --json, the same
evidence as one JSON object.`,
  flags: {
    out: { type: 'string', value: 'FILE', help: 'write the bundle to FILE, never over an existing one without --force', defaultText: 'stdout' },
    force: { type: 'boolean', help: 'overwrite FILE' },
    quick: QUICK,
    'no-metrics': NO_METRICS,
    'metrics-url': configFlag('metrics-url'),
  },
  common: true,
  examples: [
    { run: 'rerun-doctor evidence --out evidence.md', does: 'the bundle, redacted, to attach to a bug report' },
    { run: 'rerun-doctor evidence --quick --no-metrics --out evidence.md --force', does: 'quicker, without the metrics, over the last one' },
    { run: 'rerun-doctor evidence --json > evidence.json', does: 'the same evidence as one JSON object' },
  ],
  exit: 'Exit status: 0 written, 2 usage error (for example FILE exists).',
});

/** The server's interpreter's version, asked through the host (argv, a timeout): "Python 3.11.2 (/usr/bin/python3.11)". */
async function pythonVersion(host: Host, python: string | null): Promise<string> {
  for (const exe of [python, 'python3'].filter((x): x is string => x !== null)) {
    const r = await host.run([exe, '--version'], { timeoutMs: 3000 });
    // Python 2 printed its version on stderr.
    const v = (r.stdout.trim() || r.stderr.trim()).split('\n')[0];
    if (r.code === 0 && v) return `${v} (${exe})`;
  }
  return 'unknown';
}

export async function run(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: spec.options, strict: true });
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  if (values.out && existsSync(values.out) && !values.force) throw new UsageError(`--out "${values.out}" exists: pass --force to overwrite it`);
  const ctx = makeContext(values, io);
  const metricsUrl = values['metrics-url'] ?? ctx.config.metricsUrl;
  const metrics = values['no-metrics'] !== true;
  const { input, census: raw } = await gather(ctx, { samples: values.quick ? 1 : 3, intervalMs: 2000, metricsUrl, metrics, scrape: { timeoutMs: ctx.config.thresholds.metricsTimeoutSeconds * 1000, maxBytes: ctx.config.thresholds.metricsMaxBytes } });
  // argv first, element by element (curl -u, mysql -pPW, --token VALUE), then the whole text below.
  let argvRedactions = 0;
  const census = {
    ...raw,
    processes: raw.processes.map((p) => {
      const r = redactArgv(p.argv);
      argvRedactions += r.redactions;
      return r.redactions > 0 ? { ...p, argv: r.argv } : p;
    }),
  };
  const d = diagnose({ ...input, census, ports: portReports(census, ctx.config.ports, ctx.config.ports) });
  const scrape = metrics ? await scrapeMetrics(ctx.host, metricsUrl, { timeoutMs: ctx.config.thresholds.metricsTimeoutSeconds * 1000, maxBytes: ctx.config.thresholds.metricsMaxBytes }) : null;
  const plain = makeStyle(false);
  const now = ctx.host.now();
  // Only a Python server's interpreter is asked its version (a port holder may be anything).
  const server = census.processes.find((p) => p.role === 'server' && p.exe && looksLikePython(p.argv, p.comm, p.exe));
  const versions = {
    tool: `rerun-doctor ${version()}`,
    node: process.version,
    os: `${osType()} ${release()} ${arch()} (${ctx.host.platform})`,
    python: await pythonVersion(ctx.host, server?.exe ?? null),
    driver: input.gpu.available ? (input.gpu.value.driverVersion ?? 'unknown') : `unavailable (${input.gpu.reason})`,
  };
  const project = census.processes.filter((p) => p.role !== null);
  const psLines = ['    PID    PPID    PGID USER     STARTED                  RSS       COMMAND', ...project.map((p) => `${String(p.pid).padStart(7)} ${String(p.ppid).padStart(7)} ${String(p.pgid).padStart(7)} ${(p.user ?? '?').padEnd(8)} ${p.startTime} ${formatBytes(p.rssBytes).padStart(9)} ${formatArgv(p.argv, p.comm)}`)];
  const ports = portReports(census, ctx.config.ports, ctx.config.ports);
  const gpuText = input.gpu.available ? JSON.stringify(input.gpu.value, null, 2) : `unavailable: ${input.gpu.reason}`;
  const thermalText = input.thermal.available ? JSON.stringify(input.thermal.value.last, null, 2) : `unavailable: ${input.thermal.reason}`;
  const metricsHead = scrape === null ? 'not read (--no-metrics)' : scrape.ok ? scrape.head : `could not be read: ${scrape.message}`;

  let body: string;
  if (ctx.json) {
    body = JSON.stringify({ schemaVersion: 1, takenAt: now.toISOString(), hostname: census.snapshot.hostname, versions, diagnosis: d, processes: procsJson(census, { all: false, ports: ctx.classify.ports, serverPattern: ctx.classify.serverPattern.source }).processes, ports, metricsHead, gpu: input.gpu, thermal: input.thermal }, null, 2) + '\n';
  } else {
    const fence = (t: string, lang = 'text') => ['```' + lang, t.trimEnd(), '```'];
    body = [
      `# rerun-doctor evidence: ${census.snapshot.hostname}, ${now.toISOString()}`,
      '',
      `Verdict: **${d.verdict}**`,
      '',
      '## Versions',
      '',
      ...Object.entries(versions).map(([k, v]) => `- ${k}: ${v}`),
      '',
      renderDiagnosisMarkdown(d),
      '## Port holders',
      '',
      ...fence(renderPorts(census, ports, { style: plain, now, width: 200, wide: true })),
      '',
      '## Process trees',
      '',
      ...fence(renderProcs(census, { style: plain, now, width: 200, wide: true, patternSource: ctx.classify.serverPattern.source, ports: ctx.classify.ports })),
      '',
      '## ps lines (the project\'s processes)',
      '',
      ...fence(psLines.join('\n')),
      '',
      `## Metrics (${metricsUrl}, first lines)`,
      '',
      ...fence(metricsHead),
      '',
      '## GPU',
      '',
      ...fence(gpuText, input.gpu.available ? 'json' : 'text'),
      '',
      '## Thermal',
      '',
      ...fence(thermalText, input.thermal.available ? 'json' : 'text'),
      '',
    ].join('\n');
  }
  // Redact the whole bundle as text at the end: every argv, URL and environment value in it passes
  // through one place (src/evidence/redact.ts, docs/evidence-redaction.md).
  const red = redactText(body);
  red.redactions += argvRedactions;
  const note = ctx.json ? '' : `\n---\n${red.redactions} value${red.redactions === 1 ? '' : 's'} redacted (shown as [REDACTED]). Review this file before sharing it: a secret with no recognisable shape cannot be found.\n`;
  const out = red.text + note;
  if (values.out) {
    try {
      writeFileSync(values.out, out, { flag: values.force ? 'w' : 'wx' });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(`--out "${values.out}": ${code === 'EEXIST' ? 'exists: pass --force to overwrite it' : `cannot write: ${code ?? (e as Error).message}`}`);
    }
    io.stderr(`rerun-doctor: evidence written to ${values.out} (${red.redactions} value${red.redactions === 1 ? '' : 's'} redacted); verdict: ${d.verdict}\n`);
  } else io.stdout(out);
  return EXIT.ok;
}
