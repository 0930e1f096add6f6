// Redaction of secrets in evidence: argv, and free text (ps lines, logs, environment dumps, URLs).
// Pure: no I/O, no clock, no module-level mutable state (the regular expressions below are
// constants, only ever used through String.prototype.replace, which resets their lastIndex, or
// without the g flag).
//
// What is redacted, what is kept and why: docs/evidence-redaction.md. The corpus that pins every
// decision down: test/fixtures/redaction/corpus.json.
//
// Two rules hold everywhere:
// - A redacted value becomes `[REDACTED]` and the key, flag, scheme or URL around it stays, so the
//   evidence still says that a key was passed and how. Each replacement writes exactly one
//   `[REDACTED]`, and `redactions` counts the replacements.
// - Redacting twice is redacting once: a value that already holds `[REDACTED]` is left alone and
//   not counted again.
//
// Speed: every pattern that starts with a repeated character class is guarded by a lookbehind
// that refuses to start inside a run of that class (or starts with a literal), and no two
// adjacent quantifiers share characters without a delimiter between them, so each pass is linear
// in the input. The test suite runs 1 MB inputs built to make a backtracking pattern blow up.

export const REDACTED = '[REDACTED]';

// ---------------------------------------------------------------------------------------------
// Names: which keys, flags, variables and headers hold secrets

/**
 * Splits a key name into lower-case words: `--openai-api-key` → openai/api/key,
 * `AWS_SECRET_ACCESS_KEY` → aws/secret/access/key, `accessToken` → access/token,
 * `AWSAccessKeyId` → aws/access/key/id, `-Djavax.net.ssl.keyStorePassword` →
 * djavax/net/ssl/key/store/password. A hand-written loop, linear in the name.
 */
function words(name: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const upper = c >= 65 && c <= 90;
    const lower = c >= 97 && c <= 122;
    const digit = c >= 48 && c <= 57;
    if (!upper && !lower && !digit) {
      if (cur !== '') out.push(cur);
      cur = '';
      continue;
    }
    if (upper && cur !== '') {
      const p = name.charCodeAt(i - 1);
      const n = i + 1 < name.length ? name.charCodeAt(i + 1) : 0;
      const prevLowerOrDigit = (p >= 97 && p <= 122) || (p >= 48 && p <= 57);
      const prevUpper = p >= 65 && p <= 90;
      // fooBar → foo|Bar; HTTPServer → HTTP|Server; HF_TOKEN stays whole.
      if (prevLowerOrDigit || (prevUpper && n >= 97 && n <= 122)) {
        out.push(cur);
        cur = '';
      }
    }
    cur += upper ? String.fromCharCode(c + 32) : name[i];
  }
  if (cur !== '') out.push(cur);
  return out;
}

/**
 * A last word that makes the name a *reference* to a secret, or a setting about one, never the
 * secret itself: `--password-file /run/secrets/x` (Docker's `*_FILE` convention for secrets, as in
 * the postgres image's POSTGRES_PASSWORD_FILE), `--secret-name my-secret`, `HF_TOKEN_PATH`
 * (huggingface_hub's environment variables), `--auth-required`, `token_type` (RFC 6749 §5.1),
 * `--api-key-header X-API-Key`. The value is kept: it is evidence.
 */
const REFERENCE_LAST = new Set([
  'file', 'files', 'path', 'paths', 'dir', 'directory', 'name', 'names', 'arn', 'id', 'ids', 'ref',
  'env', 'var', 'header', 'type', 'kind', 'mode', 'method', 'scheme', 'required', 'enabled',
  'disabled', 'stdin', 'url', 'uri', 'endpoint', 'host', 'port', 'user', 'username', 'length',
  'len', 'min', 'max', 'count', 'size', 'ttl', 'expiry', 'expires', 'expiration', 'timeout',
  'policy', 'prompt', 'provider', 'source', 'store', 'version', 'format', 'help', 'location',
  'command', 'cmd', 'helper', 'sock', 'socket', 'bucket', 'region',
]);

