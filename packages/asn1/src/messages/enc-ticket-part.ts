/**
 * EncTicketPart: RFC 4120 section 5.3, the plaintext of a Ticket's enc-part
 * (key usage 2, the service key).
 *
 * @module
 */

import { TicketFlags } from '../iana/flags';
import { AppTag } from '../iana/msg-type';
import { Codec, type DecodeOptions } from '../schema/codec';
import { app, field, kerberosFlags, kerberosTime, optional, realm, seq } from '../schema/nodes';
import type { EncTicketPart } from '../types/ticket';
import {
  AuthorizationDataDef,
  EncryptionKeyDef,
  HostAddressesDef,
  PrincipalNameDef,
  TransitedEncodingDef,
} from './basic';

/**
 * EncTicketPart ::= [APPLICATION 3] SEQUENCE {
 *   flags              [0] TicketFlags,
 *   key                [1] EncryptionKey,
 *   crealm             [2] Realm,
 *   cname              [3] PrincipalName,
 *   transited          [4] TransitedEncoding,
 *   authtime           [5] KerberosTime,
 *   starttime          [6] KerberosTime OPTIONAL,
 *   endtime            [7] KerberosTime,
 *   renew-till         [8] KerberosTime OPTIONAL,
 *   caddr              [9] HostAddresses OPTIONAL,
 *   authorization-data [10] AuthorizationData OPTIONAL
 * }
 */
export const EncTicketPartDef = app(
  AppTag.EncTicketPart,
  seq('EncTicketPart', [
    field(0, 'flags', kerberosFlags(TicketFlags)),
    field(1, 'key', EncryptionKeyDef),
    field(2, 'crealm', realm),
    field(3, 'cname', PrincipalNameDef),
    field(4, 'transited', TransitedEncodingDef),
    field(5, 'authtime', kerberosTime),
    optional(field(6, 'starttime', kerberosTime)),
    field(7, 'endtime', kerberosTime),
    optional(field(8, 'renew-till', kerberosTime)),
    optional(field(9, 'caddr', HostAddressesDef)),
    optional(field(10, 'authorization-data', AuthorizationDataDef)),
  ]),
);

/** The EncTicketPart codec. */
export const encTicketPartCodec = new Codec<EncTicketPart>('EncTicketPart', EncTicketPartDef);

/**
 * Encodes an EncTicketPart (RFC 4120 section 5.3) as `[APPLICATION 3]` DER, ready to encrypt.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeEncTicketPart(value: EncTicketPart): Uint8Array {
  return encTicketPartCodec.encode(value);
}

/** Decodes a decrypted EncTicketPart (RFC 4120 section 5.3). Throws {@link Asn1Error}. */
export function decodeEncTicketPart(bytes: Uint8Array, options?: DecodeOptions): EncTicketPart {
  return encTicketPartCodec.decode(bytes, options);
}
