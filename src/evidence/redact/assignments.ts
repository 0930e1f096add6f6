// Rules 7, 8 and 9 of the text rules (text.ts): environment entries in manifests, assignments at
// the start of a line, and assignments anywhere. Pure.
import { hide, named, type Counter } from './counter.js';
import { DQ, secretValue, SQ, unquoteLine } from './values.js';

/**
 * 7. Kubernetes and ECS environment entries, where the secret's name and its value are two keys:
 * `- name: HF_TOKEN` / `value: x` (YAML) and `{"name": "HF_TOKEN", "value": "x"}` (JSON).
 */
const K8S_ENV_YAML = /^([ \t]*(?:-[ \t]+)?name:[ \t]*)(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\2([ \t]*\r?\n[ \t]*value:[ \t]*)([^\r\n]*)/gm;
const K8S_ENV_JSON = /("name"[ \t]*:[ \t]*")([A-Za-z_][A-Za-z0-9_.-]*)("[ \t]*,\s*"value"[ \t]*:[ \t]*")((?:[^"\\\n]|\\[^\n])*)"/g;

export function envEntries(text: string, c: Counter): string {
  const s = text.replace(K8S_ENV_YAML, (all, lead: string, q: string, name: string, sep: string, rest: string) => {
    if (!named(c, name)) return all;
    const v = unquoteLine(rest);
    if (!secretValue(v.value)) return all;
    return `${lead}${q}${name}${q}${sep}${v.before}${hide(c)}${v.after}`;
  });
  return s.replace(K8S_ENV_JSON, (all, lead: string, name: string, sep: string, value: string) => {
    if (!named(c, name) || !secretValue(value)) return all;
    return `${lead}${name}${sep}${hide(c)}"`;
  });
}

/**
 * 8. Line-start assignments whose value runs to the end of the line: YAML `password: a b c`, HTTP
 * header lines `X-API-Key: x`, INI `password = a b c` (spaces around `=`). A value that starts
 * with a quote is left to rule 9; one that opens a block (`{`, `[`, `|`, `>`, `&`, `*`, `!`) is
 * kept (limit: YAML block scalars are not followed), and so is code (`api_key = os.environ[…]`).
 */
const LINE_ASSIGNMENT = /^([ \t]*(?:export[ \t]+|-[ \t]+)?)(["']?)([A-Za-z_][A-Za-z0-9_.-]*)(["']?)([ \t]*:[ \t]+|[ \t]+=[ \t]*|=[ \t]+)([^\r\n]*)/gm;

/** Python on a traceback's line: `api_key = os.environ["OPENAI_API_KEY"]`, `token = get_token()`. */
const CODE_VALUE = /^[A-Za-z_][A-Za-z0-9_.]*[ \t]*[([]/;

export function lineAssignments(text: string, c: Counter): string {
  return text.replace(LINE_ASSIGNMENT, (all, lead: string, q1: string, name: string, q2: string, sep: string, rest: string) => {
    if (!named(c, name) || rest === '' || /^["'{[|>&*!]/.test(rest) || CODE_VALUE.test(rest)) return all;
    const v = unquoteLine(rest);
    // JSON written one key a line: `"pin": 1234,`
    if (q1 !== '' && v.value.endsWith(',')) {
      v.after = ',' + v.after;
      v.value = v.value.slice(0, -1);
    }
    if (!secretValue(v.value)) return all;
    return `${lead}${q1}${name}${q2}${sep}${hide(c)}${v.after}`;
  });
}

/**
 * 9. Assignments anywhere: `HF_TOKEN=x` (env dumps, `env`/`docker run -e`, shell), `"password":
 * "x"` (JSON), `api_key="x"` (Python, also inside `python -c`), `openai.api_key = 'x'`,
 * `os.environ['OPENAI_API_KEY'] = 'x'`, `token: x` (YAML, logs), `AccountKey=x;` (Azure
 * connection strings). An unquoted value ends at whitespace or one of `"'\`,;&(){}[]<>`; after a
 * colon it must follow a space (YAML's rule, so `${HF_TOKEN:-x}` and `host:port` stay); one
 * followed by `(` or `[` is code (`token=get_token()`, `os.environ["X"]`) and stays, and so does
 * a value equal to its own name (`OpenAI(api_key=api_key)`).
 */
const ASSIGNMENT = new RegExp(
  String.raw`(?<![A-Za-z0-9_.$-])([A-Za-z_][A-Za-z0-9_.-]*)(["']?\]?)([ \t]*)([:=])([ \t]*)(?:${DQ}|${SQ}|([^\s"'\x60,;&(){}<>[\]]+))`,
  'g',
);

const AUTHORIZATION_NAME = /^(?:proxy-)?authorization$/i;
const BLOCK_SCALAR = /^[|>][-+0-9]*$/;

export function assignments(text: string, c: Counter): string {
  return text.replace(ASSIGNMENT, (all, name: string, close: string, ws1: string, op: string, ws2: string, dq: string | undefined, sq: string | undefined, bare: string | undefined, offset: number, whole: string) => {
    // Authorization values belong to rule 2, which keeps the scheme (`Bearer [REDACTED]`).
    if (!named(c, name) || AUTHORIZATION_NAME.test(name)) return all;
    const head = `${name}${close}${ws1}${op}${ws2}`;
    if (dq !== undefined || sq !== undefined) {
      const q = dq !== undefined ? '"' : "'";
      return secretValue(dq ?? sq ?? '') ? `${head}${q}${hide(c)}${q}` : all;
    }
    const value = bare ?? '';
    // After a colon: YAML needs the space, and `|`/`>` open a block scalar (not followed).
    if (op === ':' && (ws2 === '' || BLOCK_SCALAR.test(value))) return all;
    // `key == x`, `k.key === 'tokenize'`: a comparison, not an assignment.
    if (op === '=' && ws2 === '' && value.startsWith('=')) return all;
    const next = whole[offset + all.length];
    if (next === '(' || next === '[' || next === '{' || !secretValue(value)) return all;
    // `OpenAI(api_key=api_key)`, `login(token=token)`: a variable passed under its own name.
    if (value === name) return all;
    return `${head}${hide(c)}`;
  });
}
