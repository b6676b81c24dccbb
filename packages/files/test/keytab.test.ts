import { ErrorCode, KerberosError } from '@krbsim/core';
import { type Keytab, type KeytabEntry, parseKeytab, serializeKeytab } from '@krbsim/files';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ascii, be16, be32, bytes, hex, seq, str16 } from './helpers';

const T = Date.UTC(2026, 0, 1); // 0x69559680 seconds
const alice: KeytabEntry = {
  principal: { realm: 'CONTOSO.COM', name: { nameType: 1, nameString: ['alice'] } },
  timestamp: T,
  kvno: 3,
  key: { etype: 18, bytes: Uint8Array.from(seq(32)) },
};
const http: KeytabEntry = {
  principal: { realm: 'CONTOSO.COM', name: { nameType: 3, nameString: ['HTTP', 'web.contoso.com'] } },
  timestamp: T + 1000,
  kvno: 300,
  key: { etype: 17, bytes: Uint8Array.from(seq(16, 0xa0)) },
};

/** alice's record, built field by field. */
function aliceRecord(): number[] {
  const body = [
    ...be16(1), // one component
    ...str16('CONTOSO.COM'),
    ...str16('alice'),
    ...be32(1), // NT-PRINCIPAL
    ...be32(T / 1000),
    3, // kvno8
    ...be16(18), // aes256-cts-hmac-sha1-96
    ...be16(32),
    ...seq(32),
    ...be32(3), // kvno32
  ];
  return [...be32(body.length), ...body];
}

function httpRecord(): number[] {
  const body = [
    ...be16(2),
    ...str16('CONTOSO.COM'),
    ...str16('HTTP'),
    ...str16('web.contoso.com'),
    ...be32(3), // NT-SRV-HST
    ...be32(T / 1000 + 1),
    300 & 0xff, // kvno8 holds the low byte
    ...be16(17),
    ...be16(16),
    ...seq(16, 0xa0),
    ...be32(300),
  ];
  return [...be32(body.length), ...body];
}

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

describe('serializeKeytab', () => {
  it('writes the MIT 0x0502 layout field by field', () => {
    const out = serializeKeytab({ entries: [alice, http] });
    expect(hex(out)).toBe(hex(bytes(0x05, 0x02, aliceRecord(), httpRecord())));
    // spot checks with offsets, as one would with xxd
    expect(out[0]).toBe(5);
    expect(out[1]).toBe(2);
    expect([...out.subarray(2, 6)]).toEqual(be32(71)); // 2+13+7+4+4+1+2+2+32+4
    expect([...out.subarray(6, 8)]).toEqual(be16(1));
    expect([...out.subarray(-4)]).toEqual(be32(300));
  });

  it('writes kvno32 only for kvno > 255 when asked', () => {
    const out = serializeKeytab({ entries: [alice, http] }, { kvno32: 'when-needed' });
    const a = aliceRecord();
    const aliceShort = [...be32(a.length - 8), ...a.slice(4, -4)];
    expect(hex(out)).toBe(hex(bytes(0x05, 0x02, aliceShort, httpRecord())));
    expect(parseKeytab(out).entries.map((e) => e.kvno)).toEqual([3, 300]);
  });

  it('writes an empty keytab as just the version', () => {
    expect(hex(serializeKeytab({ entries: [] }))).toBe('0502');
  });

  it('writes negative Microsoft name types as their 32-bit pattern', () => {
    const e = { ...alice, principal: { ...alice.principal, name: { nameType: -128, nameString: ['x'] } } };
    const back = parseKeytab(serializeKeytab({ entries: [e] }));
    expect(back.entries[0]!.principal.name.nameType).toBe(-128);
  });

  it('rejects values that do not fit their fields', () => {
    const big = (patch: Partial<KeytabEntry>) => () => serializeKeytab({ entries: [{ ...alice, ...patch }] });
    expectFormatError(big({ kvno: 2 ** 32 }), /entry 0 kvno 4294967296 is not an integer/);
    expectFormatError(big({ kvno: -1 }), /kvno -1/);
    expectFormatError(big({ kvno: 1.5 }), /kvno 1.5/);
    expectFormatError(big({ timestamp: -1000 }), /timestamp -1000 ms does not fit/);
    expectFormatError(big({ timestamp: 2 ** 32 * 1000 }), /timestamp/);
    expectFormatError(big({ timestamp: Number.NaN }), /not a finite time/);
    expectFormatError(big({ key: { etype: 70000, bytes: new Uint8Array(1) } }), /etype 70000/);
    expectFormatError(big({ key: { etype: 18, bytes: new Uint8Array(70000) } }), /key length 70000/);
    expectFormatError(
      big({ principal: { realm: 'R'.repeat(70000), name: { nameType: 1, nameString: ['a'] } } }),
      /realm length 70000/,
    );
    expectFormatError(
      big({ principal: { realm: 'R', name: { nameType: 2 ** 33, nameString: ['a'] } } }),
      /name type/,
    );
    // Read back signed (MIT's krb5_int32): 2^31 + 1 would come back negative.
    expectFormatError(
      big({ principal: { realm: 'R', name: { nameType: 0x80000001, nameString: ['a'] } } }),
      /name type 2147483649 does not fit a signed 32-bit integer/,
    );
  });
});

