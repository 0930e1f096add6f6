// shm-leak and clean --shm on real processes: a server that makes shared memory the way inference
// servers do (test/fixtures/shm/shm_server.py: multiprocessing.shared_memory segments, a spawn
// Lock's named semaphore, a torch tensor shared with the file_system strategy) is SIGKILLed with
// its resource tracker and torch_shm_manager, so its segments stay; a healthy rerun beside it maps
// its own. Each scenario runs in a sandbox (test/helpers/sandbox.ts) with its own PID, mount and
// IPC namespaces and a tmpfs of its own mounted over /dev/shm: the machine's /dev/shm is never
// read, written or unlinked from here.
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync } from 'node:fs';
import { test } from 'node:test';
import { fixture } from '../helpers/paths.js';
import { runSandbox, sandboxSkipReason, type SandboxResult } from '../helpers/sandbox.js';

const skip = sandboxSkipReason();
const TEST_TIMEOUT = 300_000;

const files = {
  'src/shm_server.py': readFileSync(fixture('shm', 'shm_server.py'), 'utf8'),
  'rerun-doctor.json': JSON.stringify({ 'server-pattern': 'python.*-m src\\.shm_server' }),
};

/**
 * The private /dev/shm (after checking that the mount and IPC namespaces are not the machine's),
 * the dead run (SIGKILLed: torch_shm_manager first, so that it cannot unlink the torch segment on
 * seeing its clients go, then the tracker and the main; one spawn worker survives as an orphan,
 * still mapping the 4 MiB segment)
 * and, 1.5 s later, the healthy rerun, its worker mapping its segment.
 */
const SETUP = `
[[ $(readlink /proc/self/ns/mnt) != "$HOST_MNT_NS" ]] || fail "the sandbox has no mount namespace of its own: not mounting over /dev/shm"
[[ $(readlink /proc/self/ns/ipc) != "$HOST_IPC_NS" ]] || fail "the sandbox has no IPC namespace of its own"
mount -t tmpfs -o size=64m,mode=1777 rd-shm-test /dev/shm
[[ $(stat -f -c %T /dev/shm) == tmpfs ]] || fail "no tmpfs on /dev/shm"
[[ -z $(ls -A /dev/shm) ]] || fail "the private /dev/shm is not empty"
shm_ls() { ls -1 /dev/shm >"$OUT/marks/shm-$1"; }
start dead "$PY" -m src.shm_server --mapped 4 --closed 2 --lock --torch --attach
wait_ready dead 120
dw=$(pid dead.workers)
for _ in $(seq 200); do grep -q ' /dev/shm/psm_' "/proc/$dw/maps" && break; sleep 0.05; done
grep -q ' /dev/shm/psm_' "/proc/$dw/maps" || fail "the dead run's worker never mapped its segment"
mgr=$(grep -o '"shm_manager": [0-9]*' "$OUT/logs/dead.out" | grep -o '[0-9]*$') || fail "no torch_shm_manager pid"
record dead.mgr "$mgr"
sig KILL "$mgr" $(pid dead.tracker) $(pid dead.main)
wait_gone "$mgr" $(pid dead.tracker) $(pid dead.main)
shm_ls killed
settle 1.5
start live "$PY" -m src.shm_server --mapped 1 --lock --attach
wait_ready live
w=$(pid live.workers)
for _ in $(seq 200); do grep -q ' /dev/shm/psm_' "/proc/$w/maps" && break; sleep 0.05; done
grep -q ' /dev/shm/psm_' "/proc/$w/maps" || fail "the live worker never mapped its segment"
shm_ls live
`;

interface Ready {
  main: number;
  workers: number[];
  segments: string[];
}
interface DiagnosisJson {
  findings: Array<{ id: string; messageId: string; evidence: Array<{ source: string; text: string }>; pids: number[] }>;
}
interface CleanJson {
  schemaVersion: number;
  plan: { targets: Array<{ pid: number }> };
  shm: { enabled: boolean; targets: Array<{ name: string; why: string; after: number[] }>; left: Array<{ name: string; state: string; why: string }> } | null;
  report: { results: Array<{ pid: number; outcome: string }> } | null;
  shmReport: { results: Array<{ name: string; outcome: string; detail: string }> } | null;
}

const ready = (r: SandboxResult, name: string) => JSON.parse(r.log(name).split('\n').find((l) => l.startsWith('{"ready"'))!) as Ready;
const listing = (r: SandboxResult, name: string) => (r.mark(`shm-${name}`) ?? '').split('\n').filter(Boolean).sort();
const sorted = (xs: string[]) => [...xs].sort();
const env = () => ({ HOST_MNT_NS: readlinkSync('/proc/self/ns/mnt'), HOST_IPC_NS: readlinkSync('/proc/self/ns/ipc') });

function sandbox(name: string, steps: string): Promise<SandboxResult> {
  return runSandbox({ name, files, env: env(), timeoutMs: 150_000, script: SETUP + steps });
}

/** What the scenario made: the dead run's segments (all left by the kill) and the healthy run's. */
function made(r: SandboxResult) {
  const dead = ready(r, 'dead');
  const live = ready(r, 'live');
  assert.equal(dead.segments.length, 4, `psm mapped, psm closed, a semaphore, a torch segment: ${dead.segments.join(', ')}`);
  assert.ok(dead.segments.some((n) => n.startsWith(`torch_${dead.main}_`)), 'the torch segment names its creator');
  assert.deepEqual(listing(r, 'killed'), sorted(dead.segments), 'the kill left every segment of the dead run');
  assert.deepEqual(listing(r, 'live'), sorted([...dead.segments, ...live.segments]), 'and the healthy run added its own');
  return { dead, live };
}

