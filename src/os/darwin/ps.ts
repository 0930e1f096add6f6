// Pure parsers for macOS ps(1) output. The probe (src/probes/processes.darwin.ts) runs, with LC_ALL=C:
//
//   ps -axww -o pid=,ppid=,pgid=,uid=,user=,state=,lstart=,rss=,time=,tty=,command=
//   ps -axww -o pid=,ucomm=
//
// Why this shape (../shared/reference/failure-modes.md §7.1):
// * `=` after every keyword suppresses the header line, so every line is a process.
// * `lstart` is the only start-time format with full date and seconds, and it holds spaces
//   (five tokens, `Mon Jun 16 14:23:09 2025`, day space-padded); it is locale-dependent, hence
//   LC_ALL=C (sosreport/sos#921). We anchor on its exact shape instead of counting columns blindly.
// * `command` goes LAST because it holds spaces; `-ww` stops ps truncating it to the terminal width
//   (rmusser01/tldw_server#1160). Everything before it is one whitespace-free token per column.
// * The process name comes from a second call, `ucomm`: the kernel's p_comm (the executed file's
//   name, at most MAXCOMLEN = 16 characters), what Linux calls comm. Not `comm`: Apple's ps prints
//   argv[0] for `comm` (adv_cmds ps/print.c getproclline() skips the saved exec_path and keeps
//   argv[0]), so it is `python3`, `-zsh` or whatever setproctitle wrote, never the executable path.
//   p_comm may hold spaces (`Code Helper (Plu`), and a line can only have one free-text column if we
//   want to split it unambiguously, hence its own call.
// * No ps column gives the executable path, so `exe` stays null on macOS (the census then goes by
//   argv[0] and comm; see docs/probes/darwin.md).
// * An argv ps cannot read prints as `(p_comm)` (print.c), which is not an argv: it becomes an empty
//   argv with that comm, as an unreadable /proc/PID/cmdline does on Linux.
import type { ProcessInfo, SnapshotIssue } from '../../model/snapshot.js';

/** Probe name used in the issues these parsers record. */
const PROBE = 'processes.darwin';

/** macOS MAXCOMLEN (sys/param.h): p_comm holds at most 16 characters. */
export const MAC_MAXCOMLEN = 16;

/** Longest line text kept in a parse issue (a >2000-char argv would otherwise flood the report). */
const ISSUE_LINE_MAX = 300;

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};
const WEEKDAYS = new Set(['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']);

/**
 * One `ps -o pid=,ppid=,pgid=,uid=,user=,state=,lstart=,rss=,time=,tty=,command=` line.
 * Columns are right-aligned numbers (hence `^\s*`), single tokens, the five lstart tokens, then the
 * rest of the line is `command` (possibly empty).
 */
