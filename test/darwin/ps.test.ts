import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  macComm,
  mergeComm,
  normaliseTty,
  parseCpuTime,
  parseLstart,
  parsePs,
  parsePsComm,
  parsePsLine,
  type PsParseOptions,
  type PsRow,
} from '../../src/os/darwin/ps.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => readFileSync(join(here, '../fixtures/darwin/orphaned-spawn', name), 'utf8');

/** Tests read lstart in a fixed zone so they pass on any machine. */
const UTC = { utcOffsetMinutes: 0 };

function line(l: string, opts: PsParseOptions = UTC): PsRow {
  const row = parsePsLine(l, opts);
  assert.ok(row, `expected to parse: ${l}`);
  return row;
}

// The orphaned resource tracker / spawn worker of gpustack/gpustack#204 (failure-modes.md §7.1),
// re-laid into our -o column order (the published sample is `ps -ef`).
const ORPHAN_TRACKER =
  ' 9525     1  9500     0 root     S    Tue Jun 17 17:02:11 2025   14208   0:00.02 ??       /Users/seal/.local/pipx/venvs/gpustack/bin/python -c from multiprocessing.resource_tracker import main;main(6)';
const ORPHAN_WORKER =
  ' 9526     1  9500     0 root     S    Tue Jun 17 17:02:11 2025 1873920  11:00.35 ??       /Users/seal/.local/pipx/venvs/gpustack/bin/python -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=7, pipe_handle=9) --multiprocessing-fork';

test('parses a right-aligned line with leading spaces into every column', () => {
  const row = line(ORPHAN_WORKER);
  assert.equal(row.pid, 9526);
  assert.equal(row.ppid, 1);
  assert.equal(row.pgid, 9500);
  assert.equal(row.uid, 0);
  assert.equal(row.user, 'root');
  assert.equal(row.state, 'S');
  assert.equal(row.zombie, false);
  assert.equal(row.startTime, '2025-06-17T17:02:11.000Z');
  assert.equal(row.startKey, Date.UTC(2025, 5, 17, 17, 2, 11) / 1000);
  assert.equal(row.rssBytes, 1873920 * 1024);
  assert.equal(row.cpuSeconds, 660.35);
  assert.equal(row.tty, null);
  assert.equal(row.sid, null, 'macOS ps gives no session id');
  assert.equal(row.cwd, null);
  assert.equal(row.exe, null, 'no ps column gives the executable path');
  assert.equal(row.comm, 'python');
});

test('keeps the command joined and splits argv on whitespace (argv boundaries are lost on macOS)', () => {
  const row = line(ORPHAN_WORKER);
  assert.equal(
    row.command,
    '/Users/seal/.local/pipx/venvs/gpustack/bin/python -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=7, pipe_handle=9) --multiprocessing-fork',
  );
  // The real argv has 4 elements (python, -c, CODE, --multiprocessing-fork); ps cannot tell us that.
  assert.deepEqual(row.argv, [
    '/Users/seal/.local/pipx/venvs/gpustack/bin/python',
    '-c',
    'from',
    'multiprocessing.spawn',
    'import',
    'spawn_main;',
    'spawn_main(tracker_fd=7,',
    'pipe_handle=9)',
    '--multiprocessing-fork',
  ]);
  assert.equal(row.argv.join(' '), row.command);
  assert.deepEqual(line(ORPHAN_TRACKER).argv.slice(1), ['-c', 'from', 'multiprocessing.resource_tracker', 'import', 'main;main(6)']);
});

