/**
 * AES in CBC mode with ciphertext stealing (CBC-CS3), RFC 3962 section 5,
 * as used by RFC 3962 and RFC 8009: IV zero, no padding, and the last two
 * blocks swapped, the final one truncated to the message length. A message of
 * exactly one block is plain AES (ECB); the protocols here always send at
 * least one block, because every plaintext starts with a 16-byte confounder.
 *
 * Encrypt, for n > 16 bytes in m = ceil(n / 16) blocks:
 *   C1..Cm = CBC-Encrypt(P1..Pm zero-padded), IV = 0
 *   output = C1 .. C(m-2) | Cm | first r bytes of C(m-1),  r = n - 16(m-1)
 * Decrypt inverts it: D = Decrypt(Cm) = Pm-padded XOR C(m-1), so the stolen
 * tail of C(m-1) is D[r..16], then P(m-1) = Decrypt(C(m-1)) XOR C(m-2).
 *
 * (This module also has the one-shot AES-CBC helper of DR key derivation
 * and the RFC 3962 PRF.)
 *
 * Performance: a key's first message, when short, runs on the JavaScript AES
 * (internal/aes.ts), because most keys are used once (an AP-REQ's session
 * key decrypts one authenticator) and for a few blocks an OpenSSL context
 * costs far more to create and collect than the AES work. From its second
 * message, or for a long first one, an {@link AesCts} uses one OpenSSL CBC
 * encrypt context and one CBC decrypt context for its key, each created
 * when first needed and reused for every message. A CBC context carries its
 * chaining value from one update() to the next; we track that value and
 * cancel it by XOR-ing it into the first block, which makes every message
 * start from IV = 0 without a new context.
 * Each message is one update() call (two for a decrypt whose last block is
 * partial: the stolen bytes come out of the first call), writing into the
 * buffer Node returns; only 16-byte fix-ups run in JavaScript.
 *
 * @module
 */

import { type Cipher, createCipheriv, createDecipheriv, type Decipher } from 'node:crypto';
import { decryptBlock, encryptBlock, expandKey, invertSchedule, SCHEDULE_WORDS } from '../internal/aes';
import { invalidInput } from '../internal/errors';
import { block16, scratch } from '../internal/scratch';
import { stats } from '../internal/stats';
import { jsCryptoReady } from '../internal/warm-up';

const ZERO_IV = new Uint8Array(16);

/**
 * The longest first message run on the JavaScript AES. Above it an OpenSSL
 * context is cheaper even for one message (JS AES-256 costs about 0.12 us a
 * block; a context about 2-3 us to create and collect).
 */
export const ONE_SHOT_MAX_BYTES = 512;

// Key schedules for the one-shot paths: the calls are synchronous and never
// re-entered, so two shared arrays serve them all. Wiped after each use.
const encSchedule = new Int32Array(SCHEDULE_WORDS);
const decSchedule = new Int32Array(SCHEDULE_WORDS);

/** The OpenSSL cipher name for AES in `mode` with a key of `key.length` bytes. */
export function aesName(key: Uint8Array, mode: 'cbc' | 'ecb'): string {
  if (key.length === 16) return `aes-128-${mode}`;
  if (key.length === 32) return `aes-256-${mode}`;
  throw invalidInput(`AES key must be 16 or 32 bytes, got ${key.length}`);
}

/**
 * One-shot AES-CBC encryption with a zero IV and no padding; `data` is whole
 * blocks. For DR key derivation and the RFC 3962 PRF: a few blocks under a
 * key that is then dropped, so it runs on the JavaScript AES (on OpenSSL
 * during the process's cold start, internal/warm-up.ts).
 * For DR this yields E(K1) | E(E(K1)) | ... when `data` is K1 then zeros.
 */
export function aesCbcEncrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  const name = aesName(key, 'cbc'); // validates the key length
  if (!jsCryptoReady()) {
    // A fresh process: OpenSSL until the JavaScript AES is compiled (internal/warm-up.ts).
    const out = createCipheriv(name, key, ZERO_IV).setAutoPadding(false).update(data);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }
  const out = new Uint8Array(data.length);
  const rounds = expandKey(key, encSchedule);
  for (let o = 0; o < data.length; o += 16) {
    encryptBlock(encSchedule, rounds, data, o, o === 0 ? ZERO_IV : out, o === 0 ? 0 : o - 16, out, o);
  }
  encSchedule.fill(0);
  return out;
}

/**
 * Bytes of staging space {@link AesCts.encrypt} needs for an `n`-byte message
 * whose output must leave `room` free bytes after the ciphertext.
 */
export function ctsSpace(n: number, room: number): number {
  const padded = ((n + 15) >>> 4) << 4;
  const spare = padded - n;
  return spare >= room ? padded : padded + ((room - spare + 15) & ~15);
}

