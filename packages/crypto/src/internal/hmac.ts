/**
 * HMAC (RFC 2104) for the per-message MACs, keyed once per derived key.
 *
 *   HMAC(K, m) = H((K ^ opad) | H((K ^ ipad) | m))
 *
 * Performance: `createHmac` re-keys on every call, and in OpenSSL 3 keying
 * (HMAC_Init_ex, which fetches the digest three times) costs more than
 * hashing a kilobyte. For HMAC-SHA1, the MAC of RFC 3962, a {@link Mac}
 * keeps the SHA-1 states after K ^ ipad and K ^ opad as five words each.
 * A key's first message and any short one are hashed in JavaScript from
 * those states (most keys MAC one message, and for a few blocks a native
 * context is all cost); a longer message copies a native SHA-1 context that
 * has absorbed K ^ ipad (a cheap context copy), made when first needed, and
 * reads its digest as a `binary` (latin1) string rather than a Buffer. The
 * outer hash is always one compression in JavaScript. The JavaScript SHA-1
 * uses only 32-bit adds, rotates and bitwise logic, so it runs in constant
 * time.
 *
 * HMAC-SHA-256, the MAC and the KDF of aes128-cts-hmac-sha256-128 (RFC 8009),
 * is keyed once in the same way ({@link Sha256Hmac}, on ./sha256-compress.ts).
 * HMAC-SHA-384 (aes256-cts-hmac-sha384-192) keeps K ^ ipad and K ^ opad as
 * bytes and hashes each message with two one-shot digests
 * ({@link DigestHmac}), read as strings for the same reason: no native
 * object per message (a JavaScript SHA-384 measured no faster, see
 * ./sha256-compress.ts). RFC 4757's HMAC-MD5 calls `createHmac` itself
 * (../rfc4757).
 *
 * In a fresh process the JavaScript compressions are not compiled yet, so
 * during its cold start (./warm-up.ts) a keyed-once MAC whose states are not
 * built yet hashes with `createHmac` instead, and builds them on its first
 * message after.
 *
 * All write the MAC into one shared 64-byte result buffer that the caller
 * must use (compare or copy) before the next MAC is computed.
 *
 * @module
 */

import { createHash, createHmac, hash as digestOnce, type Hash } from 'node:crypto';
import { sha1Compress } from './sha1-compress';
import { SHA256_IV, sha256Compress } from './sha256-compress';
import { jsCryptoReady } from './warm-up';

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

/**
 * Messages up to this long (with the one-block pad before them) are hashed
 * from {@link digestInput}; a longer one streams through a `createHash`
 * context, where the hashing outweighs the native object.
 */
const DIGEST_INPUT_BYTES = 4096;
/** K ^ ipad | message, for {@link DigestHmac}'s inner one-shot digest. Wiped after each use. */
const digestInput = Buffer.alloc(DIGEST_INPUT_BYTES);

/**
 * HMAC for the hashes with no keyed-once JavaScript state (SHA-384, and
 * MD5), from two one-shot digests (`crypto.hash`):
 *
 *   inner = H((K ^ ipad) | m),  MAC = H((K ^ opad) | inner)
 *
 * Performance: `createHmac` makes an HMAC context per message (keying it
 * fetches the digest, see the module doc), a native object for the garbage
 * collector to finalize; a one-shot digest makes none. Measured on one
 * HMAC-SHA-384 key: 2.0 us against 3.4 for 32 bytes, 2.5 against 4.0 for
 * 400, each digest read as a string. With many keys in use the saving is
 * larger, because freeing native objects then costs more.
 */
class DigestHmac implements Mac {
  readonly bytes: number;
  readonly #hash: string;
  /** K ^ ipad: one block. */
  readonly #ipad: Buffer;
  /** K ^ opad, one block, then room for the inner digest. */
  readonly #outer: Buffer;

  constructor(hash: string, key: Uint8Array, bytes: number, block: number) {
    this.#hash = hash;
    this.bytes = bytes;
    // RFC 2104: keys longer than the block are hashed first.
    const k = key.length > block ? createHash(hash).update(key).digest() : key;
    this.#ipad = Buffer.alloc(block);
    this.#outer = Buffer.alloc(block + bytes);
    for (let i = 0; i < block; i++) {
      const x = k[i] ?? 0;
      this.#ipad[i] = x ^ 0x36;
      this.#outer[i] = x ^ 0x5c;
    }
  }

