// The Python prometheus_client server of test/fixtures/bin/metrics_server.py, driven over stdin so
// a test knows exactly what was observed between two scrapes.
import { spawn, type ChildProcess } from 'node:child_process';
import { fixture } from './paths.js';
import { PYTHON } from './live.js';
import { requirePython } from './requirements.js';

export interface MetricsServer {
  port: number;
  pid: number;
  child: ChildProcess;
  url: string;
  /** Sends one command line and resolves when the server says "ok". */
  send(cmd: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startMetricsServer(tracked: Set<number>, port = 0): Promise<MetricsServer> {
  await requirePython(['prometheus_client']);
  const child = spawn(PYTHON, [fixture('bin', 'metrics_server.py'), '--port', String(port)], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  tracked.add(child.pid!);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const lines: string[] = [];
  const waiters: Array<(line: string) => void> = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiters.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const l = lines.shift();
      if (l !== undefined) return resolve(l);
      const t = setTimeout(() => reject(new Error(`metrics server silent: ${err}`)), 10_000);
      waiters.push((line) => {
        clearTimeout(t);
        resolve(line);
      });
    });
  const ready = JSON.parse(await next()) as { port: number; pid: number };
  return {
    port: ready.port,
    pid: ready.pid,
    child,
    url: `http://127.0.0.1:${ready.port}/metrics`,
    async send(cmd) {
      child.stdin!.write(cmd + '\n');
      const ok = await next();
      if (ok !== 'ok') throw new Error(`metrics server answered ${ok}`);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
    },
  };
}
