/**
 * PAC_ATTRIBUTES_INFO (MS-PAC 2.14, PAC buffer type 17) and PAC_REQUESTOR
 * (MS-PAC 2.15, type 18): the two buffers the November 2021 updates added
 * to TGTs (CVE-2021-42287 and -42278, "noPac"). Plain little-endian:
 *
 * ```
 * typedef struct _PAC_ATTRIBUTES_INFO {
 *   ULONG FlagsLength;                // in bits
 *   ULONG Flags[ANYSIZE_ARRAY];       // ceil(FlagsLength / 32) words
 * } PAC_ATTRIBUTES_INFO;
 *
 * typedef struct _PAC_REQUESTOR {
 *   SID Sid;                          // packed form, MS-DTYP 2.4.2.2
 * } PAC_REQUESTOR;
 * ```
 *
 * @module
 */

import { PacError, withPath } from '../errors';
import { NdrReader } from '../ndr/reader';
import { checkUInt, NdrWriter } from '../ndr/writer';
import { checkSid, readBinarySid, type Sid, sidLength, writeSid } from '../sid';

/** PAC_ATTRIBUTES_INFO (MS-PAC 2.14). Windows writes `{ flagsLength: 2, flags: [bits] }`. */
export interface PacAttributesInfo {
  /** FlagsLength: how many flag bits are defined. */
  readonly flagsLength: number;
  /** Flags: ceil(flagsLength / 32) 32-bit words of `PacAttributesFlags` bits. */
  readonly flags: readonly number[];
}

/** PAC_REQUESTOR (MS-PAC 2.15): the SID of the account that requested the TGT. */
export interface PacRequestor {
  readonly sid: Sid;
}

/** Reads a PAC_ATTRIBUTES_INFO filling `b[start..end)`. */
export function readPacAttributesInfo(b: Uint8Array, start: number, end: number): PacAttributesInfo {
  const r = new NdrReader(b, start, end);
  let at = '.FlagsLength';
  try {
    const flagsLength = r.u32le();
    at = '.Flags';
    const words = Math.ceil(flagsLength / 32);
    if (r.remaining !== 4 * words) {
      throw r.error(
        `FlagsLength ${flagsLength} needs ${words} 32-bit words, the buffer has ${r.remaining} bytes`,
      );
    }
    const flags: number[] = [];
    for (let i = 0; i < words; i++) flags.push(r.u32le());
    return { flagsLength, flags };
  } catch (e) {
    throw withPath(withPath(e, at), 'PAC_ATTRIBUTES_INFO');
  }
}

/** Decodes a PAC_ATTRIBUTES_INFO buffer (MS-PAC 2.14). @throws PacError */
export function decodePacAttributesInfo(bytes: Uint8Array): PacAttributesInfo {
  if (!(bytes instanceof Uint8Array))
    throw new PacError('expected a Uint8Array', { path: 'PAC_ATTRIBUTES_INFO' });
  return readPacAttributesInfo(bytes, 0, bytes.length);
}

/** Writes a PAC_ATTRIBUTES_INFO into `w`. */
export function writePacAttributesInfo(w: NdrWriter, v: PacAttributesInfo): void {
  try {
    const n = checkUInt(v?.flagsLength, 32, 'FlagsLength');
    if (!Array.isArray(v.flags) || v.flags.length !== Math.ceil(n / 32)) {
      throw new PacError(`FlagsLength ${n} needs ${Math.ceil(n / 32)} words of flags`, { path: 'Flags' });
    }
    w.u32le(n);
    v.flags.forEach((f, i) => {
      w.u32le(checkUInt(f, 32, `Flags[${i}]`));
    });
  } catch (e) {
    throw withPath(e, 'PAC_ATTRIBUTES_INFO');
  }
}

/** Encodes a PAC_ATTRIBUTES_INFO buffer (MS-PAC 2.14). @throws PacError */
export function encodePacAttributesInfo(v: PacAttributesInfo): Uint8Array {
  const w = new NdrWriter(16);
  writePacAttributesInfo(w, v);
  return w.finish();
}

/** A PAC_ATTRIBUTES_INFO as Windows writes it: two defined bits, `flags` in one word. */
export function createPacAttributesInfo(flags: number): PacAttributesInfo {
  return { flagsLength: 2, flags: [flags] };
}

/** Reads a PAC_REQUESTOR filling `b[start..end)`. */
export function readPacRequestor(b: Uint8Array, start: number, end: number): PacRequestor {
  try {
    return { sid: readBinarySid(b, start, end, '.Sid') };
  } catch (e) {
    throw withPath(e, 'PAC_REQUESTOR');
  }
}

/** Decodes a PAC_REQUESTOR buffer (MS-PAC 2.15). @throws PacError */
export function decodePacRequestor(bytes: Uint8Array): PacRequestor {
  if (!(bytes instanceof Uint8Array)) throw new PacError('expected a Uint8Array', { path: 'PAC_REQUESTOR' });
  return readPacRequestor(bytes, 0, bytes.length);
}

/** Writes a PAC_REQUESTOR into `w`. */
export function writePacRequestor(w: NdrWriter, v: PacRequestor): void {
  try {
    try {
      checkSid(v?.sid);
    } catch (e) {
      throw withPath(e, 'Sid');
    }
    w.put(sidLength(v.sid), writeSid, v.sid);
  } catch (e) {
    throw withPath(e, 'PAC_REQUESTOR');
  }
}

/** Encodes a PAC_REQUESTOR buffer (MS-PAC 2.15). @throws PacError */
export function encodePacRequestor(v: PacRequestor): Uint8Array {
  const w = new NdrWriter(32);
  writePacRequestor(w, v);
  return w.finish();
}
