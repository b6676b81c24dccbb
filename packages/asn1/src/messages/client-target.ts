/**
 * KERB_AUTH_DATA_CLIENT_TARGET (144, MS-KILE 3.2.5.8): the service a Windows client meant, its
 * name qualified with its realm (`MSSQLSvc/mi1.contoso.com:1433@CONTOSO.COM`), which the client
 * puts in the first AD-IF-RELEVANT of its authenticator. MS-KILE gives the data no structure:
 * Windows sends the name in UTF-16LE without a terminator, as Samba's Heimdal does.
 *
 * @module
 */

import { Asn1Error } from '../der/errors';

/** The data of a KERB_AUTH_DATA_CLIENT_TARGET element naming `target` (`name@REALM`). */
export function encodeClientTarget(target: string): Uint8Array {
  const out = new Uint8Array(target.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < target.length; i++) view.setUint16(2 * i, target.charCodeAt(i), true);
  return out;
}

const utf16le = new TextDecoder('utf-16le', { fatal: true, ignoreBOM: true });

/** The name a KERB_AUTH_DATA_CLIENT_TARGET element holds. Throws Asn1Error for what is no UTF-16LE text. */
export function decodeClientTarget(b: Uint8Array): string {
  if (b.length % 2 !== 0)
    throw new Asn1Error(`KERB_AUTH_DATA_CLIENT_TARGET: ${b.length} bytes, not UTF-16LE`);
  try {
    return utf16le.decode(b);
  } catch {
    throw new Asn1Error('KERB_AUTH_DATA_CLIENT_TARGET: not UTF-16LE text (an unpaired surrogate)');
  }
}
