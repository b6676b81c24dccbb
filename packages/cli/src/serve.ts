/**
 * `krbsim serve`: run the realms of a topology file on loopback for real
 * Kerberos clients, until SIGINT or SIGTERM.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { isIP, isIPv6 } from 'node:net';
import { join } from 'node:path';
import { isDnsName } from '@krbsim/core';
import type { Realm } from '@krbsim/kdc';
import type { Trace } from '@krbsim/transport';
import { parseCommand, usageError } from './args';
import type { AzureLabFile } from './azure-lab-file';
import { builtInNames, wrapNames } from './examples';
import { type CliIo, ExitCode, unwritable } from './io';
import { applyPortOptions } from './port-option';
import { LOG_LEVELS, type LogLevel } from './request-log';
import { type ServeDir, serveDir, serveDirNote, UnsafeServeDirError, unsafeServeDir } from './serve-dir';
import { decodeServeText, loadServeFile } from './serve-file';
import { type ServeLog, serveLog } from './serve-log';
import { parseTopology, refuseKdcProxy, TopologyError, type TopologyFile } from './topology';
import type { TopologyWriteResult } from './topology-files';

/** The exchanges `--html` and `--pcap` keep: the trace is a ring, so a long serve stays bounded. */
export const SERVE_TRACE_ENTRIES = 10_000;
/** ... and the bytes of their messages, however large they are (SQL batches). */
export const SERVE_TRACE_BYTES = 64 * 1024 * 1024;

