/**
 * A tiny DER writer for tests that build inputs by hand: definite lengths in
 * their shortest form (X.690 section 10.1), nothing checked. Independent of
 * `@krbsim/asn1` on purpose, so a test can hold the codec to bytes it did not
 * write, including bytes the codec would refuse to write.
 *
 * @module
 */

import { concatBytes } from '@krbsim/core';
import { derLength } from './tlv';

/** A TLV: `tag`, the length of the parts together, the parts. */
export function tlv(tag: number, ...parts: readonly Uint8Array[]): Uint8Array {
  const content = concatBytes([...parts]);
  return concatBytes([Uint8Array.of(tag), derLength(content.length), content]);
}

/** `SEQUENCE { parts }`. */
export function derSeq(...parts: readonly Uint8Array[]): Uint8Array {
  return tlv(0x30, ...parts);
}

/** An INTEGER from a non-negative safe integer, in the fewest octets (a leading 0 when the top bit is set). */
export function derInt(v: number): Uint8Array {
  if (!Number.isSafeInteger(v) || v < 0)
    throw new RangeError(`derInt: ${v} is not a non-negative safe integer`);
  const bytes: number[] = [];
  let x = v;
  do {
    bytes.unshift(x % 256);
    x = Math.floor(x / 256);
  } while (x > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, Uint8Array.from(bytes));
}

/** An OBJECT IDENTIFIER from its dotted text (`1.3.6.1.5.2.3.1`), base-128 arcs. */
export function derOid(text: string): Uint8Array {
  const arcs = text.split('.').map(Number);
  const out: number[] = [];
  for (const v of [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)]) {
    const enc = [v & 0x7f];
    for (let a = Math.floor(v / 128); a > 0; a = Math.floor(a / 128)) enc.unshift(0x80 | (a & 0x7f));
    out.push(...enc);
  }
  return tlv(0x06, Uint8Array.from(out));
}
