/**
 * Redacted keys: printing or serializing one shows its etype and length,
 * never its bytes (hex, base64 or the decimal list util.inspect gives a
 * Uint8Array), while it stays a key for every crypto function.
 */

import { inspect } from 'node:util';
import { SeededRandom } from '@krbsim/core';
import {
  cf2,
  clientChallengeKey,
  decrypt,
  deferredStringToKey,
  encrypt,
  fastArmorKey,
  generateKey,
  type Key,
  kdcChallengeKey,
  randomToKey,
  redactedEncryptionKey,
  redactedKey,
  retainKeyState,
  StringToKeyCache,
  strengthenedReplyKey,
  stringToKey,
} from '@krbsim/crypto';
import { describe, expect, it } from 'vitest';
import { resetStats, stats } from '../src/internal/stats';

/** Every rendering of `bytes` a printed object could contain. */
function renderings(bytes: Uint8Array): string[] {
  const b = Buffer.from(bytes);
  return [
    b.toString('hex'),
    b.toString('base64'),
    b.toString('base64url'),
    [...bytes.subarray(0, 8)].join(', '), // util.inspect of a Uint8Array
    `"0":${bytes[0]},"1":${bytes[1]},"2":${bytes[2]}`, // JSON.stringify of a Uint8Array
  ];
}

/**
 * Fails if `printed` shows `bytes` in any of its {@link renderings}, whitespace
 * ignored: util.inspect breaks a long Uint8Array's decimal list over lines.
 */
function expectHidden(printed: string, bytes: Uint8Array): void {
  const flat = printed.replace(/\s+/g, '');
  for (const r of renderings(bytes)) expect(flat).not.toContain(r.replace(/\s+/g, ''));
}

describe('redactedKey', () => {
  const key = generateKey(18, { random: new SeededRandom('redact') });
  const red = redactedKey(key);

  it('prints and serializes as { etype, bytes: <redacted N bytes> }', () => {
    expect(inspect(red)).toBe("{ etype: 18, bytes: '<redacted 32 bytes>' }");
    expect(JSON.stringify(red)).toBe('{"etype":18,"bytes":"<redacted 32 bytes>"}');
    const nested = inspect({ result: { key: red } }, { depth: 10 }) + JSON.stringify({ result: [red] });
    expectHidden(nested, key.bytes);
  });

  it('the check sees a plain key print its bytes (util.inspect, whatever the line breaks, and JSON)', () => {
    const plain = { etype: 18, bytes: key.bytes };
    expect(() =>
      expectHidden(inspect({ a: { b: plain } }, { depth: Number.POSITIVE_INFINITY }), key.bytes),
    ).toThrow();
    expect(() => expectHidden(JSON.stringify(plain), key.bytes)).toThrow();
  });

  it('is the same key: same bytes object, equal by value, usable by encrypt and decrypt', () => {
    expect(red.bytes).toBe(key.bytes);
    expect(red.etype).toBe(18);
    expect(red).toEqual(key);
    expect(key).toEqual(red);
    expect(Object.keys(red)).toEqual(['etype', 'bytes']);
    const pt = new Uint8Array(40).fill(7);
    expect(decrypt(key, 2, encrypt(red, 2, pt))).toEqual(pt);
    expect(decrypt(red, 2, encrypt(key, 2, pt))).toEqual(pt);
  });
});

describe('redactedEncryptionKey', () => {
  it('redacts an RFC 4120 EncryptionKey (keytype, keyvalue) the same way', () => {
    const keyvalue = new Uint8Array(16).map((_, i) => 0xa0 + i);
    const red = redactedEncryptionKey({ keytype: 17, keyvalue });
    expect(inspect(red)).toBe("{ keytype: 17, keyvalue: '<redacted 16 bytes>' }");
    expect(JSON.stringify(red)).toBe('{"keytype":17,"keyvalue":"<redacted 16 bytes>"}');
    expect(red.keyvalue).toBe(keyvalue);
    expect(red).toEqual({ keytype: 17, keyvalue });
  });
});

