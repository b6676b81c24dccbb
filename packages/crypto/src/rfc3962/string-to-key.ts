/**
 * string-to-key for aes128-cts-hmac-sha1-96 and aes256-cts-hmac-sha1-96,
 * RFC 3962 section 4:
 *
 *   tkey = random-to-key(PBKDF2(passphrase, salt, iter_count, keylength))
 *   key  = DK(tkey, "kerberos")
 *
 * PBKDF2 is PKCS #5 v2.0 with HMAC-SHA1 as its PRF; random-to-key is the
 * identity for AES; DK is RFC 3961 section 5.1 with AES as E.
 *
 * s2kparams (section 4, reused unchanged by RFC 8009 section 4) is four
 * octets, an unsigned big-endian iteration count for PBKDF2; absent (empty)
 * means the etype's default (4096 here).
 *
 * Policy: RFC 3962 reads a count of zero as 2^32 iterations. krbsim refuses
 * zero and anything above 2^24 = 16,777,216 (MIT's ceiling too) with
 * KRB_ERR_GENERIC, so a hostile ETYPE-INFO2 cannot make a client spin for
 * hours. Small counts are allowed (the RFC test vectors use 1 and 2), unlike
 * MIT, which refuses counts below the etype default.
 *
 * @module
 */

import { pbkdf2Sync } from 'node:crypto';
import { readBe32, toBytes, utf8 } from '../internal/bytes';
import { invalidInput } from '../internal/errors';
import { deriveRandom } from '../rfc3961/dk';
import type { EncTypeSpec } from '../rfc3961/profile';
import { aesCbcEncrypt } from './aes-cts';

const KERBEROS = utf8('kerberos');

/** The largest PBKDF2 iteration count krbsim accepts: 2^24. */
export const MAX_ITERATIONS = 16_777_216;

/** The iteration count in `params`, or `defaultIterations` when `params` is empty. */
export function iterationCount(params: Uint8Array, defaultIterations: number, etypeName: string): number {
  if (params.length === 0) return defaultIterations;
  if (params.length !== 4) {
    throw invalidInput(`${etypeName} s2kparams must be 4 bytes (an iteration count), got ${params.length}`);
  }
  const count = readBe32(params, 0);
  if (count === 0 || count > MAX_ITERATIONS) {
    throw invalidInput(
      `${etypeName} iteration count ${count} is out of range: it must be between 1 and ${MAX_ITERATIONS}`,
    );
  }
  return count;
}

/** RFC 3962 section 4 string-to-key: the protocol key bytes. */
export function aesSha1StringToKey(
  spec: EncTypeSpec,
  password: Uint8Array | string,
  salt: Uint8Array,
  params: Uint8Array,
): Uint8Array {
  const iterations = iterationCount(params, spec.defaultIterations, spec.name);
  const tkey = pbkdf2Sync(toBytes(password, 'password'), salt, iterations, spec.keyBytes, 'sha1');
  try {
    return deriveRandom(aesCbcEncrypt, tkey, KERBEROS, 16, spec.keyBytes);
  } finally {
    tkey.fill(0); // Security: the intermediate key is as sensitive as the result.
  }
}
