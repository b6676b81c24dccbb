/**
 * AS pre-authentication: PA-ENC-TIMESTAMP (RFC 4120 section 5.2.7.2),
 * ETYPE-INFO2 hints (section 5.2.7.5), the KDC_ERR_PREAUTH_REQUIRED e-data
 * (section 3.1.1: METHOD-DATA), and the PAC request of MS-KILE section 2.2.3.
 *
 * @module
 */

import type { EtypeInfo2Entry, PaData, PrincipalName } from '@krbsim/asn1';
import {
  decodeEncryptedData,
  decodePaEncTsEnc,
  decodePaPacRequest,
  encodeEtypeInfo2,
  encodeMethodData,
  PaDataType,
} from '@krbsim/asn1';
import { ErrorCode, isKerberosError } from '@krbsim/core';
import { decrypt, KeyUsage } from '@krbsim/crypto';
import { currentKeys, type StoredKey } from './keys';
import { KdcError } from './krb-error';
import type { PrincipalEntry } from './principal-db';

/** The first PA-DATA of `type` in `padata`. */
export function findPadata(padata: readonly PaData[] | undefined, type: number): PaData | undefined {
  return padata?.find((p) => p.padataType === type);
}

/**
 * The client's current keys usable for this request, in the client's order
 * of preference (the request's etype list), limited to what policy permits.
 */
export function usableClientKeys(
  client: PrincipalEntry,
  requested: readonly number[],
  permitted: readonly number[],
): StoredKey[] {
  const cur = currentKeys(client.keys);
  const out: StoredKey[] = [];
  for (const e of requested) {
    if (!permitted.includes(e)) continue;
    const k = cur.find((s) => s.key.etype === e);
    if (k && !out.includes(k)) out.push(k);
  }
  return out;
}

/** One ETYPE-INFO2 entry per key: etype, salt, and s2kparams when not the default. */
export function etypeInfo2(keys: readonly StoredKey[]): EtypeInfo2Entry[] {
  return keys.map((k) => ({
    etype: k.key.etype,
    salt: k.salt,
    ...(k.s2kparams !== undefined && { s2kparams: k.s2kparams }),
  }));
}

/** The PA-ETYPE-INFO2 PA-DATA for `keys`. */
export function etypeInfo2Padata(keys: readonly StoredKey[]): PaData {
  return { padataType: PaDataType.PA_ETYPE_INFO2, padataValue: encodeEtypeInfo2(etypeInfo2(keys)) };
}

/**
 * KDC_ERR_PREAUTH_REQUIRED with METHOD-DATA e-data listing PA-ETYPE-INFO2
 * (how to make the key) and an empty PA-ENC-TIMESTAMP (what to send), as MIT
 * and AD send it.
 */
export function preauthRequired(keys: readonly StoredKey[], cname: PrincipalName, crealm: string): KdcError {
  const eData = encodeMethodData([
    etypeInfo2Padata(keys),
    { padataType: PaDataType.PA_ENC_TIMESTAMP, padataValue: new Uint8Array(0) },
  ]);
  return new KdcError(ErrorCode.KDC_ERR_PREAUTH_REQUIRED, 'additional pre-authentication required', {
    eData,
    cname,
    crealm,
    realm: crealm,
  });
}

/**
 * Check a PA-ENC-TIMESTAMP: decrypt it with the client's key of the same
 * etype (usage 1) and check the time is within the realm's skew. Returns the
 * key that verified it. Wrong key or garbage: KDC_ERR_PREAUTH_FAILED; a good
 * timestamp outside the skew: KRB_AP_ERR_SKEW (MIT's choice).
 */
export function verifyEncTimestamp(
  pa: PaData,
  usable: readonly StoredKey[],
  now: number,
  skewMs: number,
): StoredKey {
  const failed = (why: string, cause?: unknown): never => {
    throw new KdcError(ErrorCode.KDC_ERR_PREAUTH_FAILED, `pre-authentication failed: ${why}`, { cause });
  };
  let enc: ReturnType<typeof decodeEncryptedData>;
  try {
    enc = decodeEncryptedData(pa.padataValue);
  } catch (e) {
    return failed('the PA-ENC-TIMESTAMP is not valid EncryptedData', e);
  }
  const key = usable.find((k) => k.key.etype === enc.etype);
  if (!key) return failed(`the client has no usable key of etype ${enc.etype}`);
  let plain: Uint8Array;
  try {
    plain = decrypt(key.key, KeyUsage.AS_REQ_PA_ENC_TIMESTAMP, enc.cipher);
  } catch (e) {
    if (isKerberosError(e) || e instanceof Error) return failed('wrong password or key', e);
    throw e;
  }
  let ts: ReturnType<typeof decodePaEncTsEnc>;
  try {
    ts = decodePaEncTsEnc(plain);
  } catch (e) {
    return failed('the timestamp does not decode', e);
  }
  const t = ts.patimestamp + Math.floor((ts.pausec ?? 0) / 1000);
  if (Math.abs(t - now) > skewMs) {
    throw new KdcError(ErrorCode.KRB_AP_ERR_SKEW, 'clock skew too great between client and KDC');
  }
  return key;
}

/** Whether the client wants a PAC: KERB-PA-PAC-REQUEST if present, else the realm's default. */
export function pacRequested(padata: readonly PaData[] | undefined, byDefault: boolean): boolean {
  const pa = findPadata(padata, PaDataType.PA_PAC_REQUEST);
  if (!pa) return byDefault;
  try {
    return decodePaPacRequest(pa.padataValue).includePac;
  } catch {
    return byDefault;
  }
}
