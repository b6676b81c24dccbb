/**
 * Property tests (fast-check, fixed seeds so every run is the same):
 * round trips, single-bit tampering, usage separation and truncation, for
 * every supported etype.
 */

import { ErrorCode, KerberosError, SeededRandom } from '@krbsim/core';
import {
  checksum,
  decrypt,
  encrypt,
  getEncType,
  type Key,
  randomToKey,
  supportedEncTypes,
  verifyChecksum,
} from '@krbsim/crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const SEED = 20261124;

function keyArb(etype: number): fc.Arbitrary<Key> {
  const n = getEncType(etype).keyBytes;
  return fc.uint8Array({ minLength: n, maxLength: n }).map((bytes) => randomToKey(etype, bytes));
}

const usageArb = fc.oneof(fc.integer({ min: 0, max: 2048 }), fc.integer({ min: 0, max: 0xffffffff }));

/** Asserts `fn` throws a KerberosError with `code` (and nothing else: no RangeError, no TypeError). */
function throwsKerberos(fn: () => unknown, code: number): boolean {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof KerberosError)) throw e;
    expect(e.code).toBe(code);
    return true;
  }
  return false;
}

describe.each(supportedEncTypes.map((e) => [e, getEncType(e).name] as const))('etype %i (%s)', (etype) => {
  const profile = getEncType(etype);
  const minCipher = profile.confounderBytes + profile.macBytes;

  it('decrypt(encrypt(x)) = x for any key, usage and plaintext of 0..4096 bytes', () => {
    fc.assert(
      fc.property(
        keyArb(etype),
        usageArb,
        fc.uint8Array({ minLength: 0, maxLength: 4096 }),
        (key, usage, pt) => {
          const ct = encrypt(key, usage, pt);
          expect(ct.length).toBe(pt.length + minCipher);
          expect(decrypt(key, usage, ct)).toEqual(pt);
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('round-trips every plaintext length 0..100 with one key (engine reuse)', () => {
    const key = randomToKey(etype, new SeededRandom(etype).fill(new Uint8Array(profile.keyBytes)));
    for (let n = 0; n <= 100; n++) {
      const pt = new SeededRandom(n).fill(new Uint8Array(n));
      expect(decrypt(key, 3, encrypt(key, 3, pt))).toEqual(pt);
    }
  });

  it('flipping any single bit of a ciphertext fails with KRB_AP_ERR_BAD_INTEGRITY', () => {
    fc.assert(
      fc.property(
        keyArb(etype),
        usageArb,
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (key, usage, pt, at, bit) => {
          const ct = encrypt(key, usage, pt).slice();
          ct[at % ct.length]! ^= 1 << bit;
          expect(throwsKerberos(() => decrypt(key, usage, ct), ErrorCode.KRB_AP_ERR_BAD_INTEGRITY)).toBe(
            true,
          );
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('flipping every bit of one ciphertext, one at a time, always fails', () => {
    const key = randomToKey(etype, new Uint8Array(profile.keyBytes).fill(7));
    const ct = encrypt(key, 11, new Uint8Array(21).fill(0x41));
    for (let i = 0; i < ct.length * 8; i++) {
      const bad = ct.slice();
      bad[i >>> 3]! ^= 1 << (i & 7);
      expect(throwsKerberos(() => decrypt(key, 11, bad), ErrorCode.KRB_AP_ERR_BAD_INTEGRITY)).toBe(true);
    }
    expect(decrypt(key, 11, ct)).toEqual(new Uint8Array(21).fill(0x41));
  });

  it('flipping any bit of a checksum makes verifyChecksum false', () => {
    fc.assert(
      fc.property(
        keyArb(etype),
        usageArb,
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (key, usage, data, at, bit) => {
          const mac = checksum(key, usage, data);
          expect(mac.length).toBe(profile.macBytes);
          expect(verifyChecksum(key, usage, data, mac)).toBe(true);
          const bad = mac.slice();
          bad[at % bad.length]! ^= 1 << bit;
          expect(verifyChecksum(key, usage, data, bad)).toBe(false);
          expect(verifyChecksum(key, usage, data, mac.subarray(1))).toBe(false);
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('distinct usages give distinct ciphertexts (same confounder) and distinct checksums', () => {
    fc.assert(
      fc.property(
        keyArb(etype),
        fc.uniqueArray(usageArb, { minLength: 2, maxLength: 2 }),
        fc.uint8Array({ maxLength: 64 }),
        (key, [u1, u2], pt) => {
          const confounder = new Uint8Array(profile.confounderBytes).fill(0x5a);
          const c1 = encrypt(key, u1!, pt, { confounder });
          const c2 = encrypt(key, u2!, pt, { confounder });
          expect(c1).not.toEqual(c2);
          expect(checksum(key, u1!, pt)).not.toEqual(checksum(key, u2!, pt));
          // and a ciphertext for one usage never decrypts under the other
          expect(throwsKerberos(() => decrypt(key, u2!, c1), ErrorCode.KRB_AP_ERR_BAD_INTEGRITY)).toBe(true);
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('every ciphertext length below the minimum gives KRB_AP_ERR_BAD_INTEGRITY, never a crash', () => {
    const key = randomToKey(etype, new Uint8Array(profile.keyBytes).fill(3));
    for (let n = 0; n < minCipher; n++) {
      expect(
        throwsKerberos(() => decrypt(key, 2, new Uint8Array(n)), ErrorCode.KRB_AP_ERR_BAD_INTEGRITY),
      ).toBe(true);
    }
  });

  it('every truncation of a valid ciphertext fails with a KerberosError', () => {
    fc.assert(
      fc.property(keyArb(etype), fc.uint8Array({ maxLength: 100 }), fc.nat(), (key, pt, cut) => {
        const ct = encrypt(key, 7, pt);
        const truncated = ct.subarray(0, cut % ct.length);
        expect(throwsKerberos(() => decrypt(key, 7, truncated), ErrorCode.KRB_AP_ERR_BAD_INTEGRITY)).toBe(
          true,
        );
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('encryption with a seeded random source is reproducible; the default source is not', () => {
    const key = randomToKey(etype, new Uint8Array(profile.keyBytes).fill(9));
    const pt = new Uint8Array(40).fill(1);
    const a = encrypt(key, 2, pt, { random: new SeededRandom('x') });
    const b = encrypt(key, 2, pt, { random: new SeededRandom('x') });
    expect(a).toEqual(b);
    expect(encrypt(key, 2, pt)).not.toEqual(encrypt(key, 2, pt));
  });

  it('does not modify its inputs', () => {
    const key = randomToKey(etype, new Uint8Array(profile.keyBytes).fill(4));
    const pt = new Uint8Array(33).fill(0x33);
    const ct = encrypt(key, 2, pt);
    const ctCopy = ct.slice();
    decrypt(key, 2, ct);
    expect(pt).toEqual(new Uint8Array(33).fill(0x33));
    expect(ct).toEqual(ctCopy);
    const bad = ct.slice();
    bad[0]! ^= 1;
    const badCopy = bad.slice();
    expect(() => decrypt(key, 2, bad)).toThrow(KerberosError);
    expect(bad).toEqual(badCopy);
  });
});
