// The live view in a real terminal: tmux runs `watch procs`, capture-pane reads the screen,
// send-keys types Ctrl-C as a user does. The view is redrawn in place (one header on screen),
// has sparklines, respects NO_COLOR, and Ctrl-C ends it with exit status 0.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, test } from 'node:test';
import { CLI, cleanup, freePort, sleep, startServer, waitFor, waitListening } from '../helpers/live.js';
import { requireProgram } from '../helpers/requirements.js';

const tracked = new Set<number>();
const groups: number[] = [];
const sessions: string[] = [];
after(async () => {
  for (const s of sessions) {
    try {
      execFileSync('tmux', ['kill-session', '-t', s], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
  await cleanup(tracked, groups);
});

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });

async function runInTmux(name: string, command: string): Promise<{ screen: (escapes?: boolean) => string; keys: (k: string) => void }> {
  await requireProgram('tmux', 'tmux');
  sessions.push(name);
  tmux('new-session', '-d', '-s', name, '-x', '120', '-y', '40', '/bin/sh');
  tmux('send-keys', '-t', name, `${command}; echo EXIT=$?`, 'Enter');
  return {
    screen: (escapes = false) => tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', name),
    keys: (k) => tmux('send-keys', '-t', name, k),
  };
}

test('watch procs on a terminal: redrawn in place with sparklines; Ctrl-C ends it with status 0', async () => {
  const port = await freePort();
  const s = await startServer(['--workers', '2', '--worker-port', String(port)], tracked);
  groups.push(s.pgid);
  await waitListening([port]);
  const name = `rd-watch-${process.pid}`;
  const t = await runInTmux(name, `env -u NO_COLOR TERM=xterm-256color ${process.execPath} ${CLI} watch procs --interval 200ms --port ${port}`);
  await waitFor(() => /(\d+) samples/.test(t.screen()) && Number(/(\d+) samples/.exec(t.screen())![1]) >= 5, 'five samples on screen');
  const screen = t.screen();
  assert.equal(screen.split('rerun-doctor watch procs').length - 1, 1, `one frame on screen, redrawn in place:\n${screen}`);
  assert.match(screen, /worker\s+[2-9]\d*\s/);
  assert.match(screen, /[▁▂▃▄▅▆▇█]{3,}/, 'sparklines');
  assert.ok(t.screen(true).includes('\u001b[1m'), 'bold header with colour on');
  t.keys('C-c');
  await waitFor(() => /EXIT=\d+/.test(t.screen()), 'the watch to end on Ctrl-C');
  assert.match(t.screen(), /EXIT=0/);
});

test('NO_COLOR: the live view carries no colour or bold', async () => {
  const name = `rd-nocolor-${process.pid}`;
  const t = await runInTmux(name, `NO_COLOR=1 TERM=xterm-256color ${process.execPath} ${CLI} watch procs --interval 200ms --count 3`);
  await waitFor(() => /EXIT=\d+/.test(t.screen()), 'three samples and the exit');
  assert.match(t.screen(), /3 samples/);
  const sgr = new RegExp(`${String.fromCharCode(27)}\\[(1|2|3\\d)m`);
  assert.doesNotMatch(t.screen(true), sgr, 'no SGR styling');
  assert.match(t.screen(), /EXIT=0/);
  await sleep(10);
});
