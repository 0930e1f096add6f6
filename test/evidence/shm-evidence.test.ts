// The shared-memory part of the evidence document: checked on replay when present, read as
// unavailable when absent (a document saved before it existed), kept whole enough by the
// shareable trim (a holder or a torch creator without a role is kept), shown in the bundle.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import { diagnosisInput } from '../../src/diagnosis/input.js';
import { parseEvidence } from '../../src/evidence/replay.js';
import { shareable } from '../../src/evidence/share.js';
import { renderEvidenceBundle } from '../../src/render/evidence-bundle.js';
import { INIT, proc, SERVER, SHELL, SPAWN, TRACKER } from '../helpers/builders.js';
import { evidenceOf } from '../helpers/evidence.js';
import { okValue } from '../helpers/rule-tester.js';
import { seg, shmOf } from '../helpers/shm.js';

const T = { sid: 900 };
const live = [INIT, SHELL, proc(2000, 900, SERVER, { ...T, pgid: 2000, start: 600 }), proc(2001, 2000, TRACKER, { ...T, pgid: 2000, start: 600.1 }), proc(2002, 2000, SPAWN, { ...T, pgid: 2000, start: 600.2 })];
// A program with no role (nothing names it a server or a worker) that made a torch segment and still runs.
const tool = proc(3000, 900, ['/usr/local/bin/trainer', '--epochs', '3'], { ...T, pgid: 3000, start: 50 });
const others = Array.from({ length: 20 }, (_, i) => proc(4000 + i, 1, ['/usr/sbin/daemon', String(i)], { pgid: 4000 + i, sid: 4000 + i, start: 10 }));

test('a document without the shm part replays: shm-leak not judged, "not in this document"', () => {
  const e = evidenceOf(live);
  assert.equal('shm' in e, false);
  const d = parseEvidence(JSON.stringify(e), 'old.json');
  const skipped = diagnose(d).skipped.find((s) => s.id === 'shm-leak');
  assert.deepEqual(skipped, { id: 'shm-leak', because: 'unavailable', reason: 'shared memory: not in this document (collected by an older rerun-doctor)' });
});

test('a malformed shm part is one line naming the key', () => {
  const bad = (shm: unknown) => () => parseEvidence(JSON.stringify({ ...evidenceOf(live), shm }), 'bad.json');
  assert.throws(bad({ status: 'maybe' }), /bad\.json: shm\.status must be "ok", "unavailable" or "failed"/);
  assert.throws(bad({ status: 'failed' }), /bad\.json: shm\.reason must say why it is not ok/);
  assert.throws(bad({ status: 'ok', value: { dir: '/dev/shm' }, issues: [], source: 'x' }), /bad\.json: shm\.value must hold dir, segments, unreadable and visibility/);
  assert.throws(bad({ status: 'ok', value: { ...shmOf([]), segments: [{ name: 'psm_x' }] }, issues: [], source: 'x' }), /bad\.json: shm\.value\.segments\[0\] must hold name/);
  const good = parseEvidence(JSON.stringify({ ...evidenceOf(live), shm: okValue(shmOf([seg('psm_a', { made: 601, holders: [2000] })])) }), 'good.json');
  assert.equal(good.shm?.status, 'ok');
});

test("the shareable copy keeps a segment's holders and a torch creator that have no role, and diagnoses the same", () => {
  const shm = okValue(shmOf([seg('torch_3000_1_0', { made: 100 }), seg('psm_held', { made: 100, holders: [3000] })]));
  const e = evidenceOf([...live, tool, ...others], [], { shm });
  const before = diagnose(e);
  const s = shareable(e);
  assert.ok(s.kept.processes < s.kept.of, `the rest of the table is trimmed (${s.kept.processes} of ${s.kept.of})`);
  assert.ok(s.evidence.snapshot.processes.some((p) => p.pid === 3000), 'the creator and holder is kept');
  assert.deepEqual(JSON.parse(JSON.stringify(diagnose(s.evidence).findings)), JSON.parse(JSON.stringify(before.findings)));
  const j = diagnosisInput(s.evidence).input;
  assert.equal(j.shm.status, 'ok');
});

test('the bundle shows /dev/shm: how full, each segment with its holders', () => {
  const e = evidenceOf(live, [], { shm: okValue(shmOf([seg('psm_live', { made: 601, holders: [2000, { pid: 2002, fd: true, map: false }] }), seg('sem.mp-x', { made: 601, bytes: 32 })])) });
  const { census, input } = diagnosisInput(e);
  const md = renderEvidenceBundle({ evidence: e, census, ports: input.ports, diagnosis: diagnose(e), kept: { processes: 5, of: 5 }, now: new Date('2026-11-26T11:00:00Z') });
  const section = md.slice(md.indexOf('## Shared memory'), md.indexOf('## The evidence document'));
  assert.match(section, /\/dev\/shm: 1\.0 MiB of 64\.0 MiB used \(1\.6%\); 2 segment\(s\) of the known kinds, 0 other entries/);
  assert.match(section, /psm_live +psm +1\.0 MiB +1000 +2026-11-26T10:10:01\.000Z +2000 2002\(fd\)/);
  assert.match(section, /sem\.mp-x +sem +32 B .* -$/m);
  const old = renderEvidenceBundle({ evidence: evidenceOf(live), census, ports: input.ports, diagnosis: diagnose(evidenceOf(live)), kept: { processes: 5, of: 5 }, now: new Date() });
  assert.match(old, /## Shared memory\n\n```text\nunavailable: not in this document/);
});
