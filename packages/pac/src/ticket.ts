/**
 * The PAC in a ticket: RFC 4120 section 5.2.6 and MS-PAC 2.8.
 *
 * A PAC travels in the EncTicketPart's authorization-data as an
 * AD-WIN2K-PAC (128) element inside an AD-IF-RELEVANT (1) container
 * (MS-KILE 3.3.5.6.4; RFC 4120 5.2.6.1). Windows and MIT put that container
 * first; krbsim does too.
 *
 * The ticket signature (MS-PAC 2.8) covers the whole EncTicketPart "less
 * the PAC itself": the PAC element's ad-data is replaced with a single zero
 * byte, the container and the EncTicketPart are re-encoded in DER, and the
 * KDC signs those bytes with its krbtgt key. Tickets to the TGS
 * (krbtgt/...) and to the password change service (kadmin/changepw) carry no
 * ticket signature (MS-PAC 2.8: "tickets that are not encrypted to the
 * krbtgt account (including the change password service) or to a trust
 * account"), nor an extended KDC signature.
 *
 * @module
 */

import {
  AdType,
  type AuthorizationData,
  type AuthorizationDataEntry,
  decodeAuthorizationData,
  type EncTicketPart,
  encodeAuthorizationData,
  encodeEncTicketPart,
  type PrincipalName,
} from '@krbsim/asn1';
import { PacError } from './errors';

/** Where a ticket's PAC is: the container's index in authorization-data and the PAC's index inside it. */
export interface PacLocation {
  /** Index of the AD-IF-RELEVANT element in the authorization data. */
  readonly index: number;
  /** Index of the AD-WIN2K-PAC element inside that container. */
  readonly innerIndex: number;
  /** The container's decoded elements. */
  readonly container: AuthorizationData;
  /** The PAC's bytes (the AD-WIN2K-PAC ad-data). */
  readonly pac: Uint8Array;
}

/**
 * Finds the PAC in a ticket's authorization data: the AD-WIN2K-PAC element
 * of an AD-IF-RELEVANT container, as MIT's `krb5_kdc_verify_ticket` looks
 * for it. An AD-WIN2K-PAC outside AD-IF-RELEVANT is not a PAC (MIT and
 * Windows ignore it).
 *
 * @throws PacError if there is more than one PAC (no two readers may
 *   disagree on which one counts); Asn1Error for a malformed container.
 */
export function findPac(authorizationData: AuthorizationData | undefined): PacLocation | undefined {
  if (authorizationData === undefined) return undefined;
  let found: PacLocation | undefined;
  for (let i = 0; i < authorizationData.length; i++) {
    const e = authorizationData[i]!;
    if (e.adType !== AdType.AD_IF_RELEVANT) continue;
    const container = decodeAuthorizationData(e.adData);
    for (let j = 0; j < container.length; j++) {
      if (container[j]!.adType !== AdType.AD_WIN2K_PAC) continue;
      if (found !== undefined) {
        throw new PacError('the authorization data holds more than one AD-WIN2K-PAC', {
          path: `AuthorizationData[${i}].AD-IF-RELEVANT[${j}]`,
        });
      }
      found = { index: i, innerIndex: j, container, pac: container[j]!.adData };
    }
  }
  return found;
}

/** The PAC's bytes in `authorizationData` (see {@link findPac}), or undefined. */
export function unwrapPac(authorizationData: AuthorizationData | undefined): Uint8Array | undefined {
  return findPac(authorizationData)?.pac;
}

/** The authorization-data element that carries a PAC: AD-IF-RELEVANT holding one AD-WIN2K-PAC. */
export function wrapPac(pac: Uint8Array): AuthorizationDataEntry {
  return {
    adType: AdType.AD_IF_RELEVANT,
    adData: encodeAuthorizationData([{ adType: AdType.AD_WIN2K_PAC, adData: pac }]),
  };
}

/**
 * `authorizationData` with its PAC's bytes replaced by `pac`, everything
 * else (order, other elements of the container) unchanged; or, if it holds
 * no PAC, with {@link wrapPac}`(pac)` put first, where Windows and MIT put it.
 */
export function withPac(
  authorizationData: AuthorizationData | undefined,
  pac: Uint8Array,
): AuthorizationData {
  const loc = findPac(authorizationData);
  if (loc === undefined) return [wrapPac(pac), ...(authorizationData ?? [])];
  const container = loc.container.map((e, j) =>
    j === loc.innerIndex ? { adType: e.adType, adData: pac } : e,
  );
  const ad = authorizationData!;
  return ad.map((e, i) =>
    i === loc.index ? { adType: AdType.AD_IF_RELEVANT, adData: encodeAuthorizationData(container) } : e,
  );
}

/**
 * `authorizationData` without its PAC: the AD-WIN2K-PAC element removed
 * from its AD-IF-RELEVANT container, and the container too when nothing
 * else is in it; `undefined` when nothing is left. Unchanged when it holds
 * no PAC.
 */
export function withoutPac(authorizationData: AuthorizationData | undefined): AuthorizationData | undefined {
  const loc = findPac(authorizationData);
  if (loc === undefined) return authorizationData;
  const container = loc.container.filter((_, j) => j !== loc.innerIndex);
  const ad = authorizationData!.flatMap((e, i) => {
    if (i !== loc.index) return [e];
    return container.length === 0
      ? []
      : [{ adType: AdType.AD_IF_RELEVANT, adData: encodeAuthorizationData(container) }];
  });
  return ad.length > 0 ? ad : undefined;
}

const ZERO_PAC = Uint8Array.of(0);

/**
 * The bytes the ticket signature covers (MS-PAC 2.8): `encTicketPart`
 * with its PAC's ad-data replaced by a single zero byte, DER-encoded.
 *
 * @throws PacError if `encTicketPart` holds no PAC.
 */
export function ticketSignatureData(encTicketPart: EncTicketPart): Uint8Array {
  if (findPac(encTicketPart.authorizationData) === undefined) {
    throw new PacError('the EncTicketPart holds no PAC (AD-IF-RELEVANT with AD-WIN2K-PAC) to sign', {
      path: 'EncTicketPart.authorization-data',
    });
  }
  return encodeEncTicketPart({
    ...encTicketPart,
    authorizationData: withPac(encTicketPart.authorizationData, ZERO_PAC),
  });
}

/**
 * Whether a ticket for `server` carries the ticket signature and the
 * extended KDC signature: every ticket except those to a TGS (`krbtgt/...`,
 * local or cross-realm) and to `kadmin/changepw` (MS-PAC 2.8; MIT's
 * `k5_pac_should_have_ticket_signature`).
 */
export function hasTicketSignature(server: PrincipalName): boolean {
  const n = server.nameString;
  if (n.length === 2 && n[0] === 'krbtgt') return false;
  // In any case: a domain answers KADMIN/CHANGEPW under the name asked for, and it is the same service.
  if (n.length === 2 && n[0]!.toLowerCase() === 'kadmin' && n[1]!.toLowerCase() === 'changepw') return false;
  return true;
}
