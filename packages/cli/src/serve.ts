/**
 * `krbsim serve`: run the realms of a topology file on loopback for real
 * Kerberos clients, until SIGINT or SIGTERM.
 *
 * @module
 */

import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommand, usageError } from './args';
import { type CliIo, ExitCode } from './io';
import type { RequestLogEntry } from './start-topology';
import { parseTopology, TopologyError, type TopologyFile } from './topology';

export const SERVE_USAGE = `Usage: krbsim serve <topology.yaml|topology.json> [--dir <dir>] [options]

Serve every realm of a topology file: one KDC per realm, listening on UDP and
TCP (one port for both, RFC 4120 section 7.2). Once they listen, write into
<dir>:
  krb5.conf          default_realm (the first realm), [realms] kdc = host:port,
                     [domain_realm] from each realm's domains, [capaths] for
                     the trusts, and no DNS lookups or canonicalization
  <REALM>.keytab     every service key of the realm
  <spn>.keytab       one service's keys ('/' and ':' replaced by '_')
  ports.json         { realms: { REALM: { host, udp, tcp } }, krb5conf, keytabs, pid }
then print one line per request until SIGINT or SIGTERM (exit 0).

Then, for example:
  KRB5_CONFIG=<dir>/krb5.conf KRB5CCNAME=FILE:<dir>/cc kinit alice
  KRB5_CONFIG=<dir>/krb5.conf KRB5CCNAME=FILE:<dir>/cc kvno host/server.contoso.com

Options:
  --dir <dir>     where to write the files (created if missing; default: a new temp dir)
  --host <addr>   address to listen on (default 127.0.0.1)
  --seed <n>      seed every realm's random source (same keys and nonces each run);
                  default: the system's CSPRNG
  --json-log      print one JSON object per line instead of text
  --verbose       also print the listeners' own lines (peer, sizes, UDP too-big)
  -h, --help      show this help

Exit codes: 0 stopped by a signal, 1 a KDC could not start (e.g. port in use),
2 bad arguments or a topology file that does not validate (the message names
the field, e.g. realms[0].users[1].password).
`;

/** Read a topology file; `.json` files are JSON, anything else YAML. */
export async function loadTopologyFile(path: string): Promise<TopologyFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new TopologyError('topology', `cannot read ${path}: ${(e as Error).message}`);
  }
  return parseTopology(text, path.toLowerCase().endsWith('.json') ? 'json' : 'yaml');
}

/** Run `krbsim serve`; resolves with the exit code once stopped. */
export async function serveCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand<{
    dir?: string;
    host?: string;
    seed?: string;
    'json-log'?: boolean;
    verbose?: boolean;
  }>(
    'serve',
    argv,
    {
      dir: { type: 'string' },
      host: { type: 'string' },
      seed: { type: 'string' },
      'json-log': { type: 'boolean' },
      verbose: { type: 'boolean' },
    },
    SERVE_USAGE,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    io.stderr(usageError('serve', `expected one topology file, got ${positionals.length}`));
    return ExitCode.usage;
  }
  let seed: number | string | undefined;
  if (values.seed !== undefined) {
    seed = /^-?\d+$/.test(values.seed) ? Number(values.seed) : values.seed;
  }
  const file = positionals[0]!;
  let topology: TopologyFile;
  try {
    topology = await loadTopologyFile(file);
  } catch (e) {
    if (e instanceof TopologyError) {
      io.stderr(`krbsim serve: ${file}: ${e.message}\n`);
      return ExitCode.usage;
    }
    throw e;
  }

  const json = values['json-log'] === true;
  const emit = (event: Record<string, unknown>, text: string) =>
    io.stdout(json ? `${JSON.stringify(event)}\n` : `${text}\n`);
  const log = (e: RequestLogEntry) =>
    emit(
      { event: 'request', ...e },
      `${e.time} ${e.realm} ${e.transport}${e.peer === undefined ? '' : ` ${e.peer}`} ${e.line}`,
    );

  if (io.signal?.aborted) return ExitCode.ok;
  const dir = values.dir ?? (await mkdtemp(join(tmpdir(), 'krbsim-serve-')));
  // Loaded only now, so a bad file or --help never pays for loading the KDC.
  const { startTopology } = await import('./start-topology');
  let running: Awaited<ReturnType<typeof startTopology>>;
  try {
    running = await startTopology(topology, {
      dir,
      ...(values.host !== undefined && { host: values.host }),
      ...(seed !== undefined && { seed }),
      log,
      ...(values.verbose && {
        transportLog: (line: string) => emit({ event: 'transport', line }, `# ${line}`),
      }),
    });
  } catch (e) {
    if (e instanceof TopologyError) {
      io.stderr(`krbsim serve: ${file}: ${e.message}\n`);
      return ExitCode.usage;
    }
    io.stderr(`krbsim serve: cannot start: ${(e as Error).message}\n`);
    return ExitCode.failure;
  }

  const files = running.files!;
  for (const [name, s] of running.servers) {
    emit(
      { event: 'listening', realm: name, host: s.host, udp: s.udpPort, tcp: s.tcpPort },
      `${name}: KDC on ${s.host}:${s.udpPort} (udp+tcp)`,
    );
  }
  emit(
    { event: 'ready', dir: files.dir, krb5conf: files.krb5conf, ports: files.portsJson },
    `files in ${files.dir}\n  export KRB5_CONFIG=${files.krb5conf}\nready; Ctrl-C to stop`,
  );

  await new Promise<void>((resolve) => {
    if (io.signal === undefined) return; // no way to stop: serve forever
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await running.close();
  emit({ event: 'stopped' }, 'stopped');
  return ExitCode.ok;
}
