// The report's inputs are told apart by content: every kind the docs list, from the captured
// sample run (test/fixtures/report/SOURCE.md) and the evidence goldens, and one line naming the
// file for anything else.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { UsageError } from '../../src/model/errors.js';
import { readReportInputs } from '../../src/report/inputs.js';
import { renderEvidenceBundle } from '../../src/render/evidence-bundle.js';
import { fixture } from '../helpers/paths.js';

const text = (...p: string[]) => readFileSync(fixture(...p), 'utf8');
const kinds = (t: string, name = 'f') => readReportInputs(t, name).map((i) => i.kind);

test('each captured input is read as its kind', () => {
  assert.deepEqual(kinds(text('report', 'evidence.json')), ['evidence']);
  assert.deepEqual(kinds(text('report', 'rerun.json')), ['rerun']);
  assert.deepEqual(kinds(text('report', 'watch-procs.ndjson')), ['watch-procs']);
  assert.deepEqual(kinds(text('report', 'watch-metrics.ndjson')), ['watch-metrics']);
  assert.deepEqual(kinds(text('report', 'count-history.ndjson')), ['count-history']);
  const procs = readReportInputs(text('report', 'watch-procs.ndjson'), 'p')[0]!;
  assert.ok(procs.kind === 'watch-procs' && procs.samples.length >= 10 && procs.intervalMs === 1000, 'samples and interval read');
});

test('evidence --json (the document with its diagnosis) and diagnose --json', () => {
  const evidence = JSON.parse(text('evidence', 'killed-main', 'evidence.json'));
  const diagnosis = JSON.parse(text('evidence', 'killed-main', 'diagnosis.json'));
  const [bundle] = readReportInputs(JSON.stringify({ schemaVersion: 2, kind: 'rerun-doctor-bundle', diagnosis, evidence }), 'b.json');
  assert.ok(bundle?.kind === 'evidence' && bundle.diagnosis?.verdict === diagnosis.verdict, 'the bundle keeps its diagnosis');
  assert.deepEqual(kinds(JSON.stringify(diagnosis)), ['diagnosis']);
});

test('the Markdown evidence bundle is evidence', () => {
  const evidence = JSON.parse(text('evidence', 'killed-main', 'evidence.json'));
  const diagnosis = JSON.parse(text('evidence', 'killed-main', 'diagnosis.json'));
  const md = renderEvidenceBundle({ evidence, diagnosis, census: { processes: [], generations: [], snapshot: evidence.snapshot, projectRoot: null } as never, ports: [], kept: { processes: 1, of: 1 }, now: new Date(evidence.collectedAt) });
  assert.deepEqual(kinds(md, 'bundle.md'), ['evidence']);
});

test('rerun --record, check --json and count history --json', () => {
  const rerun = JSON.parse(text('report', 'rerun.json'));
  const record = [JSON.stringify({ type: 'header', schemaVersion: 1, kind: 'rerun', command: rerun.command, runs: 3 }), ...rerun.runs.map((r: object, i: number) => JSON.stringify({ type: 'run', run: i + 1, ...r }))].join('\n') + '\n';
  const [rec] = readReportInputs(record, 'reruns.ndjson');
  assert.ok(rec?.kind === 'rerun' && rec.runs.length === 3 && rec.command.join(' ') === rerun.command.join(' '), 'three runs and the command');
  const [check] = readReportInputs(JSON.stringify({ schemaVersion: 1, command: rerun.command, ...rerun.runs[0] }), 'check.json');
  assert.ok(check?.kind === 'rerun' && check.runs.length === 1, 'check --json is one run');
  const entries = text('report', 'count-history.ndjson').trim().split('\n').map((l) => JSON.parse(l));
  const [h] = readReportInputs(JSON.stringify({ schemaVersion: 1, root: '/p', file: '/s/history.ndjson', entries, trend: {}, badLines: [], skipped: [] }), 'h.json');
  assert.ok(h?.kind === 'count-history' && h.entries.length === entries.length, 'the entries');
});

test('a file holding two recordings (watch procs, then watch metrics appended) is two inputs; a cut-off last line is dropped', () => {
  const both = text('report', 'watch-procs.ndjson') + text('report', 'watch-metrics.ndjson') + '{"type":"metrics","ok":tr';
  assert.deepEqual(kinds(both), ['watch-procs', 'watch-metrics']);
});

test('anything else is one UsageError naming the file', () => {
  const err = (t: string, name: string, re: RegExp) =>
    assert.throws(
      () => readReportInputs(t, name),
      (e: unknown) => e instanceof UsageError && re.test(e.message) && !e.message.includes('\n'),
    );
  err(readFileSync(fixture('..', '..', 'package.json'), 'utf8'), 'package.json', /^package\.json: not a report input: expected an evidence document/);
  err('hello world\n', 'notes.txt', /^notes\.txt: not a report input/);
  err('', 'empty.json', /^empty\.json: is empty/);
  err('[1, 2, 3]', 'list.json', /^list\.json: not a report input/);
  const lines = text('report', 'watch-procs.ndjson').split('\n');
  lines.splice(3, 0, 'not json');
  err(lines.join('\n'), 'w.ndjson', /^w\.ndjson: line 4: not valid JSON/);
  err('{"type":"header","kind":"gpu"}\n', 'g.ndjson', /^g\.ndjson: line 1: a header of kind "gpu"/);
  err('{"type":"procs","ok":true,"t":"2026-01-01T00:00:00Z"}\n', 'p.ndjson', /^p\.ndjson: line 1: a procs record must hold counts/);
  err(JSON.stringify({ kind: 'rerun-doctor-evidence', schemaVersion: 99 }), 'new.json', /^new\.json: schemaVersion is 99/);
});
