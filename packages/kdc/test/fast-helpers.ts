/**
 * Test-only FAST (RFC 6113) builders: explicit AP-REQ armor, the
 * KrbFastArmoredReq, the encrypted challenge, and reading an armored
 * reply or error. Shared by the KDC's FAST tests and the MIT oracle test
 * (test/interop/kdc-fast-differential-mit.test.ts); nothing here is
 * exported by the package.
 */

import {
  type AuthorizationData,
  decodeKrbError,
  decodeKrbFastResponse,
  decodeMethodData,
  decodePaFxFastReply,
  encodeApReq,
  encodeAuthenticator,
  encodeEncryptedData,
  encodeKdcReqBody,
  encodeKrbFastReq,
  encodePaEncTsEnc,
  encodePaFxFastRequest,
  encodeTgsReq,
  type KdcReqBody,
  type KrbErrorMessage,
  type KrbFastArmor,
  type KrbFastArmoredReq,
  type KrbFastResponse,
  type PaData,
  PaDataType,
} from '@krbsim/asn1';
import type { RandomSource } from '@krbsim/core';
import {
  cf2,
  checksum,
  checksumTypeFor,
  decrypt,
  encrypt,
  generateKey,
  type Key,
  KeyUsage,
} from '@krbsim/crypto';
import { type Creds, clientRandom } from './helpers';

/** The armor of one request: its key and, for an AS-REQ, the explicit armor. */
export interface Armor {
  readonly armorKey: Key;
  readonly armor: KrbFastArmor;
}

/** KRB-FX-CF2(subkey, ticket session key, "subkeyarmor", "ticketarmor") (RFC 6113 section 5.4.1.1). */
export const armorKeyOf = (subkey: Key, sessionKey: Key): Key =>
  cf2(subkey, sessionKey, 'subkeyarmor', 'ticketarmor');

/**
 * Explicit armor: an AP-REQ with `tgt` (usage 11) whose authenticator holds a subkey (unless
 * `noSubkey`); `more` sets its ap-options and the authenticator's authorization-data (MIT's client
 * puts AD-fx-fast-armor there).
 */
export function apArmor(
  tgt: Pick<Creds, 'ticket' | 'sessionKey' | 'cname' | 'crealm'>,
  now: number,
  noSubkey = false,
  random: RandomSource = clientRandom,
  more: { apOptions?: number; authorizationData?: AuthorizationData } = {},
): Armor {
  const subkey = generateKey(tgt.sessionKey.etype, { random });
  const sec = Math.floor(now / 1000) * 1000;
  const auth = encodeAuthenticator({
    authenticatorVno: 5,
    crealm: tgt.crealm,
    cname: tgt.cname,
    cusec: (now - sec) * 1000,
    ctime: sec,
    ...(!noSubkey && { subkey: { keytype: subkey.etype, keyvalue: subkey.bytes } }),
    ...(more.authorizationData !== undefined && { authorizationData: more.authorizationData }),
  });
  const apReq = encodeApReq({
    pvno: 5,
    msgType: 14,
    apOptions: more.apOptions ?? 0,
    ticket: tgt.ticket,
    authenticator: {
      etype: tgt.sessionKey.etype,
      cipher: encrypt(tgt.sessionKey, KeyUsage.AP_REQ_AUTH, auth, { random }),
    },
  });
  return { armorKey: armorKeyOf(subkey, tgt.sessionKey), armor: { armorType: 1, armorValue: apReq } };
}

