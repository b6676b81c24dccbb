/**
 * Encryption type and checksum type numbers: the IANA "Kerberos Parameters"
 * registries (RFC 3961 section 8, RFC 3962, RFC 4757, RFC 6803, RFC 8009,
 * RFC 4121 section 4.1.1, MS-KILE). A leaf module, shared by the crypto (which
 * implements a few of them) and the codec (which names all of them).
 *
 * DES and 3DES are listed so that messages naming them can be read and
 * reported; krbsim implements none of them (RFC 6649, RFC 8429).
 *
 * @module
 */

/** Encryption type numbers, by RFC name in constant case. */
export const EncType = {
  DES_CBC_CRC: 1,
  DES_CBC_MD4: 2,
  DES_CBC_MD5: 3,
  DES3_CBC_MD5: 5,
  DES3_CBC_SHA1: 7,
  DSA_WITH_SHA1_CMS_OID: 9,
  MD5_WITH_RSA_ENCRYPTION_CMS_OID: 10,
  SHA1_WITH_RSA_ENCRYPTION_CMS_OID: 11,
  RC2_CBC_ENV_OID: 12,
  RSA_ENCRYPTION_ENV_OID: 13,
  RSAES_OAEP_ENV_OID: 14,
  DES_EDE3_CBC_ENV_OID: 15,
  DES3_CBC_SHA1_KD: 16,
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
  RC4_HMAC_EXP: 24,
  CAMELLIA128_CTS_CMAC: 25,
  CAMELLIA256_CTS_CMAC: 26,
  SUBKEY_KEYMATERIAL: 65,
} as const;

/** Checksum type numbers, by RFC name in constant case. */
export const ChecksumType = {
  CRC32: 1,
  RSA_MD4: 2,
  RSA_MD4_DES: 3,
  DES_MAC: 4,
  DES_MAC_K: 5,
  RSA_MD4_DES_K: 6,
  RSA_MD5: 7,
  RSA_MD5_DES: 8,
  RSA_MD5_DES3: 9,
  SHA1: 10,
  HMAC_SHA1_DES3_KD: 12,
  HMAC_SHA1_DES3: 13,
  SHA1_UNKEYED: 14,
  HMAC_SHA1_96_AES128: 15,
  HMAC_SHA1_96_AES256: 16,
  CMAC_CAMELLIA128: 17,
  CMAC_CAMELLIA256: 18,
  HMAC_SHA256_128_AES128: 19,
  HMAC_SHA384_192_AES256: 20,
  /** RFC 4121 section 4.1.1: the GSS-API authenticator checksum. */
  GSS_KRB5: 0x8003,
  /** RFC 4757 / MS-KILE: KERB_CHECKSUM_HMAC_MD5. */
  HMAC_MD5: -138,
} as const;

/** Host address types (RFC 4120 section 7.5.3). */
export const AddressType = {
  IPV4: 2,
  DIRECTIONAL: 3,
  CHAOSNET: 5,
  XNS: 6,
  ISO: 7,
  DECNET_PHASE_IV: 12,
  APPLETALK_DDP: 16,
  NETBIOS: 20,
  IPV6: 24,
} as const;
