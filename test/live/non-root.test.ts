// Without root: other users' fd tables, exe and cwd are unreadable. The census keeps what it can
// see (the socket, the process rows) and says what it could not see and why.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, test } from 'node:test';
import { CLI, cleanup, freePort, startServer, waitListening } from '../helpers/live.js';
import { ROOT } from '../helpers/paths.js';

const tracked = new Set<number>();
const groups: number[] = [];
after(() => cleanup(tracked, groups));

const isRoot = process.getuid?.() === 0;

function asNobody(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, ...args], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: '/nonexistent', NO_COLOR: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 99) : 0, stdout, stderr });
    });
  });
}

test('as another user: root\'s listener is found with no visible owner, and the output says why', { skip: isRoot ? false : 'needs root to run the CLI as nobody' }, async () => {
  const port = await freePort();
  const s = await startServer(['--workers', '1', '--port', String(port)], tracked);
  groups.push(s.pgid);
  await waitListening([port]);

  const ports = await asNobody(['ports', String(port), '--json']);
  assert.equal(ports.code, 0, ports.stderr);
  const pj = JSON.parse(ports.stdout) as { ports: Array<{ topology: string; sockets: Array<{ owners: unknown[] }> }>; issues: Array<{ kind: string; message: string; pids?: number[] }> };
  assert.equal(pj.ports[0]!.sockets.length, 1, 'the socket itself is visible in /proc/net');
  assert.deepEqual(pj.ports[0]!.sockets[0]!.owners, [], 'its owner is not');
  const denied = pj.issues.find((i) => i.kind === 'access-denied');
  assert.ok(denied && /run as root/.test(denied.message) && denied.pids?.includes(s.main), JSON.stringify(pj.issues));

  const text = await asNobody(['ports', String(port)]);
  assert.match(text.stdout, /owner not visible/);

  const procs = await asNobody(['procs', '--json', '--port', String(port)]);
  const j = JSON.parse(procs.stdout) as { processes: Array<{ pid: number; role: string; exe: string | null; cwd: string | null; argv: string[] }>; issues: Array<{ kind: string; message: string; pids?: number[] }> };
  const main = j.processes.find((p) => p.pid === s.main);
  assert.ok(main, 'the server row is kept');
  assert.equal(main.role, 'server', 'its argv is world-readable');
  assert.equal(main.exe, null);
  assert.equal(main.cwd, null);
  assert.ok(j.issues.some((i) => i.kind === 'access-denied' && /exe, cwd or fd table/.test(i.message) && i.pids?.includes(s.main)), JSON.stringify(j.issues));
});
