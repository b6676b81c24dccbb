/**
 * The primitives written here rather than taken from node:crypto: MD4 and
 * RC4 (for rc4-hmac), and the keyed HMAC whose SHA-1 outer hash runs in
 * JavaScript.
 */

import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hmacFor } from '../src/internal/hmac';
import { md4 } from '../src/rfc4757/md4';
import { rc4MessageType } from '../src/rfc4757/profile';
import { rc4InPlace } from '../src/rfc4757/rc4';
import { bytes, hex, toHex } from './helpers';

describe('MD4', () => {
  // RFC 1320 section A.5 "Test suite" (also checked against OpenSSL's legacy provider).
  const suite: ReadonlyArray<readonly [string, string]> = [
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
    [
      '12345678901234567890123456789012345678901234567890123456789012345678901234567890',
      'e33b4ddc9c38f2199c3e7b164fcc0536',
    ],
  ];
  it.each(suite)('MD4(%j) (RFC 1320 A.5)', (input, digest) => {
    expect(toHex(md4(bytes(input)))).toBe(digest);
  });

  it('handles inputs across the 55/56/64-byte padding boundaries', () => {
    // Every length must give a distinct 16-byte digest; the boundary cases
    // are where a padding bug would show up (compared with the MIT-derived
    // rc4-hmac keys in mit-oracle.test.ts for real passwords).
    const seen = new Set<string>();
    for (let n = 50; n < 70; n++) {
      const d = md4(new Uint8Array(n).fill(0x61));
      expect(d.length).toBe(16);
      seen.add(toHex(d));
    }
    expect(seen.size).toBe(20);
  });
});

describe('RC4', () => {
  // Classic published vectors, cross-checked with OpenSSL's legacy provider.
  const vectors: ReadonlyArray<readonly [string, string, string]> = [
    ['Key', 'Plaintext', 'bbf316e8d940af0ad3'],
    ['Wiki', 'pedia', '1021bf0420'],
    ['Secret', 'Attack at dawn', '45a01f645fc35b383552544b9bf5'],
  ];
  it.each(vectors)('RC4(key %j, %j)', (key, plaintext, expected) => {
    const data = bytes(plaintext);
    rc4InPlace(bytes(key), data, 0, data.length);
    expect(toHex(data)).toBe(expected);
  });

  it('RFC 6229 key 0x0102030405, keystream bytes 0-15', () => {
    const data = new Uint8Array(16);
    rc4InPlace(hex('0102030405'), data, 0, 16);
    expect(toHex(data)).toBe('b2396305f03dc027ccc3524a0a1118a8');
  });

  it('only touches the requested range, and is its own inverse', () => {
    const data = bytes('xxPlaintextyy');
    rc4InPlace(bytes('Key'), data, 2, 11);
    expect(toHex(data.subarray(2, 11))).toBe('bbf316e8d940af0ad3');
    expect(new TextDecoder().decode(data.subarray(0, 2))).toBe('xx');
    rc4InPlace(bytes('Key'), data, 2, 11);
    expect(new TextDecoder().decode(data)).toBe('xxPlaintextyy');
  });
});

describe('RFC 4757 message types', () => {
  it('folds the AS-REP part into 8 and GSS usage 23 into 13, and keeps the rest', () => {
    expect(rc4MessageType(3)).toBe(8);
    expect(rc4MessageType(23)).toBe(13);
    for (const u of [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 22, 24, 25, 1024]) {
      expect(rc4MessageType(u)).toBe(u);
    }
  });
});

describe('keyed HMAC (internal/hmac)', () => {
  // The SHA-1 path runs the outer hash in JavaScript; check it against
  // OpenSSL's HMAC for keys shorter than, equal to and longer than the block.
  it.each(['sha1', 'sha256', 'sha384', 'md5'])('%s matches createHmac', (hash) => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 100 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 40 }),
        (key, a, b) => {
          const mac = hmacFor(hash, key);
          const expected = createHmac(hash, key).update(a).update(b).digest('hex');
          expect(toHex(mac.compute(a, b).subarray(0, mac.bytes))).toBe(expected);
          // and again, to prove the keyed state is reused, not consumed
          expect(toHex(mac.compute(a, b).subarray(0, mac.bytes))).toBe(expected);
        },
      ),
      { seed: 7, numRuns: 100 },
    );
  });

  it('RFC 2202 test case 2 for HMAC-SHA-1', () => {
    const mac = hmacFor('sha1', bytes('Jefe'));
    expect(toHex(mac.compute(bytes('what do ya want for nothing?')).subarray(0, 20))).toBe(
      'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79',
    );
  });
});
