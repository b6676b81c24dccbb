/**
 * What a subcommand writes to and listens on, injectable so tests can run
 * the CLI in process.
 *
 * @module
 */

import { statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Output streams and the stop signal of one CLI run. */
export interface CliIo {
  /** Write to standard output (text, newline included). */
  readonly stdout: (text: string) => void;
  /** Write to standard error (text, newline included). */
  readonly stderr: (text: string) => void;
  /**
   * Aborted when a long-running command (`serve`) should stop. `bin.ts`
   * aborts it on SIGINT, SIGTERM or SIGHUP (the terminal closed: stopping
   * cleanly removes a temporary directory, which dying at once would leave).
   */
  readonly signal?: AbortSignal;
}

/** Exit codes: success, a failure at run time, a usage or input-file error. */
export const ExitCode = { ok: 0, failure: 1, usage: 2 } as const;

/** The signals that stop a long-running command cleanly. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * The process's own streams; `signal` aborts on SIGINT, SIGTERM or SIGHUP.
 *
 * A stream whose reader went away (`krbsim serve | head -n 2`: EPIPE) is
 * written to no more, and the command carries on: a `serve` keeps serving
 * (the clients that read its files still need it) and still removes its
 * temporary directory when stopped. Without an `error` listener the failed
 * write would end the process at once, keytabs left behind. The first such
 * failure of stdout is said once on stderr (if that is still open).
 */
export function processIo(): CliIo & { dispose(): void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  for (const s of STOP_SIGNALS) process.on(s, stop);
  let stdoutOpen = true;
  let stderrOpen = true;
  const onStderrError = () => {
    stderrOpen = false;
  };
  const onStdoutError = (e: NodeJS.ErrnoException) => {
    if (!stdoutOpen) return;
    stdoutOpen = false;
    if (stderrOpen) {
      process.stderr.write(
        `krbsim: standard output failed (${e.code ?? e.message}): writing no more to it, carrying on\n`,
      );
    }
  };
  process.stdout.on('error', onStdoutError);
  process.stderr.on('error', onStderrError);
  return {
    stdout: (text) => {
      if (stdoutOpen) process.stdout.write(text);
    },
    stderr: (text) => {
      if (stderrOpen) process.stderr.write(text);
    },
    signal: controller.signal,
    dispose() {
      for (const s of STOP_SIGNALS) process.off(s, stop);
      // Not the error listeners: a write still queued may fail after the command's end.
    },
  };
}

/**
 * Why a file cannot be written at `path` (it is a directory, or its directory
 * is missing or is not one), if it cannot: checked before a command does its work, so a typo in
 * an output path costs a one-line usage error, not the work or a stack trace.
 */
export function unwritable(path: string): string | undefined {
  try {
    if (statSync(path).isDirectory()) return `${path} is a directory`;
  } catch {
    // absent (it will be made) or unreadable: the directory decides
  }
  const dir = dirname(path);
  try {
    if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR'
      ? `the directory ${dir} does not exist`
      : (e as Error).message;
  }
  return undefined;
}
