/**
 * HMAC-SHA-256 keyed once (src/internal/hmac.ts on
 * src/internal/sha256-compress.ts), and HMAC-SHA-384, against node:crypto's createHmac: every
 * message length across the block boundaries, keys shorter and longer than a
 * block, the JavaScript path (SHA-256's short messages) and the one-shot
 * digests (longer ones, every SHA-384 one, and those past the digest buffer,
 * which stream), and a message split in two parts.
 */

import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacFor } from '../src/internal/hmac';
import { forceJsCrypto } from '../src/internal/warm-up';

// The JavaScript paths from the first call (a fresh process sends its first
// operations to OpenSSL: warm-up.test.ts).
beforeAll(() => forceJsCrypto(true));
afterAll(() => forceJsCrypto(undefined));

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * 131 + seed * 7 + 3) & 0xff);

describe.each(['sha256', 'sha384'] as const)('HMAC-%s keyed once', (hash) => {
  it.each([16, 24, 32, 64, 127, 128, 129, 200])('matches createHmac with a %i-byte key', (keyLen) => {
    const key = bytes(keyLen, keyLen);
    const mac = hmacFor(hash, key);
    for (let n = 0; n <= 700; n += n < 300 ? 1 : 37) {
      const msg = bytes(n, n);
      const want = createHmac(hash, key).update(msg).digest('hex');
      const got = hex(mac.compute(msg).subarray(0, mac.bytes));
      if (got !== want) expect({ n, got }).toEqual({ n, got: want });
      const cut = n >> 1;
      const split = hex(mac.compute(msg.subarray(0, cut), msg.subarray(cut)).subarray(0, mac.bytes));
      if (split !== want) expect({ n, cut, split }).toEqual({ n, cut, split: want });
    }
  });

  it('gives the same MAC for a message longer than the one-shot buffer, on first and later use', () => {
    const key = bytes(32, 1);
    const mac = hmacFor(hash, key);
    const long = bytes(5000, 2);
    const want = createHmac(hash, key).update(long).digest('hex');
    expect(hex(mac.compute(long).subarray(0, mac.bytes))).toBe(want); // first use
    expect(hex(mac.compute(long).subarray(0, mac.bytes))).toBe(want); // later use
    expect(mac.bytes).toBe(hash === 'sha256' ? 32 : 48);
  });
});

describe('KDF-HMAC-SHA2 with a keyed HMAC', () => {
  it('gives what the re-keying KDF gives (RFC 8009 section 3)', async () => {
    const { kdfHmacSha2, kdfWithMac } = await import('../src/rfc8009/kdf');
    for (const [hash, keyLen, bits] of [
      ['sha256', 16, 128],
      ['sha384', 32, 192],
      ['sha384', 32, 256],
      ['sha384', 32, 384],
    ] as const) {
      const key = bytes(keyLen, bits);
      const mac = hmacFor(hash, key);
      for (const [label, context] of [
        [Uint8Array.of(0, 0, 0, 2, 0x99), undefined],
        [new TextEncoder().encode('prf'), bytes(40, 9)],
      ] as const) {
        expect(hex(kdfWithMac(mac, label, context, bits))).toBe(
          hex(kdfHmacSha2(hash, key, label, context, bits)),
        );
      }
    }
  });
});

describe('the one-shot digest buffer (grows to 64 KiB: a pad, then the message)', () => {
  it.each([
    ['sha1', 64],
    ['sha256', 64],
    ['sha384', 128],
  ] as const)(
    'HMAC-%s matches createHmac as the buffer grows and on either side of its end',
    (hash, block) => {
      const key = bytes(32, 5);
      const mac = hmacFor(hash, key);
      const end = 64 * 1024;
      for (const n of [
        4096 - block,
        4096 - block + 1,
        9000,
        end - block - 1,
        end - block,
        end - block + 1,
        end + 5,
      ]) {
        const msg = bytes(n, n);
        const want = createHmac(hash, key).update(msg).digest('hex');
        expect(hex(mac.compute(msg).subarray(0, mac.bytes))).toBe(want);
        const cut = n - 7;
        expect(hex(mac.compute(msg.subarray(0, cut), msg.subarray(cut)).subarray(0, mac.bytes))).toBe(want);
      }
      // The buffer is wiped after use: a short message after a long one is still right.
      const short = bytes(3, 9);
      expect(hex(mac.compute(short).subarray(0, mac.bytes))).toBe(
        createHmac(hash, key).update(short).digest('hex'),
      );
    },
  );
});