/**
 * Words that make the name a switch about a secret, not a slot for one: `--use-auth-token`
 * (older transformers CLIs, a boolean), `gh auth login --with-token` (reads stdin),
 * `HF_HUB_DISABLE_IMPLICIT_TOKEN=1` (huggingface_hub), `--no-auth`, `--require-api-key`.
 */
const SWITCH_WORDS = new Set(['no', 'use', 'require', 'requires', 'enable', 'disable', 'skip', 'allow', 'ignore', 'with', 'without', 'verify', 'validate']);

/**
 * `*_token` names that belong to a tokenizer, not to a credential: `--eos-token </s>`,
 * `pad_token`, `add_bos_token` (transformers' tokenizer_config.json), `image_token` (vision
 * models), pagination cursors (`next_page_token`). The word before `token` decides.
 */
const TOKENIZER_WORDS = new Set([
  'pad', 'eos', 'bos', 'unk', 'sep', 'cls', 'mask', 'image', 'img', 'audio', 'video', 'vision',
  'stop', 'start', 'end', 'special', 'begin', 'think', 'tool', 'sos', 'max', 'min', 'num', 'first',
  'last', 'next', 'prev', 'vocab', 'placeholder', 'additional', 'decoder', 'encoder', 'chat',
  'system', 'prompt', 'control', 'boi', 'eoi', 'eot', 'eom', 'fim', 'page', 'continuation',
  'resume', 'cancel', 'cancellation', 'sync', 'separator', 'padding', 'unknown', 'default',
]);

/** One word that is a secret wherever it stands in the name. */
const SECRET_WORDS = new Set(['secret', 'password', 'passwd', 'passphrase', 'apikey', 'authtoken', 'accesstoken', 'secretkey', 'privatekey', 'accesskey']);

/** `<word>_key` pairs that are secrets: api_key, access_key (and AWS's access_key_id), … */
const KEY_QUALIFIERS = new Set(['api', 'access', 'private', 'secret', 'account', 'signing', 'encryption', 'master', 'subscription', 'consumer', 'license']);

/** Whole names (words joined by `_`) that are secrets although no rule above says so. */
const SECRET_NAMES = new Set([
  'token', 'auth', 'basic_auth', 'http_auth', 'proxy_auth', 'authorization', 'proxy_authorization',
  'cookie', 'set_cookie',
  'pass', 'passin', 'passout', // openssl -pass pass:…, -passin, -passout (openssl-passphrase-options(1))
  'mysql_pwd', // MySQL's password variable (MySQL manual, "Environment Variables"); never plain PWD, the cwd
  'kaggle_key', // Kaggle's API key variable (Kaggle API docs)
]);

/**
 * Whether a key, flag (without its dashes), variable or header name holds a secret.
 * Exported for the bundle's assembler (which may label sections) and for tests.
 */
export function isSecretName(name: string): boolean {
  if (name.length > 200) return false; // no key name is this long; keeps the work bounded
  const w = words(name);
  const n = w.length;
  const last = w[n - 1];
  if (last === undefined) return false;
  const awsKeyId = last === 'id' && w[n - 2] === 'key' && (w[n - 3] === 'access' || w[n - 3] === 'accesskey');
  if (REFERENCE_LAST.has(last) && !awsKeyId) return false;
  if (w.some((x) => SWITCH_WORDS.has(x))) return false;
  if (SECRET_NAMES.has(w.join('_'))) return true;
  for (let i = 0; i < n; i++) {
    const x = w[i]!;
    if (SECRET_WORDS.has(x) || x.endsWith('password')) return true; // PGPASSWORD, dbpassword
    if (x === 'key' && i > 0 && KEY_QUALIFIERS.has(w[i - 1]!)) return true;
  }
  if (last === 'token' && (n === 1 || !TOKENIZER_WORDS.has(w[n - 2]!))) return true;
  return false;
}

/**
 * Query parameters add names that only mean a secret in a URL: `key=` (Google API keys),
 * `sig=` (Azure SAS), `Signature=` (S3 SigV2), `X-Amz-Signature`, `X-Amz-Credential`,
 * `X-Goog-Signature`, `X-Goog-Credential` (SigV4 and GCS V4 signed URLs), `pwd=`.
 */
