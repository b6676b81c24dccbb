/**
 * The built-in Azure lab (`krbsim serve azure-sql-mi`) started in process for
 * the whole of a test file's `describe`, in a temp dir, closed after its
 * tests. `dir` and `running` are set once `beforeAll` has run.
 */

import { afterAll, beforeAll } from 'vitest';
import {
  type RunningAzureLab,
  type StartAzureLabOptions,
  startAzureLab,
} from '../../../packages/cli/src/index';
import { loadServeFile } from '../../../packages/cli/src/serve-file';
import { makeTempDir, type TempDir } from './processes';

export interface ServedAzureLab {
  readonly dir: TempDir;
  readonly running: RunningAzureLab;
}

/** Serves the built-in lab in a temp dir named after `prefix`; `options` as `startAzureLab` takes them. */
export function servedAzureLab(
  prefix: string,
  options: Omit<StartAzureLabOptions, 'lab' | 'dir'> = {},
): ServedAzureLab {
  let dir: TempDir | undefined;
  let running: RunningAzureLab | undefined;
  beforeAll(async () => {
    dir = await makeTempDir(prefix);
    const file = await loadServeFile('azure-sql-mi');
    if (file.kind !== 'azure-sql-mi') throw new Error('the built-in azure-sql-mi is a lab file');
    running = await startAzureLab({ ...options, lab: file.lab, dir: dir.path });
  });
  afterAll(async () => {
    await running?.close();
    await dir?.remove();
  });
  return {
    get dir() {
      return dir!;
    },
    get running() {
      return running!;
    },
  };
}
