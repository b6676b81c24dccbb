/**
 * n-fold, RFC 3961 section 5.1.
 *
 * Stretches or shrinks a byte string to `n` bytes such that every input bit
 * affects every output bit. The input (l bytes) is repeated lcm(l, n) / l
 * times, each copy rotated 13 bits further to the right than the one before;
 * the result is cut into n-byte pieces that are added with one's-complement
 * (end-around carry) addition.
 *
 * Used to turn key usage constants into cipher blocks (section 5.3) and by
 * nothing on a hot path: derived keys are cached.
 *
 * @module
 */

import { invalidInput } from '../internal/errors';

/** The longest input and output {@link nfold} takes. */
export const NFOLD_MAX_BYTES = 1024;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * n-fold(input) to `outBytes` bytes (RFC 3961 section 5.1).
 *
 * @param input - the string to fold; at least one byte.
 * @param outBytes - the output length in bytes (n / 8); at least one.
 * @returns a new array of `outBytes` bytes.
 * @throws KerberosError KRB_ERR_GENERIC for an empty input, a non-positive length, or either
 *   longer than {@link NFOLD_MAX_BYTES}.
 *
 * @example
 * ```ts
 * nfold(new TextEncoder().encode('kerberos'), 16); // 6b65726265726f737b9b5b2b93132b93
 * ```
 */
export function nfold(input: Uint8Array, outBytes: number): Uint8Array {
  const l = input.length;
  if (l === 0) throw invalidInput('n-fold input must not be empty');
  if (!Number.isInteger(outBytes) || outBytes < 1)
    throw invalidInput('n-fold output length must be a positive integer');
  // The work is lcm(l, n) byte additions: bounded, so that no input makes it hang (Kerberos folds
  // constants of a few bytes into a cipher block or a key).
  if (l > NFOLD_MAX_BYTES || outBytes > NFOLD_MAX_BYTES) {
    throw invalidInput(`n-fold takes at most ${NFOLD_MAX_BYTES} bytes in and out, got ${l} to ${outBytes}`);
  }
  const lcm = (l * outBytes) / gcd(l, outBytes);
  const bits = l * 8;
  // Column sums first, carries after: one's-complement addition is addition
  // modulo 2^(8n) - 1, so the order of the additions does not matter.
  const acc = new Array<number>(outBytes).fill(0);
  for (let k = 0; k < lcm; k++) {
    const copy = Math.floor(k / l);
    const j = k - copy * l;
    // Byte j of the input rotated right by 13*copy bits starts at bit
    // (8j - 13*copy) mod 8l of the original (bit 0 = MSB of byte 0).
    const start = (((8 * j - 13 * copy) % bits) + bits) % bits;
    const at = start >>> 3;
    const shift = start & 7;
    const value =
      shift === 0 ? input[at]! : ((input[at]! << shift) | (input[(at + 1) % l]! >>> (8 - shift))) & 0xff;
    acc[k % outBytes]! += value;
  }
  // Propagate carries from the least significant (last) byte, wrapping the
  // carry out of the top byte around to the bottom until none is left.
  let carry = 0;
  do {
    for (let i = outBytes - 1; i >= 0; i--) {
      const v = acc[i]! + carry;
      acc[i] = v & 0xff;
      carry = v >>> 8;
    }
  } while (carry !== 0);
  return Uint8Array.from(acc);
}
