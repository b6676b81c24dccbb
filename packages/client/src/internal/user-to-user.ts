/**
 * User-to-user (RFC 4120 section 3.7), the client's side: a server with no
 * long-term key of its own (a user's application) hands the client its TGT,
 * and the client asks the KDC that issued it for a ticket sealed in that
 * TGT's session key: a TGS-REQ with the ENC-TKT-IN-SKEY option and the
 * server's TGT in additional-tickets, naming the TGT's client as the server.
 * The AP-REQ made from the ticket sets use-session-key.
 *
 * The ticket is not cached: it is good only with use-session-key, and a
 * later `getServiceTicket` for the same principal must not find it.
 *
 * @module
 */

import {
  formatPrincipal,
  KdcOptions,
  krbtgtName,
  type PrincipalName,
  type QualifiedName,
  sameName,
  type Ticket,
  tgsRealmOf,
} from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';
import type { Credential } from '../credential';
import type { ClientContext } from './context';
import { replyMismatch } from './krb-error';
import { crossRealmTgt, localTgt, optionsFor } from './referrals';
import { tgsExchange } from './tgs-exchange';

/** A user-to-user request as the client resolved it. */
export interface UserToUserRequest {
  /** The server: the client of `serverTgt`. */
  readonly server: PrincipalName;
  /** The server's TGT (its ticket only: the server keeps the session key). */
  readonly serverTgt: Ticket;
  /** This client. */
  readonly client: QualifiedName;
}

/** Gets a ticket to `req.server` sealed in the session key of `req.serverTgt`. */
export async function userToUserTicket(ctx: ClientContext, req: UserToUserRequest): Promise<Credential> {
  const realm = req.serverTgt.realm;
  // The second ticket must be a TGT of the realm whose KDC is asked (RFC 4120 3.7; KDC_ERR_POLICY at the KDC).
  if (tgsRealmOf(req.serverTgt.sname) !== realm) {
    throw new KerberosError(
      ErrorCode.KDC_ERR_BADOPTION,
      `user-to-user needs the server's ticket-granting ticket ${formatPrincipal(krbtgtName(realm), realm)}, not a ticket for ${formatPrincipal(req.serverTgt.sname, realm)}`,
      { realm },
    );
  }
  const tgt =
    realm === req.client.realm ? localTgt(ctx, req.client) : await crossRealmTgt(ctx, realm, req.client);
  const { cred } = await tgsExchange(ctx, {
    tgt,
    kdcRealm: realm,
    server: req.server,
    serverRealm: realm,
    kdcOptions: optionsFor(tgt, KdcOptions['enc-tkt-in-skey']),
    additionalTickets: [req.serverTgt],
  });
  if (cred.server.realm !== realm || !sameName(cred.server.name, req.server)) {
    throw replyMismatch(
      `asked for a user-to-user ticket to ${formatPrincipal(req.server, realm)}, got one to ${formatPrincipal(cred.server.name, cred.server.realm)}`,
      realm,
    );
  }
  return cred;
}
