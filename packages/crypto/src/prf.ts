/**
 * The RFC 3961 pseudo-random function and KRB-FX-CF2 (RFC 6113 section 5.1).
 *
 * @module
 */

import { toBytes } from './internal/bytes';
import { invalidInput } from './internal/errors';
import { keyState } from './internal/key-cache';
import { newKey } from './redact';
import type { Key } from './rfc3961/profile';
import { cf2Seed } from './rfc6113/cf2';

/**
 * pseudo-random(key, octet-string), RFC 3961 section 3, as each etype
 * defines it: 16 bytes for RFC 3962 (section 6), 32 or 48 bytes for RFC 8009
 * (section 5), and for rc4-hmac the 20-byte HMAC-SHA1 MIT and Windows use.
 *
 * @throws KerberosError KDC_ERR_ETYPE_NOSUPP / KRB_ERR_GENERIC for a bad key.
 *
 * @example
 * ```ts
 * prf(key, new TextEncoder().encode('test'));
 * ```
 */
export function prf(key: Key, input: Uint8Array): Uint8Array {
  const state = keyState(key);
  if (!(input instanceof Uint8Array)) throw invalidInput('PRF input must be a Uint8Array');
  return state.spec.family.prf(state, input);
}

/**
 * KRB-FX-CF2(k1, k2, pepper1, pepper2), RFC 6113 section 5.1: a key of k1's
 * etype combining both keys. Peppers given as strings are UTF-8 encoded.
 * Used by FAST for the armor key and the reply key. The key prints redacted
 * (`redactedKey`).
 *
 * @throws KerberosError KDC_ERR_ETYPE_NOSUPP / KRB_ERR_GENERIC for a bad key.
 *
 * @example
 * ```ts
 * const armorKey = cf2(subkey, ticketSessionKey, 'subkeyarmor', 'ticketarmor');
 * ```
 */
export function cf2(k1: Key, k2: Key, pepper1: string | Uint8Array, pepper2: string | Uint8Array): Key {
  const s1 = keyState(k1);
  const s2 = keyState(k2);
  const seed = cf2Seed(s1, s2, toBytes(pepper1, 'pepper1'), toBytes(pepper2, 'pepper2'));
  try {
    const bytes = s1.spec.family.randomToKey(s1.spec, seed);
    return newKey(s1.spec.etype, bytes);
  } finally {
    seed.fill(0);
  }
}
