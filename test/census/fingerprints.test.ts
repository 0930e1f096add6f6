// Our own processes, told by their command lines: the CLI and the watchdog `run` starts, however
// they were installed and built (tsc's files, the bundle of scripts/bundle.mjs, tsx on the sources).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRerunDoctor, isRunWatchdog } from '../../src/census/fingerprints.js';

test('the CLI is ours: the link, the bundled bin, the sources under tsx', () => {
  assert.equal(isRerunDoctor(['/usr/local/bin/rerun-doctor', 'procs']), true);
  assert.equal(isRerunDoctor(['/usr/bin/node', '/usr/lib/node_modules/rerun-doctor/dist/cli/bin.js', 'run']), true);
  assert.equal(isRerunDoctor(['node', '/tmp/ci4/dist/cli/bin.js', 'watch']), true);
  assert.equal(isRerunDoctor(['/usr/bin/node', '/usr/lib/node_modules/rerun-doctor/dist/cli/bin.cjs', 'run']), true);
  assert.equal(isRerunDoctor(['node', '/tmp/ci4/dist/cli/bin.cjs', 'watch']), true);
  assert.equal(isRerunDoctor(['node', '/work/main/src/cli/bin.ts']), true);
  assert.equal(isRerunDoctor(['/usr/bin/node', '/usr/lib/node_modules/rerun-doctor/bin/rerun-doctor']), true);
});

test('the watchdog is ours and is the run watchdog, bundled (dist/cli/commands/watchdog.cjs, .js before) or not', () => {
  for (const path of ['/usr/lib/node_modules/rerun-doctor/dist/cli/commands/watchdog.cjs', '/tmp/ci4/dist/cli/commands/watchdog.cjs', '/usr/lib/node_modules/rerun-doctor/dist/cli/commands/watchdog.js', '/tmp/ci4/dist/cli/commands/watchdog.js', '/usr/lib/node_modules/rerun-doctor/dist/actions/watchdog.js']) {
    const argv = ['/usr/bin/node', path, 'rd-1234', '4242', '99', '1000', '/proc'];
    assert.equal(isRerunDoctor(argv), true, path);
    assert.equal(isRunWatchdog(argv), true, path);
  }
  assert.equal(isRunWatchdog(['node', '/tmp/ci4/dist/cli/bin.js', 'run']), false);
  assert.equal(isRunWatchdog(['node', '/tmp/ci4/dist/cli/bin.cjs', 'run']), false);
});

test('other programs are not ours, whatever their files are called', () => {
  assert.equal(isRerunDoctor(['/usr/bin/python3', '-m', 'src.main']), false);
  assert.equal(isRerunDoctor(['node', '/srv/app/server.js']), false);
  assert.equal(isRerunDoctor(['node', '/srv/app/watchdog.js']), false);
  assert.equal(isRerunDoctor(['/usr/bin/python3', '/x/dist/cli/bin.js']), false);
  assert.equal(isRerunDoctor(['/usr/bin/python3', '/x/dist/cli/bin.cjs']), false);
  assert.equal(isRerunDoctor(['node', '/srv/app/dist/cli/bin.mjs']), false);
  assert.equal(isRerunDoctor([]), false);
  assert.equal(isRunWatchdog(['node', '/srv/app/dist/actions/watchdog.js']), false);
});
