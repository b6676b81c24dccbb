#!/usr/bin/env node
/**
 * The `krbsim` executable: runs {@link runCli} with the process's arguments,
 * streams and signals, and exits with its code.
 *
 * @module
 */

import { runCli } from './cli';
import { processIo } from './io';

const io = processIo();
runCli(process.argv.slice(2), io).then(
  (code) => {
    io.dispose();
    process.exitCode = code;
  },
  (e: unknown) => {
    io.dispose();
    process.stderr.write(`krbsim: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
