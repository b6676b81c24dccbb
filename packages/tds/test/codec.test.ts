/**
 * The TDS codec: packets, PRELOGIN and LOGIN7 round trips, every refusal
 * with its field, and bounded decoding of arbitrary bytes.
 */
import {
  decodeLogin7,
  decodePrelogin,
  encodeLogin7,
  encodePackets,
  encodePrelogin,
  PacketReader,
  PreloginOption,
  TdsError,
  TdsPacketType,
} from '@krbsim/tds';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const reasonOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof TdsError) return `${e.reason} ${e.path}`;
    throw e;
  }
  return undefined;
};

describe('packets', () => {
  it('splits a message at the packet size and reassembles it from any chunking', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 512, max: 1024 }),
        fc.nat(40),
        (payload, size, cut) => {
          const wire = encodePackets(TdsPacketType.SQL_BATCH, payload, size);
          const reader = new PacketReader({ maxPacket: 32767, maxMessage: 1 << 20 });
          const at = Math.min(cut, wire.length);
          const got = [...reader.push(wire.subarray(0, at)), ...reader.push(wire.subarray(at))];
          expect(got).toEqual([{ type: TdsPacketType.SQL_BATCH, payload }]);
        },
      ),
      { seed: 12, numRuns: 100 },
    );
  });

  it('refuses short lengths, oversized packets and messages, and a type change mid-message', () => {
    const r = () => new PacketReader({ maxPacket: 100, maxMessage: 150 });
    expect(reasonOf(() => r().push(Uint8Array.of(0x12, 1, 0, 4, 0, 0, 0, 0)))).toBe(
      'malformed packet.Length',
    );
    expect(reasonOf(() => r().push(Uint8Array.of(0x12, 1, 0, 200, 0, 0, 0, 0)))).toBe(
      'too-large packet.Length',
    );
    const big = encodePackets(1, new Uint8Array(300), 100);
    expect(reasonOf(() => r().push(big))).toBe('too-large message');
    const first = encodePackets(1, new Uint8Array(150), 100).subarray(0, 100); // not EOM
    const other = encodePackets(3, new Uint8Array(4), 100);
    const reader = r();
    reader.push(first);
    expect(reasonOf(() => reader.push(other))).toBe('malformed packet.Type');
  });

  it('never throws anything but a TdsError on random bytes, and holds no more than it was given', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), (chunks) => {
        const reader = new PacketReader({ maxPacket: 32767, maxMessage: 4096 });
        let given = 0;
        try {
          for (const c of chunks) {
            given += c.length;
            reader.push(c);
            expect(reader.buffered).toBeLessThanOrEqual(given);
          }
        } catch (e) {
          expect(e).toBeInstanceOf(TdsError);
        }
      }),
      { seed: 13, numRuns: 300 },
    );
  });
});

describe('PRELOGIN', () => {
  it('round-trips options and refuses what points outside the message', () => {
    const wire = encodePrelogin([
      [PreloginOption.VERSION, Uint8Array.of(16, 0, 0x10, 4, 0, 0)],
      [PreloginOption.ENCRYPTION, Uint8Array.of(1)],
    ]);
    const back = decodePrelogin(wire);
    expect(back.get(PreloginOption.ENCRYPTION)).toEqual(Uint8Array.of(1));
    expect(back.get(PreloginOption.VERSION)?.length).toBe(6);
    expect(reasonOf(() => decodePrelogin(Uint8Array.of(0x01, 0, 50, 0, 1, 0xff)))).toBe(
      'malformed PRELOGIN.option[0x1]',
    );
    expect(reasonOf(() => decodePrelogin(Uint8Array.of(0x01, 0, 6, 0)))).toBe('malformed PRELOGIN.option[0]');
    expect(reasonOf(() => decodePrelogin(new Uint8Array(0)))).toBe('malformed PRELOGIN');
  });
});

describe('LOGIN7', () => {
  it('round-trips the fields a server reads, with integrated security', () => {
    const sspi = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const l = decodeLogin7(
      encodeLogin7({ hostName: 'pc1', appName: 'tsql', serverName: 'mi1', database: 'master', sspi }),
    );
    expect(l).toMatchObject({
      hostName: 'pc1',
      appName: 'tsql',
      serverName: 'mi1',
      database: 'master',
      integratedSecurity: true,
    });
    expect(l.sspi).toEqual(sspi);
    expect(l.tdsVersion).toBe(0x74000004);
  });

  it('refuses a wrong length, an SSPI field past the end or over the limit', () => {
    const good = encodeLogin7({ sspi: new Uint8Array(10) });
    const wrongLength = good.slice();
    wrongLength[0] = 1;
    expect(reasonOf(() => decodeLogin7(wrongLength))).toBe('malformed LOGIN7.Length');
    const past = good.slice();
    past[36 + 44] = 0xff; // cbSSPI low byte
    expect(reasonOf(() => decodeLogin7(past))).toBe('malformed LOGIN7.ibSSPI');
    expect(reasonOf(() => decodeLogin7(encodeLogin7({ sspi: new Uint8Array(100) }), 50))).toBe(
      'too-large LOGIN7.cbSSPI',
    );
    expect(reasonOf(() => decodeLogin7(new Uint8Array(20)))).toBe('malformed LOGIN7');
  });
});
