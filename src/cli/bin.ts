#!/usr/bin/env node
import { processIo } from './io.js';
import { main } from './main.js';

// `rerun-doctor procs | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const code = await main(process.argv.slice(2), processIo());
// Set, not exit: piped output is flushed before the process ends.
process.exitCode = code;
