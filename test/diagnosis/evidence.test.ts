// diagnose(evidence): a document, its replay from text, the config's rule levels and options, and
// the trim and redaction of a shareable copy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import { parseEvidence } from '../../src/evidence/replay.js';
import { shareable } from '../../src/evidence/share.js';
import { ConfigError } from '../../src/config/config.js';
import { EMBED_MARKER } from '../../src/model/evidence.js';
import { UsageError } from '../../src/model/errors.js';
import { resolveRuleSettings } from '../../src/rules/settings.js';
import { INIT, listen, proc, PY, SERVER, SHELL, SPAWN, TRACKER } from '../helpers/builders.js';
import { evidenceOf } from '../helpers/evidence.js';

const T = { sid: 900 };
const live = [INIT, SHELL, proc(2000, 900, SERVER, { ...T, pgid: 2000, start: 600 }), proc(2001, 2000, TRACKER, { ...T, pgid: 2000, start: 600.1 }), proc(2002, 2000, SPAWN, { ...T, pgid: 2000, start: 600.2 })];
const orphans = [proc(1001, 1, TRACKER, { ...T, pgid: 1000, start: 1 }), proc(1002, 1, SPAWN, { ...T, pgid: 1000, start: 1.1 }), proc(1003, 1, SPAWN, { ...T, pgid: 1000, start: 1.2 })];
const zombie = proc(2009, 2000, [], { pgid: 2000, state: 'Z', zombie: true, comm: 'python3', start: 601 });

test('diagnose(evidence): orphans found, and what was not read is "unavailable", never healthy', () => {
  const d = diagnose(evidenceOf([...live, ...orphans], [listen(50051, 9, [1002])]));
  assert.equal(d.status, 'problems');
  assert.equal(d.findings[0]!.id, 'orphan-workers');
  assert.equal(d.findings[0]!.messageId, 'left');
  assert.deepEqual(d.findings[0]!.data, { what: '2 orphaned workers and 1 helper', run: 1, holding: ', still holding :50051' });
  const healthy = diagnose(evidenceOf(live));
  assert.equal(healthy.status, 'no-problems-partial');
  assert.ok(healthy.skipped.every((s) => s.because === 'unavailable'), JSON.stringify(healthy.skipped));
  // The synthetic rows carry no thread counts (as a document from before they were read): not judged.
  assert.match(healthy.verdict, /\(GPU unavailable, shared memory unavailable, memory unavailable, thermal unavailable, metrics unavailable, threads unavailable, multiprocess directory unavailable\)$/);
});

test('failed evidence is told from unavailable evidence, into the verdict', () => {
  const d = diagnose(evidenceOf(live, [], { gpu: { status: 'failed', reason: 'nvidia-smi exited 9: driver mismatch', source: 'nvidia-smi' } }));
  const gpu = d.skipped.find((s) => s.id === 'gpu-memory-held')!;
  assert.equal(gpu.because, 'failed');
  assert.match(gpu.reason, /^GPU: nvidia-smi exited 9/);
  assert.match(d.verdict, /GPU failed/);
});

test('a document whose process list could not be read is an error naming the document, not "no problem"', () => {
  const e = evidenceOf(live);
  e.snapshot.probes = [{ probe: 'processes.linux', status: 'failed', source: '/proc', message: 'permission denied' }];
  assert.throws(() => diagnose(e, { where: 'bug.json' }), (err: Error) => err instanceof UsageError && /^bug\.json: cannot list processes \(\/proc\): permission denied$/.test(err.message));
});

