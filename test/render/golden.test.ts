// Golden text outputs, updated deliberately: UPDATE_GOLDEN=1 node scripts/run-tests.mjs test/render/golden.test.ts
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { classify } from '../../src/census/classify.js';
import { compare } from '../../src/census/count.js';
import type { SavedCensus } from '../../src/model/count.js';
import { portReports } from '../../src/census/ports.js';
import { renderCompare } from '../../src/render/count.js';
import { renderPorts } from '../../src/render/ports.js';
import { renderProcs } from '../../src/render/procs.js';
import { makeStyle } from '../../src/render/style.js';
import { INIT, listen, OPTS, proc, SERVER, SHELL, snapshot, SPAWN, TRACKER } from '../helpers/builders.js';
import { fixture } from '../helpers/paths.js';

process.env.TZ = 'UTC'; // start times print in local time

function golden(name: string, actual: string): void {
  const file = fixture('golden', name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, actual);
  assert.ok(existsSync(file), `${name}: no golden file (run with UPDATE_GOLDEN=1 to create it)`);
  assert.equal(actual, readFileSync(file, 'utf8'), `${name} differs from its golden file (UPDATE_GOLDEN=1 to accept)`);
}

// A killed first run (orphans in pgid 1000, re-parented to init, still in the terminal's session 900) and a rerun holding :50051 beside them.
const procs = [
  INIT,
  SHELL,
  proc(1001, 1, TRACKER, { pgid: 1000, sid: 900, start: 1 }),
  proc(1002, 1, SPAWN, { pgid: 1000, sid: 900, start: 1.2 }),
  proc(1003, 1, SPAWN, { pgid: 1000, sid: 900, start: 1.3 }),
  proc(2000, 900, [...SERVER, '--port', '50051'], { pgid: 2000, sid: 900, start: 600 }),
  proc(2001, 2000, TRACKER, { pgid: 2000, sid: 900, start: 600.1 }),
  proc(2002, 2000, SPAWN, { pgid: 2000, sid: 900, start: 600.2 }),
  proc(2003, 2000, [], { pgid: 2000, sid: 900, start: 600.3, state: 'Z', zombie: true, comm: 'python3' }),
];
const snap = snapshot(procs, [listen(50051, 11, [1002]), listen(50051, 12, [1003]), listen(50051, 13, [2002]), listen(8080, 14, [2000], '127.0.0.1'), listen(8080, 15, [], '::1')]);
const census = classify(snap, OPTS);
const text = { style: makeStyle(false), now: new Date(snap.takenAt), width: 100, wide: false };

test('golden: procs', () => golden('procs.txt', renderProcs(census, { ...text, patternSource: OPTS.serverPattern.source, ports: OPTS.ports })));

test('golden: ports', () => golden('ports.txt', renderPorts(census, portReports(census, [50051, 8080, 9999], OPTS.ports), text)));

test('golden: count after', () => {
  const before: SavedCensus = { schemaVersion: 1, kind: 'before', takenAt: '2026-11-26T09:59:00.000Z', root: '/p', processes: [] };
  golden('count-after.txt', renderCompare(compare(before, census, 1), text));
});

test('colour only when asked: no escape codes without it', () => {
  const plain = renderProcs(census, { ...text, patternSource: '', ports: [] });
  assert.equal(plain.includes('\u001b['), false, 'no escape codes');
  const coloured = renderProcs(census, { ...text, style: makeStyle(true), patternSource: '', ports: [] });
  assert.ok(coloured.includes('\u001b[31mORPHAN\u001b[39m'), 'ORPHAN in red');
});
