/**
 * PA-ENCRYPTED-CHALLENGE (RFC 6113 section 5.4.6): pre-authentication under
 * FAST. The client encrypts a PA-ENC-TS-ENC with its challenge key,
 *   client challenge key = KRB-FX-CF2(armor key, client key, "clientchallengearmor", "challengelongterm"),
 * (key usage 54); the KDC tries each of the client's usable keys, checks the
 * time against its skew, and answers in the FAST response with its own
 * timestamp under the KDC challenge key,
 *   KDC challenge key = KRB-FX-CF2(armor key, client key, "kdcchallengearmor", "challengelongterm"),
 * (key usage 55), which proves to the client that the KDC knows its key.
 * The client key that verified is the reply key (MIT's choice), which FAST
 * then strengthens.
 *
 * Offered in KDC_ERR_PREAUTH_REQUIRED only to armored requests; outside
 * FAST it is KDC_ERR_PREAUTH_FAILED, since there is no armor key.
 *
 * @module
 */

import {
  decodeEncryptedData,
  decodePaEncTsEnc,
  encodeEncryptedData,
  encodePaEncTsEnc,
  type PaData,
  PaDataType,
} from '@krbsim/asn1';
import { ErrorCode, isKerberosError } from '@krbsim/core';
import { clientChallengeKey, decrypt, encrypt, type Key, KeyUsage, kdcChallengeKey } from '@krbsim/crypto';
import type { StoredKey } from '../keys';
import { KdcError } from '../krb-error';
import type { AsPadataHandler } from './handler';

function failed(why: string, cause?: unknown): never {
  throw new KdcError(ErrorCode.KDC_ERR_PREAUTH_FAILED, `encrypted challenge failed: ${why}`, { cause });
}

/**
 * The client key whose challenge key decrypts `cipher`, and the timestamp it
 * holds (ms); `onWrongKey` is told when none does (a wrong password).
 */
function openChallenge(
  armorKey: Key,
  keys: readonly StoredKey[],
  cipher: Uint8Array,
  onWrongKey: () => void,
): { key: StoredKey; time: number } {
  let last: unknown;
  for (const key of keys) {
    let plain: Uint8Array;
    try {
      plain = decrypt(clientChallengeKey(armorKey, key.key), KeyUsage.KEY_USAGE_ENC_CHALLENGE_CLIENT, cipher);
    } catch (e) {
      if (!isKerberosError(e)) throw e;
      last = e;
      continue;
    }
    try {
      const ts = decodePaEncTsEnc(plain);
      return { key, time: ts.patimestamp + Math.floor((ts.pausec ?? 0) / 1000) };
    } catch (e) {
      if (!isKerberosError(e)) throw e;
      return failed('the challenge does not decode to a PA-ENC-TS-ENC', e);
    }
  }
  onWrongKey();
  return failed('wrong password or key', last);
}

/** The PA-ENCRYPTED-CHALLENGE handler. */
export const encryptedChallenge: AsPadataHandler = {
  padataType: PaDataType.PA_ENCRYPTED_CHALLENGE,
  offer: (state) =>
    state.fast === undefined || state.clientKeys.length === 0
      ? undefined
      : { padataType: PaDataType.PA_ENCRYPTED_CHALLENGE, padataValue: new Uint8Array(0) },
  process(state, pa: PaData) {
    const fast = state.fast;
    if (fast === undefined)
      failed('PA-ENCRYPTED-CHALLENGE is only valid inside FAST (RFC 6113 section 5.4.6)');
    let enc: ReturnType<typeof decodeEncryptedData>;
    try {
      enc = decodeEncryptedData(pa.padataValue);
    } catch (e) {
      if (!isKerberosError(e)) throw e;
      return failed('the PA-ENCRYPTED-CHALLENGE is not valid EncryptedData', e);
    }
    const armorKey = fast!.armorKey;
    if (enc.etype !== armorKey.etype) failed(`etype ${enc.etype} is not the armor key's (${armorKey.etype})`);
    const { key, time } = openChallenge(armorKey, state.clientKeys, enc.cipher, () => {
      state.wrongKey = true;
    });
    if (Math.abs(time - state.now) > state.realm.policy.clockSkewMs) {
      throw new KdcError(ErrorCode.KRB_AP_ERR_SKEW, 'clock skew too great between client and KDC');
    }
    state.replyKey = key;
    state.preauthenticated = true;
    // The KDC's half: its own time under the KDC challenge key.
    const millis = state.now % 1000;
    const kdcKey = kdcChallengeKey(armorKey, key.key);
    const plain = encodePaEncTsEnc({ patimestamp: state.now - millis, pausec: millis * 1000 });
    const cipher = encrypt(kdcKey, KeyUsage.KEY_USAGE_ENC_CHALLENGE_KDC, plain, {
      random: state.realm.random,
    });
    state.replyPadata.push({
      padataType: PaDataType.PA_ENCRYPTED_CHALLENGE,
      padataValue: encodeEncryptedData({ etype: kdcKey.etype, cipher }),
    });
  },
};
