/**
 * Reading and writing keytab and credential cache files on disk. Written
 * files get mode 0600, as MIT creates them: both hold secret keys.
 *
 * @module
 */

import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { ErrorCode, KerberosError } from '@krbsim/core';
import { type Ccache, parseCcache, serializeCcache } from './ccache';
import {
  type Keytab,
  type ParseKeytabOptions,
  parseKeytab,
  type SerializeKeytabOptions,
  serializeKeytab,
} from './keytab';

/** Read and parse a keytab file (`FILE:` or `WRFILE:` prefix allowed). */
export async function readKeytabFile(path: string, options?: ParseKeytabOptions): Promise<Keytab> {
  return parseKeytab(await readFile(filePath(path, 'keytab')), options);
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

/** Read and parse a FILE credential cache (`FILE:` prefix allowed). */
export async function readCcacheFile(path: string): Promise<Ccache> {
  return parseCcache(await readFile(filePath(path, 'ccache')));
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
 * symlink, never into an old file that kept a wider mode), which is renamed
 * over `path` once complete: a reader sees the old file or the new one,
 * never half of one. As MIT's file cache does when it initializes a cache,
 * the old file is replaced, not rewritten.
 */
export async function writeOwnerOnlyFile(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = tmpBeside(path);
  try {
    await writeFile(tmp, bytes, { mode: 0o600, flag: 'wx' });
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
    writeFileSync(tmp, bytes, { mode: 0o600, flag: 'wx' });
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
 * type), and no colon means a file. Other types (`MEMORY:`, `KEYRING:`,
 * `DIR:`, `KCM:`, `API:`) are not files: refused rather than taken for a
 * file of that name.
 */
function filePath(name: string, kind: 'keytab' | 'ccache'): string {
  const colon = name.indexOf(':');
  if (colon <= 1) return name;
  const type = name.slice(0, colon);
  if (type === 'FILE' || (kind === 'keytab' && type === 'WRFILE')) return name.slice(colon + 1);
  const accepted = kind === 'keytab' ? 'FILE: and WRFILE: keytabs' : 'FILE: caches';
  throw new KerberosError(
    ErrorCode.KRB_ERR_GENERIC,
    `${kind} name ${JSON.stringify(name)}: MIT reads ${JSON.stringify(type)}, before the first colon, as its type, which is not a file; krbsim reads and writes ${accepted} only (a path with a colon in it is written FILE:<path>)`,
  );
}
