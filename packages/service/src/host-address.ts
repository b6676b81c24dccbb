/**
 * HostAddresses (RFC 4120 section 5.2.5) of the IP addresses peers come from, and the check of a
 * ticket's addresses against one: a ticket with addresses serves only a request from one of them
 * (RFC 4120 sections 3.2.3 and 3.3.3.1; MIT's `krb5_rd_req` checks when the application gives the
 * peer's address, KRB_AP_ERR_BADADDR); a ticket without addresses, or with a NetBIOS name alone,
 * serves any.
 *
 * @module
 */

import { isIP } from 'node:net';
import type { HostAddress } from '@krbsim/asn1';
import { AddressType, equalBytes, ipAddressBytes } from '@krbsim/core';

/**
 * The HostAddress of an IP address in text (`192.0.2.7`, `2001:db8::1`): addr-type 2 or 24. An
 * IPv4 address as an IPv6 socket reports it (`::ffff:192.0.2.7`) is the IPv4 address, as the
 * client put it in its request. Undefined for what is no IP address.
 */
export function hostAddressOf(ip: string): HostAddress | undefined {
  const kind = isIP(ip);
  if (kind === 4) return { addrType: AddressType.IPV4, address: ipAddressBytes(ip) };
  if (kind !== 6) return undefined;
  const bytes = ipAddressBytes(ip);
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped
    ? { addrType: AddressType.IPV4, address: bytes.slice(12) }
    : { addrType: AddressType.IPV6, address: bytes };
}

function sameAddress(a: HostAddress, b: HostAddress): boolean {
  return a.addrType === b.addrType && equalBytes(a.address, b.address);
}

/**
 * Whether a ticket with `caddr` serves a request from `peer`: it has no addresses, or `peer` is one.
 * A list of one NetBIOS address counts as no addresses, as MIT's `krb5_address_search` (addr_srch.c)
 * has it: Windows puts its NetBIOS name in every AS-REQ, and no peer is known by such a name. Beside
 * other addresses (or beside another NetBIOS name) it is one more address the peer is not.
 */
export function ticketServesAddress(caddr: readonly HostAddress[] | undefined, peer: HostAddress): boolean {
  if (caddr === undefined || caddr.length === 0) return true;
  if (caddr.length === 1 && caddr[0]!.addrType === AddressType.NETBIOS) return true;
  return caddr.some((a) => sameAddress(a, peer));
}

/** An address as text for an error message: dotted IPv4, colon-separated IPv6, else its type and hex. */
export function formatHostAddress(a: HostAddress): string {
  if (a.addrType === AddressType.IPV4 && a.address.length === 4) return a.address.join('.');
  if (a.addrType === AddressType.IPV6 && a.address.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((a.address[i]! << 8) | a.address[i + 1]!).toString(16));
    return groups.join(':');
  }
  return `address type ${a.addrType} ${Buffer.from(a.address).toString('hex')}`;
}
