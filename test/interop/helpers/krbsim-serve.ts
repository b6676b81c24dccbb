/**
 * `krbsim serve` as a process for the interop tests, from the sources. It
 * runs through node_modules/.bin/tsx, which is what `npx tsx` runs: npx
 * itself (npm exec) does not pass SIGTERM on to its child and exits 143.
 */

import { join, resolve } from 'node:path';
import type { PortsJson } from '../../../packages/cli/src/index';
import { holdClosed, type ProcessOptions, type RunningProcess, startProcess } from './processes';

const ROOT = resolve(__dirname, '../../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

/** Starts `krbsim serve <args>` in the repository root; `options` as `startProcess` takes them. */
export function startKrbsimServe(
  args: readonly string[],
  options: Omit<ProcessOptions, 'cwd'> = { timeoutMs: 180_000 },
): RunningProcess {
  return startProcess(TSX, ['packages/cli/src/bin.ts', 'serve', ...args], { cwd: ROOT, ...options });
}

/**
 * Kills `serve` (SIGKILL: no goodbye to anyone) and holds its KDC ports for
 * `realm` (see `holdClosed`), refusing as a dead host's would, until `stopAllProcesses`: a client
 * whose krb5.conf still lists it is refused there, and is never answered by
 * another test's server given the freed port (kinit then fails with "Invalid
 * message type").
 */
export async function killServe(serve: RunningProcess, ports: PortsJson, realm: string): Promise<void> {
  const kdc = ports.realms[realm];
  if (kdc === undefined) throw new Error(`killServe: ports.json has no realm ${realm}`);
  await serve.stop();
  await holdClosed(kdc.host, kdc.udp, kdc.tcp);
}
