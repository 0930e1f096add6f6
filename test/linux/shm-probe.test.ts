// The shared-memory probe over fixture trees: a /proc tree written by the test (stat, status, fd
// symlinks, maps lines naming the device and inode of real files) beside a directory standing for
// /dev/shm with real files in it. Nothing here touches the machine's /dev/shm.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AccessDenied } from '../../src/host/errors.js';
import { createHost, type Host } from '../../src/host/host.js';
import { devString } from '../../src/host/shm-dir.js';
import { mapsDevField } from '../../src/os/linux/proc-maps.js';
import { linuxShm, shmVisibility } from '../../src/probes/shm.linux.js';
import { collectShm } from '../../src/probes/shm.js';
import { procTree, PY, SPAWN, type FakeProc } from '../helpers/builders.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const INIT_PID = 'pid:[4026531836]';
const INIT_IPC = 'ipc:[4026531839]';

interface Machine {
  proc: string;
  shm: string;
  /** A maps line for the file `name` of the shm dir (its real device and inode), under `path`. */
  mapLine(name: string, path?: string, dev?: string): string;
}

function machine(procs: FakeProc[], files: Record<string, number | 'dir'>, ns: { pid?: string; ipc?: string } = { pid: INIT_PID, ipc: INIT_IPC }): Machine {
  const proc = procTree(procs);
  const shm = mkdtempSync(join(tmpdir(), 'rd-shm-'));
  dirs.push(proc, shm);
  for (const [name, size] of Object.entries(files)) {
    if (size === 'dir') mkdirSync(join(shm, name));
    else writeFileSync(join(shm, name), Buffer.alloc(size, 1));
  }
  // Every process has a maps file (empty: nothing mapped); a missing one reads as a process gone.
  for (const p of procs) writeFileSync(join(proc, String(p.pid), 'maps'), '');
  mkdirSync(join(proc, '1', 'ns'), { recursive: true });
  if (ns.pid) symlinkSync(ns.pid, join(proc, '1', 'ns', 'pid'));
  if (ns.ipc) symlinkSync(ns.ipc, join(proc, '1', 'ns', 'ipc'));
  return {
    proc,
    shm,
    mapLine(name, path = `/dev/shm/${name}`, dev) {
      const st = statSync(join(shm, name));
      return `7f0000000000-7f0000100000 rw-s 00000000${mapsDevField(dev ?? devString(st.dev))!}${st.ino}                          ${path}`;
    },
  };
}

const writeMaps = (m: Machine, pid: number, lines: string[]) => writeFileSync(join(m.proc, String(pid), 'maps'), lines.join('\n') + '\n');
const hostOf = (m: Machine): Host => createHost({ platform: 'linux', procRoot: m.proc, shmRoot: m.shm, etcRoot: m.proc });
const INIT: FakeProc = { pid: 1, ppid: 0, argv: ['/sbin/init'], comm: 'systemd', pgid: 1, sid: 1, startTicks: 1, uid: 0 };

test('segments of the known kinds with size, owner and times; holders by fd and by maps (device + inode); other entries counted', async () => {
  const m = machine(
    [INIT, { pid: 100, ppid: 1, argv: [PY, '-m', 'src.main'], pgid: 100, startTicks: 500 }, { pid: 101, ppid: 100, argv: SPAWN, pgid: 100, startTicks: 510 }, { pid: 102, ppid: 1, argv: ['/bin/sleep', '99'], startTicks: 520 }],
    { psm_aaaa0001: 4096, psm_bbbb0002: 8192, 'sem.mp-abc': 32, torch_77_123_0: 1024, 'nccl-x1': 64, 'notes.txt': 10, joblib_memmapping_folder_1_x: 'dir' },
  );
  writeMaps(m, 100, ['55d0-55d1 r--p 00000000 fe:00 12 /usr/bin/python3.11', m.mapLine('psm_aaaa0001'), m.mapLine('sem.mp-abc', '/dev/shm/sem.Zx81ab (deleted)')]);
  // 101 has psm_bbbb0002 open (an fd, no mapping); its maps name psm_aaaa0001 on another device: not it.
  symlinkSync(join(m.shm, 'psm_bbbb0002'), join(m.proc, '101', 'fd', '7'));
  writeMaps(m, 101, [m.mapLine('psm_aaaa0001', '/dev/shm/psm_aaaa0001', '0:9999')]);
  const r = await linuxShm(hostOf(m));
  assert.equal(r.status, 'ok');
  if (r.status !== 'ok') return;
  const v = r.value;
  assert.deepEqual(v.segments.map((s) => [s.name, s.kind]), [['nccl-x1', 'nccl'], ['psm_aaaa0001', 'psm'], ['psm_bbbb0002', 'psm'], ['sem.mp-abc', 'sem'], ['torch_77_123_0', 'torch']]);
  const by = new Map(v.segments.map((s) => [s.name, s]));
  assert.deepEqual(by.get('psm_aaaa0001')!.holders, [{ pid: 100, fd: false, map: true }]);
  assert.deepEqual(by.get('psm_bbbb0002')!.holders, [{ pid: 101, fd: true, map: false }]);
  assert.deepEqual(by.get('sem.mp-abc')!.holders, [{ pid: 100, fd: false, map: true }], 'mapped under its deleted temporary name: matched by inode');
  assert.deepEqual(by.get('torch_77_123_0')!.holders, []);
  assert.equal(by.get('torch_77_123_0')!.creatorPid, 77);
  const psm = by.get('psm_bbbb0002')!;
  const st = statSync(join(m.shm, 'psm_bbbb0002'));
  assert.equal(psm.bytes, 8192);
  assert.equal(psm.uid, st.uid);
  assert.equal(psm.ino, st.ino);
  assert.equal(psm.mtimeMs, st.mtimeMs);
  assert.ok(Date.parse(psm.createdAt) <= Date.parse(psm.changedAt), 'made before (or when) last written');
  assert.deepEqual({ count: v.other.count, examples: [...v.other.examples].sort() }, { count: 2, examples: ['joblib_memmapping_folder_1_x/', 'notes.txt'] });
  assert.ok(v.usage !== null && v.usage.totalBytes > 0 && v.usage.percent >= 0 && v.usage.percent <= 100, 'statfs read');
  assert.deepEqual(v.visibility.complete, true);
  assert.equal(v.scanned, 4);
  assert.deepEqual(v.unreadable, []);
});

