/**
 * `krbsim serve --workers N`: N worker processes serve the realms, as MIT's
 * `krb5kdc -w N` does. Node's cluster module holds each KDC's UDP socket and
 * TCP listener in this process (the primary) and shares them: every worker
 * receives from the same sockets, so one `kdc = host:port` line reaches all
 * of them and the kernel (UDP) or the primary (TCP connections, round-robin)
 * spreads the requests.
 *
 * Any worker may get any request, so every worker must hold the same realm:
 * each builds it from the same topology and seed (long-term keys from the
 * seed, see replica.ts), and reports its realms' check values, which must
 * equal the primary's. A KDC keeps no state between requests that another
 * KDC of the realm would need; what changes the realm, a password changed
 * through the password-change service (kpasswd, RFC 3244), is served by the
 * primary alone, which sends each change to every worker and answers the
 * client once they all hold it (a replacement worker starts with the
 * changes so far).
 *
 * The primary builds the realms too (for the keytabs and check values),
 * writes the files once every worker listens, replaces a worker that dies,
 * and on SIGINT/SIGTERM stops the workers and exits 0. The seed travels to
 * the workers over the cluster's IPC channel, never in argv or the
 * environment (it derives every long-term key).
 *
 * @module
 */

import cluster, { type Worker } from 'node:cluster';
import { mkdir } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KpasswdService, type Realm } from '@krbsim/kdc';
import { type KdcHandler, type KdcServer, serveKdc, UdpTcpTransport } from '@krbsim/transport';
import { connectableHost } from './connect-address';
import { type CliIo, ExitCode } from './io';
import {
  appendPasswordChange,
  createPasswordFeed,
  PASSWORD_FEED_FILE,
  PasswordFeedReader,
} from './password-feed';
import { type ReplicaFeed, randomSeed, readReplicaFeed, readReplicaOf, replicaCheck } from './replica';
import { announce, releaseDir, type ServeConfig, startFailure, stopped } from './serve';
import { type ServeDir, serveDir } from './serve-dir';
import { serveLog } from './serve-log';
import {
  applyPasswordChange,
  buildRealms,
  type KdcServerInfo,
  type PasswordChange,
  serveKdcProxyFor,
} from './start-topology';
import type { TopologyFile } from './topology';
import { writeTopologyFiles } from './topology-files';

/** What the primary sends a worker once, right after forking it. */
export interface WorkerStart {
  readonly type: 'start';
  readonly topology: TopologyFile;
  readonly seed: number | string;
  readonly host?: string;
  readonly json: boolean;
  readonly level: ServeConfig['level'];
  /** The passwords changed so far (a replacement worker starts with them). */
  readonly passwordChanges: readonly PasswordChange[];
}

/**
 * A password the primary's password-change service changed: number `seq`
 * of the run, applied by each worker once and in order, then acknowledged
 * (`password-applied`), and only then answered to the client, so that the
 * next logon with the new password finds it whichever worker serves it.
 */
export interface WorkerPasswordChange {
  readonly type: 'password';
  readonly seq: number;
  readonly change: PasswordChange;
}

/**
 * What a worker says: `hello` once it listens for the start message (a
 * message sent earlier, while its modules load, would be lost), then
 * `listening` once its KDCs listen, or `failed`.
 */
export type WorkerReport =
  | { readonly type: 'hello' }
  | {
      readonly type: 'listening';
      readonly servers: readonly KdcServerInfo[];
      readonly checks: Readonly<Record<string, string>>;
    }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'password-applied'; readonly seq: number };

/** The file a worker runs: serve-worker.ts beside this module (serve-worker.js or .cjs once built). */
function workerEntry(): string {
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
  const ext = extname(here);
  return join(dirname(here), `serve-worker${ext === '.ts' || ext === '.cjs' ? ext : '.js'}`);
}

