// prometheus_client's multiprocess file names, the bounded directory listing, and the probe that
// lists each directory the project's processes name, through /proc/PID/root (real files).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { classify } from '../../src/census/classify.js';
import { listDirectory } from '../../src/host/dir-list.js';
import { createHost } from '../../src/host/host.js';
import { parseMultiprocFileName } from '../../src/os/any/multiproc.js';
import { collectMultiprocDirs, multiprocDirOf } from '../../src/probes/multiproc.js';
import { OPTS, proc, SERVER, snapshot, SPAWN } from '../helpers/builders.js';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'rd-mp-'));
  roots.push(d);
  return d;
};

test("file names: {type}_{pid}.db as prometheus_client writes them; gauge_live* told apart", () => {
  assert.deepEqual(parseMultiprocFileName('counter_1234.db'), { type: 'counter', pid: 1234, liveGauge: false });
  assert.deepEqual(parseMultiprocFileName('gauge_livesum_77.db'), { type: 'gauge_livesum', pid: 77, liveGauge: true });
  assert.deepEqual(parseMultiprocFileName('gauge_all_9.db'), { type: 'gauge_all', pid: 9, liveGauge: false });
  assert.equal(parseMultiprocFileName('histogram_12.db')?.type, 'histogram');
  for (const bad of ['counter_.db', 'counter_0.db', 'notes.txt', 'worker_12.db', 'counter_12.db.tmp', 'Counter_12.db']) assert.equal(parseMultiprocFileName(bad), null, bad);
  assert.deepEqual(multiprocDirOf({ prometheus_multiproc_dir: '/old', PROMETHEUS_MULTIPROC_DIR: '/new' }), { dir: '/new', key: 'PROMETHEUS_MULTIPROC_DIR' });
  assert.deepEqual(multiprocDirOf({ prometheus_multiproc_dir: '/old' }), { dir: '/old', key: 'prometheus_multiproc_dir' });
  assert.equal(multiprocDirOf({ PROMETHEUS_MULTIPROC_DIR: '' }), null);
});

test('listing: at most maxEntries names read, only wanted ones stat\'ed', () => {
  const d = temp();
  for (let i = 0; i < 5; i++) writeFileSync(join(d, `counter_${i + 1}.db`), 'x'.repeat(10));
  writeFileSync(join(d, 'README'), '');
  const all = listDirectory(d, 100, (n) => n.endsWith('.db'));
  assert.equal(all.read, 6);
  assert.equal(all.truncated, false);
  assert.deepEqual(all.entries.filter((e) => e.bytes === 10).length, 5);
  assert.equal(all.entries.find((e) => e.name === 'README')!.mtimeMs, null, 'not stat\'ed');
  const cut = listDirectory(d, 3, () => true);
  assert.deepEqual([cut.read, cut.truncated, cut.entries.length], [3, true, 3]);
  assert.throws(() => listDirectory(join(d, 'nope'), 10, () => true), /gone/);
});

test('probe: each named directory listed once, per pid, with its newest write; a missing one says so; macOS unavailable', async () => {
  const procRoot = temp();
  const fsRoot = temp(); // what /proc/PID/root of the server shows
  const mp = join(fsRoot, 'run', 'mp');
  mkdirSync(mp, { recursive: true });
  const old = new Date('2026-11-26T09:00:00Z');
  for (const name of ['counter_500.db', 'gauge_livesum_500.db', 'counter_501.db', 'counter_20.db', 'notes']) writeFileSync(join(mp, name), 'x'.repeat(100));
  for (const name of ['counter_500.db', 'gauge_livesum_500.db']) utimesSync(join(mp, name), old, old);
  for (const pid of [20, 21, 30]) {
    mkdirSync(join(procRoot, String(pid)));
    symlinkSync(fsRoot, join(procRoot, String(pid), 'root'));
  }
  const env = { PROMETHEUS_MULTIPROC_DIR: '/run/mp' };
  const rows = [proc(20, 1, SERVER, { pgid: 20, env }), proc(21, 20, SPAWN, { pgid: 20, env }), proc(30, 1, [...SERVER, '--other'], { pgid: 30, env: { PROMETHEUS_MULTIPROC_DIR: '/run/gone' } }), proc(40, 1, ['/bin/sleep'], { env })];
  const census = classify(snapshot(rows), OPTS);
  const o = await collectMultiprocDirs(createHost({ platform: 'linux', procRoot }), census);
  assert.equal(o.status, 'ok');
  if (o.status !== 'ok') return;
  const [named, gone] = o.value;
  assert.deepEqual(named!.pids, [20, 21], 'the processes that name it (not pid 40: no role)');
  assert.equal(named!.source, join(procRoot, '20', 'root', 'run', 'mp'));
  assert.deepEqual([named!.dbFiles, named!.other, named!.error], [4, 1, null]);
  assert.deepEqual(named!.byPid.map((r) => [r.pid, r.files, r.liveGauges, r.bytes]), [[500, 2, 1, 200], [20, 1, 0, 100], [501, 1, 0, 100]]);
  assert.equal(named!.byPid[0]!.newest, old.toISOString());
  assert.equal(gone!.dir, '/run/gone');
  assert.match(gone!.error!, /no such directory/);
  const mac = await collectMultiprocDirs(createHost({ platform: 'darwin', procRoot }), census);
  assert.equal(mac.status, 'unavailable');
});
