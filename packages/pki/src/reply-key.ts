/**
 * The AS reply key of PKINIT's Diffie-Hellman delivery (RFC 4556 section
 * 3.2.3.1): octetstring2key over the shared secret and the nonces,
 *
 *   x = DHSharedSecret | n_c | n_s          (client and server DH nonces, when sent)
 *   k = K-truncate(SHA1(0x00 | x) | SHA1(0x01 | x) | SHA1(0x02 | x) | ...)
 *   reply key = random-to-key(k)
 *
 * with K the etype's key-generation seed length.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { getEncType, type Key, randomToKey } from '@krbsim/crypto';

/** RFC 4556 section 3.2.3.1's octetstring2key for `etype`. */
export function octetString2Key(
  etype: number,
  secret: Uint8Array,
  clientNonce: Uint8Array = new Uint8Array(0),
  serverNonce: Uint8Array = new Uint8Array(0),
): Key {
  const k = getEncType(etype).seedBytes;
  const x = Buffer.concat([secret, clientNonce, serverNonce]);
  const out = new Uint8Array(k);
  let filled = 0;
  for (let counter = 0; filled < k; counter++) {
    const h = createHash('sha1')
      .update(Uint8Array.of(counter & 0xff))
      .update(x)
      .digest();
    out.set(h.subarray(0, Math.min(h.length, k - filled)), filled);
    filled += h.length;
  }
  return randomToKey(etype, out);
}
