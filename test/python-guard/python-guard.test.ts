// The Python guard's own unit tests (test/python/test_guard.py: the macOS kqueue path against a
// fake select.kqueue, the parsing, the sitecustomize chain and "nothing without the marker"),
// run with /usr/bin/python3 -m unittest; and the environment rerun-doctor gives it: the export
// lines, evaluated by a real bash, keep PYTHONPATH and survive any directory name.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { exportLines, guardPythonPath, pythonGuardDir, pythonGuardEnv, shellQuote } from '../../src/actions/python-guard.js';
import { PYTHON } from '../helpers/live.js';
import { ROOT } from '../helpers/paths.js';

test('python -m unittest test/python/test_guard.py: the kqueue path (fake select.kqueue), parsing, the sitecustomize chain, nothing without the marker', () => {
  const r = spawnSync(PYTHON, ['-m', 'unittest', 'discover', '-s', join(ROOT, 'test', 'python'), '-p', 'test_*.py', '-v'], { encoding: 'utf8', env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1' }, timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /Ran (\d+) tests/);
  assert.ok(Number(/Ran (\d+) tests/.exec(r.stderr)![1]) >= 11, r.stderr);
  assert.match(r.stderr, /test_note_exit_of_a_watched_process_ends_the_wait .* ok/);
});

test('the guard directory is the shipped python/sitecustomize', () => {
  assert.equal(pythonGuardDir(), join(ROOT, 'python', 'sitecustomize'));
});

test('the sh lines, evaluated by bash: PYTHONPATH gets the directory first and keeps what it held; odd directory names survive', () => {
  for (const dir of ['/opt/rerun doctor/python/sitecustomize', "/tmp/it's/$HOME/`x`/py", '/plain/dir']) {
    for (const before of [undefined, '/a:/b']) {
      const script = `${exportLines(dir, 'sh', 0.5)}\nprintf '%s\\n' "$PYTHONPATH" "$RERUN_DOCTOR_GUARD" "$RERUN_DOCTOR_GUARD_GRACE" "\${RERUN_DOCTOR_GUARD_CHAIN-unset}"`;
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, RERUN_DOCTOR_GUARD_CHAIN: '12:34' };
      if (before !== undefined) env.PYTHONPATH = before;
      const out = execFileSync('/bin/bash', ['-c', script], { encoding: 'utf8', env });
      assert.deepEqual(out.split('\n').slice(0, 4), [before === undefined ? dir : `${dir}:${before}`, '1', '0.5', 'unset'], `${dir} with PYTHONPATH ${before}`);
    }
  }
  assert.equal(shellQuote('/usr/lib/node_modules/rerun-doctor/python/sitecustomize'), '/usr/lib/node_modules/rerun-doctor/python/sitecustomize');
  assert.doesNotMatch(exportLines('/d', 'sh'), /GRACE/, 'no grace line unless asked');
});

test('fish lines set the same variables', () => {
  assert.equal(exportLines("/x/it's", 'fish'), "set -gx PYTHONPATH '/x/it\\'s' $PYTHONPATH\nset -gx RERUN_DOCTOR_GUARD 1\nset -e RERUN_DOCTOR_GUARD_CHAIN\n");
});

test("run --python-guard's environment: the directory once and first, the marker, no inherited chain", () => {
  assert.equal(guardPythonPath('/g', '/g:/a::/b'), '/g:/a::/b', 'once; an empty entry (the working directory) stays');
  assert.equal(guardPythonPath('/g', ''), '/g', 'no empty entry added: that would put the working directory on the path');
  const env = pythonGuardEnv({ PYTHONPATH: '/a', RERUN_DOCTOR_GUARD_CHAIN: '5:6', KEEP: 'k' }, { dir: '/g' });
  assert.deepEqual(env, { PYTHONPATH: '/g:/a', RERUN_DOCTOR_GUARD: '1', KEEP: 'k' });
});
