// `report`, `diagnose --format html` and `watch --record F` then `report F`, through the built CLI:
// a page written (never over a file without --force), and a wrong input is one line naming it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../helpers/live.js';
import { fixture } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'rd-report-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const oneLine = (r: { code: number; stdout: string; stderr: string }, re: RegExp) => {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, re);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
};

test('a file that is no report input, a missing file, a directory, no file: one line each, exit 2', async () => {
  const notes = join(dir, 'notes.txt');
  writeFileSync(notes, 'hello\n');
  oneLine(await runCli(['report', notes]), /^rerun-doctor: .*notes\.txt: not a report input: expected an evidence document/);
  oneLine(await runCli(['report', fixture('report', 'rerun.json'), join(dir, 'nosuch.json')]), /nosuch\.json": no such file/);
  oneLine(await runCli(['report', dir]), /is a directory, not a report input/);
  oneLine(await runCli(['report']), /report: expected one or more FILEs/);
});

test('report --out writes the page and never overwrites without --force', async () => {
  const out = join(dir, 'r.html');
  let r = await runCli(['report', fixture('report', 'evidence.json'), '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(readFileSync(out, 'utf8'), /^<!DOCTYPE html>[\s\S]*data-finding="orphan-workers"/);
  r = await runCli(['report', fixture('report', 'evidence.json'), '--out', out]);
  oneLine(r, /--out ".*r\.html" exists: pass --force to overwrite it/);
  r = await runCli(['report', fixture('report', 'count-history.ndjson'), '--out', out, '--force']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(readFileSync(out, 'utf8'), /count history/);
});

test('diagnose --from FILE --format html, to stdout and to --out', async () => {
  const r = await runCli(['diagnose', '--from', fixture('report', 'evidence.json'), '--format', 'html']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^<!DOCTYPE html>[\s\S]*<title>rerun-doctor diagnosis<\/title>[\s\S]*data-finding="orphan-workers"/);
  const out = join(dir, 'd.html');
  const w = await runCli(['diagnose', '--from', fixture('report', 'evidence.json'), '--format', 'html', '--out', out]);
  assert.equal(w.stdout, '');
  assert.match(w.stderr, /diagnosis written to .*d\.html; verdict: 1 problem/);
  // The same page as on stdout, but for when it was made.
  const made = (t: string) => t.replace(/Made \S+ by/, 'Made (time) by');
  assert.equal(made(readFileSync(out, 'utf8')), made(r.stdout));
  oneLine(await runCli(['diagnose', '--from', fixture('report', 'evidence.json'), '--format', 'html', '--out', out]), /--out ".*d\.html" exists/);
});

test('watch procs --record F, then report F: the recording charted', async () => {
  const rec = join(dir, 'procs.ndjson');
  const w = await runCli(['watch', 'procs', '--count', '3', '--interval', '200ms', '--record', rec]);
  assert.equal(w.code, 0, w.stderr);
  const r = await runCli(['report', rec]);
  assert.equal(r.code, 0, r.stderr);
  for (const kind of ['procs-by-role', 'orphans', 'cpu-by-role', 'rss-by-role']) assert.match(r.stdout, new RegExp(`data-chart-kind="${kind}"`), kind);
  assert.match(r.stdout, /<td>watch procs recording<\/td>/);
});
