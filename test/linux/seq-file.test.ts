// /proc/net/tcp is a seq_file: the kernel hands it over a page at a time. A reader that stops at
// the first short read loses every listener past the first ~27 rows (found in review).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, test } from 'node:test';
import { createHost } from '../../src/host/host.js';
import { linuxSockets } from '../../src/probes/sockets.linux.js';

const servers: Server[] = [];
after(() => servers.forEach((s) => s.close()));

test('every one of 200 listeners is found, with its owner (this process)', async () => {
  const ports: number[] = [];
  for (let i = 0; i < 200; i++) {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    servers.push(s);
    const a = s.address();
    ports.push(typeof a === 'object' && a ? a.port : 0);
  }
  const text = createHost().proc.read('net/tcp');
  assert.ok(text.length > 4096 * 2, `the table spans several pages (${text.length} bytes)`);
  const o = await linuxSockets(createHost());
  assert.equal(o.status, 'ok');
  if (o.status !== 'ok') return;
  const mine = o.value.filter((s) => ports.includes(s.port));
  assert.equal(mine.length, 200, 'all 200 listeners');
  assert.ok(mine.every((s) => s.owners.some((w) => w.pid === process.pid)), 'each owned by this process');
});
