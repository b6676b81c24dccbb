/**
 * The check of a ticket's addresses against the peer's (RFC 4120 sections 3.2.3 and 3.3.3.1), as
 * MIT's `krb5_address_search` (addr_srch.c) makes it: a list holding one NetBIOS address alone, what
 * Windows puts in every AS-REQ, counts as no addresses (krb5kdc 1.20.1 serves such a TGT from any
 * address; with a second NetBIOS name, or an IP address beside it, it serves those IP addresses only).
 */

import type { HostAddress } from '@krbsim/asn1';
import { AddressType } from '@krbsim/core';
import { describe, expect, it } from 'vitest';
import { hostAddressOf, ticketServesAddress } from '../src/host-address';

const netbios = (name: string): HostAddress => ({
  addrType: AddressType.NETBIOS,
  address: new TextEncoder().encode(name.padEnd(15, ' ')),
});
const peer = hostAddressOf('10.1.2.3')!;
const other = hostAddressOf('10.9.9.9')!;

describe('ticketServesAddress', () => {
  it('a ticket without addresses serves any peer', () => {
    expect(ticketServesAddress(undefined, peer)).toBe(true);
    expect(ticketServesAddress([], peer)).toBe(true);
  });

  it("a ticket whose only address is a NetBIOS name serves any peer (MIT's krb5_address_search)", () => {
    expect(ticketServesAddress([netbios('WIN10-01')], peer)).toBe(true);
    expect(ticketServesAddress([netbios('WIN10-01')], hostAddressOf('2001:db8::1')!)).toBe(true);
  });

  it('a NetBIOS name beside IP addresses: the peer must be one of those', () => {
    expect(ticketServesAddress([netbios('WIN10-01'), peer], peer)).toBe(true);
    expect(ticketServesAddress([netbios('WIN10-01'), other], peer)).toBe(false);
    expect(ticketServesAddress([peer, netbios('WIN10-01')], peer)).toBe(true);
  });

  it('two NetBIOS names are addresses no peer is', () => {
    expect(ticketServesAddress([netbios('WIN10-01'), netbios('WIN10-02')], peer)).toBe(false);
  });

  it('an IP address serves that peer only', () => {
    expect(ticketServesAddress([peer], peer)).toBe(true);
    expect(ticketServesAddress([other], peer)).toBe(false);
  });
});