test('diagnose reports exactly the dead run\'s segments; clean --shm --yes ends its orphan and unlinks exactly those; the healthy run and its mapped segments stay', { skip, timeout: TEST_TIMEOUT }, async () => {
  const r = await sandbox(
    'shm-clean',
    `
cli diag diagnose --json --no-metrics --quick
cli dry clean --shm --dry-run --json
cli plain-dry clean --dry-run
cli clean clean --shm --yes --json --grace 2s
shm_ls after
alive after $(pids live.run)
alive orphan $(pid dead.workers)
cli diag2 diagnose --json --no-metrics --quick
`,
  );
  const { dead, live } = made(r);
  const d = r.cli('diag').json<DiagnosisJson>();
  const leak = d.findings.find((f) => f.id === 'shm-leak');
  assert.ok(leak, `a shm-leak finding: ${r.cli('diag').stdout.slice(0, 2000)}`);
  assert.equal(leak.messageId, 'leaked');
  const listed = leak.evidence.filter((e) => e.source.startsWith('/dev/shm/')).map((e) => e.source.slice('/dev/shm/'.length));
  assert.deepEqual(sorted(listed), sorted(dead.segments), 'exactly the dead run\'s segments are reported');
  const [mapped] = dead.segments;
  for (const e of leak.evidence.filter((x) => x.source.startsWith('/dev/shm/'))) {
    if (e.source === `/dev/shm/${mapped}`) assert.match(e.text, new RegExp(`held only by processes of dead runs: pid ${dead.workers[0]} \\(worker/spawn-worker, run \\d+, orphaned\\) maps it`));
    else assert.match(e.text, /no live process holds it.*while dead run \d+ \(orphaned, this project's\) was alive/);
  }
  assert.ok(d.findings.some((f) => f.id === 'orphan-workers' && f.pids.includes(dead.workers[0]!)), 'the orphaned worker is reported too');

  const dry = r.cli('dry').json<CleanJson>();
  assert.equal(dry.schemaVersion, 3);
  assert.deepEqual(sorted(dry.shm!.targets.map((t) => t.name)), sorted(dead.segments), 'the dry run plans exactly them');
  assert.deepEqual(dry.shm!.targets.find((t) => t.name === mapped)!.after, dead.workers, 'the one the orphan maps: once the orphan is ended');
  assert.deepEqual(dry.plan.targets.map((t) => t.pid), dead.workers, 'and the orphan');
  assert.match(r.cli('plain-dry').stdout, /4 segments \(.*\) of dead runs, left as they are: clean --shm unlinks them/, 'without --shm the plan mentions them');

  const c = r.cli('clean');
  assert.equal(c.code, 0, c.stdout + c.stderr);
  const cleaned = c.json<CleanJson>();
  assert.deepEqual(cleaned.report!.results.map((x) => [x.pid, x.outcome]), [[dead.workers[0], 'terminated']]);
  assert.deepEqual(sorted(cleaned.shmReport!.results.map((x) => x.name)), sorted(dead.segments));
  for (const x of cleaned.shmReport!.results) assert.equal(x.outcome, 'unlinked', `${x.name}: ${x.detail}`);
  assert.deepEqual(listing(r, 'after'), sorted(live.segments), 'only the healthy run\'s segments are left');
  for (const [pid, up] of r.alive('after')) assert.equal(up, true, `healthy pid ${pid} is alive after clean --shm`);
  assert.equal(r.alive('orphan').get(dead.workers[0]!), false, 'the orphan was ended');
  const after = r.cli('diag2').json<DiagnosisJson>();
  assert.deepEqual(after.findings.filter((f) => f.id === 'shm-leak' || f.id === 'orphan-workers'), [], 'nothing is left to report');
});

test('without --shm nothing is unlinked; once the dead run is gone, clean --shm leaves its segments (whose project cannot be told) until --all-projects', { skip, timeout: TEST_TIMEOUT }, async () => {
  const r = await sandbox(
    'shm-all-projects',
    `
cli plain clean --yes --json --grace 2s
shm_ls plain
cli shm clean --shm --yes --json
shm_ls shm
cli all clean --shm --all-projects --yes --json
shm_ls all
alive after $(pids live.run)
`,
  );
  const { dead, live } = made(r);
  const plain = r.cli('plain').json<CleanJson>();
  assert.deepEqual(plain.report!.results.map((x) => x.pid), dead.workers, 'the orphan ended');
  assert.equal(plain.shm!.enabled, false);
  assert.deepEqual(sorted(plain.shm!.targets.map((t) => t.name)), sorted(dead.segments), 'mentioned, as what --shm would unlink');
  assert.equal(plain.shmReport, null);
  assert.deepEqual(listing(r, 'plain'), sorted([...dead.segments, ...live.segments]), 'without --shm no segment is touched');

  const shm = r.cli('shm').json<CleanJson>();
  assert.deepEqual(shm.shm!.targets, []);
  assert.deepEqual(sorted(shm.shm!.left.map((l) => l.name)), sorted(dead.segments));
  for (const l of shm.shm!.left) assert.match(l.why, /the run that made it is gone.*pass --all-projects to remove it/);
  assert.deepEqual(listing(r, 'shm'), sorted([...dead.segments, ...live.segments]));

  const all = r.cli('all');
  assert.equal(all.code, 0, all.stdout + all.stderr);
  assert.deepEqual(sorted(all.json<CleanJson>().shmReport!.results.filter((x) => x.outcome === 'unlinked').map((x) => x.name)), sorted(dead.segments));
  assert.deepEqual(listing(r, 'all'), sorted(live.segments), 'the healthy run\'s mapped segments stay');
  for (const [pid, up] of r.alive('after')) assert.equal(up, true, `healthy pid ${pid} is alive`);
});