test('lstart: space-padded day, and the host offset applied', () => {
  const cases: Array<{ lstart: string; offset: number; iso: string }> = [
    { lstart: 'Mon Jun 16 14:23:09 2025', offset: 0, iso: '2025-06-16T14:23:09.000Z' },
    { lstart: 'Mon Jun 16 14:23:09 2025', offset: 120, iso: '2025-06-16T12:23:09.000Z' },
    { lstart: 'Mon Jun 16 14:23:09 2025', offset: -300, iso: '2025-06-16T19:23:09.000Z' },
    { lstart: 'Tue Jun  3 09:05:07 2025', offset: 0, iso: '2025-06-03T09:05:07.000Z' },
    { lstart: 'Wed Dec 31 23:59:59 2025', offset: -60, iso: '2026-01-01T00:59:59.000Z' },
    { lstart: 'Thu Feb 29 00:00:00 2024', offset: 0, iso: '2024-02-29T00:00:00.000Z' },
  ];
  for (const c of cases) {
    const row = line(`  42     1    42   501 dev      Ss   ${c.lstart}    1024   0:00.01 ttys001  /bin/zsh`, { utcOffsetMinutes: c.offset });
    assert.equal(row.startTime, c.iso, c.lstart);
    assert.equal(row.startKey, Date.parse(c.iso) / 1000, c.lstart);
  }
});

test('lstart defaults to the JS local zone, as ps prints local time', () => {
  const row = line('  42     1    42   501 dev      Ss   Mon Jun 16 14:23:09 2025    1024   0:00.01 ??       /bin/zsh', {});
  assert.equal(row.startKey, new Date(2025, 5, 16, 14, 23, 9).getTime() / 1000);
});

test('parseLstart rejects impossible dates instead of rolling them over', () => {
  assert.equal(parseLstart('Mon', 'Feb', 31, 0, 0, 0, 2025, 0), null);
  assert.equal(parseLstart('Mon', 'Foo', 1, 0, 0, 0, 2025, 0), null);
  assert.equal(parseLstart('Xyz', 'Jan', 1, 0, 0, 0, 2025, 0), null);
  assert.equal(parseLstart('Mon', 'Jan', 1, 24, 0, 0, 2025, 0), null);
  assert.equal(parseLstart('Wed', 'Jan', 1, 0, 0, 0, 2025, 0), Date.UTC(2025, 0, 1));
});

test('time column: [[dd-]hh:]mm:ss.cc to seconds', () => {
  const cases: Array<[string, number | null]> = [
    ['0:00.02', 0.02],
    ['11:00.35', 660.35],
    ['312:04.10', 18724.1],
    ['1:02:03.04', 3723.04],
    ['2-01:00:00.00', 176400],
    ['05:07', 307],
    ['0:00.00', 0],
    ['abc', null],
    ['1:2:3:4', null],
  ];
  for (const [text, want] of cases) assert.equal(parseCpuTime(text), want, text);
});

test('tty forms: ?? is none, s002 and ttys002 are the same terminal', () => {
  const cases: Array<[string, string | null]> = [
    ['??', null],
    ['-', null],
    ['ttys002', 'ttys002'],
    ['s002', 'ttys002'],
    ['console', 'console'],
  ];
  for (const [text, want] of cases) assert.equal(normaliseTty(text), want, text);
  assert.equal(line('  42     1    42   501 dev      S+   Mon Jun 16 14:23:09 2025    1024   0:00.01 s002     -zsh').tty, 'ttys002');
});

test('zombies: state Z, or <defunct> in the command column', () => {
  const byState = line(' 5315  5310  5310   501 dev      Z+   Tue Jun 17 10:14:08 2025       0   0:00.00 ttys002  <defunct>');
  assert.equal(byState.state, 'Z');
  assert.equal(byState.zombie, true);
  assert.deepEqual(byState.argv, [], 'the marker is not an argument');
  assert.equal(byState.rssBytes, 0);

  const byMarker = line(' 5316  5310  5310   501 dev      S    Tue Jun 17 10:14:08 2025       0   0:00.00 ??       <defunct>');
  assert.equal(byMarker.zombie, true);

  const withName = line(' 5317  5310  5310   501 dev      Z    Tue Jun 17 10:14:08 2025       0   0:00.00 ??       (python3.11) <defunct>');
  assert.equal(withName.zombie, true);
  assert.deepEqual(withName.argv, ['(python3.11)']);

  const notZombie = line(' 5318  5310  5310   501 dev      S    Tue Jun 17 10:14:08 2025       0   0:00.00 ??       grep <defunct>x');
  assert.equal(notZombie.zombie, false);
});

