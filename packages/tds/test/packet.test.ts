/**
 * TDS packets (MS-TDS 2.2.3): header round trips, messages split and
 * reassembled from any chunking, and every bound of the reader.
 */

import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  decodePacketHeader,
  encodePacketHeader,
  encodePackets,
  PacketReader,
  TdsPacketStatus,
  TdsPacketType,
} from '@krbsim/tds';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { refusal } from './helpers';

describe('packet header', () => {
  it('round-trips every field, big-endian Length and SPID', () => {
    const h = { type: 0x04, status: 0x01, length: 0x1234, spid: 0x0033, packetId: 7, window: 0 };
    const b = encodePacketHeader(h);
    expect([...b]).toEqual([0x04, 0x01, 0x12, 0x34, 0x00, 0x33, 7, 0]);
    expect(decodePacketHeader(b)).toEqual(h);
  });

  it('refuses a Length shorter than the header and a short buffer', () => {
    expect(refusal(() => decodePacketHeader(Uint8Array.of(0x12, 1, 0, 7, 0, 0, 0, 0)))).toBe(
      'malformed packet.Length',
    );
    expect(refusal(() => decodePacketHeader(Uint8Array.of(0x12, 1, 0)))).toBe('malformed packet');
    expect(() =>
      encodePacketHeader({ type: 1, status: 1, length: 4, spid: 0, packetId: 1, window: 0 }),
    ).toThrow(RangeError);
  });
});

