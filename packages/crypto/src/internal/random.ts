/**
 * Random bytes for confounders and keys, from the injected
 * {@link RandomSource} (default `systemRandom` from `@krbsim/core`).
 *
 * Performance: there is no pool here. `systemRandom` keeps the one pool of
 * the process: a `randomFillSync` call costs about 4 µs whatever its size,
 * so it serves every request under 1 KiB (confounders, nonces, and keys
 * too) from 4 KiB of OS CSPRNG bytes, each byte handed out once and wiped
 * from the pool. An injected source (`SeededRandom` in tests) is called
 * as is.
 *
 * @module
 */

import { type RandomSource, systemRandom } from '@krbsim/core';

/** Fills `out` with confounder bytes from `source` (default: the pooled `systemRandom`). */
export function fillConfounder(source: RandomSource | undefined, out: Uint8Array): void {
  (source ?? systemRandom).fill(out);
}

/** `n` fresh random bytes for key material from `source` (default: the pooled `systemRandom`). */
export function randomKeyBytes(source: RandomSource | undefined, n: number): Uint8Array {
  const out = new Uint8Array(n);
  (source ?? systemRandom).fill(out);
  return out;
}
