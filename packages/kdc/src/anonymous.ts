/**
 * The anonymous principal (RFC 8062): an AS-REQ with the request-anonymous
 * KDC option (bit 16) for WELLKNOWN/ANONYMOUS, in the realm-independent
 * form or the realm-specific one MIT's `kinit -n @REALM` sends, gets a
 * ticket naming WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS with the anonymous
 * flag. The client authenticates nobody: it proves nothing but the key
 * agreement of anonymous PKINIT (RFC 8062 section 4.1, an unsigned
 * AuthPack), which is what FAST's anonymous armor needs. The ticket's
 * session key is bound to the reply key by PA-PKINIT-KX (section 7).
 *
 * Served only where the realm's policy allows it (`allowAnonymous`, off by
 * default: MIT serves it only once the realm has a WELLKNOWN/ANONYMOUS
 * principal, AD not at all). Refusals:
 * - request-anonymous for any other client: KDC_ERR_BADOPTION (MIT's
 *   answer too);
 * - a realm that does not allow anonymous tickets: KDC_ERR_POLICY;
 * - anything but anonymous PKINIT: the anonymous principal's key is random
 *   and known to no one, so it is KDC_ERR_PREAUTH_REQUIRED (PKINIT offered)
 *   or a failed pre-authentication.
 *
 * @module
 */

import {
  ANONYMOUS_NAME,
  type EncryptionKey,
  encodeEncryptedData,
  encodeEncryptionKey,
  KdcOptions,
  type PaData,
  PaDataType,
  type PrincipalName,
} from '@krbsim/asn1';
import { ErrorCode, type RandomSource } from '@krbsim/core';
import { cf2, encrypt, generateKey, type Key, KeyUsage } from '@krbsim/crypto';
import { KdcError } from './krb-error';
import type { PrincipalEntry } from './principal-db';
import type { Realm } from './realm';

export { ANONYMOUS_NAME, ANONYMOUS_REALM } from '@krbsim/asn1';

/** Whether `name` is WELLKNOWN/ANONYMOUS (whatever its name type, as MIT compares it). */
function isAnonymousName(name: PrincipalName): boolean {
  return (
    name.nameString.length === 2 && name.nameString[0] === 'WELLKNOWN' && name.nameString[1] === 'ANONYMOUS'
  );
}

const entries = new WeakMap<Realm, PrincipalEntry>();
const anonymousEntries = new WeakSet<PrincipalEntry>();

/** Whether `entry` is a realm's anonymous principal (the one {@link anonymousClient} made). */
export function isAnonymousEntry(entry: PrincipalEntry): boolean {
  return anonymousEntries.has(entry);
}

/**
 * The client of an AS-REQ with request-anonymous: the realm's anonymous
 * principal, or a refusal (see the module comment). Undefined when the
 * request does not ask for an anonymous ticket.
 */
export function anonymousClient(
  realm: Realm,
  kdcOptions: number,
  cname: PrincipalName,
): PrincipalEntry | undefined {
  if ((kdcOptions & KdcOptions['request-anonymous']) === 0) return undefined;
  if (!isAnonymousName(cname)) {
    throw new KdcError(
      ErrorCode.KDC_ERR_BADOPTION,
      'request-anonymous is set, but the request does not name WELLKNOWN/ANONYMOUS (RFC 8062 section 4.1)',
    );
  }
  if (!realm.policy.allowAnonymous) {
    throw new KdcError(
      ErrorCode.KDC_ERR_POLICY,
      `realm ${realm.name} does not issue anonymous tickets (its policy's allowAnonymous is off)`,
    );
  }
  let entry = entries.get(realm);
  if (entry === undefined) {
    // As MIT's WELLKNOWN/ANONYMOUS principal: random keys nobody knows, pre-authentication required.
    entry = {
      name: ANONYMOUS_NAME,
      realm: realm.name,
      kind: 'user',
      keys: realm.policy.permittedEncTypes.map((etype) => ({
        kvno: 1,
        key: generateKey(etype, { random: realm.random }),
        salt: `${realm.name}WELLKNOWNANONYMOUS`,
      })),
      aliases: [],
      requiresPreauth: true,
      disabled: false,
      okAsDelegate: false,
      authDataNotRequired: false,
      encTypes: realm.policy.permittedEncTypes,
      trustedToAuthForDelegation: false,
      notDelegated: false,
      allowedToDelegateTo: [],
      allowedToActOnBehalfOf: [],
    };
    entries.set(realm, entry);
    anonymousEntries.add(entry);
  }
  return entry;
}

/**
 * RFC 8062 section 7: the session key of an anonymous ticket is
 * KRB-FX-CF2(contribution, reply key, "PKINIT", "KEYEXCHANGE"), where the
 * KDC's random contribution goes to the client in PA-PKINIT-KX, encrypted in
 * the reply key (usage 44). MIT's client refuses an anonymous reply without
 * it ("wrong form of session key for anonymous request").
 */
export function pkinitKx(
  replyKey: Key,
  etype: number,
  random: RandomSource,
): { readonly sessionKey: EncryptionKey; readonly padata: PaData } {
  const contribution = generateKey(etype, { random });
  const session = cf2(contribution, replyKey, 'PKINIT', 'KEYEXCHANGE');
  const sealed = encrypt(
    replyKey,
    KeyUsage.KEY_USAGE_PA_PKINIT_KX,
    encodeEncryptionKey({ keytype: contribution.etype, keyvalue: contribution.bytes }),
    { random },
  );
  return {
    sessionKey: { keytype: session.etype, keyvalue: session.bytes },
    padata: {
      padataType: PaDataType.PA_PKINIT_KX,
      padataValue: encodeEncryptedData({ etype: replyKey.etype, cipher: sealed }).slice(),
    },
  };
}
