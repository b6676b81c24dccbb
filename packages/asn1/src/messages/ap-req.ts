/**
 * AP-REQ: RFC 4120 section 5.5.1. What every service decodes first, and what
 * a TGS-REQ carries in its PA-TGS-REQ.
 *
 * It reaches a service in one of three wrappings: bare (KRB5 over TCP/UDP,
 * PA-TGS-REQ), inside the RFC 4121 GSS framing (`unwrapKrb5Token`, TOK_ID
 * `01 00`), or inside SPNEGO's `mechToken` (`decodeNegotiationToken`, then
 * `unwrapKrb5Token`). The `authenticator` stays encrypted here (key usage 11,
 * or 7 in a PA-TGS-REQ, with the ticket's session key); decrypt it with
 * `@krbsim/crypto` and decode it with `decodeAuthenticator`.
 *
 * @module
 */

import { ApOptions } from '../iana/flags';
import { AppTag } from '../iana/msg-type';
import { Codec, type DecodeOptions } from '../schema/codec';
import { app, field, kerberosFlags, msgType, seq, vno } from '../schema/nodes';
import type { ApReq } from '../types/ap';
import { EncryptedDataDef } from './basic';
import { TicketDef } from './ticket';

/**
 * AP-REQ ::= [APPLICATION 14] SEQUENCE {
 *   pvno          [0] INTEGER (5),
 *   msg-type      [1] INTEGER (14),
 *   ap-options    [2] APOptions,
 *   ticket        [3] Ticket,
 *   authenticator [4] EncryptedData -- Authenticator
 * }
 */
export const ApReqDef = app(
  AppTag.AP_REQ,
  seq('AP-REQ', [
    field(0, 'pvno', vno),
    field(1, 'msg-type', msgType),
    field(2, 'ap-options', kerberosFlags(ApOptions)),
    field(3, 'ticket', TicketDef),
    field(4, 'authenticator', EncryptedDataDef),
  ]),
  'msgType',
);

/** The codec, for embedding. */
export const apReqCodec = new Codec<ApReq>('AP-REQ', ApReqDef);

/**
 * Encodes an AP-REQ (RFC 4120 section 5.5.1); also the PA-TGS-REQ value.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeApReq(value: ApReq): Uint8Array {
  return apReqCodec.encode(value);
}

/**
 * Decodes an AP-REQ (RFC 4120 section 5.5.1); also the PA-TGS-REQ value.
 * Wrong tag or msg-type: `KRB_AP_ERR_MSG_TYPE`; pvno other than 5:
 * `KRB_AP_ERR_BADVERSION`.
 */
export function decodeApReq(bytes: Uint8Array, options?: DecodeOptions): ApReq {
  return apReqCodec.decode(bytes, options);
}
