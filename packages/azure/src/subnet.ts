/**
 * A managed instance's subnet as an IPv4 network, so the preview's
 * one-instance-per-subnet rule compares networks, not strings:
 * `10.0.0.0/24`, `10.0.0.7/24` (host bits set) and
 * `10.0.0.0/255.255.255.0` (a dotted mask) are one network.
 *
 * Two subnets conflict when their networks overlap (one contains the
 * other). Azure does not let the subnets of a virtual network overlap, so
 * overlapping declarations can only name one subnet, or one in the address
 * space of the other; krbsim treats both as the same subnet (its choice, the
 * documentation is silent).
 *
 * @module
 */

import { ErrorCode } from '@krbsim/core';
import { LabError } from './lab-error';

/** An IPv4 network: its first address and prefix length. */
export interface Ipv4Network {
  /** The network address as an unsigned 32-bit number (host bits cleared). */
  readonly base: number;
  /** The prefix length, 0 to 32. */
  readonly prefix: number;
}

/** Parses `a.b.c.d/len` or `a.b.c.d/m.m.m.m`; a `LabError` (`invalid-subnet`) names what is wrong. */
export function parseSubnet(subnet: string): Ipv4Network {
  const bad = (why: string) =>
    new LabError(ErrorCode.KDC_ERR_POLICY, `subnet ${JSON.stringify(subnet)} ${why}`, {
      reason: 'invalid-subnet',
    });
  const slash = subnet.indexOf('/');
  if (slash < 0) throw bad('has no prefix length: write it as 10.0.0.0/24');
  const address = parseIpv4(subnet.slice(0, slash));
  if (address === undefined) throw bad('does not start with an IPv4 address');
  const tail = subnet.slice(slash + 1);
  let prefix: number;
  if (/^\d{1,2}$/.test(tail)) {
    prefix = Number(tail);
    if (prefix > 32) throw bad('has a prefix length over 32');
  } else {
    const mask = parseIpv4(tail);
    if (mask === undefined) throw bad('has neither a prefix length nor a dotted mask after the /');
    prefix = Math.clz32(~mask);
    if (maskOf(prefix) !== mask) throw bad('has a mask whose one bits are not contiguous');
  }
  return { base: (address & maskOf(prefix)) >>> 0, prefix };
}

/** True when the two networks share an address (one contains the other). */
export function overlaps(a: Ipv4Network, b: Ipv4Network): boolean {
  const m = maskOf(Math.min(a.prefix, b.prefix));
  return (a.base & m) >>> 0 === (b.base & m) >>> 0;
}

/** `10.0.0.0/24`. */
export function formatNetwork(n: Ipv4Network): string {
  return `${[24, 16, 8, 0].map((s) => (n.base >>> s) & 0xff).join('.')}/${n.prefix}`;
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0) >>> 0;
}
