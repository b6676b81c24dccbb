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
 * changes so far). A replica's primary hands its workers the changes of the
 * feed it follows the same way, and when that feed begins again (its
 * process restarted) has them build their realms again from the topology
 * and seed (worker-pool.ts).
 *
 * The primary builds the realms too (for the keytabs and check values),
 * writes the files once every worker listens, replaces a worker that dies
 * (rewriting `ports.json`'s `workers`), and on SIGINT/SIGTERM stops the
 * workers and exits 0. The seed travels to
 * the workers over the cluster's IPC channel, never in argv or the
 * environment (it derives every long-term key).
 *
 * @module
 */

import cluster, { type Worker } from 'node:cluster';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Realm } from '@krbsim/kdc';
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
import { type ServeLog, serveLog } from './serve-log';
import {
  applyPasswordChange,
  buildRealms,
  type KdcServerInfo,
  type PasswordChange,
  serveKdcProxyFor,
} from './start-topology';
import { withPlainPasswords } from './topology';
import { type PortsJson, writePortsJson, writeTopologyFiles } from './topology-files';
import {
  type Distributed,
  PasswordChangeRelay,
  type PoolWorker,
  passwordChangeHandler,
  WorkerPool,
  type WorkerReport,
  type WorkerStart,
} from './worker-pool';

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
        worker.send(start, () => {});
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

/**
 * The realm's password-change service (kpasswd, RFC 3244) on its own port in
 * the primary, which holds the realm too: a change is answered once
 * `distribute` has every worker hold it (see `passwordChangeHandler`).
 */
async function servePasswordChanges(
  realm: Realm,
  config: ServeConfig,
  log: ServeLog,
  distribute: (change: PasswordChange) => Distributed,
): Promise<{ server: KdcServer; handle: KdcHandler }> {
  const kpasswdLog = log.topologyOptions.kpasswdLog;
  const handle = passwordChangeHandler(
    realm,
    distribute,
    kpasswdLog === undefined ? undefined : (line) => kpasswdLog(realm.name, line),
  );
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

/**
 * The primary's own password-change service hands a change on: to every worker first (counted, so
 * a worker that starts later starts with it), then to the feed replicas follow. What it did not
 * reach is the `failure` the kpasswd log line shows: no worker serving, or the feed not written.
 */
export function distributeChange(
  relay: PasswordChangeRelay,
  workers: () => Iterable<PoolWorker>,
  feedFile: () => string | undefined,
  change: PasswordChange,
): Distributed {
  const relayed = relay.add(change, workers());
  const failures: string[] = [];
  if (relayed.sent === 0) failures.push('sent to no worker: none serves now (one that starts will hold it)');
  const file = feedFile();
  if (file !== undefined) {
    try {
      appendPasswordChange(file, change);
    } catch (e) {
      failures.push(`not written to ${file}, so no replica gets it: ${(e as Error).message}`);
    }
  }
  return { relayed, ...(failures.length > 0 && { failure: failures.join('; ') }) };
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
  const relay = new PasswordChangeRelay();
  const start = (): WorkerStart => ({
    type: 'start',
    // JSON over IPC: a parsed topology would carry its passwords as '<redacted>'.
    topology: withPlainPasswords(config.topology),
    seed,
    ...(config.host !== undefined && { host: config.host }),
    json: config.json,
    level: config.level,
    ...relay.start,
  });
  cluster.setupPrimary({ exec: workerEntry(), args: [], silent: false });

  /** ports.json once written, and its rewrites (one at a time, in order) as the workers change. */
  let portsFile: { path: string; ports: PortsJson } | undefined;
  let portsWritten: Promise<void> = Promise.resolve();
  const rewritePorts = (pids: readonly number[]): Promise<void> => {
    if (portsFile === undefined) return portsWritten; // not written yet: written with the pids of then
    const path = portsFile.path;
    const ports: PortsJson = { ...portsFile.ports, workers: [...pids] };
    portsFile = { path, ports };
    portsWritten = portsWritten
      .then(() => writePortsJson(path, ports))
      .catch((e: Error) =>
        // Said, and serving goes on.
        log.lifecycle(
          { event: 'ports-failed', path, message: e.message },
          `${path} not rewritten: ${e.message}`,
        ),
      );
    return portsWritten;
  };
  const pool = new WorkerPool({
    size: config.workers,
    start: () => startWorker(start()).then((s) => s.worker),
    log,
    onJoin: (w) => relay.catchUp(w),
    onChange: rewritePorts,
  });
  // What this process serves itself: the password-change services and the KDC proxy.
  const ownServers: { close(): Promise<void> }[] = [];
  const stopAll = async () => {
    await Promise.all([...ownServers.map((k) => k.close()), pool.stop()]);
    await portsWritten;
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
        const restarts = reader.restarts;
        const changes = read();
        if (reader.restarts > restarts) {
          // Its process started again: a new feed over the topology's passwords. Every worker (and
          // this process) builds its realms again, as MIT's kpropd does a full resync, then applies it.
          realms = buildRealms(config.topology, { seed });
          relay.resync(pool.workers);
          log.topologyOptions.transportLog?.(
            'password-change feed begun again (its process restarted): realms rebuilt from the topology and seed',
          );
        }
        for (const change of changes) {
          applyPasswordChange(realms, change);
          void relay.add(change, pool.workers);
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
    for (const s of started) if (s.status === 'fulfilled') pool.add(s.value.worker);
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
        const kpasswd = await servePasswordChanges(realm, config, log, (change) =>
          distributeChange(
            relay,
            () => pool.workers,
            () => feedFile,
            change,
          ),
        );
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
    // Made (0700) and checked now, as it is written into: a --dir checked missing when the arguments
    // were read may have been made by someone else while the workers started.
    dir = await serveDir(config.dir, 'krbsim-serve-', config.keep);
    if (config.replicaOf === undefined) {
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
      workerPids: pool.pids(),
    });
    portsFile = { path: files.portsJson, ports: files.ports };
    // A worker replaced while the files were being written: ports.json names the pool of now.
    if (pool.pids().join() !== (files.ports.workers ?? []).join()) void rewritePorts(pool.pids());
  } catch (e) {
    await stopAll();
    await dir?.release('failed');
    return startFailure(config, io, e);
  }
  announce(log, files, { workers: files.ports.workers ?? [], dir: dir! });
  await stopped(io);
  await stopAll();
  await releaseDir(log, dir!);
  log.lifecycle({ event: 'stopped' }, 'stopped');
  return ExitCode.ok;
}
