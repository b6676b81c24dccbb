/**
 * HMAC (RFC 2104) for the per-message MACs, keyed once per derived key.
 *
 *   HMAC(K, m) = H((K ^ opad) | H((K ^ ipad) | m))
 *
 * Performance: `createHmac` re-keys on every call, and in OpenSSL 3 keying
 * (HMAC_Init_ex, which fetches the digest three times) costs more than
 * hashing a kilobyte. For HMAC-SHA1, the MAC of RFC 3962, a {@link Mac}
 * keeps a SHA-1 context that has absorbed K ^ ipad and copies it per message
 * (a cheap context copy), and keeps the SHA-1 state after K ^ opad as five
 * words, so the outer hash is a single compression function run here in
 * JavaScript on the 20-byte inner digest. About a third less CPU than
 * `createHmac` per message, and no Buffer: the inner digest comes back as a
 * `binary` (latin1) string. The JavaScript compression uses only 32-bit adds,
 * rotates and bitwise logic, so it runs in constant time.
 *
 * Other hashes (SHA-256 and SHA-384 for RFC 8009, MD5 for RFC 4757) use
 * `createHmac` per message, with the digest read as a string for the same
 * reason.
 *
 * Both write the MAC into one shared 64-byte result buffer that the caller
 * must use (compare or copy) before the next MAC is computed.
 *
 * @module
 */

import { createHash, createHmac, type Hash } from 'node:crypto';

/** A keyed MAC function. */
export interface Mac {
  /** Number of MAC bytes {@link Mac.compute} produces (the full hash length). */
  readonly bytes: number;
  /**
   * HMAC(key, a | b). Returns the shared result buffer (valid until the next
   * MAC is computed), whose first {@link Mac.bytes} bytes are the MAC.
   */
  compute(a: Uint8Array, b?: Uint8Array): Uint8Array;
}

const result = new Uint8Array(64);

/** Copies the first `n` char codes of a binary (latin1) digest string into `result`. */
function fromBinary(digest: string, n: number): Uint8Array {
  for (let i = 0; i < n; i++) result[i] = digest.charCodeAt(i);
  return result;
}

/** HMAC with `createHmac` per message (any hash OpenSSL knows). */
class NodeHmac implements Mac {
  readonly bytes: number;
  readonly #hash: string;
  readonly #key: Buffer;

  constructor(hash: string, key: Uint8Array, bytes: number) {
    this.#hash = hash;
    this.#key = Buffer.from(key);
    this.bytes = bytes;
  }

  compute(a: Uint8Array, b?: Uint8Array): Uint8Array {
    const h = createHmac(this.#hash, this.#key).update(a);
    if (b !== undefined) h.update(b);
    return fromBinary(h.digest('binary'), this.bytes);
  }
}

// SHA-1 (FIPS 180-4 section 6.1.2): one compression of a 16-word block.
const schedule = new Int32Array(80);

function sha1Compress(state: Int32Array, block: Int32Array): void {
  const w = schedule;
  for (let t = 0; t < 16; t++) w[t] = block[t]!;
  for (let t = 16; t < 80; t++) {
    const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
    w[t] = (x << 1) | (x >>> 31); // ROTL^1
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  // Four rounds of 20 steps; one loop each so no step branches on t.
  // temp = ROTL^5(a) + f(b, c, d) + e + K + W[t]; e = d; d = c; c = ROTL^30(b); b = a; a = temp
  for (let t = 0; t < 20; t++) {
    const temp = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[t]!) | 0; // Ch
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = temp;
  }
  for (let t = 20; t < 40; t++) {
    const temp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[t]!) | 0; // Parity
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = temp;
  }
  for (let t = 40; t < 60; t++) {
    const temp = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + 0x8f1bbcdc + w[t]!) | 0; // Maj
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = temp;
  }
  for (let t = 60; t < 80; t++) {
    const temp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0xca62c1d6 + w[t]!) | 0; // Parity
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = temp;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
}

const SHA1_IV = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 | 0];
const outerState = new Int32Array(5);
const outerBlock = new Int32Array(16);

/** HMAC-SHA1 keyed once: a copied inner context, and the outer hash in JavaScript. */
class Sha1Hmac implements Mac {
  readonly bytes = 20;
  readonly #inner: Hash;
  readonly #outer = new Int32Array(5);

  constructor(key: Uint8Array) {
    // RFC 2104: keys longer than the 64-byte block are hashed first.
    const k = key.length > 64 ? createHash('sha1').update(key).digest() : key;
    const pad = new Uint8Array(64);
    pad.set(k);
    for (let i = 0; i < 64; i++) pad[i] ^= 0x36;
    this.#inner = createHash('sha1').update(pad);
    const words = new Int32Array(16);
    for (let i = 0; i < 16; i++) {
      // (K ^ ipad) ^ (0x36 ^ 0x5c) = K ^ opad, as big-endian words.
      const j = 4 * i;
      words[i] =
        ((pad[j]! ^ 0x6a) << 24) |
        ((pad[j + 1]! ^ 0x6a) << 16) |
        ((pad[j + 2]! ^ 0x6a) << 8) |
        (pad[j + 3]! ^ 0x6a);
    }
    this.#outer.set(SHA1_IV);
    sha1Compress(this.#outer, words);
    pad.fill(0);
    words.fill(0);
  }

  compute(a: Uint8Array, b?: Uint8Array): Uint8Array {
    const h = this.#inner.copy().update(a);
    if (b !== undefined) h.update(b);
    const inner = h.digest('binary');
    // Outer hash: state after K ^ opad, then one block holding the 20-byte
    // inner digest, the 0x80 terminator and the length (64 + 20 bytes, in bits).
    const block = outerBlock;
    for (let i = 0; i < 5; i++) {
      const j = 4 * i;
      block[i] =
        (inner.charCodeAt(j) << 24) |
        (inner.charCodeAt(j + 1) << 16) |
        (inner.charCodeAt(j + 2) << 8) |
        inner.charCodeAt(j + 3);
    }
    block[5] = 0x80000000 | 0;
    block.fill(0, 6, 15);
    block[15] = (64 + 20) * 8;
    const state = outerState;
    state.set(this.#outer);
    sha1Compress(state, block);
    for (let i = 0; i < 5; i++) {
      const s = state[i]!;
      result[4 * i] = s >>> 24;
      result[4 * i + 1] = (s >>> 16) & 0xff;
      result[4 * i + 2] = (s >>> 8) & 0xff;
      result[4 * i + 3] = s & 0xff;
    }
    return result;
  }
}

const OUTPUT_BYTES: Readonly<Record<string, number>> = { sha1: 20, sha256: 32, sha384: 48, md5: 16 };

/** A {@link Mac} for HMAC-`hash` under `key`, keyed once. */
export function hmacFor(hash: string, key: Uint8Array): Mac {
  if (hash === 'sha1') return new Sha1Hmac(key);
  const bytes = OUTPUT_BYTES[hash];
  if (bytes === undefined) throw new Error(`no HMAC output length for ${hash}`); // unreachable: etype records
  return new NodeHmac(hash, key, bytes);
}

/** Constant-time comparison of the first `length` MAC bytes with `bytes[offset..]`. */
export function macEquals(mac: Uint8Array, bytes: Uint8Array, offset: number, length: number): boolean {
  let diff = 0;
  for (let i = 0; i < length; i++) diff |= mac[i]! ^ bytes[offset + i]!;
  return diff === 0;
}
