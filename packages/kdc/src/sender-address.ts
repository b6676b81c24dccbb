/**
 * The address a request came from, as a HostAddress (RFC 4120 section
 * 5.2.5), read from a transport's peer (`host:port`: `127.0.0.1:5000`,
 * `::1:5000`), and the check of a ticket's addresses against it (RFC 4120
 * section 3.3.3.1; MIT's KDC makes it through krb5_rd_req, KRB_AP_ERR_BADADDR).
 *
 * @module
 */

import { isIPv4, isIPv6 } from 'node:net';
import type { HostAddress } from '@krbsim/asn1';
import { ErrorCode } from '@krbsim/core';
import { ipAddressBytes } from '@krbsim/pki';
import { KdcError } from './krb-error';

/** RFC 4120 section 7.5.3 address types. */
const ADDRTYPE_INET = 2;
const ADDRTYPE_INET6 = 24;

/**
 * The sender's address from a transport peer `host:port`; undefined when the
 * peer is no IP address (an in-process participant's name) or absent. An
 * IPv4 address an IPv6 socket saw (`::ffff:a.b.c.d`) is the IPv4 address.
 */
export function senderAddress(peer: string | undefined): HostAddress | undefined {
  if (peer === undefined) return undefined;
  const colon = peer.lastIndexOf(':');
  const host = (colon < 0 ? peer : peer.slice(0, colon)).replace(/^\[|\]$/g, '');
  if (isIPv4(host)) return { addrType: ADDRTYPE_INET, address: ipAddressBytes(host) };
  if (!isIPv6(host)) return undefined;
  const bytes = ipAddressBytes(host);
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped
    ? { addrType: ADDRTYPE_INET, address: bytes.slice(12) }
    : { addrType: ADDRTYPE_INET6, address: bytes };
}

const same = (a: HostAddress, b: HostAddress): boolean =>
  a.addrType === b.addrType &&
  a.address.length === b.address.length &&
  a.address.every((v, i) => v === b.address[i]);

/**
 * A ticket with addresses serves only requests from one of them: else
 * KRB_AP_ERR_BADADDR. A ticket without addresses serves any.
 */
export function checkTicketAddresses(caddr: readonly HostAddress[] | undefined, sender: HostAddress): void {
  if (caddr === undefined || caddr.length === 0 || caddr.some((a) => same(a, sender))) return;
  throw new KdcError(
    ErrorCode.KRB_AP_ERR_BADADDR,
    'the ticket is for other addresses than the one this request came from',
  );
}
