/**
 * PKINIT (RFC 4556 Appendix A, RFC 8070 section 4, RFC 8636 section 3):
 * PA-PK-AS-REQ, AuthPack, PKAuthenticator, PA-PK-AS-REP, DHRepInfo,
 * KDCDHKeyInfo, ReplyKeyPack, KRB5PrincipalName, TD-DH-PARAMETERS,
 * KDFAlgorithmId.
 *
 * RFC 4556's module is EXPLICIT TAGS but marks several OCTET STRINGs
 * `IMPLICIT` (signedAuthPack, kdcPkId, dhSignedData, encKeyPack and the
 * parts of ExternalPrincipalIdentifier): those are {@link implicitOctets}.
 * X.509 and CMS values inside (SubjectPublicKeyInfo, AlgorithmIdentifier)
 * stay DER bytes. Every SEQUENCE here is extensible, so RFC 8070's
 * freshnessToken and RFC 8636's supportedKDFs and kdf are declared after
 * the marker, and anything later (MS-PKCA's paChecksum2) is skipped.
 *
 * @module
 */

import { Codec, type DecodeOptions } from '../schema/codec';
import {
  choice,
  derOf,
  field,
  implicitOctets,
  kerberosTime,
  microseconds,
  nonce,
  octetString,
  oid,
  optional,
  realm,
  seq,
  seqOf,
} from '../schema/nodes';
import type {
  AuthPack,
  ExternalPrincipalIdentifier,
  KdcDhKeyInfo,
  Krb5PrincipalName,
  PaPkAsRep,
  PaPkAsReq,
  ReplyKeyPack,
} from '../types/pkinit';
import { ChecksumDef, EncryptionKeyDef, PrincipalNameDef } from './basic';

/**
 * ExternalPrincipalIdentifier ::= SEQUENCE {
 *   subjectName            [0] IMPLICIT OCTET STRING OPTIONAL,
 *   issuerAndSerialNumber  [1] IMPLICIT OCTET STRING OPTIONAL,
 *   subjectKeyIdentifier   [2] IMPLICIT OCTET STRING OPTIONAL,
 *   ...
 * }
 */
const ExternalPrincipalIdentifierDef = seq(
  'ExternalPrincipalIdentifier',
  [
    optional(implicitOctets(0, 'subjectName')),
    optional(implicitOctets(1, 'issuerAndSerialNumber')),
    optional(implicitOctets(2, 'subjectKeyIdentifier')),
  ],
  { ext: true },
);

/**
 * PA-PK-AS-REQ ::= SEQUENCE {
 *   signedAuthPack     [0] IMPLICIT OCTET STRING,  -- ContentInfo (SignedData of AuthPack)
 *   trustedCertifiers  [1] SEQUENCE OF ExternalPrincipalIdentifier OPTIONAL,
 *   kdcPkId            [2] IMPLICIT OCTET STRING OPTIONAL,
 *   ...
 * }
 */
const PaPkAsReqDef = seq(
  'PA-PK-AS-REQ',
  [
    implicitOctets(0, 'signedAuthPack'),
    optional(
      field(
        1,
        'trustedCertifiers',
        seqOf('SEQUENCE OF ExternalPrincipalIdentifier', ExternalPrincipalIdentifierDef),
      ),
    ),
    optional(implicitOctets(2, 'kdcPkId')),
  ],
  { ext: true },
);

/**
 * PKAuthenticator ::= SEQUENCE {
 *   cusec           [0] INTEGER (0..999999),
 *   ctime           [1] KerberosTime,
 *   nonce           [2] INTEGER (0..4294967295),
 *   paChecksum      [3] OCTET STRING OPTIONAL,  -- SHA-1 of the KDC-REQ-BODY
 *   ...,
 *   freshnessToken  [4] OCTET STRING OPTIONAL   -- RFC 8070
 * }
 */
const PkAuthenticatorDef = seq(
  'PKAuthenticator',
  [
    field(0, 'cusec', microseconds),
    field(1, 'ctime', kerberosTime),
    field(2, 'nonce', nonce),
    optional(field(3, 'paChecksum', octetString)),
    optional(field(4, 'freshnessToken', octetString)),
    // MS-PKCA 2.2.3: PAChecksum2 ::= SEQUENCE { checksum [0] OCTET STRING,
    //   algorithmIdentifier [1] KERB-ALGORITHM-IDENTIFIER } (an AlgorithmIdentifier, kept as DER).
    optional(
      field(
        5,
        'paChecksum2',
        seq('PAChecksum2', [
          field(0, 'checksum', octetString),
          field(1, 'algorithmIdentifier', derOf('AlgorithmIdentifier')),
        ]),
      ),
    ),
  ],
  { ext: true },
);

