/**
 * DR and DK, the RFC 3961 section 5.1 key derivation, and the section 5.3
 * usage constants of the simplified profile.
 *
 *   DR(Key, Constant) = k-truncate(E(Key, K1) | E(Key, K2) | ...)
 *     K1 = n-fold(Constant) to the cipher block size, K(i+1) = E(Key, Ki)
 *   DK(Key, Constant) = random-to-key(DR(Key, Constant))
 *
 * With E a block cipher under a zero IV, E(Key, K(i+1)) chained on E(Key, Ki)
 * is CBC encryption of K1 followed by zero blocks, so DR is one CBC call.
 *
 *   Kc = DK(base-key, usage | 0x99)   checksum key
 *   Ke = DK(base-key, usage | 0xAA)   encryption key
 *   Ki = DK(base-key, usage | 0x55)   integrity key
 *
 * (RFC 8009 reuses the same usage constants with its own KDF.)
 *
 * @module
 */

import { countDerivation } from '../internal/stats';
import { nfold } from './nfold';

/** The RFC 3961 section 5.3 constant selecting the checksum key Kc. */
export const KC = 0x99;
/** The RFC 3961 section 5.3 constant selecting the encryption key Ke. */
export const KE = 0xaa;
/** The RFC 3961 section 5.3 constant selecting the integrity key Ki. */
export const KI = 0x55;

/** The 5-byte derivation constant: usage as 4 big-endian bytes, then the key kind. */
export function usageConstant(usage: number, kind: number): Uint8Array {
  return new Uint8Array([
    (usage >>> 24) & 0xff,
    (usage >>> 16) & 0xff,
    (usage >>> 8) & 0xff,
    usage & 0xff,
    kind,
  ]);
}

/** CBC encryption under `key` with a zero IV, of whole blocks, no padding. */
export type CbcEncrypt = (key: Uint8Array, data: Uint8Array) => Uint8Array;

/**
 * DR(Key, Constant), RFC 3961 section 5.1.
 *
 * @param encrypt - the cipher's CBC encryption with a zero IV.
 * @param key - the base key.
 * @param constant - the derivation constant (any length; it is n-folded).
 * @param blockBytes - the cipher block size.
 * @param outBytes - how many pseudo-random bytes to return.
 */
export function deriveRandom(
  encrypt: CbcEncrypt,
  key: Uint8Array,
  constant: Uint8Array,
  blockBytes: number,
  outBytes: number,
): Uint8Array {
  countDerivation();
  const blocks = Math.ceil(outBytes / blockBytes);
  const input = new Uint8Array(blocks * blockBytes);
  input.set(nfold(constant, blockBytes));
  const out = encrypt(key, input);
  const result = new Uint8Array(out.subarray(0, outBytes));
  out.fill(0);
  return result;
}
