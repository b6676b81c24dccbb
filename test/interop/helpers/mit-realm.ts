/**
 * An MIT krb5 realm on loopback, for the interop tests and the kdc-udp
 * benchmark: `kdb5_util create -s` in a temp dir, principals added with
 * `kadmin.local`, and `krb5kdc -n` on a port the OS picked, all configured
 * through a private kdc.conf and krb5.conf (KRB5_KDC_PROFILE, KRB5_CONFIG):
 * /etc is never read or written. `stop()` kills the KDC (and waits for it)
 * and removes the directory.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool, runOrThrow, waitFor } from './processes';

/** Why an MIT realm cannot run here, or undefined when its programs are installed. */
export function mitKdcMissing(): string | undefined {
  const missing = MIT_KDC_TOOLS.filter((t) => findTool(t) === undefined);
  return missing.length > 0
    ? `${missing.join(', ')} not found (Debian: apt-get install krb5-kdc krb5-admin-server)`
    : undefined;
}

function mitKdcTools(): Record<string, string> {
  const missing = mitKdcMissing();
  if (missing !== undefined) throw new Error(missing);
  return Object.fromEntries(MIT_KDC_TOOLS.map((t) => [t, findTool(t)!]));
}

/** A principal to create. */
export interface MitPrincipal {
  readonly name: string;
  readonly password: string;
  /** kadmin addprinc flags, e.g. `+requires_preauth`. */
  readonly flags?: string;
}

/** How to set up the realm beyond its principals. */
export interface MitRealmOptions {
  /** More lines for the realm's kdc.conf stanza, e.g. `disable_pac = true`. */
  readonly extraRealmConfig?: string;
  /** More sections for the realm's krb5.conf, which its KDC reads too (`[domain_realm]`, `[capaths]`). */
  readonly extraKrb5Config?: string;
  /**
   * supported_enctypes, as MIT key/salt pairs (`aes256-cts-hmac-sha1-96:normal`).
   * When given, the first is also the master key's type. Default: the four AES etypes.
   */
  readonly enctypes?: readonly string[];
  /** Where krb5kdc logs: a kdc.log in the realm's directory (default), or nowhere (a benchmark). */
  readonly log?: 'file' | 'none';
  /** Rewrites the krb5kdc command line (the benchmark runs it under `taskset`). */
  readonly wrap?: (cmd: string, args: string[]) => [string, string[]];
}

const AES_ENCTYPES = [
  'aes256-cts-hmac-sha384-192:normal',
  'aes128-cts-hmac-sha256-128:normal',
  'aes256-cts-hmac-sha1-96:normal',
  'aes128-cts-hmac-sha1-96:normal',
];

/** The MIT programs a realm needs. */
export const MIT_KDC_TOOLS = ['kdb5_util', 'kadmin.local', 'krb5kdc'] as const;

/** A running MIT realm. */
export interface MitRealm {
  readonly realm: string;
  readonly port: number;
  /** The krb5kdc process (or the wrapper that exec'd it). */
  readonly pid: number;
  readonly dir: string;
  /** KRB5_CONFIG, KRB5_KDC_PROFILE, KRB5CCNAME (a FILE ccache in dir) and KRB5RCACHETYPE=none. */
  readonly env: Record<string, string>;
  /** Exports `principal`'s current keys (`ktadd -norandkey`) and returns the keytab file's path. */
  exportKeytab(principal: string): Promise<string>;
  /** Runs `kadmin.local -q query`. */
  kadmin(query: string): Promise<string>;
  /** Stops the KDC and deletes the directory. */
  stop(): Promise<void>;
}

/** A TCP and UDP port on 127.0.0.1 that the OS just reported free. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr !== null ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free loopback port found');
}

const EXITED_EARLY = 'exited before it was ready';

/**
 * Resolves once krb5kdc has written its pid file, which it does after binding
 * every socket (a connection that succeeds could be another process's
 * listener, given the port first); fails if it exits before (the log says why).
 */
async function waitForStart(kdc: ChildProcess, pidFile: string, deadlineMs = 10_000): Promise<void> {
  await waitFor(
    () => {
      if (kdc.exitCode !== null || kdc.signalCode !== null)
        throw new Error(`krb5kdc ${EXITED_EARLY} (${kdc.exitCode ?? kdc.signalCode})`);
      return existsSync(pidFile);
    },
    `krb5kdc's pid file ${pidFile}`,
    { timeoutMs: deadlineMs },
  );
}

