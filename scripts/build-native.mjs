// Builds the native proc reader (native/proc-scan.c; src/host/proc-scan.ts says why) into
// dist/native/proc-scan-PLATFORM-ARCH.node, as `npm run build`'s last step. It is one C file
// against Node-API's headers (the node-api-headers package: no node-gyp, no download, one binary for
// every Node version), compiled with the machine's C compiler (`cc`, or $CC). The package ships
// what this wrote (package.json "files": dist), so installing it runs no script.
//
// Linux only. Where there is no compiler, it says so on one line and the build goes on: the census
// then reads /proc in JavaScript, as it does wherever the file cannot load (another libc).
// RERUN_DOCTOR_NATIVE_REQUIRED=1 (CI, prepack) makes a failed build an error.
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const required = process.env.RERUN_DOCTOR_NATIVE_REQUIRED === '1';
const out = join(root, 'dist', 'native', `proc-scan-${process.platform}-${process.arch}.node`);

function giveUp(why) {
  if (required) {
    process.stderr.write(`build-native: ${why} (RERUN_DOCTOR_NATIVE_REQUIRED=1)\n`);
    process.exit(1);
  }
  process.stderr.write(`build-native: ${why}; the census will read /proc in JavaScript\n`);
  process.exit(0);
}

if (process.platform !== 'linux') {
  process.stdout.write(`build-native: nothing to build on ${process.platform} (the native reader is Linux's)\n`);
  process.exit(0);
}
const headers = dirname(createRequire(import.meta.url).resolve('node-api-headers/include/node_api.h'));
const cc = process.env.CC || 'cc';
mkdirSync(dirname(out), { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
const args = ['-O2', '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', '-pthread', '-fvisibility=hidden', '-I', headers, '-o', tmp, join(root, 'native', 'proc-scan.c')];
const r = spawnSync(cc, args, { stdio: ['ignore', 'inherit', 'inherit'] });
if (r.error) giveUp(`cannot run ${cc}: ${r.error.code === 'ENOENT' ? 'no C compiler' : r.error.message}`);
if (r.status !== 0) {
  rmSync(tmp, { force: true });
  giveUp(`${cc} failed (exit ${r.status})`);
}
renameSync(tmp, out);
