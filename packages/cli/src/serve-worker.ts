/**
 * One worker of `krbsim serve --workers N` (see serve-workers.ts): a cluster
 * worker that says hello, waits for the primary's start message, builds the realms from
 * its topology and seed, serves them on the primary's shared sockets, and
 * reports its ports and check values. It stops when the primary says so or
 * when the primary goes away (its IPC channel closes).
 *
 * SIGINT is ignored: Ctrl-C reaches every process of the terminal's group,
 * and the primary, which also gets it, stops the workers itself; a worker
 * that left on its own would be replaced.
 *
 * @module
 */

import cluster from 'node:cluster';
import { serveLog } from './serve-log';
import type { WorkerReport, WorkerStart } from './serve-workers';
import { type RunningTopology, startTopology } from './start-topology';

if (!cluster.isWorker) {
  process.stderr.write('krbsim: serve-worker runs only as a worker of krbsim serve --workers\n');
  process.exit(2);
}

const report = (r: WorkerReport, then?: () => void) => process.send!(r, undefined, {}, () => then?.());
let running: RunningTopology | undefined;
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await running?.close();
  process.exit(0);
};

process.on('SIGINT', () => {});
process.on('SIGTERM', () => void stop());
process.on('disconnect', () => void stop());
process.on('message', (msg: WorkerStart | { type: 'stop' }) => {
  if (msg.type === 'stop') {
    void stop();
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
    ...log.topologyOptions,
  }).then(
    (topo) => {
      running = topo;
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