export const SERVE_USAGE = `Usage: krbsim serve <file.yaml|file.json|built-in name> [--dir <dir>] [options]

Built-in names: the examples shipped with krbsim, served as their files are:
  ${wrapNames(builtInNames(), 2, 2)}

An Azure lab file (kind: azure-sql-mi; the built-in azure-sql-mi is one):
the on-prem domain's KDC over UDP and TCP, Azure AD's only through an HTTPS
KDC proxy (ca.pem, http_anchors), a TDS listener per managed instance
(freetds.conf, odbc.ini and odbcinst.ini, <instance>.keytab), ports.json and
principals.json (mode 0600: the users, their passwords as they are now and their logins).
The built-in lab: alice has a Windows login on mi1, carol one through the
group CONTOSO\\SqlAdmins, bob none. --kdc-keytab, --dir, --keep, --host,
--seed and the log options apply; --workers, --replica-of and --port do not.
--direct-kdc also serves Azure AD's KDC on a UDP and TCP port of its own and
writes krb5-direct.conf naming it, for clients without an MS-KKDCP client
(Java's Kerberos and JDBC drivers, Heimdal, gokrb5).
The lab draws every random choice from its seed, session keys included:
with --seed it is the same lab on every run; without, the seed is random.

Serve every realm of a topology file: one KDC per realm, listening on UDP and
TCP (one port for both, RFC 4120 section 7.2). Once they listen, write into
<dir>:
  krb5.conf          default_realm (the first realm), [realms] kdc = host:port
                     (replicas first with --replica-of), [domain_realm] from each
                     realm's domains, [capaths] for the trusts, no DNS lookups
  <REALM>.keytab     every service key of the realm (mode 0600)
  <spn>.keytab       one service's keys ('/' and ':' replaced by '_'; mode 0600)
  kdc.keytab         with --kdc-keytab: the KDCs' own keys (mode 0600)
  ca.pem             with kdcProxy realms: the KDC proxy's CA (http_anchors)
  krb5-direct.conf   with kdcProxy realms: krb5.conf with every realm at its own port,
                     for clients without an MS-KKDCP client (Java, Heimdal, gokrb5)
  password-changes.jsonl  not by a replica: the passwords changed through kpasswd,
                     in order (mode 0600), which replicas follow
  ports.json         { realms: { REALM: { host, udp, tcp, kdcs, check, kpasswd, kdcProxy } },
                     krb5conf, krb5confDirect, keytabs, kdcKeytab, ca, passwordChanges, pid, workers }
then log each request until SIGINT or SIGTERM (exit 0).

A realm with kdcProxy: true is also served through an HTTPS KDC proxy
(MS-KKDCP) at https://127.0.0.1:<port>/KdcProxy, as Azure AD's realm is: its
krb5.conf kdc and kpasswd_server are that URL, with http_anchors = FILE:ca.pem,
so MIT's tools (with the k5tls plugin) go through HTTPS. With --workers the
primary serves it and forwards to the workers; not with --replica-of.

Then, for example:
  KRB5_CONFIG=<dir>/krb5.conf KRB5CCNAME=FILE:<dir>/cc kinit alice
  KRB5_CONFIG=<dir>/krb5.conf KRB5CCNAME=FILE:<dir>/cc kvno host/server.contoso.com

Options:
  --dir <dir>          where to write the files (created 0700 if missing; default: a new
                       temporary directory, named when ready and removed at exit); refused
                       if others could replace the files: it or a directory above it owned
                       by another user (not root), or group- or world-writable (one above
                       it may be world-writable with the sticky bit, as /tmp is)
  --keep               keep that temporary directory at exit
  --host <addr>        address to listen on (default 127.0.0.1); krb5.conf lists 0.0.0.0
                       as 127.0.0.1 and :: as ::1, addresses clients can connect to
  --port <port>        the KDC's UDP and TCP port of a single-realm topology, or
  --port <REALM>=<port>  of the realm named (repeatable); overrides the file's port:
                       e.g. --port 88 in a network namespace or container, for tools
                       that insist on port 88
  --seed <s>           derive the long-term keys (krbtgt, services and trusts without a
                       password) from <s>: the same keys every run and in every replica.
                       Session keys and nonces come from the system's CSPRNG (an Azure lab: see above).
                       Any text; an integer past 2^53 is taken as text, never rounded (an
                       Azure lab takes text as the first 53 bits of its SHA-256).
                       Default: KRBSIM_SEED from the environment if set, else a random
                       seed (random keys). The seed is a secret: whoever knows it derives
                       every key (and can forge tickets), and a command line shows in ps;
                       give it in KRBSIM_SEED, and a guessable one (42) only to a throwaway
                       test realm
  --workers <n>        serve from <n> worker processes sharing the sockets (like
                       krb5kdc -w); default 1: this process serves
  --replica-of <file>  the ports.json of a running krbsim serve of the same topology
                       and --seed: list its KDCs in krb5.conf before this one, so
                       clients fail over between the replicas; follow its password
                       changes, and name its kpasswd_server
  --direct-kdc         an Azure lab only: also serve Azure AD's KDC on a UDP and TCP
                       port of its own, and write krb5-direct.conf naming it (for
                       clients without an MS-KKDCP client)
  --kdc-keytab         also write kdc.keytab: every krbtgt/REALM@REALM and inter-realm
                       krbtgt key, so Wireshark can decrypt TGTs and MIT's tools check
                       the PACs' KDC signatures. Anyone holding it can forge tickets.
                       Without it, a kdc.keytab an earlier run left in --dir is removed
  --html <file>        at exit, write every request served and its reply as one
                       self-contained HTML page (the sequence diagram, each message
                       decoded and opened with the realms' keys as decode --keytab
                       does, errors explained); the last ${SERVE_TRACE_ENTRIES.toLocaleString('en-US')} exchanges
  --pcap <file>        at exit, the same exchanges as a pcap for Wireshark
  --json-log           one JSON object per line instead of text
  --log-level <l>      debug (requests and the listeners' own lines), info (every
                       request; default), error (requests answered with an error other
                       than PREAUTH_REQUIRED), none (no request lines)
  --quiet              same as --log-level none
  --verbose            same as --log-level debug
  -h, --help           show this help

Exit codes: 0 stopped by a signal, 1 a KDC could not start (e.g. port in use),
2 bad arguments (an empty --host), a topology or lab file that is not UTF-8, is
nested deeper than 64 or does not validate (the message names the field, e.g.
realms[0].users[1].password, or the line), or a --replica-of that is no
ports.json or has other keys.
`;

/** Read a topology file; `.json` files are JSON, anything else YAML. */
export async function loadTopologyFile(path: string): Promise<TopologyFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new TopologyError('topology', `cannot read ${path}: ${(e as Error).message}`);
  }
  return parseTopology(decodeServeText(bytes), path.toLowerCase().endsWith('.json') ? 'json' : 'yaml');
}

