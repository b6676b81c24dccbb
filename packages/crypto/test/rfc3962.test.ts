/**
 * RFC 3962 (AES-SHA1 for Kerberos 5) Appendix B "Sample Test Vectors":
 * every string-to-key vector (both key sizes) and every CBC-with-ciphertext-
 * stealing vector (key 636869636b656e207465726979616b69, IV zero).
 */

import { EncType, stringToKey } from '@krbsim/crypto';
import { describe, expect, it } from 'vitest';
import { AesCts, ctsSpace } from '../src/rfc3962/aes-cts';
import { bytes, hex, toHex } from './helpers';

const be32 = (n: number) => hex(n.toString(16).padStart(8, '0'));

// RFC 3962 Appendix B, string-to-key: (iterations, pass phrase, salt, 128-bit AES key, 256-bit AES key).
const s2kVectors: ReadonlyArray<readonly [string, number, Uint8Array, Uint8Array, string, string]> = [
  [
    'Iteration count = 1',
    1,
    bytes('password'),
    bytes('ATHENA.MIT.EDUraeburn'),
    '42263c6e89f4fc28b8df68ee09799f15',
    'fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161',
  ],
  [
    'Iteration count = 2',
    2,
    bytes('password'),
    bytes('ATHENA.MIT.EDUraeburn'),
    'c651bf29e2300ac27fa469d693bdda13',
    'a2e16d16b36069c135d5e9d2e25f896102685618b95914b467c67622225824ff',
  ],
  [
    'Iteration count = 1200',
    1200,
    bytes('password'),
    bytes('ATHENA.MIT.EDUraeburn'),
    '4c01cd46d632d01e6dbe230a01ed642a',
    '55a6ac740ad17b4846941051e1e8b0a7548d93b0ab30a8bc3ff16280382b8c2a',
  ],
  [
    'Iteration count = 5, salt = 0x1234567878563412',
    5,
    bytes('password'),
    hex('1234567878563412'),
    'e9b23d52273747dd5c35cb55be619d8e',
    '97a4e786be20d81a382d5ebc96d5909cabcdadc87ca48f574504159f16c36e31',
  ],
  [
    'pass phrase equals block size (64 X)',
    1200,
    bytes('X'.repeat(64)),
    bytes('pass phrase equals block size'),
    '59d1bb789a828b1aa54ef9c2883f69ed',
    '89adee3608db8bc71f1bfbfe459486b05618b70cbae22092534e56c553ba4b34',
  ],
  [
    'pass phrase exceeds block size (65 X)',
    1200,
    bytes('X'.repeat(65)),
    bytes('pass phrase exceeds block size'),
    'cb8005dc5f90179a7f02104c0018751d',
    'd78c5c9cb872a8c9dad4697f0bb5b2d21496c82beb2caeda2112fceea057401b',
  ],
  [
    'pass phrase = g-clef (0xf09d849e)',
    50,
    hex('f09d849e'),
    bytes('EXAMPLE.COMpianist'),
    'f149c1f2e154a73452d43e7fe62a56e5',
    '4b6d9839f84406df1f09cc166db4b83c571848b784a3d6bdc346589a3e393f9e',
  ],
];

describe('RFC 3962 Appendix B: string-to-key', () => {
  it.each(s2kVectors)('%s', (_name, iterations, password, salt, key128, key256) => {
    const params = be32(iterations);
    expect(toHex(stringToKey(EncType.AES128_CTS_HMAC_SHA1_96, password, salt, params).bytes)).toBe(key128);
    expect(toHex(stringToKey(EncType.AES256_CTS_HMAC_SHA1_96, password, salt, params).bytes)).toBe(key256);
  });

  it('accepts the g-clef pass phrase as a JavaScript string too (UTF-8 encoded)', () => {
    const key = stringToKey(17, '\u{1D11E}', 'EXAMPLE.COMpianist', be32(50));
    expect(toHex(key.bytes)).toBe('f149c1f2e154a73452d43e7fe62a56e5');
  });
});

