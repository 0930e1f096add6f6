// The recipes of docs/prevention.md that run here, taken from the page itself (so the page and
// the test cannot drift): the Makefile block, run by GNU make with the sample server. Its
// `serve-guarded` target (the guard alone) and `serve` (under run --python-guard): the main
// SIGKILLed, its workers and the resource tracker gone within 2 s.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { alive, CLI, liveScope, PYTHON, sleep, startServer, waitFor } from '../helpers/live.js';
import { ROOT } from '../helpers/paths.js';
import { requireProgram, requirePython } from '../helpers/requirements.js';

const { tracked, groups, tempDir } = liveScope();

function makefile(): string {
  const page = readFileSync(join(ROOT, 'docs', 'prevention.md'), 'utf8');
  const m = /```make\n([\s\S]*?)```/.exec(page);
  assert.ok(m, 'docs/prevention.md has a ```make block');
  const dir = tempDir('rd-recipe-make-');
  const file = join(dir, 'Makefile');
  writeFileSync(file, m[1]!);
  return file;
}

async function goneWithin(pids: number[], t0: number, ms: number, what: string, err: () => string): Promise<void> {
  while (Date.now() - t0 < ms && pids.some(alive)) await sleep(25);
  assert.deepEqual(pids.filter(alive), [], `${what}: alive ${ms} ms after the main's SIGKILL\n${err()}`);
}

for (const target of ['serve-guarded', 'serve'] as const) {
  test(`docs/prevention.md's Makefile, make ${target}: the main SIGKILLed, its workers and the tracker exit within 2 s`, async () => {
    await requireProgram('make', 'make');
    const mk = makefile();
    const s = await startServer([], tracked, { launcher: ['make', '-s', '-f', mk, target, `RERUN_DOCTOR=${process.execPath} ${CLI}`, `PYTHON=${PYTHON}`], env: { RERUN_DOCTOR_GUARD: '' } });
    groups.push(s.pgid);
    if (target === 'serve') groups.push(s.main); // run's command leads its own group
    const pids = [...s.workers, s.tracker].filter((p): p is number => typeof p === 'number');
    await waitFor(() => [s.main, ...pids].every(alive), 'the server to be up', 10_000);
    const environ = readFileSync(`/proc/${s.main}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes('RERUN_DOCTOR_GUARD=1'), 'the main has the marker');
    assert.ok(environ.some((e) => e.startsWith(`PYTHONPATH=${join(ROOT, 'python', 'sitecustomize')}`)), 'and the guard first on PYTHONPATH');
    const t0 = Date.now();
    process.kill(s.main, 'SIGKILL');
    await goneWithin(pids, t0, 2_000, `make ${target}`, s.stderr);
    const exited = await new Promise<number | null>((r) => (s.child.exitCode !== null ? r(s.child.exitCode) : s.child.once('exit', (c) => r(c))));
    assert.notEqual(exited, 0, 'make reports the killed server');
  });
}

/** A fenced block of docs/prevention.md: the first of `lang` after the bold heading `title`. */
function recipe(title: string, lang: string): string {
  const page = readFileSync(join(ROOT, 'docs', 'prevention.md'), 'utf8');
  const m = new RegExp(`\\*\\*${title}\\*\\*[\\s\\S]*?\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``).exec(page);
  assert.ok(m, `docs/prevention.md has the ${title} block`);
  return m[1]!;
}

/** A temp dir with bin/ holding `rerun-doctor` (this build) and `python` (/usr/bin/python3), as users have them on PATH. */
function recipeDir(prefix: string): { dir: string; bin: string } {
  const dir = tempDir(prefix);
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'rerun-doctor'), `#!/bin/sh\nexec ${process.execPath} ${CLI} "$@"\n`, { mode: 0o755 });
  writeFileSync(join(bin, 'python'), `#!/bin/sh\nexec ${PYTHON} "$@"\n`, { mode: 0o755 });
  return { dir, bin };
}

