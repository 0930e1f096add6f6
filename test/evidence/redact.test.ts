// src/evidence/redact/ against the corpus in test/fixtures/redaction/corpus.json (what must be
// redacted, what must stay intact, where each shape comes from) and against inputs built to make
// a backtracking regular expression blow up.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { redactArgv } from '../../src/evidence/redact/argv.js';
import { REDACTED } from '../../src/evidence/redact/counter.js';
import { isSecretFlagName, isSecretName } from '../../src/evidence/redact/names.js';
import { redactText } from '../../src/evidence/redact/text.js';
import { redactTree } from '../../src/evidence/redact/tree.js';
import { fixture } from '../helpers/paths.js';

type Case =
  | { name: string; kind: 'argv'; input: string[]; expected: string[]; source: string; secrets?: string[] }
  | { name: string; kind: 'text'; input: string; expected: string; source: string; secrets?: string[] };

const corpus = (JSON.parse(readFileSync(fixture('redaction', 'corpus.json'), 'utf8')) as { cases: Case[] }).cases;

/** Runs a case's kind of redaction. */
function run(c: Case, input: Case['input'] = c.input): { output: Case['input']; redactions: number } {
  switch (c.kind) {
    case 'argv': {
      const r = redactArgv(input as string[]);
      return { output: r.argv, redactions: r.redactions };
    }
    case 'text': {
      const r = redactText(input as string);
      return { output: r.text, redactions: r.redactions };
    }
  }
}

/** Every string in a case's input or output, as one text. */
const flat = (v: Case['input']): string => (typeof v === 'string' ? v : v.join('\n'));
const markers = (s: string): number => s.split(REDACTED).length - 1;
const intact = (c: Case) => JSON.stringify(c.input) === JSON.stringify(c.expected);

test('the corpus: size, kinds, sources, a third intact, fake secrets listed', () => {
  assert.ok(corpus.length >= 60, `at least 60 cases, got ${corpus.length}`);
  const names = new Set(corpus.map((c) => c.name));
  assert.equal(names.size, corpus.length, 'case names are unique');
  for (const kind of ['argv', 'text']) assert.ok(corpus.some((c) => c.kind === kind), `some case of kind ${kind}`);
  const kept = corpus.filter(intact).length;
  assert.ok(kept / corpus.length >= 0.25 && kept / corpus.length <= 0.45, `about a third intact: ${kept} of ${corpus.length}`);
  for (const c of corpus) {
    assert.ok(c.source.trim().length > 0, `${c.name}: says where its shape comes from`);
    if (intact(c)) {
      assert.equal(c.secrets, undefined, `${c.name}: an intact case lists no secrets`);
      continue;
    }
    assert.ok(c.secrets !== undefined && c.secrets.length > 0, `${c.name}: a redacting case lists its secret values`);
    for (const s of c.secrets ?? []) {
      assert.ok(s.length >= 6, `${c.name}: secret ${JSON.stringify(s)} is long enough to be searched for`);
      assert.ok(flat(c.input).includes(s), `${c.name}: secret ${JSON.stringify(s)} occurs in the input`);
    }
  }
});

for (const c of corpus) {
  test(`corpus [${c.kind}] ${c.name}`, () => {
    const { output, redactions } = run(c);
    assert.deepEqual(output, c.expected, c.source);
    // Each replacement writes exactly one marker, so the count is the markers added.
    assert.equal(redactions, markers(flat(c.expected)) - markers(flat(c.input)), 'redactions counts the replacements');
    if (intact(c)) assert.equal(redactions, 0, 'an intact case counts nothing');
    // Idempotent: the output redacted again is itself, and nothing more is counted.
    const again = run(c, output);
    assert.deepEqual(again.output, output, 'redacting twice = redacting once');
    assert.equal(again.redactions, 0, 'the second pass counts nothing');
  });
}

