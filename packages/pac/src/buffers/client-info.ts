/**
 * PAC_CLIENT_INFO: MS-PAC 2.7, client name and ticket information (PAC
 * buffer type 10). Plain little-endian, not NDR:
 *
 * ```
 * typedef struct _PAC_CLIENT_INFO {
 *   FILETIME ClientId;   // the ticket's authtime
 *   USHORT NameLength;   // bytes
 *   WCHAR Name[1];       // the client's name, UTF-16LE, no terminating NUL
 * } PAC_CLIENT_INFO;
 * ```
 *
 * The buffer is exactly 10 + NameLength bytes.
 *
 * @module
 */

import { PacError, withPath } from '../errors';
import { fileTimeFromMillis } from '../filetime';
import { NdrReader } from '../ndr/reader';
import { checkString, checkUInt64, NdrWriter } from '../ndr/writer';

/** PAC_CLIENT_INFO (MS-PAC 2.7). */
export interface PacClientInfo {
  /** ClientId: the ticket's authtime as a FILETIME (whole seconds, as every KDC writes it). */
  readonly clientId: bigint;
  /**
   * Name: the client principal's name without the realm, as MIT's
   * `krb5_unparse_name` with no realm and no quoting writes it (`alice`,
   * `host/web.contoso.com`); for an enterprise name, `user@upn.suffix`.
   */
  readonly name: string;
}

/** Reads a PAC_CLIENT_INFO filling `b[start..end)`. */
export function readPacClientInfo(b: Uint8Array, start: number, end: number): PacClientInfo {
  const r = new NdrReader(b, start, end);
  let at = '.ClientId';
  try {
    r.need(8);
    const lo = r.u32le();
    const hi = r.u32le();
    const clientId = (BigInt(hi) << 32n) | BigInt(lo);
    at = '.NameLength';
    const nameLength = r.u16le();
    if (nameLength % 2 !== 0) throw new PacError(`NameLength ${nameLength} is odd`, { offset: r.pos - 2 });
    if (nameLength !== r.remaining) {
      throw new PacError(`NameLength ${nameLength} does not match the ${r.remaining} bytes that follow`, {
        offset: r.pos - 2,
      });
    }
    at = '.Name';
    const name = r.utf16(nameLength / 2);
    return { clientId, name };
  } catch (e) {
    throw withPath(withPath(e, at), 'PAC_CLIENT_INFO');
  }
}

/** Decodes a PAC_CLIENT_INFO buffer (MS-PAC 2.7). @throws PacError */
export function decodePacClientInfo(bytes: Uint8Array): PacClientInfo {
  if (!(bytes instanceof Uint8Array))
    throw new PacError('expected a Uint8Array', { path: 'PAC_CLIENT_INFO' });
  return readPacClientInfo(bytes, 0, bytes.length);
}

/** Writes a PAC_CLIENT_INFO into `w`. */
export function writePacClientInfo(w: NdrWriter, v: PacClientInfo): void {
  try {
    const id = checkUInt64(v?.clientId, 'ClientId');
    const name = checkString(v.name, 0x7fff, 'Name');
    w.u32le(Number(id & 0xffffffffn));
    w.u32le(Number(id >> 32n));
    w.u16le(2 * name.length);
    w.utf16(name);
  } catch (e) {
    throw withPath(e, 'PAC_CLIENT_INFO');
  }
}

/** Encodes a PAC_CLIENT_INFO buffer (MS-PAC 2.7). @throws PacError */
export function encodePacClientInfo(v: PacClientInfo): Uint8Array {
  const w = new NdrWriter(64);
  writePacClientInfo(w, v);
  return w.finish();
}

/**
 * The PAC_CLIENT_INFO of a ticket: `authtime` (milliseconds since 1970, a
 * KerberosTime) as ClientId and the client's name without its realm.
 */
export function createPacClientInfo(name: string, authtime: number): PacClientInfo {
  return { clientId: fileTimeFromMillis(authtime), name };
}
