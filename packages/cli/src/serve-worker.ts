/**
 * One worker of `krbsim serve --workers N` (see serve-workers.ts): a cluster
 * worker that says hello, waits for the primary's start message, builds the realms from
 * its topology and seed, serves them on the primary's shared sockets, and
 * reports its ports and check values. Passwords the primary's password-change
 * service changes reach it numbered, in order, and it acknowledges each
 * once its realm holds it; a resync (the feed a replica follows began
 * again) builds its realms again from the topology and seed first
 * (`WorkerPasswordChanges`, worker-pool.ts). It stops when the primary says so or when the
 * primary goes away (its IPC channel closes).
 *
 * SIGINT is ignored: Ctrl-C reaches every process of the terminal's group,
 * and the primary, which also gets it, stops the workers itself; a worker
 * that left on its own would be replaced.
 *
 * @module
 */

import cluster from 'node:cluster';
import { serveLog } from './serve-log';
import { applyPasswordChange, type RunningTopology, startTopology } from './start-topology';
import {
  type PrimaryMessage,
  type WorkerPasswordChange,
  WorkerPasswordChanges,
  type WorkerReport,
  type WorkerResync,
} from './worker-pool';

if (!cluster.isWorker) {
  process.stderr.write('krbsim: serve-worker runs only as a worker of krbsim serve --workers\n');
  process.exit(2);
}

const report = (r: WorkerReport, then?: () => void) => process.send!(r, undefined, {}, () => then?.());
let running: RunningTopology | undefined;
let stopping = false;
/** The password changes its realms hold, once they are built. */
let changes: WorkerPasswordChanges | undefined;
/** Changes (and resyncs) that came while the realms were being built, in order. */
const early: (WorkerPasswordChange | WorkerResync)[] = [];

const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await running?.close();
  process.exit(0);
};

// The primary's stdout, shared: once its reader went away (EPIPE), log no more and serve on, as the
// primary does (io.ts); an unhandled 'error' would end this worker, and its replacement, in turn.
let stdoutOpen = true;
process.stdout.on('error', () => {
  stdoutOpen = false;
});

process.on('SIGINT', () => {});
process.on('SIGTERM', () => void stop());
process.on('disconnect', () => void stop());
process.on('message', (msg: PrimaryMessage) => {
  if (msg.type === 'stop') {
    void stop();
    return;
  }
  if (msg.type === 'password' || msg.type === 'resync') {
    if (changes === undefined) early.push(msg);
    else changes.handle(msg);
    return;
  }
  if (msg.type !== 'start' || running !== undefined) return;
  const log = serveLog((line) => stdoutOpen && process.stdout.write(line), {
    json: msg.json,
    level: msg.level,
    worker: cluster.worker!.id,
  });
  startTopology(msg.topology, {
    seed: msg.seed,
    ...(msg.host !== undefined && { host: msg.host }),
    shareSockets: true,
    passwordChanges: msg.passwordChanges,
    ...log.topologyOptions,
  }).then(
    (topo) => {
      running = topo;
      changes = new WorkerPasswordChanges(msg, {
        apply: (change) => applyPasswordChange(topo.realms, change),
        rebuild: () => topo.resync(),
        report: (r) => report(r),
      });
      for (const m of early.splice(0)) changes.handle(m);
      if (stopping) {
        void topo.close();
        return;
      }
      report({
        type: 'listening',
        servers: [...topo.servers.values()],
        checks: Object.fromEntries(topo.checks),
      });
    },
    (e: Error) => {
      report({ type: 'failed', message: e.message }, () => process.exit(1));
    },
  );
});
report({ type: 'hello' });
