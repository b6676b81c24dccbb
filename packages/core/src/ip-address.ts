/**
 * IP addresses as octets: 4 for IPv4, 16 for IPv6 (a trailing dotted quad
 * and `::` read as RFC 4291 section 2.2 writes them), for an iPAddress
 * GeneralName (RFC 5280 section 4.2.1.6) and a HostAddress (RFC 4120 section
 * 5.2.5).
 *
 * @module
 */

import { isIP } from 'node:net';
import { ErrorCode } from './iana/error-codes';
import { KerberosError } from './kerberos-error';

/**
 * The octets of an IPv4 (4) or IPv6 (16) address in text.
 *
 * @throws KerberosError KRB_ERR_GENERIC for text that is no IP address.
 */
export function ipAddressBytes(text: string): Uint8Array {
  const kind = isIP(text);
  if (kind === 4) return Uint8Array.from(text.split('.').map(Number));
  if (kind !== 6)
    throw new KerberosError(ErrorCode.KRB_ERR_GENERIC, `${JSON.stringify(text)} is not an IP address`);
  let s = text;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    s = s.slice(0, -v4[1]!.length);
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const [head, rest] = s.split('::') as [string, string | undefined];
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const left = groups(head);
  const right = [...(rest === undefined ? [] : groups(rest)), ...tail];
  const words =
    rest === undefined
      ? [...left, ...right]
      : [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}
