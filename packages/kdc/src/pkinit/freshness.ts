/**
 * RFC 8070 freshness tokens. The KDC hands out a token in PA_AS_FRESHNESS
 * and a PKINIT client signs it inside its PKAuthenticator, proving it held
 * its private key after the token was made (not only when it pre-computed a
 * request). The token is opaque to clients; krbsim's is an EncryptedData of
 * PA-ENC-TS-ENC (the time it was made) under the realm's current krbtgt
 * key, so only this realm's KDCs can make or read one.
 *
 * @module
 */

import { decodeEncryptedData, decodePaEncTsEnc, encodeEncryptedData, encodePaEncTsEnc } from '@krbsim/asn1';
import { ErrorCode, isKerberosError } from '@krbsim/core';
import { decrypt, encrypt } from '@krbsim/crypto';
import { findKey, ticketKey } from '../keys';
import { KdcError } from '../krb-error';
import type { Realm } from '../realm';

/** The key usage of the token's encryption: MIT's KRB5_KEYUSAGE_PA_AS_FRESHNESS, in the private range. */
const KEY_USAGE_PA_AS_FRESHNESS = 514;

/** A fresh token for `realm` at its current time. */
export function makeFreshnessToken(realm: Realm): Uint8Array {
  const key = ticketKey(realm.krbtgt.keys, realm.policy.permittedEncTypes);
  if (key === undefined) throw new KdcError(ErrorCode.KDC_ERR_ETYPE_NOSUPP, 'the realm has no krbtgt key');
  const now = realm.clock.now();
  const ts = encodePaEncTsEnc({ patimestamp: Math.floor(now / 1000) * 1000, pausec: (now % 1000) * 1000 });
  return encodeEncryptedData({
    etype: key.key.etype,
    kvno: key.kvno,
    cipher: encrypt(key.key, KEY_USAGE_PA_AS_FRESHNESS, ts, { random: realm.random }),
  }).slice();
}

/**
 * Checks a token this realm made: it decrypts, and it was made at most
 * `lifetimeMs` ago (and not in the future beyond the skew).
 *
 * The codes differ by realm kind. An `active-directory` realm answers as a
 * Windows DC does (Samba's pkinit_tests.py, written against Windows DCs): a
 * token that does not decode or decrypt (garbage, empty, a modified header)
 * KRB_AP_ERR_MODIFIED; one under a krbtgt key version this realm does not
 * hold (an RODC's) KDC_ERR_PREAUTH_FAILED; a stale or future one
 * KDC_ERR_PREAUTH_EXPIRED. An `mit` realm answers KDC_ERR_PREAUTH_FAILED to
 * all of them, as MIT's KDC does: its check_freshness_token returns
 * KDC_ERR_PREAUTH_EXPIRED for every failure, and filter_preauth_error
 * (kdc_preauth.c), which passes only the codes it lists to the client, turns
 * that into PREAUTH_FAILED.
 *
 * @throws KdcError as above
 */
export function verifyFreshnessToken(realm: Realm, token: Uint8Array, lifetimeMs: number): void {
  const windows = realm.kind === 'active-directory';
  const code = (windowsCode: number) => (windows ? windowsCode : ErrorCode.KDC_ERR_PREAUTH_FAILED);
  let made: number;
  try {
    const enc = decodeEncryptedData(token);
    const key = findKey(realm.krbtgt.keys, enc.etype, enc.kvno);
    if (key === undefined)
      throw new KdcError(ErrorCode.KDC_ERR_PREAUTH_FAILED, 'the freshness token is not from this realm');
    const ts = decodePaEncTsEnc(decrypt(key.key, KEY_USAGE_PA_AS_FRESHNESS, enc.cipher));
    made = ts.patimestamp + Math.floor((ts.pausec ?? 0) / 1000);
  } catch (e) {
    if (e instanceof KdcError || !isKerberosError(e)) throw e;
    throw new KdcError(
      code(ErrorCode.KRB_AP_ERR_MODIFIED),
      'the freshness token is not one this realm made',
      { cause: e },
    );
  }
  const now = realm.clock.now();
  if (now - made > lifetimeMs || made - now > realm.policy.clockSkewMs) {
    throw new KdcError(
      code(ErrorCode.KDC_ERR_PREAUTH_EXPIRED),
      'the freshness token has expired; ask for a new one',
    );
  }
}
