import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RULE_IDS, type RuleId } from '../../rules/index.js';
import { defineCommand } from '../command-spec.js';
import { EXIT, UsageError } from '../errors.js';
import { wrap } from '../flags.js';
import type { Io } from '../io.js';

export const spec = defineCommand({
  name: 'explain',
  usage: ['explain ID'],
  about: `Prints a finding's page (what it detects, the evidence it uses, how to fix it in the server's
code, what to run now, its known false positives), then the tested fix recipes for it. IDs:
${wrap(RULE_IDS.join(', '), 96)
    .map((l) => `  ${l}`)
    .join('\n')}`,
  flags: {},
  common: false,
  positionals: { choices: RULE_IDS },
  examples: [
    { run: 'rerun-doctor explain orphan-workers', does: 'why workers outlive their main process, and the tested fixes' },
    { run: 'rerun-doctor explain port-shared | less', does: 'what SO_REUSEPORT does to a rerun, page by page' },
  ],
  exit: 'Exit status: 0, or 2 for an unknown ID.',
});

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: spec.options, strict: true, allowPositionals: true });
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  const [id, ...rest] = positionals;
  if (id === undefined) throw new UsageError(`explain: expected a finding id: one of ${RULE_IDS.join(', ')}`);
  if (rest.length > 0) throw new UsageError(`explain: unexpected argument "${rest[0]}"`);
  if (!(RULE_IDS as string[]).includes(id)) throw new UsageError(`explain: unknown finding "${id}": expected one of ${RULE_IDS.join(', ')}`);
  const page = fileURLToPath(new URL(`../../../docs/rules/${id as RuleId}.md`, import.meta.url));
  io.stdout(readFileSync(page, 'utf8'));
  // Then the tested code-level fixes for this finding, from the recipes' index (docs/fixes/README.md).
  const index = readFileSync(fileURLToPath(new URL('../../../docs/fixes/README.md', import.meta.url)), 'utf8');
  const rows = index.split('\n').filter((l) => l.startsWith('|') && l.split('|')[1]!.split(',').map((x) => x.trim()).some((x) => x === id || x.startsWith(`${id} `)));
  if (rows.length > 0) {
    io.stdout(`\n## Fix recipes (docs/fixes/)\n\n`);
    for (const r of rows) {
      const [, , recipe = '', covers = '', tested = ''] = r.split('|').map((c) => c.trim());
      const m = /\[([^\]]+)\]\(([^)]+)\)(.*)/.exec(recipe);
      io.stdout(`- ${m ? `${m[1]} (docs/fixes/${m[2]})${m[3]}` : recipe}. Covers: ${covers}. Tested: ${tested}.\n`);
    }
  }
  return EXIT.ok;
}