const PS_LINE =
  /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(-?\d+)\s+(\S+)\s+(\S+)\s+([A-Z][a-z]{2})\s+([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\d{4})\s+(\d+)\s+([\d:.-]+)\s+(\S+)(?:\s+(.*))?$/;

/** What macOS ps prints in the command column of a zombie (BSD ps; oh-my-openagent#8096 saw it on macOS). */
const DEFUNCT = '<defunct>';

/** What print.c prints when the argv cannot be read: `(p_comm)`, p_comm being at most 16 characters. */
const UNREADABLE_ARGV = /^\((.{1,16})\)$/;

export interface PsParseOptions {
  /**
   * The host's offset from UTC in minutes, east positive (+120 for CEST, -300 for EST), used to read
   * `lstart`, which ps prints in local time. Default: the JS runtime's own local zone, resolved per
   * date so DST is handled; tests pass a fixed offset so they do not depend on the machine's TZ.
   */
  utcOffsetMinutes?: number;
}

/**
 * A parsed ps row: a ProcessInfo plus the `command` column as ps printed it.
 *
 * macOS ps cannot give the true argv boundaries: it prints argv joined by single spaces, so
 * `python -c "import a; b()"` and `python -c import a; b()` look the same. `argv` is therefore a
 * best-effort whitespace split (an argument that contained spaces, e.g. the `-c` code of a
 * multiprocessing spawn worker or a venv under `~/My Projects`, comes out as several elements), and
 * `command` keeps the joined string for matching on the whole line.
 */
export interface PsRow extends ProcessInfo {
  command: string;
}

export interface PsParseResult {
  rows: PsRow[];
  issues: SnapshotIssue[];
}

/** `lstart` tokens → epoch milliseconds, or null when they do not name a real date. */
export function parseLstart(
  weekday: string,
  month: string,
  day: number,
  hour: number,
  minute: number,
  second: number,
  year: number,
  utcOffsetMinutes?: number,
): number | null {
  const mon = MONTHS[month];
  if (mon === undefined || !WEEKDAYS.has(weekday)) return null;
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  // Reject Feb 31 and the like: Date would silently roll them into the next month.
  const probe = new Date(Date.UTC(year, mon, day));
  if (probe.getUTCDate() !== day) return null;
  if (utcOffsetMinutes !== undefined) {
    return Date.UTC(year, mon, day, hour, minute, second) - utcOffsetMinutes * 60_000;
  }
  return new Date(year, mon, day, hour, minute, second).getTime();
}

/**
 * `time` column → seconds. macOS prints `mm:ss.cc` with unbounded minutes (`11:00.35`, `312:04.10`);
 * other BSD/procps forms add hours and days (`hh:mm:ss.cc`, `dd-hh:mm:ss`). null when unreadable.
 */
export function parseCpuTime(text: string): number | null {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$/.exec(text);
  if (!m) return null;
  const days = Number(m[1] ?? 0);
  const hours = Number(m[2] ?? 0);
  const minutes = Number(m[3]);
  const seconds = Number(m[4]);
  const total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds;
  // Round to the hundredths ps prints, so 0.1+0.2-style float noise never reaches a snapshot.
  return Math.round(total * 100) / 100;
}

/**
 * `tty` column → controlling terminal name. `??` (and `-`) mean none. Some macOS versions print the
 * short form `s002` for /dev/ttys002 (the `tt` style); we normalise to `ttys002` so both compare equal.
 */
export function normaliseTty(text: string): string | null {
  if (text === '??' || text === '-' || text === '') return null;
  if (/^s\d+$/.test(text)) return `tty${text}`;
  return text;
}

/** Basename of a path (or argv[0]), truncated to MAXCOMLEN like the kernel's p_comm. */
export function macComm(pathOrArgv0: string): string {
  const base = pathOrArgv0.slice(pathOrArgv0.lastIndexOf('/') + 1);
  return base.slice(0, MAC_MAXCOMLEN);
}

/** True when ps marked the process as a zombie in its command column. */
export function isDefunctCommand(command: string): boolean {
  return command === DEFUNCT || command.endsWith(` ${DEFUNCT}`);
}

/** Best-effort argv from the joined `command` column (see PsRow for why it cannot be exact). */
export function splitCommand(command: string): string[] {
  const withoutMarker = isDefunctCommand(command) ? command.slice(0, -DEFUNCT.length) : command;
  return withoutMarker.split(/\s+/).filter((t) => t.length > 0);
}

/** One line of the main ps call → row, or null when the line does not have the expected shape. */
export function parsePsLine(line: string, opts: PsParseOptions = {}): PsRow | null {
  const m = PS_LINE.exec(line);
  if (!m) return null;
  // Every group but the last is mandatory in PS_LINE, so `?? ''` only satisfies the type checker.
  const g = (i: number): string => m[i] ?? '';
  const startMs = parseLstart(g(7), g(8), Number(g(9)), Number(g(10)), Number(g(11)), Number(g(12)), Number(g(13)), opts.utcOffsetMinutes);
  if (startMs === null || Number.isNaN(startMs)) return null;
  const cpuSeconds = parseCpuTime(g(15));
  if (cpuSeconds === null) return null;
  const command = g(17).trimEnd();
  const unreadable = UNREADABLE_ARGV.exec(command);
  const argv = unreadable ? [] : splitCommand(command);
  const stateLetter = g(6).charAt(0);
  return {
    pid: Number(g(1)),
    ppid: Number(g(2)),
    pgid: Number(g(3)),
    // macOS has no sid column: its `sess` keyword is the kernel session *pointer*, not an id
    // (Proc::ProcessTable README.darwin: "sess  session pointer", and sid listed as not obtainable).
    sid: null,
    uid: Number(g(4)),
    user: g(5),
    state: stateLetter,
    zombie: stateLetter === 'Z' || isDefunctCommand(command),
    startTime: new Date(startMs).toISOString(),
    // lstart has one-second precision, so epoch seconds is exact and stable across calls.
    startKey: Math.floor(startMs / 1000),
    // Provisional: replaced from the `ucomm=` call by mergeComm(); p_comm from `(p_comm)`, else
    // argv[0]'s basename, is the fallback.
    comm: unreadable ? unreadable[1]! : argv[0] !== undefined ? macComm(argv[0]) : '',
    argv,
    exe: null,
    cwd: null,
    // ps rss is in KiB (ps(1) "rss: resident set size, in Kilobytes").
    rssBytes: Number(g(14)) * 1024,
    cpuSeconds,
    tty: normaliseTty(g(16)),
    command,
  };
}

function clip(line: string): string {
  return line.length > ISSUE_LINE_MAX ? `${line.slice(0, ISSUE_LINE_MAX)}… (${line.length} chars)` : line;
}

/**
 * Whole output of the main ps call. A line that does not parse is skipped and recorded as a 'parse'
 * issue (line number and text); one bad line never costs the rest of the census.
 */
export function parsePs(text: string, source: string, opts: PsParseOptions = {}): PsParseResult {
  const rows: PsRow[] = [];
  const issues: SnapshotIssue[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const row = parsePsLine(line, opts);
    if (row) rows.push(row);
    else issues.push({ probe: PROBE, kind: 'parse', message: `${source}: line ${i + 1}: unexpected ps line: ${clip(line)}` });
  });
  return { rows, issues };
}

/**
 * Output of `ps -axww -o pid=,ucomm=` → pid → p_comm, the kernel's name for the process (`Python`,
 * `Electron`, `Code Helper (Plu`, `zsh`, `torch_shm_manage`): the executed file's name cut to 16
 * characters, spaces kept. ps pads it to 16 columns; the padding is dropped. Lines without a leading
 * pid are ignored: this call only refines rows that the main call already produced.
 */
export function parsePsComm(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const raw of text.split('\n')) {
    const m = /^\s*(\d+) +(.*?)\s*$/.exec(raw);
    if (m && m[2] !== undefined && m[2] !== '') out.set(Number(m[1]), m[2].slice(0, MAC_MAXCOMLEN));
  }
  return out;
}

/**
 * Fill comm from the `ucomm=` call. exe is left as it is (null): p_comm is a name, not a path, and no
 * ps column gives the executable's path. A pid missing from the map (it exited between the two
 * calls) keeps the fallback comm.
 */
export function mergeComm<T extends ProcessInfo>(rows: T[], comms: ReadonlyMap<number, string>): T[] {
  return rows.map((row) => {
    const name = comms.get(row.pid);
    return name === undefined ? row : { ...row, comm: name };
  });
}