function isSecretQueryName(name: string): boolean {
  if (isSecretName(name)) return true;
  const w = words(name);
  const last = w[w.length - 1];
  if (w.length === 1 && (last === 'key' || last === 'pwd' || last === 'sig')) return true;
  return last === 'signature' || last === 'credential';
}

// ---------------------------------------------------------------------------------------------
// Values: which values under a secret name are left alone

/** Not secrets but references to one: `$HF_TOKEN`, `${HF_TOKEN:-}`, `$(cat /run/secrets/x)`, `%TOKEN%`, `{token}`, `{{ .Values.token }}`, `<your-token>`. */
const REFERENCE_VALUE = /^(?:\$\{?[A-Za-z_][A-Za-z0-9_]*(?::?[-=?+][^}]*)?\}?|\$\([^)]*\)|%[A-Za-z_][A-Za-z0-9_]*%|\{\{?[^{}]*\}?\}|<[^<>]*>)$/;
/** Switch values: `use_auth_token=True`, `"api_key": null`. */
const SWITCH_VALUE = /^(?:true|false|null|none|nil|~)$/i;

function secretValue(v: string): boolean {
  return v !== '' && !v.includes(REDACTED) && !REFERENCE_VALUE.test(v) && !SWITCH_VALUE.test(v);
}

/** Counts replacements for one call. */
interface Counter {
  n: number;
  /** isSecretName and isSecretQueryName answers, per call: names repeat on nearly every line. */
  names: Map<string, boolean>;
  queryNames: Map<string, boolean>;
}

const counter = (): Counter => ({ n: 0, names: new Map(), queryNames: new Map() });

function named(c: Counter, name: string): boolean {
  let v = c.names.get(name);
  if (v === undefined) c.names.set(name, (v = isSecretName(name)));
  return v;
}

function queryNamed(c: Counter, name: string): boolean {
  let v = c.queryNames.get(name);
  if (v === undefined) c.queryNames.set(name, (v = isSecretQueryName(name)));
  return v;
}

function hide(c: Counter): string {
  c.n++;
  return REDACTED;
}

// ---------------------------------------------------------------------------------------------
// Text rules, applied in this order by redactText (each a separate pass over the text)

/**
 * 1. Private key blocks (RFC 7468 labels: `PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`,
 * `OPENSSH PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`, and OpenPGP's `PGP PRIVATE KEY BLOCK`). The
 * armour lines stay; the body becomes `[REDACTED]`. A block with no END line (a log cut mid-key)
 * is redacted to the end of its BEGIN line and over every following line that looks like key
 * material (base64, RFC 1421 `Proc-Type:`/`DEK-Info:` headers, blank lines), so the log lines
 * after it stay.
 */
const KEY_BEGIN = /^-----BEGIN ((?:[A-Z0-9]+ ){0,3})PRIVATE KEY( BLOCK)?-----/;
const KEY_LINE = /^[ \t]*(?:(?:[A-Za-z0-9+/=]+|(?:Proc-Type|DEK-Info|Comment):[^\r\n]*)[ \t]*)?\r?$/;

function privateKeys(text: string, c: Counter): string {
  let at = text.indexOf('-----BEGIN ');
  if (at < 0) return text;
  const parts: string[] = [];
  // END lines known to be absent: not found after one BEGIN, they are not after a later one, so
  // the search runs once per label and the pass stays linear.
  const absent = new Set<string>();
  let from = 0;
  while (at >= 0) {
    const m = KEY_BEGIN.exec(text.slice(at, at + 80));
    if (m === null) {
      at = text.indexOf('-----BEGIN ', at + 11);
      continue;
    }
    const bodyStart = at + m[0].length;
    const end = `-----END ${m[1] ?? ''}PRIVATE KEY${m[2] ?? ''}-----`;
    const endAt = absent.has(end) ? -1 : text.indexOf(end, bodyStart);
    if (endAt < 0) absent.add(end);
    const bodyEnd = endAt < 0 ? unterminatedEnd(text, bodyStart) : endAt;
    parts.push(text.slice(from, bodyStart), redactBody(text.slice(bodyStart, bodyEnd), c));
    from = bodyEnd;
    at = text.indexOf('-----BEGIN ', endAt < 0 ? bodyEnd : endAt + end.length);
  }
  parts.push(text.slice(from));
  return parts.join('');
}

