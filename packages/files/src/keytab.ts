/**
 * MIT keytab files (the `FILE:` keytab type), format version 0x0502, as MIT
 * krb5 (`src/lib/krb5/keytab/kt_file.c`), Heimdal, Java and Windows `ktpass`
 * read and write them. Version 0x0501 (host byte order, realm counted among
 * the components, no name type) is read only.
 *
 * Layout (all integers big-endian in 0x0502):
 *
 * ```
 * file    = 0x05 0x02 record*
 * record  = int32 size, then size bytes; size < 0 marks a deleted entry (a hole
 *           of -size bytes); size 0 ends the list
 * entry   = int16 ncomp, str16 realm, str16 component[ncomp], int32 name_type,
 *           uint32 timestamp (seconds), uint8 kvno8, int16 enctype, str16 key,
 *           [uint32 kvno32: present when >= 4 bytes remain; 0 means "use kvno8"]
 * str16   = int16 length, bytes
 * ```
 *
 * MIT reads the 16-bit counts and lengths as signed and takes 0 or a
 * negative one for the end of the keytab, so both directions here hold
 * them to 1..32767.
 *
 * MIT always writes the 32-bit kvno (kvno8 holds its low byte); so does
 * {@link serializeKeytab} unless asked to write it only when the kvno exceeds
 * 255.
 *
 * @module
 */

import type { QualifiedName } from '@krbsim/asn1';
import { redactedKey } from '@krbsim/crypto';
import {
  ByteReader,
  ByteWriter,
  checkInt16,
  checkInt32,
  checkUint,
  formatError,
  toSeconds,
  utf8Bytes,
} from './binary';

/** A key as keytabs store it: the same shape as `@krbsim/crypto`'s `Key`. */
export interface KeytabKey {
  /** The encryption type (RFC 3961 etype number, e.g. 18 for aes256-cts-hmac-sha1-96). */
  readonly etype: number;
  /** The raw key bytes. */
  readonly bytes: Uint8Array;
}

/** One keytab entry: a principal's key for one kvno and one etype. */
export interface KeytabEntry {
  readonly principal: QualifiedName;
  /** When the entry was written, milliseconds since the epoch (stored in whole seconds). */
  readonly timestamp: number;
  /** The key version number, 0..2^32-1. */
  readonly kvno: number;
  readonly key: KeytabKey;
}

/** A parsed keytab. */
export interface Keytab {
  /** The file format version read: 0x0502 (current) or 0x0501 (old, host byte order). */
  readonly version?: 0x0501 | 0x0502;
  readonly entries: readonly KeytabEntry[];
}

/** Options for {@link parseKeytab}. */
export interface ParseKeytabOptions {
  /**
   * Byte order of a version 0x0501 keytab, which MIT wrote in the writing
   * host's order. Default `'little'` (x86 and ARM hosts).
   */
  readonly v1ByteOrder?: 'little' | 'big';
}

/** Options for {@link serializeKeytab}. */
export interface SerializeKeytabOptions {
  /**
   * When to append the 32-bit kvno: `'always'` (MIT krb5 1.x output, the
   * default) or `'when-needed'` (only for kvno > 255, as some older writers do).
   */
  readonly kvno32?: 'always' | 'when-needed';
}

const WHAT = 'keytab';
/** How many bytes more than its fields MIT's writer claims for a 0x0501 record: the name type it leaves out. */
const V1_SIZE_OVERCLAIM = 4;

/**
 * Parse the bytes of a keytab file. Each key is `@krbsim/crypto`'s redacted
 * key: `util.inspect`, `console.log` and `JSON.stringify` show
 * `{ etype, bytes: '<redacted N bytes>' }`, while `.bytes` still holds the key
 * for crypto and {@link serializeKeytab}.
 *
 * Deleted entries (negative record sizes) are skipped; a zero record size ends
 * the list, as in MIT. Anything else that does not fit (a bad version, a
 * truncated record, a length that points past its record, invalid UTF-8 in a
 * name, a count or length of 0 or above 32767, where MIT would silently stop
 * reading) is rejected.
 *
 * @throws KerberosError (KRB_ERR_GENERIC) naming the byte offset of the problem.
 */
export function parseKeytab(bytes: Uint8Array, options: ParseKeytabOptions = {}): Keytab {
  const head = new ByteReader(bytes, WHAT);
  const major = head.u8('version');
  const minor = head.u8('version');
  if (major !== 5 || (minor !== 1 && minor !== 2)) {
    throw head.error(0, `not a keytab: unsupported version 0x${hex2(major)}${hex2(minor)} (want 0x0502)`);
  }
  const v1 = minor === 1;
  const le = v1 && (options.v1ByteOrder ?? 'little') === 'little';
  const file = new ByteReader(bytes, WHAT, 2, bytes.length, le);
  const entries: KeytabEntry[] = [];
  while (file.remaining > 0) {
    const at = file.offset;
    const size = file.i32('record size');
    if (size === 0) break;
    if (size < 0) {
      if (size === -0x80000000) throw file.error(at, 'record size -2^31 is invalid');
      file.skip(-size, `deleted entry of ${-size} bytes (record at offset ${at})`);
      continue;
    }
    if (size > file.remaining && !(v1 && size - file.remaining <= V1_SIZE_OVERCLAIM)) {
      throw file.error(at, `record claims ${size} bytes but only ${file.remaining} remain in the file`);
    }
    // MIT sizes a 0x0501 record as if it held a name type, which the format does not write: every
    // record claims 4 bytes more than its fields (zero fill between records, nothing after the last).
    entries.push(readEntry(file.sub(Math.min(size, file.remaining), 'record'), v1, at));
  }
  return { version: v1 ? 0x0501 : 0x0502, entries };
}

