/**
 * The two KDC servers of the kdc-udp suite, each a process of its own on
 * 127.0.0.1:
 *
 * - {@link startKrbsimServer}: bench/lib/exchanges-kdc-server.ts under the
 *   same Node flags as this process (so `--single-threaded-gc` applies to
 *   the server too);
 * - {@link startMitKdc}: MIT `krb5kdc -n` over a fresh database in a temp
 *   directory, configured only through a private kdc.conf and krb5.conf
 *   (KRB5_KDC_PROFILE, KRB5_CONFIG; /etc is never read or written), with
 *   the principals and enctypes of BENCH.TEST.
 *
 * Both are started with their CPU affinity reset to every CPU (`taskset -c
 * 0-N`), because run.ts pins the suite to one CPU and a child inherits that:
 * the servers run unpinned, scheduled by the OS like any daemon. Every
 * process started here is killed by its pid in `stop()`, and on exit.
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REALM, SERVICE_SPN, USER } from './exchanges-fixtures';

export interface RunningServer {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  /** Kill the process (SIGTERM, then SIGKILL) and remove its files. Idempotent. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function which(tool: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/sbin']) {
    if (!dir) continue;
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return join(dir, tool);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** argv that runs `cmd` unpinned (every CPU), when taskset exists. */
function unpinned(cmd: string, args: string[]): [string, string[]] {
  const taskset = which('taskset');
  if (!taskset) return [cmd, args];
  // os.cpus(), not availableParallelism(): the latter counts only the CPUs we are pinned to.
  return [taskset, ['-c', `0-${Math.max(1, cpus().length) - 1}`, cmd, ...args]];
}

function track(child: ChildProcess): () => Promise<void> {
  live.add(child);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    live.delete(child);
  };
}

/** krbsim's serveKdc in a child process (bench/lib/exchanges-kdc-server.ts). */
export async function startKrbsimServer(): Promise<RunningServer> {
  const script = fileURLToPath(new URL('./exchanges-kdc-server.ts', import.meta.url));
  // This process's V8 flags (--single-threaded-gc, --expose-gc ...), and tsx.
  const flags = process.execArgv.filter((a) => a.startsWith('--') && !a.startsWith('--import'));
  const [cmd, args] = unpinned(process.execPath, [...flags, '--import', 'tsx', script]);
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const stop = track(child);
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  try {
    const first = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('timed out after 30 s')), 30_000);
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const nl = out.indexOf('\n');
        if (nl >= 0) {
          clearTimeout(timer);
          resolve(out.slice(0, nl));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with code ${code}`));
      });
    });
    const { udpPort, pid } = JSON.parse(first) as { udpPort: number; pid: number };
    return {
      name: 'krbsim serveKdc',
      port: udpPort,
      pid,
      stop: async () => {
        child.stdin!.end();
        await stop();
      },
    };
  } catch (e) {
    await stop();
    throw new Error(`the krbsim KDC server did not start: ${(e as Error).message}\n${err}`);
  }
}

/** A loopback port free for both UDP and TCP just now. */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const a = srv.address();
        const p = typeof a === 'object' && a !== null ? a.port : 0;
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
  throw new Error('no free loopback port');
}

/** Why the MIT KDC cannot run here, or undefined when its tools are installed. */
export function mitKdcMissing(): string | undefined {
  const missing = ['krb5kdc', 'kdb5_util', 'kadmin.local'].filter((t) => !which(t));
  return missing.length
    ? `${missing.join(', ')} not found (Debian: apt-get install krb5-kdc krb5-admin-server)`
    : undefined;
}

/**
 * MIT krb5kdc for BENCH.TEST: etype 18 only (master key, krbtgt, alice,
 * host/bench.example), alice without requires_preauth, `disable_pac` (so
 * that, like the krbsim realm, it issues tickets without a PAC), logging to
 * /dev/null (krbsim's server logs nothing either), UDP and TCP on one port.
 * `probe` must resolve once a request on the port is answered.
 */
export async function startMitKdc(probe: (port: number) => Promise<void>): Promise<RunningServer> {
  const missing = mitKdcMissing();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), 'krbsim-bench-mitkdc-'));
  const port = await freePort();
  const et = 'aes256-cts-hmac-sha1-96';
  writeFileSync(
    join(dir, 'kdc.conf'),
    `[kdcdefaults]
 kdc_listen = 127.0.0.1:${port}
 kdc_tcp_listen = 127.0.0.1:${port}
[realms]
 ${REALM} = {
  database_name = ${dir}/principal
  key_stash_file = ${dir}/stash
  acl_file = ${dir}/kadm5.acl
  max_life = 10h
  max_renewable_life = 7d
  master_key_type = ${et}
  supported_enctypes = ${et}:normal
  disable_pac = true
 }
[logging]
 kdc = FILE:/dev/null
 admin_server = FILE:/dev/null
 default = FILE:/dev/null
`,
  );
  writeFileSync(
    join(dir, 'krb5.conf'),
    `[libdefaults]
 default_realm = ${REALM}
 dns_lookup_kdc = false
 dns_lookup_realm = false
 rdns = false
[realms]
 ${REALM} = {
  kdc = 127.0.0.1:${port}
 }
`,
  );
  writeFileSync(join(dir, 'kadm5.acl'), '');
  const env = {
    ...process.env,
    KRB5_CONFIG: join(dir, 'krb5.conf'),
    KRB5_KDC_PROFILE: join(dir, 'kdc.conf'),
    KRB5CCNAME: `FILE:${join(dir, 'ccache')}`,
    KRB5RCACHETYPE: 'none',
    LC_ALL: 'C',
  };
  const must = (cmd: string, args: string[]): void => {
    const r = spawnSync(which(cmd)!, args, { env, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0)
      throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout || r.error}`);
  };
  let stopKdc: (() => Promise<void>) | undefined;
  const stop = async (): Promise<void> => {
    await stopKdc?.();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    must('kdb5_util', ['create', '-s', '-r', REALM, '-P', 'krbsim-bench-master-key']);
    const kadmin = (q: string) => must('kadmin.local', ['-r', REALM, '-q', q]);
    kadmin(`addprinc -e ${et}:normal -pw krbsim-bench-alice ${USER}`);
    kadmin(`addprinc -e ${et}:normal -randkey ${SERVICE_SPN}`);
    const [cmd, args] = unpinned(which('krb5kdc')!, ['-n', '-r', REALM]);
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    stopKdc = track(child);
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`krb5kdc exited with code ${child.exitCode}: ${err}`);
      try {
        await probe(port);
        break;
      } catch (e) {
        if (Date.now() > deadline)
          throw new Error(`krb5kdc did not answer on ${port}: ${(e as Error).message} ${err}`);
        await new Promise((r) => setTimeout(r, 100)); // a readiness poll
      }
    }
    // With -n there is no fork: the child is krb5kdc itself, or taskset that exec'd it.
    const pid = child.pid!;
    return { name: 'MIT krb5kdc', port, pid, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