describe('encodePackets and PacketReader', () => {
  it('splits at the packet size, numbers packets from 1, sets EOM on the last, and writes the SPID', () => {
    const wire = encodePackets(TdsPacketType.TABULAR_RESULT, new Uint8Array(20), {
      packetSize: 16,
      spid: 51,
    });
    const headers = [0, 16, 32].map((at) => decodePacketHeader(wire, at));
    expect(headers.map((h) => [h.length, h.status, h.packetId, h.spid])).toEqual([
      [16, 0, 1, 51],
      [16, 0, 2, 51],
      [12, TdsPacketStatus.EOM, 3, 51],
    ]);
    expect(encodePackets(1, new Uint8Array(0))).toEqual(Uint8Array.of(1, 1, 0, 8, 0, 0, 1, 0));
  });

  it('reassembles a message from any chunking', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 512, max: 1024 }),
        fc.array(fc.nat(3100), { maxLength: 4 }),
        (payload, size, cuts) => {
          const wire = encodePackets(TdsPacketType.SQL_BATCH, payload, { packetSize: size, status: 0 });
          const reader = new PacketReader({ maxPacket: 32767, maxMessage: 1 << 20 });
          const points = [...new Set([0, ...cuts.map((c) => Math.min(c, wire.length)), wire.length])].sort(
            (a, b) => a - b,
          );
          const got = points.slice(1).flatMap((end, i) => reader.push(wire.subarray(points[i], end)));
          expect(got).toEqual([{ type: TdsPacketType.SQL_BATCH, payload, status: 0, spid: 0 }]);
        },
      ),
      { seed: 12, numRuns: 100 },
    );
  });

  it('keeps the first packet status (RESET_CONNECTION) and the last packet IGNORE bit', () => {
    const reader = new PacketReader({ maxPacket: 100, maxMessage: 1000 });
    const wire = encodePackets(1, new Uint8Array(150), {
      packetSize: 100,
      status: TdsPacketStatus.RESET_CONNECTION,
    });
    expect(reader.push(wire)[0]!.status).toBe(TdsPacketStatus.RESET_CONNECTION);
    const ignored = encodePackets(1, new Uint8Array(4), { status: TdsPacketStatus.IGNORE });
    expect(reader.push(ignored)[0]!.status).toBe(TdsPacketStatus.IGNORE);
  });

  it('ignores status bits the spec does not define: the message reads, the first packet reports them', () => {
    // Section 2.2.3.1.2 defines 0x01 (EOM), 0x02 (IGNORE), 0x08 and 0x10; 0x04, 0x20, 0x40, 0x80 are not.
    const undefinedBits = 0x04 | 0x20 | 0x40 | 0x80;
    const packet = (status: number, payload: number[], packetId: number) =>
      Uint8Array.from([
        ...encodePacketHeader({
          type: TdsPacketType.SQL_BATCH,
          status,
          length: 8 + payload.length,
          spid: 0,
          packetId,
          window: 0,
        }),
        ...payload,
      ]);
    const reader = new PacketReader({ maxPacket: 100, maxMessage: 1000 });
    // Without EOM the message goes on, whatever else is set.
    expect(reader.push(packet(undefinedBits, [1, 2], 1))).toEqual([]);
    expect(reader.buffered).toBe(10);
    expect(reader.push(packet(undefinedBits | TdsPacketStatus.EOM, [3], 2))).toEqual([
      { type: TdsPacketType.SQL_BATCH, payload: Uint8Array.of(1, 2, 3), status: undefinedBits, spid: 0 },
    ]);
    // A later packet's bits are not the message's (only IGNORE is taken from the last).
    expect(
      reader.push(
        Uint8Array.from([...packet(0, [4], 1), ...packet(undefinedBits | TdsPacketStatus.EOM, [5], 2)]),
      ),
    ).toEqual([{ type: TdsPacketType.SQL_BATCH, payload: Uint8Array.of(4, 5), status: 0, spid: 0 }]);
    // One packet with every bit set: EOM cleared, the rest reported.
    expect(reader.push(packet(0xff, [6], 1))).toEqual([
      { type: TdsPacketType.SQL_BATCH, payload: Uint8Array.of(6), status: 0xfe, spid: 0 },
    ]);
    expect(reader.buffered).toBe(0);
  });

  it('refuses oversized packets and messages, empty packets past the bound, and a type change mid-message', () => {
    const r = () => new PacketReader({ maxPacket: 100, maxMessage: 150 });
    // Refused from the header alone: no need to wait for 200 bytes that may never come.
    expect(refusal(() => r().push(Uint8Array.of(0x12, 1, 0, 200, 0, 0, 0, 0)))).toBe(
      'too-large packet.Length',
    );
    expect(refusal(() => r().push(encodePackets(1, new Uint8Array(300), { packetSize: 100 })))).toBe(
      'too-large message',
    );
    // Header-only packets without EOM count too, so they cannot pile up.
    const empty = Uint8Array.of(1, 0, 0, 8, 0, 0, 1, 0);
    const many = new Uint8Array(8 * 20);
    for (let i = 0; i < 20; i++) many.set(empty, i * 8);
    expect(refusal(() => r().push(many))).toBe('too-large message');
    const reader = r();
    reader.push(encodePackets(1, new Uint8Array(150), { packetSize: 100 }).subarray(0, 100)); // not EOM
    expect(refusal(() => reader.push(encodePackets(3, new Uint8Array(4))))).toBe('malformed packet.Type');
  });

  it('skips a message past the bound when told to, keeping none of it, and reads the next', () => {
    const reader = new PacketReader(
      { maxPacket: 100, maxMessage: 150, oversized: 'skip' },
      { keepPackets: true },
    );
    const big = encodePackets(1, new Uint8Array(300).fill(7), { packetSize: 100 });
    const next = encodePackets(1, Uint8Array.of(1, 2, 3));
    // Fed a byte at a time: the bound is met mid-message, the rest is read and dropped.
    const got = [...big, ...next].flatMap((b) => reader.push(Uint8Array.of(b)));
    expect(got).toEqual([
      { type: 1, payload: new Uint8Array(0), status: 0, spid: 0, skippedBytes: big.length },
      { type: 1, payload: Uint8Array.of(1, 2, 3), status: 0, spid: 0, packets: next },
    ]);
    expect(reader.buffered).toBe(0);
    // While one is being skipped, it counts as buffered (a session's half-sent deadline runs).
    reader.push(big.subarray(0, 200)); // two whole packets: past the bound
    expect(reader.buffered).toBe(200);
    // Packets are still checked: a type change mid-message is refused.
    expect(refusal(() => reader.push(encodePackets(3, new Uint8Array(4))))).toBe('malformed packet.Type');
  });

  it('holds memory in proportion to the bytes it was sent, however many packets they came in', () => {
    // 32,768 header-only packets without EOM: 256 KiB on the wire, within a 256 KiB bound.
    const empty = Uint8Array.of(1, 0, 0, 8, 0, 0, 1, 0);
    const wire = new Uint8Array(8 * 32_768);
    for (let i = 0; i < 32_768; i++) wire.set(empty, i * 8);
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const readers: PacketReader[] = [];
    gc();
    const before = process.memoryUsage();
    for (let n = 0; n < 8; n++) {
      const reader = new PacketReader({ maxPacket: 4096, maxMessage: 256 * 1024 }, { keepPackets: true });
      for (let at = 0; at < wire.length; at += 8) reader.push(wire.subarray(at, at + 8));
      expect(reader.buffered).toBe(wire.length);
      readers.push(reader);
    }
    gc();
    const after = process.memoryUsage();
    const held = after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers;
    // Each reader keeps the packets for a trace: at most twice 256 KiB. Kept one object a packet,
    // eight readers held about 100 MB.
    expect(held / readers.length).toBeLessThan(1024 * 1024);
  });

  it('refuses to cut packets of a size outside 9 to 65535 bytes', () => {
    for (const packetSize of [8, 65_536, 512.5]) {
      expect(() => encodePackets(1, new Uint8Array(4), { packetSize })).toThrow(
        new RangeError(`packetSize: ${packetSize} is not 9 to 65535`),
      );
    }
    expect(encodePackets(1, Uint8Array.of(7), { packetSize: 9 }).length).toBe(9);
  });

  it('keeps the start of the next message that arrives with the end of one', () => {
    const reader = new PacketReader({ maxPacket: 32767, maxMessage: 1 << 20 });
    const one = encodePackets(TdsPacketType.SQL_BATCH, Uint8Array.of(1, 2, 3));
    const two = encodePackets(TdsPacketType.SQL_BATCH, Uint8Array.of(4, 5));
    const chunk = Uint8Array.from([...one, ...two.subarray(0, 3)]);
    expect(reader.push(chunk).map((m) => [...m.payload])).toEqual([[1, 2, 3]]);
    chunk.fill(0); // the reader holds its own copy of the remainder, not the caller's chunk
    expect(reader.buffered).toBe(3);
    expect(reader.push(two.subarray(3)).map((m) => [...m.payload])).toEqual([[4, 5]]);
  });

  it('takes new limits: the negotiated packet size after login', () => {
    const reader = new PacketReader({ maxPacket: 32767, maxMessage: 1 << 20 });
    reader.setLimits({ maxPacket: 512, maxMessage: 4096 });
    expect(refusal(() => reader.push(encodePackets(1, new Uint8Array(600), { packetSize: 1000 })))).toBe(
      'too-large packet.Length',
    );
  });

  it('throws only TdsErrors on random bytes, and holds no more than it was given', () => {
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
          expect(
            refusal(() => {
              throw e;
            }),
          ).toBeDefined();
        }
      }),
      { seed: 13, numRuns: 300 },
    );
  });
});
