/**
 * Every error path of the public API: the KerberosError code and message,
 * and that messages never carry key bytes, passwords or plaintext.
 */

import { ErrorCode, KerberosError } from '@krbsim/core';
import {
  cf2,
  checksum,
  checksumTypeFor,
  decrypt,
  encrypt,
  generateKey,
  getEncType,
  nfold,
  prf,
  randomToKey,
  stringToKey,
  verifyChecksum,
} from '@krbsim/crypto';
import { describe, expect, it } from 'vitest';
import { iterationCount, MAX_ITERATIONS } from '../src/rfc3962/string-to-key';
import { expectKerberosError, hex, toHex } from './helpers';

const NOSUPP = ErrorCode.KDC_ERR_ETYPE_NOSUPP;
const GENERIC = ErrorCode.KRB_ERR_GENERIC;
const INTEGRITY = ErrorCode.KRB_AP_ERR_BAD_INTEGRITY;
const be32 = (n: number) => hex((n >>> 0).toString(16).padStart(8, '0'));

const key18 = randomToKey(18, new Uint8Array(32).fill(0x11));
const key17 = randomToKey(17, new Uint8Array(16).fill(0x22));

describe('unsupported encryption types → KDC_ERR_ETYPE_NOSUPP', () => {
  // 1 and 3: DES (RFC 6649); 16: des3-cbc-sha1 (RFC 8429); 99: unassigned.
  it.each([1, 3, 16, 99, 24, 25, -1])('etype %i', (etype) => {
    const message = new RegExp(`encryption type ${etype} is not supported`);
    expectKerberosError(() => getEncType(etype), NOSUPP, message);
    expectKerberosError(() => stringToKey(etype, 'password', 'EXAMPLE.COMalice'), NOSUPP, message);
    expectKerberosError(() => randomToKey(etype, new Uint8Array(16)), NOSUPP, message);
    expectKerberosError(() => generateKey(etype), NOSUPP, message);
    expectKerberosError(() => checksumTypeFor(etype), NOSUPP, message);
    const key = { etype, bytes: new Uint8Array(16) };
    expectKerberosError(() => encrypt(key, 1, new Uint8Array(4)), NOSUPP, message);
    expectKerberosError(() => decrypt(key, 1, new Uint8Array(64)), NOSUPP, message);
    expectKerberosError(() => checksum(key, 1, new Uint8Array(4)), NOSUPP, message);
    expectKerberosError(() => verifyChecksum(key, 1, new Uint8Array(4), new Uint8Array(12)), NOSUPP, message);
    expectKerberosError(() => prf(key, new Uint8Array(4)), NOSUPP, message);
    expectKerberosError(() => cf2(key, key17, 'a', 'b'), NOSUPP, message);
  });

  it('names a non-numeric etype without echoing it', () => {
    expectKerberosError(() => getEncType('18' as unknown as number), NOSUPP, /encryption type \(string\)/);
  });
});

describe('keys of the wrong length → KRB_ERR_GENERIC', () => {
  it.each([
    [17, 32],
    [18, 16],
    [19, 0],
    [20, 24],
    [23, 8],
  ])('etype %i with %i bytes', (etype, n) => {
    const key = { etype, bytes: new Uint8Array(n).fill(0xab) };
    const profile = getEncType(etype);
    const message = new RegExp(`${profile.name} key must be ${profile.keyBytes} bytes, got ${n}`);
    const err = expectKerberosError(() => encrypt(key, 1, new Uint8Array(1)), GENERIC, message);
    expect(err.message).not.toContain('abab');
    expectKerberosError(() => decrypt(key, 1, new Uint8Array(64)), GENERIC, message);
    expectKerberosError(() => checksum(key, 1, new Uint8Array(1)), GENERIC, message);
    expectKerberosError(() => prf(key, new Uint8Array(1)), GENERIC, message);
    expectKerberosError(() => randomToKey(etype, new Uint8Array(n)), GENERIC, /random-to-key needs/);
  });

  it('key bytes that are not a Uint8Array', () => {
    const key = { etype: 18, bytes: Array.from(new Uint8Array(32)) as unknown as Uint8Array };
    expectKerberosError(() => encrypt(key, 1, new Uint8Array(1)), GENERIC, /key bytes must be a Uint8Array/);
    expectKerberosError(
      () => encrypt(null as unknown as typeof key, 1, new Uint8Array(1)),
      GENERIC,
      /must be an/,
    );
  });
});

