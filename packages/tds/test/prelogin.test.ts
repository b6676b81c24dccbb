/**
 * PRELOGIN (MS-TDS 2.2.6.5): the spec's sample decodes, typed options
 * round-trip byte for byte, and every malformed table is refused by field.
 */
import { decodePrelogin, Encryption, encodePrelogin, type Prelogin, PreloginOption } from '@krbsim/tds';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instanceAnswer, preloginInstanceName } from '../src/prelogin';
import { refusal, refusalMessage } from './helpers';

/** The payload of MS-TDS section 4.1's pre-login request (after its 8-byte packet header). */
const SPEC_SAMPLE = Uint8Array.from(
  '00 00 1A 00 06 01 00 20 00 01 02 00 21 00 01 03 00 22 00 04 04 00 26 00 01 FF 09 00 00 00 00 00 01 00 B8 0D 00 00 01'
    .split(' ')
    .map((h) => Number.parseInt(h, 16)),
);

describe('PRELOGIN', () => {
  it("decodes MS-TDS 4.1's sample and encodes it back byte for byte", () => {
    const p = decodePrelogin(SPEC_SAMPLE);
    expect(p).toEqual({
      version: { major: 9, minor: 0, build: 0, subBuild: 0 },
      encryption: Encryption.ON,
      instance: Uint8Array.of(0),
      threadId: 0xdb8,
      mars: 1,
    });
    expect(encodePrelogin(p)).toEqual(SPEC_SAMPLE);
  });

  it('round-trips every option, a server answer with an empty THREADID, and options it does not know', () => {
    const all: Prelogin = {
      version: { major: 16, minor: 0, build: 4100, subBuild: 1 },
      encryption: Encryption.REQ,
      instance: new TextEncoder().encode('MSSQLSERVER\0'),
      threadId: null,
      mars: 0,
      traceId: new Uint8Array(36).fill(7),
      fedAuthRequired: 1,
      nonce: new Uint8Array(32).fill(9),
      other: new Map([[0x42, Uint8Array.of(1, 2, 3)]]),
    };
    const wire = encodePrelogin(all);
    expect(decodePrelogin(wire)).toEqual(all);
    expect(encodePrelogin(decodePrelogin(wire))).toEqual(wire);
  });

  it('round-trips generated option sets', () => {
    const arb = fc.record(
      {
        version: fc.record({
          major: fc.nat(255),
          minor: fc.nat(255),
          build: fc.nat(65535),
          subBuild: fc.nat(65535),
        }),
        encryption: fc.nat(3),
        instance: fc.uint8Array({ minLength: 1, maxLength: 20 }),
        threadId: fc.option(fc.nat(0xffffffff), { nil: null }),
        mars: fc.nat(1),
        traceId: fc.uint8Array({ minLength: 36, maxLength: 36 }),
      },
      { requiredKeys: ['version'] },
    );
    fc.assert(
      fc.property(arb, (p) => {
        expect(decodePrelogin(encodePrelogin(p))).toEqual(p);
      }),
      { seed: 41, numRuns: 200 },
    );
  });

  it('refuses what does not follow the option table rules, naming the option', () => {
    const table = (...entries: number[][]) => Uint8Array.from(entries.flat());
    expect(refusal(() => decodePrelogin(new Uint8Array(0)))).toBe('malformed PRELOGIN');
    expect(refusal(() => decodePrelogin(table([0x00, 0, 6])))).toBe('malformed PRELOGIN.option[0]');
    // ENCRYPTION before VERSION: section 3.3.5.1 wants VERSION first.
    expect(refusal(() => decodePrelogin(table([0x01, 0, 6, 0, 1], [0xff], [0])))).toBe(
      'malformed PRELOGIN.option[0]',
    );
    // VERSION's data points into the table, past the end, or has the wrong size.
    expect(refusal(() => decodePrelogin(table([0x00, 0, 0, 0, 6], [0xff], [1, 2, 3, 4, 5, 6])))).toBe(
      'malformed PRELOGIN.VERSION',
    );
    expect(refusal(() => decodePrelogin(table([0x00, 0, 6, 0, 6], [0xff], [1, 2])))).toBe(
      'malformed PRELOGIN.VERSION',
    );
    expect(refusal(() => decodePrelogin(table([0x00, 0, 6, 0, 2], [0xff], [1, 2])))).toBe(
      'malformed PRELOGIN.VERSION',
    );
    const v = [0x00, 0, 11, 0, 6];
    expect(
      refusal(() => decodePrelogin(table(v, [0x01, 0, 17, 0, 2], [0xff], [0, 0, 0, 0, 0, 0], [0, 0]))),
    ).toBe('malformed PRELOGIN.ENCRYPTION');
    expect(
      refusal(() => decodePrelogin(table(v, [0x04, 0, 17, 0, 1], [0xff], [0, 0, 0, 0, 0, 0], [2]))),
    ).toBe('malformed PRELOGIN.MARS');
    expect(refusal(() => decodePrelogin(table(v, [0x00, 0, 11, 0, 6], [0xff], [0, 0, 0, 0, 0, 0])))).toBe(
      'malformed PRELOGIN.VERSION',
    ); // given twice
    expect(refusal(() => decodePrelogin(table([0x00, 0, 6, 0, 6], [0xff], [0, 0, 0, 0, 0, 0], [9])))).toBe(
      'malformed PRELOGIN',
    ); // trailing bytes
    const many = Array.from({ length: 40 }, (_, i) => [i === 0 ? 0 : 0x40 + i, 0, 0, 0, 0]);
    expect(refusal(() => decodePrelogin(table(...many, [0xff])))).toBe('too-large PRELOGIN');
  });

  it('refuses an empty INSTOPT', () => {
    const b = Uint8Array.from([0x00, 0, 11, 0, 6, 0x02, 0, 17, 0, 0, 0xff, 16, 0, 0, 0, 0, 0]);
    expect(refusalMessage(() => decodePrelogin(b))).toBe('malformed PRELOGIN.INSTOPT: empty');
  });

  it('writes options it does not know last, in token order, and refuses more than 65535 bytes', () => {
    const wire = encodePrelogin({
      other: new Map([
        [0x50, Uint8Array.of(2)],
        [0x42, Uint8Array.of(1)],
      ]),
    });
    expect([wire[0], wire[5], wire[10], wire[15]]).toEqual([PreloginOption.VERSION, 0x42, 0x50, 0xff]);
    expect([...wire.subarray(-2)]).toEqual([1, 2]);
    expect(() => encodePrelogin({ other: new Map([[0x42, new Uint8Array(70_000)]]) })).toThrow(
      new RangeError('PRELOGIN: 70017 bytes is more than 65535'),
    );
  });

  it('names option tokens in its registry', () => {
    expect(PreloginOption.FEDAUTHREQUIRED).toBe(6);
    expect(Encryption.CLIENT_CERT | Encryption.ON).toBe(0x81);
  });
});

describe('INSTOPT (section 2.2.6.5)', () => {
  it("reads a client's instance name up to its NUL, and answers 0x00 for none, MSSQLServer or the server's own", () => {
    expect(preloginInstanceName(undefined)).toBe('');
    expect(preloginInstanceName(Uint8Array.of(0))).toBe('');
    expect(preloginInstanceName(Uint8Array.of(0x41, 0x42, 0, 0x43))).toBe('AB');
    expect(preloginInstanceName(Uint8Array.of(0x41, 0x42))).toBe('AB'); // no NUL: all of it
    expect(instanceAnswer('', undefined)).toBe(0);
    expect(instanceAnswer('MSSQLServer', undefined)).toBe(0);
    expect(instanceAnswer('MSSQLServer', 'SQLEXPRESS')).toBe(0); // footnote <38>: SQL Server 2012 and later
    expect(instanceAnswer('sqlExpress', 'SQLEXPRESS')).toBe(0);
    expect(instanceAnswer('SQLEXPRESS', undefined)).toBe(1);
    expect(instanceAnswer('OTHER', 'SQLEXPRESS')).toBe(1);
  });
});
