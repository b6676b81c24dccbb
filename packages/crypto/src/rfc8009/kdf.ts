/**
 * Key derivation for RFC 8009: KDF-HMAC-SHA2 (section 3) and the
 * string-to-key built on it (section 4).
 *
 * KDF-HMAC-SHA2 is the SP 800-108 counter-mode KDF with one iteration:
 *
 *   KDF-HMAC-SHA2(key, label, [context,] k) = k-truncate(K1)
 *   K1 = HMAC-SHA-256 or -384(key, 0x00000001 | label | 0x00 | [context |] k)
 *
 * where k is the output length in bits as four big-endian bytes. It derives
 * Ke, Ki and Kc (label = usage | 0xAA / 0x55 / 0x99), turns the PBKDF2 output
 * into the base key (label "kerberos"), and is the PRF (label "prf").
 *
 * string-to-key:
 *
 *   saltp    = enctype-name | 0x00 | salt
 *   tkey     = random-to-key(PBKDF2-HMAC-SHA2(passphrase, saltp, iter_count, keylength))
 *   base-key = random-to-key(KDF-HMAC-SHA2(tkey, "kerberos", keylength))
 *
 * PBKDF2 uses HMAC-SHA-256 for the 128-bit etype and HMAC-SHA-384 for the
 * 256-bit one; the default iteration count is 32768 (s2kparams as in RFC 3962).
 *
 * @module
 */

import { createHmac, pbkdf2Sync } from 'node:crypto';
import { concatBytes } from '@krbsim/core';
import { be32, toBytes, utf8 } from '../internal/bytes';
import type { Mac } from '../internal/hmac';
import { countDerivation } from '../internal/stats';
import type { EncTypeSpec } from '../rfc3961/profile';
import { iterationCount } from '../rfc3962/string-to-key';

const COUNTER_1 = be32(1);
const SEPARATOR = new Uint8Array(1);
const KERBEROS = utf8('kerberos');

/**
 * KDF-HMAC-SHA2(key, label, context, bits).
 *
 * @param hash - 'sha256' or 'sha384' (the etype's hash).
 * @param bits - output length in bits: at most the hash length.
 */
export function kdfHmacSha2(
  hash: string,
  key: Uint8Array,
  label: Uint8Array,
  context: Uint8Array | undefined,
  bits: number,
): Uint8Array {
  const h = createHmac(hash, key).update(COUNTER_1).update(label).update(SEPARATOR);
  if (context !== undefined) h.update(context);
  const k1 = h.update(be32(bits)).digest();
  // new Uint8Array(view) copies; Buffer#slice would not.
  const out = new Uint8Array(k1.subarray(0, bits >>> 3));
  k1.fill(0);
  return out;
}

/**
 * KDF-HMAC-SHA2 with HMAC already keyed with the base key (`mac`, kept on
 * the key's state: see ../internal/hmac.ts): the same function as
 * {@link kdfHmacSha2}, without re-keying HMAC for every derived key.
 */
export function kdfWithMac(
  mac: Mac,
  label: Uint8Array,
  context: Uint8Array | undefined,
  bits: number,
): Uint8Array {
  const c = context ?? EMPTY;
  const input = new Uint8Array(4 + label.length + 1 + c.length + 4);
  input.set(COUNTER_1, 0);
  input.set(label, 4);
  // input[4 + label.length] = 0x00, the separator
  input.set(c, 5 + label.length);
  const n = input.length;
  input[n - 4] = bits >>> 24;
  input[n - 3] = (bits >>> 16) & 0xff;
  input[n - 2] = (bits >>> 8) & 0xff;
  input[n - 1] = bits & 0xff;
  const k1 = mac.compute(input);
  const out = k1.slice(0, bits >>> 3);
  k1.fill(0, 0, mac.bytes); // Security: K1 is key material, in the shared MAC result buffer.
  return out;
}

const EMPTY = new Uint8Array(0);

/** RFC 8009 section 4 string-to-key: the protocol key bytes. */
export function aesSha2StringToKey(
  spec: EncTypeSpec,
  password: Uint8Array | string,
  salt: Uint8Array,
  params: Uint8Array,
): Uint8Array {
  const iterations = iterationCount(params, spec.defaultIterations, spec.name);
  const saltp = concatBytes([utf8(spec.name), new Uint8Array(1), salt]);
  const tkey = pbkdf2Sync(toBytes(password, 'password'), saltp, iterations, spec.keyBytes, spec.hash);
  try {
    countDerivation();
    return kdfHmacSha2(spec.hash, tkey, KERBEROS, undefined, spec.keyBytes * 8);
  } finally {
    tkey.fill(0); // Security: the intermediate key is as sensitive as the result.
  }
}