test('the config turns rules off, changes their level and their options', () => {
  const e = evidenceOf([...live, zombie]);
  assert.equal(diagnose(e).findings.find((f) => f.id === 'zombies')!.severity, 'warning');
  const asError = diagnose(e, { rules: resolveRuleSettings({ zombies: { severity: 'error' } }, 'rerun-doctor.json') });
  assert.equal(asError.findings.find((f) => f.id === 'zombies')!.severity, 'error');
  const off = diagnose(e, { rules: resolveRuleSettings({ zombies: { severity: 'off' } }, 'rerun-doctor.json') });
  assert.ok(!off.findings.some((f) => f.id === 'zombies'), 'an off rule finds nothing');
  assert.deepEqual(off.off, ['zombies']);
  assert.doesNotMatch(off.verdict, /healthy/, 'a rule turned off is said, never "healthy"');
  assert.match(off.verdict, /turned off in the config: zombies/);
  // process-leak needs 2 dead runs by default; 1 with the option.
  const oneRun = evidenceOf([...live, ...orphans]);
  assert.ok(!diagnose(oneRun).findings.some((f) => f.id === 'process-leak'), 'one dead run is not a leak by default');
  const leak = diagnose(oneRun, { rules: resolveRuleSettings({ 'process-leak': { options: { 'orphaned-runs': 1 } } }, 'rerun-doctor.json') });
  assert.ok(leak.findings.some((f) => f.id === 'process-leak'), 'orphaned-runs = 1 makes one dead run a leak');
});

test('rule settings: a bad id, level, option name or value is one line naming the file and key', () => {
  const bad = (raw: Parameters<typeof resolveRuleSettings>[0], re: RegExp) =>
    assert.throws(() => resolveRuleSettings(raw, 'pyproject.toml', '[tool.rerun-doctor] '), (e: Error) => e instanceof ConfigError && re.test(e.message) && !e.message.includes('\n'), re.source);
  bad({ zombie: { severity: 'off' } }, /^pyproject\.toml: \[tool\.rerun-doctor\] "rules\.zombie" is not a rule \(did you mean "zombies"\?\); the rules are orphan-server, /);
  bad({ zombies: { severity: 'fatal' as never } }, /"rules\.zombies\.severity" must be one of off, info, warning, error, got "fatal"/);
  bad({ zombies: { options: { limit: 3 } } }, /"rules\.zombies\.options\.limit" is not an option: this rule takes none/);
  bad({ 'tokenizer-bottleneck': { options: { 'spike-factr': 4 } } }, /"rules\.tokenizer-bottleneck\.options\.spike-factr" is not an option of tokenizer-bottleneck \(did you mean "spike-factor"\?\); its options are spike-factor, share/);
  bad({ 'tokenizer-bottleneck': { options: { 'spike-factor': 0.5 } } }, /"rules\.tokenizer-bottleneck\.options\.spike-factor" must be > 1, got 0\.5/);
  bad({ 'process-leak': { options: { orphanedRuns: 1.5 } } }, /"rules\.process-leak\.options\.orphaned-runs" must be an integer, got 1\.5/);
  bad({ 'thermal-throttling': { options: { 'freq-ratio': 'low' } } }, /"rules\.thermal-throttling\.options\.freq-ratio" must be a number, got "low"/);
  assert.deepEqual(resolveRuleSettings({ 'tokenizer-bottleneck': { options: { spikeFactor: 4 } } }, 'x'), { 'tokenizer-bottleneck': { level: null, options: { spikeFactor: 4 } } }, 'camelCase is accepted too');
});

