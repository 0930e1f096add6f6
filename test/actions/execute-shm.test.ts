// clean --shm's last step on fixture trees (a /proc tree written by the test beside a directory
// standing for /dev/shm, real files in it): each target judged again right before its unlink. A
// holder that appeared, another file by the same name, holders out of view: left, and said; a
// segment gone meanwhile: already gone; the rest unlinked. Nothing here touches the real /dev/shm.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { executeShm } from '../../src/actions/execute-shm.js';
import { createHost } from '../../src/host/host.js';
import { devString } from '../../src/host/shm-dir.js';
import type { ShmTarget } from '../../src/model/cleanup-plan.js';
import { shmKindOf } from '../../src/model/shm.js';
import { OPTS, procTree, type FakeProc } from '../helpers/builders.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const PROCS: FakeProc[] = [
  { pid: 1, ppid: 0, argv: ['/sbin/init'], comm: 'systemd', pgid: 1, sid: 1, startTicks: 1, uid: 0 },
  { pid: 100, ppid: 1, argv: ['/bin/sleep', '600'], pgid: 100, sid: 100, startTicks: 2, uid: 0 },
];

function machine(ns = { pid: 'pid:[4026531836]', ipc: 'ipc:[4026531839]' }) {
  const proc = procTree(PROCS);
  const shm = mkdtempSync(join(tmpdir(), 'rd-shm-exec-'));
  dirs.push(proc, shm);
  for (const p of PROCS) writeFileSync(join(proc, String(p.pid), 'maps'), '');
  mkdirSync(join(proc, '1', 'ns'));
  symlinkSync(ns.pid, join(proc, '1', 'ns', 'pid'));
  symlinkSync(ns.ipc, join(proc, '1', 'ns', 'ipc'));
  const host = createHost({ platform: 'linux', procRoot: proc, shmRoot: shm, etcRoot: proc });
  const make = (name: string) => writeFileSync(join(shm, name), Buffer.alloc(4096, 7));
  /** The target as the plan made it: the file's identity now. */
  const target = (name: string): ShmTarget => {
    const st = statSync(join(shm, name));
    return { name, kind: shmKindOf(name)!, bytes: st.blocks * 512, uid: st.uid, dev: devString(st.dev), ino: st.ino, mtimeMs: st.mtimeMs, createdAt: new Date(st.ctimeMs).toISOString(), why: 'planned', runs: [1], after: [] };
  };
  return { proc, shm, host, make, target };
}

test('each target judged again before its unlink: unheld ones unlinked; a new holder, another file, a file gone: said, and left as they are', async () => {
  const m = machine();
  for (const n of ['psm_ok000001', 'psm_held0002', 'psm_swap0003', 'psm_gone0004', 'sem.mp-ok']) m.make(n);
  const targets = ['psm_ok000001', 'psm_held0002', 'psm_swap0003', 'psm_gone0004', 'sem.mp-ok'].map(m.target);
  // Since the plan: pid 100 opened psm_held0002; psm_swap0003 was removed and made again (a new
  // inode: another run's now); psm_gone0004 was unlinked (by its run's tracker, say).
  symlinkSync(join(m.shm, 'psm_held0002'), join(m.proc, '100', 'fd', '9'));
  unlinkSync(join(m.shm, 'psm_swap0003'));
  writeFileSync(join(m.shm, 'psm_keep-inode'), 'x'); // keeps the old inode number from being reused at once
  m.make('psm_swap0003');
  unlinkSync(join(m.shm, 'psm_gone0004'));
  const results = await executeShm(m.host, targets, { classify: OPTS });
  const by = new Map(results.map((r) => [r.name, r]));
  assert.equal(by.get('psm_ok000001')!.outcome, 'unlinked');
  assert.equal(by.get('sem.mp-ok')!.outcome, 'unlinked');
  assert.equal(existsSync(join(m.shm, 'psm_ok000001')), false, 'gone from the directory');
  assert.equal(by.get('psm_held0002')!.outcome, 'held');
  assert.match(by.get('psm_held0002')!.detail, /pid 100 .*has it open.*: left alone/);
  assert.equal(existsSync(join(m.shm, 'psm_held0002')), true, 'a held segment is never unlinked');
  assert.equal(by.get('psm_swap0003')!.outcome, 'changed');
  assert.equal(existsSync(join(m.shm, 'psm_swap0003')), true, 'another file by that name is not touched');
  assert.equal(by.get('psm_gone0004')!.outcome, 'already-gone');
  assert.ok(results.every((r) => r.bytes === 4096), 'each result says what the segment took');
});

test('a file written since it was planned (mtime) is not unlinked', async () => {
  const m = machine();
  m.make('psm_w0000001');
  const t = m.target('psm_w0000001');
  writeFileSync(join(m.shm, 'psm_w0000001'), Buffer.alloc(4096, 8));
  const [r] = await executeShm(m.host, [{ ...t, mtimeMs: t.mtimeMs - 1000 }], { classify: OPTS });
  assert.equal(r!.outcome, 'changed');
  assert.equal(existsSync(join(m.shm, 'psm_w0000001')), true);
});

test('holders out of view (a PID namespace of its own in the machine IPC namespace): nothing unlinked', async () => {
  const m = machine({ pid: 'pid:[4026532179]', ipc: 'ipc:[4026531839]' });
  m.make('psm_blind001');
  const [r] = await executeShm(m.host, [m.target('psm_blind001')], { classify: OPTS });
  assert.equal(r!.outcome, 'unknown');
  assert.match(r!.detail, /not every process is in view/);
  assert.equal(existsSync(join(m.shm, 'psm_blind001')), true);
});
