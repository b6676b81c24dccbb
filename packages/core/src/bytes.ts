/**
 * Byte-array helpers more than one package needs and that belong to no
 * protocol: the wire framing of the transports (pcap records), the fuzzers'
 * hand-built DER, the KDC's last-resort KRB-ERROR.
 *
 * @module
 */

/**
 * The concatenation of `parts` in a new array (the inputs are not kept).
 * Plain number arrays are accepted too, for hand-built byte strings such as
 * `concatBytes([[0x30], length, content])`; each number is stored modulo
 * 256, as `Uint8Array.prototype.set` does. One array argument rather than
 * rest parameters, so a pcap of many thousand records needs no argument
 * spread.
 */
export function concatBytes(parts: readonly ArrayLike<number>[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * True when `a` and `b` hold the same bytes. Not constant-time: for names, IDs, addresses and
 * cache lookups; a MAC or other secret is compared with `@krbsim/crypto`'s constant-time check.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
