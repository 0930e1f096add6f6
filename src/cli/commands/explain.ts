import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { diagnose } from '../../diagnosis/diagnose.js';
import { renderExplanation, renderRulePage, type RulePage } from '../../render/explain.js';
import { makeStyle } from '../../render/style.js';
import { RULE_IDS, type RuleId } from '../../rules/index.js';
import { defineCommand } from '../command-spec.js';
import { configFlag } from '../config-flags.js';
import { COMMON_FLAGS, makeContext } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { checkEvidenceFlags, evidenceFor } from '../evidence-input.js';
import { wrap } from '../flags.js';
import { useColor, type Io } from '../io.js';
import { ruleSettingsOf } from '../rule-settings.js';
import { COLOR_FLAGS, NO_METRICS, QUICK } from '../shared-flags.js';
import { writeText } from '../terminal.js';
import { parseCommandArgs } from '../parse.js';
import { packageRoot } from '../../host/package-root.js';

export const spec = defineCommand({
  name: 'explain',
  usage: ['explain ID', 'explain [ID] --from FILE', 'explain [options]'],
  about: `With an ID, prints that finding's page (what it detects, the evidence it uses, how to fix it
in the server's code, what to run now, its known false positives), then the tested fix recipes for
it. Without one, it diagnoses this machine (as \`diagnose\` does) and explains every finding: the
finding with its evidence, then its page. With --from FILE it does the same for a saved evidence
document (a bundle someone sent, a \`diagnose --save\` file), as on the machine it came from; an ID
then picks that finding only. IDs:
${wrap(RULE_IDS.join(', '), 96)
    .map((l) => `  ${l}`)
    .join('\n')}`,
  flags: {
    from: { type: 'string', value: 'FILE', help: 'explain the findings of a saved evidence document' },
    quick: QUICK,
    'no-metrics': NO_METRICS,
    'metrics-url': configFlag('metrics-url'),
    ...COLOR_FLAGS,
  },
  common: true,
  positionals: { choices: RULE_IDS },
  examples: [
    { run: 'rerun-doctor explain orphan-workers', does: 'why workers outlive their main process, and the tested fixes' },
    { run: 'rerun-doctor explain --quick', does: 'diagnose this machine and explain each finding' },
    { run: 'rerun-doctor explain --from bug-report.md', does: "each finding of a bundle someone sent, with its page" },
    { run: 'rerun-doctor explain port-shared | less', does: 'what SO_REUSEPORT does to a rerun, page by page' },
  ],
  exit: 'Exit status: 0, or 2 for an unknown ID or an unreadable evidence file.',
});

const doc = (rel: string) => readFileSync(join(packageRoot(), 'docs', rel), 'utf8');

/** A rule's page, and its rows of the recipes' index (docs/fixes/README.md): the tested code-level fixes. */
function rulePage(id: RuleId): RulePage {
  const rows = doc('fixes/README.md').split('\n').filter((l) => l.startsWith('|') && l.split('|')[1]!.split(',').map((x) => x.trim()).some((x) => x === id || x.startsWith(`${id} `)));
  const recipes = rows.map((r) => {
    const [, , recipe = '', covers = '', tested = ''] = r.split('|').map((c) => c.trim());
    const m = /\[([^\]]+)\]\(([^)]+)\)(.*)/.exec(recipe);
    return `${m ? `${m[1]} (docs/fixes/${m[2]})${m[3]}` : recipe}. Covers: ${covers}. Tested: ${tested}.`;
  });
  return { id, page: doc(`rules/${id}.md`), recipes };
}

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(spec, args);
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  const [id, ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`explain: unexpected argument "${rest[0]}"`);
  if (id !== undefined && !(RULE_IDS as string[]).includes(id)) throw new UsageError(`explain: unknown finding "${id}": expected one of ${RULE_IDS.join(', ')}`);
  checkEvidenceFlags(values);
  // An ID alone: its page, nothing collected; a flag given with it is still checked, never ignored.
  if (id !== undefined && values.from === undefined) {
    if (Object.keys(values).some((k) => k !== 'json' && Object.hasOwn(COMMON_FLAGS, k))) makeContext(values, io);
    io.stdout(renderRulePage(rulePage(id as RuleId)));
    return EXIT.ok;
  }
  const ctx = makeContext(values, io);
  const rules = ruleSettingsOf(ctx, io);
  const evidence = await evidenceFor(values, ctx, io, { progress: true });
  const d = diagnose(evidence, { rules, where: values.from });
  const ids = [...new Set([...d.findings, ...d.deferred].map((f) => f.id as RuleId))].filter((r) => id === undefined || r === id);
  await writeText(io, renderExplanation(d, new Map(ids.map((r) => [r, rulePage(r)])), makeStyle(useColor(io, values)), values.from ?? 'this machine', id));
  return EXIT.ok;
}
