/**
 * HMAC (RFC 2104) for the per-message MACs, keyed once per derived key.
 *
 *   HMAC(K, m) = H((K ^ opad) | H((K ^ ipad) | m))
 *
 * Every {@link Mac} keeps K ^ ipad and K ^ opad. Two ways to hash a message,
 * and neither makes a native object:
 * - {@link digestHmac}: the two hashes as one-shot digests (`crypto.hash`)
 *   over the pad and the message, read as `binary` (latin1) strings rather
 *   than Buffers. `createHmac` instead re-keys on every call (in OpenSSL 3
 *   HMAC_Init_ex fetches the digest three times, which costs more than
 *   hashing a kilobyte), and a copied `Hash` context is a native object per
 *   message; both leave objects for the garbage collector to finalize.
 * - HMAC-SHA1 (RFC 3962) and HMAC-SHA-256 (RFC 8009, etype 19) also keep the
 *   states after K ^ ipad and K ^ opad as words, and hash a short message in
 *   JavaScript from them ({@link Sha1Hmac}, {@link Sha256Hmac}), where a few
 *   compressions cost less than the two digest calls. The JavaScript SHA-1
 *   and SHA-256 use only 32-bit adds, rotates and bitwise logic, so they run
 *   in constant time. In a fresh process they are not compiled yet, so
 *   during its cold start (./warm-up.ts) every message takes the digests.
 *
 * HMAC-SHA-384 (aes256-cts-hmac-sha384-192) always takes the digests
 * ({@link DigestHmac}): a JavaScript SHA-384 measured no faster (see
 * ./sha256-compress.ts). RFC 4757's HMAC-MD5 calls `createHmac` itself
 * (../rfc4757).
 *
 * All write the MAC into one shared 64-byte result buffer that the caller
 * must use (compare or copy) before the next MAC is computed.
 *
 * @module
 */

import { createHash, hash as digestOnce } from 'node:crypto';
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
 * from {@link digestInput}, which grows to fit them as ./scratch.ts does;
 * a longer one streams through a `createHash` context, where the hashing
 * outweighs the native object.
 */
const DIGEST_INPUT_MAX = 64 * 1024;
/** A pad, then the message or the inner digest, for {@link digestHmac}. Wiped after each use. */
let digestInput = Buffer.alloc(4096);

/** {@link digestInput}, grown to at least `length` bytes (at most {@link DIGEST_INPUT_MAX}). */
function digestBuffer(length: number): Buffer {
  if (length > digestInput.length) {
    digestInput = Buffer.alloc(Math.min(DIGEST_INPUT_MAX, Math.max(length, digestInput.length * 2)));
  }
  return digestInput;
}

/**
 * HMAC(K, a | b) from K's pads with two one-shot digests (`crypto.hash`):
 *
 *   inner = H((K ^ ipad) | a | b),  MAC = H((K ^ opad) | inner)
 *
 * Performance: `createHmac` makes an HMAC context per message (keying it
 * fetches the digest), and a `Hash` copy makes a context too: each a native
 * object for the garbage collector to finalize, and a native context kept
 * per key is state that many keys in use push out of the CPU caches. A
 * one-shot digest makes none. Measured on one HMAC-SHA-384 key: 2.0 us
 * against 3.4 for 32 bytes with `createHmac`, 2.5 against 4.0 for 400;
 * the inner digest of 400 bytes under SHA-1 0.58 us against 0.93 from a
 * `Hash` copy. The digests are read as strings, not Buffers: no ArrayBuffer.
 */
function digestHmac(
  hashName: string,
  ipad: Uint8Array,
  opad: Uint8Array,
  bytes: number,
  a: Uint8Array,
  b?: Uint8Array,
): Uint8Array {
  const block = ipad.length;
  const n = a.length + (b === undefined ? 0 : b.length);
  const input = digestBuffer(Math.min(block + n, DIGEST_INPUT_MAX));
  let inner: string;
  if (block + n <= DIGEST_INPUT_MAX) {
    input.set(ipad, 0);
    input.set(a, block);
    if (b !== undefined) input.set(b, block + a.length);
    inner = digestOnce(hashName, input.subarray(0, block + n), 'binary');
  } else {
    const h = createHash(hashName).update(ipad).update(a);
    if (b !== undefined) h.update(b);
    inner = h.digest('binary');
  }
  input.set(opad, 0);
  input.write(inner, block, 'latin1');
  const mac = digestOnce(hashName, input.subarray(0, block + bytes), 'binary');
  // Security: the pads and the message were here.
  input.fill(0, 0, Math.min(input.length, block + Math.max(n, bytes)));
  return fromBinary(mac, bytes);
}

