/**
 * The hmac-md5 keyed checksum (-138, KERB_CHECKSUM_HMAC_MD5), RFC 4757
 * section 4, T being the message type of the key usage ({@link rc4MessageType}):
 *
 *   Ksign = HMAC-MD5(K, "signaturekey" | 0x00)
 *   tmp   = MD5(T as 4 little-endian bytes | data)
 *   cksum = HMAC-MD5(Ksign, tmp)                     (16 bytes)
 *
 * It is the mandatory checksum of rc4-hmac keys, but nothing in it depends
 * on RC4: any key's bytes can be K. Windows relies on that: the PA-FOR-USER
 * checksum of S4U2Self (MS-SFU 2.2.1) is hmac-md5 keyed with the TGT
 * session key, whatever its etype; MIT computes it the same way for any
 * key of at most 64 bytes (an HMAC-MD5 block). So this lives apart from
 * the rc4-hmac family, which calls it too.
 *
 * Ksign is derived once per key and cached in its state, whatever the etype.
 *
 * @module
 */

import { createHash, createHmac } from 'node:crypto';
import { le32 } from '../internal/bytes';
import { countDerivation } from '../internal/stats';
import type { KeyState } from '../rfc3961/profile';

/** "signaturekey" with its terminating zero byte, as RFC 4757 section 4 specifies. */
const SIGNATURE_KEY = new Uint8Array([...'signaturekey'].map((c) => c.charCodeAt(0)).concat(0));

/**
 * The RFC 4757 message type T for a key usage: the RFC 4120 usage, except
 * the few Windows folds together (section 3, as Windows and MIT implement
 * it): the AS-REP encrypted part uses 8 like the TGS-REP one, and the GSS
 * usage 23 uses 13.
 */
export function rc4MessageType(usage: number): number {
  switch (usage) {
    case 3: // AS-REP encrypted part
      return 8;
    case 23: // KG_USAGE_ACCEPTOR_SIGN (GSS Wrap/MIC)
      return 13;
    default:
      return usage;
  }
}

/** The hmac-md5 checksum (RFC 4757 section 4) of `data` for `usage`, keyed with the state's key bytes. */
export function hmacMd5Checksum(state: KeyState, usage: number, data: Uint8Array): Uint8Array {
  let ksign = state.ksign;
  if (ksign === undefined) {
    countDerivation();
    ksign = new Uint8Array(createHmac('md5', state.bytes).update(SIGNATURE_KEY).digest());
    state.ksign = ksign;
  }
  const tmp = createHash('md5')
    .update(le32(rc4MessageType(usage)))
    .update(data)
    .digest();
  return new Uint8Array(createHmac('md5', ksign).update(tmp).digest());
}