test('no corpus secret appears in any output, nor in the whole corpus redacted as one text', () => {
  const secrets = corpus.flatMap((c) => c.secrets ?? []);
  const outputs = corpus.map((c) => flat(run(c).output));
  for (const s of secrets) {
    const leak = outputs.findIndex((o) => o.includes(s));
    assert.equal(leak, -1, `secret ${JSON.stringify(s)} leaked into the output of ${corpus[leak]?.name}`);
  }
  // The same inputs as one bundle of free text (argv joined by spaces, as ps prints it). curl's
  // -u and mysql's -p are known only to redactArgv, which knows the program; a URL whose password
  // holds a quote only to the whole-value rule (in free text a quote ends a URL).
  const argvOnly = new Set(['curl -u user:password (user kept)', 'mysql -pPASSWORD (attached)', 'a URL element whose password holds a quote and a backslash']);
  const bundle = corpus
    .filter((c) => !argvOnly.has(c.name))
    .map((c) => (c.kind === 'argv' ? c.input.join(' ') : flat(c.input)))
    .join('\n');
  const all = redactText(bundle).text;
  for (const c of corpus.filter((x) => !argvOnly.has(x.name))) {
    for (const s of c.secrets ?? []) assert.ok(!all.includes(s), `${c.name}: ${JSON.stringify(s)} survived redactText of the joined corpus`);
  }
});

test('intact argv cases stay intact as ps lines too', () => {
  for (const c of corpus) {
    if (c.kind !== 'argv' || !intact(c)) continue;
    const line = c.input.join(' ');
    assert.equal(redactText(line).text, line, c.name);
  }
});

test('counts: one per replaced value, several per input', () => {
  assert.equal(redactArgv(['app', '--token', 'a1b2c3d4', '--password=p4ssw0rd!', 'HF_TOKEN=x-y-z-1']).redactions, 3);
  assert.equal(redactText('a=1 password=abcdef token=ghijkl\nsecret: mnopqr').redactions, 3);
  assert.equal(redactText('A=1\nAPI_KEY=abcdef\nB=https://u:pw1234@h/').redactions, 2);
  assert.equal(redactText('nothing to see').redactions, 0);
  assert.equal(redactArgv([]).redactions, 0);
  assert.equal(redactText('').text, '');
});

test('argv: the value of a secret flag is the next element, unless that element is a flag', () => {
  assert.deepEqual(redactArgv(['srv', '--api-key']).argv, ['srv', '--api-key'], 'a secret flag at the end eats nothing');
  assert.deepEqual(redactArgv(['srv', '--token', '--port', '1']).argv, ['srv', '--token', '--port', '1']);
  assert.deepEqual(redactArgv(['srv', '--token', '-']).argv, ['srv', '--token', '-'], '"-" (stdin) starts with "-"');
  assert.deepEqual(redactArgv(['srv', '--token', 'two words']).argv, ['srv', '--token', REDACTED], 'a value is one whole element');
  assert.deepEqual(redactArgv(['srv', '--api-key=']).argv, ['srv', '--api-key='], 'an empty value is evidence, not a secret');
  assert.deepEqual(redactArgv(['srv', '--api-key', '$OPENAI_API_KEY']).argv, ['srv', '--api-key', '$OPENAI_API_KEY'], 'a reference stays');
  assert.deepEqual(redactArgv(['srv', '-p', 'hunter22']).argv, ['srv', '-p', 'hunter22'], '-p is never taken (outside mysql)');
  assert.deepEqual(redactArgv(['srv', '--api_key', 'k3y-v4lue']).argv, ['srv', '--api_key', REDACTED], 'underscores spell the same flag');
  assert.deepEqual(redactArgv(['python', '-u', 'serve.py']).argv, ['python', '-u', 'serve.py'], '-u is only curl\'s user:password');
  assert.deepEqual(redactArgv(['/usr/bin/curl', '--user=bob:pw-998877', '-Ualice:pw-665544', 'http://x']).argv, ['/usr/bin/curl', `--user=bob:${REDACTED}`, `-Ualice:${REDACTED}`, 'http://x']);
  assert.deepEqual(redactArgv(['curl', '-u', 'bob', 'http://x']).argv, ['curl', '-u', 'bob', 'http://x'], 'a user without a password stays');
});

