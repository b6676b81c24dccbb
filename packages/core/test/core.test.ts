import {
  concatBytes,
  ErrorCode,
  equalBytes,
  errorCodeName,
  isKerberosError,
  KerberosError,
  ManualClock,
  NtStatus,
  ntStatusName,
  randomUInt31,
  SeededRandom,
} from '@krbsim/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('KerberosError', () => {
  it('carries the wire code, its RFC name and the realm', () => {
    const e = new KerberosError(ErrorCode.KRB_AP_ERR_SKEW, 'clock skew too great', { realm: 'CONTOSO.COM' });
    expect(e.code).toBe(37);
    expect(e.codeName).toBe('KRB_AP_ERR_SKEW');
    expect(e.realm).toBe('CONTOSO.COM');
    expect(String(e)).toBe('KerberosError: KRB_AP_ERR_SKEW (37) from CONTOSO.COM: clock skew too great');
    expect(isKerberosError(e, 37)).toBe(true);
    expect(isKerberosError(e, 31)).toBe(false);
    expect(isKerberosError(new Error('x'))).toBe(false);
  });

  it('names unassigned codes without inventing a meaning', () => {
    expect(errorCodeName(30)).toBe('KRB_ERR_30');
    expect(errorCodeName(68)).toBe('KDC_ERR_WRONG_REALM');
  });
});

describe('NtStatus', () => {
  it('names the statuses a DC gives, signed or not, and writes any other as eight hex digits', () => {
    expect(ntStatusName(NtStatus.STATUS_ACCOUNT_DISABLED)).toBe('STATUS_ACCOUNT_DISABLED');
    expect(ntStatusName(0xc0000224 | 0)).toBe('STATUS_PASSWORD_MUST_CHANGE'); // as a signed 32-bit int
    expect(ntStatusName(0xc0000001)).toBe('0xc0000001');
    expect(ntStatusName(5)).toBe('0x00000005');
  });
});

describe('ManualClock', () => {
  it('moves only when told', () => {
    const c = new ManualClock(1000);
    expect(c.now()).toBe(1000);
    c.advance(500);
    expect(c.now()).toBe(1500);
    c.set(new Date(0));
    expect(c.now()).toBe(0);
  });
});

describe('SeededRandom', () => {
  it('is reproducible per seed and differs across seeds', () => {
    const a = new SeededRandom(42).fill(new Uint8Array(10_000));
    const b = new SeededRandom(42);
    // Reading in odd-sized pieces gives the same stream as one big read.
    const parts = new Uint8Array(10_000);
    for (let off = 0; off < parts.length; off += 7) {
      parts.set(b.fill(new Uint8Array(Math.min(7, parts.length - off))), off);
    }
    expect(parts).toEqual(a);
    expect(new SeededRandom(43).fill(new Uint8Array(32))).not.toEqual(a.subarray(0, 32));
  });

  it('gives 31-bit nonces', () => {
    const r = new SeededRandom('nonce');
    for (let i = 0; i < 1000; i++) {
      const n = randomUInt31(r);
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThan(2 ** 31);
    }
  });
});

describe('systemRandom', () => {
  it('never hands out the same bytes twice, for small and large requests', async () => {
    const { systemRandom } = await import('@krbsim/core');
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const b = systemRandom.fill(new Uint8Array(16));
      const hex = Buffer.from(b).toString('hex');
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
    }
    const big = systemRandom.fill(new Uint8Array(5000));
    expect(big.some((x) => x !== 0)).toBe(true);
    expect(systemRandom.fill(new Uint8Array(0))).toHaveLength(0);
  });
});

describe('concatBytes', () => {
  it('joins byte arrays and number arrays into a new array', () => {
    const a = Uint8Array.of(1, 2);
    const out = concatBytes([a, [3], new Uint8Array(0), Uint8Array.of(4, 5)]);
    expect([...out]).toEqual([1, 2, 3, 4, 5]);
    out[0] = 9;
    expect(a[0]).toBe(1);
    expect(concatBytes([]).length).toBe(0);
  });
});

describe('equalBytes', () => {
  it('is true exactly when the bytes are the same, whatever the arrays', () => {
    expect(equalBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0))).toBe(false);
    // A view compares by its own bytes, not its buffer's.
    const buf = Uint8Array.of(9, 1, 2, 9);
    expect(equalBytes(buf.subarray(1, 3), Uint8Array.of(1, 2))).toBe(true);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
        expect(equalBytes(a, b)).toBe(Buffer.from(a).equals(Buffer.from(b)));
        expect(equalBytes(a, a.slice())).toBe(true);
      }),
    );
  });
});