/** K ^ ipad and K ^ opad, each one `block` long (RFC 2104; a key longer than the block is hashed first). */
function padsOf(hashName: string, key: Uint8Array, block: number): [ipad: Uint8Array, opad: Uint8Array] {
  const k = key.length > block ? createHash(hashName).update(key).digest() : key;
  const ipad = new Uint8Array(block);
  const opad = new Uint8Array(block);
  for (let i = 0; i < block; i++) {
    const x = k[i] ?? 0;
    ipad[i] = x ^ 0x36;
    opad[i] = x ^ 0x5c;
  }
  if (k !== key) k.fill(0); // Security: the hashed key
  return [ipad, opad];
}

/**
 * HMAC on {@link digestHmac} from the key's pads: the whole MAC for the
 * hashes with no JavaScript compression here (SHA-384, and MD5), and the
 * base of {@link Sha1Hmac} and {@link Sha256Hmac}, which hash short messages
 * in JavaScript and hand every other one to this.
 */
class DigestHmac implements Mac {
  readonly bytes: number;
  readonly #hash: string;
  /** K ^ ipad: one block. */
  protected readonly ipad: Uint8Array;
  /** K ^ opad: one block. */
  protected readonly opad: Uint8Array;

  constructor(hashName: string, key: Uint8Array, bytes: number, block: number) {
    this.#hash = hashName;
    this.bytes = bytes;
    [this.ipad, this.opad] = padsOf(hashName, key, block);
  }

