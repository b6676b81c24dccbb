/**
 * `@krbsim/crypto`: the RFC 3961 Kerberos cryptosystem framework and its
 * profiles, synchronous on `node:crypto`:
 *
 * - aes128-cts-hmac-sha1-96 (17) and aes256-cts-hmac-sha1-96 (18), RFC 3962;
 * - aes128-cts-hmac-sha256-128 (19) and aes256-cts-hmac-sha384-192 (20), RFC 8009;
 * - rc4-hmac (23), RFC 4757 (weak; opt-in).
 *
 * String-to-key (with a bounded, process-wide cache of its results, and keys
 * derived on first use), random-to-key, key derivation, encrypt/decrypt by key usage,
 * checksums (keyed by one etype's keys, by any key, or unkeyed), the RFC 3961
 * PRF and KRB-FX-CF2 (RFC 6113).
 *
 * @packageDocumentation
 */

export { ChecksumType, EncType } from '@krbsim/core';
export {
  type ChecksumOptions,
  checksum,
  checksumTypeFor,
  unkeyedChecksum,
  verifyChecksum,
} from './checksum';
export { decrypt, type EncryptOptions, encrypt } from './encryption';
export { KeyUsage, type KeyUsageName } from './iana/key-usage';
export { retainKeyState } from './internal/key-cache';
export { generateKey, randomToKey, salt, stringToKey } from './keys';
export { cf2, prf } from './prf';
export { type EncryptionKeyLike, redactedEncryptionKey, redactedKey } from './redact';
export {
  defaultEncTypes,
  getChecksumType,
  getEncType,
  isSupportedEncType,
  isWeakEncType,
  supportedChecksumTypes,
  supportedEncTypes,
  WEAK_ENC_TYPES,
} from './registry';
export { NFOLD_MAX_BYTES, nfold } from './rfc3961/nfold';
export type { ChecksumKind, ChecksumTypeProfile, EncTypeProfile, Key } from './rfc3961/profile';
export { clientChallengeKey, fastArmorKey, kdcChallengeKey, strengthenedReplyKey } from './rfc6113/fast-keys';
export {
  cachedStringToKey,
  deferredStringToKey,
  StringToKeyCache,
  type StringToKeyCacheOptions,
  type StringToKeyCacheStats,
  type StringToKeyFunction,
  sharedStringToKeyCache,
} from './string-to-key-cache';
