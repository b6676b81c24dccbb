import { ErrorCode, isKerberosError } from '@krbsim/core';
import {
  findKeytabEntries,
  findKeytabEntry,
  getKeytabKey,
  type Keytab,
  type KeytabEntry,
  parsePrincipal,
} from '@krbsim/files';
import { describe, expect, it } from 'vitest';

const http = parsePrincipal('HTTP/web.contoso.com@CONTOSO.COM');
const entry = (kvno: number, etype: number, fill: number, principal = http): KeytabEntry => ({
  principal,
  timestamp: 0,
  kvno,
  key: { etype, bytes: new Uint8Array(4).fill(fill) },
});
const keytab: Keytab = {
  entries: [
    entry(2, 18, 1),
    entry(2, 17, 2),
    entry(5, 17, 3),
    entry(3, 18, 4),
    entry(9, 18, 5, parsePrincipal('alice@CONTOSO.COM')),
    entry(300, 18, 6, parsePrincipal('HTTP/web.contoso.com@OTHER.COM')),
  ],
};

describe('keytab lookup', () => {
  it('picks the highest kvno by default, per etype when one is given', () => {
    expect(findKeytabEntry(keytab, { principal: http })!.key.bytes[0]).toBe(3);
    expect(findKeytabEntry(keytab, { principal: http, etype: 18 })!.kvno).toBe(3);
    expect(findKeytabEntry(keytab, { principal: http, etype: 17 })!.kvno).toBe(5);
  });

  it('honours an explicit kvno and returns all etypes for it in file order', () => {
    expect(findKeytabEntries(keytab, { principal: http, kvno: 2 }).map((e) => e.key.etype)).toEqual([18, 17]);
    expect(findKeytabEntry(keytab, { principal: http, kvno: 2, etype: 17 })!.key.bytes[0]).toBe(2);
  });

  it('ignores name types and distinguishes realms', () => {
    const srvHst = { ...http, name: { ...http.name, nameType: 3 } };
    expect(findKeytabEntry(keytab, { principal: srvHst })).toBeDefined();
    expect(
      findKeytabEntry(keytab, { principal: parsePrincipal('HTTP/web.contoso.com@OTHER.COM') })!.kvno,
    ).toBe(300);
    expect(findKeytabEntries(keytab, { principal: parsePrincipal('nobody@CONTOSO.COM') })).toEqual([]);
  });

  it('getKeytabKey reports NOKEY and BADKEYVER like an acceptor', () => {
    expect(getKeytabKey(keytab, { principal: http, etype: 17, kvno: 5 }).bytes[0]).toBe(3);
    const badVer = catchError(() => getKeytabKey(keytab, { principal: http, etype: 18, kvno: 7 }));
    expect(isKerberosError(badVer, ErrorCode.KRB_AP_ERR_BADKEYVER)).toBe(true);
    expect((badVer as Error).message).toBe(
      'keytab has HTTP/web.contoso.com@CONTOSO.COM etype 18 but not kvno 7',
    );
    const noKey = catchError(() => getKeytabKey(keytab, { principal: http, etype: 23 }));
    expect(isKerberosError(noKey, ErrorCode.KRB_AP_ERR_NOKEY)).toBe(true);
    expect((noKey as Error).message).toBe('keytab has no key for HTTP/web.contoso.com@CONTOSO.COM etype 23');
    const noKvno = catchError(() => getKeytabKey(keytab, { principal: parsePrincipal('x@Y'), kvno: 1 }));
    expect((noKvno as Error).message).toBe('keytab has no key for x@Y kvno 1');
  });

  describe('kvno rules of MIT krb5_kt_get_entry', () => {
    const at = (kvno: number, seconds: number, fill: number): KeytabEntry => ({
      ...entry(kvno, 18, fill),
      timestamp: seconds * 1000,
    });
    it('takes kvno 0 in a query for "the most recent", as MIT does', () => {
      const kt: Keytab = { entries: [at(2, 10, 1), at(7, 20, 2)] };
      expect(findKeytabEntry(kt, { principal: http, kvno: 0 })!.kvno).toBe(7);
      expect(getKeytabKey(kt, { principal: http, kvno: 0 }).bytes[0]).toBe(2);
    });
    it('lets an entry of kvno 0 match any kvno, after an exact match', () => {
      const kt: Keytab = { entries: [at(0, 10, 1), at(4, 10, 2)] };
      expect(findKeytabEntry(kt, { principal: http, kvno: 5 })!.key.bytes[0]).toBe(1);
      expect(findKeytabEntry(kt, { principal: http, kvno: 4 })!.key.bytes[0]).toBe(2);
    });
    it("falls back to an entry holding the kvno's low 8 bits, after kvno 0", () => {
      const truncated: Keytab = { entries: [at(2, 10, 1)] };
      expect(findKeytabEntry(truncated, { principal: http, kvno: 258 })!.key.bytes[0]).toBe(1);
      const withAny: Keytab = { entries: [at(2, 10, 1), at(0, 10, 2)] };
      expect(findKeytabEntry(withAny, { principal: http, kvno: 258 })!.key.bytes[0]).toBe(2);
      expect(findKeytabEntry(truncated, { principal: http, kvno: 259 })).toBeUndefined();
      const e = catchError(() => getKeytabKey(truncated, { principal: http, kvno: 259 }));
      expect(isKerberosError(e, ErrorCode.KRB_AP_ERR_BADKEYVER)).toBe(true);
    });
    it('judges a wrapped-around kvno the more recent by its timestamp', () => {
      const latest = (...entries: KeytabEntry[]) => findKeytabEntry({ entries }, { principal: http })!.kvno;
      // kvno 1 written after kvno 255: the kvno wrapped, 1 is the newer (in either file order).
      expect(latest(at(255, 10, 1), at(1, 20, 2))).toBe(1);
      expect(latest(at(1, 20, 2), at(255, 10, 1))).toBe(1);
      // kvno 1 written before kvno 255: no wrap, 255 is the newer.
      expect(latest(at(1, 10, 2), at(255, 20, 1))).toBe(255);
      // Between 128 and 240 nothing wraps: the higher kvno.
      expect(latest(at(200, 10, 1), at(5, 20, 2))).toBe(200);
    });
    it('finds the most recent among many entries', () => {
      const many: Keytab = { entries: Array.from({ length: 200_000 }, (_, i) => at((i % 100) + 1, 10, 1)) };
      expect(findKeytabEntries(many, { principal: http })).toHaveLength(2000);
    });
  });
});

function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}
