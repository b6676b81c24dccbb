/**
 * Unkeyed checksums (RFC 3961 section 4 with no key; the numbers are in
 * the section 8 table): a plain hash of the data, with no key and no usage.
 *
 *   sha1 (14): SHA-1(data), 20 bytes (FIPS 180-4)
 *
 * Only sha1 is here: PKINIT's paChecksum (RFC 4556 section 3.2.1) is
 * SHA-1 of the KDC-REQ-BODY. rsa-md5 (7), crc32 (1) and rsa-md4 (2) are
 * not implemented: they are weak and no krbsim flow needs them. 10, the
 * other number RFC 3961 lists for unkeyed sha1, is not one MIT implements.
 *
 * Security: an unkeyed checksum proves nothing about who made it, so the
 * keyed API (`checksum`, `verifyChecksum`) refuses these types with
 * KRB_AP_ERR_INAPP_CKSUM ("inappropriate type of checksum in message", RFC
 * 4120 section 7.5.9), the answer MIT's krb5_pac_verify gives an unkeyed
 * PAC signature; they are computed by `unkeyedChecksum` only.
 *
 * @module
 */

import { createHash } from 'node:crypto';

/** SHA-1 of `data` (checksum type 14). */
export function sha1Checksum(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(data).digest());
}
