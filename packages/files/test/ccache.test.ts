import { ErrorCode, KerberosError } from '@krbsim/core';
import { type Ccache, type CcacheCredential, parseCcache, serializeCcache } from '@krbsim/files';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { be16, be32, bytes, hex, seq, str32 } from './helpers';

const T = Date.UTC(2026, 0, 1);
const alice = { realm: 'CONTOSO.COM', name: { nameType: 1, nameString: ['alice'] } };
const krbtgt = { realm: 'CONTOSO.COM', name: { nameType: 2, nameString: ['krbtgt', 'CONTOSO.COM'] } };
const ticketDer = Uint8Array.from([0x61, 0x03, 0x30, 0x01, 0x00]);

const tgt: CcacheCredential = {
  client: alice,
  server: krbtgt,
  key: { etype: 18, bytes: Uint8Array.from(seq(32)) },
  authtime: T,
  starttime: T,
  endtime: T + 36_000_000,
  renewTill: T + 7 * 86_400_000,
  isSkey: false,
  ticketFlags: 0x40e10000,
  addresses: [{ addrType: 2, address: Uint8Array.from([127, 0, 0, 1]) }],
  authdata: [{ adType: 1, adData: Uint8Array.from([0x30, 0x00]) }],
  ticket: ticketDer,
  secondTicket: new Uint8Array(0),
};

const principalBytes = (p: typeof alice) => [
  ...be32(p.name.nameType),
  ...be32(p.name.nameString.length),
  ...str32(p.realm),
  ...p.name.nameString.flatMap(str32),
];

function tgtBytes(v3 = false): number[] {
  return [
    ...principalBytes(alice),
    ...principalBytes(krbtgt),
    ...be16(18),
    ...(v3 ? be16(18) : []),
    ...be32(32),
    ...seq(32),
    ...be32(T / 1000),
    ...be32(T / 1000),
    ...be32(T / 1000 + 36_000),
    ...be32(T / 1000 + 7 * 86_400),
    0, // is_skey
    ...be32(0x40e10000),
    ...be32(1),
    ...be16(2),
    ...be32(4),
    127,
    0,
    0,
    1,
    ...be32(1),
    ...be16(1),
    ...be32(2),
    0x30,
    0,
    ...be32(ticketDer.length),
    ...ticketDer,
    ...be32(0),
  ];
}

const header = [...be16(12), ...be16(1), ...be16(8), ...be32(-5), ...be32(250_000)];

function expectFormatError(f: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(KerberosError);
  expect((caught as KerberosError).code).toBe(ErrorCode.KRB_ERR_GENERIC);
  expect((caught as KerberosError).message).toMatch(pattern);
}