test('names: secrets, references, switches and tokenizer tokens', () => {
  for (const n of ['api-key', 'API_KEY', 'apiKey', 'x-api-key', 'token', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWSAccessKeyId', 'AWS_SESSION_TOKEN', 'client_secret', 'PGPASSWORD', 'passwd', 'auth', 'Authorization', 'access_token', 'refresh_token', 'id_token', 'AccountKey', 'private_key', 'MYSQL_PWD', 'csrf_token', 'bot_token']) {
    assert.ok(isSecretName(n), `${n} is a secret name`);
  }
  for (const n of ['tokenizer', 'max_tokens', 'num-tokens', 'TOKENIZERS_PARALLELISM', 'eos_token', 'pad-token', 'add_bos_token', 'next_page_token', 'password-file', 'secret-name', 'api-key-file', 'HF_TOKEN_PATH', 'token_type', 'auth-required', 'no-auth', 'use_auth_token', 'with-token', 'password-stdin', 'PWD', 'key', 'key-file', 'GIT_ASKPASS', 'SSH_AUTH_SOCK', 'client-id', 'secret_id', 'PROMETHEUS_MULTIPROC_DIR', '']) {
    assert.ok(!isSecretName(n), `${n} is not a secret name`);
  }
});

test('names: <vendor>_key, *_pass, *_pwd and credential(s) are secret; key kinds, passes and PWD are not', () => {
  for (const n of ['db-pass', 'DB_PASS', 'smtp_pass', 'db_password', 'db-pwd', 'DB_PWD', 'openai_key', 'OPENAI_KEY', 'anthropic-api-key', 'wandb-key', 'mistral_key', 'cohereKey', 'DD_APP_KEY', 'STRIPE_KEY', 'api-keys', 'credentials', 'aws-credentials', 'DB_CREDENTIAL', 'client_secret', 'session_key', 'user_key']) {
    assert.ok(isSecretName(n), `${n} is a secret name`);
    assert.ok(isSecretFlagName(n), `--${n} is a secret flag`);
  }
  for (const n of ['secret-manager', 'secrets-backend', 'secret-engine', 'key-metrics', 'keyfile-format', 'key', 'sort-key', 'sort_keys', 'dict_keys', 'input_key', 'label-key', 'prompt-key', 'partitionKey', 'startKey', 'cache_key', 'public-key', 'ssl-key', 'tls-key', 'spec.key', 'row.key', 'first-pass', 'forward_pass', 'pass-through', 'PWD', 'OLDPWD', 'GOOGLE_APPLICATION_CREDENTIALS', 'credentials-file', 'AWS_SHARED_CREDENTIALS_FILE', 'no-credentials', 'credential-helper']) {
    assert.ok(!isSecretName(n), `${n} is not a secret name`);
  }
  assert.ok(isSecretFlagName('pwd') && !isSecretName('pwd'), '--pwd is a password, $PWD the working directory');
  assert.ok(!isSecretFlagName('secret-manager') && !isSecretFlagName('key-metrics') && !isSecretFlagName('keyfile-format'), 'the non-secret flags of issue 10 stay');
  assert.deepEqual(redactArgv(['srv', '--pwd=hunter22', 'PWD=/srv/app']).argv, ['srv', `--pwd=${REDACTED}`, 'PWD=/srv/app']);
  assert.equal(redactText('mysqlsh --pwd hunter22 --user root\nPWD=/srv/app').text, `mysqlsh --pwd ${REDACTED} --user root\nPWD=/srv/app`);
});

test('a whole value that is a URL: its password to the authority\'s last @, whatever it holds; text keeps rule 3', () => {
  const el = (s: string) => redactArgv(['x', s]).argv[1];
  assert.equal(el('https://u:p"w\\d é€@h:1/p?q#f'), `https://u:${REDACTED}@h:1/p?q#f`);
  assert.equal(el('DATABASE_URL=postgresql://ml:a"b@db/runs'), `DATABASE_URL=postgresql://ml:${REDACTED}@db/runs`);
  assert.equal(el('--db-url=redis://:a"b@cache:6379'), `--db-url=redis://:${REDACTED}@cache:6379`);
  assert.equal(el('https://u:@h/'), 'https://u:@h/', 'an empty password is not a secret');
  assert.equal(el('http://host:8080/a:b@c'), 'http://host:8080/a:b@c', 'an @ after the authority is the path\'s');
  assert.equal(el('https://user@h/x'), 'https://user@h/x', 'a user alone stays');
  assert.equal(el('see https://u:a"b@h/'), 'see https://u:a"b@h/', 'inside free text, a quote ends a URL (a documented limit)');
  assert.equal(redactTree({ url: 'http://s:p"q@127.0.0.1:8080/metrics', source: 'GET http://s:p"q@127.0.0.1:8080/metrics' }).value.source, `GET http://s:${REDACTED}@127.0.0.1:8080/metrics`);
});

test('redactTree: argv element by element, a string under a secret key whole, the shape and the numbers kept', () => {
  const doc = {
    n: 3,
    ok: true,
    none: null,
    startKey: 988832,
    argv: ['srv', '--token', 'a"b\\c', '--port', '1'],
    env: { PWD: '/srv/app', HF_TOKEN: 'x"y\nz', EMPTY_TOKEN: '', REF_TOKEN: '$HF_TOKEN' },
    labels: [{ api_key: 'l"1', model: 'gpt2' }],
    head: 'requests_total{api_key="l\\"1",model="gpt2"} 1',
    nested: { list: [['--api-key=abc', 'plain']], token: { value: 'not a string under token' } },
  };
  const r = redactTree(doc);
  assert.deepEqual(r.value, {
    n: 3,
    ok: true,
    none: null,
    startKey: 988832,
    argv: ['srv', '--token', REDACTED, '--port', '1'],
    env: { PWD: '/srv/app', HF_TOKEN: REDACTED, EMPTY_TOKEN: '', REF_TOKEN: '$HF_TOKEN' },
    labels: [{ api_key: REDACTED, model: 'gpt2' }],
    head: `requests_total{api_key="${REDACTED}",model="gpt2"} 1`,
    nested: { list: [[`--api-key=${REDACTED}`, 'plain']], token: { value: 'not a string under token' } },
  });
  assert.equal(r.redactions, 5);
  assert.deepEqual(JSON.parse(JSON.stringify(r.value)), r.value, 'it serialises and parses back');
  const again = redactTree(r.value);
  assert.deepEqual(again.value, r.value, 'redacting twice is redacting once');
  assert.equal(again.redactions, 0);
  assert.notEqual(r.value, doc, 'a copy: the input is not changed');
  assert.equal(doc.env.HF_TOKEN, 'x"y\nz');
});

test('text edges: code, block scalars, f-strings, switches, server arg dumps', () => {
  const same = (s: string) => assert.equal(redactText(s).text, s, s);
  same("headers = {'Authorization': f'Bearer {token}'}");
  same('api_key: |\n  not followed (a documented limit)');
  same('INFO api_server.py:212] args: Namespace(host=None, port=8000, api_key=None, hf_token=None, tokenizer=None)');
  same('WWW-Authenticate: Bearer realm="api", error="invalid_token"');
  same('Avg prompt throughput: 0.0 tokens/s, Avg generation throughput: 12.3 tokens/s');
  same('password=\ntoken: \n"api_key": ""');
  assert.equal(redactText("non-default args: {'api_key': 'k-123456', 'model': 'gpt2'}").text, `non-default args: {'api_key': '${REDACTED}', 'model': 'gpt2'}`);
  assert.equal(redactText('Authorization: fk-no-scheme-1').text, `Authorization: ${REDACTED}`, 'an f-string prefix only before a quote');
  assert.equal(redactText('"pin": 123456,').text, `"pin": 123456,`, 'pin is not a secret name');
  assert.equal(redactText('  "password": 123456,').text, `  "password": ${REDACTED},`, 'a JSON number keeps its comma');
  assert.equal(redactText('password = two words # note').text, `password = ${REDACTED} # note`, 'INI: spaces around = take the rest of the line');
});

test('private keys: several blocks, PGP, and one truncated between log lines', () => {
  const block = (label: string, body: string) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----`;
  const text = ['a', block('EC PRIVATE KEY', 'MHcCAQEEFAKE0'), 'b', block('PGP PRIVATE KEY BLOCK', 'lQOYBFAKE1'), 'c', block('CERTIFICATE', 'MIIBFAKEcert'), 'd'].join('\n');
  const r = redactText(text);
  assert.equal(r.redactions, 2);
  assert.ok(!r.text.includes('MHcCAQEEFAKE0') && !r.text.includes('lQOYBFAKE1'), 'both key bodies are gone');
  assert.ok(r.text.includes('MIIBFAKEcert'), 'a certificate is public and stays');
  const cut = 'x -----BEGIN PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nMIIEFAKE\nINFO next line';
  assert.equal(redactText(cut).text, `x -----BEGIN PRIVATE KEY-----\n${REDACTED}\nINFO next line`);
});

test('URLs without secrets stay byte-identical', () => {
  for (const u of ['http://[::1]:8080/metrics', 'https://h/p?a=1&b=&c', 'file:///tmp/x', 'http://user@h/', '']) assert.equal(redactText(u).text, u);
  assert.equal(redactText('https://u:@h/').text, 'https://u:@h/', 'an empty password is not a secret');
});

// ---------------------------------------------------------------------------------------------
// A functional guard against catastrophic backtracking, not a benchmark: a pattern that
// backtracks takes seconds to minutes on these inputs, a linear one milliseconds. The bounds are
// loose so that a slow CI machine never fails them; the best of three runs is taken so that a GC
// pause or the first JIT compilation does not either.

function bestOf3(f: () => void): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    f();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const MB = 1024 * 1024;
const fill = (unit: string) => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);

test('1 MB of mixed evidence text is redacted in under 200 ms', () => {
  const pieces = corpus.map((c) => (c.kind === 'argv' ? c.input.join(' ') : flat(c.input)));
  const unit = pieces.join('\n') + '\n';
  const text = fill(unit);
  let out = '';
  const ms = bestOf3(() => {
    out = redactText(text).text;
  });
  assert.ok(out.length > 0 && markers(out) > 0, 'the text was redacted');
  assert.ok(ms < 200, `1 MB mixed text took ${ms.toFixed(1)} ms (guard: 200 ms)`);
});

test('1 MB adversarial inputs stay linear (each under 1 s)', () => {
  const adversarial: Array<[string, string]> = [
    ['one long word', fill('a')],
    ['one long base64 run', fill('Zm9vYmFy+/')],
    ['spaces', fill(' ')],
    ['dashes', fill('-')],
    ['dashed words', fill('a-')],
    ['dotted name', fill('a.')],
    ['repeated secret flag without value', fill('--token ')],
    ['repeated flag-looking list', fill('"--api-key", ')],
    ['repeated assignments', fill('a=')],
    ['repeated secret assignments', fill('token=')],
    ['unclosed quotes', fill('password: "')],
    ['escaped quotes', fill('token="\\')],
    ['repeated schemes', fill('http://a:b')],
    ['userinfo without @', fill('x://u:')],
    ['query separators', fill('?token=&')],
    ['key headers without END', fill('-----BEGIN PRIVATE KEY-----')],
    ['BEGIN that is not a key', fill('-----BEGIN ')],
    ['token prefixes', fill('sk-')],
    ['hf prefixes', fill('hf_')],
    ['jwt-ish', fill('eyJ.')],
    ['authorization headers', fill('Authorization: ')],
    ['bearer words', fill('Bearer ')],
    ['yaml keys', fill('password:\n')],
    ['yaml list flags', fill('- --token\n')],
    ['newlines', fill('\n')],
    ['camel name', fill('aB')],
  ];
  for (const [name, text] of adversarial) {
    const ms = bestOf3(() => redactText(text));
    assert.ok(ms < 1000, `${name}: ${ms.toFixed(1)} ms for 1 MB (guard: 1000 ms)`);
  }
  for (const [name, el] of [['whole-value URL without @', `--db-url=http://u:${fill('p')}`], ['whole-value URL, @ after a slash', `x=http://u:${fill('p/@')}`], ['assignment prefix without ://', fill('a=')]] as const) {
    const ms = bestOf3(() => redactArgv(['x', el]));
    assert.ok(ms < 1000, `argv element: ${name}: ${ms.toFixed(1)} ms for 1 MB (guard: 1000 ms)`);
  }
  const argv = Array.from({ length: 20000 }, (_, i) => (i % 2 === 0 ? '--token' : `value-${i}`));
  const ms = bestOf3(() => redactArgv(argv));
  assert.ok(ms < 1000, `20k-element argv: ${ms.toFixed(1)} ms (guard: 1000 ms)`);
});
