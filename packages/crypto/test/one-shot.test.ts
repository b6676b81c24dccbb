/**
 * The JavaScript primitives behind a key's first message (internal/aes.ts,
 * internal/sha1-compress.ts) and the policy that chooses them: each checked
 * against published vectors and against OpenSSL, and the two paths of one
 * engine against each other.
 */

import { createCipheriv, createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SeededRandom } from '@krbsim/core';
import { decrypt, encrypt, type Key } from '@krbsim/crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sha1CompressSource } from '../scripts/gen-sha1-compress';
import { decryptBlock, encryptBlock, expandKey, invertSchedule, SCHEDULE_WORDS } from '../src/internal/aes';
import { hmacFor } from '../src/internal/hmac';
import { resetStats, stats } from '../src/internal/stats';
import { forceJsCrypto } from '../src/internal/warm-up';
import { AesCts, ctsSpace, ONE_SHOT_MAX_BYTES } from '../src/rfc3962/aes-cts';
import { hex, toHex } from './helpers';

const ZERO = new Uint8Array(16);

// The JavaScript paths from the first call (a fresh process sends its first
// operations to OpenSSL: warm-up.test.ts).
beforeAll(() => forceJsCrypto(true));
afterAll(() => forceJsCrypto(undefined));

function aesEncrypt(key: Uint8Array, block: Uint8Array): Uint8Array {
  const w = new Int32Array(SCHEDULE_WORDS);
  const out = new Uint8Array(16);
  encryptBlock(w, expandKey(key, w), block, 0, ZERO, 0, out, 0);
  return out;
}

function aesDecrypt(key: Uint8Array, block: Uint8Array): Uint8Array {
  const e = new Int32Array(SCHEDULE_WORDS);
  const d = new Int32Array(SCHEDULE_WORDS);
  const rounds = expandKey(key, e);
  invertSchedule(e, rounds, d);
  const out = new Uint8Array(16);
  decryptBlock(d, rounds, block, 0, ZERO, 0, out, 0);
  return out;
}

