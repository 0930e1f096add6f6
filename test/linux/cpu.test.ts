// The CPU facts cpu-oversubscribed reads: status' Threads, involuntary switches and affinity
// (captured files), cgroup paths and quota files (v2 cpu.max, v1 CFS, in the kernel's formats),
// and the probe that reads the quota of each distinct cgroup over a fixture /sys tree.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { createHost } from '../../src/host/host.js';
import { cpuListCount } from '../../src/model/cpu.js';
import { cgroupAncestry, parseCfsQuota, parseCpuCgroup, parseCpuMax } from '../../src/os/linux/cgroup-cpu.js';
import { parseProcStatus } from '../../src/os/linux/proc-pid.js';
import { collectCpu, MAX_CGROUPS } from '../../src/probes/cpu.js';
import { linuxProcesses } from '../../src/probes/processes.linux.js';
import { procTree, SPAWN } from '../helpers/builders.js';
import { fixture } from '../helpers/paths.js';

const cap = (name: string) => readFileSync(fixture('linux', 'captured', name), 'utf8');
const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function files(tree: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'rd-cpu-'));
  roots.push(root);
  for (const [rel, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

test('status: Threads, the main thread\'s involuntary switches and the affinity list', () => {
  const st = parseProcStatus(cap('status-threads'));
  assert.equal(st.threads, 3);
  assert.equal(st.involuntarySwitches, 230);
  assert.equal(st.cpusAllowed, '0-1');
  const one = parseProcStatus(cap('status-parens'));
  assert.deepEqual([one.threads, one.involuntarySwitches, one.cpusAllowed], [1, 2, '0-1']);
  // Absent (a kernel before 2.6.26 has no Cpus_allowed_list) or malformed: null, never a guess.
  assert.deepEqual(parseProcStatus('Name:\tx\nThreads:\tmany\nCpus_allowed_list:\t0-\n'), { uid: null, rssBytes: null, nsPid: null, nsPids: null, sigIgn: null, sigPnd: null, shdPnd: null, threads: null, involuntarySwitches: null, cpusAllowed: null });
});

test('cpu lists: ranges and singles counted; anything else is not a list', () => {
  assert.equal(cpuListCount('0-3,8,10-11'), 7);
  assert.equal(cpuListCount('0'), 1);
  assert.equal(cpuListCount('0-1\n'), 2);
  for (const bad of ['', 'x', '3-1', '0,,1', '0-1-2']) assert.equal(cpuListCount(bad), null, bad);
});

test('cgroup: the cpu controller\'s hierarchy (v1 on a hybrid system), else the unified one', () => {
  const hybrid = '9:name=systemd:/\n4:memory:/app\n2:cpuacct:/\n1:cpu:/\n0::/\n';
  assert.deepEqual(parseCpuCgroup(hybrid), { version: 1, controllers: 'cpu', path: '/' });
  assert.deepEqual(parseCpuCgroup('11:cpu,cpuacct:/docker/4f1c\n1:name=systemd:/docker/4f1c\n'), { version: 1, controllers: 'cpu,cpuacct', path: '/docker/4f1c' });
  assert.deepEqual(parseCpuCgroup('0::/system.slice/inference.service\n'), { version: 2, controllers: null, path: '/system.slice/inference.service' });
  assert.equal(parseCpuCgroup(''), null);
  assert.deepEqual(cgroupAncestry('/a/b'), ['/a/b', '/a', '/']);
  assert.deepEqual(cgroupAncestry('/'), ['/']);
});

test('quota files: cpu.max and the CFS pair; "max" and -1 are no limit', () => {
  assert.equal(parseCpuMax('max 100000\n'), null);
  assert.deepEqual(parseCpuMax('150000 100000\n'), { quotaUs: 150000, periodUs: 100000 });
  assert.deepEqual(parseCpuMax('50000\n'), { quotaUs: 50000, periodUs: 100000 });
  assert.equal(parseCpuMax('garbage'), null);
  assert.equal(parseCfsQuota('-1\n', '100000\n'), null);
  assert.deepEqual(parseCfsQuota('200000\n', '100000\n'), { quotaUs: 200000, periodUs: 100000 });
});

test('probe: the tightest quota on each cgroup\'s path, v2 and v1; CPUs online; macOS unavailable', async () => {
  const proc = files({
    '10/cgroup': '0::/kubepods/pod1/c1\n',
    '11/cgroup': '0::/kubepods/pod1/c1\n',
    '12/cgroup': '4:cpu,cpuacct:/docker/4f1c\n0::/\n',
    '13/cgroup': '0::/free\n',
  });
  const sys = files({
    'devices/system/cpu/online': '0-7\n',
    'fs/cgroup/kubepods/pod1/c1/cpu.max': 'max 100000\n',
    'fs/cgroup/kubepods/pod1/cpu.max': '300000 100000\n',
    'fs/cgroup/kubepods/cpu.max': '200000 100000\n',
    'fs/cgroup/free/cpu.max': 'max 100000\n',
    'fs/cgroup/cpu,cpuacct/docker/4f1c/cpu.cfs_quota_us': '150000\n',
    'fs/cgroup/cpu,cpuacct/docker/4f1c/cpu.cfs_period_us': '100000\n',
  });
  const host = createHost({ platform: 'linux', procRoot: proc, sysRoot: sys });
  const o = await collectCpu(host, [10, 11, 12, 13, 99]);
  assert.equal(o.status, 'ok');
  if (o.status !== 'ok') return;
  assert.equal(o.value.online, '0-7');
  const [k8s, docker, free] = o.value.cgroups;
  assert.deepEqual(k8s, { cgroup: '/kubepods/pod1/c1', version: 2, pids: [10, 11], quota: { source: join(sys, 'fs/cgroup/kubepods/cpu.max'), quotaUs: 200000, periodUs: 100000, cores: 2 } }, "an ancestor's tighter limit applies");
  assert.equal(docker!.quota!.cores, 1.5);
  assert.equal(docker!.version, 1);
  assert.equal(free!.quota, null, 'max: no limit');
  assert.ok(o.issues.some((i) => /1 process/.test(i.message)), 'the pid that ended is said');
  const none = await collectCpu(createHost({ platform: 'linux', procRoot: proc, sysRoot: files({}) }), [10]);
  assert.equal(none.status, 'unavailable');
  const mac = await collectCpu(createHost({ platform: 'darwin', procRoot: proc, sysRoot: sys }), [10]);
  assert.equal(mac.status, 'unavailable');
  if (mac.status === 'unavailable') assert.match(mac.reason, /macOS/);
  // Bounded: at most MAX_CGROUPS distinct cgroups are read, and that is said.
  const many = Object.fromEntries(Array.from({ length: MAX_CGROUPS + 4 }, (_, i) => [`${100 + i}/cgroup`, `0::/g${i}\n`]));
  const manySys = files(Object.fromEntries(Array.from({ length: MAX_CGROUPS + 4 }, (_, i) => [`fs/cgroup/g${i}/cpu.max`, 'max 100000\n'])));
  const capped = await collectCpu(createHost({ platform: 'linux', procRoot: files(many), sysRoot: manySys }), Array.from({ length: MAX_CGROUPS + 4 }, (_, i) => 100 + i));
  assert.equal(capped.status === 'ok' && capped.value.cgroups.length, MAX_CGROUPS);
  assert.ok(capped.status === 'ok' && capped.issues.some((i) => /first 16 distinct cgroups/.test(i.message)), "the cap is said");
});

test('census: an enriched process carries its thread count, switches and affinity from status', async () => {
  const root = procTree([{ pid: 40, ppid: 1, argv: SPAWN }]);
  roots.push(root);
  writeFileSync(join(root, '40', 'status'), cap('status-threads'));
  const o = await linuxProcesses(createHost({ platform: 'linux', procRoot: root, etcRoot: root }), { enrich: () => new Set([40]) });
  assert.equal(o.status, 'ok');
  const p = o.status === 'ok' ? o.value.find((x) => x.pid === 40) : undefined;
  assert.deepEqual([p?.threads, p?.involuntarySwitches, p?.cpusAllowed], [3, 230, '0-1']);
});
