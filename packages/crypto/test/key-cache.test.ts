/**
 * The derived-key cache: repeated operations with one key object derive
 * Ke/Ki/Kc (or RC4's K1/Ksign) once, proved with the internal counters
 * (src/internal/stats, deliberately not exported from the package index).
 */

import { SeededRandom } from '@krbsim/core';
import {
  checksum,
  decrypt,
  encrypt,
  generateKey,
  type Key,
  prf,
  randomToKey,
  retainKeyState,
  stringToKey,
} from '@krbsim/crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { resetStats, stats } from '../src/internal/stats';

const pt = new Uint8Array(100).fill(0x42);

beforeEach(() => resetStats());

describe.each([17, 18, 19, 20])('etype %i', (etype) => {
  it('derives Ke and Ki once per usage, however many messages', () => {
    const key = generateKey(etype, { random: new SeededRandom(etype) });
    resetStats();
    for (let i = 0; i < 50; i++) expect(decrypt(key, 2, encrypt(key, 2, pt))).toEqual(pt);
    expect(stats.derivations).toBe(2); // Ke, Ki
    expect(stats.engines).toBe(1); // one AES-CTS context pair for Ke

    for (let i = 0; i < 20; i++) encrypt(key, 3, pt);
    expect(stats.derivations).toBe(4); // + Ke, Ki for usage 3
    expect(stats.engines).toBe(2);
  });

  it('derives Kc once per usage', () => {
    const key = generateKey(etype, { random: new SeededRandom(100 + etype) });
    resetStats();
    const first = checksum(key, 15, pt);
    for (let i = 0; i < 20; i++) expect(checksum(key, 15, pt)).toEqual(first);
    expect(stats.derivations).toBe(1);
    checksum(key, 16, pt);
    expect(stats.derivations).toBe(2);
  });

  it('caches per key object: an equal key in a new object starts a new cache', () => {
    const key = generateKey(etype, { random: new SeededRandom(200 + etype) });
    const twin: Key = { etype: key.etype, bytes: key.bytes.slice() };
    resetStats();
    const ct = encrypt(key, 2, pt);
    expect(decrypt(twin, 2, ct)).toEqual(pt);
    expect(stats.derivations).toBe(4);
  });

  it('notices key bytes changed in place and derives afresh', () => {
    const bytes = new SeededRandom(300 + etype).fill(new Uint8Array(etype === 17 || etype === 19 ? 16 : 32));
    const key: Key = { etype, bytes };
    const before = encrypt(key, 2, pt, { random: new SeededRandom(1) });
    bytes[0]! ^= 0xff;
    resetStats();
    const after = encrypt(key, 2, pt, { random: new SeededRandom(1) });
    expect(stats.derivations).toBe(2);
    expect(after).not.toEqual(before);
    expect(decrypt({ etype, bytes: bytes.slice() }, 2, after)).toEqual(pt);
  });
});

describe('rc4-hmac', () => {
  it('derives K1 once per usage and Ksign once per key', () => {
    const key = stringToKey(23, 'password', '');
    resetStats();
    for (let i = 0; i < 30; i++) decrypt(key, 7, encrypt(key, 7, pt));
    expect(stats.derivations).toBe(1);
    for (let i = 0; i < 10; i++) {
      checksum(key, 17, pt);
      checksum(key, 6, pt);
    }
    expect(stats.derivations).toBe(2);
  });
});

describe('PRF', () => {
  it('RFC 3962 derives DK(key, "prf") once', () => {
    const key = randomToKey(18, new Uint8Array(32).fill(1));
    resetStats();
    const first = prf(key, pt);
    for (let i = 0; i < 10; i++) expect(prf(key, pt)).toEqual(first);
    expect(stats.derivations).toBe(1);
  });
});

describe('long-term keys', () => {
  // Each key used once a round with 99 others in between: more than the ring of recent keys holds.
  const round = (keys: readonly Key[]) => {
    for (const key of keys) expect(decrypt(key, 3, encrypt(key, 3, pt))).toEqual(pt);
  };
  const keysOf = (seed: string) => {
    const random = new SeededRandom(seed);
    return Array.from({ length: 100 }, () => generateKey(18, { random }));
  };

  it('a key used once between many others has its state derived again on each use', () => {
    const keys = keysOf('short-lived');
    round(keys);
    resetStats();
    round(keys);
    round(keys);
    expect(stats.derivations).toBe(2 * 100 * 2); // Ke and Ki, every key, every round
  });

  it('retainKeyState keeps a key’s derived state however many keys come between', () => {
    const keys = keysOf('long-term');
    for (const key of keys) retainKeyState(key);
    retainKeyState(keys[0]!); // idempotent
    round(keys);
    resetStats();
    round(keys);
    round(keys);
    expect(stats.derivations).toBe(0);
    expect(stats.engines).toBe(0);
  });

  it('a retained key changed in place is still derived afresh', () => {
    const key = generateKey(18, { random: new SeededRandom('changed') });
    retainKeyState(key);
    const before = encrypt(key, 3, pt, { random: new SeededRandom(1) });
    key.bytes[0]! ^= 0xff;
    resetStats();
    const after = encrypt(key, 3, pt, { random: new SeededRandom(1) });
    expect(stats.derivations).toBe(2);
    expect(after).not.toEqual(before);
  });

  it('ignores what is not a key object (the first use reports the bad key)', () => {
    expect(() => retainKeyState(undefined as unknown as Key)).not.toThrow();
    expect(() => encrypt(undefined as unknown as Key, 3, pt)).toThrow(/key/);
  });
});
