// The escape fixtures (test/fixtures/bin/escape/*.py) write "parent 12", "escapee 34 [port]" lines
// to a pid file; each pid read is tracked for the after hook's cleanup at once, and each fixture
// parent (a process-group leader: run and guard start it detached) is cleaned by group too.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanup } from './live.js';
import { fixture } from './paths.js';

export function escapeFixtures(prefix: string) {
  const tracked = new Set<number>();
  const groups: number[] = [];
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  let n = 0;
  return {
    tracked,
    groups,
    escape: (name: string) => fixture('bin', 'escape', name),
    pidFile: () => join(dir, `pids-${++n}`),
    /** name → [pid, extra…]; {} while the file does not exist yet. */
    readPids(file: string): Record<string, number[]> {
      const out: Record<string, number[]> = {};
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        return out;
      }
      for (const line of text.split('\n')) {
        const m = /^(\w+) (\d+)(?: (\d+))?/.exec(line);
        if (!m) continue;
        out[m[1]!] = m[3] ? [Number(m[2]), Number(m[3])] : [Number(m[2])];
        tracked.add(Number(m[2]));
        if (m[1] === 'parent') groups.push(Number(m[2]));
      }
      return out;
    },
    async done(): Promise<void> {
      await cleanup(tracked, groups);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
