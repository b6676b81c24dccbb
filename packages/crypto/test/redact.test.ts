/**
 * Redacted keys: printing or serializing one shows its etype and length,
 * never its bytes (hex, base64 or the decimal list util.inspect gives a
 * Uint8Array), while it stays a key for every crypto function.
 */

import { inspect } from 'node:util';
import { SeededRandom } from '@krbsim/core';
import { decrypt, encrypt, generateKey, redactedEncryptionKey, redactedKey } from '@krbsim/crypto';
import { describe, expect, it } from 'vitest';

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

describe('redactedKey', () => {
  const key = generateKey(18, { random: new SeededRandom('redact') });
  const red = redactedKey(key);

  it('prints and serializes as { etype, bytes: <redacted N bytes> }', () => {
    expect(inspect(red)).toBe("{ etype: 18, bytes: '<redacted 32 bytes>' }");
    expect(JSON.stringify(red)).toBe('{"etype":18,"bytes":"<redacted 32 bytes>"}');
    const nested = inspect({ result: { key: red } }, { depth: 10 }) + JSON.stringify({ result: [red] });
    for (const r of renderings(key.bytes)) expect(nested).not.toContain(r);
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
