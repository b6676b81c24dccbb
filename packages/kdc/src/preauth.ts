/**
 * What AS pre-authentication shares across methods: the client keys usable
 * for a request, ETYPE-INFO2 hints (RFC 4120 section 5.2.7.5) and the
 * KDC_ERR_PREAUTH_REQUIRED e-data (section 3.1.1: METHOD-DATA). The methods
 * themselves are PA-DATA handlers in `padata/`.
 *
 * @module
 */

import type { EtypeInfo2Entry, PaData, PrincipalName } from '@krbsim/asn1';
import { encodeEtypeInfo, encodeEtypeInfo2, encodeMethodData, PaDataType } from '@krbsim/asn1';
import { EncType, ErrorCode, isKerberosError } from '@krbsim/core';
import { isSupportedEncType, isWeakEncType } from '@krbsim/crypto';
import { currentKeys, type StoredKey } from './keys';
import { KdcError, routineKdcError } from './krb-error';
import type { AsPadataHandler, AsRequestState } from './padata/handler';
import type { RealmPolicy } from './policy';
import type { PrincipalEntry } from './principal-db';

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

/**
 * One ETYPE-INFO2 entry per key: etype, salt, and s2kparams when not the
 * default. The salt is optional (RFC 4120 section 5.2.7.5); rc4-hmac's goes
 * in only when `rc4Salt` (MIT sends it, AD does not).
 */
export function etypeInfo2(keys: readonly StoredKey[], rc4Salt = true): EtypeInfo2Entry[] {
  return keys.map((k) => ({
    etype: k.key.etype,
    ...((rc4Salt || k.key.etype !== EncType.RC4_HMAC) && { salt: k.salt }),
    ...(k.s2kparams !== undefined && { s2kparams: k.s2kparams }),
  }));
}

/** The PA-ETYPE-INFO2 PA-DATA for `keys` (see {@link etypeInfo2}). */
export function etypeInfo2Padata(keys: readonly StoredKey[], rc4Salt = true): PaData {
  return { padataType: PaDataType.PA_ETYPE_INFO2, padataValue: encodeEtypeInfo2(etypeInfo2(keys, rc4Salt)) };
}

/** The AES etypes a Windows DC's hint may name, strongest first. */
const AES_ETYPES: readonly number[] = [EncType.AES256_CTS_HMAC_SHA1_96, EncType.AES128_CTS_HMAC_SHA1_96];

/**
 * The client's keys a hint names: of `usable` (the client's keys in the request's order,
 * {@link usableClientKeys}), the entries the realm's `etypeInfo2Entries` names: the first, or the
 * strongest AES key and the rc4-hmac key.
 */
function hintKeys(usable: readonly StoredKey[], policy: RealmPolicy): readonly StoredKey[] {
  let keys: readonly StoredKey[];
  if (policy.etypeInfo2Entries === 'first-requested') {
    keys = usable.slice(0, 1);
  } else {
    const aes = AES_ETYPES.map((e) => usable.find((k) => k.key.etype === e)).find((k) => k !== undefined);
    const rc4 = usable.find((k) => k.key.etype === EncType.RC4_HMAC);
    keys = [aes, rc4].filter((k) => k !== undefined);
    // A realm that permits neither (aes-sha2 only) names its first key, as MIT does.
    if (keys.length === 0) keys = usable.slice(0, 1);
  }
  return keys;
}

/** The PA-ETYPE-INFO2 hint of a KRB-ERROR: the keys {@link hintKeys} names. */
export function etypeInfo2Hint(usable: readonly StoredKey[], policy: RealmPolicy): PaData {
  return etypeInfo2Padata(hintKeys(usable, policy), policy.rc4SaltInEtypeInfo);
}

/**
 * Whether a client asking for `requested` knows ETYPE-INFO2, by MIT's rule (kdc_preauth.c
 * requires_info2): it asks for an etype that came with ETYPE-INFO2 (one MIT knows other than DES,
 * 3DES and rc4-hmac: of krbsim's, the AES ones).
 */