describe('s2kparams and iteration counts', () => {
  it.each([0, MAX_ITERATIONS + 1, 0x7fffffff, 0xffffffff])(
    'iteration count %i → KRB_ERR_GENERIC',
    (count) => {
      for (const etype of [17, 18, 19, 20]) {
        expectKerberosError(
          () => stringToKey(etype, 'password', 'salt', be32(count)),
          GENERIC,
          new RegExp(`iteration count ${count} is out of range: it must be between 1 and 16777216`),
        );
      }
    },
  );

  it('accepts 1 and exactly 16,777,216 (the bounds, checked without running PBKDF2 that long)', () => {
    expect(iterationCount(be32(1), 4096, 'x')).toBe(1);
    expect(iterationCount(be32(MAX_ITERATIONS), 4096, 'x')).toBe(16_777_216);
    expect(iterationCount(new Uint8Array(0), 4096, 'x')).toBe(4096);
  });

  it.each([1, 3, 5, 8])('s2kparams of %i bytes → KRB_ERR_GENERIC', (n) => {
    expectKerberosError(
      () => stringToKey(18, 'password', 'salt', new Uint8Array(n)),
      GENERIC,
      new RegExp(`s2kparams must be 4 bytes \\(an iteration count\\), got ${n}`),
    );
  });

  it('rc4-hmac takes no s2kparams', () => {
    expectKerberosError(
      () => stringToKey(23, 'password', 'salt', be32(4096)),
      GENERIC,
      /rc4-hmac takes no s2kparams/,
    );
  });

  it('passwords with no Unicode form → KRB_ERR_GENERIC', () => {
    for (const etype of [17, 19, 23]) {
      expectKerberosError(
        () => stringToKey(etype, 'pass\ud800word', 'salt'),
        GENERIC,
        /unpaired UTF-16 surrogate/,
      );
    }
    expectKerberosError(() => stringToKey(23, hex('ff fe'), 'salt'), GENERIC, /not valid UTF-8/);
    expectKerberosError(() => stringToKey(18, 42 as unknown as string, 'salt'), GENERIC, /password must be/);
    expectKerberosError(() => stringToKey(18, 'pw', 42 as unknown as string), GENERIC, /salt must be/);
  });
});

describe('key usages', () => {
  it.each([-1, 1.5, 2 ** 32, Number.NaN, Number.POSITIVE_INFINITY])('usage %d → KRB_ERR_GENERIC', (usage) => {
    const message = /key usage must be an integer between 0 and 2\^32 - 1/;
    expectKerberosError(() => encrypt(key18, usage, new Uint8Array(1)), GENERIC, message);
    expectKerberosError(() => decrypt(key18, usage, new Uint8Array(64)), GENERIC, message);
    expectKerberosError(() => checksum(key18, usage, new Uint8Array(1)), GENERIC, message);
    expectKerberosError(
      () => verifyChecksum(key18, usage, new Uint8Array(1), new Uint8Array(12)),
      GENERIC,
      message,
    );
  });

  it('accepts 0 and 2^32 - 1', () => {
    for (const usage of [0, 0xffffffff]) {
      expect(decrypt(key18, usage, encrypt(key18, usage, new Uint8Array([1, 2, 3])))).toEqual(
        new Uint8Array([1, 2, 3]),
      );
    }
  });
});

describe('confounders', () => {
  it.each([
    [18, 15],
    [18, 17],
    [23, 16],
  ])('etype %i with a %i-byte confounder → KRB_ERR_GENERIC', (etype, n) => {
    const key = generateKey(etype);
    expectKerberosError(
      () => encrypt(key, 1, new Uint8Array(1), { confounder: new Uint8Array(n) }),
      GENERIC,
      /confounder must be (16|8) bytes/,
    );
  });
});