// RFC 3962 Appendix B, "Some test vectors for CBC with ciphertext stealing,
// using an initial vector of all-zero": (input, output, next IV).
const ctsKey = hex('636869636b656e207465726979616b69');
const ctsVectors: ReadonlyArray<readonly [string, string, string]> = [
  [
    '4920776f756c64206c696b652074686520',
    'c6353568f2bf8cb4d8a580362da7ff7f97',
    'c6353568f2bf8cb4d8a580362da7ff7f',
  ],
  [
    '4920776f756c64206c696b65207468652047656e6572616c20476175277320',
    'fc00783e0efdb2c1d445d4c8eff7ed2297687268d6ecccc0c07b25e25ecfe5',
    'fc00783e0efdb2c1d445d4c8eff7ed22',
  ],
  [
    '4920776f756c64206c696b65207468652047656e6572616c2047617527732043',
    '39312523a78662d5be7fcbcc98ebf5a897687268d6ecccc0c07b25e25ecfe584',
    '39312523a78662d5be7fcbcc98ebf5a8',
  ],
  [
    '4920776f756c64206c696b65207468652047656e6572616c20476175277320436869636b656e2c20706c656173652c',
    '97687268d6ecccc0c07b25e25ecfe584b3fffd940c16a18c1b5549d2f838029e39312523a78662d5be7fcbcc98ebf5',
    'b3fffd940c16a18c1b5549d2f838029e',
  ],
  [
    '4920776f756c64206c696b65207468652047656e6572616c20476175277320436869636b656e2c20706c656173652c20',
    '97687268d6ecccc0c07b25e25ecfe5849dad8bbb96c4cdc03bc103e1a194bbd839312523a78662d5be7fcbcc98ebf5a8',
    '9dad8bbb96c4cdc03bc103e1a194bbd8',
  ],
  [
    '4920776f756c64206c696b65207468652047656e6572616c20476175277320436869636b656e2c20706c656173652c20616e6420776f6e746f6e20736f75702e',
    '97687268d6ecccc0c07b25e25ecfe58439312523a78662d5be7fcbcc98ebf5a84807efe836ee89a526730dbc2f7bc8409dad8bbb96c4cdc03bc103e1a194bbd8',
    '4807efe836ee89a526730dbc2f7bc840',
  ],
];

function ctsEncrypt(engine: AesCts, plaintext: Uint8Array): string {
  const staged = new Uint8Array(ctsSpace(plaintext.length, 0));
  staged.set(plaintext);
  return toHex(engine.encrypt(staged, plaintext.length, 0).subarray(0, plaintext.length));
}

describe('RFC 3962 Appendix B: AES-CTS', () => {
  it.each(ctsVectors)('encrypts %s', (input, output) => {
    expect(ctsEncrypt(new AesCts(ctsKey), hex(input))).toBe(output);
  });

  it.each(ctsVectors)('decrypts back to %s', (input, output) => {
    const ct = hex(output);
    expect(toHex(new AesCts(ctsKey).decrypt(ct, ct.length).subarray(0, ct.length))).toBe(input);
  });

  it('the next IV the RFC lists is the second-to-last output block (Cm, the last CBC block)', () => {
    for (const [, output, nextIv] of ctsVectors) {
      const ct = hex(output);
      const m = Math.ceil(ct.length / 16);
      const fullBlockAt = m === 1 ? 0 : (m - 2) * 16;
      expect(toHex(ct.subarray(fullBlockAt, fullBlockAt + 16))).toBe(nextIv);
    }
  });

  it('one engine reused across messages gives the same results (its CBC chaining is cancelled)', () => {
    const engine = new AesCts(ctsKey);
    for (let round = 0; round < 3; round++) {
      for (const [input, output] of ctsVectors) {
        expect(ctsEncrypt(engine, hex(input))).toBe(output);
        const ct = hex(output);
        expect(toHex(engine.decrypt(ct, ct.length).subarray(0, ct.length))).toBe(input);
      }
    }
  });
});
