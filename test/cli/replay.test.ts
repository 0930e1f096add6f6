// `diagnose --from` and `explain --from` on a captured evidence document, as a user replays a bug
// report: the same diagnosis, the config's rules applied, and one clear line for a wrong input.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../helpers/live.js';
import { fixture } from '../helpers/paths.js';

const KILLED = fixture('evidence', 'killed-main', 'evidence.json');
const dir = mkdtempSync(join(tmpdir(), 'rd-replay-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('diagnose --from FILE gives the captured diagnosis and exits 1 for its error', async () => {
  const r = await runCli(['diagnose', '--from', KILLED, '--json'], { cwd: dir });
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), JSON.parse(readFileSync(fixture('evidence', 'killed-main', 'diagnosis.json'), 'utf8')));
  const text = await runCli(['diagnose', '--from', KILLED], { cwd: dir });
  assert.match(text.stdout, /^Verdict: 1 problem: 2 orphaned workers and 1 helper from run 1/);
});

test("diagnose --from applies this project's rule settings: orphan-workers off, then at warning", async () => {
  writeFileSync(join(dir, 'rerun-doctor.json'), JSON.stringify({ rules: { 'orphan-workers': 'off' } }));
  const off = await runCli(['diagnose', '--from', KILLED, '--json'], { cwd: dir });
  assert.equal(off.code, 0, off.stderr);
  const d = JSON.parse(off.stdout) as { findings: unknown[]; off: string[]; verdict: string };
  assert.deepEqual(d.off, ['orphan-workers']);
  assert.match(d.verdict, /turned off in the config: orphan-workers/);
  writeFileSync(join(dir, 'rerun-doctor.json'), JSON.stringify({ rules: { 'orphan-workers': { severity: 'warning' } } }));
  const warn = await runCli(['diagnose', '--from', KILLED], { cwd: dir });
  assert.equal(warn.code, 0, 'a warning is below --fail-on error');
  assert.match(warn.stdout, /! warning {2}orphan-workers/);
  const failOn = await runCli(['diagnose', '--from', KILLED, '--fail-on', 'warning'], { cwd: dir });
  assert.equal(failOn.code, 1);
  writeFileSync(join(dir, 'rerun-doctor.json'), JSON.stringify({ rules: { 'orphan-worker': 'off' } }));
  const bad = await runCli(['diagnose', '--from', KILLED], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^rerun-doctor: rerun-doctor\.json: "rules\.orphan-worker" is not a rule \(did you mean "orphan-workers"\?\)/);
  assert.equal(bad.stderr.trim().split('\n').length, 1, 'one line');
  rmSync(join(dir, 'rerun-doctor.json'));
});

test('diagnose --from: a flag that shapes collection, a missing file, a file that is not evidence: one line, exit 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--from', KILLED, '--samples', '5'], /^rerun-doctor: --samples cannot be used with --from: the evidence in ".*evidence\.json" was collected already$/],
    [['--from', KILLED, '--port', '1234'], /^rerun-doctor: --port cannot be used with --from/],
    [['--from', join(dir, 'nope.json')], /^rerun-doctor: --from ".*nope\.json": no such file$/],
    [['--from', fixture('evidence', 'SOURCE.md')], /^rerun-doctor: .*SOURCE\.md: not an evidence file: expected the JSON of `rerun-doctor evidence --json`/],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(['diagnose', ...args], { cwd: dir });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.trim(), re);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('diagnose --save writes the document it diagnosed, which replays to the same diagnosis; never over a file', async () => {
  const saved = join(dir, 'saved.json');
  const r = await runCli(['diagnose', '--no-metrics', '--save', saved, '--json', '--port', '1'], { cwd: dir });
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  const replay = await runCli(['diagnose', '--from', saved, '--json'], { cwd: dir });
  assert.deepEqual(JSON.parse(replay.stdout), JSON.parse(r.stdout), 'the saved document replays exactly');
  const again = await runCli(['diagnose', '--no-metrics', '--save', saved], { cwd: dir });
  assert.equal(again.code, 2);
  assert.match(again.stderr, /--save ".*saved\.json" exists: choose another file \(it is never overwritten\)/);
});

test('explain --from FILE: each finding of the document with its evidence, then its page; an ID picks one', async () => {
  const r = await runCli(['explain', '--from', KILLED], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Verdict: 1 problem: 2 orphaned workers and 1 helper from run 1/);
  assert.match(r.stdout, /━━ orphan-workers: what was found in .*killed-main\/evidence\.json\n\n✖ error {2}orphan-workers/);
  assert.match(r.stdout, /\n# orphan-workers\n/, "then the rule's page");
  assert.match(r.stdout, /## Fix recipes \(docs\/fixes\/\)/, 'and its tested fixes');
  const picked = await runCli(['explain', 'orphan-workers', '--from', KILLED], { cwd: dir });
  assert.equal(picked.stdout, r.stdout, 'the ID of its only finding explains the same');
  const none = await runCli(['explain', 'zombies', '--from', KILLED], { cwd: dir });
  assert.equal(none.code, 0);
  assert.match(none.stdout, /^No zombies finding in .*evidence\.json; its verdict: 1 problem: /);
  const page = await runCli(['explain', 'zombies'], { cwd: dir });
  assert.match(page.stdout, /^# zombies\n/, 'an ID alone prints its page, collecting nothing');
  const bad = await runCli(['explain', '--from', KILLED, '--quick'], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--quick cannot be used with --from/);
});

test('procs --from and ports --from show the census of a saved document, as on its machine, asking nothing', async () => {
  const rerun = fixture('evidence', 'rerun-after-kill', 'evidence.json');
  const procs = await runCli(['procs', '--from', rerun], { cwd: dir });
  assert.equal(procs.code, 1, 'orphans of the project: exit 1, as live');
  assert.match(procs.stdout, /^7 project processes in 2 runs, 3 orphans/);
  assert.match(procs.stdout, /run 1 of 2 .* ORPHANED: its main process is gone/);
  const json = JSON.parse((await runCli(['procs', '--from', rerun, '--json'], { cwd: dir })).stdout) as { watch: { ports: number[] }; processes: Array<{ orphan: boolean }> };
  const doc = JSON.parse(readFileSync(rerun, 'utf8')) as { settings: { census: { ports: number[] } } };
  assert.deepEqual(json.watch.ports, doc.settings.census.ports, "the document's watched ports, not this project's");
  assert.equal(json.processes.filter((p) => p.orphan).length, 3);
  const ports = await runCli(['ports', '--from', rerun, '--json'], { cwd: dir });
  assert.equal(ports.code, 1, 'a watched port held by an orphan');
  const pj = JSON.parse(ports.stdout) as { ports: Array<{ topology: string; heldByOrphan: boolean; grpc: unknown }> };
  assert.equal(pj.ports[0]!.topology, 'duplicated');
  assert.equal(pj.ports[0]!.grpc, null, 'no health check of a replay');
  const bad = await runCli(['ports', '--from', rerun, '--grpc-port', '50051'], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--grpc-port cannot be used with --from/);
});
