/**
 * PRF+ and KRB-FX-CF2, RFC 6113 section 5.1: combine two keys (the armor
 * key and a session key, for FAST) into one.
 *
 *   PRF+(key, shared-info) = pseudo-random(key, 1 | shared-info)
 *                          | pseudo-random(key, 2 | shared-info) | ...
 *     (the counter is one octet, starting at 1; truncated to the length asked)
 *   KRB-FX-CF2(key1, key2, pepper1, pepper2)
 *     = random-to-key(PRF+(key1, pepper1) XOR PRF+(key2, pepper2))
 *
 * Both PRF+ outputs are as long as the random-to-key seed of key1's etype,
 * and the result has key1's etype.
 *
 * @module
 */

import type { KeyState } from '../rfc3961/profile';

/** PRF+(key, shared-info) truncated to `length` bytes. */
export function prfPlus(state: KeyState, sharedInfo: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const input = new Uint8Array(1 + sharedInfo.length);
  input.set(sharedInfo, 1);
  let offset = 0;
  for (let counter = 1; offset < length; counter++) {
    if (counter > 255) throw new RangeError('PRF+ output too long'); // unreachable for key-sized outputs
    input[0] = counter;
    const block = state.spec.family.prf(state, input);
    const n = Math.min(block.length, length - offset);
    out.set(block.subarray(0, n), offset);
    block.fill(0);
    offset += n;
  }
  return out;
}

/** The random-to-key input of KRB-FX-CF2: PRF+(key1, pepper1) XOR PRF+(key2, pepper2). */
export function cf2Seed(k1: KeyState, k2: KeyState, pepper1: Uint8Array, pepper2: Uint8Array): Uint8Array {
  const length = k1.spec.seedBytes;
  const a = prfPlus(k1, pepper1, length);
  const b = prfPlus(k2, pepper2, length);
  for (let i = 0; i < length; i++) a[i]! ^= b[i]!;
  b.fill(0);
  return a;
}