/** KDFAlgorithmId ::= SEQUENCE { kdf-id [0] OBJECT IDENTIFIER, ... } (RFC 8636 section 3) */
const KdfAlgorithmIdDef = seq('KDFAlgorithmId', [field(0, 'kdf-id', oid)], { ext: true });

/**
 * AuthPack ::= SEQUENCE {
 *   pkAuthenticator    [0] PKAuthenticator,
 *   clientPublicValue  [1] SubjectPublicKeyInfo OPTIONAL,
 *   supportedCMSTypes  [2] SEQUENCE OF AlgorithmIdentifier OPTIONAL,
 *   clientDHNonce      [3] DHNonce OPTIONAL,
 *   ...,
 *   supportedKDFs      [4] SEQUENCE OF KDFAlgorithmId OPTIONAL  -- RFC 8636
 * }
 */
const AuthPackDef = seq(
  'AuthPack',
  [
    field(0, 'pkAuthenticator', PkAuthenticatorDef),
    optional(field(1, 'clientPublicValue', derOf('SubjectPublicKeyInfo'))),
    optional(
      field(2, 'supportedCMSTypes', seqOf('SEQUENCE OF AlgorithmIdentifier', derOf('AlgorithmIdentifier')), {
        key: 'supportedCmsTypes',
      }),
    ),
    optional(field(3, 'clientDHNonce', octetString, { key: 'clientDhNonce' })),
    optional(
      field(4, 'supportedKDFs', seqOf('SEQUENCE OF KDFAlgorithmId', KdfAlgorithmIdDef), {
        key: 'supportedKdfs',
      }),
    ),
  ],
  { ext: true },
);

/**
 * DHRepInfo ::= SEQUENCE {
 *   dhSignedData   [0] IMPLICIT OCTET STRING,  -- ContentInfo (SignedData of KDCDHKeyInfo)
 *   serverDHNonce  [1] DHNonce OPTIONAL,
 *   ...,
 *   kdf            [2] KDFAlgorithmId OPTIONAL  -- RFC 8636
 * }
 */
const DhRepInfoDef = seq(
  'DHRepInfo',
  [
    implicitOctets(0, 'dhSignedData'),
    optional(field(1, 'serverDHNonce', octetString, { key: 'serverDhNonce' })),
    optional(field(2, 'kdf', KdfAlgorithmIdDef)),
  ],
  { ext: true },
);

/**
 * PA-PK-AS-REP ::= CHOICE {
 *   dhInfo      [0] DHRepInfo,
 *   encKeyPack  [1] IMPLICIT OCTET STRING,  -- ContentInfo (EnvelopedData of SignedData of ReplyKeyPack)
 *   ...
 * }
 */
const PaPkAsRepDef = choice('PA-PK-AS-REP', [
  field(0, 'dhInfo', DhRepInfoDef),
  implicitOctets(1, 'encKeyPack'),
]);

/**
 * KDCDHKeyInfo ::= SEQUENCE {
 *   subjectPublicKey  [0] BIT STRING,
 *   nonce             [1] INTEGER (0..4294967295),  -- the PKAuthenticator's
 *   dhKeyExpiration   [2] KerberosTime OPTIONAL,
 *   ...
 * }
 */
const KdcDhKeyInfoDef = seq(
  'KDCDHKeyInfo',
  [
    field(0, 'subjectPublicKey', derOf('BIT STRING', 0x03)),
    field(1, 'nonce', nonce),
    optional(field(2, 'dhKeyExpiration', kerberosTime)),
  ],
  { ext: true },
);

/**
 * ReplyKeyPack ::= SEQUENCE {
 *   replyKey    [0] EncryptionKey,  -- the AS reply key
 *   asChecksum  [1] Checksum,       -- over the AS-REQ, with replyKey, key usage 6
 *   ...
 * }
 */
const ReplyKeyPackDef = seq(
  'ReplyKeyPack',
  [field(0, 'replyKey', EncryptionKeyDef), field(1, 'asChecksum', ChecksumDef)],
  { ext: true },
);

/** KRB5PrincipalName ::= SEQUENCE { realm [0] Realm, principalName [1] PrincipalName } */
const Krb5PrincipalNameDef = seq('KRB5PrincipalName', [
  field(0, 'realm', realm),
  field(1, 'principalName', PrincipalNameDef),
]);

/** TD-DH-PARAMETERS ::= SEQUENCE OF AlgorithmIdentifier */
const TdDhParametersDef = seqOf('TD-DH-PARAMETERS', derOf('AlgorithmIdentifier'));

