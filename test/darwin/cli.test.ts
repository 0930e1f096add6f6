// The darwin code path end to end through the CLI, on Linux: fake ps/lsof first on PATH print
// captures reconstructed from published macOS samples (test/fixtures/darwin/SOURCE.md).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../helpers/paths.js';
import { runCli } from '../helpers/live.js';

const env = {
  RERUN_DOCTOR_PLATFORM: 'darwin',
  PATH: `${fixture('bin', 'darwin')}:${process.env.PATH}`,
  RERUN_DOCTOR_FIXTURE_DIR: fixture('darwin', 'orphaned-spawn'),
};

interface Proc { pid: number; role: string; kind: string; orphan: boolean; orphanReason: string | null; generation: number; zombie: boolean; sid: number | null; cwd: string | null; exe: string | null }

test('darwin procs: the orphaned spawn workers and tracker at launchd, not launchd services; the live run is current', async () => {
  const r = await runCli(['procs', '--json', '--project', '/Users/dev/src/infer-server'], { env });
  assert.equal(r.code, 1, r.stderr);
  const j = JSON.parse(r.stdout) as { platform: string; processes: Proc[]; generations: Array<{ id: number; status: string; pids: number[] }> };
  assert.equal(j.platform, 'darwin');
  const by = new Map(j.processes.map((p) => [p.pid, p]));
  assert.deepEqual(j.processes.filter((p) => p.orphan).map((p) => p.pid), [4102, 4103, 4104]);
  assert.match(by.get(4103)!.orphanReason!, /launchd/);
  assert.equal(by.get(4102)!.kind, 'resource-tracker');
  assert.equal(by.get(5310)!.role, 'server');
  assert.equal(by.get(5310)!.orphan, false);
  assert.equal(by.get(5313)!.kind, 'spawn-worker');
  assert.equal(by.get(5315)!.zombie, true);
  assert.equal(by.get(5315)!.orphan, false);
  assert.equal(by.get(5310)!.sid, null, 'macOS ps gives no session id');
  assert.equal(by.get(4103)!.cwd, '/Users/dev/src/infer-server', 'cwd from lsof for project processes');
  for (const svc of [301, 305, 330, 520, 611]) assert.equal(by.get(svc), undefined, `launchd service ${svc} is not a project process`);
  const g = new Map(j.generations.map((x) => [x.id, x]));
  assert.equal(by.get(4102)!.generation, by.get(4104)!.generation, 'one orphaned run');
  assert.equal(g.get(by.get(4103)!.generation)!.status, 'orphaned');
  assert.equal(g.get(by.get(5310)!.generation)!.status, 'running');
});

test('darwin ports: two sockets on :50051 by DEVICE (one an orphan\'s), 8080 on v4 and v6 loopback', async () => {
  const r = await runCli(['ports', '--json'], { env });
  assert.equal(r.code, 1, 'held by an orphan');
  const j = JSON.parse(r.stdout) as { ports: Array<{ port: number; topology: string; heldByOrphan: boolean; sockets: Array<{ id: string; address: string; owners: Array<{ pid: number; orphan: boolean }> }> }> };
  const [grpc, metrics] = j.ports;
  assert.equal(grpc!.port, 50051);
  assert.equal(grpc!.topology, 'duplicated');
  assert.deepEqual(grpc!.sockets.map((s) => [s.id, s.owners.map((o) => [o.pid, o.orphan])]).sort(), [
    ['0x7c3e5a1fa0d6c1e9', [[4103, true]]],
    ['0x7c3e5a1fa31e9a51', [[5310, false]]],
  ]);
  assert.equal(metrics!.topology, 'separate');
  assert.deepEqual(metrics!.sockets.map((s) => s.address).sort(), ['127.0.0.1', '::1']);
  const shared = await runCli(['ports', '9000', '--json'], { env });
  const p9000 = (JSON.parse(shared.stdout) as { ports: Array<{ topology: string; sockets: Array<{ owners: Array<{ pid: number }> }> }> }).ports[0]!;
  assert.equal(p9000.topology, 'inherited');
  assert.deepEqual(p9000.sockets[0]!.owners.map((o) => o.pid).sort(), [5310, 5313]);
});

test('darwin text output names launchd and the orphans', async () => {
  const r = await runCli(['procs', '--project', '/Users/dev/src/infer-server'], { env });
  assert.match(r.stdout, /3 orphans/);
  assert.match(r.stdout, /re-parented to init 1 \(launchd\)/);
});