/**
 * A 16-bit count or length of an entry, which MIT reads as signed: 0, or
 * above 0x7fff (negative there), is where MIT stops reading the keytab
 * (KRB5_KT_END), losing every later entry. Refused here, by name.
 */
function count16(r: ByteReader, field: string): number {
  const at = r.offset;
  const n = r.u16(field);
  if (n === 0 || n > SIGNED16_MAX) {
    throw r.error(at, `${field} ${n} is outside 1..32767: MIT reads it as the end of the keytab`);
  }
  return n;
}

function readEntry(r: ByteReader, v1: boolean, recordAt: number): KeytabEntry {
  const where = ` (record at offset ${recordAt})`;
  let count = count16(r, `component count${where}`);
  if (v1) {
    // Version 0x0501 counts the realm among the components.
    if (count === 1) throw r.error(r.offset - 2, `version 0x0501 component count 1 leaves no components`);
    count -= 1;
  }
  const realm = r.utf8(count16(r, `realm length${where}`), `realm${where}`);
  const nameString: string[] = [];
  for (let i = 0; i < count; i++) {
    nameString.push(r.utf8(count16(r, `component ${i} length${where}`), `component ${i}${where}`));
  }
  const nameType = v1 ? 0 : r.i32(`name type${where}`);
  const timestamp = r.u32(`timestamp${where}`) * 1000;
  const kvno8 = r.u8(`kvno${where}`);
  const etype = r.i16(`enctype${where}`); // MIT's enctypes are signed (negative: local use)
  const keyBytes = r.bytes(count16(r, `key length${where}`), `key${where}`);
  let kvno = kvno8;
  if (r.remaining >= 4) {
    const kvno32 = r.u32(`32-bit kvno${where}`);
    if (kvno32 !== 0) kvno = kvno32;
  }
  // Bytes after the 32-bit kvno (Heimdal's flags, or zero fill in a reused
  // hole) are ignored, as MIT does.
  return {
    principal: { realm, name: { nameType, nameString } },
    timestamp,
    kvno,
    key: redactedKey({ etype, bytes: keyBytes }),
  };
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/**
 * Serialize a keytab in format 0x0502, entries in order, no holes: the bytes
 * MIT's `ktutil wkt` writes for the same entries.
 *
 * @throws KerberosError (KRB_ERR_GENERIC) when a field does not fit its
 *   on-disk width as MIT reads it (a principal without components, an empty
 *   realm, component or key, or one longer than 32767 bytes: MIT's 16-bit
 *   fields are signed, and it takes 0 or a negative value for the end of the
 *   keytab; an etype outside -32768..32767; a kvno above 2^32-1; a timestamp
 *   outside the unsigned 32-bit range of seconds).
 */
export function serializeKeytab(keytab: Keytab, options: SerializeKeytabOptions = {}): Uint8Array {
  const always = (options.kvno32 ?? 'always') === 'always';
  const w = new ByteWriter().u8(5).u8(2);
  keytab.entries.forEach((e, i) => {
    const field = (name: string) => `entry ${i} ${name}`;
    const kvno = checkUint(e.kvno, 0xffffffff, WHAT, field('kvno'));
    const sizeAt = w.length;
    w.u32(0);
    const comps = e.principal.name.nameString;
    w.u16(checkCount16(comps.length, field('component count')));
    str16(w, utf8Bytes(e.principal.realm), field('realm'));
    for (const [j, c] of comps.entries()) str16(w, utf8Bytes(c), field(`component ${j}`));
    w.u32(checkInt32(e.principal.name.nameType, WHAT, field('name type')));
    w.u32(toSeconds(e.timestamp, WHAT, field('timestamp')));
    w.u8(kvno & 0xff);
    w.u16(checkInt16(e.key.etype, WHAT, field('etype')));
    str16(w, e.key.bytes, field('key'));
    if (always || kvno > 0xff) w.u32(kvno);
    w.patchU32(sizeAt, w.length - sizeAt - 4);
  });
  return w.finish();
}

/** The largest count or length MIT reads from a keytab entry (its 16-bit fields are signed). */
const SIGNED16_MAX = 0x7fff;

/** `n`, if a count or length MIT reads back (1..32767; see {@link count16}). */
function checkCount16(n: number, field: string): number {
  if (n === 0 || n > SIGNED16_MAX) {
    throw formatError(
      WHAT,
      `${field} ${n} is outside 1..32767, which MIT would read as the end of the keytab`,
    );
  }
  return n;
}

function str16(w: ByteWriter, b: Uint8Array, field: string): void {
  w.u16(checkCount16(b.length, `${field} length`));
  w.bytes(b);
}
