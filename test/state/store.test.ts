// The state directory's records read back (src/state/records.ts, store.ts) and the file writer
// underneath (src/host/files.ts), on real files: every field a reader uses is checked, invalid
// history lines are skipped with what is wrong, a wrong before.json is one StateError naming the
// file; writes are atomic (temp + rename, or link when nothing may be replaced), 0600, and never
// go through a symlink or into a non-regular file. (FIFOs, which would block this process, are
// tested through the CLI with a timeout: test/cli/files.test.ts.)
import assert from 'node:assert/strict';
import { closeSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { trend } from '../../src/census/count.js';
import { checkWritable, FileProblem, openAppend, readRegularFile, writeFileAtomic } from '../../src/host/files.js';
import type { HistoryEntry, SavedCensus } from '../../src/model/count.js';
import { historyEntryProblem, savedCensusProblem } from '../../src/state/records.js';
import { appendNdjson, readJsonFile, readNdjson, skippedNote, StateError, writeJsonFile } from '../../src/state/store.js';

const dir = mkdtempSync(join(tmpdir(), 'rd-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const sub = (name: string) => {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  return d;
};
const mode = (p: string) => statSync(p).mode & 0o777;

const entry = (total: number, kind: 'before' | 'after' = 'after'): HistoryEntry => ({
  schemaVersion: 1,
  kind,
  takenAt: '2026-01-01T00:00:00.000Z',
  summary: { total, byRole: { server: 1, worker: total - 1, helper: 0 }, orphans: 0, zombies: 0, runs: 1, liveServers: 1 },
  expected: null,
  unexplained: 0,
});
const census = (): SavedCensus => ({
  schemaVersion: 1,
  kind: 'before',
  takenAt: '2026-01-01T00:00:00.000Z',
  root: '/srv/app',
  processes: [{ pid: 10, startKey: 123, startTime: '2026-01-01T00:00:00.000Z', role: 'server', kind: 'server', orphan: false, generation: 1, argv: ['python3', '-m', 'src.main'] }],
});

/** `at` (a.b[0].c) set to `v`, or deleted when v is undefined, in a copy of `o`. */
function mutate<T>(o: T, at: string, v: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(o)) as Record<string, unknown>;
  const keys = at.replace(/\[(\d+)\]/g, '.$1').split('.');
  let cur = copy as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
  if (v === undefined) delete cur[keys[keys.length - 1]!];
  else cur[keys[keys.length - 1]!] = v;
  return copy;
}

test('a history entry: valid as written; each field a reader uses, missing or of the wrong type, is named', () => {
  assert.equal(historyEntryProblem(entry(3)), null);
  assert.equal(historyEntryProblem({ ...entry(3), expected: 4, unexplained: null }), null);
  const fields = ['schemaVersion', 'kind', 'takenAt', 'summary', 'summary.total', 'summary.byRole', 'summary.byRole.server', 'summary.byRole.worker', 'summary.byRole.helper', 'summary.orphans', 'summary.zombies', 'summary.runs', 'summary.liveServers', 'expected', 'unexplained'];
  for (const f of fields) {
    assert.match(historyEntryProblem(mutate(entry(3), f, undefined)) ?? 'valid', new RegExp(`^${f.replace(/\./g, '\\.')} is missing`), `${f} missing`);
    assert.notEqual(historyEntryProblem(mutate(entry(3), f, 'x')), null, `${f} a string`);
  }
  assert.match(historyEntryProblem(mutate(entry(3), 'summary.total', -1))!, /summary\.total must be a count \(an integer ≥ 0\), got -1/);
  assert.match(historyEntryProblem(mutate(entry(3), 'takenAt', 'yesterday'))!, /takenAt must be a time/);
  assert.match(historyEntryProblem({ ...entry(3), schemaVersion: 2 })!, /schemaVersion 2 is not one this version of rerun-doctor reads \(1\)/);
  for (const v of [null, [], 3, 'x', true]) assert.match(historyEntryProblem(v)!, /is not a count \(a JSON object\)/);
});

test('a saved census: valid as written; each field a reader uses is checked, down to every process', () => {
  assert.equal(savedCensusProblem(census()), null);
  const fields = ['schemaVersion', 'kind', 'takenAt', 'root', 'processes', 'processes[0].pid', 'processes[0].startKey', 'processes[0].startTime', 'processes[0].role', 'processes[0].kind', 'processes[0].orphan', 'processes[0].generation', 'processes[0].argv'];
  for (const f of fields) {
    const esc = f.replace(/[.[\]]/g, (c) => `\\${c}`);
    assert.match(savedCensusProblem(mutate(census(), f, undefined)) ?? 'valid', new RegExp(`^${esc} is missing`), `${f} missing`);
    assert.notEqual(savedCensusProblem(mutate(census(), f, { x: 1 })), null, `${f} an object`);
  }
  assert.equal(savedCensusProblem(mutate(census(), 'processes[0].kind', null)), null, 'kind may be null');
  assert.equal(savedCensusProblem(mutate(census(), 'processes[0].generation', null)), null, 'generation may be null');
  assert.match(savedCensusProblem(mutate(census(), 'processes[0].argv', ['python3', 3]))!, /processes\[0\]\.argv must be an array of strings/);
  assert.match(savedCensusProblem(mutate(census(), 'processes', [null]))!, /processes\[0\] must be a process \(an object\), got null/);
  assert.match(savedCensusProblem(null)!, /^null is not a saved census/);
});

test('readNdjson skips every invalid line with what is wrong; what it returns is safe to judge (no TypeError in trend)', () => {
  const f = join(sub('ndjson'), 'history.ndjson');
  writeFileSync(f, [JSON.stringify(entry(2)), 'null', '', '{"kind":"after"}', '{oops', JSON.stringify(entry(3)), JSON.stringify(mutate(entry(9), 'summary.byRole', undefined)), JSON.stringify(entry(4))].join('\n') + '\n');
  const r = readNdjson<HistoryEntry>(f, historyEntryProblem);
  assert.deepEqual(r.entries.map((e) => e.summary.total), [2, 3, 4]);
  assert.deepEqual(r.bad, [2, 4, 5, 7]);
  assert.deepEqual(r.skipped.map((s) => s.problem), ['null is not a count (a JSON object)', 'schemaVersion is missing', 'not valid JSON', 'summary.byRole is missing (an object)']);
  assert.deepEqual(trend(r.entries).counts, [2, 3, 4]);
  assert.equal(skippedNote(f, r.skipped), `${f}: 4 invalid lines skipped (line 2: null is not a count (a JSON object); line 4: schemaVersion is missing; line 5: not valid JSON; 1 more)`);
  assert.equal(skippedNote(f, []), null);
  assert.deepEqual(readNdjson(join(dir, 'none.ndjson'), historyEntryProblem), { entries: [], bad: [], skipped: [] });
});

test('readJsonFile: no file is null; an invalid one is a StateError naming the file, the field and the fix', () => {
  const d = sub('json');
  const f = join(d, 'before.json');
  assert.equal(readJsonFile(f, savedCensusProblem, 'run it again'), null);
  writeFileSync(f, 'null');
  assert.throws(() => readJsonFile(f, savedCensusProblem, 'run it again'), (e: unknown) => e instanceof StateError && e.message === `${f}: null is not a saved census (a JSON object): run it again`);
  writeFileSync(f, JSON.stringify(mutate(census(), 'processes[0].startKey', undefined)));
  assert.throws(() => readJsonFile(f, savedCensusProblem, 'run it again'), /before\.json: processes\[0\]\.startKey is missing \(a number\): run it again$/);
  writeFileSync(f, '{"schemaVersion":');
  assert.throws(() => readJsonFile(f, savedCensusProblem, 'run it again'), /before\.json: not valid JSON \(.*\): run it again$/);
  writeFileSync(f, JSON.stringify(census()));
  assert.deepEqual(readJsonFile(f, savedCensusProblem, 'run it again'), census());
  assert.throws(() => readJsonFile(d, savedCensusProblem, 'x'), /json: is a directory, not a regular file/);
});

test('writeJsonFile: atomic, 0600 in a 0700 directory it creates, a symlink replaced and its target untouched, no temp file left', () => {
  const d = join(sub('write'), 'state', 'proj');
  const f = join(d, 'before.json');
  writeJsonFile(f, census());
  assert.equal(mode(f), 0o600);
  assert.equal(mode(d), 0o700);
  assert.deepEqual(JSON.parse(readFileSync(f, 'utf8')), census());
  const target = join(d, '..', 'elsewhere.json');
  writeFileSync(target, 'keep\n');
  rmSync(f);
  symlinkSync(target, f);
  writeJsonFile(f, census());
  assert.equal(readFileSync(target, 'utf8'), 'keep\n', 'the target is never written');
  assert.ok(lstatSync(f).isFile(), 'the link itself was replaced by a regular file');
  assert.deepEqual(readdirSync(d), ['before.json']);
});

test('appendNdjson: one line per call, a new line first after a cut-off last line; created 0600', () => {
  const f = join(sub('append'), 'h.ndjson');
  appendNdjson(f, entry(1));
  assert.equal(mode(f), 0o600);
  writeFileSync(f, readFileSync(f, 'utf8') + '{"cut":');
  appendNdjson(f, entry(2));
  appendNdjson(f, entry(3));
  assert.deepEqual(readFileSync(f, 'utf8').split('\n'), [JSON.stringify(entry(1)), '{"cut":', JSON.stringify(entry(2)), JSON.stringify(entry(3)), '']);
  const r = readNdjson<HistoryEntry>(f, historyEntryProblem);
  assert.deepEqual(r.entries.map((e) => e.summary.total), [1, 2, 3]);
  assert.deepEqual(r.bad, [2]);
});

test('writeFileAtomic: without replace nothing is ever replaced (a file, a dangling symlink); with it, a regular file or a link, never a directory', () => {
  const d = sub('atomic');
  const f = join(d, 'out.md');
  writeFileAtomic(f, 'one\n', { replace: false });
  assert.equal(readFileSync(f, 'utf8'), 'one\n');
  assert.equal(mode(f), 0o600);
  assert.throws(() => writeFileAtomic(f, 'two\n', { replace: false }), (e: unknown) => e instanceof FileProblem && e.code === 'EEXIST');
  assert.equal(readFileSync(f, 'utf8'), 'one\n');
  const dangling = join(d, 'dangling.md');
  symlinkSync(join(d, 'nowhere'), dangling);
  assert.throws(() => writeFileAtomic(dangling, 'x', { replace: false }), (e: unknown) => e instanceof FileProblem && e.code === 'EEXIST');
  assert.throws(() => lstatSync(join(d, 'nowhere')), /ENOENT/, 'nothing created through the link');
  writeFileAtomic(dangling, 'x', { replace: true });
  assert.ok(lstatSync(dangling).isFile(), 'with replace, the dangling link is replaced by a regular file');
  writeFileAtomic(f, 'two\n', { replace: true });
  assert.equal(readFileSync(f, 'utf8'), 'two\n');
  assert.throws(() => writeFileAtomic(d, 'x', { replace: true }), (e: unknown) => e instanceof FileProblem && e.said('--out "d"') === '--out "d" is a directory: name a file');
  const missing = join(d, 'no', 'such', 'f');
  assert.throws(() => checkWritable(missing, { replace: true }), (e: unknown) => e instanceof FileProblem && e.said('--out "x"') === `--out "x": the directory "${join(d, 'no', 'such')}" does not exist`);
  assert.throws(() => checkWritable(join(f, 'x'), { replace: true }), (e: unknown) => e instanceof FileProblem && e.problem === `"${f}" is not a directory`);
  assert.deepEqual(readdirSync(d).sort(), ['dangling.md', 'out.md'], 'no temporary file left');
});

test('openAppend and readRegularFile refuse a directory; openAppend leaves a file that ends with a newline as it is', () => {
  const d = sub('regular');
  assert.throws(() => openAppend(d), (e: unknown) => e instanceof FileProblem && /is a directory/.test(e.problem));
  assert.throws(() => readRegularFile(d), (e: unknown) => e instanceof FileProblem && e.code === 'ENOTREG');
  assert.equal(readRegularFile(join(d, 'none')), null);
  const f = join(d, 'r.ndjson');
  writeFileSync(f, '{}\n');
  const fd = openAppend(f);
  writeSync(fd, '{"a":1}\n');
  closeSync(fd);
  assert.equal(readFileSync(f, 'utf8'), '{}\n{"a":1}\n');
});