/**
 * Creates and starts an MIT realm. `tools` maps kdb5_util, kadmin.local and
 * krb5kdc to their paths (default: found on PATH).
 *
 * The port is free when chosen, but the test files run side by side and
 * another one's socket can take it before krb5kdc binds it: a krb5kdc whose
 * log says the address is in use is started again on another port (at most
 * three times), over the same database. Without a log (`log: 'none'`, the
 * benchmarks), a krb5kdc that exits before it is ready is taken for the same.
 */
export async function startMitRealm(
  realm: string,
  principals: readonly MitPrincipal[],
  tools: Readonly<Record<string, string>> = mitKdcTools(),
  options: MitRealmOptions = {},
): Promise<MitRealm> {
  const enctypes = options.enctypes ?? AES_ENCTYPES;
  const dir = await mkdtemp(join(tmpdir(), 'krbsim-mit-'));
  const kdcConf = (port: number) => `[kdcdefaults]
 kdc_ports = ${port}
 kdc_tcp_ports = ${port}
[realms]
 ${realm} = {
  database_name = ${dir}/principal
  key_stash_file = ${dir}/stash
  acl_file = ${dir}/kadm5.acl
  kdc_listen = 127.0.0.1:${port}
  kdc_tcp_listen = 127.0.0.1:${port}
  max_life = 10h
  max_renewable_life = 7d
  ${options.enctypes === undefined ? '' : `master_key_type = ${enctypes[0]!.split(':')[0]}`}
  supported_enctypes = ${enctypes.join(' ')}
  ${options.extraRealmConfig ?? ''}
 }
[logging]
 kdc = FILE:${options.log === 'none' ? '/dev/null' : join(dir, 'kdc.log')}
 admin_server = FILE:/dev/null
 default = FILE:/dev/null
`;
  const krb5Conf = (port: number) => `[libdefaults]
 default_realm = ${realm}
 dns_lookup_kdc = false
 dns_lookup_realm = false
 rdns = false
[realms]
 ${realm} = {
  kdc = 127.0.0.1:${port}
 }
${options.extraKrb5Config ?? ''}`;
  const configure = async (port: number) => {
    await writeFile(join(dir, 'kdc.conf'), kdcConf(port));
    await writeFile(join(dir, 'krb5.conf'), krb5Conf(port));
  };
  await configure(0); // the database first: its commands contact no KDC
  await writeFile(join(dir, 'kadm5.acl'), '');
  const env = {
    KRB5_CONFIG: join(dir, 'krb5.conf'),
    KRB5_KDC_PROFILE: join(dir, 'kdc.conf'),
    KRB5CCNAME: `FILE:${join(dir, 'ccache')}`,
    KRB5RCACHETYPE: 'none',
  };
  const must = (cmd: string, args: string[], input?: string): Promise<string> =>
    runOrThrow(cmd, args, { env, timeoutMs: 60_000, ...(input === undefined ? {} : { input }) });
  let kdc: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    const child = kdc;
    kdc = undefined;
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await must(tools.kdb5_util!, ['create', '-s', '-r', realm, '-P', 'krbsim-master-Passw0rd']);
    const kadmin = (q: string) => must(tools['kadmin.local']!, ['-r', realm, '-q', q]);
    for (const p of principals) await kadmin(`addprinc ${p.flags ?? ''} -pw ${p.password} ${p.name}`);
    const pidFile = join(dir, 'krb5kdc.pid');
    const [cmd, args] = (options.wrap ?? ((c, a) => [c, a]))(tools.krb5kdc!, [
      '-n',
      '-r',
      realm,
      '-P',
      pidFile,
    ]);
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      // The port is chosen now, as late as it can be, for the moment until krb5kdc binds it is one
      // in which another test file's server can take it.
      port = await freePort();
      await configure(port);
      kdc = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
      try {
        await waitForStart(kdc, pidFile);
        break;
      } catch (e) {
        const log = await readFile(join(dir, 'kdc.log'), 'utf8').catch(() => '');
        const portTaken =
          log.includes('Address already in use') ||
          (options.log === 'none' && String(e).includes(EXITED_EARLY));
        if (attempt === 3 || !portTaken) throw e;
      }
    }
    return {
      realm,
      port,
      pid: kdc.pid!,
      dir,
      env,
      kadmin,
      async exportKeytab(principal: string): Promise<string> {
        const path = join(dir, `${principal.replace(/[^A-Za-z0-9]/g, '_')}.keytab`);
        await rm(path, { force: true });
        await kadmin(`ktadd -k ${path} -norandkey ${principal}`);
        return path;
      },
      stop,
    };
  } catch (e) {
    const log = await readFile(join(dir, 'kdc.log'), 'utf8').catch(() => '');
    await stop();
    throw new Error(`${e instanceof Error ? e.message : String(e)}\nkdc.log:\n${log}`);
  }
}
