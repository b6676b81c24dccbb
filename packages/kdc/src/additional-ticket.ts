/**
 * Opening a ticket that a TGS-REQ carries in additional-tickets: S4U2Proxy's
 * evidence ticket (MS-SFU 3.2.5.2.2) and user-to-user's second ticket
 * (RFC 4120 section 3.3.3). Each is checked as an AP-REQ's ticket is
 * (decrypted with one of the keys the KDC holds for its server, its times
 * checked) without an authenticator, and a failure is answered as a
 * KRB-ERROR with the check's own code.
 *
 * @module
 */

import type { Ticket } from '@krbsim/asn1';
import { ApReqError, type ApReqRules, type CheckedTicket, checkTicket } from '@krbsim/service';
import { keyOpeningTicket, type StoredKey } from './keys';
import { KdcError } from './krb-error';
import type { Realm } from './realm';

/** Which additional ticket, and the keys that may have sealed it. */
export interface AdditionalTicketCheck {
  /** The keys of the ticket's server, as this realm holds them. */
  readonly keys: readonly StoredKey[];
  /** The rules of the AP-REQ the ticket stands in for (`SERVICE_AP_REQ`, `TGS_AP_REQ`). */
  readonly rules: ApReqRules;
  /** The ticket, as errors name it: `the evidence ticket`, `the second ticket`. */
  readonly what: string;
  /**
   * The ticket is sealed in an inter-realm key (a cross-realm S4U2Proxy's referral TGT): its kvno
   * is read as a cross-realm header's is (`tgs-header.ts`), the newest key standing in for a
   * version this realm does not hold unless `interRealmKvnoStrict`. Else the kvno must be held.
   */
  readonly interRealm?: boolean;
}

/** Decrypt and check `ticket` with one of `c.keys`; throws a {@link KdcError} when it does not open. */
export function openAdditionalTicket(
  realm: Realm,
  ticket: Ticket,
  c: AdditionalTicketCheck,
  now: number,
): CheckedTicket {
  try {
    return checkTicket(ticket, {
      rules: { ...c.rules, ticketDecryptFailure: realm.policy.ticketDecryptFailureCode },
      keyLookup: (t) =>
        keyOpeningTicket(
          c.keys,
          t.encPart.etype,
          t.encPart.kvno,
          () => c.what,
          c.interRealm === true && !realm.policy.interRealmKvnoStrict,
        ),
      clock: { now: () => now },
      clockSkewMs: realm.policy.clockSkewMs,
      allowWeakCrypto: true,
      describeServer: () => c.what,
    });
  } catch (e) {
    if (e instanceof ApReqError) throw new KdcError(e.code, e.message, { cause: e });
    throw e;
  }
}