  compute(a: Uint8Array, b?: Uint8Array): Uint8Array {
    return digestHmac(this.#hash, this.ipad, this.opad, this.bytes, a, b);
  }
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

/** The first `words` words of `st` as big-endian bytes into `out` (a SHA-1 or SHA-256 state's digest). */
function wordsOut(st: Int32Array, words: number, out: Uint8Array): void {
  for (let i = 0; i < words; i++) {
    const w = st[i]!;
    out[4 * i] = w >>> 24;
    out[4 * i + 1] = (w >>> 16) & 0xff;
    out[4 * i + 2] = (w >>> 8) & 0xff;
    out[4 * i + 3] = w & 0xff;
  }
}

/**
 * The outer hash's one block: the 20-byte inner digest, then (fixed) the
 * 0x80 terminator, zeros and the length, 64 + 20 bytes in bits.
 */
const outerBlock = new Uint8Array(64);
outerBlock[20] = 0x80;
outerBlock[62] = ((64 + 20) * 8) >>> 8;
outerBlock[63] = ((64 + 20) * 8) & 0xff;

/**
 * HMAC-SHA1 of messages up to this long runs in JavaScript (past the cold
 * start): up to eight blocks of message (n + 9 padding bytes <= 512) the
 * compressions cost less than {@link digestHmac}'s two one-shot digests
 * (measured on one key, SHA-NI present: 448 bytes 1.21-1.27 us against
 * 1.31-1.42, 32 bytes 0.50 against 1.12-1.21). An AS exchange's messages
 * (the timestamp, an EncASRepPart, the request body's checksum) all fit.
 */
const SHA1_JS_MAX_BYTES = 503;

/**
 * HMAC-SHA1 keyed once. The pads are kept, and from the first message
 * hashed in JavaScript the SHA-1 states after K ^ ipad and K ^ opad as
 * words. A message up to {@link SHA1_JS_MAX_BYTES} is hashed in JavaScript
 * from those states once the process is past its cold start
 * (./warm-up.ts); any other goes to {@link digestHmac}. Neither path makes
 * a native object.
 */
class Sha1Hmac extends DigestHmac {
  /** The SHA-1 states after K ^ ipad (words 0..4) and after K ^ opad (words 5..9). */
  #states: Int32Array | undefined;

  constructor(key: Uint8Array) {
    super('sha1', key, 20, 64);
  }

  /** The two keyed states, computed in JavaScript. */
  #keyed(): Int32Array {
    const states = new Int32Array(10);
    const st = sha1State;
    st.set(SHA1_IV);
    sha1Compress(st, this.ipad, 0);
    states.set(st, 0);
    st.set(SHA1_IV);
    sha1Compress(st, this.opad, 0);
    states.set(st, 5);
    this.#states = states;
    return states;
  }

  override compute(a: Uint8Array, b?: Uint8Array): Uint8Array {
    const n = a.length + (b === undefined ? 0 : b.length);
    if (n > SHA1_JS_MAX_BYTES || !jsCryptoReady()) return super.compute(a, b);
    const states = this.#states ?? this.#keyed();
    const block = outerBlock;
    const st = sha1State;
    st[0] = states[0]!;
    st[1] = states[1]!;
    st[2] = states[2]!;
    st[3] = states[3]!;
    st[4] = states[4]!;
    sha1Absorb(a);
    if (b !== undefined) sha1Absorb(b);
    sha1Finish(64 + n);
    wordsOut(sha1State, 5, block);
    // Outer hash: the state after K ^ opad, then the one block.
    st[0] = states[5]!;
    st[1] = states[6]!;
    st[2] = states[7]!;
    st[3] = states[8]!;
    st[4] = states[9]!;
    sha1Compress(st, block, 0);
    wordsOut(sha1State, 5, result);
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

/**
 * The outer hash's one block: the 32-byte inner digest, then (fixed) the
 * 0x80 terminator, zeros and the length, 64 + 32 bytes in bits.
 */
const sha256OuterBlock = new Uint8Array(64);
sha256OuterBlock[32] = 0x80;
sha256OuterBlock[62] = ((64 + 32) * 8) >>> 8;
sha256OuterBlock[63] = ((64 + 32) * 8) & 0xff;

/**
 * HMAC-SHA-256 of messages up to this long runs in JavaScript (past the
 * cold start): one block of message (n + 9 <= 64). A JavaScript SHA-256
 * compression costs about three SHA-1 ones, so {@link digestHmac} wins from
 * two blocks on (measured on one key: 32 bytes 0.89-0.92 us against
 * 1.11-1.17, 64 bytes 1.21 against 1.18-1.20, 128 bytes 1.55 against
 * 1.21-1.23). Every KDF input is one block.
 */
const SHA256_JS_MAX_BYTES = 55;

/**
 * HMAC-SHA-256 keyed once, as {@link Sha1Hmac}: messages up to
 * {@link SHA256_JS_MAX_BYTES} in JavaScript from the keyed states once the
 * process is past its cold start, any other through {@link digestHmac}.
 */
class Sha256Hmac extends DigestHmac {
  /** The states after K ^ ipad (words 0..7) and after K ^ opad (words 8..15). */
  #states: Int32Array | undefined;

  constructor(key: Uint8Array) {
    super('sha256', key, 32, 64);
  }

  /** The two keyed states, computed in JavaScript. */
  #keyed(): Int32Array {
    const states = new Int32Array(16);
    const st = sha256State;
    st.set(SHA256_IV);
    sha256Compress(st, this.ipad, 0);
    states.set(st, 0);
    st.set(SHA256_IV);
    sha256Compress(st, this.opad, 0);
    states.set(st, 8);
    this.#states = states;
    return states;
  }

  override compute(a: Uint8Array, b?: Uint8Array): Uint8Array {
    const n = a.length + (b === undefined ? 0 : b.length);
    if (n > SHA256_JS_MAX_BYTES || !jsCryptoReady()) return super.compute(a, b);
    const states = this.#states ?? this.#keyed();
    const st = sha256State;
    const block = sha256OuterBlock;
    for (let i = 0; i < 8; i++) st[i] = states[i]!;
    sha256Absorb(a);
    if (b !== undefined) sha256Absorb(b);
    sha256Finish(64 + n);
    wordsOut(sha256State, 8, block);
    // Outer hash: the state after K ^ opad, then the one block.
    for (let i = 0; i < 8; i++) st[i] = states[8 + i]!;
    sha256Compress(st, block, 0);
    wordsOut(sha256State, 8, result);
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
