/**
 * PRF and KRB-FX-CF2 properties. Published values are covered elsewhere:
 * RFC 8009 Appendix A's PRF samples in rfc8009.test.ts, and MIT's PRF and
 * KRB-FX-CF2 outputs (including mixed etypes) in mit-oracle.test.ts.
 */

import { SeededRandom } from '@krbsim/core';
import { cf2, decrypt, encrypt, generateKey, getEncType, prf, supportedEncTypes } from '@krbsim/crypto';
import { describe, expect, it } from 'vitest';
import { bytes } from './helpers';

const prfBytes: Record<number, number> = { 17: 16, 18: 16, 19: 32, 20: 48, 23: 20 };

describe.each(supportedEncTypes.map((e) => [e]))('etype %i', (etype) => {
  const k1 = generateKey(etype, { random: new SeededRandom(`k1-${etype}`) });
  const k2 = generateKey(etype, { random: new SeededRandom(`k2-${etype}`) });

  it('PRF output has the etype length (RFC 3962: 16, RFC 8009: 32/48) and depends on key and input', () => {
    const out = prf(k1, bytes('test'));
    expect(out.length).toBe(prfBytes[etype]);
    expect(prf(k1, bytes('test'))).toEqual(out);
    expect(prf(k1, bytes('tesT'))).not.toEqual(out);
    expect(prf(k2, bytes('test'))).not.toEqual(out);
    expect(prf(k1, new Uint8Array(0)).length).toBe(prfBytes[etype]);
  });

  it('cf2 gives a key of the etype length, deterministically, and is not symmetric', () => {
    const a = cf2(k1, k2, 'a', 'b');
    expect(a.etype).toBe(etype);
    expect(a.bytes.length).toBe(getEncType(etype).keyBytes);
    expect(cf2(k1, k2, 'a', 'b')).toEqual(a);
    expect(cf2(k2, k1, 'a', 'b')).not.toEqual(a);
    expect(cf2(k1, k2, 'b', 'a')).not.toEqual(a);
    expect(cf2(k1, k2, bytes('a'), bytes('b'))).toEqual(a);
  });

  it('the cf2 key works as a key', () => {
    const key = cf2(k1, k2, 'PKINIT', 'KeyExchange');
    const pt = bytes('hello');
    expect(decrypt(key, 52, encrypt(key, 52, pt))).toEqual(pt);
  });
});

describe('cf2 across etypes', () => {
  it("takes key1's etype and length", () => {
    const k128 = generateKey(17, { random: new SeededRandom(1) });
    const k256 = generateKey(20, { random: new SeededRandom(2) });
    expect(cf2(k128, k256, 'a', 'b').bytes.length).toBe(16);
    expect(cf2(k256, k128, 'a', 'b').bytes.length).toBe(32);
    expect(cf2(k256, k128, 'a', 'b').etype).toBe(20);
  });
});
