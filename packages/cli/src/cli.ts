/**
 * The `krbsim` command line: subcommand dispatch and the top-level help.
 * Each subcommand is loaded on first use, so `krbsim decode` never loads the
 * KDC and `krbsim serve` never loads the demo.
 *
 * @module
 */

import { builtInNames, wrapNames } from './examples';
import { type CliIo, ExitCode } from './io';

export const USAGE = `Usage: krbsim <command> [options]

Kerberos realms and trusts, emulated byte-exact, for tests and real tools.

Commands:
  serve <topology>   serve a topology file's realms on loopback UDP/TCP for MIT
                     krb5, Heimdal or Windows tools; writes krb5.conf, keytabs
                     and ports.json. An Azure lab file (kind: azure-sql-mi) adds
                     the KDC proxy and TDS listeners for SQL clients. Built-in
                     names: ${wrapNames(builtInNames(), 28, 21)}
  decode <input>     print any Kerberos message, GSS-API/SPNEGO token or
                     KDC-PROXY-MESSAGE as JSON (input: hex, base64 or @file)
  demo               the Azure SQL Managed Instance walk-through

Options:
  -h, --help         show this help; 'krbsim <command> --help' for a command's
  --version          print the version

Exit codes: 0 success, 1 failure, 2 bad arguments or input file.
`;

const VERSION = '0.1.0';

/**
 * Run the CLI with `argv` (the arguments after `krbsim`) and resolve with the
 * exit code. Never calls `process.exit`.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      io.stderr(USAGE);
      return ExitCode.usage;
    case '-h':
    case '--help':
    case 'help':
      if (rest[0] !== undefined && rest[0] !== 'help') return runCli([rest[0], '--help'], io);
      io.stdout(USAGE);
      return ExitCode.ok;
    case '--version':
    case '-v':
      io.stdout(`krbsim ${VERSION}\n`);
      return ExitCode.ok;
    case 'serve': {
      const { serveCommand } = await import('./serve');
      return serveCommand(rest, io);
    }
    case 'decode': {
      const { decodeCommand } = await import('./decode');
      return decodeCommand(rest, io);
    }
    case 'demo': {
      const { demoCommand } = await import('./demo');
      return demoCommand(rest, io);
    }
    default:
      io.stderr(`krbsim: unknown command '${command}'\nTry 'krbsim --help'.\n`);
      return ExitCode.usage;
  }
}
