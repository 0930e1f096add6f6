// Redaction of a process's argv, element by element: a value is exactly one element, so argv is
// never joined and re-split. Elements that no argv rule takes go through the text rules. Pure.
import { counter, hide, named, type Counter } from './counter.js';
import { secretFlag } from './flags.js';
import { valueRules } from './text.js';
import { secretValue } from './values.js';

/** Programs whose short options carry credentials, where the generic rules cannot know it. */
type ProgramRule = { takesUserPass: ReadonlySet<string>; attachedPassword: boolean };
const PROGRAMS: ReadonlyMap<string, ProgramRule> = new Map<string, ProgramRule>([
  // curl(1): -u/--user user:password, -U/--proxy-user user:password; the user stays.
  ['curl', { takesUserPass: new Set(['-u', '--user', '-U', '--proxy-user']), attachedPassword: false }],
  // mysql(1) and friends: -pPASSWORD (attached; a bare -p prompts).
  ...['mysql', 'mysqldump', 'mysqladmin', 'mariadb', 'mariadb-dump'].map((p): [string, ProgramRule] => [p, { takesUserPass: new Set(), attachedPassword: true }]),
]);

const FLAG_ELEMENT = /^(--?)([A-Za-z][A-Za-z0-9_.-]*)(?:=([\s\S]*))?$/;
const ASSIGNMENT_ELEMENT = /^([A-Za-z_][A-Za-z0-9_.]*)=([\s\S]*)$/;

function programOf(argv0: string): string {
  const base = argv0.slice(Math.max(argv0.lastIndexOf('/'), argv0.lastIndexOf('\\')) + 1);
  return base.toLowerCase().replace(/\.exe$/, '');
}

function hideAfterColon(v: string, c: Counter): string {
  const i = v.indexOf(':');
  return i >= 0 && secretValue(v.slice(i + 1)) ? `${v.slice(0, i + 1)}${hide(c)}` : v;
}

/**
 * A process's argv, element by element, so that a value is exactly one element:
 * - `--api-key=x` and `--api-key x` (the value is the next element, unless it starts with `-`:
 *   then the flag was a switch and nothing is eaten), for every flag isSecretName accepts;
 * - `KEY=x` elements (env(1), `docker run -e`) under a secret name: the whole rest goes;
 * - curl's `-u user:pass` and mysql's `-ppass` (PROGRAMS above);
 * - every other element through the text rules (URLs, headers, token shapes, `python -c` code),
 *   as one whole value: a URL that is the element (or its `--flag=`/`KEY=` value) loses its
 *   password up to the last `@` of its authority, quotes and spaces included (valueRules).
 */
export function redactArgv(argv: readonly string[]): { argv: string[]; redactions: number } {
  const c = counter();
  const out: string[] = [];
  const program = PROGRAMS.get(programOf(argv[0] ?? ''));
  let pending: 'whole' | 'afterColon' | null = null;
  for (let i = 0; i < argv.length; i++) {
    const el = argv[i]!;
    if (pending !== null) {
      const mode = pending;
      pending = null;
      if (!el.startsWith('-')) {
        out.push(mode === 'whole' ? (secretValue(el) ? hide(c) : el) : hideAfterColon(el, c));
        continue;
      }
    }
    if (i > 0 && program !== undefined) {
      if (program.takesUserPass.has(el)) {
        out.push(el);
        pending = 'afterColon';
        continue;
      }
      const eq = el.indexOf('=');
      if (el.startsWith('--') && eq > 0 && program.takesUserPass.has(el.slice(0, eq))) {
        out.push(el.slice(0, eq + 1) + hideAfterColon(el.slice(eq + 1), c));
        continue;
      }
      const short = el.slice(0, 2);
      if (!el.startsWith('--') && el.length > 2 && program.takesUserPass.has(short)) {
        out.push(short + hideAfterColon(el.slice(2), c));
        continue;
      }
      if (program.attachedPassword && short === '-p' && el.length > 2) {
        out.push(secretValue(el.slice(2)) ? `-p${hide(c)}` : el);
        continue;
      }
    }
    const flag = FLAG_ELEMENT.exec(el);
    if (flag !== null && secretFlag(c, flag[1]!, flag[2]!)) {
      const value = flag[3];
      if (value === undefined) {
        out.push(el);
        pending = 'whole';
      } else {
        out.push(secretValue(value) ? `${flag[1]}${flag[2]}=${hide(c)}` : el);
      }
      continue;
    }
    const assignment = ASSIGNMENT_ELEMENT.exec(el);
    if (assignment !== null && named(c, assignment[1]!)) {
      out.push(secretValue(assignment[2]!) ? `${assignment[1]}=${hide(c)}` : el);
      continue;
    }
    out.push(valueRules(el, c));
  }
  return { argv: out, redactions: c.n };
}
