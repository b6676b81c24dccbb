/**
 * The values inside PA-DATA that are not whole messages: PA-ENC-TS-ENC and
 * ETYPE-INFO / ETYPE-INFO2 (RFC 4120 section 5.2.7), KERB-PA-PAC-REQUEST
 * (MS-KILE 2.2.3), PA-PAC-OPTIONS (MS-KILE 2.2.10), PA-FOR-USER (MS-SFU
 * 2.2.1) and PA-S4U-X509-USER (MS-SFU 2.2.2).
 *
 * The others are whole types declared elsewhere: PA-TGS-REQ is an AP-REQ,
 * PA-ENC-TIMESTAMP and PA-ENCRYPTED-CHALLENGE are EncryptedData,
 * PA-REQ-ENC-PA-REP is a Checksum, PA-FX-ERROR is a KRB-ERROR and
 * PA-FX-COOKIE is opaque octets.
 *
 * @module
 */

import { concatBytes } from '@krbsim/core';
import { flagBit } from '../iana/flags';
import { Codec, type DecodeOptions } from '../schema/codec';
import {
  boolean,
  field,
  kerberosFlags,
  kerberosString,
  kerberosTime,
  microseconds,
  nonce,
  octetString,
  optional,
  realm,
  seq,
  seqOf,
} from '../schema/nodes';
import type { Checksum, EncryptedData } from '../types/basic';
import type {
  EtypeInfo,
  EtypeInfo2,
  PaEncTsEnc,
  PaForUser,
  PaPacOptions,
  PaPacRequest,
  PaS4uX509User,
  S4uUserId,
} from '../types/padata';
import {
  ChecksumDef,
  decodeChecksum,
  decodeEncryptedData,
  encodeChecksum,
  encodeEncryptedData,
  etypeNum,
  PrincipalNameDef,
} from './basic';

/** PA-PAC-OPTIONS flag bits (MS-KILE section 2.2.10, MS-SFU). */
export const PacOptions = {
  claims: flagBit(0),
  'branch-aware': flagBit(1),
  'forward-to-full-dc': flagBit(2),
  'resource-based-constrained-delegation': flagBit(3),
} as const;

/**
 * S4UUserID options bits (MS-SFU section 2.2.2). Set in a request, they ask
 * the KDC to check the user's logon hours, or to checksum its echo of the
 * S4UUserID with the reply key usage (27) instead of the request's (26).
 */
export const S4uUserIdOptions = {
  'check-logon-hour': flagBit(1),
  'use-reply-key-usage': flagBit(2),
} as const;

/**
 * PA-ENC-TS-ENC ::= SEQUENCE {
 *   patimestamp [0] KerberosTime -- client's time --,
 *   pausec      [1] Microseconds OPTIONAL
 * }
 */
export const PaEncTsEncDef = seq('PA-ENC-TS-ENC', [
  field(0, 'patimestamp', kerberosTime),
  optional(field(1, 'pausec', microseconds)),
]);

/**
 * ETYPE-INFO2 ::= SEQUENCE SIZE (1..MAX) OF ETYPE-INFO2-ENTRY
 * ETYPE-INFO2-ENTRY ::= SEQUENCE {
 *   etype     [0] Int32,
 *   salt      [1] KerberosString OPTIONAL,
 *   s2kparams [2] OCTET STRING OPTIONAL
 * }
 */
export const EtypeInfo2Def = seqOf(
  'ETYPE-INFO2',
  seq('ETYPE-INFO2-ENTRY', [
    field(0, 'etype', etypeNum),
    optional(field(1, 'salt', kerberosString)),
    optional(field(2, 's2kparams', octetString)),
  ]),
  { min: 1 },
);

/**
 * ETYPE-INFO ::= SEQUENCE OF ETYPE-INFO-ENTRY
 * ETYPE-INFO-ENTRY ::= SEQUENCE {
 *   etype [0] Int32,
 *   salt  [1] OCTET STRING OPTIONAL
 * }
 */
export const EtypeInfoDef = seqOf(
  'ETYPE-INFO',
  seq('ETYPE-INFO-ENTRY', [field(0, 'etype', etypeNum), optional(field(1, 'salt', octetString))]),
);

/**
 * KERB-PA-PAC-REQUEST ::= SEQUENCE {
 *   include-pac [0] BOOLEAN
 * }
 */
export const PaPacRequestDef = seq('KERB-PA-PAC-REQUEST', [field(0, 'include-pac', boolean)]);

