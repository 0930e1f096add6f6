#!/usr/bin/env node
import { processIo } from './io.js';
import { main } from './main.js';

const code = await main(process.argv.slice(2), processIo());
// Let stdout drain before exiting (piped output can be cut by an early exit).
process.exitCode = code;
