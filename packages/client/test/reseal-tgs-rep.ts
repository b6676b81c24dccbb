/**
 * A TGS-REP changed as only its KDC could change it: the encrypted part
 * opened with the reply key (found through the TGT the request presented,
 * opened with the realm's krbtgt keys) and sealed again after `edit`. For
 * the client's checks of what a KDC answers that no integrity check catches.
 * Not for FAST replies.
 */

import {
  decodeApReq,
  decodeAuthenticator,
  decodeEncKdcRepPart,
  decodeEncTicketPart,
  decodeTgsRep,
  decodeTgsReq,
  type EncKdcRepPart,
  encodeEncKdcRepPart,
  encodeTgsRep,
  PaDataType,
  type TgsRep,
} from '@krbsim/asn1';
import { SeededRandom } from '@krbsim/core';
import { decrypt, encrypt, type Key, KeyUsage } from '@krbsim/crypto';

/** `repBytes`, the answer to `reqBytes`, with what `edit` makes of its reply and encrypted part. */
export function resealTgsRep(
  reqBytes: Uint8Array,
  repBytes: Uint8Array,
  krbtgtKeys: readonly Key[],
  edit: (rep: TgsRep, enc: EncKdcRepPart) => { rep: TgsRep; enc: EncKdcRepPart },
): Uint8Array {
  const pa = decodeTgsReq(reqBytes).padata!.find((p) => p.padataType === PaDataType.PA_TGS_REQ)!;
  const ap = decodeApReq(pa.padataValue);
  const krbtgt = krbtgtKeys.find((k) => k.etype === ap.ticket.encPart.etype)!;
  const tgt = decodeEncTicketPart(decrypt(krbtgt, KeyUsage.KDC_REP_TICKET, ap.ticket.encPart.cipher));
  const sessionKey: Key = { etype: tgt.key.keytype, bytes: tgt.key.keyvalue };
  const auth = decodeAuthenticator(decrypt(sessionKey, KeyUsage.TGS_REQ_AUTH, ap.authenticator.cipher));
  // RFC 4120 section 5.4.2: under the authenticator's subkey when it has one.
  const [key, usage] =
    auth.subkey === undefined
      ? [sessionKey, KeyUsage.TGS_REP_ENCPART_SESSKEY]
      : [{ etype: auth.subkey.keytype, bytes: auth.subkey.keyvalue }, KeyUsage.TGS_REP_ENCPART_SUBKEY];
  const rep = decodeTgsRep(repBytes);
  const edited = edit(rep, decodeEncKdcRepPart(decrypt(key, usage, rep.encPart.cipher)));
  const cipher = encrypt(key, usage, encodeEncKdcRepPart(edited.enc, 26), {
    random: new SeededRandom('reseal'),
  });
  return encodeTgsRep({ ...edited.rep, encPart: { ...edited.rep.encPart, cipher } }).slice();
}
