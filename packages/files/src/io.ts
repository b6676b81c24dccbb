/**
 * Reading and writing keytab and credential cache files on disk. Written
 * files get mode 0600, as MIT creates them: both hold secret keys.
 *
 * @module
 */

import { readFile, writeFile } from 'node:fs/promises';
import { type Ccache, parseCcache, serializeCcache } from './ccache';
import {
  type Keytab,
  type ParseKeytabOptions,
  parseKeytab,
  type SerializeKeytabOptions,
  serializeKeytab,
} from './keytab';

/** Read and parse a keytab file (`FILE:` prefix allowed). */
export async function readKeytabFile(path: string, options?: ParseKeytabOptions): Promise<Keytab> {
  return parseKeytab(await readFile(stripFilePrefix(path)), options);
}

/** Serialize `keytab` to `path` (`FILE:` prefix allowed), mode 0600, replacing any file there. */
export async function writeKeytabFile(
  path: string,
  keytab: Keytab,
  options?: SerializeKeytabOptions,
): Promise<void> {
  await writeFile(stripFilePrefix(path), serializeKeytab(keytab, options), { mode: 0o600 });
}

/** Read and parse a FILE credential cache (`FILE:` prefix allowed). */
export async function readCcacheFile(path: string): Promise<Ccache> {
  return parseCcache(await readFile(stripFilePrefix(path)));
}

/** Serialize `ccache` to `path` (`FILE:` prefix allowed), mode 0600, replacing any file there. */
export async function writeCcacheFile(path: string, ccache: Ccache): Promise<void> {
  await writeFile(stripFilePrefix(path), serializeCcache(ccache), { mode: 0o600 });
}

/** `FILE:/tmp/x` → `/tmp/x`; other names unchanged. */
export function stripFilePrefix(name: string): string {
  return name.startsWith('FILE:') ? name.slice(5) : name;
}