/**
 * PA-PAC-OPTIONS ::= SEQUENCE {
 *   options [0] PAC-OPTIONS-FLAGS -- KerberosFlags: claims (0), branch-aware (1),
 *                                 -- forward-to-full-dc (2), resource-based-constrained-delegation (3)
 * }
 * (MS-KILE prints the component without its tag; Windows sends it as [0].)
 */
export const PaPacOptionsDef = seq('PA-PAC-OPTIONS', [
  field(0, 'options', kerberosFlags(PacOptions), { key: 'flags' }),
]);

/**
 * PA-FOR-USER ::= SEQUENCE {
 *   userName     [0] PrincipalName,
 *   userRealm    [1] Realm,
 *   cksum        [2] Checksum,
 *   auth-package [3] KerberosString
 * }
 */
export const PaForUserDef = seq('PA-FOR-USER', [
  field(0, 'userName', PrincipalNameDef),
  field(1, 'userRealm', realm),
  field(2, 'cksum', ChecksumDef),
  field(3, 'auth-package', kerberosString),
]);

/**
 * S4UUserID ::= SEQUENCE {
 *   nonce               [0] UInt32 -- the nonce in KDC-REQ-BODY --,
 *   cname               [1] PrincipalName OPTIONAL,
 *   crealm              [2] Realm,
 *   subject-certificate [3] OCTET STRING OPTIONAL,
 *   options             [4] BIT STRING OPTIONAL,
 *   ...
 * }
 * PA-S4U-X509-USER ::= SEQUENCE {
 *   user-id  [0] S4UUserID,
 *   checksum [1] Checksum
 * }
 */
export const S4uUserIdDef = seq(
  'S4UUserID',
  [
    field(0, 'nonce', nonce),
    optional(field(1, 'cname', PrincipalNameDef)),
    field(2, 'crealm', realm),
    optional(field(3, 'subject-certificate', octetString)),
    optional(field(4, 'options', kerberosFlags(S4uUserIdOptions))),
  ],
  { ext: true },
);
/** PA-S4U-X509-USER (MS-SFU section 2.2.2). */
export const PaS4uX509UserDef = seq('PA-S4U-X509-USER', [
  field(0, 'user-id', S4uUserIdDef),
  field(1, 'checksum', ChecksumDef),
]);

const paEncTsEnc = new Codec<PaEncTsEnc>('PA-ENC-TS-ENC', PaEncTsEncDef);
const etypeInfo2 = new Codec<EtypeInfo2>('ETYPE-INFO2', EtypeInfo2Def);
const etypeInfo = new Codec<EtypeInfo>('ETYPE-INFO', EtypeInfoDef);
const paPacRequest = new Codec<PaPacRequest>('KERB-PA-PAC-REQUEST', PaPacRequestDef);
const paPacOptions = new Codec<PaPacOptions>('PA-PAC-OPTIONS', PaPacOptionsDef);
const paForUser = new Codec<PaForUser>('PA-FOR-USER', PaForUserDef);
const paS4uX509User = new Codec<PaS4uX509User>('PA-S4U-X509-USER', PaS4uX509UserDef);
const s4uUserId = new Codec<S4uUserId>('S4UUserID', S4uUserIdDef);

/**
 * Encodes a PA-ENC-TS-ENC (RFC 4120 section 5.2.7.2), to encrypt with usage 1.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodePaEncTsEnc = (v: PaEncTsEnc): Uint8Array => paEncTsEnc.encode(v);
/** Decodes a decrypted PA-ENC-TS-ENC (RFC 4120 section 5.2.7.2). */
export const decodePaEncTsEnc = (b: Uint8Array, o?: DecodeOptions): PaEncTsEnc => paEncTsEnc.decode(b, o);
/**
 * Encodes ETYPE-INFO2 (RFC 4120 section 5.2.7.5); at least one entry.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeEtypeInfo2 = (v: EtypeInfo2): Uint8Array => etypeInfo2.encode(v);
/** Decodes ETYPE-INFO2 (RFC 4120 section 5.2.7.5); at least one entry. */
export const decodeEtypeInfo2 = (b: Uint8Array, o?: DecodeOptions): EtypeInfo2 => etypeInfo2.decode(b, o);
/**
 * Encodes ETYPE-INFO (RFC 4120 section 5.2.7.4).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeEtypeInfo = (v: EtypeInfo): Uint8Array => etypeInfo.encode(v);
/** Decodes ETYPE-INFO (RFC 4120 section 5.2.7.4). */
export const decodeEtypeInfo = (b: Uint8Array, o?: DecodeOptions): EtypeInfo => etypeInfo.decode(b, o);
/**
 * Encodes KERB-PA-PAC-REQUEST (MS-KILE section 2.2.3).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodePaPacRequest = (v: PaPacRequest): Uint8Array => paPacRequest.encode(v);
/** Decodes KERB-PA-PAC-REQUEST (MS-KILE section 2.2.3). */
export const decodePaPacRequest = (b: Uint8Array, o?: DecodeOptions): PaPacRequest =>
  paPacRequest.decode(b, o);
