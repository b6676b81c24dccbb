/**
 * MD4, RFC 1320, in TypeScript.
 *
 * rc4-hmac's string-to-key is MD4 of the UTF-16LE password (RFC 4757
 * section 3), and Node 20's OpenSSL 3 only offers MD4 through the legacy
 * provider, which is not loaded by default. MD4 is broken as a hash; it is
 * here only because that key derivation is fixed by the protocol. Cold path:
 * once per password.
 *
 * @module
 */

// Per-round message word order and rotation amounts (RFC 1320 section 3.4).
const ORDER_2 = [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15];
const ORDER_3 = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15];
const SHIFT_1 = [3, 7, 11, 19];
const SHIFT_2 = [3, 5, 9, 13];
const SHIFT_3 = [3, 9, 11, 15];

function rotl(x: number, s: number): number {
  return (x << s) | (x >>> (32 - s));
}

/**
 * MD4(data), 16 bytes.
 *
 * @example
 * ```ts
 * md4(new Uint8Array(0)); // 31d6cfe0d16ae931b73c59d7e0c089c0
 * ```
 */
export function md4(data: Uint8Array): Uint8Array {
  // Step 1-2: append 0x80, zero-pad to 56 mod 64, append the bit length (64-bit little-endian).
  const length = data.length;
  const total = (((length + 8) >>> 6) + 1) << 6;
  const msg = new Uint8Array(total);
  msg.set(data);
  msg[length] = 0x80;
  const view = new DataView(msg.buffer);
  view.setUint32(total - 8, (length * 8) >>> 0, true);
  view.setUint32(total - 4, Math.floor(length / 0x20000000), true);

  // Step 3: the four state words.
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  const x = new Array<number>(16);
  const v = [0, 0, 0, 0];
  for (let block = 0; block < total; block += 64) {
    for (let i = 0; i < 16; i++) x[i] = view.getUint32(block + 4 * i, true);
    v[0] = h[0]!;
    v[1] = h[1]!;
    v[2] = h[2]!;
    v[3] = h[3]!;
    // Step i updates a, d, c, b, a, ... in turn: target t = (4 - i mod 4) mod 4,
    // and the function takes the three words that follow it (b, c, d for a).
    for (let i = 0; i < 48; i++) {
      const t = (4 - (i & 3)) & 3;
      const b = v[(t + 1) & 3]!;
      const c = v[(t + 2) & 3]!;
      const d = v[(t + 3) & 3]!;
      let f: number;
      let k: number;
      let s: number;
      if (i < 16) {
        f = (b & c) | (~b & d); // F(X,Y,Z) = XY v not(X) Z
        k = x[i]!;
        s = SHIFT_1[i & 3]!;
      } else if (i < 32) {
        f = ((b & c) | (b & d) | (c & d)) + 0x5a827999; // G(X,Y,Z) = XY v XZ v YZ, plus sqrt(2) constant
        k = x[ORDER_2[i - 16]!]!;
        s = SHIFT_2[i & 3]!;
      } else {
        f = (b ^ c ^ d) + 0x6ed9eba1; // H(X,Y,Z) = X xor Y xor Z, plus sqrt(3) constant
        k = x[ORDER_3[i - 32]!]!;
        s = SHIFT_3[i & 3]!;
      }
      v[t] = rotl((v[t]! + f + k) | 0, s);
    }
    for (let i = 0; i < 4; i++) h[i] = (h[i]! + v[i]!) | 0;
  }
  const out = new Uint8Array(16);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) outView.setUint32(4 * i, h[i]! >>> 0, true);
  msg.fill(0); // Security: the message is a password.
  x.fill(0);
  return out;
}