export function requiresEtypeInfo2(requested: readonly number[]): boolean {
  return requested.some((e) => isSupportedEncType(e) && !isWeakEncType(e));
}

/**
 * PA-ETYPE-INFO (RFC 4120 section 5.2.7.4), the hint of clients older than ETYPE-INFO2, for `key`:
 * its salt, or an empty one for rc4-hmac's where the realm sends none in ETYPE-INFO2 (a Windows DC's,
 * as Samba's KDC tests hold Windows to it).
 */
export function etypeInfoPadata(key: StoredKey, rc4Salt: boolean): PaData {
  const salt = rc4Salt || key.key.etype !== EncType.RC4_HMAC ? key.salt : '';
  return {
    padataType: PaDataType.PA_ETYPE_INFO,
    padataValue: encodeEtypeInfo([{ etype: key.key.etype, salt: new TextEncoder().encode(salt) }]),
  };
}

/**
 * The PA-ETYPE-INFO of a KRB-ERROR, first of the hints, for a client that may not know
 * ETYPE-INFO2 (its one entry the ETYPE-INFO2 hint's first key), else undefined. Who gets one
 * follows the realm's `etypeInfo2Entries`: MIT's KDC sends it when the request names no etype that
 * requires ETYPE-INFO2 ({@link requiresEtypeInfo2}); a Windows DC when its hint names rc4-hmac
 * alone, no AES key the client asked for (Samba's KDC tests, held to Windows).
 */
function etypeInfoHint(
  usable: readonly StoredKey[],
  requested: readonly number[],
  policy: RealmPolicy,
): PaData | undefined {
  const keys = hintKeys(usable, policy);
  const first = keys[0];
  if (first === undefined) return undefined;
  const old =
    policy.etypeInfo2Entries === 'first-requested'
      ? !requiresEtypeInfo2(requested)
      : keys.every((k) => k.key.etype === EncType.RC4_HMAC);
  return old ? etypeInfoPadata(first, policy.rc4SaltInEtypeInfo) : undefined;
}

/**
 * The key hints of an AS-REP for its reply key `key` (RFC 4120 section 5.2.7.5): PA-ETYPE-INFO2;
 * where the realm hints as MIT does (`etypeInfo2Entries` 'first-requested'), for a client that knows
 * no ETYPE-INFO2 ({@link requiresEtypeInfo2}), PA-ETYPE-INFO before it and PA-PW-SALT after, as
 * MIT's add_etype_info and add_pw_salt (kdc_preauth.c) send them (krb5kdc 1.20.1: [11, 19, 3]).
 */
export function asReplyHints(key: StoredKey, requested: readonly number[], policy: RealmPolicy): PaData[] {
  const info2 = etypeInfo2Padata([key], policy.rc4SaltInEtypeInfo);
  if (policy.etypeInfo2Entries !== 'first-requested' || requiresEtypeInfo2(requested)) return [info2];
  return [
    etypeInfoPadata(key, policy.rc4SaltInEtypeInfo),
    info2,
    { padataType: PaDataType.PA_PW_SALT, padataValue: new TextEncoder().encode(key.salt) },
  ];
}

/** The PA-FX-COOKIE a FAST realm sends with its pre-authentication METHOD-DATA (RFC 6113 section 5.2). */
const FAST_COOKIE: PaData = {
  padataType: PaDataType.PA_FX_COOKIE,
  padataValue: new TextEncoder().encode('krbsim'),
};

/**
 * The METHOD-DATA of a pre-authentication error (RFC 4120 section 3.1.1):
 * PA-ETYPE-INFO for a client that may know no better, and PA-ETYPE-INFO2 (how to make the key,
 * when the client has one), then what each pre-authentication handler offers, then, in a FAST
 * conversation or beside an offer of FAST, a PA-FX-COOKIE for the client to send back (RFC 6113
 * section 5.2; MIT's KDC offers FAST and sends one with every such list; a DC that serves FAST
 * without offering it, as AD's "Supported", sends neither to an unarmored request, as Samba's AD
 * DC does). The offer of FAST comes first where the realm says so (`fastOfferedFirst`, MIT's
 * order: [136, 11, 19, 2, 133] from krb5kdc 1.20.1), else among the handlers' offers, after the
 * methods (a Windows DC's: [11, 19, 2, 16, 15, 136, 133] in Samba's KDC tests).
 */