describe('checksum types', () => {
  it('an unknown checksum type → KDC_ERR_SUMTYPE_NOSUPP', () => {
    // 10: RFC 3961's other number for unkeyed sha1, which MIT does not implement either (14 is supported).
    for (const cksumtype of [1, 7, 10, 12, 999]) {
      expectKerberosError(
        () => checksum(key18, 1, new Uint8Array(1), { cksumtype }),
        ErrorCode.KDC_ERR_SUMTYPE_NOSUPP,
        new RegExp(`checksum type ${cksumtype} is not supported`),
      );
    }
  });

  it("a checksum type of another etype's keys → KRB_AP_ERR_INAPP_CKSUM", () => {
    expectKerberosError(
      () => checksum(key17, 1, new Uint8Array(1), { cksumtype: 16 }),
      ErrorCode.KRB_AP_ERR_INAPP_CKSUM,
      /checksum type 16 cannot be computed with a key of encryption type 17/,
    );
    // -138 (hmac-md5) is no longer here: it takes a key of any etype (checksum-types.test.ts).
    expectKerberosError(
      () => verifyChecksum(key18, 1, new Uint8Array(1), new Uint8Array(16), { cksumtype: 19 }),
      ErrorCode.KRB_AP_ERR_INAPP_CKSUM,
    );
  });

  it('the matching checksum type is accepted explicitly', () => {
    expect(checksum(key18, 1, new Uint8Array(1), { cksumtype: 16 })).toEqual(
      checksum(key18, 1, new Uint8Array(1)),
    );
  });
});

describe('integrity failures → KRB_AP_ERR_BAD_INTEGRITY, with no secrets in the message', () => {
  const secret = 'top secret plaintext';
  const pt = new TextEncoder().encode(secret);

  it.each([17, 18, 19, 20, 23])('etype %i: wrong key, wrong usage, tampering', (etype) => {
    const key = generateKey(etype);
    const other = generateKey(etype);
    const ct = encrypt(key, 3, pt);
    for (const attempt of [
      () => decrypt(other, 3, ct),
      () => decrypt(key, 4, ct),
      () => decrypt(key, 3, ct.subarray(0, ct.length - 1)),
      () => decrypt(key, 3, new Uint8Array([...ct, 0])),
    ]) {
      const err = expectKerberosError(attempt, INTEGRITY, /^integrity check failed: /);
      expect(err.message).not.toContain(secret);
      expect(err.message).not.toContain(toHex(key.bytes));
      expect(err.message).not.toContain(toHex(pt));
      expect(String(err)).toContain('KRB_AP_ERR_BAD_INTEGRITY (31)');
    }
  });

  it('too-short ciphertexts say how long they were and the minimum', () => {
    expectKerberosError(
      () => decrypt(key18, 1, new Uint8Array(27)),
      INTEGRITY,
      /ciphertext of 27 bytes is shorter than the 28-byte minimum/,
    );
    expectKerberosError(
      () => decrypt(generateKey(20), 1, new Uint8Array(39)),
      INTEGRITY,
      /shorter than the 40-byte minimum/,
    );
    expectKerberosError(() => decrypt(generateKey(23), 1, new Uint8Array(23)), INTEGRITY, /24-byte minimum/);
  });

  it('non-Uint8Array inputs are rejected as KRB_ERR_GENERIC, not TypeError', () => {
    expectKerberosError(() => decrypt(key18, 1, 'abc' as unknown as Uint8Array), GENERIC);
    expectKerberosError(() => encrypt(key18, 1, [1, 2] as unknown as Uint8Array), GENERIC);
    expectKerberosError(() => checksum(key18, 1, 'x' as unknown as Uint8Array), GENERIC);
    expectKerberosError(() => prf(key18, 'x' as unknown as Uint8Array), GENERIC);
  });
});

describe('n-fold arguments', () => {
  it('empty input and bad lengths → KRB_ERR_GENERIC', () => {
    expectKerberosError(() => nfold(new Uint8Array(0), 8), GENERIC, /must not be empty/);
    expectKerberosError(() => nfold(new Uint8Array(1), 0), GENERIC, /positive integer/);
    // Bounded work: lcm(40009, 40007) additions would take a minute; 2^31 bytes would end the process.
    expectKerberosError(() => nfold(new Uint8Array(40009), 40007), GENERIC, /at most 1024 bytes in and out/);
    expectKerberosError(() => nfold(new Uint8Array(3), 2 ** 31), GENERIC, /at most 1024 bytes/);
    expect(nfold(new Uint8Array(1024).fill(1), 1023)).toHaveLength(1023);
    expectKerberosError(() => nfold(new Uint8Array(1), 1.5), GENERIC, /positive integer/);
  });
});

describe('every thrown error is a KerberosError', () => {
  it('even for garbage arguments', () => {
    const garbage: unknown[] = [undefined, null, 0, 'x', {}, [], new Uint8Array(3)];
    for (const g of garbage) {
      for (const call of [
        () => encrypt(g as never, 1, new Uint8Array(1)),
        () => decrypt(key18, 1, g as never),
        () => checksum(g as never, 1, new Uint8Array(1)),
      ]) {
        expect(call).toThrow(KerberosError);
      }
    }
  });
});
