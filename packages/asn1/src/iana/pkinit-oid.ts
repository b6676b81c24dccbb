/**
 * Object identifiers of PKINIT (RFC 4556 sections 3.1 to 3.2.4, RFC 8636
 * section 3) and the X.509 / CMS / X9.42 / SEC 2 ones it relies on, as dotted
 * text. A leaf module.
 *
 * @module
 */

export const PkinitOid = {
  /** id-pkinit-authData: the content type of the client's signed AuthPack. */
  id_pkinit_authData: '1.3.6.1.5.2.3.1',
  /** id-pkinit-DHKeyData: the content type of the KDC's signed KDCDHKeyInfo. */
  id_pkinit_DHKeyData: '1.3.6.1.5.2.3.2',
  /** id-pkinit-rkeyData: the content type of ReplyKeyPack (public-key encryption delivery). */
  id_pkinit_rkeyData: '1.3.6.1.5.2.3.3',
  /** id-pkinit-KPClientAuth: the client certificate's EKU. */
  id_pkinit_KPClientAuth: '1.3.6.1.5.2.3.4',
  /** id-pkinit-KPKdc: the KDC certificate's EKU. */
  id_pkinit_KPKdc: '1.3.6.1.5.2.3.5',
  /** RFC 8636 KDFs: id-pkinit-kdf-ah-sha1, -sha256, -sha512. */
  id_pkinit_kdf_ah_sha1: '1.3.6.1.5.2.3.6.1',
  id_pkinit_kdf_ah_sha256: '1.3.6.1.5.2.3.6.2',
  id_pkinit_kdf_ah_sha512: '1.3.6.1.5.2.3.6.3',
  /** id-pkinit-san: the subjectAltName otherName holding a KRB5PrincipalName. */
  id_pkinit_san: '1.3.6.1.5.2.2',
  /** Microsoft's smart card logon EKU (MS-PKCA section 3.1.5.2.1.3), accepted by policy. */
  id_ms_kp_sc_logon: '1.3.6.1.4.1.311.20.2.2',
  /** Microsoft's UPN subjectAltName otherName (a UTF8String). */
  id_ms_san_upn: '1.3.6.1.4.1.311.20.2.3',
  /** CMS content types (RFC 5652 section 4 and 5). */
  id_data: '1.2.840.113549.1.7.1',
  id_signedData: '1.2.840.113549.1.7.2',
  id_envelopedData: '1.2.840.113549.1.7.3',
  /** CMS signed attributes (RFC 5652 section 11). */
  id_contentType: '1.2.840.113549.1.9.3',
  id_messageDigest: '1.2.840.113549.1.9.4',
  id_signingTime: '1.2.840.113549.1.9.5',
  /** X9.42 Diffie-Hellman public numbers (RFC 3279 section 2.3.3). */
  dhpublicnumber: '1.2.840.10046.2.1',
  /** id-ecPublicKey and the named curves of RFC 5349 (RFC 5480). */
  id_ecPublicKey: '1.2.840.10045.2.1',
  secp256r1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
  /** Digest algorithms. */
  id_sha1: '1.3.14.3.2.26',
  id_sha256: '2.16.840.1.101.3.4.2.1',
  id_sha384: '2.16.840.1.101.3.4.2.2',
  id_sha512: '2.16.840.1.101.3.4.2.3',
  /** Signature algorithms. */
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha1WithRSAEncryption: '1.2.840.113549.1.1.5',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  ecdsa_with_SHA256: '1.2.840.10045.4.3.2',
  ecdsa_with_SHA384: '1.2.840.10045.4.3.3',
  ecdsa_with_SHA512: '1.2.840.10045.4.3.4',
  /** Content-encryption algorithms of CMS EnvelopedData: AES-CBC (RFC 3565), des-ede3-cbc (RFC 3370 section 5.1). */
  aes128_CBC: '2.16.840.1.101.3.4.1.2',
  aes256_CBC: '2.16.840.1.101.3.4.1.42',
  des_ede3_cbc: '1.2.840.113549.3.7',
  /** X.509 extensions (RFC 5280 section 4.2). */
  subjectAltName: '2.5.29.17',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
} as const;