function preauthMethodData(
  keys: readonly StoredKey[],
  handlers: readonly AsPadataHandler[],
  state: AsRequestState,
): Uint8Array {
  const policy = state.realm.policy;
  const offers: PaData[] = [];
  for (const h of handlers) {
    const offer = h.offer?.(state);
    if (offer !== undefined) offers.push(offer);
  }
  const fastFirst = policy.fastOfferedFirst
    ? offers.filter((o) => o.padataType === PaDataType.PA_FX_FAST)
    : [];
  // No hint for a client without a usable key: there is no salt to name (MIT sends none either).
  const etypeInfo = keys.length === 0 ? undefined : etypeInfoHint(keys, state.req.reqBody.etype, policy);
  const methods: PaData[] = [
    ...fastFirst,
    ...(etypeInfo === undefined ? [] : [etypeInfo]),
    ...(keys.length === 0 ? [] : [etypeInfo2Hint(keys, policy)]),
    ...offers.filter((o) => !fastFirst.includes(o)),
  ];
  if (state.fast !== undefined || methods.some((m) => m.padataType === PaDataType.PA_FX_FAST)) {
    methods.push(FAST_COOKIE);
  }
  return encodeMethodData(methods);
}

/**
 * KDC_ERR_PREAUTH_REQUIRED with the METHOD-DATA of {@link preauthMethodData},
 * built without a stack trace (it is the KDC's most common answer).
 */
export function preauthRequired(
  keys: readonly StoredKey[],
  handlers: readonly AsPadataHandler[],
  state: AsRequestState,
  cname: PrincipalName,
  crealm: string,
): KdcError {
  return routineKdcError(ErrorCode.KDC_ERR_PREAUTH_REQUIRED, 'additional pre-authentication required', {
    eData: preauthMethodData(keys, handlers, state),
    cname,
    crealm,
    realm: crealm,
  });
}

/**
 * A KDC_ERR_PREAUTH_FAILED from a pre-authentication handler, with the same
 * METHOD-DATA as KDC_ERR_PREAUTH_REQUIRED, so that the client can try again
 * (with the salt of PA-ETYPE-INFO2, or another method), as MIT's KDC answers.
 * Any other error is returned as it is.
 */
export function withPreauthMethods(
  e: unknown,
  keys: readonly StoredKey[],
  handlers: readonly AsPadataHandler[],
  state: AsRequestState,
): unknown {
  // A PREAUTH_FAILED from a package the KDC calls (@krbsim/pki's CMS checks) is a plain KerberosError.
  if (!isKerberosError(e, ErrorCode.KDC_ERR_PREAUTH_FAILED)) return e;
  if (e instanceof KdcError && e.details.eData !== undefined) return e;
  return new KdcError(e.code, e.message, {
    ...(e instanceof KdcError ? e.details : {}),
    eData: preauthMethodData(keys, handlers, state),
    ...(e.realm !== undefined && { realm: e.realm }),
    cause: e instanceof KdcError ? e.cause : e,
  });
}

/**
 * KDC_ERR_PREAUTH_REQUIRED for an unarmored AS-REQ in a realm that requires
 * FAST: its METHOD-DATA offers PA-FX-FAST alone (MS-KILE 3.3.5.1, AD's "Fail
 * unarmored authentication requests"), so a FAST client armors and retries
 * and any other client stops, without a key hint to guess passwords against.
 */
export function fastRequired(cname: PrincipalName, crealm: string): KdcError {
  return routineKdcError(
    ErrorCode.KDC_ERR_PREAUTH_REQUIRED,
    'this realm requires FAST (armored requests); armor the AS-REQ with a TGT (kinit -T)',
    {
      eData: encodeMethodData([{ padataType: PaDataType.PA_FX_FAST, padataValue: new Uint8Array(0) }]),
      cname,
      crealm,
      realm: crealm,
    },
  );
}
