// The evidence bundle, JSON and Markdown, made by the CLI (`rerun-doctor evidence --from FILE`,
// the path every bundle takes: read, shareable(), render) from a document full of secrets that
// JSON must escape: quotes, backslashes, line breaks, control characters, Unicode. Each bundle
// must parse (JSON.parse; the Markdown's embedded document through parseEvidence), and no secret
// may survive in it, whole, escaped or in part. Redacting the serialised text instead of the
// values (what `evidence` once did) fails here: a `\"` inside a value is taken for its end, the
// rest of the secret leaks, and the text is no longer JSON.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseEvidence } from '../../src/evidence/replay.js';
import type { Evidence } from '../../src/model/evidence.js';
import type { MetricsSample } from '../../src/model/metrics-sample.js';
import { INIT, listen, proc, SERVER, SHELL, SPAWN } from '../helpers/builders.js';
import { evidenceOf } from '../helpers/evidence.js';
import { runCli } from '../helpers/live.js';

const dir = mkdtempSync(join(tmpdir(), 'rd-bundle-redact-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A fake secret: two halves, each with a marker found nowhere else (`Zq07FAKEhead`), around
 * characters that need escaping. A leak of either half is a leak.
 */
interface Secret {
  value: string;
  halves: [string, string];
  where: string;
}
const secrets: Secret[] = [];
function secret(where: string, middle: string): string {
  const i = String(secrets.length).padStart(2, '0');
  const halves: [string, string] = [`Zq${i}FAKEhead`, `Zq${i}FAKEtail`];
  const value = `${halves[0]}${middle}${halves[1]}`;
  secrets.push({ value, halves, where });
  return value;
}

// Characters JSON escapes (or that a text rule might take for the end of a value).
const ANY = ['"', '\\', '\n', '\\"', '"\\n\\', '\u0001\t', 'é€😀', "'\"", ' "quoted" ', '\r\n'];
// A URL's password: neither `/`, `?`, `#`, `@` nor a line break (RFC 3986 ends the authority there).
const IN_URL = ['"', '\\', 'é€😀', '"\\"', "'<>", ' sp ace '];

/** A Prometheus label value as the exposition format writes it (`\\`, `\"`, `\n`). */
const exposition = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

// argv: secret flags (the value attached or in the next element), env(1)-style assignments, URLs.
const argv = [
  ...SERVER,
  `--api-key=${secret('argv --api-key=', ANY[0]!)}`,
  '--token', secret('argv --token', ANY[1]!),
  `HF_TOKEN=${secret('argv HF_TOKEN=', ANY[2]!)}`,
  '--db-pass', secret('argv --db-pass', ANY[3]!),
  `--openai_key=${secret('argv --openai_key=', ANY[4]!)}`,
  '--wandb-key', secret('argv --wandb-key', ANY[5]!),
  '--client-secret', secret('argv --client-secret', ANY[6]!),
  `postgres://mlflow:${secret('argv URL password', IN_URL[0]!)}@db:5432/runs`,
  `--db-url=redis://:${secret('argv --db-url= URL password', IN_URL[1]!)}@cache:6379/0`,
  `--extra-index-url=https://pypi-user:${secret('argv pip URL password', IN_URL[2]!)}@pypi.example.com/simple`,
  '--port', '50051',
];
// The environment as a document holds it (a saved document may hold any key).
const env = {
  PWD: '/srv/app',
  HF_TOKEN: secret('env HF_TOKEN', ANY[7]!),
  OPENAI_API_KEY: secret('env OPENAI_API_KEY', ANY[8]!),
  DATABASE_URL: `postgresql://ml:${secret('env DATABASE_URL password', IN_URL[3]!)}@db/runs`,
};
// Ten metric label secrets, under ten label names.
const labelNames = ['api_key', 'token', 'password', 'secret', 'hf_token', 'openai_key', 'db_pass', 'x_api_key', 'access_token', 'client_secret'];
const labels = labelNames.map((name, i) => ({ name, value: secret(`metrics label ${name}`, ANY[i]!) }));
const head = [
  '# HELP requests_total Requests served.',
  '# TYPE requests_total counter',
  ...labels.map((l, i) => `requests_total{${l.name}="${exposition(l.value)}",model="gpt2"} ${i + 1}`),
].join('\n');
const series = labels.map((l, i) => ({ family: 'requests_total', type: 'counter' as const, labels: { [l.name]: l.value, model: 'gpt2' }, unit: null, value: i + 1 }));
const metricsUrl = `http://scraper:${secret('metrics URL password', IN_URL[4]!)}@127.0.0.1:8080/metrics`;
const sample: MetricsSample = { ok: true, t: '2026-11-26T10:59:58.000Z', url: metricsUrl, scrapeMs: 3, bytes: head.length, seconds: null, resets: [], keys: [], series };

const T = { sid: 900 };
const server = proc(2000, 900, argv, { ...T, pgid: 2000, start: 600, cwd: '/srv/app', env });
const worker = proc(2001, 2000, SPAWN, { ...T, pgid: 2000, start: 600.2, env: { PWD: '/srv/app', WANDB_API_KEY: secret('worker env WANDB_API_KEY', ANY[9]!) } });
const document: Evidence = evidenceOf([INIT, SHELL, server, worker], [listen(50051, 9, [2000])], {
  metrics: { status: 'ok', value: { url: metricsUrl, samples: [sample], head }, issues: [], source: `GET ${metricsUrl}` },
});
const saved = join(dir, 'unredacted.json');
writeFileSync(saved, JSON.stringify(document, null, 2));

/** Every form a secret could take in the output: itself, JSON-escaped, as the exposition format writes it, either half. */
function leaks(out: string): string[] {
  const found: string[] = [];
  for (const s of secrets) {
    const forms = [s.value, JSON.stringify(s.value).slice(1, -1), exposition(s.value), ...s.halves];
    if (forms.some((f) => out.includes(f))) found.push(`${s.where}: ${JSON.stringify(s.value)}`);
  }
  return found;
}

test('the unredacted document holds every secret (the test would see a leak)', () => {
  const text = readFileSync(saved, 'utf8');
  assert.ok(secrets.length >= 25, `${secrets.length} secrets`);
  assert.equal(leaks(text).length, secrets.length, 'each secret is in the input, so its absence from the output means something');
});

test('evidence --json from a document full of escaped secrets: valid JSON, no secret in it, the document replays', async () => {
  const r = await runCli(['evidence', '--from', saved, '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const bundle = JSON.parse(r.stdout) as { kind: string; evidence: Evidence; diagnosis: unknown };
  assert.equal(bundle.kind, 'rerun-doctor-bundle');
  assert.deepEqual(leaks(r.stdout), [], 'no secret survives in the JSON bundle');
  const e = parseEvidence(r.stdout, 'bundle.json');
  assert.ok(e.redacted !== null && e.redacted.values >= secrets.length, `it says how many values were redacted: ${JSON.stringify(e.redacted)}`);
  // What is not a secret stays: the shape, the user of each URL, the label beside the secret.
  const p = e.snapshot.processes.find((x) => x.pid === 2000)!;
  assert.equal(p.argv.length, argv.length, 'argv keeps its elements');
  assert.ok(p.argv.includes('postgres://mlflow:[REDACTED]@db:5432/runs'), p.argv.join(' '));
  assert.ok(p.argv.includes('--db-url=redis://:[REDACTED]@cache:6379/0'), p.argv.join(' '));
  assert.deepEqual(p.env, { PWD: '/srv/app', HF_TOKEN: '[REDACTED]', OPENAI_API_KEY: '[REDACTED]', DATABASE_URL: 'postgresql://ml:[REDACTED]@db/runs' });
  assert.ok(e.metrics.status === 'ok', 'the metrics stay ok');
  assert.equal(e.metrics.value.url, 'http://scraper:[REDACTED]@127.0.0.1:8080/metrics');
  const s = e.metrics.value.samples[0]!;
  assert.ok(s.ok, 'the sample stays a good one');
  assert.deepEqual(s.series.map((x) => x.labels), labelNames.map((name) => ({ [name]: '[REDACTED]', model: 'gpt2' })), 'a label under a secret name loses its value, whole');
  assert.deepEqual(e.metrics.value.head!.split('\n').slice(2), labelNames.map((name, i) => `requests_total{${name}="[REDACTED]",model="gpt2"} ${i + 1}`));
  assert.deepEqual(e.settings, document.settings, 'the settings are left as they are');
});

test('the Markdown bundle: its embedded document parses, no secret anywhere in the file, and it replays', async () => {
  const out = join(dir, 'bundle.md');
  const r = await runCli(['evidence', '--from', saved, '--out', out], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /evidence written to .*bundle\.md \((\d+) values redacted\)/);
  const md = readFileSync(out, 'utf8');
  assert.deepEqual(leaks(md), [], 'no secret survives in the Markdown bundle');
  assert.deepEqual(leaks(r.stderr), []);
  const e = parseEvidence(md, out);
  const json = await runCli(['evidence', '--from', saved, '--json'], { cwd: dir });
  assert.deepEqual(e, (JSON.parse(json.stdout) as { evidence: Evidence }).evidence, 'the Markdown embeds the same redacted document as --json');
  // The people's part of the bundle (ps lines, trees, port holders, the metrics head) shows the markers.
  assert.match(md, /--api-key=\[REDACTED\] --token \[REDACTED\] HF_TOKEN=\[REDACTED\] --db-pass \[REDACTED\]/);
  assert.match(md, /requests_total\{api_key="\[REDACTED\]",model="gpt2"\} 1/);
  // Redacting a bundle again changes nothing: what it holds is redacted already.
  const again = await runCli(['evidence', '--from', out, '--json'], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  const twice = JSON.parse(again.stdout) as { evidence: Evidence };
  assert.equal(twice.evidence.redacted?.values, 0, 'nothing left to redact');
  assert.deepEqual({ ...twice.evidence, redacted: null }, { ...e, redacted: null });
});