/** Fork one worker and resolve once its KDCs listen; reject if it fails or exits first. */
function startWorker(
  start: WorkerStart,
): Promise<{ worker: Worker; report: WorkerReport & { type: 'listening' } }> {
  const worker = cluster.fork();
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null, signal: string | null) =>
      reject(new Error(`worker ${worker.id} exited (${signal ?? `code ${code}`}) before listening`));
    worker.once('exit', onExit);
    // Only our reports: a loader in the worker (tsx) may use the same IPC channel.
    const onMessage = (report: WorkerReport) => {
      if (report?.type === 'hello') {
        worker.send(start);
        return;
      }
      if (report?.type !== 'listening' && report?.type !== 'failed') return;
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      if (report.type === 'listening') resolve({ worker, report });
      else {
        worker.kill();
        reject(new Error(report.message));
      }
    };
    worker.on('message', onMessage);
  });
}

/**
 * The servers every worker reported, checked: the same ports (the sockets
 * are shared) and the same check values as the primary's realms.
 */
function agreedServers(
  reports: readonly (WorkerReport & { type: 'listening' })[],
  checks: ReadonlyMap<string, string>,
): Map<string, KdcServerInfo> {
  const first = reports[0]!;
  for (const [i, r] of reports.entries()) {
    for (const [realm, check] of checks) {
      if (r.checks[realm] !== check) {
        throw new Error(
          `worker ${i + 1} built ${realm} with other keys (check ${r.checks[realm]}, primary ${check})`,
        );
      }
    }
    const ports = (x: typeof r) =>
      x.servers.map((s) => `${s.realm}=${s.host}:${s.udpPort}/${s.tcpPort}`).join(' ');
    if (ports(r) !== ports(first)) {
      throw new Error(
        `the workers listen on different ports (${ports(first)} and ${ports(r)}): ` +
          'the KDC listeners did not share their sockets (serveKdc must bind with exclusive: false)',
      );
    }
  }
  return new Map(first.servers.map((s) => [s.realm, s]));
}

/** How long the primary waits for a worker to apply a password change before answering without it. */
const APPLY_TIMEOUT_MS = 5_000;

/** Send change `seq` to `w`; resolves once `w` applied it, exited, or {@link APPLY_TIMEOUT_MS} passed. */
function sendChange(w: Worker, seq: number, change: PasswordChange): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('exit', done);
      resolve();
    };
    const onMessage = (m: WorkerReport) => {
      if (m?.type === 'password-applied' && m.seq >= seq) done();
    };
    const timer = setTimeout(done, APPLY_TIMEOUT_MS);
    w.on('message', onMessage);
    w.once('exit', done);
    if (!w.isConnected()) done();
    else w.send({ type: 'password', seq, change } satisfies WorkerPasswordChange);
  });
}

/**
 * The realm's password-change service (kpasswd, RFC 3244) on its own port in
 * the primary, which holds the realm too: a change is answered once
 * `distribute` has every worker hold it.
 */
async function servePasswordChanges(
  realm: Realm,
  config: ServeConfig,
  distribute: (change: PasswordChange) => Promise<unknown>,
): Promise<{ server: KdcServer; handle: KdcHandler }> {
  let pending: Promise<unknown> | undefined;
  const service = new KpasswdService(realm, {
    onChange: (principal, password) => {
      pending = distribute({ realm: realm.name, principal, password });
    },
  });
  const handle = async (request: Uint8Array): Promise<Uint8Array> => {
    const reply = service.handle(request);
    const distributed = pending;
    pending = undefined;
    await distributed;
    return reply;
  };
  const server = await serveKdc(handle, {
    ...(config.host !== undefined && { host: config.host }),
    realm: realm.name,
    clock: realm.clock,
    protocol: 'kpasswd',
  });
  return { server, handle };
}

/**
 * A realm's KDC as a KDC proxy reaches it from the primary: over the shared
 * socket, as a proxy reaches a KDC over the network (whichever worker reads
 * the datagram answers; TCP when the reply is too big for UDP).
 */
function forwardToWorkers(info: KdcServerInfo): KdcHandler {
  const transport = new UdpTcpTransport({
    kdcs: { [info.realm]: [{ host: connectableHost(info.host), port: info.udpPort }] },
  });
  return (request) => transport.send(info.realm, request);
}