/**
 * Swaps C(m-1) and Cm of a CBC output of m >= 2 blocks, keeping the first
 * r = n - 16(m-1) bytes of C(m-1) (the stolen ciphertext) and zeroing the
 * rest of that block.
 */
function stealLastBlock(out: Uint8Array, n: number, m: number): void {
  const a = (m - 2) << 4;
  const b = a + 16;
  const r = n - b;
  for (let i = 0; i < 16; i++) {
    const stolen = out[a + i]!;
    out[a + i] = out[b + i]!;
    out[b + i] = i < r ? stolen : 0;
  }
}

/** AES-CTS for one key: the first short message in JavaScript, then persistent OpenSSL contexts. */
export class AesCts {
  /** Ke: for the JavaScript path and the lazily made contexts (OpenSSL's hold it anyway). */
  readonly #key: Uint8Array;
  /** False until the first message: that one may run in JavaScript. */
  #used = false;
  /** Made on the first encrypt that uses OpenSSL. */
  #enc: Cipher | undefined;
  /** Made on the first decrypt that uses OpenSSL. */
  #dec: Decipher | undefined;
  /** The CBC chaining value inside #enc: the last ciphertext block it produced (made with #enc). */
  #encChain: Uint8Array | undefined;
  /** The CBC chaining value inside #dec: the last ciphertext block it consumed (made with #dec). */
  #decChain: Uint8Array | undefined;

  constructor(key: Uint8Array) {
    aesName(key, 'cbc'); // validates the key length
    this.#key = new Uint8Array(key);
    stats.engines++;
  }

  /**
   * True when this message runs in JavaScript: the key's first, short, and
   * the process past its cold start (internal/warm-up.ts).
   */
  #oneShot(n: number): boolean {
    if (this.#used) return false;
    this.#used = true;
    return n <= ONE_SHOT_MAX_BYTES && jsCryptoReady();
  }

