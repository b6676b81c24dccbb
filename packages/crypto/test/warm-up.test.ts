/**
 * The cold start (src/internal/warm-up.ts): a fresh process's first
 * JavaScript-eligible operations (derivations, a key's first short message,
 * keyed-once HMACs) run on OpenSSL, the rest in JavaScript. Both paths must
 * give the same bytes, the count must be exact, and a MAC keyed during the
 * cold start must carry on in JavaScript after it.
 */

import { createHmac } from 'node:crypto';
import { SeededRandom } from '@krbsim/core';
import { checksum, decrypt, encrypt, type Key, prf } from '@krbsim/crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { hmacFor } from '../src/internal/hmac';
import { resetStats, stats } from '../src/internal/stats';
import { COLD_OPERATIONS, forceJsCrypto, jsCryptoReady } from '../src/internal/warm-up';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

afterEach(() => forceJsCrypto(undefined));

/** Every operation with a JavaScript path, on fresh key objects (so every one is a key's first). */
function transcript(etype: number, seed: number): string[] {
  const bytes = new SeededRandom(seed).fill(new Uint8Array(etype === 17 || etype === 19 ? 16 : 32));
  const fresh = (): Key => ({ etype, bytes: bytes.slice() });
  const out: string[] = [];
  for (const n of [0, 1, 15, 16, 17, 100, 379, 496, 497, 1024]) {
    const pt = new SeededRandom(seed + n).fill(new Uint8Array(n));
    const ct = encrypt(fresh(), 3, pt, { random: new SeededRandom(n) });
    out.push(hex(ct));
    expect(hex(decrypt(fresh(), 3, ct))).toBe(hex(pt)); // a first message decrypted
    out.push(hex(checksum(fresh(), 17, pt)));
  }
  out.push(hex(prf(fresh(), new TextEncoder().encode('prf input'))));
  return out;
}

describe('the cold start gives the bytes the JavaScript path gives', () => {
  it.each([17, 18, 19, 20])('etype %i: encrypt, decrypt, checksum, PRF', (etype) => {
    forceJsCrypto(true);
    const js = transcript(etype, 40 + etype);
    resetStats();
    forceJsCrypto(undefined, 1_000_000); // cold throughout
    const cold = transcript(etype, 40 + etype);
    expect(stats.coldNative).toBeGreaterThan(10); // OpenSSL really ran
    expect(cold).toEqual(js);
  });

  it.each(['sha1', 'sha256'] as const)(
    'HMAC-%s keyed during the cold start goes on in JavaScript after it',
    (hash) => {
      const key = new SeededRandom(3).fill(new Uint8Array(32));
      const msgs = [0, 20, 64, 100, 300, 1000].map((n) => new SeededRandom(n).fill(new Uint8Array(n)));
      const want = msgs.map((m) => createHmac(hash, key).update(m).digest('hex'));
      const bytes = hash === 'sha1' ? 20 : 32;
      forceJsCrypto(undefined, 2); // two messages on OpenSSL, then JavaScript
      resetStats();
      const mac = hmacFor(hash, key);
      const got = msgs.map((m) => hex(mac.compute(m).subarray(0, bytes)));
      expect(stats.coldNative).toBe(2);
      expect(got).toEqual(want);
      // A message split in two parts, on either path.
      forceJsCrypto(undefined, 1);
      const split = hmacFor(hash, key);
      for (const m of msgs) {
        const cut = m.length >> 1;
        expect(hex(split.compute(m.subarray(0, cut), m.subarray(cut)).subarray(0, bytes))).toBe(
          createHmac(hash, key).update(m).digest('hex'),
        );
      }
    },
  );
});

describe('the count', () => {
  it(`sends exactly the first ${COLD_OPERATIONS} choices to OpenSSL by default`, () => {
    forceJsCrypto(undefined);
    resetStats();
    let native = 0;
    for (let i = 0; i < COLD_OPERATIONS + 50; i++) if (!jsCryptoReady()) native++;
    expect(native).toBe(COLD_OPERATIONS);
    expect(stats.coldNative).toBe(COLD_OPERATIONS);
    expect(jsCryptoReady()).toBe(true);
  });

  it('a forced choice counts nothing', () => {
    resetStats();
    forceJsCrypto(false);
    for (let i = 0; i < 10; i++) expect(jsCryptoReady()).toBe(false);
    forceJsCrypto(true);
    for (let i = 0; i < 10; i++) expect(jsCryptoReady()).toBe(true);
    expect(stats.coldNative).toBe(0);
  });
});