/**
 * Encodes PA-PAC-OPTIONS (MS-KILE section 2.2.10); bits in {@link PacOptions}.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodePaPacOptions = (v: PaPacOptions): Uint8Array => paPacOptions.encode(v);
/** Decodes PA-PAC-OPTIONS (MS-KILE section 2.2.10). */
export const decodePaPacOptions = (b: Uint8Array, o?: DecodeOptions): PaPacOptions =>
  paPacOptions.decode(b, o);
/**
 * Encodes PA-FOR-USER (MS-SFU section 2.2.1), the S4U2self request.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodePaForUser = (v: PaForUser): Uint8Array => paForUser.encode(v);
/** Decodes PA-FOR-USER (MS-SFU section 2.2.1). */
export const decodePaForUser = (b: Uint8Array, o?: DecodeOptions): PaForUser => paForUser.decode(b, o);
/**
 * Encodes PA-S4U-X509-USER (MS-SFU section 2.2.2).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodePaS4uX509User = (v: PaS4uX509User): Uint8Array => paS4uX509User.encode(v);
/**
 * The bytes PA-FOR-USER's checksum covers (MS-SFU section 2.2.1, S4UByteArray): the name type as
 * 4 bytes little-endian, then each name component, the realm and the auth-package, in UTF-8, with
 * no separators.
 */
export function paForUserChecksumInput(
  v: Pick<PaForUser, 'userName' | 'userRealm' | 'authPackage'>,
): Uint8Array {
  const type = new Uint8Array(4);
  new DataView(type.buffer).setInt32(0, v.userName.nameType, true);
  const text = new TextEncoder();
  return concatBytes([
    type,
    ...v.userName.nameString.map((s) => text.encode(s)),
    text.encode(v.userRealm),
    text.encode(v.authPackage),
  ]);
}

/**
 * Encodes an S4UUserID (MS-SFU section 2.2.2) alone: the bytes a PA-S4U-X509-USER's checksum covers,
 * in the request (usage 26) and in the KDC's echo of it (usage 27 or 26).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeS4uUserId = (v: S4uUserId): Uint8Array => s4uUserId.encode(v);
/** Decodes PA-S4U-X509-USER (MS-SFU section 2.2.2); later extensions of S4UUserID are skipped. */
export const decodePaS4uX509User = (b: Uint8Array, o?: DecodeOptions): PaS4uX509User =>
  paS4uX509User.decode(b, o);

/**
 * Encodes PA-ENC-TIMESTAMP (RFC 4120 section 5.2.7.2): EncryptedData of a PA-ENC-TS-ENC.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodePaEncTimestamp = (v: EncryptedData): Uint8Array => encodeEncryptedData(v);
/** Decodes PA-ENC-TIMESTAMP (RFC 4120 section 5.2.7.2). */
export const decodePaEncTimestamp = (b: Uint8Array, o?: DecodeOptions): EncryptedData =>
  decodeEncryptedData(b, o);
/**
 * Encodes PA-ENCRYPTED-CHALLENGE (RFC 6113 section 5.4.6): EncryptedData of a PA-ENC-TS-ENC.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodePaEncryptedChallenge = (v: EncryptedData): Uint8Array => encodeEncryptedData(v);
/** Decodes PA-ENCRYPTED-CHALLENGE (RFC 6113 section 5.4.6). */
export const decodePaEncryptedChallenge = (b: Uint8Array, o?: DecodeOptions): EncryptedData =>
  decodeEncryptedData(b, o);
/**
 * Encodes PA-REQ-ENC-PA-REP (RFC 6806 section 11): a Checksum of the AS-REQ.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodePaReqEncPaRep = (v: Checksum): Uint8Array => encodeChecksum(v);
/** Decodes PA-REQ-ENC-PA-REP (RFC 6806 section 11). */
export const decodePaReqEncPaRep = (b: Uint8Array, o?: DecodeOptions): Checksum => decodeChecksum(b, o);
