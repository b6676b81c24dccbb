/**
 * Ticket: RFC 4120 section 5.3. The hot path of every service: an AP-REQ
 * carries one, and a TGS-REQ carries one inside its PA-TGS-REQ.
 *
 * What the decoder checks, in order: the `[APPLICATION 1]` tag
 * (`KRB_AP_ERR_MSG_TYPE` otherwise), the SEQUENCE, `tkt-vno` = 5
 * (`KRB_AP_ERR_BADVERSION` otherwise), then each field's tag, length and
 * contents, and that nothing is left over at any level. The realm and the
 * name strings come from the intern cache (see `der/reader.ts`), and the
 * `cipher` is a view into the input, so a decoded Ticket costs five small
 * objects. Re-encoding a decoded Ticket gives back the same bytes whenever the
 * input was DER (every MIT and Windows ticket is); `encodeTicket` is also how
 * the KDC and the client copy a Ticket into a KDC-REP, AP-REQ or KRB-CRED.
 *
 * @module
 */

import { AppTag } from '../iana/msg-type';
import { Codec, type DecodeOptions } from '../schema/codec';
import { app, field, realm, seq, vno } from '../schema/nodes';
import type { Ticket } from '../types/ticket';
import { EncryptedDataDef, PrincipalNameDef } from './basic';

/**
 * Ticket ::= [APPLICATION 1] SEQUENCE {
 *   tkt-vno  [0] INTEGER (5),
 *   realm    [1] Realm,
 *   sname    [2] PrincipalName,
 *   enc-part [3] EncryptedData -- EncTicketPart
 * }
 */
export const TicketDef = app(
  AppTag.Ticket,
  seq('Ticket', [
    field(0, 'tkt-vno', vno),
    field(1, 'realm', realm),
    field(2, 'sname', PrincipalNameDef),
    field(3, 'enc-part', EncryptedDataDef),
  ]),
);

/** The Ticket codec (for embedding in hand-written decoders). */
export const ticketCodec = new Codec<Ticket>('Ticket', TicketDef);

/**
 * Encodes a Ticket (RFC 4120 section 5.3) as `[APPLICATION 1]` DER.
 * `tktVno` defaults to 5 when absent.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeTicket(value: Ticket): Uint8Array {
  return ticketCodec.encode(value);
}

/**
 * Decodes a Ticket (RFC 4120 section 5.3). The `cipher` is a view into
 * `bytes`. Throws {@link Asn1Error} (`KRB_AP_ERR_MSG_TYPE` for a tag other
 * than `[APPLICATION 1]`, `KRB_AP_ERR_BADVERSION` for a tkt-vno other than 5).
 */
export function decodeTicket(bytes: Uint8Array, options?: DecodeOptions): Ticket {
  return ticketCodec.decode(bytes, options);
}
