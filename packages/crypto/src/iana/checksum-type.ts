/**
 * Checksum type numbers (IANA "Kerberos Checksum Type Numbers" registry,
 * RFC 3961 section 8) for the keyed checksums krbsim implements.
 *
 * A leaf module: it imports nothing.
 *
 * @module
 */

/** The keyed checksum types krbsim implements, by their RFC names. */
export const ChecksumType = {
  /** hmac-sha1-96-aes128, RFC 3962: the checksum of aes128-cts-hmac-sha1-96 keys. */
  HMAC_SHA1_96_AES128: 15,
  /** hmac-sha1-96-aes256, RFC 3962: the checksum of aes256-cts-hmac-sha1-96 keys. */
  HMAC_SHA1_96_AES256: 16,
  /** hmac-sha256-128-aes128, RFC 8009: the checksum of aes128-cts-hmac-sha256-128 keys. */
  HMAC_SHA256_128_AES128: 19,
  /** hmac-sha384-192-aes256, RFC 8009: the checksum of aes256-cts-hmac-sha384-192 keys. */
  HMAC_SHA384_192_AES256: 20,
  /** hmac-md5 (KERB_CHECKSUM_HMAC_MD5), RFC 4757 section 4: the checksum of rc4-hmac keys. */
  HMAC_MD5: -138,
} as const;

/** One of the {@link ChecksumType} numbers. */
export type ChecksumTypeNumber = (typeof ChecksumType)[keyof typeof ChecksumType];
