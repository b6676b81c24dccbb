/**
 * One worker of `krbsim serve --workers N` (see serve-workers.ts): a cluster
 * worker that says hello, waits for the primary's start message, builds the realms from
 * its topology and seed, serves them on the primary's shared sockets, and
 * reports its ports and check values. Passwords the primary's password-change
 * service changes reach it numbered, in order, and it acknowledges each
 * once its realm holds it. It stops when the primary says so or when the
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
import type { WorkerPasswordChange, WorkerReport, WorkerStart } from './serve-workers';
import { applyPasswordChange, type RunningTopology, startTopology } from './start-topology';

if (!cluster.isWorker) {
  process.stderr.write('krbsim: serve-worker runs only as a worker of krbsim serve --workers\n');
  process.exit(2);
}

const report = (r: WorkerReport, then?: () => void) => process.send!(r, undefined, {}, () => then?.());
let running: RunningTopology | undefined;
let stopping = false;
/** How many of the primary's password changes this worker's realms hold (they arrive numbered, in order). */
let applied = 0;
/** Changes that came while the realms were being built. */
const early: WorkerPasswordChange[] = [];

/** Apply a password change once, in order, and tell the primary it is done. */
const change = (msg: WorkerPasswordChange): void => {
  if (msg.seq === applied + 1) {
    applyPasswordChange(running!.realms, msg.change);
    applied = msg.seq;
  }
  if (msg.seq <= applied) report({ type: 'password-applied', seq: msg.seq });
};
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await running?.close();
  process.exit(0);
};

process.on('SIGINT', () => {});
process.on('SIGTERM', () => void stop());
process.on('disconnect', () => void stop());
process.on('message', (msg: WorkerStart | WorkerPasswordChange | { type: 'stop' }) => {
  if (msg.type === 'stop') {
    void stop();
    return;
  }
  if (msg.type === 'password') {
    if (running === undefined) early.push(msg);
    else change(msg);
    return;
  }
  if (msg.type !== 'start' || running !== undefined) return;
  const log = serveLog((line) => process.stdout.write(line), {
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
      applied = msg.passwordChanges.length;
      for (const m of early.splice(0)) change(m);
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