describe('parseKeytab', () => {
  it('reads the hand-built vector', () => {
    const kt = parseKeytab(bytes(0x05, 0x02, aliceRecord(), httpRecord()));
    expect(kt.version).toBe(0x0502);
    expect(kt.entries).toEqual([alice, http]);
  });

  it('skips deleted entries (negative sizes) and stops at a zero size', () => {
    const hole = [...be32(-7), ...new Array(7).fill(0xee)];
    const kt = parseKeytab(bytes(0x05, 0x02, hole, aliceRecord(), hole, httpRecord(), be32(0), 0xff, 0xff));
    expect(kt.entries).toEqual([alice, http]);
  });

  it('uses kvno8 when the 32-bit kvno is absent or zero, and ignores trailing record bytes', () => {
    const a = aliceRecord();
    const withoutKvno32 = [...be32(a.length - 8), ...a.slice(4, -4)];
    expect(parseKeytab(bytes(5, 2, withoutKvno32)).entries[0]!.kvno).toBe(3);
    const zeroKvno32 = [...be32(a.length - 4), ...a.slice(4, -4), ...be32(0)];
    expect(parseKeytab(bytes(5, 2, zeroKvno32)).entries[0]!.kvno).toBe(3);
    // A record padded past the kvno32 (a reused hole, or Heimdal's flags).
    const padded = [...be32(a.length - 4 + 6), ...a.slice(4), 0, 0, 0, 0, 0, 0];
    expect(parseKeytab(bytes(5, 2, padded, httpRecord())).entries).toEqual([alice, http]);
    // 1..3 spare bytes are too few for a kvno32: ignored.
    const spare = [...be32(a.length - 8 + 2), ...a.slice(4, -4), 9, 9];
    expect(parseKeytab(bytes(5, 2, spare)).entries[0]!.kvno).toBe(3);
  });

  it("reads a 0x0501 keytab as MIT's ktutil writes it: each record sized 4 bytes past its fields (the name type 0x0501 has not)", () => {
    // `printf '\005\001' > v1.kt; ktutil: rkt v1.kt, addent svc/host.example.com@EXAMPLE.COM kvno 300
    // aes128, addent alice@EXAMPLE.COM kvno 7 aes256, wkt v1.kt` (MIT 1.20, x86-64): record sizes 71 for
    // 67 bytes of fields, zero fill before the second record, the second cut at the end of the file.
    const mit = Uint8Array.from(
      Buffer.from(
        '05014700000003000b004558414d504c452e434f4d03007376631000686f73742e6578616d706c652e636f6dc53b166b2c11' +
          '001000797c7c921e610a4889d6907d35b954e42c010000000000004700000002000b004558414d504c452e434f4d0500616c' +
          '696365c53b166b0712002000be466c4258e5cf3c6474221045f90569e7dadea643c51f5d8d531e4222895bc807000000',
        'hex',
      ),
    );
    const kt = parseKeytab(mit);
    expect(kt.version).toBe(0x0501);
    expect(
      kt.entries.map((e) => [e.principal.name.nameString.join('/'), e.principal.realm, e.kvno, e.key.etype]),
    ).toEqual([
      ['svc/host.example.com', 'EXAMPLE.COM', 300, 17],
      ['alice', 'EXAMPLE.COM', 7, 18],
    ]);
    // The allowance is MIT's 4 bytes of a 0x0501 record, no more, and none in 0x0502.
    const cut = mit.slice(0, -1);
    expectFormatError(() => parseKeytab(cut), /record claims 71 bytes but only 66 remain/);
    const v2 = mit.slice();
    v2[1] = 2;
    expect(() => parseKeytab(v2)).toThrow();
  });

  it('reads version 0x0501 (host order, realm counted, no name type)', () => {
    const le16 = (n: number) => [n & 0xff, n >>> 8];
    const le32 = (n: number) => be32(n).reverse();
    const s16 = (s: string) => [...le16(s.length), ...ascii(s)];
    const body = [
      ...le16(2), // realm + one component
      ...s16('CONTOSO.COM'),
      ...s16('alice'),
      ...le32(T / 1000),
      3,
      ...le16(18),
      ...le16(32),
      ...seq(32),
    ];
    const kt = parseKeytab(bytes(5, 1, le32(body.length), body));
    expect(kt.version).toBe(0x0501);
    expect(kt.entries).toEqual([
      { ...alice, principal: { ...alice.principal, name: { nameType: 0, nameString: ['alice'] } } },
    ]);
    const beBody = [
      ...be16(2),
      ...str16('CONTOSO.COM'),
      ...str16('alice'),
      ...be32(T / 1000),
      3,
      ...be16(18),
      ...be16(32),
      ...seq(32),
    ];
    const big = parseKeytab(bytes(5, 1, be32(beBody.length), beBody), { v1ByteOrder: 'big' });
    expect(big.entries[0]!.key).toEqual(alice.key);
    expectFormatError(
      () => parseKeytab(bytes(5, 1, le32(2), le16(0))),
      /component count .* 0 is outside 1\.\.32767.* at offset 6/,
    );
    expectFormatError(
      () => parseKeytab(bytes(5, 1, le32(2), le16(1))),
      /component count 1 leaves no components at offset 6/,
    );
  });

  describe('rejects malformed input with the byte offset', () => {
    const good = bytes(5, 2, aliceRecord());
    it('empty and one-byte files', () => {
      expectFormatError(() => parseKeytab(new Uint8Array(0)), /truncated version at offset 0/);
      expectFormatError(() => parseKeytab(bytes(5)), /truncated version at offset 1/);
    });
    it('bad versions', () => {
      expectFormatError(() => parseKeytab(bytes(5, 4)), /unsupported version 0x0504 .* at offset 0/);
      expectFormatError(() => parseKeytab(bytes(4, 2)), /unsupported version 0x0402/);
      expectFormatError(() => parseKeytab(serializeCcacheLike()), /not a keytab/);
    });
    it('a partial record size', () => {
      expectFormatError(() => parseKeytab(bytes(5, 2, 0, 0)), /truncated record size at offset 2/);
    });
    it('a record size beyond the file', () => {
      expectFormatError(
        () => parseKeytab(good.subarray(0, good.length - 1)),
        /record claims 71 bytes but only 70 remain in the file at offset 2/,
      );
      expectFormatError(() => parseKeytab(bytes(5, 2, be32(0x7fffffff))), /claims 2147483647 bytes/);
    });
    it('a hole beyond the file and the INT32_MIN size', () => {
      expectFormatError(() => parseKeytab(bytes(5, 2, be32(-100), 1, 2)), /deleted entry of 100 bytes/);
      expectFormatError(() => parseKeytab(bytes(5, 2, be32(-0x80000000))), /-2\^31 is invalid at offset 2/);
    });
    it('fields that run past their record', () => {
      // Shrink the record so the key no longer fits inside it.
      const a = aliceRecord();
      const short = [...be32(36), ...a.slice(4, 40)];
      expectFormatError(
        () => parseKeytab(bytes(5, 2, short)),
        /truncated key \(record at offset 2\) at offset 41: need 32 bytes, only 1 remain/,
      );
      // A key length that lies.
      const lying = [...a];
      lying.splice(4 + 2 + 13 + 7 + 4 + 4 + 1 + 2, 2, ...be16(200));
      expectFormatError(() => parseKeytab(bytes(5, 2, lying)), /truncated key .*need 200 bytes/);
      // A component count that lies.
      const comps = [...a];
      comps.splice(4, 2, ...be16(500));
      // (the name type's first bytes, 00 00, are then read as component 1's length)
      expectFormatError(
        () => parseKeytab(bytes(5, 2, comps)),
        /component 1 length .* 0 is outside 1\.\.32767/,
      );
      // A record too short for even the component count.
      expectFormatError(() => parseKeytab(bytes(5, 2, be32(1), 0)), /truncated component count/);
    });
    it('names that are not UTF-8', () => {
      const a = aliceRecord();
      a[6 + 2] = 0xff; // first realm byte
      expectFormatError(
        () => parseKeytab(bytes(5, 2, a)),
        /realm \(record at offset 2\) at offset 10 is not valid UTF-8/,
      );
    });
    it('never throws anything but KerberosError on random input', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (tail, v1) => {
          try {
            parseKeytab(bytes(5, v1 ? 1 : 2, tail));
          } catch (e) {
            expect(e).toBeInstanceOf(KerberosError);
          }
        }),
        { numRuns: 2000 },
      );
    });
    it('never throws anything but KerberosError on mutated valid keytabs', () => {
      const valid = bytes(5, 2, aliceRecord(), httpRecord());
      fc.assert(
        fc.property(
          fc.nat(valid.length - 1),
          fc.integer({ min: 0, max: 255 }),
          fc.nat(valid.length),
          (i, b, cut) => {
            const m = valid.slice(0, cut);
            if (i < m.length) m[i] = b;
            try {
              parseKeytab(m);
            } catch (e) {
              expect(e).toBeInstanceOf(KerberosError);
            }
          },
        ),
        { numRuns: 2000 },
      );
    });
  });
});

