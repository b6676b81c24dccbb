/**
 * FAST (RFC 6113 section 5.4): PA-FX-FAST-REQUEST, KrbFastArmoredReq,
 * KrbFastArmor, KrbFastReq, PA-FX-FAST-REPLY, KrbFastArmoredRep,
 * KrbFastResponse and KrbFastFinished. These types carry the extension
 * marker `...`, so unknown higher-numbered trailing components are skipped
 * (and not re-encoded). PA-FX-COOKIE is opaque octets, PA-FX-ERROR a
 * KRB-ERROR and PA-ENCRYPTED-CHALLENGE an EncryptedData: use those codecs.
 *
 * @module
 */

import { flagBit } from '../iana/flags';
import { Codec, type DecodeOptions } from '../schema/codec';
import {
  choice,
  derOf,
  field,
  int32,
  kerberosFlags,
  kerberosTime,
  microseconds,
  nonce,
  octetString,
  optional,
  realm,
  seq,
} from '../schema/nodes';
import type {
  KrbFastArmor,
  KrbFastArmoredRep,
  KrbFastArmoredReq,
  KrbFastFinished,
  KrbFastReq,
  KrbFastResponse,
  PaFxFastReply,
  PaFxFastRequest,
} from '../types/padata';
import { ChecksumDef, EncryptedDataDef, EncryptionKeyDef, MethodDataDef, PrincipalNameDef } from './basic';

/** FastOptions bits (RFC 6113 section 5.4.2). */
export const FastOptions = {
  reserved: flagBit(0),
  'hide-client-names': flagBit(1),
  'kdc-follow-referrals': flagBit(16),
} as const;

/**
 * KrbFastArmor ::= SEQUENCE {
 *   armor-type  [0] Int32,  -- 1 = FX_FAST_ARMOR_AP_REQUEST
 *   armor-value [1] OCTET STRING,
 *   ...
 * }
 */
export const KrbFastArmorDef = seq(
  'KrbFastArmor',
  [field(0, 'armor-type', int32), field(1, 'armor-value', octetString)],
  { ext: true },
);

/**
 * KrbFastArmoredReq ::= SEQUENCE {
 *   armor        [0] KrbFastArmor OPTIONAL,
 *   req-checksum [1] Checksum,
 *   enc-fast-req [2] EncryptedData -- KrbFastReq --,
 *   ...
 * }
 */
export const KrbFastArmoredReqDef = seq(
  'KrbFastArmoredReq',
  [
    optional(field(0, 'armor', KrbFastArmorDef)),
    field(1, 'req-checksum', ChecksumDef),
    field(2, 'enc-fast-req', EncryptedDataDef),
  ],
  { ext: true },
);

/** PA-FX-FAST-REQUEST ::= CHOICE { armored-data [0] KrbFastArmoredReq, ... } */
export const PaFxFastRequestDef = choice('PA-FX-FAST-REQUEST', [
  field(0, 'armored-data', KrbFastArmoredReqDef),
]);

/**
 * KrbFastReq ::= SEQUENCE {
 *   fast-options [0] FastOptions,
 *   padata       [1] SEQUENCE OF PA-DATA,
 *   req-body     [2] KDC-REQ-BODY,   -- kept as its DER bytes
 *   ...
 * }
 */
export const KrbFastReqDef = seq(
  'KrbFastReq',
  [
    field(0, 'fast-options', kerberosFlags(FastOptions)),
    field(1, 'padata', MethodDataDef),
    field(2, 'req-body', derOf('KDC-REQ-BODY')),
  ],
  { ext: true },
);

/**
 * KrbFastArmoredRep ::= SEQUENCE {
 *   enc-fast-rep [0] EncryptedData, -- KrbFastResponse --
 *   ...
 * }
 */
export const KrbFastArmoredRepDef = seq('KrbFastArmoredRep', [field(0, 'enc-fast-rep', EncryptedDataDef)], {
  ext: true,
});

/** PA-FX-FAST-REPLY ::= CHOICE { armored-data [0] KrbFastArmoredRep, ... } */
export const PaFxFastReplyDef = choice('PA-FX-FAST-REPLY', [field(0, 'armored-data', KrbFastArmoredRepDef)]);

/**
 * KrbFastFinished ::= SEQUENCE {
 *   timestamp       [0] KerberosTime,
 *   usec            [1] Microseconds,
 *   crealm          [2] Realm,
 *   cname           [3] PrincipalName,
 *   ticket-checksum [4] Checksum,
 *   ...
 * }
 */
export const KrbFastFinishedDef = seq(
  'KrbFastFinished',
  [
    field(0, 'timestamp', kerberosTime),
    field(1, 'usec', microseconds),
    field(2, 'crealm', realm),
    field(3, 'cname', PrincipalNameDef),
    field(4, 'ticket-checksum', ChecksumDef),
  ],
  { ext: true },
);

/**
 * KrbFastResponse ::= SEQUENCE {
 *   padata         [0] SEQUENCE OF PA-DATA,
 *   strengthen-key [1] EncryptionKey OPTIONAL,
 *   finished       [2] KrbFastFinished OPTIONAL,
 *   nonce          [3] UInt32,
 *   ...
 * }
 */