/** What `krbsim serve` was asked to do, once its arguments are checked. */
export interface ServeConfig {
  /** The topology file, as given. */
  readonly file: string;
  readonly topology: TopologyFile;
  readonly dir?: string;
  readonly host?: string;
  readonly seed?: number | string;
  readonly workers: number;
  readonly replicaOf?: string;
  /** Write `kdc.keytab` (the KDCs' own keys). */
  readonly kdcKeytab: boolean;
  /** Keep the temporary directory (no `--dir`) at exit. */
  readonly keep: boolean;
  /** Write the served exchanges as HTML (`--html`) and as a pcap (`--pcap`) at exit. */
  readonly html?: string;
  readonly pcap?: string;
  readonly json: boolean;
  readonly level: LogLevel;
}

/** What `krbsim serve` was asked to do with an Azure lab file (`kind: azure-sql-mi`). */
interface AzureServeConfig {
  readonly kind: 'azure-sql-mi';
  /** The file, as given (`azure-sql-mi` for the built-in lab). */
  readonly file: string;
  readonly lab: AzureLabFile;
  readonly dir?: string;
  readonly host?: string;
  readonly seed?: number | string;
  readonly kdcKeytab: boolean;
  /** Serve Azure AD's KDC on a port too, and write krb5-direct.conf (`--direct-kdc`). */
  readonly directKdc: boolean;
  readonly keep: boolean;
  readonly json: boolean;
  readonly level: LogLevel;
}

/** The most worker processes `--workers` accepts. */
const MAX_WORKERS = 64;

/** Run `krbsim serve`; resolves with the exit code once stopped. */
export async function serveCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const config = await parseServeArgs(argv, io);
  if (typeof config === 'number') return config;
  if (io.signal?.aborted) return ExitCode.ok;
  if ('kind' in config) return serveAzureLab(config, io);
  if (config.workers > 1) {
    // Loaded only now: a single process never loads node:cluster.
    const { serveWithWorkers } = await import('./serve-workers');
    return serveWithWorkers(config, io);
  }
  return serveInProcess(config, io);
}