describe('serializeCcache', () => {
  it('writes version 4 with the time offset tag, field by field', () => {
    const cc: Ccache = {
      timeOffset: { seconds: -5, microseconds: 250_000 },
      defaultPrincipal: alice,
      credentials: [tgt],
    };
    const expected = bytes(0x05, 0x04, header, principalBytes(alice), tgtBytes());
    expect(hex(serializeCcache(cc))).toBe(hex(expected));
  });

  it('writes an empty header when there is no time offset', () => {
    const out = serializeCcache({ defaultPrincipal: alice, credentials: [] });
    expect(hex(out)).toBe(hex(bytes(5, 4, 0, 0, principalBytes(alice))));
  });

  it('writes version 3: no header, enctype twice', () => {
    const out = serializeCcache({ version: 3, defaultPrincipal: alice, credentials: [tgt] });
    expect(hex(out)).toBe(hex(bytes(5, 3, principalBytes(alice), tgtBytes(true))));
  });

  it('keeps unknown header tags', () => {
    const cc: Ccache = {
      version: 4,
      otherHeaderTags: [{ tag: 7, data: Uint8Array.from([1, 2, 3]) }],
      defaultPrincipal: alice,
      credentials: [],
    };
    const out = serializeCcache(cc);
    expect(hex(out.subarray(0, 11))).toBe('0504000700070003010203');
    expect(parseCcache(out)).toEqual(cc);
  });

  it('reads and writes enctypes and authdata types as signed 16 bits, as MIT does', () => {
    const local = {
      ...tgt,
      key: { etype: -135, bytes: tgt.key.bytes },
      authdata: [{ adType: -1, adData: Uint8Array.of(1) }],
    };
    const out = serializeCcache({ defaultPrincipal: alice, credentials: [local] });
    const back = parseCcache(out).credentials[0]!;
    expect(back.key.etype).toBe(-135);
    expect(back.authdata[0]!.adType).toBe(-1);
  });

  it('rejects values that do not fit', () => {
    const bad = (patch: Partial<CcacheCredential>) => () =>
      serializeCcache({ defaultPrincipal: alice, credentials: [{ ...tgt, ...patch }] });
    expectFormatError(bad({ endtime: -1000 }), /credential 0 endtime -1000 ms does not fit/);
    expectFormatError(bad({ ticketFlags: 2 ** 32 }), /credential 0 ticket flags/);
    expectFormatError(
      bad({ key: { etype: 0x8000, bytes: new Uint8Array(0) } }),
      /credential 0 enctype 32768 does not fit MIT's signed 16 bits/,
    );
    expectFormatError(
      bad({ addresses: [{ addrType: 1 << 16, address: new Uint8Array(0) }] }),
      /address 0 type/,
    );
    expectFormatError(
      bad({ authdata: [{ adType: -0x8001, adData: new Uint8Array(0) }] }),
      /authdata 0 type -32769/,
    );
    expectFormatError(
      bad({ server: { realm: 'R', name: { nameType: 1.5, nameString: [] } } }),
      /credential 0 server name type 1.5/,
    );
    expectFormatError(
      () =>
        serializeCcache({
          timeOffset: { seconds: 2 ** 31, microseconds: 0 },
          defaultPrincipal: alice,
          credentials: [],
        }),
      /time offset seconds 2147483648/,
    );
    expectFormatError(
      () =>
        serializeCcache({
          otherHeaderTags: [{ tag: 9, data: new Uint8Array(70_000) }],
          defaultPrincipal: alice,
          credentials: [],
        }),
      /header tag 9 length 70000/,
    );
    // A name type is read back signed: one past 2^31 - 1 would come back negative.
    expectFormatError(
      bad({ server: { realm: 'R', name: { nameType: 0x80000001, nameString: ['x'] } } }),
      /credential 0 server name type 2147483649 does not fit a signed 32-bit integer/,
    );
    // Version 3 has no header: a time offset or header tags are refused, not dropped.
    for (const header of [
      { timeOffset: { seconds: -3600, microseconds: 0 } },
      { otherHeaderTags: [{ tag: 2, data: Uint8Array.of(1) }] },
    ]) {
      expectFormatError(
        () => serializeCcache({ version: 3, ...header, defaultPrincipal: alice, credentials: [] }),
        /version 3 has no header for a time offset or header tags/,
      );
    }
  });
});