test('a document replays from its JSON and from a Markdown bundle; a wrong file is one clear line', () => {
  const e = evidenceOf([...live, ...orphans]);
  const json = JSON.stringify(e);
  assert.deepEqual(diagnose(parseEvidence(json, 'e.json')), diagnose(e));
  const md = `# bundle\n\ntext\n\n${EMBED_MARKER}\n\n\`\`\`json\n${JSON.stringify(e, null, 1)}\n\`\`\`\n`;
  assert.deepEqual(diagnose(parseEvidence(md, 'b.md')), diagnose(e));
  assert.deepEqual(diagnose(parseEvidence(JSON.stringify({ schemaVersion: 2, kind: 'rerun-doctor-bundle', evidence: e }), 'b.json')), diagnose(e), 'evidence --json wraps it');
  // A metrics head (or an argv) earlier in the bundle that quotes the marker and a JSON block is
  // never taken for the document: the last marker line is.
  const decoy = JSON.stringify({ ...evidenceOf(live), collectedAt: '2001-01-01T00:00:00.000Z' });
  const quoted = `# bundle\n\n\`\`\`\n${EMBED_MARKER}\n\n\`\`\`json\n${decoy}\n\`\`\`\n\`\`\`\n\n${EMBED_MARKER}\n\n\`\`\`json\n${JSON.stringify(e, null, 1)}\n\`\`\`\n`;
  assert.notEqual(e.collectedAt, '2001-01-01T00:00:00.000Z', 'the decoy differs');
  assert.equal(parseEvidence(quoted, 'q.md').collectedAt, e.collectedAt, 'the last marker line is the document');
  assert.equal(parseEvidence(quoted.replace(/\n/g, '\r\n'), 'q.md').collectedAt, e.collectedAt, 'CRLF line ends too');
  const err = (text: string, re: RegExp) => assert.throws(() => parseEvidence(text, 'f'), (x: Error) => x instanceof UsageError && re.test(x.message), re.source);
  err('# just notes', /^f: not an evidence file: expected the JSON of `rerun-doctor evidence --json`/);
  err('{"kind": "rerun', /^f: not valid JSON/);
  err('{"kind": "something-else"}', /^f: kind is not "rerun-doctor-evidence"/);
  err(JSON.stringify({ ...e, schemaVersion: 9 }), /^f: schemaVersion is 9; this rerun-doctor reads version 1 \(the file is from a newer rerun-doctor: upgrade to replay it\)/);
  err(JSON.stringify({ ...e, gpu: { status: 'maybe' } }), /^f: gpu\.status must be "ok", "unavailable" or "failed"/);
  const badPattern = parseEvidence(JSON.stringify({ ...e, settings: { ...e.settings, census: { ...e.settings.census, serverPattern: '(' } } }), 'f');
  assert.throws(() => diagnose(badPattern, { where: 'f' }), (x: Error) => x instanceof UsageError && /^f: settings\.census\.serverPattern "\(" is not a valid regular expression/.test(x.message));
});

test('a shareable copy: secrets redacted, only what the diagnosis reads, and the same diagnosis', () => {
  const secret = 'hf_abcdefghijklmnopqrstuvwxyzABCDEF12';
  const bystanders = Array.from({ length: 30 }, (_, i) => proc(5000 + i, 900, ['/usr/bin/vim', `notes-${i}.txt`], { ...T, pgid: 5000 + i, start: 50 + i }));
  const server = proc(2000, 900, [...SERVER, `--api-key=${secret}`], { ...T, pgid: 2000, start: 600 });
  const e = evidenceOf([INIT, SHELL, server, ...live.slice(3), ...orphans, ...bystanders, proc(7000, 1, [PY, 'other.py'], { start: 10 })], [listen(50051, 9, [1002])]);
  const s = shareable(e);
  assert.ok(!JSON.stringify(s.evidence).includes(secret), 'the secret is gone');
  assert.ok(s.redactions >= 1 && s.evidence.redacted?.values === s.redactions, 'it says how many values');
  assert.ok(!s.evidence.snapshot.processes.some((p) => p.argv[0] === '/usr/bin/vim'), "bystanders are not in it");
  assert.equal(s.kept.of, e.snapshot.processes.length);
  assert.ok(s.kept.processes < s.kept.of, 'fewer processes kept');
  const strip = (d: ReturnType<typeof diagnose>) => JSON.stringify(d).replaceAll(secret, '[REDACTED]').replace(/--api-key=\[REDACTED\]/g, '--api-key=[REDACTED]');
  assert.equal(JSON.stringify(diagnose(s.evidence)), strip(diagnose(e)), 'the shared copy gives the same diagnosis (up to the redacted text)');
  assert.deepEqual(s.evidence.settings, e.settings, 'the settings are left as they are');
});