async function parseServeArgs(
  argv: readonly string[],
  io: CliIo,
): Promise<ServeConfig | AzureServeConfig | number> {
  const parsed = parseCommand<{
    dir?: string;
    keep?: boolean;
    host?: string;
    port?: string[];
    seed?: string;
    workers?: string;
    'replica-of'?: string;
    'kdc-keytab'?: boolean;
    'direct-kdc'?: boolean;
    html?: string;
    pcap?: string;
    'json-log'?: boolean;
    'log-level'?: string;
    quiet?: boolean;
    verbose?: boolean;
  }>(
    'serve',
    argv,
    {
      dir: { type: 'string' },
      keep: { type: 'boolean' },
      host: { type: 'string' },
      port: { type: 'string', multiple: true },
      seed: { type: 'string' },
      workers: { type: 'string' },
      'replica-of': { type: 'string' },
      'kdc-keytab': { type: 'boolean' },
      'direct-kdc': { type: 'boolean' },
      html: { type: 'string' },
      pcap: { type: 'string' },
      'json-log': { type: 'boolean' },
      'log-level': { type: 'string' },
      quiet: { type: 'boolean' },
      verbose: { type: 'boolean' },
    },
    SERVE_USAGE,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const usage = (message: string) => {
    io.stderr(usageError('serve', message));
    return ExitCode.usage;
  };
  if (positionals.length !== 1) return usage(`expected one topology file, got ${positionals.length}`);
  const levelFlags = [values['log-level'], values.quiet && '--quiet', values.verbose && '--verbose'];
  if (levelFlags.filter(Boolean).length > 1) {
    return usage('give one of --log-level, --quiet and --verbose');
  }
  let level: LogLevel = values.quiet ? 'none' : values.verbose ? 'debug' : 'info';
  if (values['log-level'] !== undefined) {
    if (!(LOG_LEVELS as readonly string[]).includes(values['log-level'])) {
      return usage(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${values['log-level']}'`);
    }
    level = values['log-level'] as LogLevel;
  }
  let workers = 1;
  if (values.workers !== undefined) {
    workers = /^\d+$/.test(values.workers) ? Number(values.workers) : Number.NaN;
    if (!(workers >= 1 && workers <= MAX_WORKERS)) {
      return usage(`--workers must be a whole number from 1 to ${MAX_WORKERS}, got '${values.workers}'`);
    }
  }
  let seed: number | string | undefined;
  // KRBSIM_SEED keeps the seed out of `ps` (and of shell history); --seed wins. Set but empty is unset.
  const seedText = values.seed ?? (process.env.KRBSIM_SEED || undefined);
  if (seedText !== undefined) {
    if (seedText.length === 0) return usage('--seed must not be empty');
    // An integer past 2^53 stays text, as for the Azure lab (seedNumber): Number() would round two seeds into one.
    const n = Number(seedText);
    seed = /^-?\d+$/.test(seedText) && Number.isSafeInteger(n) ? n : seedText;
  }
  // An empty --host would bind every interface and write `kdc = :PORT` into krb5.conf.
  if (values.host !== undefined && !isHost(values.host)) {
    return usage(
      `--host must be an IP address or a host name (127.0.0.1, ::, localhost), got '${values.host}'`,
    );
  }
  const file = positionals[0]!;
  let loaded: Awaited<ReturnType<typeof loadServeFile>>;
  try {
    loaded = await loadServeFile(file);
  } catch (e) {
    if (e instanceof TopologyError) {
      io.stderr(`krbsim serve: ${file}: ${e.message}\n`);
      return ExitCode.usage;
    }
    throw e;
  }
  // Checked now, so a typo in an output path fails before anything listens.
  for (const option of ['html', 'pcap'] as const) {
    const path = values[option];
    const problem = path === undefined ? undefined : unwritable(path);
    if (problem !== undefined) return usage(`--${option} ${path}: ${problem}`);
  }
  if (values.dir !== undefined && values.keep === true)
    return usage('--keep is for the temporary directory: --dir is kept');
  // Checked before anything listens: keytabs and principals.json must not land where others can swap files.
  const unsafe = values.dir === undefined ? undefined : unsafeServeDir(values.dir);
  if (unsafe !== undefined) return usage(`--dir ${values.dir}: ${unsafe}`);
  if (loaded.kind === 'azure-sql-mi') {
    // The lab is one process with its own ports (onPrem.port, managedInstances[].port).
    const ports = [
      values.workers !== undefined && '--workers',
      values['replica-of'] !== undefined && '--replica-of',
      values.port !== undefined && '--port',
    ].filter(Boolean);
    if (ports.length > 0) {
      return usage(`${ports.join(', ')}: not for an Azure lab (${file}); its file sets the ports`);
    }
    // The lab's KDCs serve real clients without a trace; its own trace holds the TDS side only.
    const traces = [values.html !== undefined && '--html', values.pcap !== undefined && '--pcap'].filter(
      Boolean,
    );
    if (traces.length > 0) {
      return usage(
        `${traces.join(', ')}: not for an Azure lab (${file}); its KDCs keep no trace of what they serve`,
      );
    }
    return {
      kind: 'azure-sql-mi',
      file,
      lab: loaded.lab,
      ...(values.dir !== undefined && { dir: values.dir }),
      ...(values.host !== undefined && { host: values.host }),
      ...(seed !== undefined && { seed }),
      kdcKeytab: values['kdc-keytab'] === true,
      directKdc: values['direct-kdc'] === true,
      keep: values.keep === true,
      json: values['json-log'] === true,
      level,
    };
  }
  // A topology's realms all listen on UDP and TCP, kdcProxy ones too.
  if (values['direct-kdc'] === true)
    return usage(`--direct-kdc is for an Azure lab: every realm of ${file} has its own port`);
  let topology: TopologyFile = loaded.topology;
  // A PKINIT realm's certificates are issued in the serving process (fresh keys): not shareable.
  const pkinit = topology.realms.filter((r) => r.pkinit !== undefined).map((r) => r.name);
  const sharing = [workers > 1 && '--workers', values['replica-of'] !== undefined && '--replica-of'].filter(
    Boolean,
  );
  const traced = [values.html !== undefined && '--html', values.pcap !== undefined && '--pcap'].filter(
    Boolean,
  );
  if (traced.length > 0 && sharing.length > 0) {
    // Each worker or replica answers its own share: no one process sees every exchange.
    return usage(
      `${traced.join(', ')}: not with ${sharing.join(', ')}, whose processes each see a share of the requests`,
    );
  }
  if (pkinit.length > 0 && sharing.length > 0) {
    return usage(
      `${sharing.join(', ')}: not for PKINIT realms (${pkinit.join(', ')}), whose certificates this process issues and others cannot share`,
    );
  }
  if (values['replica-of'] !== undefined) {
    // A replica's proxy would reach a copy of the realm the others' changes never reach.
    try {
      refuseKdcProxy(topology);
    } catch (e) {
      io.stderr(`krbsim serve: ${file}: ${(e as Error).message}\n`);
      return ExitCode.usage;
    }
  }
  if (values.port !== undefined) {
    const ported = applyPortOptions(topology, values.port);
    if (typeof ported === 'string') return usage(ported);
    topology = ported;
  }
  return {
    file,
    topology,
    ...(values.dir !== undefined && { dir: values.dir }),
    ...(values.host !== undefined && { host: values.host }),
    ...(seed !== undefined && { seed }),
    workers,
    ...(values['replica-of'] !== undefined && { replicaOf: values['replica-of'] }),
    kdcKeytab: values['kdc-keytab'] === true,
    keep: values.keep === true,
    ...(values.html !== undefined && { html: values.html }),
    ...(values.pcap !== undefined && { pcap: values.pcap }),
    json: values['json-log'] === true,
    level,
  };
}

/**
 * Whether `host` can be bound and named in krb5.conf: an IPv4 or IPv6 address (bracketed or not),
 * or a DNS host name (labels of letters, digits and hyphens).
 */
function isHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare !== host) return isIPv6(bare);
  if (isIP(host) !== 0) return true;
  if (/^[\d.]+$/.test(host)) return false; // 999.1.1.1: no address, and no name either
  return isDnsName(host);
}

