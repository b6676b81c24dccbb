/**
 * PAC_SIGNATURE_DATA: MS-PAC 2.8, the layout of the four signature buffers
 * (server 6, KDC 7, ticket 16, extended KDC 19):
 *
 * ```
 * typedef struct _PAC_SIGNATURE_DATA {
 *   ULONG SignatureType;               // a checksum type; -138 is 0xFFFFFF76
 *   UCHAR Signature[ANYSIZE_ARRAY];    // its length follows from the type
 *   USHORT RODCIdentifier;             // optional: only in PACs a read-only DC signs
 * } PAC_SIGNATURE_DATA;
 * ```
 *
 * The Signature's length comes from the checksum type (`getChecksumType`
 * of `@krbsim/crypto`: 16 bytes for hmac-md5, 12 for the AES-SHA1 types);
 * then either nothing or a 2-byte RODCIdentifier may follow. For a type
 * krbsim does not implement, everything after SignatureType is taken as the
 * signature (so such a buffer still re-encodes as it came; verifying it
 * fails with KDC_ERR_SUMTYPE_NOSUPP).
 *
 * @module
 */

import { getChecksumType, supportedChecksumTypes } from '@krbsim/crypto';
import { PacError, withPath } from '../errors';
import { NdrReader } from '../ndr/reader';
import { checkUInt, NdrWriter } from '../ndr/writer';

/** PAC_SIGNATURE_DATA (MS-PAC 2.8). */
export interface PacSignatureData {
  /** SignatureType as a signed 32-bit number: -138 (hmac-md5), 15, 16, 19, 20. */
  readonly signatureType: number;
  readonly signature: Uint8Array;
  /** RODCIdentifier, when a read-only DC signed (the high 16 bits of its krbtgt kvno). */
  readonly rodcIdentifier?: number;
}

/**
 * The signature length of a checksum type krbsim implements, or undefined.
 * Unknown types are not an error here: the decoder keeps their bytes.
 */
function signatureLength(signatureType: number): number | undefined {
  return supportedChecksumTypes.includes(signatureType)
    ? getChecksumType(signatureType).checksumBytes
    : undefined;
}

/** Reads a PAC_SIGNATURE_DATA filling `b[start..end)`. `name` heads error paths. */
export function readPacSignatureData(
  b: Uint8Array,
  start: number,
  end: number,
  name: string,
): PacSignatureData {
  const r = new NdrReader(b, start, end);
  let at = '.SignatureType';
  try {
    const signatureType = r.u32le() | 0;
    at = '.Signature';
    const size = signatureLength(signatureType);
    if (size === undefined) return { signatureType, signature: r.bytes(r.remaining) };
    if (r.remaining !== size && r.remaining !== size + 2) {
      throw new PacError(
        `checksum type ${signatureType} has a ${size}-byte signature, optionally followed by a 2-byte RODCIdentifier; the buffer has ${r.remaining} bytes after SignatureType`,
        { offset: r.pos },
      );
    }
    const signature = r.bytes(size);
    if (r.remaining === 0) return { signatureType, signature };
    at = '.RODCIdentifier';
    return { signatureType, signature, rodcIdentifier: r.u16le() };
  } catch (e) {
    throw withPath(withPath(e, at), name);
  }
}

/** Decodes a PAC_SIGNATURE_DATA buffer (MS-PAC 2.8). @throws PacError */
export function decodePacSignatureData(bytes: Uint8Array): PacSignatureData {
  if (!(bytes instanceof Uint8Array))
    throw new PacError('expected a Uint8Array', { path: 'PAC_SIGNATURE_DATA' });
  return readPacSignatureData(bytes, 0, bytes.length, 'PAC_SIGNATURE_DATA');
}

/** Writes a PAC_SIGNATURE_DATA into `w`. */
export function writePacSignatureData(w: NdrWriter, v: PacSignatureData, name: string): void {
  try {
    const t = v?.signatureType;
    if (typeof t !== 'number' || !Number.isInteger(t) || t < -0x80000000 || t > 0x7fffffff) {
      throw new PacError(`expected a signed 32-bit integer, got ${String(t)}`, { path: 'SignatureType' });
    }
    if (!(v.signature instanceof Uint8Array))
      throw new PacError('expected a Uint8Array', { path: 'Signature' });
    const size = signatureLength(t);
    if (size !== undefined && v.signature.length !== size) {
      throw new PacError(`checksum type ${t} has ${size}-byte signatures, got ${v.signature.length} bytes`, {
        path: 'Signature',
      });
    }
    if (v.rodcIdentifier !== undefined && size === undefined) {
      throw new PacError(`a RODCIdentifier needs a checksum type of known length, got ${t}`, {
        path: 'RODCIdentifier',
      });
    }
    w.u32le(t >>> 0);
    w.bytes(v.signature);
    if (v.rodcIdentifier !== undefined) w.u16le(checkUInt(v.rodcIdentifier, 16, 'RODCIdentifier'));
  } catch (e) {
    throw withPath(e, name);
  }
}

/** Encodes a PAC_SIGNATURE_DATA buffer (MS-PAC 2.8). @throws PacError */
export function encodePacSignatureData(v: PacSignatureData): Uint8Array {
  const w = new NdrWriter(32);
  writePacSignatureData(w, v, 'PAC_SIGNATURE_DATA');
  return w.finish();
}
