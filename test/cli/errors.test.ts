// Bad input: one clear line naming the input and what was expected, exit 2, no stack trace.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/live.js';

const cases: Array<[string, string[], RegExp]> = [
  ['unknown command', ['frobnicate'], /unknown command "frobnicate": expected one of diagnose, explain, ports, procs, count, metrics, watch, run, guard, clean, evidence, check, rerun, demo/],
  ['unknown flag', ['procs', '--frob'], /procs: unknown option "--frob" \(did you mean --from\?\): see rerun-doctor procs --help/],
  ['bad port', ['ports', 'abc'], /port "abc" is not a port: expected an integer 1-65535/],
  ['port out of range', ['procs', '--port', '70000'], /--port "70000" is not a port/],
  ['bad instances', ['count', 'after', '--instances=-1'], /--instances "-1" is not a count/],
  ['bad regex', ['procs', '--server-pattern', '(('], /not a valid regular expression/],
  ['count without subcommand', ['count'], /count: expected "before", "after" or "history"/],
  ['count bad subcommand', ['count', 'during'], /unknown subcommand "during"/],
  ['missing proc root', ['procs', '--proc-root', '/nonexistent/proc'], /--proc-root "\/nonexistent\/proc": no such directory/],
  ['missing config file', ['procs', '--config', '/nonexistent/rerun-doctor.json'], /--config "\/nonexistent\/rerun-doctor\.json": no such file/],
  ['demo bad workers', ['demo', '--workers', 'many'], /--workers "many" is not a worker count/],
  ['watch without a kind', ['watch'], /watch: expected "metrics" or "procs"/],
  ['watch with a bad kind', ['watch', 'gpu'], /watch: expected "metrics" or "procs", got "gpu"/],
  ['watch bad interval', ['watch', 'procs', '--interval', 'soon'], /--interval "soon" is not a duration/],
  ['watch too short an interval', ['watch', 'procs', '--interval', '10ms'], /--interval "10ms" is too short: at least 100 ms/],
  ['watch bad count', ['watch', 'procs', '--count', '0'], /--count "0" is not a sample count/],
  ['watch record into a missing directory', ['watch', 'procs', '--count', '1', '--record', '/nonexistent/dir/x.ndjson'], /--record "\/nonexistent\/dir\/x\.ndjson": the directory "\/nonexistent\/dir" does not exist/],
  ['metrics bad URL', ['metrics', 'localhost:8080', '--no-grpc'], /"localhost:8080": expected an http:\/\/ or https:\/\/ URL/],
  ['metrics bad format', ['metrics', '--format', 'json'], /--format "json": expected openmetrics, prometheus or any/],
  ['metrics bad max-bytes', ['metrics', '--max-bytes', '12'], /--max-bytes "12" is not a size/],
  ['metrics bad grpc port', ['metrics', '--grpc-port', 'x'], /--grpc-port "x" is not a port/],
];

for (const [name, args, re] of cases) {
  test(`bad input: ${name}`, async () => {
    const r = await runCli(args);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(r.stdout, '');
  });
}

test('a bad config file names the file and the key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rd-cfg-'));
  try {
    writeFileSync(join(dir, 'rerun-doctor.json'), JSON.stringify({ ports: [50051, 'abc'] }));
    const r = await runCli(['procs'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /rerun-doctor\.json.*ports\[1\]/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    writeFileSync(join(dir, 'rerun-doctor.json'), '{}');
    writeFileSync(join(dir, 'pyproject.toml'), '[tool.rerun-doctor]\nportz = [1]\n');
    rmSync(join(dir, 'rerun-doctor.json'));
    const t = await runCli(['procs'], { cwd: dir });
    assert.equal(t.code, 2);
    assert.match(t.stderr, /pyproject\.toml.*portz.*ports/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('help and version', async () => {
  const h = await runCli(['--help']);
  assert.equal(h.code, 0);
  for (const c of ['ports', 'procs', 'count', 'metrics', 'watch', 'demo']) assert.match(h.stdout, new RegExp(`\\n  ${c} `));
  const v = await runCli(['--version']);
  assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
  const ph = await runCli(['ports', '--help']);
  assert.match(ph.stdout, /Usage: rerun-doctor ports/);
});

test('diagnose without a readable process list is an error, never "no problem found"', async () => {
  // A proc root with its `stat` but no process in it: nothing can be judged.
  const root = mkdtempSync(join(tmpdir(), 'rd-proc-'));
  try {
    writeFileSync(join(root, 'stat'), 'btime 1700000000\n');
    const r = await runCli(['diagnose', '--proc-root', root, '--no-metrics', '--quick']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /--proc-root ".*": not a proc filesystem \(no process directories in it\)/);
    assert.equal(r.stdout, '');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('explain: the rule page, then its tested fix recipes; an unknown id is a usage error', async () => {
  const r = await runCli(['explain', 'orphan-workers']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^# orphan-workers/);
  assert.match(r.stdout, /## Fix recipes \(docs\/fixes\/\)\n\n- signal-handlers \(docs\/fixes\/signal-handlers\.md\)/);
  assert.match(r.stdout, /parent-watch \(docs\/fixes\/parent-watch\.md\).*Tested: yes/);
  const bad = await runCli(['explain', 'slowness']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown finding "slowness": expected one of orphan-server, orphan-workers/);
});