test('state keeps only the first letter (Ss, R+, U, I)', () => {
  for (const [st, want] of [['Ss', 'S'], ['R+', 'R'], ['U', 'U'], ['I<', 'I'], ['T', 'T']] as const) {
    assert.equal(line(`  42     1    42   501 dev      ${st.padEnd(4)} Mon Jun 16 14:23:09 2025    1024   0:00.01 ??       x`).state, want);
  }
});

test('a very long argv (>2000 chars, -ww) parses whole', () => {
  const flags = Array.from({ length: 120 }, (_, i) => `--enable-feature-number-${i}=on`).join(' ');
  const command = `/Applications/Visual Studio Code.app/Contents/Frameworks/Code Helper (Plugin).app/Contents/MacOS/Code Helper (Plugin) --type=utility ${flags}`;
  assert.ok(command.length > 2000, 'the test line really is long');
  const row = line(`  738   702   702   501 dev      S    Mon Jun 16 09:15:44 2025  412160  48:10.77 ??       ${command}`);
  assert.equal(row.command, command);
  assert.equal(row.argv.at(-1), '--enable-feature-number-119=on');
  // argv[0] is cut at the first space of the bundle path: exe must come from the comm= call.
  assert.equal(row.argv[0], '/Applications/Visual');
});

test('an empty command column gives an empty argv', () => {
  const row = line('  77     1    77     0 root     Ss   Mon Jun 16 08:01:12 2025     100   0:00.00 ??');
  assert.deepEqual(row.argv, []);
  assert.equal(row.command, '');
  assert.equal(row.comm, '');
});

test('bad lines become parse issues with line numbers; good lines around them survive', () => {
  const text = [
    '    1     0     1     0 root     Ss   Mon Jun 16 08:01:12 2025   21872   1:02.33 ??       /sbin/launchd',
    'ps: illegal option -- y',
    '  301     1   301     0 root     Ss   Mon Jun 16 08:01:14 2025   11520   0:41.07 ??       /usr/libexec/logd',
    '  302     1   302     0 root     Ss   Mon Feb 31 08:01:14 2025   11520   0:41.07 ??       /usr/libexec/bad-date',
    '  303     1   303     0 root     Ss   Mon Jun 16 08:01:14 2025   11520   zero     ??       /usr/libexec/bad-time',
    '',
    '  304     1   304     0 root     Ss   Lun Jun 16 08:01:14 2025   11520   0:41.07 ??       /usr/libexec/localised',
    `  305 ${'x'.repeat(1000)}`,
    '  330     1   330     0 root     Ss   Mon Jun 16 08:01:15 2025    3104   0:12.90 ??       /usr/sbin/notifyd\r',
  ].join('\n');
  const { rows, issues } = parsePs(text, 'ps -axww -o …', UTC);
  assert.deepEqual(
    rows.map((r) => r.pid),
    [1, 301, 330],
  );
  assert.equal(rows[2]?.command, '/usr/sbin/notifyd', 'CR is not part of the command');
  assert.deepEqual(
    issues.map((i) => [i.kind, i.probe, /line (\d+)/.exec(i.message)?.[1]]),
    [
      ['parse', 'processes.darwin', '2'],
      ['parse', 'processes.darwin', '4'],
      ['parse', 'processes.darwin', '5'],
      ['parse', 'processes.darwin', '7'],
      ['parse', 'processes.darwin', '8'],
    ],
  );
  assert.ok(issues[0]?.message.includes('ps: illegal option -- y'), 'the issue quotes the bad line');
  assert.ok((issues[4]?.message.length ?? 0) < 400, 'a huge line is clipped in the issue');
});

test('ucomm call: pid → p_comm, spaces kept, the 16-column padding dropped, leading spaces tolerated', () => {
  // print.c ucomm(): printf("%-*s", 16, p_comm), so short names come padded.
  const comms = parsePsComm(['    1 launchd         ', '  738 Code Helper (Plu', ' 1202 zsh             ', 'garbage', ''].join('\n'));
  assert.deepEqual([...comms], [
    [1, 'launchd'],
    [738, 'Code Helper (Plu'],
    [1202, 'zsh'],
  ]);
});