describe('parseCcache', () => {
  it('reads the hand-built version 4 vector', () => {
    const cc = parseCcache(bytes(5, 4, header, principalBytes(alice), tgtBytes()));
    expect(cc).toEqual({
      version: 4,
      timeOffset: { seconds: -5, microseconds: 250_000 },
      defaultPrincipal: alice,
      credentials: [tgt],
    });
  });

  it('reads version 3', () => {
    const cc = parseCcache(bytes(5, 3, principalBytes(alice), tgtBytes(true), tgtBytes(true)));
    expect(cc).toEqual({ version: 3, defaultPrincipal: alice, credentials: [tgt, tgt] });
  });

  describe('rejects malformed input with the byte offset', () => {
    const good = bytes(5, 4, 0, 0, principalBytes(alice), tgtBytes());
    it('bad versions and empty files', () => {
      expectFormatError(() => parseCcache(new Uint8Array(0)), /truncated version at offset 0/);
      expectFormatError(() => parseCcache(bytes(5, 2, 0, 0)), /version 0x0502 at offset 0/);
      expectFormatError(() => parseCcache(bytes(5, 1)), /version 0x0501/);
    });
    it('a header that lies', () => {
      expectFormatError(() => parseCcache(bytes(5, 4, 0)), /truncated header length at offset 2/);
      expectFormatError(() => parseCcache(bytes(5, 4, 0, 20, 0, 1)), /truncated header at offset 4/);
      expectFormatError(() => parseCcache(bytes(5, 4, 0, 4, 0, 1, 0, 8)), /header tag 1 value at offset 8/);
      expectFormatError(
        () => parseCcache(bytes(5, 4, 0, 8, 0, 1, 0, 4, 0, 0, 0, 0, principalBytes(alice))),
        /time offset tag has length 4, not 8 at offset 4/,
      );
      expectFormatError(() => parseCcache(bytes(5, 4, 0, 1, 0)), /truncated header tag at offset 4/);
    });
    it('truncation anywhere', () => {
      const noCredentials = 4 + principalBytes(alice).length;
      for (let cut = 4; cut < good.length; cut++) {
        if (cut === noCredentials) continue; // a valid cache with no credentials
        expectFormatError(
          () => parseCcache(good.subarray(0, cut)),
          /(truncated|claims|needs) .* at offset \d+/,
        );
      }
    });
    it('counts larger than what remains, before allocating', () => {
      const huge = bytes(5, 4, 0, 0, be32(1), be32(0xffffffff), str32('R'));
      expectFormatError(
        () => parseCcache(huge),
        /default principal claims 4294967295 components but only 5 bytes remain at offset 8/,
      );
      const t = tgtBytes();
      const addrAt = principalBytes(alice).length + principalBytes(krbtgt).length + 2 + 4 + 32 + 16 + 1 + 4;
      const lyingAddr = [...t];
      lyingAddr.splice(addrAt, 4, ...be32(0x10000000));
      expectFormatError(
        () => parseCcache(bytes(5, 4, 0, 0, principalBytes(alice), lyingAddr)),
        /credential 0 address count 268435456 needs at least 1610612736 bytes/,
      );
      const lyingTicket = [...t];
      lyingTicket.splice(t.length - 4 - ticketDer.length - 4, 4, ...be32(0xfffffff0));
      expectFormatError(
        () => parseCcache(bytes(5, 4, 0, 0, principalBytes(alice), lyingTicket)),
        /truncated credential 0 ticket at offset \d+: need 4294967280 bytes/,
      );
    });
    it('names that are not UTF-8', () => {
      const p = principalBytes(alice);
      p[12] = 0xc3; // first realm byte: a lead byte with no continuation
      expectFormatError(
        () => parseCcache(bytes(5, 4, 0, 0, p)),
        /default principal realm at offset 16 is not valid UTF-8/,
      );
    });
    it('never throws anything but KerberosError on mutated input', () => {
      fc.assert(
        fc.property(
          fc.nat(good.length - 1),
          fc.integer({ min: 0, max: 255 }),
          fc.nat(good.length),
          (i, b, cut) => {
            const m = good.slice(0, cut);
            if (i < m.length) m[i] = b;
            try {
              parseCcache(m);
            } catch (e) {
              expect(e).toBeInstanceOf(KerberosError);
            }
          },
        ),
        { numRuns: 3000 },
      );
    });
  });
});

const name = fc.string({ maxLength: 10, unit: 'grapheme' });
const principalArb = fc.record({
  realm: fc.string({ minLength: 1, maxLength: 16 }),
  name: fc.record({
    nameType: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
    nameString: fc.array(name, { maxLength: 3 }),
  }),
});
const time = fc.integer({ min: 0, max: 0xffffffff }).map((s) => s * 1000);
const credArb: fc.Arbitrary<CcacheCredential> = fc.record({
  client: principalArb,
  server: principalArb,
  key: fc.record({
    etype: fc.integer({ min: -0x8000, max: 0x7fff }),
    bytes: fc.uint8Array({ maxLength: 40 }),
  }),
  authtime: time,
  starttime: time,
  endtime: time,
  renewTill: time,
  isSkey: fc.boolean(),
  ticketFlags: fc.integer({ min: 0, max: 0xffffffff }),
  addresses: fc.array(
    fc.record({ addrType: fc.integer({ min: 0, max: 0xffff }), address: fc.uint8Array({ maxLength: 16 }) }),
    { maxLength: 3 },
  ),
  authdata: fc.array(
    fc.record({
      adType: fc.integer({ min: -0x8000, max: 0x7fff }),
      adData: fc.uint8Array({ maxLength: 16 }),
    }),
    { maxLength: 3 },
  ),
  ticket: fc.uint8Array({ maxLength: 80 }),
  secondTicket: fc.uint8Array({ maxLength: 20 }),
});

describe('ccache round trips', () => {
  it('parse(serialize(c)) == c, versions 3 and 4', () => {
    fc.assert(
      fc.property(
        principalArb,
        fc.array(credArb, { maxLength: 4 }),
        fc.option(
          fc.record({
            seconds: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
            microseconds: fc.integer({ min: 0, max: 999_999 }),
          }),
          { nil: undefined },
        ),
        fc.boolean(),
        (defaultPrincipal, credentials, timeOffset, v3) => {
          const cc: Ccache = v3
            ? { version: 3, defaultPrincipal, credentials }
            : { version: 4, ...(timeOffset ? { timeOffset } : {}), defaultPrincipal, credentials };
          const out = serializeCcache(cc);
          expect(parseCcache(out)).toEqual(cc);
          expect(hex(serializeCcache(parseCcache(out)))).toBe(hex(out));
        },
      ),
      { numRuns: 300 },
    );
  });
});
