/**
 * Where `krbsim serve` writes its files. With `--dir` that directory, kept.
 * Without it, a new temporary directory, which the ready message names and
 * which is removed when serving stops (it holds keytabs), unless `--keep`.
 *
 * @module
 */

import { statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** The directory of one serve run. */
export interface ServeDir {
  readonly path: string;
  /** Made for this run (no `--dir`): `remove` at exit, or `keep` with `--keep`; undefined for `--dir`. */
  readonly temporary: 'remove' | 'keep' | undefined;
  /**
   * Removes a temporary directory unless kept: what became of it, if it was temporary. After a
   * start that `failed`, a `--dir` this run made is removed too (a refused file leaves none behind).
   */
  release(outcome?: 'stopped' | 'failed'): Promise<'removed' | 'kept' | undefined>;
}

/**
 * `dir` if given, made absolute (what the ready message prints, `export KRB5_CONFIG=...`, works from
 * any directory), else a new temporary directory named `<prefix>XXXXXX`. A `dir` that does not
 * exist is made 0700 now, and checked ({@link unsafeServeDir}) once it does: the check when the
 * arguments were read saw it missing, and someone else may have made it since.
 *
 * @throws UnsafeServeDirError when `dir` is not safe to write into (any more).
 */
export async function serveDir(dir: string | undefined, prefix: string, keep: boolean): Promise<ServeDir> {
  if (dir !== undefined) {
    const path = resolve(dir);
    // The first directory made, if any: what a failed start removes.
    const made = await mkdir(path, { recursive: true, mode: 0o700 });
    const unsafe = unsafeServeDir(path);
    // Not removed then: it may be someone else's now.
    if (unsafe !== undefined) throw new UnsafeServeDirError(`--dir ${dir}: ${unsafe}`);
    return {
      path,
      temporary: undefined,
      async release(outcome = 'stopped') {
        if (outcome === 'failed' && made !== undefined) await rm(made, { recursive: true, force: true });
        return undefined;
      },
    };
  }
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

/** A `--dir` found unsafe to write into once made ({@link serveDir}). */
export class UnsafeServeDirError extends Error {
  override readonly name = 'UnsafeServeDirError';
}

/** What the ready message says after the directory's name. */
export function serveDirNote(dir: ServeDir): string {
  if (dir.temporary === 'remove') return ' (a temporary directory, removed at exit; --keep keeps it)';
  if (dir.temporary === 'keep') return ' (a temporary directory, kept at exit: --keep)';
  return '';
}

/**
 * Why `dir` (`--dir`) must not be served into, if it must not: it exists and is no directory, or
 * others could swap the files written there (`krb5.conf`, `ports.json`, keytabs) or plant links in
 * their place, as OpenSSH's StrictModes checks a path: the directory and every directory above it
 * must be owned by the current user (`uid`) or root, and writable by no one else (not group- or
 * world-writable); a directory above it may be world-writable only with the sticky bit and owned
 * by root or the user (`/tmp`), where no one else can rename or remove what the user made there.
 * A directory that does not exist is fine (it is made 0700) if the nearest one above it is.
 */
export function unsafeServeDir(
  dir: string,
  uid: number | undefined = process.getuid?.(),
): string | undefined {
  let path = resolve(dir);
  let own = true; // `dir` itself, not a directory above it
  const fix = 'give a directory of your own, writable by you alone (one that does not exist is made 0700)';
  for (;;) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' || dirname(path) === path) return (e as Error).message;
      // Not there yet: made 0700 inside the nearest directory that is.
      path = dirname(path);
      own = false;
      continue;
    }
    const where = own ? '' : `${path}, a directory above it, `;
    if (own && !st.isDirectory()) return 'exists and is not a directory';
    const mode = Number(st.mode) & 0o7777;
    const octal = mode.toString(8);
    // No uid (Windows): the modes say nothing; nothing to check.
    if (uid === undefined) return undefined;
    const owner = Number(st.uid);
    if (owner !== uid && owner !== 0) {
      return `${where}is owned by uid ${owner}, neither you (uid ${uid}) nor root: that user could replace the files written there (krb5.conf, ports.json) or plant links in their place; ${fix}`;
    }
    const sticky = (mode & 0o1000) !== 0;
    if ((mode & 0o002) !== 0 && (own || !sticky)) {
      return `${where}is world-writable (mode ${octal}): any user could replace the files written there (krb5.conf, ports.json) or plant links in their place; ${fix}`;
    }
    if ((mode & 0o020) !== 0 && (own || !sticky)) {
      return `${where}is group-writable (mode ${octal}): the group's members could replace the files written there (krb5.conf, ports.json) or plant links in their place; ${fix} (chmod g-w)`;
    }
    const parent = dirname(path);
    if (parent === path) return undefined;
    path = parent;
    own = false;
  }
}