/** Where a key with no END line stops: the rest of its BEGIN line, then the lines that look like key material. */
function unterminatedEnd(text: string, from: number): number {
  let nl = text.indexOf('\n', from);
  if (nl < 0) return text.length;
  let keyEnd = nl;
  let pos = nl + 1;
  while (pos < text.length) {
    nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const line = text.slice(pos, nl);
    if (line.startsWith('-----') || !KEY_LINE.test(line)) break;
    if (line.trim() !== '') keyEnd = nl;
    pos = nl + 1;
  }
  return keyEnd;
}

const isSpace = (ch: number) => ch === 32 || ch === 9 || ch === 10 || ch === 13;

/** The key body → its leading and trailing whitespace around `[REDACTED]` (keeps the line layout). */
function redactBody(body: string, c: Counter): string {
  let s = 0;
  let e = body.length;
  while (s < e && isSpace(body.charCodeAt(s))) s++;
  while (e > s && isSpace(body.charCodeAt(e - 1))) e--;
  const inner = body.slice(s, e);
  if (inner === '' || inner === REDACTED) return body;
  return body.slice(0, s) + hide(c) + body.slice(e);
}

/**
 * 2. HTTP Authorization headers (RFC 9110 §11.6.2, `credentials = auth-scheme [ 1*SP token68 ]`):
 * `Authorization: Bearer x`, `-H 'Authorization: Basic x'`, `"Authorization": "Token x"`,
 * `Proxy-Authorization`. The scheme stays; the credentials go. A value ends at whitespace or a
 * quote (token68 has neither).
 */
