/**
 * KDC-REP: RFC 4120 section 5.4.2. AS-REP is `[APPLICATION 11] KDC-REP`,
 * TGS-REP is `[APPLICATION 13] KDC-REP`; the msg-type must agree with the tag.
 *
 * @module
 */

import { AppTag } from '../iana/msg-type';
import { Codec, type DecodeOptions } from '../schema/codec';
import { app, field, msgType, optional, realm, seq, vno } from '../schema/nodes';
import type { AsRep, KdcRep, TgsRep } from '../types/kdc';
import { EncryptedDataDef, MethodDataDef, PrincipalNameDef } from './basic';
import { TicketDef } from './ticket';

/**
 * KDC-REP ::= SEQUENCE {
 *   pvno     [0] INTEGER (5),
 *   msg-type [1] INTEGER (11 -- AS -- | 13 -- TGS --),
 *   padata   [2] SEQUENCE OF PA-DATA OPTIONAL -- NOTE: not empty --,
 *   crealm   [3] Realm,
 *   cname    [4] PrincipalName,
 *   ticket   [5] Ticket,
 *   enc-part [6] EncryptedData -- EncASRepPart or EncTGSRepPart, as appropriate
 * }
 */
export const KdcRepSeqDef = seq('KDC-REP', [
  field(0, 'pvno', vno),
  field(1, 'msg-type', msgType),
  optional(field(2, 'padata', MethodDataDef)),
  field(3, 'crealm', realm),
  field(4, 'cname', PrincipalNameDef),
  field(5, 'ticket', TicketDef),
  field(6, 'enc-part', EncryptedDataDef),
]);

/** `AS-REP ::= [APPLICATION 11] KDC-REP` */
export const AsRepDef = app(AppTag.AS_REP, KdcRepSeqDef, 'msgType');
/** `TGS-REP ::= [APPLICATION 13] KDC-REP` */
export const TgsRepDef = app(AppTag.TGS_REP, KdcRepSeqDef, 'msgType');
/** Either: `[APPLICATION 11 or 13] KDC-REP`. */
export const KdcRepDef = app([AppTag.AS_REP, AppTag.TGS_REP], KdcRepSeqDef, 'msgType');

/** The AS-REP codec (generated from its declaration), for embedding. */
export const asRepCodec = new Codec<AsRep>('AS-REP', AsRepDef);
/** The TGS-REP codec (generated from its declaration), for embedding. */
export const tgsRepCodec = new Codec<TgsRep>('TGS-REP', TgsRepDef);
/** The KDC-REP codec (generated from its declaration), for embedding. */
export const kdcRepCodec = new Codec<KdcRep>('KDC-REP', KdcRepDef);

/**
 * Encodes an AS-REP (RFC 4120 section 5.4.2); `msgType` must be 11.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeAsRep(value: AsRep): Uint8Array {
  return asRepCodec.encode(value);
}

/** Decodes an AS-REP (RFC 4120 section 5.4.2). Wrong tag or msg-type: `KRB_AP_ERR_MSG_TYPE`. */
export function decodeAsRep(bytes: Uint8Array, options?: DecodeOptions): AsRep {
  return asRepCodec.decode(bytes, options);
}

/**
 * Encodes a TGS-REP (RFC 4120 section 5.4.2); `msgType` must be 13.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeTgsRep(value: TgsRep): Uint8Array {
  return tgsRepCodec.encode(value);
}

/** Decodes a TGS-REP (RFC 4120 section 5.4.2). Wrong tag or msg-type: `KRB_AP_ERR_MSG_TYPE`. */
export function decodeTgsRep(bytes: Uint8Array, options?: DecodeOptions): TgsRep {
  return tgsRepCodec.decode(bytes, options);
}

/**
 * Encodes an AS-REP or TGS-REP, choosing the tag from `msgType`.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeKdcRep(value: KdcRep): Uint8Array {
  return kdcRepCodec.encode(value);
}

/** Decodes an AS-REP or a TGS-REP (what a client reads back from a KDC). */
export function decodeKdcRep(bytes: Uint8Array, options?: DecodeOptions): KdcRep {
  return kdcRepCodec.decode(bytes, options);
}
