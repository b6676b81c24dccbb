/**
 * The string-to-key cache and deferred keys (src/string-to-key-cache.ts):
 * hits and misses counted with an injected derive function, the bound, the
 * inputs that make entries distinct, and that neither the cache nor its keys
 * print or serialize a key or a password.
 */

import { inspect } from 'node:util';
import {
  cachedStringToKey,
  deferredStringToKey,
  type Key,
  StringToKeyCache,
  type StringToKeyFunction,
  sharedStringToKeyCache,
  stringToKey,
} from '@krbsim/crypto';
import { describe, expect, it } from 'vitest';

const PASSWORD = 'correct horse battery staple';
const SALT = 'EXAMPLE.COMalice';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** stringToKey with a call counter (small iteration counts keep the tests fast). */
function counting(): { derive: StringToKeyFunction; calls: () => number } {
  let n = 0;
  return {
    derive: (etype, password, salt, params) => {
      n++;
      return stringToKey(etype, password, salt, params);
    },
    calls: () => n,
  };
}

const P2 = new Uint8Array([0, 0, 0, 2]); // two PBKDF2 iterations
const P3 = new Uint8Array([0, 0, 0, 3]);

describe('StringToKeyCache', () => {
  it('derives once per input and returns the same key object on a hit', () => {
    const c = counting();
    const cache = new StringToKeyCache({ derive: c.derive });
    const a = cache.get(18, PASSWORD, SALT, P2);
    const b = cache.get(18, PASSWORD, SALT, P2);
    expect(b).toBe(a);
    expect(c.calls()).toBe(1);
    expect(cache.stats).toEqual({ size: 1, maxEntries: 256, hits: 1, misses: 1 });
    expect(hex(a.bytes)).toBe(hex(stringToKey(18, PASSWORD, SALT, P2).bytes));
  });

  it('keeps distinct entries for distinct etypes, passwords, salts and s2kparams', () => {
    const c = counting();
    const cache = new StringToKeyCache({ derive: c.derive });
    const keys = [
      cache.get(18, PASSWORD, SALT, P2),
      cache.get(17, PASSWORD, SALT, P2),
      cache.get(18, `${PASSWORD}!`, SALT, P2),
      cache.get(18, PASSWORD, 'EXAMPLE.COMbob', P2),
      cache.get(18, PASSWORD, SALT, P3),
      cache.get(18, new TextEncoder().encode(PASSWORD), SALT, P2), // bytes, not text: an entry of its own
    ];
    expect(c.calls()).toBe(6);
    expect(cache.size).toBe(6);
    expect(new Set(keys).size).toBe(6);
    expect(new Set(keys.slice(0, 5).map((k) => hex(k.bytes))).size).toBe(5);
    // Moving a length between salt and password must not collide.
    cache.get(18, 'ab', 'c', P2);
    cache.get(18, 'b', 'ca', P2);
    expect(c.calls()).toBe(8);
  });

  it('is bounded: the least recently used entry goes first', () => {
    const c = counting();
    const cache = new StringToKeyCache({ maxEntries: 2, derive: c.derive });
    cache.get(18, 'one', SALT, P2);
    cache.get(18, 'two', SALT, P2);
    cache.get(18, 'one', SALT, P2); // a hit: 'one' is now the most recent
    cache.get(18, 'three', SALT, P2); // evicts 'two'
    expect(cache.size).toBe(2);
    expect(c.calls()).toBe(3);
    cache.get(18, 'one', SALT, P2);
    expect(c.calls()).toBe(3);
    cache.get(18, 'two', SALT, P2);
    expect(c.calls()).toBe(4);
    expect(() => new StringToKeyCache({ maxEntries: 0 })).toThrow(RangeError);
  });

  it('caches nothing when string-to-key throws', () => {
    const c = counting();
    const cache = new StringToKeyCache({ derive: c.derive });
    const zero = new Uint8Array(4); // an iteration count of 0
    expect(() => cache.get(18, PASSWORD, SALT, zero)).toThrow(/iteration count/);
    expect(() => cache.get(18, 'lone \uD800', SALT, P2)).toThrow(/surrogate/);
    expect(cache.size).toBe(0);
  });

  it('hands out a fresh copy when a caller changed a key in place', () => {
    const c = counting();
    const cache = new StringToKeyCache({ derive: c.derive });
    const a = cache.get(18, PASSWORD, SALT, P2);
    const good = hex(a.bytes);
    a.bytes.fill(0);
    const b = cache.get(18, PASSWORD, SALT, P2);
    expect(b).not.toBe(a);
    expect(hex(b.bytes)).toBe(good);
    expect(c.calls()).toBe(1);
  });

  it('shows counts only: no key bytes or password in inspect or JSON', () => {
    const cache = new StringToKeyCache();
    const key = cache.get(18, PASSWORD, SALT, P2);
    const keyHex = hex(key.bytes);
    for (const text of [inspect(cache), JSON.stringify(cache), inspect(key), JSON.stringify(key)]) {
      expect(text).not.toContain(keyHex);
      expect(text).not.toContain(PASSWORD);
    }
    expect(JSON.parse(JSON.stringify(cache))).toEqual({ size: 1, maxEntries: 256, hits: 0, misses: 1 });
    expect(JSON.parse(JSON.stringify(key))).toEqual({ etype: 18, bytes: '<redacted 32 bytes>' });
    expect(inspect(cache)).toMatch(/^StringToKeyCache \{ size: 1/);
  });

  it('clear() forgets every key', () => {
    const c = counting();
    const cache = new StringToKeyCache({ derive: c.derive });
    const a = cache.get(18, PASSWORD, SALT, P2);
    cache.clear();
    expect(cache.size).toBe(0);
    const b = cache.get(18, PASSWORD, SALT, P2);
    expect(c.calls()).toBe(2);
    expect(hex(b.bytes)).toBe(hex(a.bytes)); // the handed-out key stays usable
  });

  it('cachedStringToKey goes through the shared cache', () => {
    const before = sharedStringToKeyCache.stats;
    const a = cachedStringToKey(17, `${PASSWORD} shared`, SALT, P2);
    const b = cachedStringToKey(17, `${PASSWORD} shared`, SALT, P2);
    expect(b).toBe(a);
    const after = sharedStringToKeyCache.stats;
    expect(after.misses - before.misses).toBe(1);
    expect(after.hits - before.hits).toBe(1);
  });
});

describe('deferredStringToKey', () => {
  it('derives on the first read of its bytes, once, through the cache', () => {
    const c = counting();
    const cache = new StringToKeyCache({ derive: c.derive });
    const key = deferredStringToKey(20, PASSWORD, SALT, P2, cache);
    expect(key.etype).toBe(20);
    expect(c.calls()).toBe(0);
    expect(inspect(key)).toContain('<redacted 32 bytes>');
    expect(JSON.stringify(key)).toBe('{"etype":20,"bytes":"<redacted 32 bytes>"}');
    expect(c.calls()).toBe(0); // printing derives nothing
    const want = hex(stringToKey(20, PASSWORD, SALT, P2).bytes);
    expect(hex(key.bytes)).toBe(want);
    expect(hex(key.bytes)).toBe(want);
    expect(c.calls()).toBe(1);
    // A second deferred key for the same input finds the cache.
    expect(hex(deferredStringToKey(20, PASSWORD, SALT, P2, cache).bytes)).toBe(want);
    expect(c.calls()).toBe(1);
    expect(inspect(key)).not.toContain(want);
  });

  it('looks like any key to spreads and equality', () => {
    const key = deferredStringToKey(18, PASSWORD, SALT, P2, new StringToKeyCache());
    const plain: Key = stringToKey(18, PASSWORD, SALT, P2);
    expect({ ...key }).toEqual({ etype: 18, bytes: plain.bytes });
    expect(key).toEqual(plain);
  });

  it('checks the etype, password and salt at once', () => {
    expect(() => deferredStringToKey(99, PASSWORD, SALT)).toThrow(/99/);
    expect(() => deferredStringToKey(18, 'lone \uDC00', SALT)).toThrow(/surrogate/);
    expect(() => deferredStringToKey(18, 42 as unknown as string, SALT)).toThrow(/password/);
  });
});