const paPkAsReq = new Codec<PaPkAsReq>('PA-PK-AS-REQ', PaPkAsReqDef);
const authPack = new Codec<AuthPack>('AuthPack', AuthPackDef);
const paPkAsRep = new Codec<PaPkAsRep>('PA-PK-AS-REP', PaPkAsRepDef);
const kdcDhKeyInfo = new Codec<KdcDhKeyInfo>('KDCDHKeyInfo', KdcDhKeyInfoDef);
const replyKeyPack = new Codec<ReplyKeyPack>('ReplyKeyPack', ReplyKeyPackDef);
const krb5PrincipalName = new Codec<Krb5PrincipalName>('KRB5PrincipalName', Krb5PrincipalNameDef);
const tdDhParameters = new Codec<readonly Uint8Array[]>('TD-DH-PARAMETERS', TdDhParametersDef);
const epis = new Codec<readonly ExternalPrincipalIdentifier[]>(
  'TD-INVALID-CERTIFICATES',
  seqOf('TD-INVALID-CERTIFICATES', ExternalPrincipalIdentifierDef),
);

/**
 * Encodes PA-PK-AS-REQ (RFC 4556 section 3.2.1).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodePaPkAsReq = (v: PaPkAsReq): Uint8Array => paPkAsReq.encode(v);
/** Decodes PA-PK-AS-REQ (RFC 4556 section 3.2.1). */
export const decodePaPkAsReq = (b: Uint8Array, o?: DecodeOptions): PaPkAsReq => paPkAsReq.decode(b, o);
/**
 * Encodes AuthPack (RFC 4556 section 3.2.1), the content the client signs.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeAuthPack = (v: AuthPack): Uint8Array => authPack.encode(v);
/** Decodes AuthPack (RFC 4556 section 3.2.1). */
export const decodeAuthPack = (b: Uint8Array, o?: DecodeOptions): AuthPack => authPack.decode(b, o);
/**
 * Encodes PA-PK-AS-REP (RFC 4556 section 3.2.3).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodePaPkAsRep = (v: PaPkAsRep): Uint8Array => paPkAsRep.encode(v);
/** Decodes PA-PK-AS-REP (RFC 4556 section 3.2.3). */
export const decodePaPkAsRep = (b: Uint8Array, o?: DecodeOptions): PaPkAsRep => paPkAsRep.decode(b, o);
/**
 * Encodes KDCDHKeyInfo (RFC 4556 section 3.2.3.1), the content the KDC signs.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeKdcDhKeyInfo = (v: KdcDhKeyInfo): Uint8Array => kdcDhKeyInfo.encode(v);
/** Decodes KDCDHKeyInfo (RFC 4556 section 3.2.3.1). */
export const decodeKdcDhKeyInfo = (b: Uint8Array, o?: DecodeOptions): KdcDhKeyInfo =>
  kdcDhKeyInfo.decode(b, o);
/**
 * Encodes ReplyKeyPack (RFC 4556 section 3.2.3.2), the content the KDC signs and encrypts to the
 * client in public-key encryption delivery. It holds the reply key.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeReplyKeyPack = (v: ReplyKeyPack): Uint8Array => replyKeyPack.encode(v);
/**
 * Decodes ReplyKeyPack (RFC 4556 section 3.2.3.2), strictly: an error names the field path
 * (`ReplyKeyPack.asChecksum.cksumtype: ...`).
 */
export const decodeReplyKeyPack = (b: Uint8Array, o?: DecodeOptions): ReplyKeyPack =>
  replyKeyPack.decode(b, o);
/**
 * Encodes KRB5PrincipalName (RFC 4556 section 3.2.2), the id-pkinit-san otherName value.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeKrb5PrincipalName = (v: Krb5PrincipalName): Uint8Array => krb5PrincipalName.encode(v);
/** Decodes KRB5PrincipalName (RFC 4556 section 3.2.2). */
export const decodeKrb5PrincipalName = (b: Uint8Array, o?: DecodeOptions): Krb5PrincipalName =>
  krb5PrincipalName.decode(b, o);
/**
 * Encodes TD-DH-PARAMETERS (RFC 4556 section 3.2.2): DER AlgorithmIdentifiers, the KDC's preference first.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeTdDhParameters = (v: readonly Uint8Array[]): Uint8Array => tdDhParameters.encode(v);
/** Decodes TD-DH-PARAMETERS (RFC 4556 section 3.2.2). */
export const decodeTdDhParameters = (b: Uint8Array, o?: DecodeOptions): readonly Uint8Array[] =>
  tdDhParameters.decode(b, o);
/**
 * Encodes TD-TRUSTED-CERTIFIERS / TD-INVALID-CERTIFICATES (RFC 4556 section 3.2.2).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeExternalPrincipalIdentifiers = (v: readonly ExternalPrincipalIdentifier[]): Uint8Array =>
  epis.encode(v);
/** Decodes TD-TRUSTED-CERTIFIERS / TD-INVALID-CERTIFICATES (RFC 4556 section 3.2.2). */
export const decodeExternalPrincipalIdentifiers = (
  b: Uint8Array,
  o?: DecodeOptions,
): readonly ExternalPrincipalIdentifier[] => epis.decode(b, o);
