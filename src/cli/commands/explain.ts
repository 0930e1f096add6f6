import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RULE_IDS, type RuleId } from '../../rules/index.js';
import { EXIT, UsageError } from '../errors.js';
import type { Io } from '../io.js';

export const help = `Usage: rerun-doctor explain ID

Prints a finding's page (what it detects, the evidence it uses, how to fix it in the server's
code, what to run now, its known false positives), then the tested fix recipes for it. IDs: ${RULE_IDS.join(', ')}.
`;

export async function run(args: string[], io: Io): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(help);
    return EXIT.ok;
  }
  const [id, ...rest] = args;
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
