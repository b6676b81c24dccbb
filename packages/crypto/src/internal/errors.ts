/**
 * The typed failures of `@krbsim/crypto`, in one place so every path reports
 * the same RFC 4120 code for the same fault.
 *
 * Error code choices (documented in the README):
 * - unsupported encryption type: KDC_ERR_ETYPE_NOSUPP (14);
 * - unsupported checksum type: KDC_ERR_SUMTYPE_NOSUPP (15);
 * - checksum type that does not fit the key (a key of another etype, a key
 *   for an unkeyed type, none for a keyed one): KRB_AP_ERR_INAPP_CKSUM (50);
 * - failed integrity check, and ciphertext too short to hold the confounder
 *   and MAC (indistinguishable from tampering for the receiver):
 *   KRB_AP_ERR_BAD_INTEGRITY (31);
 * - malformed caller input (key length, usage, s2kparams, iteration count,
 *   confounder length, password encoding): KRB_ERR_GENERIC (60).
 *
 * Security: messages name what failed and its sizes, never key bytes,
 * passwords or plaintext.
 *
 * @module
 */

import { ErrorCode, KerberosError } from '@krbsim/core';

/** KDC_ERR_ETYPE_NOSUPP for an encryption type krbsim does not implement. */
export function unsupportedEncType(etype: unknown): KerberosError {
  return new KerberosError(
    ErrorCode.KDC_ERR_ETYPE_NOSUPP,
    `encryption type ${describe(etype)} is not supported (supported: 20, 19, 18, 17, 23)`,
  );
}

/** KDC_ERR_SUMTYPE_NOSUPP for a checksum type krbsim does not implement. */
export function unsupportedChecksumType(cksumtype: unknown): KerberosError {
  return new KerberosError(
    ErrorCode.KDC_ERR_SUMTYPE_NOSUPP,
    `checksum type ${describe(cksumtype)} is not supported (supported: 20, 19, 16, 15, -138, 14)`,
  );
}

/**
 * KRB_AP_ERR_INAPP_CKSUM when a checksum type does not fit the call: its
 * keys are of another etype, it is unkeyed where a key is given, or keyed
 * where none is. `reason` completes "checksum type N ...".
 */
export function inappropriateChecksum(cksumtype: number, reason: string): KerberosError {
  return new KerberosError(ErrorCode.KRB_AP_ERR_INAPP_CKSUM, `checksum type ${cksumtype} ${reason}`);
}

/** KRB_AP_ERR_BAD_INTEGRITY: the MAC did not verify, or the ciphertext cannot hold one. */
export function badIntegrity(detail: string): KerberosError {
  return new KerberosError(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY, `integrity check failed: ${detail}`);
}

/** KRB_ERR_GENERIC for malformed caller input. */
export function invalidInput(message: string): KerberosError {
  return new KerberosError(ErrorCode.KRB_ERR_GENERIC, message);
}

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : `(${typeof value})`;
}