/** Run `krbsim serve` with `config.workers` worker processes; resolves with the exit code. */
export async function serveWithWorkers(config: ServeConfig, io: CliIo): Promise<number> {
  const log = serveLog((line) => io.stdout(line), { json: config.json, level: config.level });
  const seed = config.seed ?? randomSeed();
  let realms: ReturnType<typeof buildRealms>;
  try {
    realms = buildRealms(config.topology, { seed });
  } catch (e) {
    // What the realms refuse (a duplicate user...) names the file's field, as in one process.
    return startFailure(config, io, e);
  }
  const checks = new Map([...realms].map(([name, realm]) => [name, replicaCheck(realm, config.topology)]));
  const changes: PasswordChange[] = [];
  const start = (): WorkerStart => ({
    type: 'start',
    topology: config.topology,
    seed,
    ...(config.host !== undefined && { host: config.host }),
    json: config.json,
    level: config.level,
    passwordChanges: [...changes],
  });
  cluster.setupPrimary({ exec: workerEntry(), args: [], silent: false });

  const live = new Set<Worker>();
  // What this process serves itself: the password-change services and the KDC proxy.
  const ownServers: { close(): Promise<void> }[] = [];
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    await Promise.all(ownServers.map((k) => k.close()));
    await Promise.all(
      [...live].map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            w.once('exit', () => resolve());
            // A worker that does not close within 5 s is killed.
            const timer = setTimeout(() => w.process.kill('SIGKILL'), 5_000);
            w.once('exit', () => clearTimeout(timer));
            if (w.isConnected()) w.send({ type: 'stop' });
            else w.process.kill('SIGTERM');
          }),
      ),
    );
  };
  const track = (w: Worker) => {
    live.add(w);
    // Whatever changed while it started (it ignores what it already holds).
    for (const [i, change] of changes.entries()) void sendChange(w, i + 1, change);
    w.once('exit', (code, signal) => {
      live.delete(w);
      if (stopping) return;
      // A worker died: say so, and replace it (the others keep serving meanwhile).
      log.lifecycle(
        { event: 'worker-exit', worker: w.id, pid: w.process.pid, code, signal },
        `worker ${w.id} (pid ${w.process.pid}) exited (${signal ?? `code ${code}`}); starting another`,
      );
      startWorker(start()).then(
        ({ worker }) => {
          if (stopping) {
            worker.kill();
            return;
          }
          track(worker);
          log.lifecycle(
            { event: 'worker-started', worker: worker.id, pid: worker.process.pid },
            `worker ${worker.id} (pid ${worker.process.pid}) serving`,
          );
        },
        (e: Error) =>
          log.lifecycle(
            { event: 'worker-failed', message: e.message },
            `a replacement worker failed: ${e.message}`,
          ),
      );
    });
  };

  let servers: Map<string, KdcServerInfo>;
  let kdcProxyCa: string | undefined;
  /** The feed of password changes this primary writes (password-feed.ts), once its directory exists. */
  let feedFile: string | undefined;
  /** What this process follows when it replicates another. */
  let feed: ReplicaFeed | undefined;
  let files: Awaited<ReturnType<typeof writeTopologyFiles>>;
  let dir: ServeDir | undefined;
  try {
    // Before any worker starts: a replica of other keys must not serve.
    const replicaKdcs =
      config.replicaOf === undefined
        ? undefined
        : await readReplicaOf(config.replicaOf, config.topology, checks);
    // A replica follows the password changes of the process it replicates: the workers start with
    // the changes so far and get each new one as they get the changes of a primary's own service.
    feed = config.replicaOf === undefined ? undefined : await readReplicaFeed(config.replicaOf);
    const reader =
      feed?.passwordChanges === undefined ? undefined : new PasswordFeedReader(feed.passwordChanges);
    if (reader !== undefined) {
      let failure: string | undefined;
      const read = () => {
        try {
          const changes = reader.read();
          failure = undefined;
          return changes;
        } catch (e) {
          // From a timer: a feed that cannot be read ends nothing; the workers serve what they have.
          const why = e instanceof Error ? e.message : String(e);
          if (why !== failure)
            log.topologyOptions.transportLog?.(`password-change feed not read: ${why}; serving on`);
          failure = why;
          return [];
        }
      };
      const follow = () => {
        for (const change of read()) {
          applyPasswordChange(realms, change);
          const seq = changes.push(change);
          for (const w of live) void sendChange(w, seq, change);
          log.topologyOptions.transportLog?.(
            `${change.realm} password of ${change.principal} changed at the primary: applied`,
          );
        }
      };
      follow();
      const timer = setInterval(follow, 250);
      timer.unref();
      ownServers.push({ close: async () => clearInterval(timer) });
    }
    const started = await Promise.allSettled(
      Array.from({ length: config.workers }, () => startWorker(start())),
    );
    for (const s of started) if (s.status === 'fulfilled') track(s.value.worker);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const reports = started.map(
      (s) => (s as PromiseFulfilledResult<Awaited<ReturnType<typeof startWorker>>>).value,
    );
    servers = agreedServers(
      reports.map((r) => r.report),
      checks,
    );
    // One password-change service per realm, in this process: every change reaches every worker.
    const kpasswdHandlers = new Map<string, KdcHandler>();
    if (config.replicaOf === undefined) {
      for (const [name, realm] of realms) {
        const kpasswd = await servePasswordChanges(realm, config, (change) => {
          if (feedFile !== undefined) appendPasswordChange(feedFile, change);
          const seq = changes.push(change);
          return Promise.all([...live].map((w) => sendChange(w, seq, change)));
        });
        ownServers.push(kpasswd.server);
        kpasswdHandlers.set(name, kpasswd.handle);
        servers.set(name, { ...servers.get(name)!, kpasswdPort: kpasswd.server.udpPort! });
      }
    }
    // The KDC proxy of the kdcProxy realms, in this process too: to the workers over the shared sockets.
    const proxied = config.topology.realms.filter((r) => r.kdcProxy === true).map((r) => r.name);
    if (proxied.length > 0) {
      const served = await serveKdcProxyFor(
        config.host ?? '127.0.0.1',
        new Map(proxied.map((name) => [name, forwardToWorkers(servers.get(name)!)])),
        new Map(
          proxied.flatMap((name) => (kpasswdHandlers.has(name) ? [[name, kpasswdHandlers.get(name)!]] : [])),
        ),
        undefined,
      );
      ownServers.push(served);
      kdcProxyCa = served.ca;
      for (const name of proxied) servers.set(name, { ...servers.get(name)!, kdcProxyUrl: served.url });
    }
    dir = await serveDir(config.dir, 'krbsim-serve-', config.keep);
    if (config.replicaOf === undefined) {
      await mkdir(dir.path, { recursive: true, mode: 0o700 });
      feedFile = join(dir.path, PASSWORD_FEED_FILE);
      createPasswordFeed(feedFile);
    }
    files = await writeTopologyFiles(dir.path, {
      topology: config.topology,
      realms,
      servers,
      checks,
      ...(replicaKdcs !== undefined && { replicaKdcs }),
      ...(feed !== undefined && { replicaKpasswd: feed.kpasswd }),
      ...((feedFile ?? feed?.passwordChanges) !== undefined && {
        passwordChanges: feedFile ?? feed!.passwordChanges!,
      }),
      ...(config.kdcKeytab && { kdcKeytab: true }),
      ...(kdcProxyCa !== undefined && { kdcProxyCa }),
      workerPids: reports.map((r) => r.worker.process.pid!),
    });
  } catch (e) {
    await stopAll();
    await dir?.release();
    return startFailure(config, io, e);
  }
  announce(log, files, { workers: files.ports.workers ?? [], dir: dir! });
  await stopped(io);
  await stopAll();
  await releaseDir(log, dir!);
  log.lifecycle({ event: 'stopped' }, 'stopped');
  return ExitCode.ok;
}
