/**
 * Checksums (RFC 3961 section 4; section 3's get_mic / verify_mic), dispatched
 * on the checksum type's record, whose `kind` says how it is keyed:
 *
 * - `'etypeKey'` (15, 16, 19, 20): the mandatory checksum of one etype,
 *   computed by its family from a derived key Kc; only keys of that etype;
 * - `'anyKey'` (-138 hmac-md5, RFC 4757 section 4): the key's bytes are the
 *   HMAC key, whatever the key's etype (MS-SFU's PA-FOR-USER keys it with
 *   an AES TGT session key);
 * - `'unkeyed'` (14 sha1): a plain hash, only through {@link unkeyedChecksum}.
 *
 * With no `cksumtype`, the key etype's mandatory checksum is computed.
 *
 * @module
 */

import { constantTimeEqual } from './internal/bytes';
import { inappropriateChecksum, invalidInput } from './internal/errors';
import { checkUsage, keyState } from './internal/key-cache';
import { checksumTypeSpecFor, specFor } from './registry';
import type { Key, KeyState } from './rfc3961/profile';

/** Options for {@link checksum} and {@link verifyChecksum}. */
export interface ChecksumOptions {
  /**
   * The checksum type; default the key etype's mandatory one
   * ({@link checksumTypeFor}). A keyed type: see {@link getChecksumType}
   * for which keys fit it.
   */
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
  const spec = state.spec;
  if (cksumtype === undefined || cksumtype === spec.checksumType) {
    if (!(data instanceof Uint8Array)) throw invalidInput('checksum data must be a Uint8Array');
    return spec.family.checksum(state, usage, data);
  }
  const ctype = checksumTypeSpecFor(cksumtype); // KDC_ERR_SUMTYPE_NOSUPP if unknown
  switch (ctype.kind) {
    case 'etypeKey':
      // Each etype has one such type, its mandatory checksum, handled above:
      // this one belongs to another etype's keys.
      throw inappropriateChecksum(
        ctype.cksumtype,
        `cannot be computed with a key of encryption type ${spec.etype}`,
      );
    case 'unkeyed':
      // Security: a keyed checksum was asked for; an unkeyed one would let
      // anyone forge it. unkeyedChecksum computes these.
      throw inappropriateChecksum(
        ctype.cksumtype,
        `(${ctype.name}) is unkeyed; a keyed checksum is required`,
      );
    case 'anyKey':
      if (!(data instanceof Uint8Array)) throw invalidInput('checksum data must be a Uint8Array');
      return ctype.compute(state, usage, data);
  }
}

/**
 * The keyed checksum of `data` with `key` for `usage`.
 *
 * Which keys fit a checksum type depends on its kind
 * ({@link getChecksumType}): 15 takes aes128-sha1 keys only, 16 aes256-sha1,
 * 19 aes128-sha2, 20 aes256-sha2; -138 (hmac-md5) takes a key of any etype,
 * its bytes used as the HMAC key (RFC 4757 section 4, as MS-SFU's
 * PA-FOR-USER does with an AES session key); unkeyed types (14) are refused
 * here: use {@link unkeyedChecksum}.
 *
 * @throws KerberosError KDC_ERR_SUMTYPE_NOSUPP for an unknown `cksumtype`;
 *   KRB_AP_ERR_INAPP_CKSUM if it does not fit the key (another etype's, or
 *   unkeyed); KDC_ERR_ETYPE_NOSUPP / KRB_ERR_GENERIC for a bad key or usage.
 *
 * @example
 * ```ts
 * const mac = checksum(sessionKey, KeyUsage.KRB_SAFE_CKSUM, body);
 * // PA-FOR-USER (MS-SFU 2.2.1): hmac-md5 keyed with the TGT session key, whatever its etype.
 * const s4u = checksum(tgtSessionKey, KeyUsage.KERB_NON_KERB_CKSUM_SALT, s4uBytes, {
 *   cksumtype: ChecksumType.HMAC_MD5,
 * });
 * ```
 */
export function checksum(key: Key, usage: number, data: Uint8Array, options?: ChecksumOptions): Uint8Array {
  const state = keyState(key);
  checkUsage(usage);
  return compute(state, usage, data, options?.cksumtype);
}

/**
 * True if `mac` is the keyed checksum of `data` with `key` for `usage`.
 * The comparison is constant-time; a MAC of the wrong length is false.
 *
 * @throws KerberosError as {@link checksum} does, for an unusable key,
 *   usage or checksum type (a configuration fault, not a forgery); an
 *   unkeyed `cksumtype` from the wire is KRB_AP_ERR_INAPP_CKSUM, never
 *   `true`.
 */
export function verifyChecksum(
  key: Key,
  usage: number,
  data: Uint8Array,
  mac: Uint8Array,
  options?: ChecksumOptions,
): boolean {
  const state = keyState(key);
  checkUsage(usage);
  if (!(mac instanceof Uint8Array)) throw invalidInput('checksum must be a Uint8Array');
  return constantTimeEqual(compute(state, usage, data, options?.cksumtype), mac);
}

/**
 * The unkeyed checksum of `data`: a plain hash, with no key and no usage
 * (RFC 3961 section 4). krbsim implements sha1 (14), which PKINIT's
 * paChecksum uses (RFC 4556 section 3.2.1). It authenticates nothing by
 * itself: compare it only where the message is otherwise protected.
 *
 * @throws KerberosError KDC_ERR_SUMTYPE_NOSUPP for an unknown `cksumtype`;
 *   KRB_AP_ERR_INAPP_CKSUM for a keyed one (use {@link checksum});
 *   KRB_ERR_GENERIC if `data` is not a Uint8Array.
 *
 * @example
 * ```ts
 * const paChecksum = unkeyedChecksum(ChecksumType.SHA1_UNKEYED, kdcReqBodyDer); // 20 bytes
 * ```
 */
export function unkeyedChecksum(cksumtype: number, data: Uint8Array): Uint8Array {
  const ctype = checksumTypeSpecFor(cksumtype);
  if (ctype.kind !== 'unkeyed') {
    throw inappropriateChecksum(ctype.cksumtype, `(${ctype.name}) is keyed and needs a key`);
  }
  if (!(data instanceof Uint8Array)) throw invalidInput('checksum data must be a Uint8Array');
  return ctype.digest(data);
}