/** The KrbFastArmoredReq sealing `inner` under `armorKey`, req-checksum over `checksummed`. */
export function armoredReq(
  armorKey: Key,
  inner: { padata: readonly PaData[]; body: KdcReqBody; fastOptions?: number },
  checksummed: Uint8Array,
  armor?: KrbFastArmor,
  random: RandomSource = clientRandom,
): KrbFastArmoredReq {
  const plain = encodeKrbFastReq({
    fastOptions: inner.fastOptions ?? 0,
    padata: inner.padata,
    reqBody: encodeKdcReqBody(inner.body),
  });
  return {
    ...(armor !== undefined && { armor }),
    reqChecksum: {
      cksumtype: checksumTypeFor(armorKey.etype),
      checksum: checksum(armorKey, KeyUsage.KEY_USAGE_FAST_REQ_CHKSUM, checksummed),
    },
    encFastReq: {
      etype: armorKey.etype,
      cipher: encrypt(armorKey, KeyUsage.KEY_USAGE_FAST_ENC, plain, { random }),
    },
  };
}

/**
 * A TGS-REQ with outer body `body` carrying `paTgsReq` (left out with `dropTgsReq`) and a PA-FX-FAST
 * holding `fx`: an armored TGS-REQ, implicitly armored by its PA-TGS-REQ.
 */
export function fastTgsReq(
  paTgsReq: PaData,
  fx: KrbFastArmoredReq,
  body: KdcReqBody,
  o: { dropTgsReq?: boolean } = {},
): Uint8Array {
  const fast = { padataType: PaDataType.PA_FX_FAST, padataValue: encodePaFxFastRequest({ armoredData: fx }) };
  return encodeTgsReq({
    pvno: 5,
    msgType: 12,
    padata: o.dropTgsReq ? [fast] : [paTgsReq, fast],
    reqBody: body,
  });
}

/** PA-ENCRYPTED-CHALLENGE: `plain` under the client challenge key of `clientKey` (usage 54). */
export function encryptedChallenge(
  armorKey: Key,
  clientKey: Key,
  plain: Uint8Array,
  etype = armorKey.etype,
  random: RandomSource = clientRandom,
): PaData {
  const k = cf2(armorKey, clientKey, 'clientchallengearmor', 'challengelongterm');
  const cipher = encrypt(k, KeyUsage.KEY_USAGE_ENC_CHALLENGE_CLIENT, plain, { random });
  return {
    padataType: PaDataType.PA_ENCRYPTED_CHALLENGE,
    padataValue: encodeEncryptedData({ etype, cipher }),
  };
}

/** A PA-ENC-TS-ENC of `time`. */
export function paEncTsEnc(time: number): Uint8Array {
  const sec = Math.floor(time / 1000) * 1000;
  return encodePaEncTsEnc({ patimestamp: sec, pausec: (time - sec) * 1000 });
}

/** The KrbFastResponse in a reply's or error's PA-FX-FAST, opened with `armorKey`. */
export function fastResponse(padata: readonly PaData[], armorKey: Key): KrbFastResponse | undefined {
  const fx = padata.find((p) => p.padataType === PaDataType.PA_FX_FAST);
  if (fx === undefined) return undefined;
  const rep = decodePaFxFastReply(fx.padataValue).armoredData;
  return decodeKrbFastResponse(decrypt(armorKey, KeyUsage.KEY_USAGE_FAST_REP, rep.encFastRep.cipher));
}

/**
 * The KRB-ERROR inside an armored error's PA-FX-FAST (PA-FX-ERROR), the
 * padata beside it, and the outer e-data's padata types; undefined when the
 * error carries no PA-FX-FAST.
 */
export function innerError(
  outer: KrbErrorMessage,
  armorKey: Key,
): { error: KrbErrorMessage; padata: PaData[]; outerTypes: number[] } | undefined {
  if (outer.eData === undefined) return undefined;
  const md = decodeMethodData(outer.eData);
  const response = fastResponse(md, armorKey);
  if (response === undefined) return undefined;
  const fxError = response.padata.find((p) => p.padataType === PaDataType.PA_FX_ERROR);
  if (fxError === undefined) return undefined;
  return {
    error: decodeKrbError(fxError.padataValue),
    padata: response.padata.filter((p) => p.padataType !== PaDataType.PA_FX_ERROR),
    outerTypes: md.map((p) => p.padataType),
  };
}
