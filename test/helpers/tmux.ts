// A real terminal for live tests: a detached tmux session of a given size. A test writes the
// commands to a script (so the line typed stays short), runs it between two marker lines, reads
// the screen with capture-pane (-J: lines the terminal wrapped joined back, so a line written
// wider than the pane shows as one long line), resizes the window, types keys. Sessions are
// killed by name, each its own, when the test file ends.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { requireProgram } from './requirements.js';

const sessions: string[] = [];
const dirs: string[] = [];
after(() => {
  for (const s of sessions.splice(0)) {
    try {
      execFileSync('tmux', ['kill-session', '-t', s], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export const tmux = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' });

export interface Terminal {
  name: string;
  /** Runs a shell script's text: prints BEGIN-<n>, runs it, prints EXIT-<n>=<status> (after Ctrl-C too). */
  run(script: string): void;
  /** What is on the screen now (-e: with escapes; -J: wrapped lines joined, trailing spaces cut). */
  screen(o?: { escapes?: boolean; joined?: boolean }): string;
  /** The last script's lines, from BEGIN-<n> to EXIT-<n>=…, wrapped lines joined, the scrollback included; trailing spaces cut. */
  output(): string[];
  /** The last script's exit status, or null while it runs. */
  exit(): number | null;
  keys(k: string): void;
  resize(columns: number, rows: number): void;
}

export async function terminal(name: string, columns: number, rows: number): Promise<Terminal> {
  await requireProgram('tmux', 'tmux');
  sessions.push(name);
  const dir = mkdtempSync(join(tmpdir(), 'rd-tmux-'));
  dirs.push(dir);
  tmux('new-session', '-d', '-s', name, '-x', String(columns), '-y', String(rows), '/bin/sh');
  tmux('set-option', '-t', name, 'history-limit', '20000');
  let n = 0;
  const joined = () => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', name).split('\n').map((l) => l.trimEnd());
  return {
    name,
    run(script) {
      const file = join(dir, `s${++n}.sh`);
      // `trap : INT`: Ctrl-C ends the command, not the script (a handler, reset for the command itself).
      writeFileSync(file, `trap : INT\necho BEGIN-${n}\n${script}\necho EXIT-${n}=$?\n`);
      tmux('send-keys', '-t', name, `sh ${file}`, 'Enter');
    },
    screen: (o = {}) => {
      const text = tmux('capture-pane', '-p', ...(o.escapes ? ['-e'] : []), ...(o.joined ? ['-J'] : []), '-t', name);
      return o.joined ? text.split('\n').map((l) => l.trimEnd()).join('\n') : text;
    },
    output() {
      const lines = joined();
      const begin = lines.lastIndexOf(`BEGIN-${n}`);
      const end = lines.findIndex((l, i) => i > begin && l.includes(`EXIT-${n}=`));
      return lines.slice(begin + 1, end < 0 ? undefined : end);
    },
    exit() {
      // Searched in the whole scrollback: a screen cleared (the live view after a resize) may take
      // BEGIN with it. Not at the start of its line: after Ctrl-C the terminal has echoed ^C there.
      const m = joined().map((l) => new RegExp(`EXIT-${n}=(\\d+)$`).exec(l)).find((x) => x !== null);
      return m ? Number(m[1]) : null;
    },
    keys: (k) => void tmux('send-keys', '-t', name, k),
    resize: (c, r) => void tmux('resize-window', '-t', name, '-x', String(c), '-y', String(r)),
  };
}
