/**
 * Command-line parsing shared by the subcommands: `node:util`'s strict
 * `parseArgs`, `--help`/`-h`, and usage errors in one form
 * (`krbsim <command>: <what>` then a pointer to `--help`, exit code 2).
 *
 * @module
 */

import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type CliIo, ExitCode } from './io';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The parsed options and positionals of one subcommand. */
export interface ParsedCommand<V> {
  readonly values: V;
  readonly positionals: string[];
}

/** A usage error of `krbsim <command>`, ready for stderr. */
export function usageError(command: string, message: string): string {
  return `krbsim ${command}: ${message}\nTry 'krbsim ${command} --help'.\n`;
}

/**
 * Parses `argv` for `krbsim <command>` with `options` (a `help` flag, `-h`,
 * is added). Returns the parsed values, or the exit code when there is
 * nothing more to do: a usage error (reported on stderr) or `--help`
 * (`usage` printed on stdout).
 *
 * @example
 * ```ts
 * const parsed = parseCommand<{ dir?: string }>('serve', argv, { dir: { type: 'string' } }, USAGE, io);
 * if (typeof parsed === 'number') return parsed;
 * ```
 */
export function parseCommand<V>(
  command: string,
  argv: readonly string[],
  options: Options,
  usage: string,
  io: CliIo,
): ParsedCommand<V> | number {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    io.stderr(usageError(command, (e as Error).message));
    return ExitCode.usage;
  }
  if (parsed.values.help === true) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  return { values: parsed.values as V, positionals: parsed.positionals };
}
