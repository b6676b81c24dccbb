/**
 * Keyed checksums by key usage (RFC 3961 section 3: get_mic / verify_mic).
 *
 * @module
 */

import { constantTimeEqual } from './internal/bytes';
import { inappropriateChecksum, invalidInput } from './internal/errors';
import { checkUsage, keyState } from './internal/key-cache';
import { checksumSpecFor, specFor } from './registry';
import type { Key, KeyState } from './rfc3961/profile';

/** Options for {@link checksum} and {@link verifyChecksum}. */
export interface ChecksumOptions {
  /** The checksum type; default the key etype's mandatory one ({@link checksumTypeFor}). */
  readonly cksumtype?: number;
}

/**
 * The mandatory keyed checksum type of an etype (RFC 3961 section 3):
 * 17 → 15, 18 → 16, 19 → 19, 20 → 20, 23 → -138.
 *
 * @throws KerberosError KDC_ERR_ETYPE_NOSUPP for an unsupported etype.
 */
export function checksumTypeFor(etype: number): number {
  return specFor(etype).checksumType;
}

function compute(
  state: KeyState,
  usage: number,
  data: Uint8Array,
  cksumtype: number | undefined,
): Uint8Array {
  if (cksumtype !== undefined && cksumtype !== state.spec.checksumType) {
    const cspec = checksumSpecFor(cksumtype); // KDC_ERR_SUMTYPE_NOSUPP if unknown
    throw inappropriateChecksum(cspec.cksumtype, state.spec.etype);
  }
  if (!(data instanceof Uint8Array)) throw invalidInput('checksum data must be a Uint8Array');
  return state.spec.family.checksum(state, usage, data);
}

/**
 * The keyed checksum of `data` with `key` for `usage`.
 *
 * Each supported checksum type belongs to one etype (15 to aes128-sha1 keys,
 * 16 to aes256-sha1, 19 to aes128-sha2, 20 to aes256-sha2, -138 to rc4-hmac).
 *
 * @throws KerberosError KDC_ERR_SUMTYPE_NOSUPP for an unknown `cksumtype`;
 *   KRB_AP_ERR_INAPP_CKSUM if it does not belong to the key's etype;
 *   KDC_ERR_ETYPE_NOSUPP / KRB_ERR_GENERIC for a bad key or usage.
 *
 * @example
 * ```ts
 * const mac = checksum(sessionKey, KeyUsage.KRB_SAFE_CKSUM, body);
 * ```
 */
export function checksum(
  key: Key,
  usage: number,
  data: Uint8Array,
  options?: { cksumtype?: number },
): Uint8Array {
  const state = keyState(key);
  checkUsage(usage);
  return compute(state, usage, data, options?.cksumtype);
}

/**
 * True if `mac` is the keyed checksum of `data` with `key` for `usage`.
 * The comparison is constant-time; a MAC of the wrong length is false.
 *
 * @throws KerberosError as {@link checksum} does, for an unusable key,
 *   usage or checksum type (a configuration fault, not a forgery).
 */
export function verifyChecksum(
  key: Key,
  usage: number,
  data: Uint8Array,
  mac: Uint8Array,
  options?: { cksumtype?: number },
): boolean {
  const state = keyState(key);
  checkUsage(usage);
  if (!(mac instanceof Uint8Array)) throw invalidInput('checksum must be a Uint8Array');
  return constantTimeEqual(compute(state, usage, data, options?.cksumtype), mac);
}
