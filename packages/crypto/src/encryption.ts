/**
 * encrypt and decrypt by key usage (RFC 3961 section 3), dispatching to the
 * key's etype family. The boundary checks live here; the families trust
 * their inputs.
 *
 * @module
 */

import type { RandomSource } from '@krbsim/core';
import { invalidInput } from './internal/errors';
import { checkUsage, keyState } from './internal/key-cache';
import { fillConfounder } from './internal/random';
import type { Key } from './rfc3961/profile';

/** Options for {@link encrypt}. */
export interface EncryptOptions {
  /** Where confounders come from; default the OS CSPRNG (`systemRandom`). */
  readonly random?: RandomSource;
  /** An explicit confounder (test vectors); exactly `confounderBytes` long. Overrides `random`. */
  readonly confounder?: Uint8Array;
}

// One confounder buffer per size (16 for AES, 8 for RC4), reused and wiped after each call.
const confounders: Readonly<Record<number, Uint8Array>> = { 16: new Uint8Array(16), 8: new Uint8Array(8) };

/**
 * Encrypts `plaintext` under `key` for `usage`, returning the bytes of the
 * EncryptedData `cipher` field: confounder, plaintext and MAC as the etype
 * lays them out (RFC 3962: AES-CTS | HMAC-SHA1-96; RFC 8009: AES-CTS |
 * HMAC-SHA2 over IV | C; RFC 4757: HMAC-MD5 | RC4).
 *
 * Derived keys are computed on the first use of a (key, usage) pair and
 * cached on the key object.
 *
 * @param usage - the RFC 4120 key usage ({@link KeyUsage}); an unsigned 32-bit integer.
 * @throws KerberosError KDC_ERR_ETYPE_NOSUPP for an unsupported etype;
 *   KRB_ERR_GENERIC for a key of the wrong length, a bad usage or a
 *   confounder of the wrong length.
 *
 * @example
 * ```ts
 * const cipher = encrypt(key, KeyUsage.AP_REQ_AUTH, authenticatorDer);
 * ```
 */
export function encrypt(
  key: Key,
  usage: number,
  plaintext: Uint8Array,
  options?: EncryptOptions,
): Uint8Array {
  const state = keyState(key);
  checkUsage(usage);
  if (!(plaintext instanceof Uint8Array)) throw invalidInput('plaintext must be a Uint8Array');
  const spec = state.spec;
  const confounder = confounders[spec.confounderBytes]!;
  const given = options?.confounder;
  if (given !== undefined) {
    if (!(given instanceof Uint8Array) || given.length !== spec.confounderBytes) {
      throw invalidInput(`${spec.name} confounder must be ${spec.confounderBytes} bytes`);
    }
    confounder.set(given);
  } else {
    fillConfounder(options?.random, confounder);
  }
  try {
    return spec.family.encrypt(state, usage, plaintext, confounder);
  } finally {
    confounder.fill(0);
  }
}

/**
 * Decrypts the `cipher` bytes of an EncryptedData made with `key` for
 * `usage`, checking its integrity.
 *
 * @returns the plaintext (confounder removed), in a new array.
 * @throws KerberosError KRB_AP_ERR_BAD_INTEGRITY if the MAC does not verify
 *   (wrong key, wrong usage, tampering) or the ciphertext is too short to
 *   hold a confounder and a MAC; KDC_ERR_ETYPE_NOSUPP for an unsupported
 *   etype; KRB_ERR_GENERIC for a key of the wrong length or a bad usage.
 *
 * @example
 * ```ts
 * const authenticator = decrypt(sessionKey, KeyUsage.AP_REQ_AUTH, apReq.authenticator.cipher);
 * ```
 */
export function decrypt(key: Key, usage: number, ciphertext: Uint8Array): Uint8Array {
  const state = keyState(key);
  checkUsage(usage);
  if (!(ciphertext instanceof Uint8Array)) throw invalidInput('ciphertext must be a Uint8Array');
  return state.spec.family.decrypt(state, usage, ciphertext);
}
