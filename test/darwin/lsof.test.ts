import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseInetName, parseLsofCwd, parseLsofListen, parseLsofRecords, splitLsofFields } from '../../src/os/darwin/lsof.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (scenario: string, name: string) => readFileSync(join(here, '../fixtures/darwin', scenario, name), 'utf8');

/** Field output, one field per line (`-F…` without `0`). */
const nl = (sets: string[][]) => sets.map((s) => s.map((f) => `${f}\n`).join('')).join('');
/** Field output with NUL terminators (`-F…0`): each field ends in NUL, each set in NL. */
const nul = (sets: string[][]) => sets.map((s) => `${s.map((f) => `${f}\0`).join('')}\n`).join('');

const T = ['TST=LISTEN', 'TQR=0', 'TQS=0'];

// circus-tent/circus#610 (failure-modes.md §2.6): python 7340 holds one socket on fds 3 and 21
// (same NODE 74754); 7341 has its own socket (74758) on the same port via SO_REUSEPORT.
// Re-expressed in -F form with darwin-style DEVICE addresses.
const CIRCUS = [
  ['p7340', 'cpython'],
  ['f3', 'tIPv4', 'd0x55618c02a1b2c301', 'n127.0.0.1:8888', ...T],
  ['f21', 'tIPv4', 'd0x55618c02a1b2c301', 'n127.0.0.1:8888', ...T],
  ['p7341', 'cpython'],
  ['f3', 'tIPv4', 'd0x55618c02a1b2c9f1', 'n127.0.0.1:8888', ...T],
];

test('splitLsofFields reads the NUL form and the newline form alike', () => {
  assert.deepEqual(splitLsofFields(nul(CIRCUS)), CIRCUS.flat());
  assert.deepEqual(splitLsofFields(nl(CIRCUS)), CIRCUS.flat());
  assert.deepEqual(splitLsofFields('p1\r\nccmd\r\n'), ['p1', 'ccmd']);
  assert.deepEqual(splitLsofFields(''), []);
});

test('NUL form keeps a command name with spaces and a newline inside a value', () => {
  const text = nul([['p42', 'cdev server'], ['f7', 'tIPv4', 'd0x1', 'n*:3000', ...T]]);
  const { processes } = parseLsofRecords(text);
  assert.equal(processes[0]?.command, 'dev server');
  const odd = parseLsofRecords('p42\0cweird\nname\0\n');
  assert.equal(odd.processes[0]?.command, 'weird\nname');
});

test('same DEVICE = one socket with every holder; different DEVICE on one port = separate sockets', () => {
  for (const text of [nl(CIRCUS), nul(CIRCUS)]) {
    const { sockets, issues } = parseLsofListen(text);
    assert.deepEqual(issues, []);
    assert.deepEqual(sockets, [
      {
        address: '127.0.0.1',
        port: 8888,
        family: 4,
        id: '0x55618c02a1b2c301',
        owners: [
          { pid: 7340, fd: 3 },
          { pid: 7340, fd: 21 },
        ],
        source: 'lsof -F',
      },
      { address: '127.0.0.1', port: 8888, family: 4, id: '0x55618c02a1b2c9f1', owners: [{ pid: 7341, fd: 3 }], source: 'lsof -F' },
    ]);
  }
});

test('two `nc -l 54321` on macOS (SO_REUSEPORT): two sockets, told apart by DEVICE', () => {
  // failure-modes.md §2.6: `nc 70706 chris 3u IPv4 0x55618c024692f4d1 0t0 TCP *:54321 (LISTEN)` and
  // `nc 70769 … 0x55618c0232cb8661 …`, here in -F0 form.
  const text = nul([
    ['p70706', 'cnc'],
    ['f3', 'tIPv4', 'd0x55618c024692f4d1', 'n*:54321', ...T],
    ['p70769', 'cnc'],
    ['f3', 'tIPv4', 'd0x55618c0232cb8661', 'n*:54321', ...T],
  ]);
  const { sockets } = parseLsofListen(text);
  assert.deepEqual(
    sockets.map((s) => [s.id, s.address, s.port, s.owners.map((o) => o.pid)]),
    [
      ['0x55618c024692f4d1', '0.0.0.0', 54321, [70706]],
      ['0x55618c0232cb8661', '0.0.0.0', 54321, [70769]],
    ],
  );
});

