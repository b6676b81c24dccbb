/**
 * Hostile input to the per-message token decoder and the context: arbitrary
 * bytes, well-formed headers over arbitrary data (so the rotation, EC and
 * crypto paths are reached), and mutations of genuine tokens. Every outcome
 * is a result or a KerberosError (a GssTokenError for token faults); none is
 * another exception, and no rejected token changes what the context accepts
 * next.
 */

import { GssFlags } from '@krbsim/asn1';
import { KerberosError } from '@krbsim/core';
import { decodePerMessageToken, GssTokenError } from '@krbsim/service';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contextPair, enc, hex } from './gss-helpers';

/** Runs `f`; a thrown error must be a KerberosError. Returns whether it threw. */
function refusedCleanly(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch (e) {
    if (!(e instanceof KerberosError)) throw e;
    return true;
  }
}

const header = (tokId: number) =>
  fc
    .record({
      flags: fc.integer({ min: 0, max: 255 }),
      ec: fc.integer({ min: 0, max: 0xffff }),
      rrc: fc.integer({ min: 0, max: 0xffff }),
      seq: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      body: fc.uint8Array({ maxLength: 200 }),
    })
    .map(({ flags, ec, rrc, seq, body }) => {
      const t = new Uint8Array(16 + body.length);
      const dv = new DataView(t.buffer);
      dv.setUint16(0, tokId);
      t[2] = flags;
      t[3] = 0xff;
      dv.setUint16(4, tokId === 0x0404 ? 0xffff : ec);
      dv.setUint16(6, tokId === 0x0404 ? 0xffff : rrc);
      dv.setBigUint64(8, seq);
      t.set(body, 16);
      return t;
    });

describe('fuzzing the per-message token decoder and the context', () => {
  it('arbitrary bytes: a GssTokenError or a header, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          const h = decodePerMessageToken(bytes);
          expect([0x0404, 0x0504]).toContain(h.tokId);
        } catch (e) {
          expect(e).toBeInstanceOf(GssTokenError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('well-formed headers over arbitrary data reach the crypto and are refused cleanly', () => {
    for (const style of ['mit', 'dce'] as const) {
      const { initiator, acceptor } = contextPair({
        gssFlags: GssFlags.replay | GssFlags.sequence | (style === 'dce' ? 0x1000 : 0),
      });
      fc.assert(
        fc.property(header(0x0504), header(0x0404), fc.uint8Array({ maxLength: 40 }), (w, m, msg) => {
          expect(refusedCleanly(() => acceptor.unwrap(w))).toBe(true);
          expect(refusedCleanly(() => initiator.unwrap(w))).toBe(true);
          expect(refusedCleanly(() => acceptor.verifyMic(msg, m))).toBe(true);
          expect(refusedCleanly(() => initiator.verifyMic(msg, m))).toBe(true);
        }),
        { numRuns: 300 },
      );
      // Nothing refused moved the window: the next genuine tokens are in order.
      expect(hex(acceptor.unwrap(initiator.wrap(enc('still fine'))).message)).toBe(hex(enc('still fine')));
      acceptor.verifyMic(enc('m'), initiator.getMic(enc('m')));
    }
  });

  it('mutated genuine tokens: accepted unchanged, or refused cleanly', () => {
    const { initiator, acceptor } = contextPair({ wrapStyle: 'windows', gssFlags: GssFlags.replay });
    const msg = enc('a message worth protecting');
    const sealed = initiator.wrap(msg);
    const signed = initiator.wrap(msg, { conf: false });
    const mic = initiator.getMic(msg);
    fc.assert(
      fc.property(
        fc.constantFrom(sealed, signed, mic),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (token, flips, cut) => {
          const t = token.slice(0, token.length - (cut % 3 === 0 ? cut % 17 : 0));
          for (const [at, x] of flips) t[at % t.length]! ^= x;
          try {
            if (t[0] === 0x04 && t[1] === 0x04) acceptor.verifyMic(msg, t);
            else expect(hex(acceptor.unwrap(t).message)).toBe(hex(msg));
          } catch (e) {
            expect(e).toBeInstanceOf(KerberosError);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});