test('nothing of the known kinds: no process is read (the maps walk costs)', async () => {
  const m = machine([INIT, { pid: 100, ppid: 1, argv: [PY], startTicks: 5 }], { 'notes.txt': 3 });
  const base = hostOf(m);
  const reads: string[] = [];
  const host: Host = { ...base, proc: { ...base.proc, read: (rel, o) => (reads.push(rel), base.proc.read(rel, o)), fdLinks: (pid) => (reads.push(`${pid}/fd`), base.proc.fdLinks(pid)) } };
  const r = await linuxShm(host);
  assert.equal(r.status, 'ok');
  if (r.status === 'ok') assert.deepEqual([r.value.segments.length, r.value.scanned, r.value.other.count], [0, 0, 1]);
  assert.deepEqual(reads, []);
});

test('unreadable fds or maps: each such process is listed with its owner uid, and an issue says so', async () => {
  const m = machine([INIT, { pid: 100, ppid: 1, argv: [PY], startTicks: 5, uid: 1000 }, { pid: 200, ppid: 1, argv: ['/usr/sbin/sshd'], startTicks: 6, uid: 0 }], { psm_aaaa0001: 16 });
  const base = hostOf(m);
  const host: Host = {
    ...base,
    proc: {
      ...base.proc,
      read: (rel, o) => {
        if (rel === '200/maps') throw new AccessDenied('denied');
        return base.proc.read(rel, o);
      },
    },
  };
  const r = await linuxShm(host);
  assert.equal(r.status, 'ok');
  if (r.status !== 'ok') return;
  assert.deepEqual(r.value.unreadable, [{ uid: 0, pids: [200] }]);
  assert.ok(r.issues.some((i) => i.kind === 'access-denied' && i.pids?.includes(200)), 'an access-denied issue names the pid');
  assert.equal(r.value.scanned, 2);
});

test('visibility: the first PID namespace sees all; a namespace of its own in the machine IPC namespace does not; its own IPC namespace does', () => {
  const look = (ns: { pid?: string; ipc?: string }) => shmVisibility(hostOf(machine([INIT], {}, ns)));
  assert.equal(look({ pid: INIT_PID, ipc: INIT_IPC }).complete, true);
  const shared = look({ pid: 'pid:[4026532179]', ipc: INIT_IPC });
  assert.equal(shared.complete, false);
  assert.match(shared.reason, /--ipc=host/);
  assert.equal(look({ pid: 'pid:[4026532179]', ipc: 'ipc:[4026532180]' }).complete, true);
  assert.equal(look({}).complete, false, 'unreadable: not known to be complete');
});

test('the listing limit: the rest counted, not listed; names: only those; a missing directory is unavailable; macOS is unavailable', async () => {
  const m = machine([INIT], { psm_a1: 10, psm_a2: 10, psm_a3: 10 });
  const limited = await linuxShm(hostOf(m), { limit: 2 });
  assert.ok(limited.status === 'ok' && limited.value.segments.length === 2 && limited.value.unlisted.count === 1, 'two listed, one counted');
  const named = await linuxShm(hostOf(m), { names: ['psm_a3', 'psm_gone'] });
  assert.ok(named.status === 'ok', 'names read');
  if (named.status === 'ok') assert.deepEqual(named.value.segments.map((s) => s.name), ['psm_a3']);
  const none = await linuxShm(createHost({ platform: 'linux', procRoot: m.proc, shmRoot: join(m.shm, 'absent') }));
  assert.equal(none.status, 'unavailable');
  if (none.status === 'unavailable') assert.match(none.reason, /does not exist/);
  // Beside a --proc-root: /host/proc → /host/dev/shm.
  assert.equal(createHost({ platform: 'linux', procRoot: '/host/proc' }).shm.root, '/host/dev/shm');
  assert.equal(createHost({ platform: 'linux' }).shm.root, '/dev/shm');
  const mac = await collectShm(createHost({ platform: 'darwin' }));
  assert.equal(mac.status, 'unavailable');
  if (mac.status === 'unavailable') assert.match(mac.reason, /cannot be listed on macOS/);
});
