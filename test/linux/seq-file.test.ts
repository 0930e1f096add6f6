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

test('a seq_file table read with seqTable (no final read() that returns 0) holds every row a read to EOF holds', async () => {
  // 200 more listeners than the test above needs: several pages, and a last page of any length.
  for (let i = 0; i < 37; i++) {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    servers.push(s);
  }
  const proc = createHost().proc;
  for (const table of ['net/tcp', 'net/tcp6', 'net/unix']) {
    const whole = proc.read(table);
    const seq = proc.read(table, { seqTable: true });
    // Other programs' sockets may come and go between the two reads: compare this process's
    // listeners (in tcp), and the header and row shape everywhere.
    assert.equal(seq.split('\n')[0], whole.split('\n')[0], `${table}: header`);
    assert.ok(seq.endsWith('\n'), `${table}: ends with a whole line`);
    if (table === 'net/tcp') {
      const ports = (t: string) => new Set(t.split('\n').slice(1).filter((l) => l.includes(' 0A ')).map((l) => l.trim().split(/\s+/)[1]));
      const a = ports(whole);
      const b = ports(seq);
      for (const s of servers) {
        const addr = s.address();
        const port = typeof addr === 'object' && addr ? addr.port : 0;
        const key = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
        assert.ok(a.has(key) && b.has(key), `${key} in both reads`);
      }
    }
  }
});