/** Runs /usr/bin/python3 ARGS in the sample server's directory, in a group of its own (reaped after the test), bin first on PATH. */
function runPython(args: string[], bin: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(PYTHON, args, {
      cwd: join(ROOT, 'demo', 'server'),
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, PYTHONDONTWRITEBYTECODE: '1', RERUN_DOCTOR_GUARD: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    groups.push(c.pid!);
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.once('exit', (code) => resolve({ code, out }));
  });
}

// The pytest fixture of the page, in a test file of its own, run by Debian's pytest for
// /usr/bin/python3 against the sample server: the test passes, the fixture's SIGTERM shuts the
// server down through `guard`, which finds nothing left (exit 0), and no process of the server
// outlives the suite. `rerun-doctor` is found on PATH as users have it (a link to this build).
test("docs/prevention.md's pytest fixture: the suite passes, the server is shut down, nothing is left", async () => {
  await requirePython(['pytest']);
  const fixtureCode = recipe('A pytest fixture', 'python');
  const { dir, bin } = recipeDir('rd-recipe-pytest-');
  writeFileSync(
    join(dir, 'test_server.py'),
    `${fixtureCode}\n\nimport time\n\ndef test_server_is_up(server):\n    time.sleep(2)\n    assert server.poll() is None, "the server died"\n    with open("${join(dir, 'pid')}", "w") as f:\n        f.write(str(server.pid))\n`,
  );
  const r = await runPython(['-m', 'pytest', '-q', '-p', 'no:cacheprovider', join(dir, 'test_server.py')], bin);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /1 passed/);
  // guard ran the server in a group of its own, led by the server's main: nothing of it is left.
  const guardPid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
  const left = readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        return readFileSync(`/proc/${n}/cmdline`, 'utf8').includes('src.main') && readFileSync(`/proc/${n}/environ`, 'utf8').includes('RERUN_DOCTOR_GUARD=1');
      } catch {
        return false;
      }
    });
  assert.deepEqual(left, [], `server processes left after the suite (guard was ${guardPid})`);
});

// The Jupyter cell of the page, as the kernel would run it (its Python, in a plain interpreter:
// the kernel is only the launcher), with the sample server: then `server.terminate()`, as the
// page says, reaches the main, whose guard ends its workers; nothing of the server is left.
test("docs/prevention.md's Jupyter cell: the server starts with the guard, and terminate() leaves nothing", async () => {
  const { dir, bin } = recipeDir('rd-recipe-jupyter-');
  const cell = `${recipe('A Jupyter cell', 'python')}
import time
def kids(pid):
    out = []
    for n in os.listdir("/proc"):
        if n.isdigit():
            try:
                with open(f"/proc/{n}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid: out.append(int(n))
            except OSError:
                pass
    return out
deadline = time.time() + 20
while time.time() < deadline and len(kids(server.pid)) < 3:
    time.sleep(0.1)
workers = kids(server.pid)
print("workers", *workers, flush=True)
server.terminate(); server.wait()
t0 = time.time()
while time.time() - t0 < 2 and any(os.path.exists(f"/proc/{w}") and open(f"/proc/{w}/stat").read().rsplit(")", 1)[1].split()[0] != "Z" for w in workers):
    time.sleep(0.05)
left = [w for w in workers if os.path.exists(f"/proc/{w}") and open(f"/proc/{w}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"]
print("left", *left, flush=True)
`;
  writeFileSync(join(dir, 'cell.py'), cell);
  const r = await runPython([join(dir, 'cell.py')], bin);
  assert.equal(r.code, 0, r.out);
  const workers = (/^workers(.*)$/m.exec(r.out)?.[1] ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
  workers.forEach((p) => tracked.add(p));
  assert.ok(workers.length >= 3, `the server's workers and tracker were seen: ${r.out}`);
  assert.match(r.out, /^left$/m, `every worker gone within 2 s of terminate(): ${r.out}`);
});
