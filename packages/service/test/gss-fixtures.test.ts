/**
 * Per-message tokens MIT krb5 1.20 and Heimdal 7.8 really made
 * (test/fixtures/gss, see its README), decoded with the keys of their
 * context: krbsim rebuilds the receiving side of each context and every
 * token must verify, in order, with the header each library writes (MIT:
 * RRC 0; Heimdal: the trailer rotated to the front), the key RFC 4121
 * section 2 names, and consecutive sequence numbers. Every value comes from
 * the fixture files.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { GssFlags } from '@krbsim/asn1';
import { getEncType, type Key } from '@krbsim/crypto';
import {
  decodePerMessageToken,
  GssSecurityContext,
  GssTokenError,
  PerMessageFlags,
  PerMessageTokenId,
} from '@krbsim/service';
import { describe, expect, it } from 'vitest';

const dir = new URL('../../../test/fixtures/gss/', import.meta.url);

interface FixtureKey {
  readonly etype: number;
  readonly hex: string;
}

interface Fixture {
  readonly source: string;
  readonly sender: 'initiator' | 'acceptor';
  readonly context: {
    readonly flags: number;
    readonly sessionKey: FixtureKey;
    readonly initiatorSubkey?: FixtureKey;
    readonly acceptorSubkey?: FixtureKey;
    readonly initiatorSeqNumber?: number;
    readonly acceptorSeqNumber?: number;
  };
  readonly tokens: readonly { kind: 'wrap' | 'mic'; token: string; message: string; conf?: boolean }[];
}

const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));
const key = (k: FixtureKey | undefined): Key | undefined =>
  k === undefined ? undefined : { etype: k.etype, bytes: bytes(k.hex) };

const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

/** The side that receives the fixture's tokens. */
function receiver(f: Fixture): GssSecurityContext {
  const c = f.context;
  const sub = key(c.initiatorSubkey);
  const acc = key(c.acceptorSubkey);
  return new GssSecurityContext({
    initiator: f.sender === 'acceptor',
    sessionKey: key(c.sessionKey)!,
    ...(sub === undefined ? {} : { initiatorSubkey: sub }),
    ...(acc === undefined ? {} : { acceptorSubkey: acc }),
    ...(c.initiatorSeqNumber === undefined ? {} : { initiatorSeqNumber: c.initiatorSeqNumber }),
    ...(c.acceptorSeqNumber === undefined ? {} : { acceptorSeqNumber: c.acceptorSeqNumber }),
    flags: c.flags,
  });
}

describe('MIT and Heimdal per-message tokens (test/fixtures/gss)', () => {
  it('holds tokens from both libraries, both roles, every AES enctype', () => {
    const all = files.map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Fixture);
    expect(all.some((f) => f.source.startsWith('MIT') && f.sender === 'initiator')).toBe(true);
    expect(all.some((f) => f.source.startsWith('MIT') && f.sender === 'acceptor')).toBe(true);
    expect(all.some((f) => f.source.startsWith('Heimdal') && f.sender === 'initiator')).toBe(true);
    expect(all.some((f) => f.source.startsWith('Heimdal') && f.sender === 'acceptor')).toBe(true);
    const etypes = new Set(all.map((f) => (f.context.acceptorSubkey ?? f.context.sessionKey).etype));
    expect([...etypes].sort()).toEqual([17, 18, 19, 20]);
  });

  for (const file of files) {
    it(`${file}: every token verifies in order with the context's keys`, () => {
      const f = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Fixture;
      const ctx = receiver(f);
      const heimdal = f.source.startsWith('Heimdal');
      const dce = (f.context.flags & 0x1000) !== 0;
      const protecting = key(f.context.acceptorSubkey ?? f.context.initiatorSubkey ?? f.context.sessionKey)!;
      const mac = getEncType(protecting.etype).macBytes;
      const firstSeq = BigInt(
        (f.sender === 'initiator'
          ? f.context.initiatorSeqNumber
          : (f.context.acceptorSeqNumber ?? f.context.initiatorSeqNumber)) ?? 0,
      );
      f.tokens.forEach((t, i) => {
        const token = bytes(t.token);
        const message = bytes(t.message);
        const h = decodePerMessageToken(token);
        expect(h.tokId).toBe(t.kind === 'wrap' ? PerMessageTokenId.WRAP : PerMessageTokenId.MIC);
        expect(h.flags).toBe(
          (f.sender === 'acceptor' ? PerMessageFlags.sentByAcceptor : 0) |
            (t.conf ? PerMessageFlags.sealed : 0) |
            (f.context.acceptorSubkey === undefined ? 0 : PerMessageFlags.acceptorSubkey),
        );
        expect(h.seqNumber).toBe(firstSeq + BigInt(i));
        if (t.kind === 'mic') {
          expect(h.ec).toBe(0xffff);
          expect(ctx.verifyMic(message, token).seqNumber).toBe(h.seqNumber);
          return;
        }
        // EC: 0 for sealed tokens (no filler with CTS) except in DCE style, where it pads to the
        // block; the checksum length for integrity-only ones.
        expect(h.ec).toBe(t.conf ? (dce ? 16 - ((message.length + 16) % 16) : 0) : mac);
        expect(h.rrc).toBe(heimdal ? (t.conf ? 16 + mac : mac) : 0);
        const u = ctx.unwrap(token);
        expect(Buffer.from(u.message).toString('hex')).toBe(t.message);
        expect(u.conf).toBe(t.conf);
      });
    });
  }

  it('refuses each fixture token once changed, and again when replayed', () => {
    for (const file of files) {
      const f = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Fixture;
      const t = f.tokens[0]!;
      const token = bytes(t.token);
      const message = bytes(t.message);
      const ctx = receiver(f);
      const open = (x: Uint8Array) => (t.kind === 'mic' ? ctx.verifyMic(message, x) : ctx.unwrap(x));
      const changed = token.slice();
      changed[changed.length - 1]! ^= 0x80;
      expect(() => open(changed)).toThrow(GssTokenError);
      open(token);
      if ((f.context.flags & (GssFlags.replay | GssFlags.sequence)) !== 0) {
        try {
          open(token);
          throw new Error(`${file}: a replayed token was accepted`);
        } catch (e) {
          expect(e).toBeInstanceOf(GssTokenError);
          expect((e as GssTokenError).status).toBe('DUPLICATE_TOKEN');
        }
      }
    }
  });
});
