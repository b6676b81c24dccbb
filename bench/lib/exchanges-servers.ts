/**
 * The KDC servers of the kdc-udp and kdc-workers suites, each a process
 * (tree) of its own on 127.0.0.1:
 *
 * - {@link startKrbsimServer}: bench/lib/exchanges-kdc-server.ts under the
 *   same Node flags as this process (so `--single-threaded-gc` applies to
 *   the server too);
 * - {@link startKrbsimServe}: the `krbsim serve` command (`--workers N`)
 *   on a topology file of BENCH.TEST, under the same Node flags;
 * - {@link startMitKdc}: MIT `krb5kdc -n` (`-w N`) over a fresh database in a
 *   temp directory, set up by test/interop/helpers/mit-realm.ts (the interop
 *   tests' MIT realm), with the principals and enctypes of BENCH.TEST.
 *
 * Both are started with their CPU affinity reset to every CPU (`taskset -c
 * 0-N`), because run.ts pins the suite to one CPU and a child inherits that:
 * the servers run unpinned, scheduled by the OS like any daemon. Every
 * process started here is killed by its pid in `stop()`, and on exit.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MitRealm, mitKdcMissing, startMitRealm } from '../../test/interop/helpers/mit-realm';
import { findTool, runOrThrow } from '../../test/interop/helpers/processes';
import { MANY_USERS, manyUserName, REALM, SERVICE_SPN, USER } from './exchanges-fixtures';

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

/** argv that runs `cmd` unpinned (every CPU), when taskset exists. */
export function unpinned(cmd: string, args: string[]): [string, string[]] {
  const taskset = findTool('taskset');
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

/** The passwords of BENCH.TEST's principals, the same on every server. */
export const BENCH_PASSWORDS = { user: 'krbsim-bench-alice', service: 'krbsim-bench-service' } as const;

/**
 * `krbsim serve` of BENCH.TEST (alice without pre-authentication, as on the
 * MIT KDC; the service host/bench.example; the default etypes, as the MIT
 * realm's) with `--workers workers --quiet --seed <seed>`: the CLI as a user
 * runs it, logging nothing. One seed for every server of a run, so a TGT
 * from one is good at the others.
 */
export async function startKrbsimServe(workers: number, seed: string): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'krbsim-bench-serve-'));
  const topology = join(dir, 'bench.yaml');
  writeFileSync(
    topology,
    [
      'realms:',
      `  - name: ${REALM}`,
      `    users: [{ name: ${USER}, password: ${BENCH_PASSWORDS.user}, requiresPreauth: false }]`,
      `    services: [{ spn: ${SERVICE_SPN}, password: ${BENCH_PASSWORDS.service} }]`,
      '',
    ].join('\n'),
  );
  const bin = fileURLToPath(new URL('../../packages/cli/src/bin.ts', import.meta.url));
  const flags = process.execArgv.filter((a) => a.startsWith('--') && !a.startsWith('--import'));
  const serveArgs = [
    'serve',
    topology,
    '--dir',
    join(dir, 'out'),
    '--workers',
    String(workers),
    '--quiet',
    '--seed',
    seed,
  ];
  const [cmd, args] = unpinned(process.execPath, [...flags, '--import', 'tsx', bin, ...serveArgs]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = track(child);
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('timed out after 60 s')), 60_000);
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('\nready; Ctrl-C to stop')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with code ${code}`));
      });
    });
    const ports = JSON.parse(readFileSync(join(dir, 'out', 'ports.json'), 'utf8')) as {
      realms: Record<string, { udp: number }>;
      pid: number;
    };
    return {
      name: `krbsim serve --workers ${workers}`,
      port: ports.realms[REALM]!.udp,
      pid: ports.pid,
      stop: async () => {
        await stop();
        remove();
      },
    };
  } catch (e) {
    await stop();
    remove();
    throw new Error(`krbsim serve --workers ${workers} did not start: ${(e as Error).message}\n${err}`);
  }
}

/** Why the MIT KDC cannot run here, or undefined when its tools are installed. */
export { mitKdcMissing };

/**
 * MIT krb5kdc for BENCH.TEST, set up by the interop tests' MIT realm helper:
 * etype 18 only (master key, krbtgt, alice, host/bench.example), alice
 * without requires_preauth, `disable_pac` (so that, like the krbsim realm,
 * it issues tickets without a PAC), logging nowhere (krbsim's server logs
 * nothing either), UDP and TCP on one port, run unpinned; with `manyUsers`,
 * also the 1,000 users of `manyUserName` (random keys, no
 * pre-authentication). `probe` must resolve once a request on the port is
 * answered.
 */
export async function startMitKdc(
  probe: (port: number) => Promise<void>,
  options: { workers?: number; enctypes?: 'aes256-sha1' | 'aes'; manyUsers?: boolean } = {},
): Promise<RunningServer> {
  const workers = options.workers;
  const realm = await startMitRealm(
    REALM,
    [
      { name: USER, password: BENCH_PASSWORDS.user },
      { name: SERVICE_SPN, password: BENCH_PASSWORDS.service },
    ],
    undefined,
    {
      // 'aes': the helper's default, the four AES etypes, as a krbsim realm's.
      ...(options.enctypes !== 'aes' && { enctypes: ['aes256-cts-hmac-sha1-96:normal'] }),
      extraRealmConfig: 'disable_pac = true',
      log: 'none',
      // -w N: N worker processes, forked by krb5kdc, sharing its sockets.
      wrap: (cmd, args) => unpinned(cmd, workers === undefined ? args : [...args, '-w', String(workers)]),
    },
  );
  try {
    if (options.manyUsers === true) await addManyUsers(realm);
  } catch (e) {
    await realm.stop();
    throw new Error(`the ${MANY_USERS} users were not added to the MIT realm: ${(e as Error).message}`);
  }
  try {
    await probe(realm.port);
  } catch (e) {
    await realm.stop();
    throw new Error(`krb5kdc did not answer on ${realm.port}: ${(e as Error).message}`);
  }
  // With -n there is no fork: the pid is krb5kdc itself, or taskset that exec'd it; with -w
  // its workers are its children.
  return {
    name: workers === undefined ? 'MIT krb5kdc' : `MIT krb5kdc -w ${workers}`,
    port: realm.port,
    pid: realm.pid,
    stop: () => realm.stop(),
  };
}

/**
 * The {@link MANY_USERS} users, random keys, no pre-authentication: one
 * kadmin.local reads every addprinc (a process each would take a minute). It
 * exits 0 even when a command fails, so the principals are counted after.
 */
async function addManyUsers(realm: MitRealm): Promise<void> {
  const queries = Array.from({ length: MANY_USERS }, (_, i) => `addprinc -randkey ${manyUserName(i)}\n`);
  await runOrThrow(findTool('kadmin.local')!, ['-r', REALM], {
    env: realm.env,
    input: queries.join(''),
    timeoutMs: 120_000,
  });
  const listed = new Set((await realm.kadmin('listprincs')).split('\n').map((l) => l.trim()));
  const missing = Array.from({ length: MANY_USERS }, (_, i) => `${manyUserName(i)}@${REALM}`).filter(
    (p) => !listed.has(p),
  );
  if (missing.length > 0) throw new Error(`${missing.length} missing, the first ${missing[0]}`);
}
