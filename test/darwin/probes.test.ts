// The darwin probes end to end on Linux: fake `ps`/`lsof` executables (test/fixtures/bin/darwin)
// first on PATH print captures from test/fixtures/darwin/<scenario>/, and reject any other argv.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost, type Host } from '../../src/host/host.js';
import type { Outcome } from '../../src/model/outcome.js';
import type { ProcessInfo, SnapshotIssue } from '../../src/model/snapshot.js';
import { darwinProcesses } from '../../src/probes/processes.darwin.js';
import { darwinSockets } from '../../src/probes/sockets.darwin.js';

const here = dirname(fileURLToPath(import.meta.url));
const FAKE_BIN = resolve(here, '../fixtures/bin/darwin');
const scenario = (name: string) => resolve(here, '../fixtures/darwin', name);

const tempDirs: string[] = [];
after(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

function darwinHost(fixtureDir: string, path = `${FAKE_BIN}${delimiter}${process.env.PATH ?? ''}`): Host {
  return createHost({ platform: 'darwin', env: { ...process.env, PATH: path, RERUN_DOCTOR_FIXTURE_DIR: fixtureDir } });
}

/** Absolute path of a system tool the fakes need (cat, awk), found on the real PATH. */
function systemTool(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  throw new Error(`${name} not found on PATH`);
}

/**
 * A bin dir holding exactly the given entries (symlinks to files, or small sh scripts), used as the
 * whole PATH so a real /usr/bin/lsof cannot stand in for a missing one.
 */
function isolatedBin(entries: Record<string, { link: string } | { script: string }>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rerun-doctor-darwin-bin-'));
  tempDirs.push(dir);
  for (const [name, e] of Object.entries(entries)) {
    if ('link' in e) symlinkSync(e.link, join(dir, name));
    else writeFileSync(join(dir, name), `#!/bin/sh\n${e.script}\n`, { mode: 0o755 });
  }
  return dir;
}

function okValue<T>(o: Outcome<T>): { value: T; issues: SnapshotIssue[] } {
  assert.equal(o.status, 'ok', o.status === 'ok' ? '' : o.reason);
  if (o.status !== 'ok') throw new Error('unreachable');
  return { value: o.value, issues: o.issues };
}

const PYTHON_PIDS = [4102, 4103, 4104, 5310, 5312, 5313, 5314];

test('processes: both ps calls merged, cwd filled for the enriched pids', async () => {
  let seen: ProcessInfo[] = [];
  const outcome = await darwinProcesses(darwinHost(scenario('orphaned-spawn')), {
    enrich: (rows) => {
      seen = rows;
      // The python processes plus the zombie (lsof has nothing for a zombie).
      return new Set([...PYTHON_PIDS, 5315, 999_999]);
    },
  });
  const { value: rows, issues } = okValue(outcome);
  assert.equal(outcome.source, 'ps -axww -o pid=,ppid=,pgid=,uid=,user=,state=,lstart=,rss=,time=,tty=,command=');
  assert.equal(seen.length, rows.length, 'enrich sees the basic rows');
  const byPid = new Map(rows.map((r) => [r.pid, r]));

  assert.equal(rows.length, 27);
  assert.deepEqual(rows.slice(0, 4).map((r) => r.pid), [1, 301, 305, 330]);

  // The orphans of the killed run: reparented to launchd, no terminal, their dead leader's pgid.
  for (const pid of [4102, 4103, 4104]) {
    const r = byPid.get(pid);
    // exe is never guessed from argv[0] (Apple's ps has no executable-path column); comm is p_comm.
    assert.deepEqual([r?.ppid, r?.pgid, r?.tty, r?.exe, r?.comm, r?.argv[0]], [1, 4100, null, null, 'Python', '/Users/dev/src/infer-server/.venv/bin/python3.11'], String(pid));
  }
  // The live run under zsh on ttys002.
  const server = byPid.get(5310);
  assert.deepEqual([server?.ppid, server?.tty, server?.argv, server?.comm, server?.exe], [
    5002,
    'ttys002',
    ['python', '-m', 'src.main'],
    'Python',
    null,
  ]);
  assert.deepEqual(
    rows.filter((r) => r.ppid === 5310).map((r) => r.pid),
    [5312, 5313, 5314, 5315],
  );

  // launchd and its services.
  assert.deepEqual([byPid.get(1)?.ppid, byPid.get(1)?.comm, byPid.get(1)?.exe], [0, 'launchd', null]);
  assert.equal(byPid.get(301)?.comm, 'logd');

  // p_comm with spaces comes whole from the ucomm= call even though argv[0] is cut at the space.
  assert.equal(byPid.get(702)?.argv[0], '/Applications/Visual');
  assert.equal(byPid.get(702)?.comm, 'Electron');
  assert.equal(byPid.get(738)?.comm, 'Code Helper (Plu');
  assert.ok((byPid.get(738)?.argv.join(' ').length ?? 0) > 2000, 'the long VS Code helper argv arrives whole');

  // A login shell: argv[0] is `-zsh`, p_comm `zsh`. The first ps exited before the ucomm= call.
  assert.deepEqual([byPid.get(1202)?.comm, byPid.get(1202)?.argv[0], byPid.get(1202)?.exe], ['zsh', '-zsh', null]);
  assert.deepEqual([byPid.get(6125)?.comm, byPid.get(6125)?.exe], ['ps', null]);
  assert.equal(byPid.has(6126), false, 'a pid only the second call saw is not invented');

  // Zombie.
  assert.deepEqual([byPid.get(5315)?.zombie, byPid.get(5315)?.state], [true, 'Z']);
  assert.equal(rows.filter((r) => r.zombie).length, 1);

  // cwd for the enriched pids only; the zombie's could not be read and says so.
  for (const pid of PYTHON_PIDS) assert.equal(byPid.get(pid)?.cwd, '/Users/dev/src/infer-server', String(pid));
  assert.equal(byPid.get(702)?.cwd, null, 'not asked for, not filled (though the capture has it)');
  assert.equal(byPid.get(5315)?.cwd, null);
  assert.deepEqual(
    issues.map((i) => [i.probe, i.kind, i.pids]),
    [['processes.darwin', 'access-denied', [5315]]],
  );

  // Start times: ps prints local time and the probe reads it in the local zone.
  assert.equal(byPid.get(4103)?.startKey, new Date(2025, 5, 17, 9, 12, 41).getTime() / 1000);
  assert.equal(byPid.get(4103)?.startTime, new Date(Date.UTC(2025, 5, 17, 9, 12, 41)).toISOString(), 'ps runs with TZ=UTC0, so lstart is UTC');

  // The snapshot row carries exactly ProcessInfo's fields (the parser's `command` stays behind).
  assert.equal('command' in (server ?? {}), false);
  assert.equal(byPid.get(4103)?.sid, null);
});

test('processes: no enrich option means no lsof call and no cwd', async () => {
  // PATH holds only ps (and what it needs): an lsof call would be "not found" and show up as an issue.
  const bin = isolatedBin({ ps: { link: join(FAKE_BIN, 'ps') }, cat: { link: systemTool('cat') } });
  const { value: rows, issues } = okValue(await darwinProcesses(darwinHost(scenario('orphaned-spawn'), bin), {}));
  assert.equal(rows.length, 27);
  assert.ok(rows.every((r) => r.cwd === null), 'no cwd without enrich');
  assert.deepEqual(issues, []);
});

test('processes: a failing cwd lookup is an issue, never a failure', async () => {
  const bin = isolatedBin({ ps: { link: join(FAKE_BIN, 'ps') }, cat: { link: systemTool('cat') } });
  const missing = okValue(await darwinProcesses(darwinHost(scenario('orphaned-spawn'), bin), { enrich: () => new Set([5310]) }));
  assert.equal(missing.value.length, 27);
  assert.deepEqual(
    missing.issues.map((i) => [i.kind, i.pids]),
    [['unavailable', [5310]]],
  );

  const brokenBin = isolatedBin({
    ps: { link: join(FAKE_BIN, 'ps') },
    cat: { link: systemTool('cat') },
    lsof: { script: 'echo "lsof: boom" >&2; exit 7' },
  });
  const broken = okValue(await darwinProcesses(darwinHost(scenario('orphaned-spawn'), brokenBin), { enrich: () => new Set([5310]) }));
  assert.deepEqual(
    broken.issues.map((i) => [i.kind, i.pids]),
    [['failed', [5310]]],
  );
  assert.match(broken.issues[0]?.message ?? '', /exit status 7: lsof: boom/);

  const throwing = okValue(
    await darwinProcesses(darwinHost(scenario('orphaned-spawn')), {
      enrich: () => {
        throw new Error('rule bug');
      },
    }),
  );
  assert.deepEqual(
    throwing.issues.map((i) => i.kind),
    ['failed'],
  );
});

test('processes: ps not on PATH is unavailable; ps called with unknown argv fails the probe', async () => {
  const empty = isolatedBin({});
  const none = await darwinProcesses(darwinHost(scenario('orphaned-spawn'), empty), {});
  assert.equal(none.status, 'unavailable');

  // A ps whose argv differs from the one the fake knows: the fake exits 2 with a message.
  const drifted = isolatedBin({ ps: { script: `exec '${join(FAKE_BIN, 'ps')}' -e "$@"` } });
  const outcome = await darwinProcesses(darwinHost(scenario('orphaned-spawn'), drifted), {});
  assert.equal(outcome.status, 'failed');
  assert.match(outcome.status === 'failed' ? outcome.reason : '', /exit status 2: fake ps: unrecognised arguments: -e -axww/);
});

test('processes: ps output with no parseable line fails instead of reporting no processes', async () => {
  const bin = isolatedBin({ ps: { script: 'echo "  PID COMMAND"; echo "    1 launchd"' } });
  const outcome = await darwinProcesses(darwinHost(scenario('orphaned-spawn'), bin), {});
  assert.equal(outcome.status, 'failed');
  assert.match(outcome.status === 'failed' ? outcome.reason : '', /line 1/);
});

test('sockets: separate sockets on 50051, one shared socket on 9000, v4 and v6 on 8080', async () => {
  const outcome = await darwinSockets(darwinHost(scenario('orphaned-spawn')));
  const { value: sockets, issues } = okValue(outcome);
  assert.equal(outcome.source, 'lsof -w -nP -iTCP -sTCP:LISTEN -FpcfdtnT0');
  assert.deepEqual(issues, []);

  const on = (port: number) => sockets.filter((s) => s.port === port);
  const grpc = on(50051);
  assert.equal(grpc.length, 2, 'SO_REUSEPORT: two sockets, two DEVICE addresses');
  assert.notEqual(grpc[0]?.id, grpc[1]?.id);
  assert.deepEqual(
    grpc.map((s) => s.owners),
    [[{ pid: 4103, fd: 9 }], [{ pid: 5310, fd: 12 }]],
  );
  assert.deepEqual(
    on(8080).map((s) => [s.address, s.family, s.owners.map((o) => o.pid)]),
    [
      ['::1', 6, [5310]],
      ['127.0.0.1', 4, [5310]],
    ],
  );
  const shared = on(9000);
  assert.equal(shared.length, 1, 'inherited: one socket');
  assert.deepEqual(
    shared[0]?.owners.map((o) => o.pid),
    [5310, 5313],
  );
  assert.ok(sockets.every((s) => s.source === 'lsof -F'), 'every socket names its source');
});

test('sockets: lsof exit 1 with output is partial data, reported as access-denied', async () => {
  const { value: sockets, issues } = okValue(await darwinSockets(darwinHost(scenario('lsof-partial'))));
  assert.deepEqual(
    sockets.map((s) => [s.address, s.port]),
    [
      ['::', 50051],
      ['127.0.0.1', 8080],
    ],
  );
  assert.deepEqual(
    issues.map((i) => [i.probe, i.kind]),
    [['sockets.darwin', 'access-denied']],
  );
  assert.match(issues[0]?.message ?? '', /other users/);
});

test('sockets: lsof exit 1 with no output means no listeners', async () => {
  const { value, issues } = okValue(await darwinSockets(darwinHost(scenario('no-listeners'))));
  assert.deepEqual(value, []);
  assert.deepEqual(issues, []);
});

test('sockets: lsof not on PATH is unavailable', async () => {
  const outcome = await darwinSockets(darwinHost(scenario('orphaned-spawn'), isolatedBin({})));
  assert.equal(outcome.status, 'unavailable');
  assert.equal(outcome.source, 'lsof -w -nP -iTCP -sTCP:LISTEN -FpcfdtnT0');
});

test('sockets: lsof called with unknown argv makes the fake fail and the probe report failed', async () => {
  const drifted = isolatedBin({ lsof: { script: `exec '${join(FAKE_BIN, 'lsof')}' "$@" -V` }, cat: { link: systemTool('cat') } });
  const outcome = await darwinSockets(darwinHost(scenario('orphaned-spawn'), drifted));
  assert.equal(outcome.status, 'failed');
  assert.match(outcome.status === 'failed' ? outcome.reason : '', /fake lsof: unrecognised arguments/);
});

test('sockets: a usage error with exit 1 and no output is a failure, not "no listeners"', async () => {
  const bin = isolatedBin({ lsof: { script: 'echo "lsof: unsupported TCP/TPI info selection: X" >&2; exit 1' } });
  const outcome = await darwinSockets(darwinHost(scenario('orphaned-spawn'), bin));
  assert.equal(outcome.status, 'failed');
});
