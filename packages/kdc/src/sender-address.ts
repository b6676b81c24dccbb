/**
 * The address a request came from, as a HostAddress (RFC 4120 section
 * 5.2.5), read from a transport's peer (`host:port`: `127.0.0.1:5000`,
 * `::1:5000`), and the check of a ticket's addresses against it (RFC 4120
 * section 3.3.3.1; MIT's KDC makes it through krb5_rd_req, KRB_AP_ERR_BADADDR).
 *
 * @module
 */

import type { HostAddress } from '@krbsim/asn1';
import { ErrorCode } from '@krbsim/core';
import { hostAddressOf, ticketServesAddress } from '@krbsim/service';
import { KdcError } from './krb-error';

/**
 * The sender's address from a transport peer `host:port`; undefined when the
 * peer is no IP address (an in-process participant's name) or absent. An
 * IPv4 address an IPv6 socket saw (`::ffff:a.b.c.d`) is the IPv4 address.
 */
export function senderAddress(peer: string | undefined): HostAddress | undefined {
  if (peer === undefined) return undefined;
  const colon = peer.lastIndexOf(':');
  return hostAddressOf((colon < 0 ? peer : peer.slice(0, colon)).replace(/^\[|\]$/g, ''));
}

/**
 * A ticket with addresses serves only requests from one of them: else
 * KRB_AP_ERR_BADADDR. A ticket without addresses serves any.
 */
export function checkTicketAddresses(caddr: readonly HostAddress[] | undefined, sender: HostAddress): void {
  if (ticketServesAddress(caddr, sender)) return;
  throw new KdcError(
    ErrorCode.KRB_AP_ERR_BADADDR,
    'the ticket is for other addresses than the one this request came from',
  );
}
