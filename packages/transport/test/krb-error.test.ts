import { encodeKrbError, type KrbErrorMessage } from '@krbsim/asn1';
import { ErrorCode } from '@krbsim/core';
import {
  describeMessage,
  isResponseTooBig,
  MESSAGE_TYPES,
  messageType,
  peekKrbErrorCode,
  peekRequestTarget,
  transportKrbError,
} from '@krbsim/transport';
import * as asn1js from 'asn1js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asReq, ctx, gstr, gtime, hex, int, principal, seq, tgsReq, tlv } from './der';

/** Decode with asn1js (an independent DER parser) and return the context fields of the KRB-ERROR. */
function fieldsOf(der: Uint8Array): Map<number, asn1js.AsnType> {
  const { offset, result } = asn1js.fromBER(Uint8Array.from(der));
  expect(offset).toBe(der.length);
  expect(result.idBlock.tagClass).toBe(2); // APPLICATION
  expect(result.idBlock.tagNumber).toBe(30);
  const sequence = (result as asn1js.Constructed).valueBlock.value[0] as asn1js.Sequence;
  const out = new Map<number, asn1js.AsnType>();
  for (const f of sequence.valueBlock.value) {
    expect(f.idBlock.tagClass).toBe(3); // context
    out.set(f.idBlock.tagNumber, (f as asn1js.Constructed).valueBlock.value[0]!);
  }
  return out;
}

const str = (t: asn1js.AsnType | undefined) => (t as asn1js.GeneralString).valueBlock.value;
const num = (t: asn1js.AsnType | undefined) => Number((t as asn1js.Integer).toBigInt());
const krbError = (f: Omit<KrbErrorMessage, 'pvno' | 'msgType'>) =>
  encodeKrbError({ pvno: 5, msgType: 30, ...f });

const T = Date.UTC(2026, 0, 1, 12, 0, 0) + 250;

describe('transportKrbError (RFC 4120 section 5.9.1)', () => {
  it('builds the exact DER for a TGS-REQ: realm and sname from the request, no client', () => {
    const der = transportKrbError({
      errorCode: ErrorCode.KRB_ERR_RESPONSE_TOO_BIG,
      now: T,
      request: tgsReq('CONTOSO.COM', 'MSSQLSvc', 'sql.contoso.com:1433'),
    });
    const expected = tlv(
      0x7e,
      seq(
        ctx(0, int(5)),
        ctx(1, int(30)),
        ctx(4, gtime('20260101120000Z')),
        ctx(5, int(250_000)),
        ctx(6, int(52)),
        ctx(9, gstr('CONTOSO.COM')),
        ctx(10, principal(2, 'MSSQLSvc', 'sql.contoso.com:1433')),
      ),
    );
    expect(hex(der)).toBe(hex(expected));
    expect([...fieldsOf(der).keys()]).toEqual([0, 1, 4, 5, 6, 9, 10]);
  });

  it('echoes an AS-REQ client in crealm/cname', () => {
    const f = fieldsOf(transportKrbError({ errorCode: 52, now: T, request: asReq('alice', 'CONTOSO.COM') }));
    expect([...f.keys()]).toEqual([0, 1, 4, 5, 6, 7, 8, 9, 10]);
    expect(str(f.get(7))).toBe('CONTOSO.COM');
    expect(str(f.get(9))).toBe('CONTOSO.COM');
    const cname = (f.get(8) as asn1js.Sequence).valueBlock.value[1] as asn1js.Constructed;
    expect(str((cname.valueBlock.value[0] as asn1js.Sequence).valueBlock.value[0])).toBe('alice');
  });

  it('falls back to krbtgt/<fallback realm>, or an empty realm, for unreadable requests', () => {
    const bare = transportKrbError({ errorCode: 61, now: T, fallbackRealm: 'FALLBACK', eText: 'why' });
    expect(hex(bare)).toContain(hex(ctx(10, principal(2, 'krbtgt', 'FALLBACK'))));
    expect(str(fieldsOf(bare).get(11))).toBe('why');
    const empty = fieldsOf(transportKrbError({ errorCode: 61, now: T, request: Uint8Array.from([0x6a, 2]) }));
    expect(str(empty.get(9))).toBe('');
    expect(num(empty.get(6))).toBe(61);
  });

  it('splits any time into whole seconds and microseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000_000 }), (now) => {
        const f = fieldsOf(transportKrbError({ errorCode: 60, now }));
        expect(num(f.get(5))).toBe((now % 1000) * 1000);
      }),
      { numRuns: 50 },
    );
  });
});

