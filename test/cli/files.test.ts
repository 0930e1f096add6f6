// The files the CLI writes and reads back, through the built CLI (npm run build first): evidence
// --out, diagnose --save, watch --record, and the state directory (before.json, history.ndjson).
// Atomic writes, 0600, only regular files (a FIFO is refused, never waited on), appends on a new
// line; invalid saved records skipped with one warning or refused with one line naming the file.
// Every run has a timeout: a CLI that blocks on a FIFO fails the test instead of hanging it.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CLI } from '../helpers/live.js';
import { fixture } from '../helpers/paths.js';

const HEALTHY = fixture('evidence', 'healthy-server', 'evidence.json');
const dir = mkdtempSync(join(tmpdir(), 'rd-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** Killed at the timeout: the CLI hung. */
  hung: boolean;
}

function cli(args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: o.cwd ?? dir, env: { ...process.env, NO_COLOR: '1', ...o.env }, timeout: o.timeoutMs ?? 30_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: unknown; killed?: boolean }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 99) : 0, stdout, stderr, hung: e?.killed === true });
    });
  });
}

/** Exit 2 with one line on stderr matching `re`, no stack trace, in time. */
function oneLine(r: Run, re: RegExp, what: string): void {
  assert.ok(!r.hung, `${what}: hung (killed at the timeout)`);
  assert.equal(r.code, 2, `${what}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr.trim(), re, what);
  assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, `${what}: no stack trace`);
}

const mode = (p: string) => statSync(p).mode & 0o777;
const fresh = (name: string) => {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  return d;
};
const fifo = (p: string) => execFileSync('mkfifo', [p]);

test('a FIFO, a device or a directory is refused at once: evidence --out --force, watch --record (never waits for a reader)', async () => {
  const d = fresh('fifo');
  const f = join(d, 'pipe');
  fifo(f);
  const out = await cli(['evidence', '--from', HEALTHY, '--out', f, '--force'], { timeoutMs: 20_000 });
  oneLine(out, /^rerun-doctor: --out ".*pipe" is a FIFO, not a regular file/, 'evidence --out FIFO --force');
  assert.equal(out.stdout, '');
  const outNoForce = await cli(['evidence', '--from', HEALTHY, '--out', f], { timeoutMs: 20_000 });
  oneLine(outNoForce, /^rerun-doctor: --out ".*pipe" is a FIFO, not a regular file/, 'evidence --out FIFO');
  const save = await cli(['diagnose', '--no-metrics', '--quick', '--save', f], { timeoutMs: 20_000, env: { RERUN_DOCTOR_STATE_DIR: join(d, 'state') } });
  oneLine(save, /^rerun-doctor: --save ".*pipe" is a FIFO, not a regular file/, 'diagnose --save FIFO');
  assert.equal(save.stdout, '', 'said before the work');
  const rec = await cli(['watch', 'procs', '--count', '1', '--interval', '100ms', '--record', f], { timeoutMs: 20_000 });
  oneLine(rec, /^rerun-doctor: --record ".*pipe" is a FIFO, not a regular file/, 'watch --record FIFO');
  assert.equal(rec.stdout, '', 'no sample is taken for a recording that cannot be written');
  const dev = await cli(['watch', 'procs', '--count', '1', '--record', '/dev/null'], { timeoutMs: 20_000 });
  oneLine(dev, /^rerun-doctor: --record "\/dev\/null" is a character device, not a regular file/, 'watch --record /dev/null');
  const isDir = await cli(['watch', 'procs', '--count', '1', '--record', d], { timeoutMs: 20_000 });
  oneLine(isDir, /^rerun-doctor: --record ".*fifo" is a directory/, 'watch --record DIR');
  const outDir = await cli(['evidence', '--from', HEALTHY, '--out', d, '--force'], { timeoutMs: 20_000 });
  oneLine(outDir, /^rerun-doctor: --out ".*fifo" is a directory/, 'evidence --out DIR');
  assert.deepEqual(readdirSync(d), ['pipe'], 'nothing written beside it (no temporary file left)');
});

test('evidence --out --force replaces a symlink itself, never writing through it; the bundle is created 0600', async () => {
  const d = fresh('symlink');
  const target = join(d, 'target.txt');
  writeFileSync(target, 'keep me\n', { mode: 0o644 });
  const link = join(d, 'bundle.md');
  symlinkSync(target, link);
  const refused = await cli(['evidence', '--from', HEALTHY, '--out', link]);
  oneLine(refused, /--out ".*bundle\.md" exists: pass --force to overwrite it/, 'no --force');
  const r = await cli(['evidence', '--from', HEALTHY, '--out', link, '--force']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(target, 'utf8'), 'keep me\n', "the link's target is untouched");
  assert.equal(mode(target), 0o644);
  assert.ok(lstatSync(link).isFile(), 'the link was replaced by a regular file');
  assert.match(readFileSync(link, 'utf8'), /^# rerun-doctor evidence/);
  assert.equal(mode(link), 0o600, 'created 0600');
  const plain = join(d, 'new.md');
  const n = await cli(['evidence', '--from', HEALTHY, '--out', plain]);
  assert.equal(n.code, 0, n.stderr);
  assert.equal(mode(plain), 0o600, 'a new bundle is 0600');
  // --force over a regular file: replaced (a new inode, 0600), not truncated and rewritten in place.
  writeFileSync(plain, 'old\n', { mode: 0o644 });
  const ino = statSync(plain).ino;
  const again = await cli(['evidence', '--from', HEALTHY, '--out', plain, '--force']);
  assert.equal(again.code, 0, again.stderr);
  assert.notEqual(statSync(plain).ino, ino, 'renamed over, not written in place');
  assert.equal(mode(plain), 0o600);
  assert.deepEqual(readdirSync(d).sort(), ['bundle.md', 'new.md', 'target.txt'], 'no temporary file left');
});

test('--out / --save into a directory that does not exist: one line naming the flag and the directory, exit 2, nothing written', async () => {
  const d = fresh('missing');
  const out = await cli(['evidence', '--from', HEALTHY, '--out', join(d, 'nope', 'f.md')]);
  oneLine(out, /^rerun-doctor: --out ".*nope\/f\.md": the directory ".*missing\/nope" does not exist$/, 'evidence --out');
  assert.equal(out.stdout, '');
  const save = await cli(['diagnose', '--no-metrics', '--quick', '--save', join(d, 'nope', 'saved.json')], { env: { RERUN_DOCTOR_STATE_DIR: join(d, 'state') } });
  oneLine(save, /^rerun-doctor: --save ".*nope\/saved\.json": the directory ".*missing\/nope" does not exist$/, 'diagnose --save');
  assert.equal(save.stdout, '', 'said before the work: no diagnosis printed');
  const notDir = join(d, 'file');
  writeFileSync(notDir, 'x');
  const under = await cli(['evidence', '--from', HEALTHY, '--out', join(notDir, 'f.md')]);
  oneLine(under, /^rerun-doctor: --out ".*file\/f\.md": ".*file" is not a directory$/, 'under a file');
  const rec = await cli(['watch', 'procs', '--count', '1', '--record', join(d, 'nope', 'r.ndjson')]);
  oneLine(rec, /^rerun-doctor: --record ".*nope\/r\.ndjson": the directory ".*missing\/nope" does not exist$/, 'watch --record');
  assert.deepEqual(readdirSync(d).sort(), ['file'], 'nothing written');
});

test('diagnose --save writes 0600', async () => {
  const d = fresh('save');
  const saved = join(d, 'saved.json');
  const r = await cli(['diagnose', '--no-metrics', '--quick', '--save', saved], { env: { RERUN_DOCTOR_STATE_DIR: join(d, 'state') } });
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  assert.equal(mode(saved), 0o600);
  assert.equal(JSON.parse(readFileSync(saved, 'utf8')).kind, 'rerun-doctor-evidence');
});

test('watch --record appends on a new line after a file without a trailing newline; a new recording is 0600, an old one keeps its mode', async () => {
  const d = fresh('record');
  const rec = join(d, 'rec.ndjson');
  writeFileSync(rec, '{"type":"earlier"}', { mode: 0o644 });
  const r = await cli(['watch', 'procs', '--count', '1', '--interval', '100ms', '--record', rec]);
  assert.equal(r.code, 0, r.stderr);
  const lines = readFileSync(rec, 'utf8').split('\n');
  assert.equal(lines[0], '{"type":"earlier"}', 'the earlier recording is kept as it was');
  assert.equal(JSON.parse(lines[1]!).type, 'header', 'the header starts its own line');
  assert.equal(JSON.parse(lines[2]!).type, 'procs');
  assert.equal(mode(rec), 0o644, 'an existing file keeps its mode');
  const again = await cli(['watch', 'procs', '--count', '1', '--interval', '100ms', '--record', rec]);
  assert.equal(again.code, 0, again.stderr);
  const all = readFileSync(rec, 'utf8').trimEnd().split('\n');
  assert.equal(all.length, 5, 'appended, no blank line when the file already ends with one');
  for (const l of all) JSON.parse(l);
  const fresh2 = join(d, 'new.ndjson');
  const n = await cli(['watch', 'procs', '--count', '1', '--interval', '100ms', '--record', fresh2]);
  assert.equal(n.code, 0, n.stderr);
  assert.equal(mode(fresh2), 0o600, 'a new recording is 0600 (argv is not redacted)');
});

/** A project dir and its state dir; `count before` once, so the files exist where the CLI keeps them. */
async function project(name: string): Promise<{ cwd: string; env: NodeJS.ProcessEnv; state: string }> {
  const cwd = fresh(`${name}-project`);
  const base = fresh(`${name}-state`);
  const env = { RERUN_DOCTOR_STATE_DIR: base };
  const b = await cli(['count', 'before'], { cwd, env });
  assert.equal(b.code, 0, b.stderr);
  const [sub] = readdirSync(base);
  return { cwd, env, state: join(base, sub!) };
}

const VALID = (total: number) => JSON.stringify({ schemaVersion: 1, kind: 'after', takenAt: '2026-01-01T00:00:00.000Z', summary: { total, byRole: { server: 0, worker: total, helper: 0 }, orphans: 0, zombies: 0, runs: 1, liveServers: 0 }, expected: null, unexplained: 0 });

test('invalid lines in the count history are skipped with one warning; count history, diagnose and clean never fail on them', async () => {
  const p = await project('history');
  const history = join(p.state, 'history.ndjson');
  const broken = ['null', '{"kind":"after"}', 'not json', JSON.stringify({ ...JSON.parse(VALID(9)), summary: { total: 9 } }), JSON.stringify({ ...JSON.parse(VALID(9)), schemaVersion: 2 }), '[1,2]'];
  writeFileSync(history, readFileSync(history, 'utf8') + [VALID(2), ...broken, VALID(3)].join('\n') + '\n');
  const h = await cli(['count', 'history'], p);
  assert.ok(!h.hung, 'count history hung');
  assert.equal(h.code, 0, h.stderr);
  assert.doesNotMatch(h.stderr, /internal error|TypeError/);
  const warnings = h.stderr.trim().split('\n');
  assert.equal(warnings.length, 1, `one warning line: ${h.stderr}`);
  assert.match(warnings[0]!, /^rerun-doctor: warning: .*history\.ndjson: 6 invalid lines skipped \(line 3: null is not a count \(a JSON object\); line 4: schemaVersion is missing; line 5: not valid JSON; 3 more\)$/);
  assert.match(h.stdout, /Not growing: 2 → 3/);
  const j = await cli(['count', 'history', '--json'], p);
  const doc = JSON.parse(j.stdout) as { entries: unknown[]; badLines: number[]; skipped: Array<{ line: number; problem: string }> };
  assert.equal(doc.entries.length, 3);
  assert.deepEqual(doc.badLines, [3, 4, 5, 6, 7, 8]);
  assert.match(doc.skipped[3]!.problem, /^summary\.orphans is missing/);
  assert.match(doc.skipped[4]!.problem, /^schemaVersion 2 is not one this version of rerun-doctor reads \(1\)/);
  const diag = await cli(['diagnose', '--no-metrics', '--quick'], p);
  assert.ok(diag.code === 0 || diag.code === 1, `diagnose: ${diag.stderr}`);
  assert.doesNotMatch(diag.stderr, /internal error|TypeError/);
  assert.equal(diag.stderr.match(/warning: .*history\.ndjson: 6 invalid lines skipped/g)?.length, 1, `said once: ${diag.stderr}`);
  const dj = await cli(['diagnose', '--no-metrics', '--quick', '--save', join(p.cwd, 'e.json')], p);
  assert.ok(dj.code === 0 || dj.code === 1, dj.stderr);
  const ev = JSON.parse(readFileSync(join(p.cwd, 'e.json'), 'utf8')) as { history: { status: string; value: unknown[]; issues: Array<{ message: string }> } };
  assert.equal(ev.history.status, 'ok');
  assert.equal(ev.history.value.length, 3);
  assert.match(ev.history.issues[0]!.message, /6 invalid lines skipped/, 'the evidence document says so too');
  const clean = await cli(['clean', '--dry-run'], p);
  assert.equal(clean.code, 0, clean.stderr);
  // Every line invalid: no history, said, never a crash.
  writeFileSync(history, 'null\n');
  const none = await cli(['count', 'history'], p);
  assert.equal(none.code, 0, none.stderr);
  assert.match(none.stderr, /1 invalid line skipped \(line 1: null is not a count/);
  assert.match(none.stdout, /^No counts yet/);
});

test('count before starts a new line after a history whose last line was cut off, so both stay readable', async () => {
  const p = await project('append');
  const history = join(p.state, 'history.ndjson');
  writeFileSync(history, readFileSync(history, 'utf8') + VALID(4));
  const b = await cli(['count', 'before'], p);
  assert.equal(b.code, 0, b.stderr);
  const lines = readFileSync(history, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 3);
  for (const l of lines) assert.equal(JSON.parse(l).schemaVersion, 1);
  assert.equal(mode(history), 0o600);
  assert.equal(mode(join(p.state, 'before.json')), 0o600);
  assert.equal(mode(p.state), 0o700, 'the state directory is created 0700');
  const h = await cli(['count', 'history'], p);
  assert.equal(h.stderr, '', 'nothing skipped');
});

test('an invalid before.json: one line naming the file, what is wrong and what to do; diagnose and clean are not affected', async () => {
  const p = await project('before');
  const before = join(p.state, 'before.json');
  const saved = JSON.parse(readFileSync(before, 'utf8')) as Record<string, unknown>;
  const proc = { pid: 10, startKey: 5, startTime: '2026-01-01T00:00:00.000Z', role: 'worker', kind: 'worker', orphan: true, generation: 1, argv: ['python3'] };
  const cases: Array<[string, string, RegExp]> = [
    ['null', 'null', /null is not a saved census/],
    ['an array', '[]', /\[\] is not a saved census/],
    ['no processes', JSON.stringify({ ...saved, processes: undefined }), /processes is missing \(an array\)/],
    ['a process without argv', JSON.stringify({ ...saved, processes: [{ ...proc, argv: undefined }] }), /processes\[0\]\.argv is missing \(an array of strings\)/],
    ['a process with a bad role', JSON.stringify({ ...saved, processes: [{ ...proc, role: 'boss' }] }), /processes\[0\]\.role must be one of server, worker, helper, launcher, got "boss"/],
    ['another schema version', JSON.stringify({ ...saved, schemaVersion: 2 }), /schemaVersion 2 is not one this version of rerun-doctor reads \(1\)/],
    ['no schema version', JSON.stringify({ ...saved, schemaVersion: undefined }), /schemaVersion is missing/],
    ['not JSON', '{', /not valid JSON/],
  ];
  for (const [name, text, re] of cases) {
    writeFileSync(before, text);
    const r = await cli(['count', 'after'], p);
    oneLine(r, re, name);
    assert.match(r.stderr.trim(), /^rerun-doctor: .*before\.json: .*: run "rerun-doctor count before" again$/, name);
    assert.doesNotMatch(r.stderr, /expected 1/);
  }
  writeFileSync(before, JSON.stringify({ ...saved, processes: [{ pid: 1 }] }));
  const diag = await cli(['diagnose', '--no-metrics', '--quick'], p);
  assert.ok(diag.code === 0 || diag.code === 1, diag.stderr);
  assert.equal(diag.stderr, '');
  const clean = await cli(['clean', '--dry-run'], p);
  assert.equal(clean.code, 0, clean.stderr);
  // The one valid record: count after reads it.
  writeFileSync(before, JSON.stringify({ ...saved, processes: [proc] }));
  const ok = await cli(['count', 'after'], p);
  assert.ok(ok.code === 0 || ok.code === 1, ok.stderr);
  assert.match(ok.stdout, /gone since before: 1/);
});

test('state files that are FIFOs: refused with one line, never waited on', async () => {
  const p = await project('state-fifo');
  const history = join(p.state, 'history.ndjson');
  const before = join(p.state, 'before.json');
  rmSync(history);
  fifo(history);
  const h = await cli(['count', 'history'], { ...p, timeoutMs: 20_000 });
  oneLine(h, /history\.ndjson: is a FIFO, not a regular file/, 'count history');
  const b = await cli(['count', 'before'], { ...p, timeoutMs: 20_000 });
  oneLine(b, /history\.ndjson: is a FIFO, not a regular file/, 'count before');
  const diag = await cli(['diagnose', '--no-metrics', '--quick'], { ...p, timeoutMs: 30_000 });
  assert.ok(!diag.hung, 'diagnose hung on the history FIFO');
  assert.ok(diag.code === 0 || diag.code === 1, diag.stderr);
  rmSync(before);
  fifo(before);
  const a = await cli(['count', 'after'], { ...p, timeoutMs: 20_000 });
  oneLine(a, /before\.json: is a FIFO, not a regular file/, 'count after');
});

test('files read as input that are FIFOs or directories: --from and --config refused with one line, never waited on', async () => {
  const d = fresh('inputs');
  const f = join(d, 'pipe.json');
  fifo(f);
  oneLine(await cli(['diagnose', '--from', f], { timeoutMs: 20_000 }), /^rerun-doctor: --from ".*pipe\.json": is a FIFO, not a regular file$/, 'diagnose --from FIFO');
  oneLine(await cli(['explain', '--from', f], { timeoutMs: 20_000 }), /--from ".*pipe\.json": is a FIFO/, 'explain --from FIFO');
  oneLine(await cli(['diagnose', '--from', d], { timeoutMs: 20_000 }), /--from ".*inputs": is a directory, not an evidence file$/, 'diagnose --from DIR');
  oneLine(await cli(['diagnose', '--from', join(d, 'none.json')], { timeoutMs: 20_000 }), /--from ".*none\.json": no such file$/, 'diagnose --from missing');
  const c = await cli(['procs', '--config', f], { timeoutMs: 20_000 });
  oneLine(c, /pipe\.json: is a FIFO, not a config file$/, 'procs --config FIFO');
  oneLine(await cli(['procs', '--config', d], { timeoutMs: 20_000 }), /inputs"?: is a directory, not a config file$/, 'procs --config DIR');
  // The regular file still reads.
  const ok = await cli(['diagnose', '--from', HEALTHY], { timeoutMs: 20_000 });
  assert.ok(!ok.hung, 'diagnose --from a regular file: hung');
  assert.match(ok.stdout, /^Verdict:/);
});
