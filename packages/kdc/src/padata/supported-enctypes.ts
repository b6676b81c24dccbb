/**
 * PA-SUPPORTED-ENCTYPES (MS-KILE 2.2.8; 3.3.5.6 for AS, 3.3.5.7 for TGS): a
 * Windows DC tells the client, in the reply's encrypted-pa-data, which
 * encryption types the ticket's server supports, as msDS-SupportedEncryptionTypes
 * bits (MS-KILE 2.2.7), and for a TGT whether the realm serves FAST (a
 * Windows client decides from it whether to armor, 3.2.5.4). The value is a
 * 32-bit little-endian integer, not DER, as Windows and Samba write it; and
 * it is sent when the request asked to canonicalize, as a DC does (Samba's
 * KDC, held to Windows by its tests, likewise). Only in realms whose policy
 * has `paSupportedEnctypes` (AD's).
 *
 * @module
 */

import type { PaData } from '@krbsim/asn1';
import { PaDataType } from '@krbsim/asn1';
import type { PrincipalEntry } from '../principal-db';
import type { Realm } from '../realm';

/** MS-KILE 2.2.7: the bit of each etype that has one (the aes-sha2 etypes 19 and 20 have none). */
const ETYPE_BITS: Readonly<Record<number, number>> = Object.freeze({
  1: 0x01, // DES-CBC-CRC
  3: 0x02, // DES-CBC-MD5
  23: 0x04, // RC4-HMAC
  17: 0x08, // AES128-CTS-HMAC-SHA1-96
  18: 0x10, // AES256-CTS-HMAC-SHA1-96
});

/** MS-KILE 2.2.7, F: the KDC serves FAST. */
const FAST_SUPPORTED = 0x10000;

/** The msDS-SupportedEncryptionTypes bits the reply states for `server`. */
function supportedEnctypesBits(realm: Realm, server: PrincipalEntry): number {
  let bits = 0;
  for (const etype of server.encTypes) bits |= ETYPE_BITS[etype] ?? 0;
  if (server.kind === 'krbtgt' && realm.policy.fast !== 'none') bits |= FAST_SUPPORTED;
  return bits >>> 0;
}

/** The encrypted PA-SUPPORTED-ENCTYPES of a reply for a ticket to `server`. */
export function supportedEnctypesPadata(realm: Realm, server: PrincipalEntry): PaData {
  const value = new Uint8Array(4);
  new DataView(value.buffer).setUint32(0, supportedEnctypesBits(realm, server), true);
  return { padataType: PaDataType.PA_SUPPORTED_ETYPES, padataValue: value };
}