test('fields in any order within a file set (TST= and d before n, t last)', () => {
  const text = nul([['p5310', 'cpython'], ['f12', 'TST=LISTEN', 'd0xabc', 'n*:50051', 'TQR=0', 'TQS=0', 'tIPv6']]);
  const { sockets } = parseLsofListen(text);
  assert.deepEqual(sockets, [{ address: '::', port: 50051, family: 6, id: '0xabc', owners: [{ pid: 5310, fd: 12 }], source: 'lsof -F' }]);
});

test('addresses: *, brackets, IPv4-mapped, and lsof’s darwin v4-mapped rewrite', () => {
  const cases: Array<[string, string | null, ReturnType<typeof parseInetName>]> = [
    ['*:50051', 'IPv4', { address: '0.0.0.0', port: 50051, family: 4 }],
    ['*:50051', 'IPv6', { address: '::', port: 50051, family: 6 }],
    ['127.0.0.1:8080', 'IPv4', { address: '127.0.0.1', port: 8080, family: 4 }],
    ['[::1]:8080', 'IPv6', { address: '::1', port: 8080, family: 6 }],
    ['[::]:50051', 'IPv6', { address: '::', port: 50051, family: 6 }],
    ['[::ffff:127.0.0.1]:9000', 'IPv6', { address: '::ffff:127.0.0.1', port: 9000, family: 6 }],
    ['127.0.0.1:9000', 'IPv6', { address: '::ffff:127.0.0.1', port: 9000, family: 6 }],
    ['[fe80::1%lo0]:7000', 'IPv6', { address: 'fe80::1%lo0', port: 7000, family: 6 }],
    ['10.0.0.5:22', null, { address: '10.0.0.5', port: 22, family: 4 }],
    ['[::1]:22', null, { address: '::1', port: 22, family: 6 }],
    ['*:*', 'IPv4', null],
    ['10.91.5.15:63194->10.91.5.180:5252', 'IPv4', null],
    ['/tmp/sock', 'unix', null],
    ['127.0.0.1:99999', 'IPv4', null],
  ];
  for (const [name, type, want] of cases) assert.deepEqual(parseInetName(name, type), want, `${name} (${String(type)})`);
});

test('only listeners are kept: TST other than LISTEN, connections and non-TCP files are dropped', () => {
  // The verbatim `lsof -nP -FpcnT -iTCP:5252` shape quoted in failure-modes.md §7.2 (no d, no t fields).
  const published = [
    'p4711',
    'cxctest',
    'f9',
    'n*:5252',
    'TST=LISTEN',
    'TQR=0',
    'TQS=0',
    'p832',
    'cpython3.11',
    'f7',
    'n10.91.5.15:63194->10.91.5.180:5252',
    'TST=ESTABLISHED',
    '',
  ].join('\n');
  const { sockets, issues } = parseLsofListen(published);
  assert.equal(sockets.length, 1);
  assert.deepEqual(
    { address: sockets[0]?.address, port: sockets[0]?.port, family: sockets[0]?.family, owners: sockets[0]?.owners },
    { address: '0.0.0.0', port: 5252, family: 4, owners: [{ pid: 4711, fd: 9 }] },
  );
  // Without d there is no socket identity: kept, with a synthetic id, and said so.
  assert.equal(sockets[0]?.id, 'lsof:4711/9');
  assert.deepEqual(
    issues.map((i) => [i.kind, i.pids]),
    [['parse', [4711]]],
  );

  const mixed = nl([
    ['p1', 'cx'],
    ['f3', 'tIPv4', 'd0x1', 'n*:1', 'TST=CLOSE_WAIT'],
    ['f4', 'tunix', 'd0x2', 'n/var/run/x.sock'],
    ['f5', 'tIPv4', 'PUDP', 'd0x3', 'n*:5353'],
    ['f6', 'tIPv4', 'd0x4', 'n*:2'],
  ]);
  assert.deepEqual(
    parseLsofListen(mixed).sockets.map((s) => s.port),
    [2],
    'no TST field means the -sTCP:LISTEN filter already applied',
  );
});

