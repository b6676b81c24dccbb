/**
 * Reading and writing keytab and credential cache files on disk. Written
 * files get mode 0600, as MIT creates them: both hold secret keys.
 *
 * @module
 */

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { ErrorCode, KerberosError } from '@krbsim/core';
import { type Ccache, parseCcache, serializeCcache } from './ccache';
import {
  type Keytab,
  type ParseKeytabOptions,
  parseKeytab,
  type SerializeKeytabOptions,
  serializeKeytab,
} from './keytab';

/**
 * The most bytes read from a keytab or credential cache file: far past any real one (5,000 keytab
 * entries are some 500 KB), short of what a name that is no such file (`/dev/zero`, a pipe that
 * never ends) would make a reader hold.
 */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** The bytes of `path`, refused with KRB_ERR_GENERIC past {@link MAX_FILE_BYTES} however it grows. */
async function readBounded(path: string, kind: 'keytab' | 'ccache'): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = new Uint8Array(Math.min(1 << 20, MAX_FILE_BYTES + 1 - total));
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > MAX_FILE_BYTES) {
        throw new KerberosError(
          ErrorCode.KRB_ERR_GENERIC,
          `${kind} ${JSON.stringify(path)}: more than ${MAX_FILE_BYTES} bytes, which no ${kind} file holds`,
        );
      }
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total);
  } finally {
    await fh.close();
  }
}

/** Read and parse a keytab file (`FILE:` or `WRFILE:` prefix allowed; see {@link MAX_FILE_BYTES}). */
export async function readKeytabFile(path: string, options?: ParseKeytabOptions): Promise<Keytab> {
  return parseKeytab(await readBounded(filePath(path, 'keytab'), 'keytab'), options);
}

/**
 * Serialize `keytab` to `path` (`FILE:` or `WRFILE:` prefix allowed), mode
 * 0600, replacing any file there (see {@link writeOwnerOnlyFile}).
 */
export async function writeKeytabFile(
  path: string,
  keytab: Keytab,
  options?: SerializeKeytabOptions,
): Promise<void> {
  await writeOwnerOnlyFile(filePath(path, 'keytab'), serializeKeytab(keytab, options));
}

/** Read and parse a FILE credential cache (`FILE:` prefix allowed; see {@link MAX_FILE_BYTES}). */
export async function readCcacheFile(path: string): Promise<Ccache> {
  return parseCcache(await readBounded(filePath(path, 'ccache'), 'ccache'));
}

/**
 * Serialize `ccache` to `path` (`FILE:` prefix allowed), mode 0600, replacing
 * any file there (see {@link writeOwnerOnlyFile}).
 */
export async function writeCcacheFile(path: string, ccache: Ccache): Promise<void> {
  await writeOwnerOnlyFile(filePath(path, 'ccache'), serializeCcache(ccache));
}

/**
 * Writes `bytes` to `path` as a file only its owner can read or write
 * (0600), whatever was there before. Security: the bytes go to a new file
 * beside `path`, created 0600 and exclusively (so never through a planted
 * symlink, never into an old file that kept a wider mode), which is synced
 * and renamed over `path` once complete: a reader sees the old file or the
 * new one, never half of one. The new file is the writer's, 0600: a group
 * that could read the old one no longer can. As MIT's file cache does when it initializes a cache,
 * the old file is replaced, not rewritten.
 */
export async function writeOwnerOnlyFile(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = tmpBeside(path);
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(bytes);
      await fh.sync(); // on disk before the name points at it: a crash leaves the old file or the new one
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * {@link writeOwnerOnlyFile}, done before it returns: for a file that must say what a reply
 * already sent says (a password changed through kpasswd), where the reply cannot wait.
 */
export function writeOwnerOnlyFileSync(path: string, bytes: Uint8Array): void {
  const tmp = tmpBeside(path);
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeFileSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** A new file name beside `path`, for writing in full before renaming over it. */
function tmpBeside(path: string): string {
  return `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/** `FILE:/tmp/x` → `/tmp/x`; other names unchanged. */
export function stripFilePrefix(name: string): string {
  return name.startsWith('FILE:') ? name.slice(5) : name;
}

/**
 * The file a keytab or cache name designates, as MIT resolves names: the part
 * before the first colon is the type (one letter is a Windows drive, not a
 * type), and no colon means a file; a keytab name that starts with `/` is a
 * file whatever colons it holds. Other types (`MEMORY:`, `KEYRING:`,
 * `DIR:`, `KCM:`, `API:`) are not files: refused rather than taken for a
 * file of that name.
 */
function filePath(name: string, kind: 'keytab' | 'ccache'): string {
  const colon = name.indexOf(':');
  if (colon <= 1) return name;
  // MIT's keytab resolver takes a name that starts with a slash for a file, colons and all (its
  // credential cache resolver does not).
  if (kind === 'keytab' && name.startsWith('/')) return name;
  const type = name.slice(0, colon);
  if (type === 'FILE' || (kind === 'keytab' && type === 'WRFILE')) return name.slice(colon + 1);
  const accepted = kind === 'keytab' ? 'FILE: and WRFILE: keytabs' : 'FILE: caches';
  throw new KerberosError(
    ErrorCode.KRB_ERR_GENERIC,
    `${kind} name ${JSON.stringify(name)}: MIT reads ${JSON.stringify(type)}, before the first colon, as its type, which is not a file; krbsim reads and writes ${accepted} only (a path with a colon in it is written FILE:<path>)`,
  );
}
