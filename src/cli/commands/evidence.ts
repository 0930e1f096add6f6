import { diagnose } from '../../diagnosis/diagnose.js';
import { diagnosisInput } from '../../diagnosis/input.js';
import { shareable } from '../../evidence/share.js';
import { renderEvidenceBundle } from '../../render/evidence-bundle.js';
import { bundleJson } from '../../render/json.js';
import { defineCommand } from '../command-spec.js';
import { configFlag } from '../config-flags.js';
import { makeContext } from '../context.js';
import { EXIT } from '../errors.js';
import type { Io } from '../io.js';
import { checkEvidenceFlags, evidenceFor } from '../evidence-input.js';
import { ruleSettingsOf } from '../rule-settings.js';
import { NO_METRICS, QUICK } from '../shared-flags.js';
import { writeNew } from '../write-file.js';
import { parseCommandArgs } from '../parse.js';

export const spec = defineCommand({
  name: 'evidence',
  usage: ['evidence [--out FILE] [--json] [options]', 'evidence --from FILE [--out FILE] [--json]'],
  about: `The quick reference's "share evidence" step, as one Markdown file: the diagnosis, port holders,
process trees, the relevant ps lines, the head of the metrics, GPU and thermal state, and the
tool, OS, Python and driver versions; then the evidence document itself, so that
\`rerun-doctor diagnose --from FILE\` replays the same diagnosis on another machine. Only the
processes the diagnosis reads are kept (the project's runs, their groups and parents, the owners
of the watched ports). Secrets are redacted wherever they appear (argv, environment, URLs:
--api-key=…, HF_TOKEN=…, https://user:pass@…, bearer tokens, …); the bundle says how many values
were redacted. Review it before you share it. With --json, the evidence document and its
diagnosis as one JSON object (docs/diagnose.md).`,
  flags: {
    out: { type: 'string', value: 'FILE', help: 'write the bundle to FILE, never over an existing one without --force', defaultText: 'stdout' },
    force: { type: 'boolean', help: 'overwrite FILE' },
    quick: QUICK,
    'no-metrics': NO_METRICS,
    'metrics-url': configFlag('metrics-url'),
    from: { type: 'string', value: 'FILE', help: 'make the bundle from a saved evidence document instead of this machine' },
  },
  common: true,
  examples: [
    { run: 'rerun-doctor evidence --out evidence.md', does: 'the bundle, redacted, to attach to a bug report' },
    { run: 'rerun-doctor evidence --json > evidence.json', does: 'the evidence document and its diagnosis as one JSON object' },
    { run: 'rerun-doctor evidence --from saved.json --out bundle.md', does: 'a bundle from a saved document (diagnose --save, check --save); its receiver runs rerun-doctor diagnose --from bundle.md' },
  ],
  exit: 'Exit status: 0 written, 2 usage error (for example FILE exists).',
});

export async function run(args: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs(spec, args);
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  const outOptions = { force: values.force === true, forceFlag: true };
  if (values.out !== undefined) writeNew.check(values.out, '--out', outOptions);
  checkEvidenceFlags(values);
  const ctx = makeContext(values, io);
  const rules = ruleSettingsOf(ctx, io);
  const collected = await evidenceFor(values, ctx, io, { progress: false, environment: true });
  // Redacted and trimmed first; the diagnosis shown is the shared document's, so a replay of the
  // file gives exactly what the file says.
  const shared = shareable(collected);
  const { census, input } = diagnosisInput(shared.evidence, values.from);
  const parts = { evidence: shared.evidence, census, ports: input.ports, diagnosis: diagnose(shared.evidence, { rules, where: values.from }), kept: shared.kept, now: ctx.host.now() };
  const out = ctx.json ? JSON.stringify(bundleJson(parts), null, 2) + '\n' : renderEvidenceBundle(parts);
  if (values.out !== undefined) {
    writeNew(values.out, out, '--out', outOptions);
    io.stderr(`rerun-doctor: evidence written to ${values.out} (${shared.redactions} value${shared.redactions === 1 ? '' : 's'} redacted); verdict: ${parts.diagnosis.verdict}\n`);
  } else io.stdout(out);
  return EXIT.ok;
}
