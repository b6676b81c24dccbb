/**
 * PA-ENC-TIMESTAMP (RFC 4120 section 5.2.7.2): the client proves it knows
 * its key by encrypting the current time with it (key usage 1).
 *
 * Wrong key or garbage is KDC_ERR_PREAUTH_FAILED; a good timestamp outside
 * the realm's skew is KRB_AP_ERR_SKEW (MIT's choice). When the client must
 * pre-authenticate and did not, KDC_ERR_PREAUTH_REQUIRED offers this method
 * as an empty PA-ENC-TIMESTAMP (not under FAST). Inside FAST armor it is
 * accepted in an MIT realm (MIT) and refused with KDC_ERR_POLICY in an AD
 * realm (a Samba AD DC).
 *
 * @module
 */

import { decodeEncryptedData, decodePaEncTsEnc, type PaData, PaDataType } from '@krbsim/asn1';
import { ErrorCode, isKerberosError } from '@krbsim/core';
import { decrypt, KeyUsage } from '@krbsim/crypto';
import type { StoredKey } from '../keys';
import { KdcError } from '../krb-error';
import type { AsPadataHandler } from './handler';

function failed(why: string, cause?: unknown): never {
  throw new KdcError(ErrorCode.KDC_ERR_PREAUTH_FAILED, `pre-authentication failed: ${why}`, { cause });
}

/**
 * Check a PA-ENC-TIMESTAMP against the client's `usable` keys at `now`.
 * Returns the key that verified it; `onWrongKey` is told when it does not
 * decrypt (a wrong password), before the refusal is thrown.
 */
export function verifyEncTimestamp(
  pa: PaData,
  usable: readonly StoredKey[],
  now: number,
  skewMs: number,
  onWrongKey: () => void = () => {},
): StoredKey {
  let enc: ReturnType<typeof decodeEncryptedData>;
  try {
    enc = decodeEncryptedData(pa.padataValue);
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    return failed('the PA-ENC-TIMESTAMP is not valid EncryptedData', e);
  }
  const key = usable.find((k) => k.key.etype === enc.etype);
  if (!key) return failed(`the client has no usable key of etype ${enc.etype}`);
  let plain: Uint8Array;
  try {
    plain = decrypt(key.key, KeyUsage.AS_REQ_PA_ENC_TIMESTAMP, enc.cipher);
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    onWrongKey();
    return failed('wrong password or key', e);
  }
  let ts: ReturnType<typeof decodePaEncTsEnc>;
  try {
    ts = decodePaEncTsEnc(plain);
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    return failed('the timestamp does not decode', e);
  }
  const t = ts.patimestamp + Math.floor((ts.pausec ?? 0) / 1000);
  if (Math.abs(t - now) > skewMs) {
    throw new KdcError(ErrorCode.KRB_AP_ERR_SKEW, 'clock skew too great between client and KDC');
  }
  return key;
}

/** The PA-ENC-TIMESTAMP handler. */
export const encTimestamp: AsPadataHandler = {
  padataType: PaDataType.PA_ENC_TIMESTAMP,
  // Under FAST, MIT's and AD's KDCs offer the encrypted challenge instead (clients try offers in order).
  // Not to a client without a usable key: no password of its could make one (MIT's offer the same).
  offer: (state) =>
    state.fast === undefined && state.clientKeys.length > 0
      ? { padataType: PaDataType.PA_ENC_TIMESTAMP, padataValue: new Uint8Array(0) }
      : undefined,
  process(state, pa) {
    // A timestamp that comes under FAST anyway: an MIT realm accepts it, as MIT's KDC does (its
    // differential agrees); an AD realm refuses it, unread, with KDC_ERR_POLICY, as a Samba AD DC does
    // (its Heimdal without enable_armored_pa_enc_timestamp). Windows answers KDC_ERR_PREAUTH_REQUIRED
    // (Samba's test_fast_enc_timestamp, run against Windows); either way no ticket.
    if (state.fast !== undefined && state.realm.kind === 'active-directory') {
      throw new KdcError(
        ErrorCode.KDC_ERR_POLICY,
        'PA-ENC-TIMESTAMP inside FAST armor is refused: pre-authenticate with the encrypted challenge (RFC 6113 section 5.4.6)',
      );
    }
    state.replyKey = verifyEncTimestamp(
      pa,
      state.clientKeys,
      state.now,
      state.realm.policy.clockSkewMs,
      () => {
        state.wrongKey = true;
      },
    );
    state.preauthenticated = true;
  },
};
