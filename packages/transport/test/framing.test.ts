import { frameTcp, TcpRecordReader } from '@krbsim/transport';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hex } from './der';

describe('TCP framing (RFC 4120 section 7.2.2)', () => {
  it('prefixes the big-endian length', () => {
    expect(hex(frameTcp(Uint8Array.from([0x6a, 0x00])))).toBe('000000026a00');
    expect(hex(frameTcp(new Uint8Array(0x012345)).subarray(0, 4))).toBe('00012345');
  });

  it('reassembles records from any chunking, several per stream', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (messages, cuts) => {
          const stream = Uint8Array.from(messages.flatMap((m) => [...frameTcp(m)]));
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const reader = new TcpRecordReader(1000);
          const got: Uint8Array[] = [];
          let last = 0;
          for (const p of [...points, stream.length]) {
            for (const ev of reader.push(stream.subarray(last, p))) {
              expect(ev.kind).toBe('record');
              if (ev.kind === 'record') got.push(ev.message);
            }
            last = p;
          }
          expect(got.map(hex)).toEqual(messages.map(hex));
          expect(reader.buffered).toBe(0);
        },
      ),
    );
  });

  it('copies out of the caller buffer', () => {
    const chunk = frameTcp(Uint8Array.from([1, 2, 3]));
    const [ev] = new TcpRecordReader(10).push(chunk);
    chunk[4] = 99;
    expect(ev).toEqual({ kind: 'record', message: Uint8Array.from([1, 2, 3]) });
  });

  it('delivers an empty record', () => {
    expect(new TcpRecordReader(10).push(Uint8Array.from([0, 0, 0, 0]))).toEqual([
      { kind: 'record', message: new Uint8Array(0) },
    ]);
  });

  it('rejects a reserved high bit and an oversized length at the prefix, buffering nothing', () => {
    const high = new TcpRecordReader(1 << 20);
    expect(high.push(Uint8Array.from([0x80, 0, 0, 5, 1, 2, 3]))).toEqual([
      { kind: 'error', reason: 'reserved-bit', prefix: 0x80000005 },
    ]);
    expect(high.failed).toBe(true);
    expect(high.push(Uint8Array.from([0, 0, 0, 1, 7]))).toEqual([]);

    const big = new TcpRecordReader(1 << 20);
    expect(big.push(Uint8Array.from([0x7f, 0xff, 0xff, 0xff]))).toEqual([
      { kind: 'error', reason: 'too-long', prefix: 0x7fffffff },
    ]);
    expect(big.buffered).toBe(0);
  });

  it('stops at the first error after earlier complete records', () => {
    const r = new TcpRecordReader(4);
    const events = r.push(Uint8Array.from([0, 0, 0, 1, 9, 0, 0, 0, 5, 1, 2, 3, 4, 5]));
    expect(events).toEqual([
      { kind: 'record', message: Uint8Array.from([9]) },
      { kind: 'error', reason: 'too-long', prefix: 5 },
    ]);
  });

  it('discard() drops a partial record and ignores what follows', () => {
    const r = new TcpRecordReader(100);
    expect(r.push(Uint8Array.from([0, 0, 0, 10, 1, 2, 3]))).toEqual([]);
    expect(r.buffered).toBe(3);
    r.discard();
    expect(r.buffered).toBe(0);
    expect(r.failed).toBe(true);
    expect(r.push(Uint8Array.from([4, 5, 6, 7, 8, 9, 10]))).toEqual([]);
    expect(r.buffered).toBe(0);
  });

  it('refuses to frame more than 2^31-1 bytes', () => {
    const fake = { length: 2 ** 31 } as Uint8Array;
    expect(() => frameTcp(fake)).toThrow(RangeError);
  });
});
