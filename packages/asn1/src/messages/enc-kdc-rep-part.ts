/**
 * EncKDCRepPart: RFC 4120 section 5.4.2, with `encrypted-pa-data` from
 * RFC 6806 section 11. It is sent as EncASRepPart (`[APPLICATION 25]`) or
 * EncTGSRepPart (`[APPLICATION 26]`). MIT's KDC and library use 26 for AS
 * replies too and accept either, so the decoder accepts either and records
 * which one it saw in `appTag`; the encoder uses an explicit tag, else
 * `appTag`, else 25.
 *
 * @module
 */

import { TicketFlags } from '../iana/flags';
import { AppTag } from '../iana/msg-type';
import { Codec, type DecodeOptions } from '../schema/codec';
import { app, field, kerberosFlags, kerberosTime, nonce, optional, realm, seq } from '../schema/nodes';
import type { EncKdcRepPart } from '../types/kdc';
import { EncryptionKeyDef, HostAddressesDef, LastReqDef, MethodDataDef, PrincipalNameDef } from './basic';

/**
 * EncASRepPart  ::= [APPLICATION 25] EncKDCRepPart
 * EncTGSRepPart ::= [APPLICATION 26] EncKDCRepPart
 *
 * EncKDCRepPart ::= SEQUENCE {
 *   key               [0] EncryptionKey,
 *   last-req          [1] LastReq,
 *   nonce             [2] UInt32,
 *   key-expiration    [3] KerberosTime OPTIONAL,
 *   flags             [4] TicketFlags,
 *   authtime          [5] KerberosTime,
 *   starttime         [6] KerberosTime OPTIONAL,
 *   endtime           [7] KerberosTime,
 *   renew-till        [8] KerberosTime OPTIONAL,
 *   srealm            [9] Realm,
 *   sname             [10] PrincipalName,
 *   caddr             [11] HostAddresses OPTIONAL,
 *   encrypted-pa-data [12] METHOD-DATA OPTIONAL -- RFC 6806 section 11
 * }
 */
export const EncKdcRepPartDef = app(
  [AppTag.EncASRepPart, AppTag.EncTGSRepPart],
  seq('EncKDCRepPart', [
    field(0, 'key', EncryptionKeyDef),
    field(1, 'last-req', LastReqDef),
    field(2, 'nonce', nonce),
    optional(field(3, 'key-expiration', kerberosTime)),
    field(4, 'flags', kerberosFlags(TicketFlags)),
    field(5, 'authtime', kerberosTime),
    optional(field(6, 'starttime', kerberosTime)),
    field(7, 'endtime', kerberosTime),
    optional(field(8, 'renew-till', kerberosTime)),
    field(9, 'srealm', realm),
    field(10, 'sname', PrincipalNameDef),
    optional(field(11, 'caddr', HostAddressesDef)),
    optional(field(12, 'encrypted-pa-data', MethodDataDef)),
  ]),
  'record',
  'appTag',
);

/** The codec, for embedding. */
export const encKdcRepPartCodec = new Codec<EncKdcRepPart>('EncKDCRepPart', EncKdcRepPartDef);

/**
 * Encodes an EncKDCRepPart with APPLICATION tag `appTag` (25 EncASRepPart,
 * 26 EncTGSRepPart); defaults to `value.appTag`, then 25.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeEncKdcRepPart(value: EncKdcRepPart, appTag?: 25 | 26): Uint8Array {
  return encKdcRepPartCodec.encode(value, appTag);
}

/**
 * Encodes an EncASRepPart (`[APPLICATION 25]`), whatever `value.appTag` says.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeEncAsRepPart(value: EncKdcRepPart): Uint8Array {
  return encKdcRepPartCodec.encode(value, AppTag.EncASRepPart);
}

/**
 * Encodes an EncTGSRepPart (`[APPLICATION 26]`), whatever `value.appTag` says.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeEncTgsRepPart(value: EncKdcRepPart): Uint8Array {
  return encKdcRepPartCodec.encode(value, AppTag.EncTGSRepPart);
}

/**
 * Decodes a decrypted EncASRepPart or EncTGSRepPart (either tag, recorded in
 * `appTag`). Any other tag is `KRB_AP_ERR_MSG_TYPE`.
 */
export function decodeEncKdcRepPart(bytes: Uint8Array, options?: DecodeOptions): EncKdcRepPart {
  return encKdcRepPartCodec.decode(bytes, options);
}
