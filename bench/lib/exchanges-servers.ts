/**
 * The two KDC servers of the kdc-udp suite, each a process of its own on
 * 127.0.0.1:
 *
 * - {@link startKrbsimServer}: bench/lib/exchanges-kdc-server.ts under the
 *   same Node flags as this process (so `--single-threaded-gc` applies to
 *   the server too);
 * - {@link startMitKdc}: MIT `krb5kdc -n` over a fresh database in a temp
 *   directory, set up by test/interop/helpers/mit-realm.ts (the interop
 *   tests' MIT realm), with the principals and enctypes of BENCH.TEST.
 *
 * Both are started with their CPU affinity reset to every CPU (`taskset -c
 * 0-N`), because run.ts pins the suite to one CPU and a child inherits that:
 * the servers run unpinned, scheduled by the OS like any daemon. Every
 * process started here is killed by its pid in `stop()`, and on exit.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { mitKdcMissing, startMitRealm } from '../../test/interop/helpers/mit-realm';
import { findTool } from '../../test/interop/helpers/processes';
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

/** argv that runs `cmd` unpinned (every CPU), when taskset exists. */
function unpinned(cmd: string, args: string[]): [string, string[]] {
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

/** Why the MIT KDC cannot run here, or undefined when its tools are installed. */
export { mitKdcMissing };

/**
 * MIT krb5kdc for BENCH.TEST, set up by the interop tests' MIT realm helper:
 * etype 18 only (master key, krbtgt, alice, host/bench.example), alice
 * without requires_preauth, `disable_pac` (so that, like the krbsim realm,
 * it issues tickets without a PAC), logging nowhere (krbsim's server logs
 * nothing either), UDP and TCP on one port, run unpinned. `probe` must
 * resolve once a request on the port is answered.
 */
export async function startMitKdc(probe: (port: number) => Promise<void>): Promise<RunningServer> {
  const realm = await startMitRealm(
    REALM,
    [
      { name: USER, password: 'krbsim-bench-alice' },
      { name: SERVICE_SPN, password: 'krbsim-bench-service' },
    ],
    undefined,
    {
      enctypes: ['aes256-cts-hmac-sha1-96:normal'],
      extraRealmConfig: 'disable_pac = true',
      log: 'none',
      wrap: unpinned,
    },
  );
  try {
    await probe(realm.port);
  } catch (e) {
    await realm.stop();
    throw new Error(`krb5kdc did not answer on ${realm.port}: ${(e as Error).message}`);
  }
  // With -n there is no fork: the pid is krb5kdc itself, or taskset that exec'd it.
  return { name: 'MIT krb5kdc', port: realm.port, pid: realm.pid, stop: () => realm.stop() };
}