test('comm is the basename truncated to MAXCOMLEN (16)', () => {
  assert.equal(macComm('/Applications/Visual Studio Code.app/Contents/Frameworks/Code Helper (Plugin).app/Contents/MacOS/Code Helper (Plugin)'), 'Code Helper (Plu');
  assert.equal(macComm('/usr/libexec/logd'), 'logd');
  assert.equal(macComm('-zsh'), '-zsh');
  assert.equal(macComm('python3.11'), 'python3.11');
});

test('mergeComm: comm from p_comm, exe never set (p_comm is a name, not a path); rows missing from the ucomm call keep argv[0]', () => {
  const rows = [
    line('  702     1   702   501 dev      S    Mon Jun 16 09:15:40 2025  298752  25:31.02 ??       /Applications/Visual Studio Code.app/Contents/MacOS/Electron'),
    line(' 1202  1201  1202   501 dev      S+   Mon Jun 16 09:20:03 2025    4352   0:00.31 ttys000  -zsh'),
    line(' 5310  5002  5310   501 dev      S+   Tue Jun 17 10:14:05 2025  402432   0:06.72 ttys002  python -m src.main'),
    line(' 6125  6120  6120   501 dev      R+   Tue Jun 17 10:31:03 2025    1232   0:00.00 ttys003  ps -axww -o pid='),
  ];
  const merged = mergeComm(
    rows,
    new Map([
      [702, 'Electron'],
      [1202, 'zsh'],
      [5310, 'Python'],
    ]),
  );
  assert.deepEqual(
    merged.map((r) => [r.pid, r.comm, r.exe, r.argv[0]]),
    [
      [702, 'Electron', null, '/Applications/Visual'],
      [1202, 'zsh', null, '-zsh'],
      [5310, 'Python', null, 'python'],
      [6125, 'ps', null, 'ps'],
    ],
  );
  assert.equal(rows[2]?.comm, 'python', 'mergeComm does not mutate its input');
});

test('an argv ps could not read, `(p_comm)`, is no argv: empty, with that comm (print.c)', () => {
  const row = line('  88     1    88     0 root     Ss   Mon Jun 16 08:01:14 2025    5120   0:02.10 ??       (securityd)');
  assert.deepEqual([row.argv, row.comm, row.command], [[], 'securityd', '(securityd)']);
  const spaced = line('  89     1    89     0 root     Ss   Mon Jun 16 08:01:14 2025    5120   0:02.10 ??       (Code Helper (Plu)');
  assert.deepEqual([spaced.argv, spaced.comm], [[], 'Code Helper (Plu']);
  // A real argv that merely contains parentheses stays an argv.
  const agent = line('  95     1    95     0 root     Ss   Mon Jun 16 08:01:14 2025    5120   1:30.08 ??       /usr/libexec/UserEventAgent (System)');
  assert.deepEqual([agent.argv, agent.comm], [['/usr/libexec/UserEventAgent', '(System)'], 'UserEventAgent']);
});

test('the orphaned-spawn capture parses without issues', () => {
  const { rows, issues } = parsePs(fixture('ps.out'), 'ps.out', UTC);
  assert.deepEqual(issues, []);
  assert.equal(rows.length, 27);
  const orphans = rows.filter((r) => r.ppid === 1 && r.command.includes('multiprocessing'));
  assert.deepEqual(
    orphans.map((r) => [r.pid, r.pgid, r.tty]),
    [
      [4102, 4100, null],
      [4103, 4100, null],
      [4104, 4100, null],
    ],
  );
  const helper = rows.find((r) => r.pid === 738);
  assert.ok(helper && helper.command.length > 2000, 'the VS Code helper line keeps its >2000-char command');
  assert.equal(rows.find((r) => r.pid === 402)?.user, '_windowserver');
  assert.equal(rows.find((r) => r.pid === 402)?.cpuSeconds, 18724.1);
  assert.equal(rows.find((r) => r.pid === 5315)?.zombie, true);
  const comms = parsePsComm(fixture('ps-ucomm.out'));
  assert.equal(comms.get(738), 'Code Helper (Plu');
  assert.equal(comms.get(4103), 'Python');
  assert.equal(comms.has(6125), false, 'the first ps exited before the second call');
});