describe('the 16-bit fields MIT reads as signed', () => {
  // MIT's kt_file.c reads an entry's counts and lengths as int16 and takes 0 or a
  // negative one for the end of the keytab: every later entry would be lost.
  const at = (r: number[], offset: number, value: number) => {
    const copy = [...r];
    copy.splice(offset, 2, ...be16(value));
    return copy;
  };
  const realmLen = 4 + 2;
  const componentLen = realmLen + 2 + 11;
  const keyLen = componentLen + 2 + 5 + 4 + 4 + 1 + 2;
  it.each([
    ['component count', 4, 0],
    ['component count', 4, 0x8000],
    ['realm length', realmLen, 0],
    ['component 0 length', componentLen, 0],
    ['key length', keyLen, 0],
    ['key length', keyLen, 0xffff],
  ])('refuses a %s of %i in a file', (field, offset, value) => {
    const record = at(aliceRecord(), offset, value);
    expectFormatError(
      () => parseKeytab(bytes(5, 2, record)),
      new RegExp(
        `${field} \\(record at offset 2\\) ${value} is outside 1\\.\\.32767: MIT reads it as the end of the keytab at offset ${2 + offset}`,
      ),
    );
  });
  it('refuses to write what MIT would read as the end of the keytab', () => {
    const withName = (nameString: string[], realm = 'CONTOSO.COM'): KeytabEntry => ({
      ...alice,
      principal: { realm, name: { nameType: 1, nameString } },
    });
    expectFormatError(
      () => serializeKeytab({ entries: [withName([])] }),
      /entry 0 component count 0 is outside 1\.\.32767/,
    );
    expectFormatError(
      () => serializeKeytab({ entries: [withName(['a'], '')] }),
      /entry 0 realm length 0 is outside/,
    );
    expectFormatError(
      () => serializeKeytab({ entries: [withName([''])] }),
      /entry 0 component 0 length 0 is outside/,
    );
    expectFormatError(
      () => serializeKeytab({ entries: [withName(['x'.repeat(0x8000)])] }),
      /entry 0 component 0 length 32768 is outside/,
    );
    expectFormatError(
      () => serializeKeytab({ entries: [{ ...alice, key: { etype: 18, bytes: new Uint8Array(0) } }] }),
      /entry 0 key length 0 is outside/,
    );
    expect(() => serializeKeytab({ entries: [withName(['x'.repeat(0x7fff)])] })).not.toThrow();
  });
  it('reads and writes enctypes as signed 16 bits, as MIT does', () => {
    const local = { ...alice, key: { etype: -135, bytes: Uint8Array.from(seq(16)) } };
    const out = serializeKeytab({ entries: [local] });
    expect(parseKeytab(out).entries[0]!.key.etype).toBe(-135);
    const raw = at(aliceRecord(), 4 + 2 + 13 + 7 + 4 + 4 + 1, 0xff79); // -135 as written
    expect(parseKeytab(bytes(5, 2, raw)).entries[0]!.key.etype).toBe(-135);
    expectFormatError(
      () => serializeKeytab({ entries: [{ ...alice, key: { etype: 0x8000, bytes: alice.key.bytes } }] }),
      /etype 32768 does not fit MIT's signed 16 bits/,
    );
  });
});

