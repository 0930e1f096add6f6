// A process table that churns during the census (processes starting and exiting) never crashes it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { takeCensus } from '../../src/census/census.js';
import { createHost } from '../../src/host/host.js';
import { cleanup, PYTHON } from '../helpers/live.js';

const tracked = new Set<number>();
const groups: number[] = [];
after(() => cleanup(tracked, groups));

test('census under churn: 30 censuses while short-lived processes start and exit', async () => {
  // Forks and reaps short-lived children as fast as it can, for at most 20 s.
  const churn = spawn(PYTHON, ['-c', 'import subprocess,time\nend=time.time()+20\nwhile time.time()<end:\n  ps=[subprocess.Popen(["/bin/sleep","0.01"]) for _ in range(8)]\n  [p.wait() for p in ps]'], { detached: true, stdio: 'ignore' });
  tracked.add(churn.pid!);
  groups.push(churn.pid!);
  const host = createHost();
  const opts = { serverPattern: /python.*-m src\.main/, workerPatterns: [], ports: [50051, 8080], generationGapSeconds: 30, projectRoot: null };
  let sawChurn = 0;
  for (let i = 0; i < 30; i++) {
    const c = await takeCensus(host, opts, { enrichAll: true });
    assert.ok(c.snapshot.probes.every((p) => p.status === 'ok'), JSON.stringify(c.snapshot.probes));
    // Inside the tests' private PID namespace the table is small: it must still hold us and the churner.
    assert.ok(c.processes.some((p) => p.pid === process.pid) && c.processes.some((p) => p.pid === churn.pid), 'the census lists this test and the churning process');
    if (c.processes.some((p) => p.ppid === churn.pid)) sawChurn++;
  }
  assert.ok(sawChurn > 0, 'the census did see the churning children');
  const exited = new Promise((r) => churn.once('exit', r));
  process.kill(-churn.pid!, 'SIGKILL');
  await exited;
});
