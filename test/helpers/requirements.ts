// What a test needs from the machine beyond Node: Python modules for /usr/bin/python3, programs
// on PATH. When one is missing the test fails with one line naming the Debian package that
// .ci/run installs, not with a Python traceback from deep inside a scenario. Each check runs
// once per test process (importing torch takes seconds).
import { execFile } from 'node:child_process';
import { PYTHON } from './live.js';

/** Modules whose Debian package is not python3-<module> (the names .ci/run installs). */
const DEBIAN_PYTHON: Record<string, string> = { grpc: 'python3-grpcio', prometheus_client: 'python3-prometheus-client' };

export function debianPackageOf(module: string): string {
  return DEBIAN_PYTHON[module] ?? `python3-${module}`;
}

/** A missing requirement: the message is the whole story, so no stack is printed under it. */
export class MissingRequirement extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingRequirement';
    this.stack = message;
  }
}

const checks = new Map<string, Promise<boolean>>();
function succeeds(file: string, args: string[]): Promise<boolean> {
  const key = JSON.stringify([file, ...args]);
  let p = checks.get(key);
  if (!p) {
    p = new Promise((resolve) => execFile(file, args, { timeout: 120_000 }, (err) => resolve(err === null)));
    checks.set(key, p);
  }
  return p;
}

export async function requireProgram(name: string, debianPackage: string): Promise<void> {
  // The name is an argument of the shell, never part of its script.
  if (await succeeds('/bin/sh', ['-c', 'command -v "$1" >/dev/null', 'sh', name])) return;
  throw new MissingRequirement(`needs the program ${name}: apt-get install ${debianPackage} (see .ci/run)`);
}

/** Each module as `python3 -c 'import X'` would import it (a broken install counts as missing). */
export async function requirePython(modules: readonly string[]): Promise<void> {
  await requireProgram(PYTHON, 'python3');
  const ok = await Promise.all(modules.map((m) => succeeds(PYTHON, ['-c', 'import importlib, sys; importlib.import_module(sys.argv[1])', m])));
  const missing = modules.filter((_, i) => !ok[i]);
  if (missing.length === 0) return;
  const s = missing.length === 1 ? '' : 's';
  throw new MissingRequirement(`needs the Python module${s} ${missing.join(', ')}: apt-get install ${missing.map(debianPackageOf).join(' ')} (see .ci/run)`);
}
