/**
 * Encryption types (RFC 3961 section 8, RFC 3962, RFC 4757, RFC 6803,
 * RFC 8009), checksum types (RFC 3961 section 8, RFC 4121 section 4.1.1,
 * MS-KILE) and host address types (RFC 4120 section 7.5.3), for naming
 * numbers in traces. A leaf module; the crypto itself lives in
 * `@krbsim/crypto`.
 *
 * @module
 */

/** Encryption type numbers. */
export const EncType = {
  'des-cbc-crc': 1,
  'des-cbc-md4': 2,
  'des-cbc-md5': 3,
  'des3-cbc-md5': 5,
  'des3-cbc-sha1': 7,
  'dsaWithSHA1-CmsOID': 9,
  'md5WithRSAEncryption-CmsOID': 10,
  'sha1WithRSAEncryption-CmsOID': 11,
  'rc2CBC-EnvOID': 12,
  'rsaEncryption-EnvOID': 13,
  'rsaES-OAEP-ENV-OID': 14,
  'des-ede3-cbc-Env-OID': 15,
  'des3-cbc-sha1-kd': 16,
  'aes128-cts-hmac-sha1-96': 17,
  'aes256-cts-hmac-sha1-96': 18,
  'aes128-cts-hmac-sha256-128': 19,
  'aes256-cts-hmac-sha384-192': 20,
  'rc4-hmac': 23,
  'rc4-hmac-exp': 24,
  'camellia128-cts-cmac': 25,
  'camellia256-cts-cmac': 26,
  'subkey-keymaterial': 65,
} as const;

/** Checksum type numbers. */
export const ChecksumType = {
  CRC32: 1,
  'rsa-md4': 2,
  'rsa-md4-des': 3,
  'des-mac': 4,
  'des-mac-k': 5,
  'rsa-md4-des-k': 6,
  'rsa-md5': 7,
  'rsa-md5-des': 8,
  'rsa-md5-des3': 9,
  sha1: 10,
  'hmac-sha1-des3-kd': 12,
  'hmac-sha1-des3': 13,
  'sha1-unkeyed': 14,
  'hmac-sha1-96-aes128': 15,
  'hmac-sha1-96-aes256': 16,
  'cmac-camellia128': 17,
  'cmac-camellia256': 18,
  'hmac-sha256-128-aes128': 19,
  'hmac-sha384-192-aes256': 20,
  /** RFC 4121 section 4.1.1: the GSS-API authenticator checksum. */
  'gss-krb5': 0x8003,
  /** MS-KILE / RFC 4757: KERB_CHECKSUM_HMAC_MD5. */
  'hmac-md5': -138,
} as const;

/** Host address types (RFC 4120 section 7.5.3). */
export const AddressType = {
  IPv4: 2,
  Directional: 3,
  ChaosNet: 5,
  XNS: 6,
  ISO: 7,
  'DECNET-Phase-IV': 12,
  'AppleTalk-DDP': 16,
  NetBios: 20,
  IPv6: 24,
} as const;

/** The name of `value` in `table`, or undefined. */
export function nameOf(table: Readonly<Record<string, number>>, value: number): string | undefined {
  for (const k in table) if (table[k] === value) return k;
  return undefined;
}
