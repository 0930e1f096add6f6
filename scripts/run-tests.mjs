// Runs every test/**/*.test.ts with Node's own test runner (through tsx).
// Node 20's `--test` takes no glob patterns, so the files are listed here. One file at a time:
// the live tests start real servers and judge the whole process table, so they must not overlap.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (name === 'fixtures') continue;
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : find('test');
// A test that hangs fails (--test-timeout, per test), and the whole run has a ceiling well under
// CI's limit, so a stuck handle can never stall CI silently.
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=120000', ...files], {
  stdio: 'inherit',
  timeout: 20 * 60 * 1000,
  killSignal: 'SIGKILL',
});
if (r.error) console.error(`run-tests: ${r.error.message}`);
process.exit(r.status ?? 1);
