/**
 * User-to-user (RFC 4120 section 3.7): a TGS-REQ with ENC-TKT-IN-SKEY and a
 * second ticket, a TGT of this realm belonging to the server, gets a ticket
 * sealed in that TGT's session key, so that a server without a long-term
 * key (a user's application) can accept it with its TGT's session key.
 *
 * The rules, as MIT's KDC applies them: the second ticket must be a TGT of
 * this realm (KDC_ERR_POLICY otherwise), it is checked like any ticket
 * (decryption, validity window), and the requested server must be the
 * second ticket's client (KDC_ERR_SERVER_NOMATCH); with no server named, it
 * is that client. The two are compared as accounts, as MIT's
 * is_client_db_alias compares them: the server the request names, resolved
 * as any server is (another case in an AD realm, an alias), is the account
 * the second ticket's client names.
 *
 * @module
 */

import type { EncTicketPart, KdcReqBody, PrincipalName } from '@krbsim/asn1';
import { formatPrincipal, tgsRealmOf } from '@krbsim/asn1';
import { ErrorCode } from '@krbsim/core';
import { TGS_AP_REQ } from '@krbsim/service';
import { openAdditionalTicket } from './additional-ticket';
import { findClient } from './find-client';
import type { SealingKey } from './issue';
import { KdcError } from './krb-error';
import type { PrincipalEntry } from './principal-db';
import type { Realm } from './realm';

/** What a user-to-user request brings: the server's name and the key that seals its ticket. */
export interface UserToUser {
  /** The server, the second ticket's client (in this realm). */
  readonly sname: PrincipalName;
  /** The second ticket's session key: the ticket is sealed in it, with no kvno. */
  readonly sealingKey: SealingKey;
  /** The second ticket, decrypted. */
  readonly secondTicket: EncTicketPart;
}

/** Check the second ticket of an ENC-TKT-IN-SKEY request; see the module comment. */
export function userToUser(realm: Realm, body: KdcReqBody, now: number): UserToUser {
  const second = body.additionalTickets?.[0];
  if (second === undefined) {
    throw new KdcError(
      ErrorCode.KDC_ERR_BADOPTION,
      'ENC-TKT-IN-SKEY needs the server TGT as the first of additional-tickets',
    );
  }
  if (second.realm !== realm.name || tgsRealmOf(second.sname) !== realm.name) {
    throw new KdcError(
      ErrorCode.KDC_ERR_POLICY,
      `the second ticket is for ${formatPrincipal(second.sname, second.realm)}, not a TGT of ${realm.name}`,
    );
  }
  const { ticket: secondTicket, sessionKey } = openAdditionalTicket(
    realm,
    second,
    { keys: realm.krbtgt.keys, rules: TGS_AP_REQ, what: 'the second ticket' },
    now,
  );
  if (secondTicket.crealm !== realm.name) {
    throw new KdcError(
      ErrorCode.KDC_ERR_POLICY,
      `the second ticket's client ${formatPrincipal(secondTicket.cname, secondTicket.crealm)} is not of ${realm.name}`,
    );
  }
  return {
    sname: body.sname ?? secondTicket.cname,
    sealingKey: { key: sessionKey },
    secondTicket,
  };
}

/**
 * MIT's check_tgs_u2u (2ND_TKT_MISMATCH): the server the request resolved to, `server` (asked for
 * as `sname`), must be the account of the second ticket's client, found as a client is
 * (`find-client.ts`), not merely a name equal to it; a referral is no such account.
 * KDC_ERR_SERVER_NOMATCH otherwise.
 */
export function checkUserToUserServer(
  realm: Realm,
  u: UserToUser,
  server: { readonly entry: PrincipalEntry; readonly referralTo?: string },
): void {
  const owner = findClient(realm, u.secondTicket.cname);
  if (server.referralTo === undefined && owner !== undefined && owner === server.entry) return;
  throw new KdcError(
    ErrorCode.KDC_ERR_SERVER_NOMATCH,
    `user-to-user: the request names ${formatPrincipal(u.sname, realm.name)}, but the second ticket belongs to ${formatPrincipal(u.secondTicket.cname, realm.name)}`,
  );
}