  /**
   * CTS-encrypts the `n` bytes (n >= 16) at the start of `buf`.
   *
   * `buf` must be at least {@link ctsSpace}(n, room) bytes; the call clobbers
   * it. Returns a buffer whose first `n` bytes are the ciphertext, followed by
   * at least `room` zero bytes for the caller's MAC.
   */
  encrypt(buf: Uint8Array, n: number, room: number): Uint8Array {
    const m = (n + 15) >>> 4;
    const total = ctsSpace(n, room);
    buf.fill(0, n, total);
    let out: Uint8Array;
    if (this.#oneShot(n)) {
      out = Buffer.allocUnsafe(total);
      const rounds = expandKey(this.#key, encSchedule);
      encryptBlock(encSchedule, rounds, buf, 0, ZERO_IV, 0, out, 0);
      for (let o = 16; o < m << 4; o += 16) encryptBlock(encSchedule, rounds, buf, o, out, o - 16, out, o);
      encSchedule.fill(0);
    } else {
      if (this.#enc === undefined) {
        this.#enc = createCipheriv(aesName(this.#key, 'cbc'), this.#key, ZERO_IV).setAutoPadding(false);
        this.#encChain = new Uint8Array(16);
      }
      const chain = this.#encChain!;
      // CBC computes C1 = E(P1 ^ chain); feeding P1 ^ chain makes it E(P1), IV 0.
      for (let i = 0; i < 16; i++) buf[i]! ^= chain[i]!;
      out = this.#enc.update(buf.subarray(0, total));
      // Performance: byte loops, not Buffer#subarray/#set/#fill, for 16-byte
      // moves: they allocate nothing and skip Buffer's argument checks.
      for (let i = 0; i < 16; i++) chain[i] = out[total - 16 + i]!;
    }
    if (m > 1) stealLastBlock(out, n, m);
    for (let i = n; i < total; i++) out[i] = 0;
    return out;
  }

  /**
   * CTS-decrypts the first `n` bytes (n >= 16) of `ct`, which is not
   * modified. Returns a buffer whose first `n` bytes are the plaintext (the
   * rest is zero).
   */
  decrypt(ct: Uint8Array, n: number): Uint8Array {
    return this.#oneShot(n) ? this.#decryptOnce(ct, n) : this.#decryptOpenSsl(ct, n);
  }

  /** CTS decryption on the JavaScript AES, reading only ct[0..n]. */
  #decryptOnce(ct: Uint8Array, n: number): Uint8Array {
    const m = (n + 15) >>> 4;
    const full = m << 4;
    const out = Buffer.allocUnsafe(full);
    const rounds = expandKey(this.#key, encSchedule);
    invertSchedule(encSchedule, rounds, decSchedule);
    encSchedule.fill(0);
    if (m === 1) {
      decryptBlock(decSchedule, rounds, ct, 0, ZERO_IV, 0, out, 0);
    } else {
      // P1 .. P(m-2): plain CBC.
      for (let o = 0; o < full - 32; o += 16) {
        decryptBlock(decSchedule, rounds, ct, o, o === 0 ? ZERO_IV : ct, o === 0 ? 0 : o - 16, out, o);
      }
      const a = (m - 2) << 4; // where Cm sits (swapped)
      const b = a + 16; // where the r stolen bytes of C(m-1) sit
      const r = n - b;
      // x = D(Cm) = Pm (zero-padded) ^ C(m-1): Pm is its first r bytes XOR
      // the stolen ones, and its tail completes C(m-1).
      const x = block16;
      decryptBlock(decSchedule, rounds, ct, a, ZERO_IV, 0, x, 0);
      for (let i = 0; i < r; i++) {
        out[b + i] = x[i]! ^ ct[b + i]!;
        x[i] = ct[b + i]!;
      }
      // P(m-1) = D(C(m-1)) ^ C(m-2), or the zero IV when m == 2.
      decryptBlock(decSchedule, rounds, x, 0, m > 2 ? ct : ZERO_IV, m > 2 ? a - 16 : 0, out, a);
      x.fill(0);
    }
    decSchedule.fill(0);
    for (let i = n; i < full; i++) out[i] = 0;
    return out;
  }

  /** CTS decryption through the persistent OpenSSL CBC context (see the module doc). */
  #decryptOpenSsl(ct: Uint8Array, n: number): Uint8Array {
    const m = (n + 15) >>> 4;
    const full = m << 4;
    // Feed whole blocks. The block after C(m-2)|Cm is only there to give the
    // output room for Pm; when the caller's bytes run out, stage a copy.
    let feed: Uint8Array;
    if (ct.length === full) {
      feed = ct;
    } else if (ct.length > full) {
      feed = new Uint8Array(ct.buffer, ct.byteOffset, full); // a plain view: cheaper than Buffer#subarray
    } else {
      const s = scratch(full);
      s.set(ct.subarray(0, n));
      s.fill(0, n, full);
      feed = s.subarray(0, full);
    }
    if (this.#dec === undefined) {
      this.#dec = createDecipheriv(aesName(this.#key, 'cbc'), this.#key, ZERO_IV).setAutoPadding(false);
      this.#decChain = new Uint8Array(16);
    }
    const chain = this.#decChain!;
    const out = this.#dec.update(feed);
    // CBC gave P1 = D(C1) ^ chain; undo the chaining left by the last message.
    for (let i = 0; i < 16; i++) {
      out[i]! ^= chain[i]!;
      chain[i] = feed[full - 16 + i]!;
    }
    if (m === 1) return out;

    const a = (m - 2) << 4; // where Cm sits (swapped)
    const b = a + 16; // where the r stolen bytes of C(m-1) sit
    const r = n - b;
    if (r === 16) {
      // Nothing was stolen: C(m-1) arrived whole, so the one update above
      // already decrypted it: out[b..] = D(C(m-1)) ^ Cm. Only unswap.
      for (let i = 0; i < 16; i++) {
        const prev = m > 2 ? ct[a - 16 + i]! : 0; // C(m-2), or the zero IV
        const dcm = out[a + i]! ^ prev; // D(Cm)
        out[a + i] = out[b + i]! ^ ct[a + i]! ^ prev; // P(m-1) = D(C(m-1)) ^ C(m-2)
        out[b + i] = dcm ^ ct[b + i]!; // Pm = D(Cm) ^ C(m-1)
      }
      return out;
    }
    // out[a..b] = D(Cm) ^ C(m-2) (or D(Cm) when m == 2): recover D(Cm).
    if (m > 2) for (let i = 0; i < 16; i++) out[a + i]! ^= ct[a - 16 + i]!;
    // C(m-1) = its r transmitted bytes | the tail of D(Cm) (Pm was zero-padded).
    const x = block16;
    for (let i = 0; i < r; i++) x[i] = ct[b + i]!;
    for (let i = r; i < 16; i++) x[i] = out[a + i]!;
    // Pm = D(Cm) ^ C(m-1), r bytes; computed before out[a..b] is reused.
    for (let i = 0; i < r; i++) out[b + i] = out[a + i]! ^ x[i]!;
    // Second update: o2 = D(C(m-1)) ^ chain, so P(m-1) = o2 ^ chain ^ C(m-2).
    const o2 = this.#dec.update(x);
    if (m > 2) {
      for (let i = 0; i < 16; i++) out[a + i] = o2[i]! ^ chain[i]! ^ ct[a - 16 + i]!;
    } else {
      for (let i = 0; i < 16; i++) out[a + i] = o2[i]! ^ chain[i]!;
    }
    for (let i = 0; i < 16; i++) {
      chain[i] = x[i]!;
      o2[i] = 0;
      x[i] = 0;
    }
    for (let i = n; i < full; i++) out[i] = 0;
    return out;
  }
}
