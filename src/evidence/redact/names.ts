// Names: which keys, flags, variables and headers hold secrets. Pure.

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
  // Where secrets are kept, not one of them: `--secret-manager aws`, `--secrets-backend vault`.
  'manager', 'managers', 'backend', 'backends', 'engine', 'service', 'mount', 'namespace', 'scope',
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

/**
 * A last word `key` after another word is a credential: `--openai-key`, `--wandb-key`,
 * `--mistral_key`, `COHERE_KEY`, `DD_APP_KEY` (a vendor's key is passed under the vendor's name,
 * and the vendors are too many to list). Unless the word before says which kind of key that is
 * not a credential: the words below. `key` alone (`--key server.key`, openssl's `-key FILE`), an
 * object's `key` (`spec.key`), `key` inside a name (`--key-metrics`, `--keyfile-format`) and the
 * plural (`sort_keys`, `dict_keys`; only `api_keys` and the other KEY_QUALIFIERS pairs) are not.
 */
const NOT_SECRET_KEY_QUALIFIERS = new Set([
  // data structures and databases: `--sort-key name`, `sort_keys=True`, `dict_keys([…])`, `--partition-key`
  'sort', 'cache', 'partition', 'foreign', 'unique', 'composite', 'object', 'shard', 'routing',
  'hash', 'range', 'row', 'group', 'lookup', 'idempotency', 'dedup', 'dedupe', 'join', 'index',
  'map', 'dict', 'json', 'sequence', 'order', 'bucket', 's3', 'blob', 'cluster', 'lock',
  // bounds and cursors: `startKey` (this tool's own process identity), `end_key`, `next_key`
  'start', 'end', 'begin', 'first', 'last', 'next', 'prev', 'previous', 'min', 'max', 'lower', 'upper',
  // dataset columns, as training and eval scripts name them: `--input-key prompt`, `--label_key`
  'input', 'output', 'prompt', 'response', 'label', 'labels', 'text', 'target', 'answer',
  'question', 'context', 'query', 'message', 'messages', 'chosen', 'rejected', 'image', 'audio',
  'video', 'caption', 'reward', 'conversation', 'conversations', 'data', 'dataset', 'column',
  'field', 'attribute', 'attr', 'tag', 'metric', 'metrics', 'value', 'result', 'feature',
  'features', 'state', 'model', 'weight', 'weights', 'layer', 'tensor', 'config', 'setting', 'param',
  // public halves, and keys a TLS or SSH flag names by its file (`--ssl-key /etc/ssl/x.key`)
  'public', 'pub', 'ssl', 'tls', 'ssh', 'host', 'gpg', 'pgp',
  // keyboards: `--hot-key`, `--shortcut-key`
  'hot', 'shortcut', 'modifier', 'escape', 'leader',
  // random number generators (JAX's `rng_key`, `--seed-key`)
  'rng', 'prng', 'seed', 'random',
]);

/**
 * A last word `pass` after another word is a password (`--db-pass`, `DB_PASS`, `SMTP_PASS`),
 * unless the word before makes it a pass over something: `--first-pass`, `--forward-pass`.
 */
const NOT_SECRET_PASS_QUALIFIERS = new Set(['first', 'second', 'third', 'last', 'final', 'single', 'multi', 'one', 'two', 'forward', 'backward', 'render', 'compile', 'dry', 'full', 'fast', 'slow', 'extra']);

/** Whole names (words joined by `_`) that are secrets although no rule above says so. */
const SECRET_NAMES = new Set([
  'token', 'auth', 'basic_auth', 'http_auth', 'proxy_auth', 'authorization', 'proxy_authorization',
  'cookie', 'set_cookie',
  'pass', 'passin', 'passout', // openssl -pass pass:…, -passin, -passout (openssl-passphrase-options(1))
  'mysql_pwd', // MySQL's password variable (MySQL manual, "Environment Variables"); never plain PWD, the cwd
  'kaggle_key', // Kaggle's API key variable (Kaggle API docs)
]);

/**
 * Whole names that end like a secret and are not one: Google's application default credentials
 * variable holds the path of a key file (Google Cloud docs, "How Application Default Credentials works").
 */
const NOT_SECRET_NAMES = new Set(['google_application_credentials']);

/** Last words that are a secret alone or after any other word: `--credentials`, `--aws-credentials`, `DB_CREDENTIAL`. */
const SECRET_LAST = new Set(['credential', 'credentials']);

/** Whether a key, flag (without its dashes), variable or header name holds a secret. */
export function isSecretName(name: string): boolean {
  if (name.length > 200) return false; // no key name is this long; keeps the work bounded
  const w = words(name);
  const n = w.length;
  const last = w[n - 1];
  if (last === undefined) return false;
  const awsKeyId = last === 'id' && w[n - 2] === 'key' && (w[n - 3] === 'access' || w[n - 3] === 'accesskey');
  if (REFERENCE_LAST.has(last) && !awsKeyId) return false;
  if (w.some((x) => SWITCH_WORDS.has(x))) return false;
  const whole = w.join('_');
  if (SECRET_NAMES.has(whole)) return true;
  if (NOT_SECRET_NAMES.has(whole)) return false;
  for (let i = 0; i < n; i++) {
    const x = w[i]!;
    if (SECRET_WORDS.has(x) || x.endsWith('password')) return true; // PGPASSWORD, dbpassword
    if (x === 'key' && i > 0 && KEY_QUALIFIERS.has(w[i - 1]!)) return true;
  }
  if (last === 'token' && (n === 1 || !TOKENIZER_WORDS.has(w[n - 2]!))) return true;
  if (last === 'keys' && KEY_QUALIFIERS.has(w[n - 2] ?? '')) return true; // --api-keys k1,k2
  if (SECRET_LAST.has(last)) return true;
  // The word before the last, within the last dotted part: `spec.key`, `row.key` and
  // `openai.pass` are an object's property, not a vendor's key.
  const before = name.lastIndexOf('.') < 0 ? w[n - 2] : words(name.slice(name.lastIndexOf('.') + 1)).at(-2);
  if (before === undefined) return false;
  if (last === 'key' && !NOT_SECRET_KEY_QUALIFIERS.has(before)) return true;
  if (last === 'pass' && !NOT_SECRET_PASS_QUALIFIERS.has(before)) return true;
  // `--db-pwd`, `DB_PWD`, `MYSQL_PWD`; plain `PWD` is the working directory (isSecretFlagName: `--pwd`).
  if (last === 'pwd') return true;
  return false;
}

/**
 * Whether a flag's name (without its dashes) holds a secret: every secret name, and `pwd`, which
 * as a flag is a password (`--pwd hunter2`) and as a variable is the working directory (`PWD`).
 */
export function isSecretFlagName(name: string): boolean {
  if (isSecretName(name)) return true;
  const w = words(name);
  return w.length === 1 && w[0] === 'pwd';
}

/**
 * Query parameters add names that only mean a secret in a URL: `key=` (Google API keys),
 * `sig=` (Azure SAS), `Signature=` (S3 SigV2), `X-Amz-Signature`, `X-Amz-Credential`,
 * `X-Goog-Signature`, `X-Goog-Credential` (SigV4 and GCS V4 signed URLs), `pwd=`.
 */
export function isSecretQueryName(name: string): boolean {
  if (isSecretName(name)) return true;
  const w = words(name);
  const last = w[w.length - 1];
  if (w.length === 1 && (last === 'key' || last === 'pwd' || last === 'sig')) return true;
  return last === 'signature' || last === 'credential';
}
