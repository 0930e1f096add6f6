// One census (or one raw read of the same /proc files) in a fresh Node process, timed inside it:
// the in-process cost a one-shot CLI pays, with cold JIT. Prints milliseconds. Used by census.bench.mjs.
import { closeSync, openSync, readSync, readdirSync, readlinkSync } from 'node:fs';

const what = process.argv[2];
const root = new URL('..', import.meta.url).pathname;

export function rawRead() {
  const buf = Buffer.allocUnsafe(1 << 16);
  const read = (p) => {
    let fd;
    try {
      fd = openSync(p, 'r');
    } catch {
      return;
    }
    try {
      readSync(fd, buf, 0, buf.length, null);
    } catch {
      /* gone */
    } finally {
      closeSync(fd);
    }
  };
  read('/proc/net/tcp');
  read('/proc/net/tcp6');
  for (const pid of readdirSync('/proc')) {
    if (pid.charCodeAt(0) < 48 || pid.charCodeAt(0) > 57) continue;
    read(`/proc/${pid}/stat`);
    read(`/proc/${pid}/cmdline`);
    let fds;
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        /* closed */
      }
    }
  }
}

if (what === 'census' || what === 'raw') {
  const { takeCensus } = await import(`${root}dist/census/census.js`);
  const { createHost } = await import(`${root}dist/host/host.js`);
  const host = createHost();
  const ports = process.argv[3] ? [Number(process.argv[3])] : [50051, 8080];
  const opts = { serverPattern: /python.*-m src\.main/, workerPatterns: [], ports, generationGapSeconds: 30 };
  const t0 = performance.now();
  if (what === 'census') await takeCensus(host, opts);
  else rawRead();
  process.stdout.write(`${(performance.now() - t0).toFixed(2)}\n`);
}
