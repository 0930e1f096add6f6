// procs --redact and ports --redact on a real process whose argv carries secrets: a sleeping
// Python child, started here in a project directory of its own and holding a socket on
// 127.0.0.1 (port 0). Without --redact the command line is shown as it is (the secrets in clear:
// that is what --redact is for); with it, by the rules of the evidence bundle, in text and JSON.
// The child is ended by its pid in a finally, and checked gone.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { alive, PYTHON, runCli, waitFor } from '../helpers/live.js';

const API_KEY = `FAKE-api-key-${randomBytes(6).toString('hex')}`;
const DB_PASSWORD = `FAKEdb${randomBytes(6).toString('hex')}`;
const WANDB_KEY = `FAKEwandb${randomBytes(6).toString('hex')}`;
const SECRETS = [API_KEY, DB_PASSWORD, WANDB_KEY];
const MARKER = `rd_redact_${randomBytes(4).toString('hex')}`;
const CODE = `import socket, time; marker = '${MARKER}'; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)`;

test('procs and ports show a real argv in clear, and redacted with --redact (text and --json)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rd-redact-proj-'));
  const child = spawn(PYTHON, ['-c', CODE, `--api-key=${API_KEY}`, '--db-url', `postgres://ml:${DB_PASSWORD}@db:5432/runs`, '--wandb-key', WANDB_KEY], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid!;
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('the child did not print its port')), 10_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^(\d+)\n/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', (code) => reject(new Error(`the child exited ${code}`)));
    });
    const census = ['--project', dir, '--server-pattern', MARKER, '--port', String(port)];
    const ours = (text: string) => text.split('\n').filter((l) => l.includes(MARKER)).join('\n');

    // procs --wide: the whole command line, secrets in clear.
    const clear = await runCli(['procs', '--wide', ...census], { cwd: dir });
    assert.equal(clear.code, 0, clear.stderr);
    assert.match(clear.stdout, new RegExp(`\\b${pid} server`), 'the census sees the child as the project\'s server');
    for (const s of SECRETS) assert.ok(ours(clear.stdout).includes(s), `without --redact, ${s} is shown`);
    // procs --wide --redact: the same rules as the evidence bundle.
    const red = await runCli(['procs', '--wide', '--redact', ...census], { cwd: dir });
    assert.equal(red.code, 0, red.stderr);
    for (const s of SECRETS) assert.ok(!red.stdout.includes(s), `--redact hides ${s}`);
    assert.match(ours(red.stdout), /--api-key=\[REDACTED\] --db-url postgres:\/\/ml:\[REDACTED\]@db:5432\/runs --wandb-key \[REDACTED\]/);
    assert.equal(red.stdout.replace(/\[REDACTED\]/g, '').split('\n').length, clear.stdout.split('\n').length, 'the same lines, only the values replaced');

    // procs --json: argv in clear without --redact; redacted, and counted, with it.
    const json = JSON.parse((await runCli(['procs', '--json', ...census], { cwd: dir })).stdout) as { processes: Array<{ pid: number; argv: string[] }>; redacted?: unknown };
    assert.ok(json.processes.find((p) => p.pid === pid)!.argv.includes(`--api-key=${API_KEY}`), 'procs --json shows argv as it is');
    assert.equal(json.redacted, undefined, 'no "redacted" key without --redact');
    const redJson = await runCli(['procs', '--json', '--redact', ...census], { cwd: dir });
    for (const s of SECRETS) assert.ok(!redJson.stdout.includes(s), `procs --json --redact hides ${s}`);
    const rj = JSON.parse(redJson.stdout) as { processes: Array<{ pid: number; argv: string[] }>; redacted: { values: number } };
    assert.deepEqual(rj.processes.find((p) => p.pid === pid)!.argv.slice(3), ['--api-key=[REDACTED]', '--db-url', 'postgres://ml:[REDACTED]@db:5432/runs', '--wandb-key', '[REDACTED]']);
    assert.equal(rj.redacted.values, 3, 'three values replaced in what is shown (the child is the only project process)');

    // ports PORT --wide: the holder's command line, in clear and redacted.
    const portsClear = await runCli(['ports', String(port), '--wide', '--no-grpc', ...census.slice(0, 4)], { cwd: dir });
    assert.equal(portsClear.code, 0, portsClear.stderr);
    assert.match(portsClear.stdout, new RegExp(`pid ${pid} python3`));
    for (const s of SECRETS) assert.ok(portsClear.stdout.includes(s), `ports without --redact shows ${s}`);
    const portsRed = await runCli(['ports', String(port), '--wide', '--no-grpc', '--redact', ...census.slice(0, 4)], { cwd: dir });
    assert.equal(portsRed.code, 0, portsRed.stderr);
    assert.match(portsRed.stdout, new RegExp(`pid ${pid} python3`));
    for (const s of SECRETS) assert.ok(!portsRed.stdout.includes(s), `ports --redact hides ${s}`);
    assert.match(portsRed.stdout, /--api-key=\[REDACTED\]/);
    const portsJson = await runCli(['ports', String(port), '--json', '--no-grpc', '--redact', ...census.slice(0, 4)], { cwd: dir });
    for (const s of SECRETS) assert.ok(!portsJson.stdout.includes(s), `ports --json --redact hides ${s}`);
    const pj = JSON.parse(portsJson.stdout) as { ports: Array<{ port: number; sockets: Array<{ owners: Array<{ pid: number; argv: string[] }> }> }>; redacted: { values: number } };
    const owner = pj.ports.find((p) => p.port === port)!.sockets[0]!.owners.find((o) => o.pid === pid)!;
    assert.ok(owner.argv.includes('--api-key=[REDACTED]'), owner.argv.join(' '));
    assert.ok(pj.redacted.values >= 3, `ports --json counts what it replaced: ${pj.redacted.values}`);
  } finally {
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !alive(pid), `pid ${pid} to be gone`);
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(!alive(pid), 'the child is gone');
});

test('procs and ports help: --redact, and evidence as the shareable output', async () => {
  for (const cmd of ['procs', 'ports']) {
    const r = await runCli([cmd, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /\n {2}--redact +show secrets in command lines, paths and URLs as \[REDACTED\]/, `${cmd} --help lists --redact`);
    assert.match(r.stdout.replace(/\n/g, ' '), /unless --redact\. To share what you see, use `rerun-doctor evidence`: the shareable output, redacted/, `${cmd} --help names the shareable output`);
  }
});