describe('AES in JavaScript (FIPS 197)', () => {
  // FIPS 197 Appendix C: plaintext 00112233..ff, key 000102..
  const plaintext = hex('00112233445566778899aabbccddeeff');
  it.each([
    ['AES-128', '000102030405060708090a0b0c0d0e0f', '69c4e0d86a7b0430d8cdb78070b4c55a'],
    ['AES-192', '000102030405060708090a0b0c0d0e0f1011121314151617', 'dda97ca4864cdfe06eaf70a0ec0d7191'],
    [
      'AES-256',
      '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
      '8ea2b7ca516745bfeafc49904b496089',
    ],
  ])('%s: the Appendix C vector, both ways', (_name, key, ciphertext) => {
    expect(toHex(aesEncrypt(hex(key), plaintext))).toBe(ciphertext);
    expect(toHex(aesDecrypt(hex(key), hex(ciphertext)))).toBe(toHex(plaintext));
  });

  it('agrees with OpenSSL on random keys and blocks', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 24, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (key, block) => {
          const name = `aes-${key.length * 8}-ecb`;
          const ref = createCipheriv(name, key, null).setAutoPadding(false).update(block);
          expect(toHex(aesEncrypt(key, block))).toBe(ref.toString('hex'));
          expect(toHex(aesDecrypt(key, ref))).toBe(toHex(block));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('SHA-1 and HMAC-SHA1 in JavaScript', () => {
  it('the committed unrolled compression is what the generator writes', () => {
    const file = new URL('../src/internal/sha1-compress.ts', import.meta.url);
    expect(readFileSync(file, 'utf8')).toBe(sha1CompressSource());
  });

  it('HMAC-SHA1 agrees with OpenSSL for every length and split, on both paths', () => {
    const random = new SeededRandom(7);
    const key = random.fill(new Uint8Array(32));
    const data = random.fill(new Uint8Array(700));
    const fresh = () => hmacFor('sha1', key);
    const reused = hmacFor('sha1', key);
    reused.compute(data.subarray(0, 1)); // its keyed states are built now
    for (let n = 0; n <= data.length; n += n < 140 ? 1 : 37) {
      const msg = data.subarray(0, n);
      const want = createHmac('sha1', key).update(msg).digest('hex');
      expect(toHex(fresh().compute(msg).subarray(0, 20))).toBe(want); // a fresh key
      expect(toHex(reused.compute(msg).subarray(0, 20))).toBe(want); // JavaScript up to 503 bytes, one-shot digests above
      const cut = n >> 1;
      expect(toHex(fresh().compute(msg.subarray(0, cut), msg.subarray(cut)).subarray(0, 20))).toBe(want);
    }
  });

  it('hashes keys longer than a block first (RFC 2104)', () => {
    const key = new Uint8Array(100).fill(0xaa);
    const msg = new TextEncoder().encode('Test Using Larger Than Block-Size Key - Hash Key First');
    expect(toHex(hmacFor('sha1', key).compute(msg).subarray(0, 20))).toBe(
      createHmac('sha1', key).update(msg).digest('hex'),
    );
    expect(createHash('sha1').update(key).digest().length).toBe(20);
  });
});

describe('AES-CTS: the first short message in JavaScript, later ones on OpenSSL', () => {
  const key = new SeededRandom(11).fill(new Uint8Array(32));

  function ctsEncrypt(engine: AesCts, plaintext: Uint8Array): Uint8Array {
    const staged = new Uint8Array(ctsSpace(plaintext.length, 0));
    staged.set(plaintext);
    return engine.encrypt(staged, plaintext.length, 0).slice(0, plaintext.length);
  }

  it('both paths give the same ciphertext and plaintext for every length', () => {
    const random = new SeededRandom(12);
    const reused = new AesCts(key);
    ctsEncrypt(reused, new Uint8Array(16));
    reused.decrypt(new Uint8Array(16), 16);
    for (let n = 16; n <= ONE_SHOT_MAX_BYTES + 40; n++) {
      const plaintext = random.fill(new Uint8Array(n));
      const once = ctsEncrypt(new AesCts(key), plaintext); // JavaScript up to ONE_SHOT_MAX_BYTES
      const again = ctsEncrypt(reused, plaintext); // OpenSSL
      expect(toHex(once)).toBe(toHex(again));
      // Trailing bytes (a MAC) after the ciphertext must not be read.
      const withTail = new Uint8Array(n + 12).fill(0xee);
      withTail.set(once);
      expect(toHex(new AesCts(key).decrypt(withTail, n).subarray(0, n))).toBe(toHex(plaintext));
      expect(toHex(reused.decrypt(withTail, n).subarray(0, n))).toBe(toHex(plaintext));
    }
  });
});

describe('the key-state ring: keys used once or twice stay out of the WeakMap', () => {
  const pt = new Uint8Array(40).fill(1);
  beforeEach(() => resetStats());

  it('a key used again soon keeps its derived keys; after its third use it is cached for good', () => {
    const key: Key = { etype: 18, bytes: new SeededRandom(21).fill(new Uint8Array(32)) };
    const ct = encrypt(key, 2, pt);
    expect(decrypt(key, 2, ct)).toEqual(pt); // second use: from the ring
    expect(stats.derivations).toBe(2);
    expect(decrypt(key, 2, ct)).toEqual(pt); // third: moves to the WeakMap
    for (let i = 0; i < 100; i++) encrypt({ etype: 18, bytes: new Uint8Array(32).fill(i) }, 2, pt); // flush the ring
    resetStats();
    expect(decrypt(key, 2, ct)).toEqual(pt);
    expect(stats.derivations).toBe(0);
  });

  it('a key used once, then again after many others, is derived again: nothing held it', () => {
    const key: Key = { etype: 18, bytes: new SeededRandom(22).fill(new Uint8Array(32)) };
    const ct = encrypt(key, 2, pt);
    for (let i = 0; i < 100; i++) encrypt({ etype: 18, bytes: new Uint8Array(32).fill(i) }, 2, pt);
    resetStats();
    expect(decrypt(key, 2, ct)).toEqual(pt);
    expect(stats.derivations).toBe(2);
  });

  it('a key changed in place while in the ring is rebuilt from its new bytes', () => {
    const bytes = new SeededRandom(23).fill(new Uint8Array(32));
    const key: Key = { etype: 18, bytes };
    const before = encrypt(key, 2, pt, { random: new SeededRandom(1) });
    bytes[0]! ^= 1;
    const after = encrypt(key, 2, pt, { random: new SeededRandom(1) });
    expect(toHex(after)).not.toBe(toHex(before));
    expect(decrypt(key, 2, after)).toEqual(pt);
    expect(decrypt({ etype: 18, bytes: bytes.slice() }, 2, after)).toEqual(pt);
  });
});
