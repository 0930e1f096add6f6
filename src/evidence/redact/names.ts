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
export function isSecretQueryName(name: string): boolean {
  if (isSecretName(name)) return true;
  const w = words(name);
  const last = w[w.length - 1];
  if (w.length === 1 && (last === 'key' || last === 'pwd' || last === 'sig')) return true;
  return last === 'signature' || last === 'credential';
}