describe('peeks', () => {
  it('peekKrbErrorCode reads any Int32 code and ignores anything that is not a well-formed KRB-ERROR', () => {
    fc.assert(
      fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (code) => {
        const der = krbError({
          errorCode: code,
          stime: 0,
          susec: 0,
          realm: 'R',
          sname: { nameType: 1, nameString: ['x'] },
        });
        expect(peekKrbErrorCode(der)).toBe(code);
      }),
      { numRuns: 100 },
    );
    const good = krbError({
      errorCode: 52,
      stime: 0,
      susec: 0,
      realm: 'R',
      sname: { nameType: 2, nameString: ['krbtgt', 'R'] },
    });
    expect(isResponseTooBig(good)).toBe(true);
    expect(peekKrbErrorCode(good.subarray(0, good.length - 1))).toBeUndefined();
    expect(peekKrbErrorCode(Uint8Array.from([...good, 0]))).toBeUndefined();
    expect(peekKrbErrorCode(asReq('alice', 'R'))).toBeUndefined();
    expect(peekKrbErrorCode(new Uint8Array(0))).toBeUndefined();
    expect(peekKrbErrorCode(tlv(0x7e, seq(ctx(0, int(5)))))).toBeUndefined();
    expect(peekKrbErrorCode(Uint8Array.from([0x7e, 0x85, 0, 0, 0, 0, 0]))).toBeUndefined();
    expect(
      isResponseTooBig(
        krbError({
          errorCode: 25,
          stime: 0,
          susec: 0,
          realm: 'R',
          sname: { nameType: 1, nameString: ['x'] },
        }),
      ),
    ).toBe(false);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(peekKrbErrorCode(Uint8Array.from([0x7e, ...b]))).toBeUndefined();
      }),
    );
  });

  it('peekRequestTarget reads realm, sname and cname of AS-REQ and TGS-REQ', () => {
    expect(peekRequestTarget(asReq('alice', 'CONTOSO.COM'))).toEqual({
      msgType: 10,
      realm: 'CONTOSO.COM',
      sname: { nameType: 2, nameString: ['krbtgt', 'CONTOSO.COM'] },
      cname: { nameType: 1, nameString: ['alice'] },
    });
    expect(peekRequestTarget(tgsReq('CONTOSO.COM', 'MSSQLSvc', 'sql.contoso.com:1433'))).toEqual({
      msgType: 12,
      realm: 'CONTOSO.COM',
      sname: { nameType: 2, nameString: ['MSSQLSvc', 'sql.contoso.com:1433'] },
    });
    expect(peekRequestTarget(Uint8Array.from([0x6a, 0x02, 0x30, 0x00]))).toBeUndefined();
    expect(peekRequestTarget(Uint8Array.from([0x6e, 0x00]))).toBeUndefined();
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 255 }), (i, b) => {
        const m = asReq('alice', 'R');
        m[i % m.length] = b;
        peekRequestTarget(m); // never throws
      }),
    );
  });
});

describe('message types', () => {
  it('names messages from the first byte', () => {
    const names = [0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x74, 0x75, 0x76, 0x7e, 0x61, 0x30].map((b) =>
      messageType(Uint8Array.from([b, 0])),
    );
    expect(names).toEqual([
      'AS-REQ',
      'AS-REP',
      'TGS-REQ',
      'TGS-REP',
      'AP-REQ',
      'AP-REP',
      'KRB-SAFE',
      'KRB-PRIV',
      'KRB-CRED',
      'KRB-ERROR',
      'unknown',
      'unknown',
    ]);
    expect(messageType(new Uint8Array(0))).toBe('unknown');
  });

  it("derives the table from asn1's registries: the ten top-level messages", () => {
    expect(MESSAGE_TYPES).toEqual({
      106: 'AS-REQ',
      107: 'AS-REP',
      108: 'TGS-REQ',
      109: 'TGS-REP',
      110: 'AP-REQ',
      111: 'AP-REP',
      116: 'KRB-SAFE',
      117: 'KRB-PRIV',
      118: 'KRB-CRED',
      126: 'KRB-ERROR',
    });
    expect(Object.isFrozen(MESSAGE_TYPES)).toBe(true);
  });

  it('describes a KRB-ERROR with its code name when readable', () => {
    const e = krbError({
      errorCode: 25,
      stime: 0,
      susec: 0,
      realm: 'R',
      sname: { nameType: 1, nameString: [] },
    });
    expect(describeMessage(e)).toBe('KRB-ERROR KDC_ERR_PREAUTH_REQUIRED');
    expect(describeMessage(Uint8Array.from([0x7e, 0]))).toBe('KRB-ERROR');
    expect(describeMessage(asReq('a', 'R'))).toBe('AS-REQ');
  });
});
