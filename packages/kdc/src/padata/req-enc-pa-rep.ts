/**
 * PA-REQ-ENC-PA-REP (RFC 6806 section 11): the client asks the KDC to
 * prove that the AS-REQ it answers is the one the client sent. The KDC
 * answers in the reply's encrypted-pa-data with a PA-REQ-ENC-PA-REP holding
 * a checksum, made with the reply key (key usage 56, KEY_USAGE_AS_REQ), over
 * the AS-REQ exactly as received, and sets the enc-pa-rep flag in the
 * encrypted part. MIT and Heimdal clients send an empty one in every AS-REQ;
 * a canonicalized reply (a different client or server name than asked) is
 * trusted only with it.
 *
 * @module
 */

import { encodeChecksum, type PaData, PaDataType } from '@krbsim/asn1';
import { checksum, checksumTypeFor, type Key, KeyUsage } from '@krbsim/crypto';
import type { AsPadataHandler } from './handler';

/** The PA-REQ-ENC-PA-REP handler: the reply will carry the checksum. */
export const reqEncPaRep: AsPadataHandler = {
  padataType: PaDataType.PA_REQ_ENC_PA_REP,
  process(state) {
    state.encPaRep = true;
  },
};

/** The encrypted PA-REQ-ENC-PA-REP for an AS-REQ received as `requestDer`, under `replyKey`. */
export function encPaRepPadata(replyKey: Key, requestDer: Uint8Array): PaData {
  return {
    padataType: PaDataType.PA_REQ_ENC_PA_REP,
    padataValue: encodeChecksum({
      cksumtype: checksumTypeFor(replyKey.etype),
      checksum: checksum(replyKey, KeyUsage.KEY_USAGE_AS_REQ, requestDer),
    }),
  };
}
