/** Test helpers: hand assembly of big-endian byte strings. */

/** Concatenate byte chunks given as numbers (single bytes), arrays or Uint8Arrays. */
export function bytes(...parts: (number | readonly number[] | Uint8Array)[]): Uint8Array {
  const flat: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') flat.push(p);
    else flat.push(...p);
  }
  return Uint8Array.from(flat);
}

/** Big-endian 16-bit. */
export const be16 = (n: number): number[] => [(n >>> 8) & 0xff, n & 0xff];
/** Big-endian 32-bit (two's complement for negatives). */
export const be32 = (n: number): number[] => [
  (n >>> 24) & 0xff,
  (n >>> 16) & 0xff,
  (n >>> 8) & 0xff,
  n & 0xff,
];
/** ASCII bytes. */
export const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
/** A uint16-counted string. */
export const str16 = (s: string): number[] => [...be16(s.length), ...ascii(s)];
/** A uint32-counted string. */
export const str32 = (s: string): number[] => [...be32(s.length), ...ascii(s)];
/** Bytes as lowercase hex. */
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** `n` bytes 0, 1, 2, ... */
export const seq = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => (from + i) & 0xff);