function serializeCcacheLike(): Uint8Array {
  return bytes(5, 4, 0, 0);
}

const component = fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' });
const entryArb: fc.Arbitrary<KeytabEntry> = fc.record({
  principal: fc.record({
    realm: fc.string({ minLength: 1, maxLength: 20 }),
    name: fc.record({
      nameType: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
      nameString: fc.array(component, { minLength: 1, maxLength: 4 }),
    }),
  }),
  timestamp: fc.integer({ min: 0, max: 0xffffffff }).map((s) => s * 1000),
  kvno: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffffffff })),
  key: fc.record({
    etype: fc.integer({ min: -0x8000, max: 0x7fff }),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  }),
});

describe('keytab round trips', () => {
  it('parse(serialize(k)) == k for any entries, both kvno32 modes', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 6 }), fc.boolean(), (entries, always) => {
        const keytab: Keytab = { version: 0x0502, entries };
        const out = serializeKeytab(keytab, { kvno32: always ? 'always' : 'when-needed' });
        expect(parseKeytab(out)).toEqual(keytab);
      }),
      { numRuns: 300 },
    );
  });

  it('serialize(parse(b)) == b for files this library wrote', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 4 }), (entries) => {
        const b = serializeKeytab({ entries });
        expect(hex(serializeKeytab(parseKeytab(b)))).toBe(hex(b));
      }),
      { numRuns: 200 },
    );
  });
});