  compute(a: Uint8Array, b?: Uint8Array): Uint8Array {
    const ipad = this.#ipad;
    const block = ipad.length;
    const n = a.length + (b === undefined ? 0 : b.length);
    let inner: string;
    if (block + n <= DIGEST_INPUT_BYTES) {
      const input = digestInput;
      input.set(ipad, 0);
      input.set(a, block);
      if (b !== undefined) input.set(b, block + a.length);
      inner = digestOnce(this.#hash, input.subarray(0, block + n), 'binary');
      input.fill(0, 0, block + n); // Security: K ^ ipad and the message were here.
    } else {
      const h = createHash(this.#hash).update(ipad).update(a);
      if (b !== undefined) h.update(b);
      inner = h.digest('binary');
    }
    const outer = this.#outer;
    outer.write(inner, block, 'latin1');
    return fromBinary(digestOnce(this.#hash, outer, 'binary'), this.bytes);
  }
}

/**
 * HMAC(K, a | b) on OpenSSL from K ^ ipad, for a keyed-once MAC whose
 * JavaScript state is not built yet during the process's cold start
 * (./warm-up.ts). K ^ ipad ^ 0x36 is K zero-padded to the block, an equal
 * HMAC key (RFC 2104 section 2).
 */
function coldHmac(hash: string, ipad: Uint8Array, bytes: number, a: Uint8Array, b?: Uint8Array): Uint8Array {
  const key = Buffer.allocUnsafe(64);
  for (let i = 0; i < 64; i++) key[i] = ipad[i]! ^ 0x36;
  const h = createHmac(hash, key).update(a);
  key.fill(0);
  if (b !== undefined) h.update(b);
  return fromBinary(h.digest('binary'), bytes);
}

const SHA1_IV = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 | 0];

/**
 * A streaming SHA-1 over module-level scratch (the MACs are synchronous and
 * never re-entered): the state, and up to two blocks of pending bytes.
 */
const sha1State = new Int32Array(5);
const pending = new Uint8Array(128);
let pendingBytes = 0;

/** Absorbs `data` into {@link sha1State}, compressing whole blocks straight from it. */
function sha1Absorb(data: Uint8Array): void {
  let o = 0;
  const n = data.length;
  if (pendingBytes > 0) {
    while (pendingBytes < 64 && o < n) pending[pendingBytes++] = data[o++]!;
    if (pendingBytes < 64) return;
    sha1Compress(sha1State, pending, 0);
    pendingBytes = 0;
  }
  for (; o + 64 <= n; o += 64) sha1Compress(sha1State, data, o);
  while (o < n) pending[pendingBytes++] = data[o++]!;
}

/** Pads (FIPS 180-4 section 5.1.1) for a message of `total` bytes and compresses the rest. */
function sha1Finish(total: number): void {
  const p = pending;
  const end = pendingBytes + 1 + 8 <= 64 ? 64 : 128;
  p[pendingBytes] = 0x80;
  // Performance: byte loops rather than TypedArray#fill, whose call costs
  // more than zeroing a few dozen bytes.
  for (let i = pendingBytes + 1; i < end - 8; i++) p[i] = 0;
  const bits = total * 8;
  const hi = Math.floor(bits / 0x100000000);
  const lo = bits >>> 0;
  p[end - 8] = hi >>> 24;
  p[end - 7] = (hi >>> 16) & 0xff;
  p[end - 6] = (hi >>> 8) & 0xff;
  p[end - 5] = hi & 0xff;
  p[end - 4] = lo >>> 24;
  p[end - 3] = (lo >>> 16) & 0xff;
  p[end - 2] = (lo >>> 8) & 0xff;
  p[end - 1] = lo & 0xff;
  sha1Compress(sha1State, p, 0);
  if (end === 128) sha1Compress(sha1State, p, 64);
  for (let i = 0; i < end; i++) p[i] = 0; // Security: the pending bytes were message bytes.
  pendingBytes = 0;
}

/**
 * The outer hash's one block: the 20-byte inner digest, then (fixed) the
 * 0x80 terminator, zeros and the length, 64 + 20 bytes in bits.
 */
const outerBlock = new Uint8Array(64);
outerBlock[20] = 0x80;
outerBlock[62] = ((64 + 20) * 8) >>> 8;
outerBlock[63] = ((64 + 20) * 8) & 0xff;
/** Scratch for K ^ opad while keying. */
const opadBlock = new Uint8Array(64);

/**
 * HMAC-SHA1 of messages up to this long runs wholly in JavaScript even on a
 * key's later messages: up to eight blocks of message (n + 9 padding bytes
 * <= 512), the compressions cost less than copying a native SHA-1 context
 * (a new native object per message), which wins from nine (measured on one
 * key, SHA-NI present: 480 bytes 1.21 us against 1.27, 544 bytes 1.35
 * against 1.31). Below it a key keeps no native context at all, which also
 * matters with many keys: an AS exchange's messages (the timestamp, an
 * EncASRepPart, the request body's checksum) all fit.
 */
const SHA1_JS_MAX_BYTES = 503;

/**
 * HMAC-SHA1 keyed once. The states after K ^ ipad and K ^ opad are kept as
 * words. A key's first message, and any short one, is hashed in JavaScript
 * from those states: most keys MAC one message (an AP-REQ's session key),
 * and for them a native context is all cost. Longer messages copy a native
 * SHA-1 context that has absorbed K ^ ipad, made on first need; the outer
 * hash is always one compression here.
 */
class Sha1Hmac implements Mac {
  readonly bytes = 20;
  /** K ^ ipad, for the native inner context when one is first needed. */
  readonly #ipad = new Uint8Array(64);
  #inner: Hash | undefined;
  #used = false;
  /**
   * The SHA-1 states after K ^ ipad (words 0..4) and after K ^ opad (words
   * 5..9), made by the first message hashed in JavaScript.
   */
  #states: Int32Array | undefined;

  constructor(key: Uint8Array) {
    // RFC 2104: keys longer than the 64-byte block are hashed first.
    const k = key.length > 64 ? createHash('sha1').update(key).digest() : key;
    const pad = this.#ipad;
    pad.set(k);
    for (let i = 0; i < 64; i++) pad[i]! ^= 0x36;
  }

  /** The two keyed states, computed in JavaScript. */
  #keyed(): Int32Array {
    const states = new Int32Array(10);
    const pad = this.#ipad;
    const st = sha1State;
    st.set(SHA1_IV);
    sha1Compress(st, pad, 0);
    states.set(st, 0);
    const opad = opadBlock; // wiped below
    // (K ^ ipad) ^ (0x36 ^ 0x5c) = K ^ opad.
    for (let i = 0; i < 64; i++) opad[i] = pad[i]! ^ 0x6a;
    st.set(SHA1_IV);
    sha1Compress(st, opad, 0);
    states.set(st, 5);
    opad.fill(0);
    this.#states = states;
    return states;
  }

  compute(a: Uint8Array, b?: Uint8Array): Uint8Array {
    if (this.#states === undefined && !jsCryptoReady()) {
      this.#used = true;
      return coldHmac('sha1', this.#ipad, 20, a, b);
    }
    const states = this.#states ?? this.#keyed();
    const n = a.length + (b === undefined ? 0 : b.length);
    const block = outerBlock;
    const st = sha1State;
    if (!this.#used || n <= SHA1_JS_MAX_BYTES) {
      this.#used = true;
      const inner = states;
      st[0] = inner[0]!;
      st[1] = inner[1]!;
      st[2] = inner[2]!;
      st[3] = inner[3]!;
      st[4] = inner[4]!;
      sha1Absorb(a);
      if (b !== undefined) sha1Absorb(b);
      sha1Finish(64 + n);
      for (let i = 0; i < 5; i++) {
        const w = st[i]!;
        block[4 * i] = w >>> 24;
        block[4 * i + 1] = (w >>> 16) & 0xff;
        block[4 * i + 2] = (w >>> 8) & 0xff;
        block[4 * i + 3] = w & 0xff;
      }
    } else {
      this.#inner ??= createHash('sha1').update(this.#ipad);
      const h = this.#inner.copy().update(a);
      if (b !== undefined) h.update(b);
      // Performance: a binary (latin1) string, not a Buffer: no ArrayBuffer.
      const inner = h.digest('binary');
      for (let i = 0; i < 20; i++) block[i] = inner.charCodeAt(i);
    }
    // Outer hash: the state after K ^ opad, then the one block.
    const outer = states;
    st[0] = outer[5]!;
    st[1] = outer[6]!;
    st[2] = outer[7]!;
    st[3] = outer[8]!;
    st[4] = outer[9]!;
    sha1Compress(st, block, 0);
    for (let i = 0; i < 5; i++) {
      const w = st[i]!;
      result[4 * i] = w >>> 24;
      result[4 * i + 1] = (w >>> 16) & 0xff;
      result[4 * i + 2] = (w >>> 8) & 0xff;
      result[4 * i + 3] = w & 0xff;
    }
    return result;
  }
}

/** Streaming SHA-256 scratch, as for SHA-1 above: the state and up to two blocks of pending bytes. */
const sha256State = new Int32Array(8);
const sha256Pending = new Uint8Array(128);
let sha256PendingBytes = 0;

function sha256Absorb(data: Uint8Array): void {
  let o = 0;
  const n = data.length;
  if (sha256PendingBytes > 0) {
    while (sha256PendingBytes < 64 && o < n) sha256Pending[sha256PendingBytes++] = data[o++]!;
    if (sha256PendingBytes < 64) return;
    sha256Compress(sha256State, sha256Pending, 0);
    sha256PendingBytes = 0;
  }
  for (; o + 64 <= n; o += 64) sha256Compress(sha256State, data, o);
  while (o < n) sha256Pending[sha256PendingBytes++] = data[o++]!;
}

/** Pads (FIPS 180-4 section 5.1.1) for a message of `total` bytes and compresses the rest. */
function sha256Finish(total: number): void {
  const p = sha256Pending;
  const end = sha256PendingBytes + 1 + 8 <= 64 ? 64 : 128;
  p[sha256PendingBytes] = 0x80;
  for (let i = sha256PendingBytes + 1; i < end - 8; i++) p[i] = 0;
  const bits = total * 8;
  const hi = Math.floor(bits / 0x100000000);
  const lo = bits >>> 0;
  p[end - 8] = hi >>> 24;
  p[end - 7] = (hi >>> 16) & 0xff;
  p[end - 6] = (hi >>> 8) & 0xff;
  p[end - 5] = hi & 0xff;
  p[end - 4] = lo >>> 24;
  p[end - 3] = (lo >>> 16) & 0xff;
  p[end - 2] = (lo >>> 8) & 0xff;
  p[end - 1] = lo & 0xff;
  sha256Compress(sha256State, p, 0);
  if (end === 128) sha256Compress(sha256State, p, 64);
  for (let i = 0; i < end; i++) p[i] = 0; // Security: the pending bytes were message bytes.
  sha256PendingBytes = 0;
}

/** The state as 32 big-endian bytes into `out`. */
function sha256Output(out: Uint8Array): void {
  const st = sha256State;
  for (let i = 0; i < 8; i++) {
    const w = st[i]!;
    out[4 * i] = w >>> 24;
    out[4 * i + 1] = (w >>> 16) & 0xff;
    out[4 * i + 2] = (w >>> 8) & 0xff;
    out[4 * i + 3] = w & 0xff;
  }
}

/**
 * The outer hash's one block: the 32-byte inner digest, then (fixed) the
 * 0x80 terminator, zeros and the length, 64 + 32 bytes in bits.
 */
const sha256OuterBlock = new Uint8Array(64);
sha256OuterBlock[32] = 0x80;
sha256OuterBlock[62] = ((64 + 32) * 8) >>> 8;
sha256OuterBlock[63] = ((64 + 32) * 8) & 0xff;

/**
 * HMAC-SHA-256 messages up to this long run wholly in JavaScript even on a
 * key's later messages (a KDF input is one block; an etype-19 MAC covers
 * IV | C, 16 bytes more than the ciphertext). On one key the native context
 * copy wins from three blocks (320 bytes: 2.56 us against 1.72), but a key
 * that keeps a native context costs more once many keys are in use: with
 * the limit at 119 bytes an etype-19 AS exchange with 1,000 users in turn
 * took 93-99 us against 82-89 at 320, and one user's the same.
 */
const SHA256_JS_MAX_BYTES = 320;

/**
 * HMAC-SHA-256 keyed once, as {@link Sha1Hmac}: the states after K ^ ipad
 * and K ^ opad are kept; a key's first message, and any short one, is hashed
 * in JavaScript from them; longer messages copy a native context that
 * absorbed K ^ ipad, made on first need; the outer hash is always one
 * compression here.
 */
class Sha256Hmac implements Mac {
  readonly bytes = 32;
  /** K ^ ipad, for the native inner context when one is first needed. */
  readonly #ipad = new Uint8Array(64);
  #inner: Hash | undefined;
  #used = false;
  /**
   * The states after K ^ ipad (words 0..7) and after K ^ opad (words 8..15),
   * made by the first message hashed in JavaScript.
   */
  #states: Int32Array | undefined;

  constructor(key: Uint8Array) {
    // RFC 2104: keys longer than the 64-byte block are hashed first.
    const k = key.length > 64 ? createHash('sha256').update(key).digest() : key;
    const pad = this.#ipad;
    pad.set(k);
    for (let i = 0; i < 64; i++) pad[i]! ^= 0x36;
  }

  /** The two keyed states, computed in JavaScript. */
  #keyed(): Int32Array {
    const states = new Int32Array(16);
    const pad = this.#ipad;
    const st = sha256State;
    st.set(SHA256_IV);
    sha256Compress(st, pad, 0);
    states.set(st, 0);
    const opad = sha256Pending; // scratch, wiped below
    for (let i = 0; i < 64; i++) opad[i] = pad[i]! ^ 0x6a; // (K ^ ipad) ^ (0x36 ^ 0x5c) = K ^ opad
    st.set(SHA256_IV);
    sha256Compress(st, opad, 0);
    states.set(st, 8);
    opad.fill(0, 0, 64);
    this.#states = states;
    return states;
  }

  compute(a: Uint8Array, b?: Uint8Array): Uint8Array {
    if (this.#states === undefined && !jsCryptoReady()) {
      this.#used = true;
      return coldHmac('sha256', this.#ipad, 32, a, b);
    }
    const states = this.#states ?? this.#keyed();
    const n = a.length + (b === undefined ? 0 : b.length);
    const st = sha256State;
    const block = sha256OuterBlock;
    if (!this.#used || n <= SHA256_JS_MAX_BYTES) {
      this.#used = true;
      for (let i = 0; i < 8; i++) st[i] = states[i]!;
      sha256Absorb(a);
      if (b !== undefined) sha256Absorb(b);
      sha256Finish(64 + n);
      sha256Output(block);
    } else {
      this.#inner ??= createHash('sha256').update(this.#ipad);
      const inner = this.#inner.copy().update(a);
      if (b !== undefined) inner.update(b);
      // Performance: a binary (latin1) string, not a Buffer: no ArrayBuffer.
      const digest = inner.digest('binary');
      for (let i = 0; i < 32; i++) block[i] = digest.charCodeAt(i);
    }
    // Outer hash: the state after K ^ opad, then the one block.
    for (let i = 0; i < 8; i++) st[i] = states[8 + i]!;
    sha256Compress(st, block, 0);
    sha256Output(result);
    return result;
  }
}

/** Output and block lengths of the hashes {@link DigestHmac} serves. */
const DIGEST_SIZES: Readonly<Record<string, { bytes: number; block: number }>> = {
  sha384: { bytes: 48, block: 128 },
  md5: { bytes: 16, block: 64 },
};

/** A {@link Mac} for HMAC-`hashName` under `key`, keyed once. */
export function hmacFor(hashName: string, key: Uint8Array): Mac {
  if (hashName === 'sha1') return new Sha1Hmac(key);
  if (hashName === 'sha256') return new Sha256Hmac(key);
  const sizes = DIGEST_SIZES[hashName];
  if (sizes === undefined) throw new Error(`no HMAC sizes for ${hashName}`); // unreachable: etype records
  return new DigestHmac(hashName, key, sizes.bytes, sizes.block);
}

/** Constant-time comparison of the first `length` MAC bytes with `bytes[offset..]`. */
export function macEquals(mac: Uint8Array, bytes: Uint8Array, offset: number, length: number): boolean {
  let diff = 0;
  for (let i = 0; i < length; i++) diff |= mac[i]! ^ bytes[offset + i]!;
  return diff === 0;
}