/** The `listening` and `ready` lines, once the files are written. */
export function announce(
  log: ServeLog,
  files: TopologyWriteResult,
  extra: { workers?: readonly number[]; dir?: ServeDir } = {},
): void {
  for (const [name, r] of Object.entries(files.ports.realms)) {
    log.lifecycle(
      {
        event: 'listening',
        realm: name,
        host: r.host,
        udp: r.udp,
        tcp: r.tcp,
        kdcs: r.kdcs ?? [],
        ...(r.kpasswd !== undefined && { kpasswd: r.kpasswd }),
        ...(r.kdcProxy !== undefined && { kdcProxy: r.kdcProxy }),
      },
      `${name}: KDC on ${r.host}:${r.udp} (udp+tcp)` +
        (r.kpasswd === undefined ? '' : `, kpasswd on ${r.host}:${r.kpasswd}`) +
        (r.kdcProxy === undefined ? '' : `, KDC proxy ${r.kdcProxy} (krb5.conf names it)`) +
        ((r.kdcs?.length ?? 1) > 1 ? `; krb5.conf lists ${r.kdcs!.join(', ')}` : ''),
    );
  }
  const workers =
    extra.workers === undefined ? '' : `\n  ${extra.workers.length} workers: ${extra.workers.join(' ')}`;
  const kdcKeytab =
    files.kdcKeytab === undefined
      ? ''
      : `\n  KDC keys in ${files.kdcKeytab}: anyone holding them can forge tickets`;
  const ca = files.ca === undefined ? '' : `\n  KDC proxy CA in ${files.ca} (krb5.conf's http_anchors)`;
  const direct =
    files.krb5confDirect === undefined
      ? ''
      : `\n  without MS-KKDCP (Java, Heimdal, gokrb5): ${files.krb5confDirect}, every realm at its own port`;
  log.lifecycle(
    {
      event: 'ready',
      dir: files.dir,
      krb5conf: files.krb5conf,
      ports: files.portsJson,
      ...(extra.workers !== undefined && { workers: extra.workers }),
      ...(files.kdcKeytab !== undefined && { kdcKeytab: files.kdcKeytab }),
      ...(files.ca !== undefined && { ca: files.ca }),
      ...(files.krb5confDirect !== undefined && { krb5confDirect: files.krb5confDirect }),
      ...(extra.dir?.temporary !== undefined && { temporary: extra.dir.temporary }),
    },
    `files in ${files.dir}${extra.dir === undefined ? '' : serveDirNote(extra.dir)}${workers}${kdcKeytab}${ca}${direct}\n  export KRB5_CONFIG=${files.krb5conf}\nready; Ctrl-C to stop`,
  );
}

