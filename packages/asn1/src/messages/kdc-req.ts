/**
 * KDC-REQ and KDC-REQ-BODY: RFC 4120 section 5.4.1. AS-REQ is
 * `[APPLICATION 10] KDC-REQ`, TGS-REQ is `[APPLICATION 12] KDC-REQ`; the
 * msg-type inside must agree with the tag.
 *
 * The decoder keeps the exact DER of `req-body` in `reqBodyDer`: the TGS
 * checks the PA-TGS-REQ authenticator's checksum over those bytes, and
 * FAST's req-checksum covers them too.
 *
 * @module
 */

import { KdcOptions } from '../iana/flags';
import { AppTag } from '../iana/msg-type';
import { Codec, type DecodeOptions } from '../schema/codec';
import {
  app,
  field,
  kerberosFlags,
  kerberosTime,
  msgType,
  nonce,
  optional,
  realm,
  seq,
  seqOf,
  vno,
} from '../schema/nodes';
import type { AsReq, KdcReq, KdcReqBody, TgsReq } from '../types/kdc';
import { EncryptedDataDef, EtypeListDef, HostAddressesDef, MethodDataDef, PrincipalNameDef } from './basic';
import { TicketDef } from './ticket';

/**
 * KDC-REQ-BODY ::= SEQUENCE {
 *   kdc-options             [0] KDCOptions,
 *   cname                   [1] PrincipalName OPTIONAL -- Used only in AS-REQ --,
 *   realm                   [2] Realm -- Server's realm; also client's in AS-REQ --,
 *   sname                   [3] PrincipalName OPTIONAL,
 *   from                    [4] KerberosTime OPTIONAL,
 *   till                    [5] KerberosTime,
 *   rtime                   [6] KerberosTime OPTIONAL,
 *   nonce                   [7] UInt32,
 *   etype                   [8] SEQUENCE OF Int32 -- EncryptionType -- in preference order --,
 *   addresses               [9] HostAddresses OPTIONAL,
 *   enc-authorization-data  [10] EncryptedData OPTIONAL -- AuthorizationData --,
 *   additional-tickets      [11] SEQUENCE OF Ticket OPTIONAL -- NOTE: not empty
 * }
 */
export const KdcReqBodyDef = seq('KDC-REQ-BODY', [
  field(0, 'kdc-options', kerberosFlags(KdcOptions)),
  optional(field(1, 'cname', PrincipalNameDef)),
  field(2, 'realm', realm),
  optional(field(3, 'sname', PrincipalNameDef)),
  optional(field(4, 'from', kerberosTime)),
  field(5, 'till', kerberosTime),
  optional(field(6, 'rtime', kerberosTime)),
  field(7, 'nonce', nonce),
  field(8, 'etype', EtypeListDef),
  optional(field(9, 'addresses', HostAddressesDef)),
  optional(field(10, 'enc-authorization-data', EncryptedDataDef)),
  optional(field(11, 'additional-tickets', seqOf('SEQUENCE OF Ticket', TicketDef))),
]);

/**
 * KDC-REQ ::= SEQUENCE {
 *   -- NOTE: first tag is [1], not [0]
 *   pvno     [1] INTEGER (5),
 *   msg-type [2] INTEGER (10 -- AS -- | 12 -- TGS --),
 *   padata   [3] SEQUENCE OF PA-DATA OPTIONAL -- NOTE: not empty --,
 *   req-body [4] KDC-REQ-BODY
 * }
 */
export const KdcReqSeqDef = seq('KDC-REQ', [
  field(1, 'pvno', vno),
  field(2, 'msg-type', msgType),
  optional(field(3, 'padata', MethodDataDef)),
  field(4, 'req-body', KdcReqBodyDef, { rawKey: 'reqBodyDer' }),
]);

/** `AS-REQ ::= [APPLICATION 10] KDC-REQ` */
export const AsReqDef = app(AppTag.AS_REQ, KdcReqSeqDef, 'msgType');
/** `TGS-REQ ::= [APPLICATION 12] KDC-REQ` */
export const TgsReqDef = app(AppTag.TGS_REQ, KdcReqSeqDef, 'msgType');
/** Either: `[APPLICATION 10 or 12] KDC-REQ`. */
export const KdcReqDef = app([AppTag.AS_REQ, AppTag.TGS_REQ], KdcReqSeqDef, 'msgType');

/** The KDC-REQ-BODY codec (generated from its declaration), for embedding. */
export const kdcReqBodyCodec = new Codec<KdcReqBody>('KDC-REQ-BODY', KdcReqBodyDef);
/** The AS-REQ codec (generated from its declaration), for embedding. */
export const asReqCodec = new Codec<AsReq>('AS-REQ', AsReqDef);
/** The TGS-REQ codec (generated from its declaration), for embedding. */
export const tgsReqCodec = new Codec<TgsReq>('TGS-REQ', TgsReqDef);
/** The KDC-REQ codec (generated from its declaration), for embedding. */
export const kdcReqCodec = new Codec<KdcReq>('KDC-REQ', KdcReqDef);

/**
 * Encodes a KDC-REQ-BODY (RFC 4120 section 5.4.1), e.g. to checksum it.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeKdcReqBody(value: KdcReqBody): Uint8Array {
  return kdcReqBodyCodec.encode(value);
}

/** Decodes a KDC-REQ-BODY (RFC 4120 section 5.4.1). */
export function decodeKdcReqBody(bytes: Uint8Array, options?: DecodeOptions): KdcReqBody {
  return kdcReqBodyCodec.decode(bytes, options);
}

/**
 * Encodes an AS-REQ; `msgType` must be 10. `reqBodyDer` is ignored.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeAsReq(value: AsReq): Uint8Array {
  return asReqCodec.encode(value);
}

/**
 * Decodes an AS-REQ (RFC 4120 section 5.4.1) and sets `reqBodyDer`. A tag
 * other than `[APPLICATION 10]` or a msg-type other than 10 is
 * `KRB_AP_ERR_MSG_TYPE`; a pvno other than 5 is `KRB_AP_ERR_BADVERSION`.
 */
export function decodeAsReq(bytes: Uint8Array, options?: DecodeOptions): AsReq {
  return asReqCodec.decode(bytes, options);
}

/**
 * Encodes a TGS-REQ; `msgType` must be 12. `reqBodyDer` is ignored.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeTgsReq(value: TgsReq): Uint8Array {
  return tgsReqCodec.encode(value);
}

/** Decodes a TGS-REQ (RFC 4120 section 5.4.1) and sets `reqBodyDer`; errors as {@link decodeAsReq}. */
export function decodeTgsReq(bytes: Uint8Array, options?: DecodeOptions): TgsReq {
  return tgsReqCodec.decode(bytes, options);
}

/**
 * Encodes an AS-REQ or TGS-REQ, choosing the tag from `msgType`.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeKdcReq(value: KdcReq): Uint8Array {
  return kdcReqCodec.encode(value);
}

/** Decodes an AS-REQ or a TGS-REQ (what a KDC reads off the wire) and sets `reqBodyDer`. */
export function decodeKdcReq(bytes: Uint8Array, options?: DecodeOptions): KdcReq {
  return kdcReqCodec.decode(bytes, options);
}