export const KrbFastResponseDef = seq(
  'KrbFastResponse',
  [
    field(0, 'padata', MethodDataDef),
    optional(field(1, 'strengthen-key', EncryptionKeyDef)),
    optional(field(2, 'finished', KrbFastFinishedDef)),
    field(3, 'nonce', nonce),
  ],
  { ext: true },
);

const paFxFastRequest = new Codec<PaFxFastRequest>('PA-FX-FAST-REQUEST', PaFxFastRequestDef);
const krbFastArmoredReq = new Codec<KrbFastArmoredReq>('KrbFastArmoredReq', KrbFastArmoredReqDef);
const krbFastArmor = new Codec<KrbFastArmor>('KrbFastArmor', KrbFastArmorDef);
const krbFastReq = new Codec<KrbFastReq>('KrbFastReq', KrbFastReqDef);
const paFxFastReply = new Codec<PaFxFastReply>('PA-FX-FAST-REPLY', PaFxFastReplyDef);
const krbFastArmoredRep = new Codec<KrbFastArmoredRep>('KrbFastArmoredRep', KrbFastArmoredRepDef);
const krbFastResponse = new Codec<KrbFastResponse>('KrbFastResponse', KrbFastResponseDef);
const krbFastFinished = new Codec<KrbFastFinished>('KrbFastFinished', KrbFastFinishedDef);

/**
 * Encodes PA-FX-FAST-REQUEST (RFC 6113 section 5.4.2).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodePaFxFastRequest = (v: PaFxFastRequest): Uint8Array => paFxFastRequest.encode(v);
/** Decodes PA-FX-FAST-REQUEST (RFC 6113 section 5.4.2). */
export const decodePaFxFastRequest = (b: Uint8Array, o?: DecodeOptions): PaFxFastRequest =>
  paFxFastRequest.decode(b, o);
/**
 * Encodes KrbFastArmoredReq (RFC 6113 section 5.4.2).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeKrbFastArmoredReq = (v: KrbFastArmoredReq): Uint8Array => krbFastArmoredReq.encode(v);
/** Decodes KrbFastArmoredReq (RFC 6113 section 5.4.2). */
export const decodeKrbFastArmoredReq = (b: Uint8Array, o?: DecodeOptions): KrbFastArmoredReq =>
  krbFastArmoredReq.decode(b, o);
/**
 * Encodes KrbFastArmor (RFC 6113 section 5.4.1).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeKrbFastArmor = (v: KrbFastArmor): Uint8Array => krbFastArmor.encode(v);
/** Decodes KrbFastArmor (RFC 6113 section 5.4.1). */
export const decodeKrbFastArmor = (b: Uint8Array, o?: DecodeOptions): KrbFastArmor =>
  krbFastArmor.decode(b, o);
/**
 * Encodes KrbFastReq (RFC 6113 section 5.4.2), to encrypt with usage 51; `reqBody` is KDC-REQ-BODY DER.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeKrbFastReq = (v: KrbFastReq): Uint8Array => krbFastReq.encode(v);
/** Decodes a decrypted KrbFastReq (RFC 6113 section 5.4.2); `reqBody` is the KDC-REQ-BODY DER. */
export const decodeKrbFastReq = (b: Uint8Array, o?: DecodeOptions): KrbFastReq => krbFastReq.decode(b, o);
/**
 * Encodes PA-FX-FAST-REPLY (RFC 6113 section 5.4.3).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodePaFxFastReply = (v: PaFxFastReply): Uint8Array => paFxFastReply.encode(v);
/** Decodes PA-FX-FAST-REPLY (RFC 6113 section 5.4.3). */
export const decodePaFxFastReply = (b: Uint8Array, o?: DecodeOptions): PaFxFastReply =>
  paFxFastReply.decode(b, o);
/**
 * Encodes KrbFastArmoredRep (RFC 6113 section 5.4.3).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeKrbFastArmoredRep = (v: KrbFastArmoredRep): Uint8Array => krbFastArmoredRep.encode(v);
/** Decodes KrbFastArmoredRep (RFC 6113 section 5.4.3). */
export const decodeKrbFastArmoredRep = (b: Uint8Array, o?: DecodeOptions): KrbFastArmoredRep =>
  krbFastArmoredRep.decode(b, o);
/**
 * Encodes KrbFastResponse (RFC 6113 section 5.4.3), to encrypt with usage 52.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeKrbFastResponse = (v: KrbFastResponse): Uint8Array => krbFastResponse.encode(v);
/** Decodes a decrypted KrbFastResponse (RFC 6113 section 5.4.3). */
export const decodeKrbFastResponse = (b: Uint8Array, o?: DecodeOptions): KrbFastResponse =>
  krbFastResponse.decode(b, o);
/**
 * Encodes KrbFastFinished (RFC 6113 section 5.4.3).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeKrbFastFinished = (v: KrbFastFinished): Uint8Array => krbFastFinished.encode(v);
/** Decodes KrbFastFinished (RFC 6113 section 5.4.3). */
export const decodeKrbFastFinished = (b: Uint8Array, o?: DecodeOptions): KrbFastFinished =>
  krbFastFinished.decode(b, o);
