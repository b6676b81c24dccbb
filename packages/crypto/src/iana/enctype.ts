/**
 * Encryption type numbers (IANA "Kerberos Encryption Type Numbers" registry,
 * RFC 3961 section 8) for the types krbsim implements.
 *
 * A leaf module: it imports nothing.
 *
 * DES and 3DES are deliberately absent: RFC 6649 and RFC 8429 deprecate
 * them, and krbsim does not emulate realms that still use them.
 *
 * @module
 */

/** The encryption types krbsim implements, by their RFC names. */
export const EncType = {
  /** aes128-cts-hmac-sha1-96, RFC 3962. */
  AES128_CTS_HMAC_SHA1_96: 17,
  /** aes256-cts-hmac-sha1-96, RFC 3962. */
  AES256_CTS_HMAC_SHA1_96: 18,
  /** aes128-cts-hmac-sha256-128, RFC 8009. */
  AES128_CTS_HMAC_SHA256_128: 19,
  /** aes256-cts-hmac-sha384-192, RFC 8009. */
  AES256_CTS_HMAC_SHA384_192: 20,
  /** rc4-hmac (arcfour-hmac), RFC 4757. Weak: callers must opt in. */
  RC4_HMAC: 23,
} as const;

/** One of the {@link EncType} numbers. */
export type EncTypeNumber = (typeof EncType)[keyof typeof EncType];
