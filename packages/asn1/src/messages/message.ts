/**
 * Any Kerberos message by its APPLICATION tag (RFC 4120 section 5, section
 * 7.5.7): {@link decodeMessage} picks the decoder from the first octet,
 * {@link encodeMessage} takes the result back to the same bytes.
 *
 * @module
 */

import { ErrorCode } from '@krbsim/core';
import { Asn1Error, hexByte } from '../der/errors';
import type { Codec, DecodeOptions } from '../schema/codec';
import { checkInput } from '../schema/codec';
import type { Node } from '../schema/nodes';
import type { KrbMessage, KrbMessageType } from '../types/message';
import { apRepCodec, encApRepPartCodec } from './ap-rep';
import { apReqCodec } from './ap-req';
import { authenticatorCodec } from './authenticator';
import { encKdcRepPartCodec } from './enc-kdc-rep-part';
import { encTicketPartCodec } from './enc-ticket-part';
import { asRepCodec, tgsRepCodec } from './kdc-rep';
import { asReqCodec, tgsReqCodec } from './kdc-req';
import { encKrbCredPartCodec, krbCredCodec } from './krb-cred';
import { krbErrorCodec } from './krb-error';
import { encKrbPrivPartCodec, krbPrivCodec } from './krb-priv';
import { krbSafeCodec } from './krb-safe';
import { ticketCodec } from './ticket';

interface Entry {
  readonly type: KrbMessageType;
  readonly codec: Codec<unknown>;
  readonly appTag: number;
}

const ENTRIES: readonly Entry[] = [
  { type: 'Ticket', codec: ticketCodec, appTag: 1 },
  { type: 'Authenticator', codec: authenticatorCodec, appTag: 2 },
  { type: 'EncTicketPart', codec: encTicketPartCodec, appTag: 3 },
  { type: 'AS-REQ', codec: asReqCodec, appTag: 10 },
  { type: 'AS-REP', codec: asRepCodec, appTag: 11 },
  { type: 'TGS-REQ', codec: tgsReqCodec, appTag: 12 },
  { type: 'TGS-REP', codec: tgsRepCodec, appTag: 13 },
  { type: 'AP-REQ', codec: apReqCodec, appTag: 14 },
  { type: 'AP-REP', codec: apRepCodec, appTag: 15 },
  { type: 'KRB-SAFE', codec: krbSafeCodec, appTag: 20 },
  { type: 'KRB-PRIV', codec: krbPrivCodec, appTag: 21 },
  { type: 'KRB-CRED', codec: krbCredCodec, appTag: 22 },
  { type: 'EncASRepPart', codec: encKdcRepPartCodec, appTag: 25 },
  { type: 'EncTGSRepPart', codec: encKdcRepPartCodec, appTag: 26 },
  { type: 'EncAPRepPart', codec: encApRepPartCodec, appTag: 27 },
  { type: 'EncKrbPrivPart', codec: encKrbPrivPartCodec, appTag: 28 },
  { type: 'EncKrbCredPart', codec: encKrbCredPartCodec, appTag: 29 },
  { type: 'KRB-ERROR', codec: krbErrorCodec as Codec<unknown>, appTag: 30 },
] as Entry[];

const BY_TAG: (Entry | undefined)[] = [];
const BY_TYPE = new Map<string, Entry>();
for (const e of ENTRIES) {
  BY_TAG[0x60 | e.appTag] = e;
  BY_TYPE.set(e.type, e);
}

/** The declaration behind a message type name, for JSON rendering. */
export function messageNode(type: KrbMessageType): Node {
  const e = BY_TYPE.get(type);
  if (e === undefined) throw new Asn1Error(`unknown type ${JSON.stringify(type)}`);
  return e.codec.node;
}

/**
 * Decodes any Kerberos message or encrypted part, choosing the type by its
 * APPLICATION tag. An unknown first octet is `KRB_AP_ERR_MSG_TYPE`.
 */
export function decodeMessage(bytes: Uint8Array, options?: DecodeOptions): KrbMessage {
  checkInput(bytes, options, 'Kerberos message');
  const tag = bytes.length > 0 ? bytes[0]! : -1;
  const e = tag >= 0 ? BY_TAG[tag] : undefined;
  if (e === undefined) {
    throw new Asn1Error(
      `expected a Kerberos APPLICATION tag, got ${tag < 0 ? 'end of input' : hexByte(tag)}`,
      { path: 'Kerberos message', offset: 0, code: ErrorCode.KRB_AP_ERR_MSG_TYPE },
    );
  }
  return { type: e.type, value: e.codec.decode(bytes, options) } as KrbMessage;
}

/**
 * Encodes a {@link KrbMessage}: the inverse of {@link decodeMessage}.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeMessage(msg: KrbMessage): Uint8Array {
  const e = msg !== null && typeof msg === 'object' ? BY_TYPE.get(msg.type) : undefined;
  if (e === undefined) {
    throw new Asn1Error(`unknown message type ${JSON.stringify((msg as { type?: unknown })?.type)}`, {
      path: 'Kerberos message',
    });
  }
  return e.codec.encode(msg.value, e.appTag === 25 || e.appTag === 26 ? e.appTag : undefined);
}
