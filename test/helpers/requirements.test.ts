// The live tests' requirement checks: a missing Python module or program is one line naming what
// to install; what is there passes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { debianPackageOf, MissingRequirement, requireProgram, requirePython } from './requirements.js';

/** Rejects with a MissingRequirement that is exactly this one line, with no stack under it. */
async function failsWith(p: Promise<void>, line: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof MissingRequirement, `a MissingRequirement, not ${String(e)}`);
    assert.equal(e.message, line);
    assert.equal(e.stack, line, 'the report shows the line alone');
    return true;
  });
}

test('a Python module that does not exist: one line naming the Debian package to install', async () => {
  await failsWith(requirePython(['rd_no_such_module']), 'needs the Python module rd_no_such_module: apt-get install python3-rd_no_such_module (see .ci/run)');
});

test('several missing modules are named in one line; the ones present are not', async () => {
  await failsWith(requirePython(['json', 'rd_missing_a', 'rd_missing_b']), 'needs the Python modules rd_missing_a, rd_missing_b: apt-get install python3-rd_missing_a python3-rd_missing_b (see .ci/run)');
});

test('modules that exist (the standard library) pass', async () => {
  await requirePython(['json', 'multiprocessing.resource_tracker']);
});

test("Debian's package names where they are not python3-<module>, as .ci/run installs them", () => {
  assert.equal(debianPackageOf('grpc'), 'python3-grpcio');
  assert.equal(debianPackageOf('prometheus_client'), 'python3-prometheus-client');
  assert.equal(debianPackageOf('joblib'), 'python3-joblib');
});

test('a program that is not on PATH: one line naming its package; one that is, or a path to one, passes', async () => {
  await failsWith(requireProgram('rd-no-such-program', 'rd-package'), 'needs the program rd-no-such-program: apt-get install rd-package (see .ci/run)');
  await failsWith(requireProgram('/usr/bin/rd-no-such-program', 'rd-package'), 'needs the program /usr/bin/rd-no-such-program: apt-get install rd-package (see .ci/run)');
  await requireProgram('sh', 'dash');
  await requireProgram('/bin/sh', 'dash');
});

test('a name is never run as shell code', async () => {
  await failsWith(requireProgram('sh; true', 'x'), 'needs the program sh; true: apt-get install x (see .ci/run)');
});
