/**
 * PKINIT (RFC 4556 section 3.2, with RFC 8070's freshness token and RFC
 * 8636's KDF negotiation): the Kerberos-side values. What RFC 4556 takes
 * from X.509 and CMS (SubjectPublicKeyInfo, AlgorithmIdentifier, the
 * ContentInfo around AuthPack and KDCDHKeyInfo) is kept as its DER bytes;
 * `@krbsim/pki` reads and writes those.
 *
 * @module
 */

import type { Checksum, EncryptionKey, IntegerForm, KerberosTime, PrincipalName } from './basic';

/**
 * ExternalPrincipalIdentifier (RFC 4556 section 3.2.1): each part is the DER
 * of an X.509 Name, an IssuerAndSerialNumber or a SubjectKeyIdentifier.
 */
export interface ExternalPrincipalIdentifier {
  readonly subjectName?: Uint8Array;
  readonly issuerAndSerialNumber?: Uint8Array;
  readonly subjectKeyIdentifier?: Uint8Array;
}

/** PA-PK-AS-REQ (RFC 4556 section 3.2.1). */
export interface PaPkAsReq {
  /** DER of a ContentInfo holding a SignedData whose content is an AuthPack. */
  readonly signedAuthPack: Uint8Array;
  readonly trustedCertifiers?: readonly ExternalPrincipalIdentifier[];
  readonly kdcPkId?: Uint8Array;
}

/** PKAuthenticator (RFC 4556 section 3.2.1; freshnessToken from RFC 8070 section 4). */
export interface PkAuthenticator {
  readonly cusec: number;
  readonly ctime: KerberosTime;
  /** The KDC-REQ-BODY's nonce. */
  readonly nonce: number;
  /** Set to `unsigned` when a nonce of 2^31 or more came unsigned (the default is signed, see `KdcReqBody.nonceForm`). */
  readonly nonceForm?: IntegerForm;
  /** SHA-1 of the DER KDC-REQ-BODY. */
  readonly paChecksum?: Uint8Array;
  /** RFC 8070: the token from the KDC's PA_AS_FRESHNESS. */
  readonly freshnessToken?: Uint8Array;
  /** MS-PKCA 2.2.3: the KDC-REQ-BODY's hash under a named algorithm, which an AD KDC validates. */
  readonly paChecksum2?: PaChecksum2;
}

/** PAChecksum2 (MS-PKCA 2.2.3). */
export interface PaChecksum2 {
  readonly checksum: Uint8Array;
  /** The hash's AlgorithmIdentifier, DER (id-sha256...). */
  readonly algorithmIdentifier: Uint8Array;
}

/** KDFAlgorithmId (RFC 8636 section 3). */
export interface KdfAlgorithmId {
  readonly kdfId: string;
}

/** AuthPack (RFC 4556 section 3.2.1; supportedKDFs from RFC 8636). */
export interface AuthPack {
  readonly pkAuthenticator: PkAuthenticator;
  /** DER SubjectPublicKeyInfo: the client's DH or ECDH public value; absent asks for RSA key transport. */
  readonly clientPublicValue?: Uint8Array;
  /** DER AlgorithmIdentifiers. */
  readonly supportedCmsTypes?: readonly Uint8Array[];
  readonly clientDhNonce?: Uint8Array;
  readonly supportedKdfs?: readonly KdfAlgorithmId[];
}

/** DHRepInfo (RFC 4556 section 3.2.3; kdf from RFC 8636). */
export interface DhRepInfo {
  /** DER ContentInfo: SignedData over a KDCDHKeyInfo. */
  readonly dhSignedData: Uint8Array;
  readonly serverDhNonce?: Uint8Array;
  readonly kdf?: KdfAlgorithmId;
}

/**
 * PA-PK-AS-REP (RFC 4556 section 3.2.3): one of the two key delivery methods. `encKeyPack` is
 * the DER of a ContentInfo holding an EnvelopedData, encrypted to the client's certificate, of
 * a SignedData over a {@link ReplyKeyPack} (section 3.2.3.2).
 */
export type PaPkAsRep = { readonly dhInfo: DhRepInfo } | { readonly encKeyPack: Uint8Array };

/** KDCDHKeyInfo (RFC 4556 section 3.2.3.1). */
export interface KdcDhKeyInfo {
  /** DER BIT STRING: the KDC's DH public value (an INTEGER's DER) or ECDH point. */
  readonly subjectPublicKey: Uint8Array;
  readonly nonce: number;
  /** Set to `unsigned` when a nonce of 2^31 or more came unsigned (the default is signed, see `KdcReqBody.nonceForm`). */
  readonly nonceForm?: IntegerForm;
  readonly dhKeyExpiration?: KerberosTime;
}

/**
 * ReplyKeyPack (RFC 4556 section 3.2.3.2): the reply key of public-key encryption delivery,
 * and a keyed checksum (key usage 6, the reply key's etype's mandatory checksum) over the
 * AS-REQ as the KDC received it, binding the key to that request.
 */
export interface ReplyKeyPack {
  readonly replyKey: EncryptionKey;
  readonly asChecksum: Checksum;
}

/** KRB5PrincipalName (RFC 4556 section 3.2.2): the id-pkinit-san otherName's value. */
export interface Krb5PrincipalName {
  readonly realm: string;
  readonly principalName: PrincipalName;
}
