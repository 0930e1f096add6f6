#!/usr/bin/env node
import { prestartProcScan } from '../host/proc-scan.js';
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

const argv = process.argv.slice(2);
// The commands that take a census of this machine's /proc at once: the proc scan's worker thread
// starts now, and reads while the command's module loads (host/proc-scan.ts). Not for a replay (--from), help,
// another proc root, or off by RERUN_DOCTOR_THREADS=1 (prestartProcScan checks).
const first = argv[0];
const censusNow = first === undefined || first === 'ports' || first === 'procs' || first === 'diagnose' || (first.startsWith('-') && first !== '-h' && first !== '--help' && !first.startsWith('-v') && first !== '-V' && first !== '--version');
if (process.platform === 'linux' && censusNow && !argv.some((a) => a === '--from' || a.startsWith('--from=') || a === '-h' || a === '--help' || a === '--proc-root' || a.startsWith('--proc-root='))) prestartProcScan('/proc/');

// Not a top-level await: the bundle is CommonJS (scripts/bundle.mjs). Set, not exit: piped
// output is flushed before the process ends.
void main(argv, processIo()).then((code) => {
  process.exitCode = code;
});