test('broken field streams become issues, not exceptions', () => {
  const text = nl([
    ['n*:1', 'f3'],
    ['pabc', 'cbad'],
    ['f3', 'tIPv4', 'd0x9', 'n*:9'],
    ['p12', 'cgood'],
    ['f4', 'tIPv4', 'd0x10', 'nnot-an-address'],
    ['f5', 'tIPv4', 'd0x11', 'n127.0.0.1:8080'],
  ]);
  const { sockets, issues } = parseLsofListen(text);
  assert.deepEqual(
    sockets.map((s) => [s.id, s.owners]),
    [['0x11', [{ pid: 12, fd: 5 }]]],
  );
  assert.equal(issues.length, 3);
  assert.ok(issues.every((i) => i.kind === 'parse' && i.probe === 'sockets.darwin'), 'every issue is a sockets.darwin parse issue');
  assert.match(issues[0]?.message ?? '', /before any process/);
  assert.match(issues[1]?.message ?? '', /bad pid/);
  assert.match(issues[2]?.message ?? '', /not-an-address/);
});

test('file fields before f start an implicit file set with no fd', () => {
  const { sockets } = parseLsofListen(nl([['p9', 'cx', 'tIPv4', 'd0x1', 'n*:80']]));
  assert.deepEqual(sockets[0]?.owners, [{ pid: 9, fd: null }]);
});

test('the orphaned-spawn capture: 50051 twice (orphan + live), 8080 on v4 and v6, 9000 shared', () => {
  const { sockets, issues } = parseLsofListen(fixture('orphaned-spawn', 'lsof.out'));
  assert.deepEqual(issues, []);
  const on = (port: number) => sockets.filter((s) => s.port === port).map((s) => [s.address, s.family, s.id, s.owners]);
  assert.deepEqual(on(50051), [
    ['::', 6, '0x7c3e5a1fa0d6c1e9', [{ pid: 4103, fd: 9 }]],
    ['::', 6, '0x7c3e5a1fa31e9a51', [{ pid: 5310, fd: 12 }]],
  ]);
  assert.deepEqual(on(8080), [
    ['::1', 6, '0x7c3e5a1fa31f0c21', [{ pid: 5310, fd: 14 }]],
    ['127.0.0.1', 4, '0x7c3e5a1fa31f1be9', [{ pid: 5310, fd: 15 }]],
  ]);
  assert.deepEqual(on(9000), [
    [
      '0.0.0.0',
      4,
      '0x7c3e5a1fa3204f91',
      [
        { pid: 5310, fd: 17 },
        { pid: 5313, fd: 17 },
      ],
    ],
  ]);
  assert.equal(sockets.length, 11);
});

test('parseLsofCwd: newline and NUL forms, spaces in paths, only cwd sets', () => {
  const sets = [
    ['p4102', 'fcwd', 'n/Users/dev/src/infer-server'],
    ['p702', 'fcwd', 'n/Users/dev/My Projects/app'],
    ['p9', 'ftxt', 'n/bin/ls'],
    ['p10', 'n/only/name'],
  ];
  for (const text of [nl(sets), nul(sets)]) {
    assert.deepEqual(
      [...parseLsofCwd(text)],
      [
        [4102, '/Users/dev/src/infer-server'],
        [702, '/Users/dev/My Projects/app'],
        [10, '/only/name'],
      ],
    );
  }
  assert.equal(parseLsofCwd(fixture('orphaned-spawn', 'lsof-cwd.out')).get(5313), '/Users/dev/src/infer-server');
  assert.equal(parseLsofCwd('').size, 0);
});
