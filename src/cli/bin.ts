#!/usr/bin/env node
import { nativeScanStatus, prestartProcScan } from '../host/proc-scan.js';
import { installBundleLoading } from './code-cache.js';
import { processIo } from './io.js';
import { main } from './main.js';

// `rerun-doctor procs | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

// The registry's loaders, once bundled, load each command's bundle with the code cache, and the
// bundles' import() of a package comes here: this file is loaded by Node itself (cli/code-cache.ts).
installBundleLoading((specifier) => import(specifier));

// RERUN_DOCTOR_NATIVE=require (a packager's or CI's check): no silent fallback to the JavaScript
// reader when the native one is not there or does not load.
if (process.platform === 'linux' && process.env.RERUN_DOCTOR_NATIVE === 'require') {
  const native = nativeScanStatus();
  if (!native.loaded) {
    process.stderr.write(`rerun-doctor: RERUN_DOCTOR_NATIVE=require, but the native proc reader cannot be used: ${native.reason}\n`);
    process.exit(2);
  }
}

const argv = process.argv.slice(2);
// The commands that take a census at once: the proc scan (the native reader's threads, or else
// the worker thread) starts now, and reads while the command's module loads (host/proc-scan.ts),
// under /proc or the --proc-root given (the prefix the census's host makes of it: host/rooted-fs.ts;
// a root the census then refuses, a typo, is only listed, and the pass is dropped). Not for a
// replay (--from) or help (prestartProcScan checks RERUN_DOCTOR_NATIVE and RERUN_DOCTOR_THREADS).
const first = argv[0];
const censusNow = first === undefined || first === 'ports' || first === 'procs' || first === 'diagnose' || (first.startsWith('-') && first !== '-h' && first !== '--help' && !first.startsWith('-v') && first !== '-V' && first !== '--version');
if (process.platform === 'linux' && censusNow && !argv.some((a) => a === '--from' || a.startsWith('--from=') || a === '-h' || a === '--help')) {
  // Either spelling; the last one given wins, as in parseArgs.
  let root: string | undefined = '/proc';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--proc-root') root = argv[++i];
    else if (argv[i]!.startsWith('--proc-root=')) root = argv[i]!.slice('--proc-root='.length);
  }
  if (root !== undefined && root !== '') prestartProcScan(root.endsWith('/') ? root : `${root}/`);
}

// Not a top-level await: the bundle is CommonJS (scripts/bundle.mjs). Set, not exit: piped
// output is flushed before the process ends.
void main(argv, processIo()).then((code) => {
  process.exitCode = code;
});