/** Removes a temporary directory (unless kept) and says so. */
export async function releaseDir(log: ServeLog, dir: ServeDir): Promise<void> {
  const done = await dir.release();
  if (done !== undefined) log.lifecycle({ event: done, dir: dir.path }, `${done} ${dir.path}`);
}

/** Resolves when `io.signal` aborts (never, without a signal). */
export function stopped(io: CliIo): Promise<void> {
  return new Promise<void>((resolve) => {
    if (io.signal === undefined) return; // no way to stop: serve forever
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * @internal A lab seed: a safe integer as given, else the first 53 bits of the text's SHA-256 (as a
 * topology's seed text reaches its realms' `SeededRandom` through SHA-256): the widest number the
 * lab takes, so two texts make one lab only as two random 53-bit numbers meet.
 */
export function seedNumber(s: string): number {
  // An integer past 2^53 would round (two seeds, one lab): hashed as text instead.
  if (/^-?\d+$/.test(s) && Number.isSafeInteger(Number(s))) return Number(s);
  const h = createHash('sha256').update(`krbsim-lab-seed:${s}`).digest();
  return h.readUIntBE(0, 6) * 32 + (h[6]! >> 3);
}

/** `krbsim serve azure-sql-mi` or a `kind: azure-sql-mi` file: see `azure-lab.ts`. */
async function serveAzureLab(config: AzureServeConfig, io: CliIo): Promise<number> {
  const log = serveLog((line) => io.stdout(line), { json: config.json, level: config.level });
  let served: ServeDir;
  try {
    served = await serveDir(config.dir, 'krbsim-azure-', config.keep);
  } catch (e) {
    return startFailure(config, io, e);
  }
  const dir = served.path;
  const { startAzureLab } = await import('./azure-lab');
  let running: Awaited<ReturnType<typeof startAzureLab>>;
  try {
    running = await startAzureLab({
      lab: config.lab,
      dir,
      ...(config.host !== undefined && { host: config.host }),
      ...(config.seed !== undefined && { seed: seedNumber(String(config.seed)) }),
      ...(config.kdcKeytab && { kdcKeytab: true }),
      ...(config.directKdc && { directKdc: true }),
      ...log.labOptions,
    });
  } catch (e) {
    await served.release('failed');
    // What the lab refused of the file names its field, as validation does: the file's fault.
    if (e instanceof TopologyError) {
      io.stderr(`krbsim serve: ${config.file}: ${e.message}\n`);
      return ExitCode.usage;
    }
    io.stderr(`krbsim serve: cannot start the Azure lab: ${(e as Error).message}\n`);
    return ExitCode.failure;
  }
  const p = running.ports;
  log.lifecycle(
    {
      event: 'ready',
      dir,
      krb5conf: p.krb5conf,
      ports: join(dir, 'ports.json'),
      ...(p.kdcKeytab !== undefined && { kdcKeytab: p.kdcKeytab }),
      ca: p.ca,
      ...(p.krb5confDirect !== undefined && { krb5confDirect: p.krb5confDirect }),
      ...(served.temporary !== undefined && { temporary: served.temporary }),
    },
    [
      ...Object.entries(p.kdcs).map(([realm, k]) => `${realm}: KDC on ${k.host}:${k.udp} (udp+tcp)`),
      ...Object.entries(p.kdcProxy).map(([realm, url]) => `${realm}: KDC proxy ${url}`),
      ...Object.entries(p.tds).map(([n, t]) => `${n}: TDS on ${t.host}:${t.port} (${t.spn})`),
      `files in ${dir}${serveDirNote(served)}`,
      ...(p.kdcKeytab === undefined
        ? []
        : [`  KDC keys in ${p.kdcKeytab}: anyone holding them can forge tickets`]),
      `  lab CA in ${p.ca} (krb5.conf's http_anchors; it signed the KDC proxy's and the listeners' certificates)`,
      `  export KRB5_CONFIG=${p.krb5conf} FREETDSCONF=${p.freetdsconf}`,
      ...(p.krb5confDirect === undefined
        ? []
        : [`  without MS-KKDCP (Java: -Djava.security.krb5.conf=...): ${p.krb5confDirect}`]),
      `  export ODBCINI=${p.odbcini} ODBCSYSINI=${dir}   # isql -v -b -e <instance>`,
      'ready; Ctrl-C to stop',
    ].join('\n'),
  );
  await stopped(io);
  await running.close();
  await releaseDir(log, served);
  log.lifecycle({ event: 'stopped' }, 'stopped');
  return ExitCode.ok;
}

/** Whether a failure to start is the user's (exit 2) or the system's (exit 1), reported on stderr. */
export function startFailure(config: Pick<ServeConfig, 'file'>, io: CliIo, e: unknown): number {
  if (e instanceof TopologyError) {
    io.stderr(`krbsim serve: ${config.file}: ${e.message}\n`);
    return ExitCode.usage;
  }
  // A --dir someone else made (or opened up) since the arguments were checked: refused as it would have been then.
  if (e instanceof UnsafeServeDirError) {
    io.stderr(`krbsim serve: ${e.message}\n`);
    return ExitCode.usage;
  }
  io.stderr(`krbsim serve: cannot start: ${(e as Error).message}\n`);
  return ExitCode.failure;
}

/** `--workers 1`: this process builds the realms and serves them. */
async function serveInProcess(config: ServeConfig, io: CliIo): Promise<number> {
  const log = serveLog((line) => io.stdout(line), { json: config.json, level: config.level });
  let dir: ServeDir;
  try {
    dir = await serveDir(config.dir, 'krbsim-serve-', config.keep);
  } catch (e) {
    return startFailure(config, io, e);
  }
  // Loaded only now, so a bad file or --help never pays for loading the KDC.
  const { startTopology } = await import('./start-topology');
  const trace =
    config.html === undefined && config.pcap === undefined
      ? undefined
      : new (await import('@krbsim/transport')).Trace({
          maxEntries: SERVE_TRACE_ENTRIES,
          maxBytes: SERVE_TRACE_BYTES,
        });
  let running: Awaited<ReturnType<typeof startTopology>>;
  try {
    running = await startTopology(config.topology, {
      dir: dir.path,
      ...(trace !== undefined && { trace }),
      ...(config.host !== undefined && { host: config.host }),
      ...(config.seed !== undefined && { seed: config.seed }),
      ...(config.replicaOf !== undefined && { replicaOf: config.replicaOf }),
      ...(config.kdcKeytab && { kdcKeytab: true }),
      ...log.topologyOptions,
    });
  } catch (e) {
    await dir.release('failed');
    return startFailure(config, io, e);
  }
  announce(log, running.files!, { dir });
  await stopped(io);
  await running.close();
  const written =
    trace === undefined
      ? ExitCode.ok
      : await writeTrace(config, trace, log, io, [...running.realms.values()]);
  await releaseDir(log, dir);
  log.lifecycle({ event: 'stopped' }, 'stopped');
  return written;
}

/**
 * `--html` and `--pcap` at exit: the exchanges served, as a page and as a capture. The page opens
 * what the realms' keys open (tickets, PACs, authenticators, as `krbsim decode --keytab` does;
 * keys redacted; a kpasswd request's KRB-PRIV, which holds the new password, stays sealed).
 */
async function writeTrace(
  config: ServeConfig,
  trace: Trace,
  log: ServeLog,
  io: CliIo,
  realms: readonly Realm[],
): Promise<number> {
  const { decodeToJson } = await import('./decode');
  const { realmKeytabEntries } = await import('./topology-files');
  const outputs: [string | undefined, () => Uint8Array | string][] = [
    [
      config.html,
      () => {
        const keys = realmKeytabEntries(realms, Date.now());
        return trace.toHtml({
          title: `krbsim serve ${config.file}`,
          decode: (bytes) => decodeToJson(bytes, { keys }),
        });
      },
    ],
    [config.pcap, () => trace.toPcap()],
  ];
  for (const [path, render] of outputs) {
    if (path === undefined) continue;
    try {
      await writeFile(path, render());
    } catch (e) {
      io.stderr(`krbsim serve: cannot write ${path}: ${(e as Error).message}\n`);
      return ExitCode.failure;
    }
    log.lifecycle(
      { event: 'wrote', path, exchanges: trace.entries.length },
      `wrote ${trace.entries.length} exchanges to ${path}`,
    );
  }
  return ExitCode.ok;
}
