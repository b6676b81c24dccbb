/**
 * `krbsim serve` as a process for the interop tests, from the sources. It
 * runs through node_modules/.bin/tsx, which is what `npx tsx` runs: npx
 * itself (npm exec) does not pass SIGTERM on to its child and exits 143.
 */

import { join, resolve } from 'node:path';
import { type ProcessOptions, type RunningProcess, startProcess } from './processes';

const ROOT = resolve(__dirname, '../../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

/** Starts `krbsim serve <args>` in the repository root; `options` as `startProcess` takes them. */
export function startKrbsimServe(
  args: readonly string[],
  options: Omit<ProcessOptions, 'cwd'> = { timeoutMs: 180_000 },
): RunningProcess {
  return startProcess(TSX, ['packages/cli/src/bin.ts', 'serve', ...args], { cwd: ROOT, ...options });
}