// `(?:f(?=["']))?`: a Python f-string, `{"Authorization": f"Bearer {token}"}` (then `{token}` is a reference and stays).
const AUTH_HEADER = /((?:proxy-)?authorization)(["']?[ \t]*[:=][ \t]*(?:f(?=["']))?["']?)([A-Za-z][A-Za-z0-9-]*[ \t]+)?([^\s"']+)/gi;

// Digest credentials are a list of parameters (RFC 7616 §3.4: username, nonce, response, …), not
// one token68: the rest of the line goes. Its `response` is a password hash, guessable offline.
const DIGEST_HEADER = /((?:proxy-)?authorization["']?[ \t]*:[ \t]*["']?digest[ \t]+)([^\r\n]+)/gi;

function authHeaders(text: string, c: Counter): string {
  const s = text.replace(DIGEST_HEADER, (all, head: string, rest: string) => (rest.includes(REDACTED) ? all : `${head}${hide(c)}`));
  return s.replace(AUTH_HEADER, (all, name: string, sep: string, scheme: string | undefined, value: string) => {
    if (!secretValue(value)) return all;
    return `${name}${sep}${scheme ?? ''}${hide(c)}`;
  });
}

/**
 * Standalone bearer tokens, in logs that print the header value alone ("sending Bearer ey…").
 * The token must hold a digit, so prose ("Bearer authentication") stays.
 */
const BEARER = /(?<![A-Za-z0-9])([Bb]earer[ \t]+)(?=[A-Za-z0-9._~+/-]*[0-9])([A-Za-z0-9._~+/-]+=*)/g;

function bearerTokens(text: string, c: Counter): string {
  return text.replace(BEARER, (_all, prefix: string) => `${prefix}${hide(c)}`);
}

/**
 * 3. URL userinfo (RFC 3986 §3.2.1; "user:password" is deprecated there, and still everywhere:
 * `postgres://u:p@h/db`, `redis://:p@h:6379`, pip's `--extra-index-url https://u:p@host`, git
 * remotes with tokens). The password goes, the user stays (it says which account). A password
 * ends at the last `@` before the path: an unencoded `@` in it is taken as part of it.
 */
// Anchored on the literal "://" (the scheme itself does not matter): a pattern that started at
// the scheme would be tried at the start of every word of the text, six times slower.
const URL_USERINFO = /:\/\/([^\s/?#@:"'<>]*):([^\s/?#"'<>]*)@/g;

function urlUserinfo(text: string, c: Counter): string {
  return text.replace(URL_USERINFO, (all, user: string, password: string) => {
    if (!secretValue(password)) return all;
    return `://${user}:${hide(c)}@`;
  });
}

/**
 * 4. Query and fragment parameters with secret names: `?token=`, `&api_key=`, `#access_token=`
 * (OAuth 2.0 implicit grant, RFC 6749 §4.2.2), presigned S3 URLs' `X-Amz-Signature`,
 * `X-Amz-Credential`, `X-Amz-Security-Token`, Azure SAS `sig=`. The other parameters stay
 * (`X-Amz-Expires`, `X-Amz-Date`: when a presigned URL expires is evidence).
 */
const QUERY_PARAM = /([?&#])([A-Za-z0-9_.-]+)=([^&#\s"'<>()[\]]*)/g;

function queryParams(text: string, c: Counter): string {
  return text.replace(QUERY_PARAM, (all, sep: string, name: string, value: string) => {
    if (!queryNamed(c, name) || !secretValue(value)) return all;
    return `${sep}${name}=${hide(c)}`;
  });
}

/**
 * 5. Well-known token shapes, wherever they appear, named or not. Each is anchored on its
 * literal prefix and refuses to start inside a longer word.
 */
// Each with a literal its matches must contain: a text without it skips the pattern's pass.
const SHAPES: ReadonlyArray<readonly [string, RegExp]> = [
  // Hugging Face user access tokens: "hf_" + 34 letters and digits (HF docs, "User access tokens").
  ['hf_', /(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{30,}/g],
  // OpenAI (sk-…, sk-proj-…, sk-svcacct-…) and Anthropic (sk-ant-api03-…) API keys: random
  // base62/base64url, so they hold a digit and a run of 20 characters with no hyphen. A
  // hyphenated name that starts with "sk-" (a pod, `sk-inference-gateway-6d9f8b7c5-x2x9z`) has
  // neither and stays.
  ['sk-', /(?<![A-Za-z0-9_-])sk-(?=[A-Za-z0-9_-]*?[A-Za-z0-9_]{20})(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]+/g],
  // GitHub: ghp_ (classic PAT), gho_ (OAuth), ghu_/ghs_ (app user/installation), ghr_ (refresh)
  // (GitHub blog, "Behind GitHub's new authentication token formats", 2021); fine-grained PATs
  // github_pat_… (GitHub docs).
  ['gh', /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{30,}/g],
  ['github_pat_', /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{40,}/g],
  // GitLab personal access tokens (GitLab docs, "Personal access tokens": prefix glpat-).
  ['glpat-', /(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,}/g],
  // Slack tokens: xoxb- bot, xoxp- user, xoxa-/xoxr-/xoxs-/xoxo- (Slack API docs, "Token types").
  ['xox', /(?<![A-Za-z0-9_-])xox[abposr]-[A-Za-z0-9-]{10,}/g],
  // AWS access key ids: AKIA long-term, ASIA temporary (IAM docs, "Unique identifier prefixes").
  // Not a secret alone, but it names the account and is half of a credential pair: replaced.
  ['IA', /(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Za-z])/g],
  // JWTs (RFC 7519): base64url JSON header "eyJ…" . payload "eyJ…" . signature.
  ['eyJ', /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g],
  // Google API keys: "AIza" + 35 characters (Google Cloud docs, "API keys"; gitleaks' gcp-api-key).
  ['AIza', /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g],
  // npm access tokens: npm_ + 36 (GitHub blog, "npm access tokens", 2021).
  ['npm_', /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/g],
  // PyPI API tokens: macaroons that always start "pypi-AgEIcHlwaS5vcmc" (PyPI help, "API tokens").
  ['pypi-', /(?<![A-Za-z0-9_-])pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{20,}/g],
  // Stripe secret and restricted keys: sk_live_, sk_test_, rk_live_ (Stripe docs, "API keys").
  ['k_', /(?<![A-Za-z0-9_])[sr]k_(?:live|test)_[A-Za-z0-9]{16,}/g],
];

/** Slack incoming webhooks: the path is the secret (Slack docs, "Sending messages using incoming webhooks"). */
const SLACK_WEBHOOK = /(hooks\.slack\.com\/services\/)[A-Za-z0-9/]+/g;

function shapes(text: string, c: Counter): string {
  let s = text;
  for (const [literal, re] of SHAPES) if (s.includes(literal)) s = s.replace(re, () => hide(c));
  if (!s.includes('hooks.slack.com/')) return s;
  return s.replace(SLACK_WEBHOOK, (_all, prefix: string) => `${prefix}${hide(c)}`);
}

// Value forms shared by the flag and assignment rules.
const DQ = String.raw`"((?:[^"\\\r\n]|\\.)*)"`;
const SQ = String.raw`'((?:[^'\\\r\n]|\\.)*)'`;

/**
 * 6. Command-line flags in text (ps lines, logs, shell scripts): `--api-key=x`, `--api-key x`,
 * `--api-key "x"`, Go-style `-token x`. A single letter (`-p`) is never taken: `-p` is a port,
 * a password or a path depending on the program. The value after a space must not start with
 * `-`: that is the next flag, and the flag before it a switch (`--auth --port 50051`).
 */
const FLAG_IN_TEXT = new RegExp(
  String.raw`(?<!\S)(--?)([A-Za-z][A-Za-z0-9_.-]*)(?:=(?:${DQ}|${SQ}|([^\s"']+))|([ \t]+)(?:${DQ}|${SQ}|([^\s"'-][^\s"']*)))`,
  'g',
);

function secretFlag(c: Counter, dashes: string, name: string): boolean {
  return !(dashes.length === 1 && name.length === 1) && named(c, name);
}

function flagsInText(text: string, c: Counter): string {
  return text.replace(FLAG_IN_TEXT, (all, dashes: string, name: string, eqD?: string, eqS?: string, eqU?: string, ws?: string, spD?: string, spS?: string, spU?: string) => {
    if (!secretFlag(c, dashes, name)) return all;
    const value = eqD ?? eqS ?? eqU ?? spD ?? spS ?? spU ?? '';
    if (!secretValue(value)) return all;
    const q = eqD !== undefined || spD !== undefined ? '"' : eqS !== undefined || spS !== undefined ? "'" : '';
    return `${dashes}${name}${ws ?? '='}${q}${hide(c)}${q}`;
  });
}

/** A flag and its value as two items of a JSON or Python list: `["--api-key", "x"]` (docker inspect's Cmd and Args, Kubernetes JSON). */
const FLAG_IN_LIST = /(["'])(--?[A-Za-z][A-Za-z0-9_.-]*)\1(\s*,\s*)(?:"((?:[^"\\\r\n]|\\.)*)"|'((?:[^'\\\r\n]|\\.)*)')/g;

function flagsInLists(text: string, c: Counter): string {
  return text.replace(FLAG_IN_LIST, (all, q1: string, flag: string, sep: string, dq?: string, sq?: string) => {
    const dashes = flag.startsWith('--') ? '--' : '-';
    const value = dq ?? sq ?? '';
    if (!secretFlag(c, dashes, flag.slice(dashes.length)) || value.startsWith('-') || !secretValue(value)) return all;
    const q2 = dq !== undefined ? '"' : "'";
    return `${q1}${flag}${q1}${sep}${q2}${hide(c)}${q2}`;
  });
}

/** A flag and its value as two items of a YAML list (a Kubernetes container's `args:`). */
const FLAG_IN_YAML_LIST = /^([ \t]*-[ \t]+)(["']?)(--?[A-Za-z][A-Za-z0-9_.-]*)\2([ \t]*\r?\n[ \t]*-[ \t]+)([^\r\n]*)/gm;

function flagsInYamlLists(text: string, c: Counter): string {
  return text.replace(FLAG_IN_YAML_LIST, (all, lead: string, q1: string, flag: string, sep: string, rest: string) => {
    const dashes = flag.startsWith('--') ? '--' : '-';
    if (!secretFlag(c, dashes, flag.slice(dashes.length))) return all;
    const v = unquoteLine(rest);
    if (v.value.startsWith('-') || !secretValue(v.value)) return all;
    return `${lead}${q1}${flag}${q1}${sep}${v.before}${hide(c)}${v.after}`;
  });
}

/** A YAML or INI line value: outer quotes and a trailing ` # comment` stay outside the secret. */
function unquoteLine(rest: string): { before: string; value: string; after: string } {
  let e = rest.length;
  while (e > 0 && isSpace(rest.charCodeAt(e - 1))) e--;
  const first = rest[0];
  if ((first === '"' || first === "'") && e > 1 && rest[e - 1] === first) {
    return { before: first, value: rest.slice(1, e - 1), after: rest.slice(e - 1) };
  }
  const hash = rest.search(/[ \t]#/);
  if (hash >= 0 && hash < e) e = hash;
  while (e > 0 && isSpace(rest.charCodeAt(e - 1))) e--;
  return { before: '', value: rest.slice(0, e), after: rest.slice(e) };
}

/**
 * 7. Kubernetes and ECS environment entries, where the secret's name and its value are two keys:
 * `- name: HF_TOKEN` / `value: x` (YAML) and `{"name": "HF_TOKEN", "value": "x"}` (JSON).
 */
const K8S_ENV_YAML = /^([ \t]*(?:-[ \t]+)?name:[ \t]*)(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\2([ \t]*\r?\n[ \t]*value:[ \t]*)([^\r\n]*)/gm;
const K8S_ENV_JSON = /("name"[ \t]*:[ \t]*")([A-Za-z_][A-Za-z0-9_.-]*)("[ \t]*,\s*"value"[ \t]*:[ \t]*")((?:[^"\\\r\n]|\\.)*)"/g;

function envEntries(text: string, c: Counter): string {
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

function lineAssignments(text: string, c: Counter): string {
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

function assignments(text: string, c: Counter): string {
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
    const next = whole[offset + all.length];
    if (next === '(' || next === '[' || next === '{' || !secretValue(value)) return all;
    // `OpenAI(api_key=api_key)`, `login(token=token)`: a variable passed under its own name.
    if (value === name) return all;
    return `${head}${hide(c)}`;
  });
}

/**
 * The passes in order. Each is skipped when the text lacks a literal its matches must contain
 * (a quick substring search, much cheaper than a pattern run over the text): most evidence has
 * no private key, no URL with userinfo, no flag list.
 */
function textRules(text: string, c: Counter): string {
  let s = text;
  if (s.includes('-----BEGIN ')) s = privateKeys(s, c);
  if (AUTHORIZATION_WORD.test(s)) s = authHeaders(s, c);
  if (BEARER_WORD.test(s)) s = bearerTokens(s, c);
  if (s.includes('://')) s = urlUserinfo(s, c);
  if (s.includes('=')) s = queryParams(s, c);
  s = shapes(s, c);
  if (s.includes('-')) {
    if (s.includes('- -')) s = flagsInYamlLists(s, c);
    if (s.includes('"-') || s.includes("'-")) s = flagsInLists(s, c);
    s = flagsInText(s, c);
  }
  if (s.includes('name')) s = envEntries(s, c);
  if (s.includes(':') || s.includes('=')) {
    s = lineAssignments(s, c);
    s = assignments(s, c);
  }
  return s;
}

const AUTHORIZATION_WORD = /authorization/i;
const BEARER_WORD = /bearer/i;

// ---------------------------------------------------------------------------------------------
// The API

/**
 * Free text: ps lines, the head of a metrics body, logs, `KEY=VALUE` environment dumps, JSON,
 * YAML, shell scripts. All rules of this module apply.
 */
export function redactText(text: string): { text: string; redactions: number } {
  const c = counter();
  const out = textRules(text, c);
  return { text: out, redactions: c.n };
}

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
 * - every other element through the text rules (URLs, headers, token shapes, `python -c` code).
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
    out.push(textRules(el, c));
  }
  return { argv: out, redactions: c.n };
}