/**
 * Every key the package hands out prints redacted, not only the string-to-key
 * cache's: a realm's krbtgt keys, a session key, a FAST armor key end up in
 * logs through the objects that hold them.
 */
describe('the keys the package makes', () => {
  const rnd = new SeededRandom('made keys');
  const a = generateKey(18, { random: rnd });
  const b = generateKey(18, { random: rnd });
  const made: [string, Key][] = [
    ['generateKey', a],
    ['generateKey rc4-hmac', generateKey(23, { random: rnd })],
    [
      'randomToKey',
      randomToKey(
        17,
        new Uint8Array(16).map((_, i) => 0x30 + i),
      ),
    ],
    ['stringToKey', stringToKey(20, 'password', 'EXAMPLE.COMalice')],
    ['stringToKey rc4-hmac', stringToKey(23, 'password', '')],
    ['cf2', cf2(a, b, 'a', 'b')],
    ['fastArmorKey', fastArmorKey(a, b)],
    ['clientChallengeKey', clientChallengeKey(a, b)],
    ['kdcChallengeKey', kdcChallengeKey(a, b)],
    ['strengthenedReplyKey', strengthenedReplyKey(a, b)],
  ];

  it.each(made)('%s: prints and serializes as <redacted N bytes>, at any depth', (_, key) => {
    const shown = `<redacted ${key.bytes.length} bytes>`;
    expect(inspect(key)).toBe(`{ etype: ${key.etype}, bytes: '${shown}' }`);
    expect(JSON.stringify(key)).toBe(`{"etype":${key.etype},"bytes":"${shown}"}`);
    const holder = { entry: { keys: [{ kvno: 1, key }] } };
    const printed = inspect(holder, { depth: Number.POSITIVE_INFINITY }) + JSON.stringify(holder);
    expectHidden(printed, key.bytes);
  });

  it.each(made)('%s: is still a frozen key, its bytes readable, for encrypt and decrypt', (_, key) => {
    expect(Object.isFrozen(key)).toBe(true);
    expect(Object.keys(key)).toEqual(['etype', 'bytes']);
    expect(key).toEqual({ etype: key.etype, bytes: new Uint8Array(key.bytes) });
    const pt = new Uint8Array(33).fill(9);
    expect(decrypt(key, 2, encrypt(key, 2, pt))).toEqual(pt);
    expect(decrypt({ etype: key.etype, bytes: key.bytes.slice() }, 2, encrypt(key, 2, pt))).toEqual(pt);
  });

  it('redactedKey hands a redacted key back as it is: its identity (and cached state) is kept', () => {
    expect(redactedKey(a)).toBe(a);
    const red = redactedKey({ etype: 18, bytes: a.bytes });
    expect(red).not.toBe(a);
    expect(redactedKey(red)).toBe(red);
    const ek = redactedEncryptionKey({ keytype: 18, keyvalue: a.bytes });
    expect(redactedEncryptionKey(ek)).toBe(ek);
  });

  it('redactedKey does not derive a deferred key', () => {
    const cache = new StringToKeyCache();
    const deferred = deferredStringToKey(18, 'password', 'EXAMPLE.COMbob', undefined, cache);
    expect(redactedKey(deferred)).toBe(deferred);
    expect(cache.stats.misses).toBe(0);
  });

  it('a retained generated key keeps its derived state across many other keys', () => {
    const key = generateKey(18, { random: new SeededRandom('retained') });
    retainKeyState(key);
    const pt = new Uint8Array(16);
    encrypt(key, 2, pt);
    for (let i = 0; i < 40; i++) encrypt(generateKey(18, { random: new SeededRandom(i) }), 2, pt);
    resetStats();
    encrypt(redactedKey(key), 2, pt);
    expect(stats.derivations).toBe(0);
  });
});
