/**
 * Enctype negotiation at the acceptor: RFC 4537. A client that would rather
 * protect the session with another enctype than its ticket's session key
 * lists its choices in the authenticator (AD-ETYPE-NEGOTIATION, inside
 * AD-IF-RELEVANT); the acceptor picks one and sends a subkey of it in its
 * AP-REP.
 *
 * The choice is MIT krb5's (`krb5_rd_req`): the client's list, then its
 * subkey's enctype, then the session key's, and of those the first in the
 * acceptor's own order of preference, {@link ACCEPTOR_ENC_TYPES}. Without a
 * list the choice is between the subkey's and the session key's enctypes, so
 * a client's aes128 subkey over an aes256 session key is answered with an
 * aes256 subkey, as MIT's acceptor answers it.
 *
 * @module
 */

import {
  AdType,
  type AuthorizationData,
  type AuthorizationDataEntry,
  decodeAuthorizationData,
  decodeEtypeList,
} from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';
import { WEAK_ENC_TYPES } from '@krbsim/crypto';

/**
 * The enctypes an acceptor permits, most preferred first: MIT krb5's default
 * `permitted_enctypes` order (AES-SHA1 before AES-SHA2) over the enctypes
 * krbsim implements, rc4-hmac last and only where weak crypto is allowed.
 */
export const ACCEPTOR_ENC_TYPES: readonly number[] = Object.freeze([18, 17, 20, 19, 23]);

/**
 * The RFC 4537 EtypeList a client put in its authenticator, or undefined.
 * The first AD-ETYPE-NEGOTIATION counts, inside AD-IF-RELEVANT as RFC 4537
 * section 3 puts it or bare, as MIT also reads it.
 *
 * @throws KerberosError KRB_ERR_GENERIC, the codec's code, when the list does
 *   not decode (MIT refuses the AP-REQ then too).
 */
export function authenticatorEtypeList(
  authorizationData: AuthorizationData | undefined,
): readonly number[] | undefined {
  for (const e of authorizationData ?? []) {
    if (e.adType === AdType.AD_ETYPE_NEGOTIATION) return etypeList(e);
    if (e.adType !== AdType.AD_IF_RELEVANT) continue;
    let inner: AuthorizationData;
    try {
      inner = decodeAuthorizationData(e.adData);
    } catch {
      continue; // MIT skips an AD-IF-RELEVANT it cannot read here; other checks see it too
    }
    const found = inner.find((i) => i.adType === AdType.AD_ETYPE_NEGOTIATION);
    if (found !== undefined) return etypeList(found);
  }
  return undefined;
}

function etypeList(e: AuthorizationDataEntry): readonly number[] {
  try {
    return decodeEtypeList(e.adData);
  } catch (cause) {
    throw new KerberosError(
      ErrorCode.KRB_ERR_GENERIC,
      `the authenticator's AD-ETYPE-NEGOTIATION is not an EtypeList (RFC 4537 section 3: SEQUENCE OF Int32): ${(cause as Error).message}`,
      { cause },
    );
  }
}

/**
 * An acceptor's enctypes in its order of preference by default: {@link ACCEPTOR_ENC_TYPES},
 * rc4-hmac only with `allowWeakCrypto`.
 */
export function acceptorEncTypes(allowWeakCrypto: boolean): readonly number[] {
  return allowWeakCrypto ? ACCEPTOR_ENC_TYPES : ACCEPTOR_WITHOUT_WEAK;
}

const ACCEPTOR_WITHOUT_WEAK: readonly number[] = Object.freeze(
  ACCEPTOR_ENC_TYPES.filter((e) => !WEAK_ENC_TYPES.has(e)),
);

/**
 * The enctype the acceptor's subkey would have: of the client's `list`, its
 * subkey's enctype and the session key's (in that order), the first that
 * comes in the acceptor's `order` (its permitted enctypes, most preferred
 * first: {@link acceptorEncTypes} by default). The session key's enctype when
 * none does (the acceptor has accepted that one already).
 */
export function negotiateEncType(
  list: readonly number[] | undefined,
  subkeyEtype: number | undefined,
  sessionEtype: number,
  order: readonly number[],
): number {
  for (const etype of order) {
    if (etype === sessionEtype || etype === subkeyEtype || list?.includes(etype)) return etype;
  }
  return sessionEtype;
}
