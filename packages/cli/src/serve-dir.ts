/**
 * Where `krbsim serve` writes its files. With `--dir` that directory, kept.
 * Without it, a new temporary directory, which the ready message names and
 * which is removed when serving stops (it holds keytabs), unless `--keep`.
 *
 * @module
 */

import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The directory of one serve run. */
export interface ServeDir {
  readonly path: string;
  /** Made for this run (no `--dir`): `remove` at exit, or `keep` with `--keep`; undefined for `--dir`. */
  readonly temporary: 'remove' | 'keep' | undefined;
  /** Removes a temporary directory unless kept: what became of it, if it was temporary. */
  release(): Promise<'removed' | 'kept' | undefined>;
}

/**
 * `dir` if given, made absolute (what the ready message prints, `export KRB5_CONFIG=...`, works from
 * any directory), else a new temporary directory named `<prefix>XXXXXX`.
 */
export async function serveDir(dir: string | undefined, prefix: string, keep: boolean): Promise<ServeDir> {
  if (dir !== undefined) return { path: resolve(dir), temporary: undefined, release: async () => undefined };
  const path = await mkdtemp(join(tmpdir(), prefix));
  let released = false;
  return {
    path,
    temporary: keep ? 'keep' : 'remove',
    async release() {
      if (released) return undefined;
      released = true;
      if (keep) return 'kept';
      await rm(path, { recursive: true, force: true });
      return 'removed';
    },
  };
}

/** What the ready message says after the directory's name. */
export function serveDirNote(dir: ServeDir): string {
  if (dir.temporary === 'remove') return ' (a temporary directory, removed at exit; --keep keeps it)';
  if (dir.temporary === 'keep') return ' (a temporary directory, kept at exit: --keep)';
  return '';
}

/**
 * Why `dir` (`--dir`) must not be served into, if it must not: it exists and is no directory, or
 * it is world-writable (`/tmp` itself, a shared mount), where any user could replace `krb5.conf`
 * or `ports.json`, or plant a link where a file is about to be written. A directory that does not
 * exist is fine: it is made 0700.
 */
export function unsafeServeDir(dir: string): string | undefined {
  let mode: number;
  try {
    const st = statSync(dir);
    if (!st.isDirectory()) return 'exists and is not a directory';
    mode = st.mode;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? undefined : (e as Error).message;
  }
  if ((mode & 0o002) === 0) return undefined;
  return `is world-writable (mode ${(mode & 0o7777).toString(8)}): any user could replace the files written there (krb5.conf, ports.json) or plant links in their place; give a directory of your own (one that does not exist is made 0700)`;
}
