/**
 * RFC 4121 section 4.2 per-message tokens between the krbsim client's and
 * the service's security contexts: round trips for every AES enctype, wrap
 * style and key choice, the token layouts checked by taking tokens apart
 * with @krbsim/crypto directly (key usages, header copy, EC, RRC), and the
 * failures (defective, modified, reflected, duplicate, old, gap, expired).
 */

import { GssFlags } from '@krbsim/asn1';
import { concatBytes, Duration, ErrorCode, KerberosError } from '@krbsim/core';
import { checksum, decrypt, EncType, encrypt, type Key, KeyUsage } from '@krbsim/crypto';
import {
  decodePerMessageToken,
  GssSecurityContext,
  GssTokenError,
  isGssTokenError,
  PerMessageFlags,
  type WrapStyle,
} from '@krbsim/service';
import { describe, expect, it } from 'vitest';
import { contextPair, enc, hex } from './gss-helpers';

const AES = [EncType.AES128_CTS_HMAC_SHA1_96, EncType.AES256_CTS_HMAC_SHA1_96, 19, 20] as const;
const CHECKSUM_BYTES: Record<number, number> = { 17: 12, 18: 12, 19: 16, 20: 24 };
const REPLAY_SEQ = GssFlags.replay | GssFlags.sequence;

function gssError(f: () => unknown): GssTokenError {
  try {
    f();
  } catch (e) {
    if (e instanceof GssTokenError) return e;
    throw e;
  }
  throw new Error('expected a GssTokenError');
}

/** The data after the header, rotated back left by `n`. */
function unrotated(token: Uint8Array, n: number): Uint8Array {
  const body = token.subarray(16);
  const r = n % body.length;
  return new Uint8Array([...body.subarray(r), ...body.subarray(0, r)]);
}

describe('round trips between the client and the service', () => {
  for (const etype of AES) {
    for (const style of ['mit', 'windows', 'dce'] as WrapStyle[]) {
      it(`enctype ${etype}, ${style} style: sealed and unsealed Wrap tokens and MICs, both ways`, () => {
        const { initiator, acceptor } = contextPair({
          etype,
          gssFlags: REPLAY_SEQ,
          wrapStyle: style,
          accept: { wrapStyle: style },
        });
        for (const size of [0, 1, 15, 16, 17, 100]) {
          const msg = enc('x'.repeat(size));
          for (const conf of [true, false]) {
            const a = acceptor.unwrap(initiator.wrap(msg, { conf }));
            expect(hex(a.message)).toBe(hex(msg));
            expect(a.conf).toBe(conf);
            const b = initiator.unwrap(acceptor.wrap(msg, { conf }));
            expect(hex(b.message)).toBe(hex(msg));
            expect(b.conf).toBe(conf);
          }
          acceptor.verifyMic(msg, initiator.getMic(msg));
          initiator.verifyMic(msg, acceptor.getMic(msg));
        }
      });
    }
  }

  it('numbers each side from its initial sequence number, one counter for Wrap and MIC', () => {
    const { initiator, acceptor, accepted } = contextPair({ seqNumber: 0x7fff_fff0, gssFlags: REPLAY_SEQ });
    expect(initiator.nextSendSeqNumber).toBe(0x7fff_fff0n);
    expect(acceptor.nextSendSeqNumber).toBe(BigInt(accepted.acceptorSeqNumber!));
    expect(acceptor.unwrap(initiator.wrap(enc('a'))).seqNumber).toBe(0x7fff_fff0n);
    expect(acceptor.verifyMic(enc('b'), initiator.getMic(enc('b'))).seqNumber).toBe(0x7fff_fff1n);
    expect(initiator.unwrap(acceptor.wrap(enc('c'))).seqNumber).toBe(BigInt(accepted.acceptorSeqNumber!));
  });

  it('uses the acceptor subkey with mutual authentication, the initiator subkey or session key without', () => {
    const mutual = contextPair({ mutual: true });
    expect(mutual.initiator.usesAcceptorSubkey).toBe(true);
    expect(mutual.acceptor.usesAcceptorSubkey).toBe(true);
    expect(decodePerMessageToken(mutual.initiator.getMic(enc('m'))).flags).toBe(
      PerMessageFlags.acceptorSubkey,
    );
    expect(decodePerMessageToken(mutual.acceptor.getMic(enc('m'))).flags).toBe(
      PerMessageFlags.acceptorSubkey | PerMessageFlags.sentByAcceptor,
    );
    for (const subkey of [true, false]) {
      const p = contextPair({ mutual: false, subkey, seqNumber: 42 });
      expect(p.initiator.usesAcceptorSubkey).toBe(false);
      // No AP-REP: the acceptor numbers its tokens from the initiator's number, as MIT's does.
      expect(p.acceptor.nextSendSeqNumber).toBe(42n);
      const key: Key = subkey ? p.accepted.subkey! : p.accepted.sessionKey;
      const mic = p.acceptor.getMic(enc('m'));
      expect(hex(mic.subarray(16))).toBe(
        hex(
          checksum(
            key,
            KeyUsage.KG_USAGE_ACCEPTOR_SIGN,
            new Uint8Array([...enc('m'), ...mic.subarray(0, 16)]),
          ),
        ),
      );
      expect(hex(p.initiator.unwrap(p.acceptor.wrap(enc('w'))).message)).toBe(hex(enc('w')));
    }
  });

  it('SPNEGO-framed acceptances have a context too; raw AP-REQs have none', () => {
    const spnego = contextPair({ gss: 'spnego' });
    expect(hex(spnego.acceptor.unwrap(spnego.initiator.wrap(enc('hi'))).message)).toBe(hex(enc('hi')));
    const raw = contextPair({ gss: 'none', mutual: true });
    expect(raw.accepted.securityContext).toBeUndefined();
  });
});

describe('token layouts (RFC 4121 section 4.2), taken apart with @krbsim/crypto', () => {
  it('a sealed Wrap token: header, then encrypt(message | filler | header with RRC 0), usage 24 from the initiator', () => {
    for (const style of ['mit', 'windows'] as WrapStyle[]) {
      const { initiator, accepted } = contextPair({ wrapStyle: style, seqNumber: 5 });
      const msg = enc('sealed message');
      const token = initiator.wrap(msg);
      const h = decodePerMessageToken(token);
      expect(hex(token.subarray(0, 4))).toBe('050406ff'); // Sealed | AcceptorSubkey
      expect(h.seqNumber).toBe(5n);
      expect(h.ec).toBe(0);
      expect(h.rrc).toBe(style === 'mit' ? 0 : 28); // 16 + the 12-octet HMAC, as Heimdal and Windows send
      const plain = decrypt(
        accepted.acceptorSubkey!,
        KeyUsage.KG_USAGE_INITIATOR_SEAL,
        unrotated(token, h.rrc),
      );
      expect(hex(plain.subarray(0, msg.length))).toBe(hex(msg));
      const copy = token.slice(0, 16);
      copy.fill(0, 6, 8);
      expect(hex(plain.subarray(msg.length))).toBe(hex(copy));
    }
  });

  it('an unsealed Wrap token: message | checksum(message | header with EC = RRC = 0), SEAL usage 22 from the acceptor', () => {
    for (const etype of AES) {
      for (const style of ['mit', 'windows'] as WrapStyle[]) {
        // No RFC 4537 list: the acceptor's subkey keeps the session key's enctype.
        const { acceptor, accepted } = contextPair({
          etype,
          etypeNegotiation: false,
          accept: { wrapStyle: style },
        });
        expect(accepted.acceptorSubkey?.etype).toBe(etype);
        const msg = enc('integrity only');
        const token = acceptor.wrap(msg, { conf: false });
        const h = decodePerMessageToken(token);
        const n = CHECKSUM_BYTES[etype]!;
        expect(token[2]).toBe(PerMessageFlags.sentByAcceptor | PerMessageFlags.acceptorSubkey);
        expect(h.ec).toBe(n);
        expect(h.rrc).toBe(style === 'mit' ? 0 : n);
        const data = unrotated(token, h.rrc);
        expect(hex(data.subarray(0, msg.length))).toBe(hex(msg));
        const signed = token.slice(0, 16);
        signed.fill(0, 4, 8);
        const want = checksum(
          accepted.acceptorSubkey!,
          KeyUsage.KG_USAGE_ACCEPTOR_SEAL,
          new Uint8Array([...msg, ...signed]),
        );
        expect(hex(data.subarray(msg.length))).toBe(hex(want));
      }
    }
  });

  it('a MIC token: 04 04 | flags | FF x5 | SND_SEQ | checksum(message | header), SIGN usage 25 from the initiator', () => {
    const { initiator, accepted } = contextPair({ seqNumber: 0x01020304 });
    const msg = enc('signed');
    const mic = initiator.getMic(msg);
    expect(hex(mic.subarray(0, 16))).toBe('040404ffffffffff0000000001020304');
    const want = checksum(
      accepted.acceptorSubkey!,
      KeyUsage.KG_USAGE_INITIATOR_SIGN,
      new Uint8Array([...msg, ...mic.subarray(0, 16)]),
    );
    expect(hex(mic.subarray(16))).toBe(hex(want));
  });

  it('DCE style: EC pads message | header to the block, RRC says 28, the data is rotated by RRC + EC', () => {
    const { initiator, accepted } = contextPair({ gssFlags: 0x1000 });
    expect(initiator.wrapStyle).toBe('dce');
    for (const size of [0, 5, 16, 32]) {
      const msg = enc('d'.repeat(size));
      const token = initiator.wrap(msg);
      const h = decodePerMessageToken(token);
      const ec = 16 - ((size + 16) % 16);
      expect([h.ec, h.rrc]).toEqual([ec, 28]);
      const plain = decrypt(
        accepted.acceptorSubkey!,
        KeyUsage.KG_USAGE_INITIATOR_SEAL,
        unrotated(token, 28 + ec),
      );
      expect(hex(plain.subarray(0, size))).toBe(hex(msg));
      expect(hex(plain.subarray(size, size + ec))).toBe('ff'.repeat(ec));
    }
  });

  it('leaves the RRC of the encrypted header copy unchecked, as MIT and Heimdal do; the rest of the copy counts', () => {
    const sealedWithCopy = (edit: (copy: Uint8Array) => void) => {
      const { initiator, acceptor, accepted } = contextPair();
      const msg = enc('header copy');
      const header = initiator.wrap(msg).slice(0, 16);
      const copy = header.slice();
      edit(copy);
      const cipher = encrypt(
        accepted.acceptorSubkey!,
        KeyUsage.KG_USAGE_INITIATOR_SEAL,
        concatBytes([msg, copy]),
      );
      return () => acceptor.unwrap(concatBytes([header, cipher]));
    };
    // Section 4.2.4 has the sender encrypt RRC as 0; a sender that put 28 there is still read.
    expect(hex(sealedWithCopy((c) => (c[7] = 28))().message)).toBe(hex(enc('header copy')));
    const ec = gssError(sealedWithCopy((c) => (c[5] = 1)));
    expect(ec.status).toBe('BAD_MIC');
    expect(ec.message).toContain('the encrypted header copy differs from the header');
  });

  it('reads any RRC and EC a sender chose, RRC larger than the token included', () => {
    const { initiator, acceptor, accepted } = contextPair();
    const msg = enc('rotations');
    for (const rrc of [0, 1, 28, 40, 1000, 0xffff]) {
      const token = initiator.wrap(msg, { conf: false });
      // Re-rotate the unsealed token's data by another count: only RRC is unprotected.
      const data = unrotated(token, 0);
      const out = new Uint8Array(token.length);
      out.set(token.subarray(0, 16));
      out[6] = rrc >>> 8;
      out[7] = rrc & 0xff;
      const r = rrc % data.length;
      out.set(data.subarray(data.length - r), 16);
      out.set(data.subarray(0, data.length - r), 16 + r);
      expect(hex(acceptor.unwrap(out).message)).toBe(hex(msg));
    }
    expect(accepted.acceptorSubkey).toBeDefined();
  });
});

describe('refusals', () => {
  it('a token of the wrong kind, too short, or with a bad filler is DEFECTIVE_TOKEN (KRB_AP_ERR_MSG_TYPE)', () => {
    const { initiator, acceptor } = contextPair();
    const mic = initiator.getMic(enc('m'));
    const wrap = initiator.wrap(enc('m'));
    let e = gssError(() => acceptor.unwrap(mic));
    expect([e.status, e.code]).toEqual(['DEFECTIVE_TOKEN', ErrorCode.KRB_AP_ERR_MSG_TYPE]);
    expect(e.message).toContain('expected a Wrap token');
    e = gssError(() => acceptor.verifyMic(enc('m'), wrap));
    expect(e.status).toBe('DEFECTIVE_TOKEN');
    e = gssError(() => acceptor.unwrap(wrap.subarray(0, 15)));
    expect(e.message).toContain('shorter than the 16-octet header');
    const badFiller = wrap.slice();
    badFiller[3] = 0;
    expect(gssError(() => acceptor.unwrap(badFiller)).message).toContain('filler');
    const rfc1964 = new Uint8Array(32);
    rfc1964.set([0x01, 0x01]);
    expect(gssError(() => acceptor.verifyMic(enc('m'), rfc1964)).message).toContain('RFC 1964');
  });

  it('any change to a token or its message is BAD_MIC (KRB_AP_ERR_MODIFIED) or DEFECTIVE_TOKEN, never another error', () => {
    const msg = enc('the message that matters');
    for (const conf of [true, false]) {
      const { initiator, acceptor } = contextPair({ wrapStyle: 'windows' });
      const token = initiator.wrap(msg, { conf });
      for (let i = 0; i < token.length; i++) {
        const t = token.slice();
        t[i]! ^= i === 2 ? 0x08 : 0x01; // an unknown flag bit in the flags octet: ignored
        if (i === 2 || i === 6 || i === 7) continue; // RRC is unprotected: another rotation, checked below
        const e = gssError(() => acceptor.unwrap(t));
        expect(['BAD_MIC', 'DEFECTIVE_TOKEN']).toContain(e.status);
      }
    }
    const { initiator, acceptor } = contextPair();
    const mic = initiator.getMic(msg);
    const e = gssError(() => acceptor.verifyMic(enc('the message that mattered'), mic));
    expect([e.status, e.code]).toEqual(['BAD_MIC', ErrorCode.KRB_AP_ERR_MODIFIED]);
  });

  it('ignores unknown flag bits, as section 4.2.2 requires', () => {
    const { initiator, acceptor } = contextPair();
    const t = initiator.getMic(enc('m'));
    const flagged = t.slice();
    flagged[2]! |= 0x80;
    // The checksum covers the header as sent, so the change is caught there, not by the decoder.
    expect(decodePerMessageToken(flagged).flags).toBe(PerMessageFlags.acceptorSubkey);
    expect(gssError(() => acceptor.verifyMic(enc('m'), flagged)).status).toBe('BAD_MIC');
  });

  it("a side's own token sent back to it is refused (KRB_AP_ERR_BADDIRECTION)", () => {
    const { initiator } = contextPair();
    for (const token of [initiator.wrap(enc('x')), initiator.getMic(enc('x'))]) {
      const e = gssError(() =>
        token[0] === 5 ? initiator.unwrap(token) : initiator.verifyMic(enc('x'), token),
      );
      expect([e.status, e.code]).toEqual(['BAD_MIC', ErrorCode.KRB_AP_ERR_BADDIRECTION]);
      expect(e.message).toContain('reflected');
    }
  });

  it('the AcceptorSubkey flag must match the context', () => {
    const withSubkey = contextPair({ mutual: true });
    const without = contextPair({ mutual: false }, withSubkey.lab);
    expect(gssError(() => without.acceptor.unwrap(withSubkey.initiator.wrap(enc('x')))).message).toContain(
      'acceptor sent none',
    );
    expect(gssError(() => withSubkey.acceptor.unwrap(without.initiator.wrap(enc('x')))).message).toContain(
      'lacks the AcceptorSubkey flag',
    );
  });

  it('a token from another context (another key) is BAD_MIC', () => {
    const a = contextPair();
    const b = contextPair({}, a.lab);
    expect(gssError(() => b.acceptor.unwrap(a.initiator.wrap(enc('x')))).status).toBe('BAD_MIC');
    expect(gssError(() => b.acceptor.verifyMic(enc('x'), a.initiator.getMic(enc('x')))).status).toBe(
      'BAD_MIC',
    );
  });

  it('replay and sequence flags: duplicates, gaps, out-of-order and old tokens', () => {
    const { initiator, acceptor } = contextPair({ gssFlags: REPLAY_SEQ });
    const t = Array.from({ length: 70 }, (_, i) => initiator.wrap(enc(`m${i}`)));
    acceptor.unwrap(t[0]!);
    let e = gssError(() => acceptor.unwrap(t[0]!));
    expect([e.status, e.code]).toEqual(['DUPLICATE_TOKEN', ErrorCode.KRB_AP_ERR_REPEAT]);
    e = gssError(() => acceptor.unwrap(t[2]!));
    expect([e.status, e.code]).toEqual(['GAP_TOKEN', ErrorCode.KRB_AP_ERR_BADORDER]);
    // The gap token verified: its message is there, and it was recorded.
    expect(new TextDecoder().decode((e.accepted as { message: Uint8Array }).message)).toBe('m2');
    expect(gssError(() => acceptor.unwrap(t[2]!)).status).toBe('DUPLICATE_TOKEN');
    e = gssError(() => acceptor.unwrap(t[1]!));
    expect(e.status).toBe('UNSEQ_TOKEN');
    expect(gssError(() => acceptor.unwrap(t[1]!)).status).toBe('DUPLICATE_TOKEN');
    acceptor.unwrap(t[3]!);
    expect(gssError(() => acceptor.unwrap(t[69]!)).status).toBe('GAP_TOKEN');
    // 70 is next: 5 is 65 behind, outside the 64-token window; 6 is just inside.
    expect(gssError(() => acceptor.unwrap(t[5]!)).status).toBe('OLD_TOKEN');
    expect(gssError(() => acceptor.unwrap(t[6]!)).status).toBe('UNSEQ_TOKEN');
  });

  it('replay without sequence: reordering is fine, duplicates are not; neither flag: nothing is checked', () => {
    const replayOnly = contextPair({ gssFlags: GssFlags.replay });
    const t = [0, 1, 2].map((i) => replayOnly.initiator.getMic(enc(`${i}`)));
    replayOnly.acceptor.verifyMic(enc('2'), t[2]!);
    replayOnly.acceptor.verifyMic(enc('0'), t[0]!);
    expect(gssError(() => replayOnly.acceptor.verifyMic(enc('0'), t[0]!)).status).toBe('DUPLICATE_TOKEN');
    const none = contextPair({ gssFlags: 0 });
    const w = none.initiator.wrap(enc('again'));
    none.acceptor.unwrap(w);
    expect(hex(none.acceptor.unwrap(w).message)).toBe(hex(enc('again')));
  });

  it('a forged token does not move the replay window', () => {
    const { initiator, acceptor } = contextPair({ gssFlags: REPLAY_SEQ });
    const t0 = initiator.getMic(enc('0'));
    const t1 = initiator.getMic(enc('1'));
    const forged = t1.slice();
    forged[20]! ^= 1;
    expect(gssError(() => acceptor.verifyMic(enc('1'), forged)).status).toBe('BAD_MIC');
    acceptor.verifyMic(enc('0'), t0);
    // The forged token's number is still free: the genuine token is in order, not a duplicate.
    expect(acceptor.verifyMic(enc('1'), t1).seqNumber).toBe(decodePerMessageToken(forged).seqNumber);
  });

  it('the context expires with its ticket (CONTEXT_EXPIRED, KRB_AP_ERR_TKT_EXPIRED)', () => {
    const { lab, initiator, acceptor } = contextPair();
    const token = initiator.wrap(enc('late'));
    lab.advance(11 * Duration.hour);
    const e = gssError(() => acceptor.unwrap(token));
    expect([e.status, e.code]).toEqual(['CONTEXT_EXPIRED', ErrorCode.KRB_AP_ERR_TKT_EXPIRED]);
    expect(gssError(() => acceptor.getMic(enc('x'))).status).toBe('CONTEXT_EXPIRED');
  });

  it('an rc4-hmac context refuses per-message tokens with KDC_ERR_ETYPE_NOSUPP (RFC 4757 tokens are not implemented)', () => {
    const { initiator, accepted } = contextPair({
      etype: EncType.RC4_HMAC,
      etypeNegotiation: false,
      service: { allowWeakCrypto: true },
    });
    // An RFC 1964-style context takes no acceptor subkey (MIT's acceptor sends none either).
    expect(accepted.acceptorSubkey).toBeUndefined();
    expect(initiator.usesAcceptorSubkey).toBe(false);
    let err: unknown;
    try {
      initiator.wrap(enc('x'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KerberosError);
    expect((err as KerberosError).code).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
  });

  it('an rc4-hmac context claims no CONF, INTEG or PROT_READY, on either side, since it makes no tokens', () => {
    const { initiator, acceptor } = contextPair({
      etype: EncType.RC4_HMAC,
      etypeNegotiation: false,
      gssFlags: REPLAY_SEQ,
      service: { allowWeakCrypto: true },
    });
    const promises = GssFlags.conf | GssFlags.integ | GssFlags.protReady;
    for (const ctx of [initiator, acceptor]) {
      expect(ctx.etype).toBe(EncType.RC4_HMAC);
      expect(ctx.retFlags & promises, ctx.initiator ? 'initiator' : 'acceptor').toBe(0);
      // What the checksum asked for is kept in `flags`; the rest of retFlags is as for AES.
      expect(ctx.flags & (GssFlags.conf | GssFlags.integ)).toBe(GssFlags.conf | GssFlags.integ);
      expect(ctx.retFlags).toBe(GssFlags.mutual | REPLAY_SEQ | GssFlags.trans);
    }
    // The same flags on an AES context: all three (PROT_READY at the acceptor, which sent an AP-REP).
    const aes = contextPair({ gssFlags: REPLAY_SEQ });
    expect(aes.acceptor.retFlags & promises).toBe(promises);
    expect(aes.initiator.retFlags & promises).toBe(GssFlags.conf | GssFlags.integ);
  });

  it('an rc4-hmac session key whose client lists AES enctypes becomes an AES context (RFC 4537)', () => {
    const { initiator, acceptor, accepted } = contextPair({
      etype: EncType.RC4_HMAC,
      service: { allowWeakCrypto: true },
    });
    expect(accepted.sessionKey.etype).toBe(EncType.RC4_HMAC);
    expect(accepted.acceptorSubkey?.etype).toBe(EncType.AES256_CTS_HMAC_SHA1_96);
    expect(initiator.etype).toBe(EncType.AES256_CTS_HMAC_SHA1_96);
    expect(initiator.usesAcceptorSubkey).toBe(true);
    const token = initiator.wrap(enc('over rc4, sealed in AES'));
    expect(token[2]! & PerMessageFlags.acceptorSubkey).toBe(PerMessageFlags.acceptorSubkey);
    expect(acceptor.unwrap(token).message).toEqual(enc('over rc4, sealed in AES'));
    expect(initiator.unwrap(acceptor.wrap(enc('back'))).message).toEqual(enc('back'));
  });

  it('a context prints no key', () => {
    const { accepted } = contextPair();
    const printed = JSON.stringify(accepted.securityContext);
    expect(JSON.parse(printed)).toMatchObject({ initiator: false, etype: 18, usesAcceptorSubkey: true });
    expect(printed).not.toContain(hex(accepted.acceptorSubkey!.bytes));
  });

  it("retFlags: the checksum's known service flags, with TRANS, and PROT_READY at an acceptor that sent an AP-REP (MIT's ret_flags)", () => {
    const ctx = (initiator: boolean, flags: number) =>
      new GssSecurityContext({ initiator, sessionKey: { etype: 18, bytes: new Uint8Array(32) }, flags });
    // mutual | replay | sequence | conf | integ: MIT's acceptor 0x1be, its initiator 0x13e (test/interop/gss-peer).
    expect(ctx(false, 0x3e).retFlags).toBe(0x1be);
    expect(ctx(true, 0x3e).retFlags).toBe(0x13e);
    // Without mutual authentication MIT's acceptor completes with no AP-REP and no PROT_READY.
    expect(ctx(false, 0x3c).retFlags).toBe(0x13c);
    // DCE style, delegation and TRANS (which MIT's initiators put in the checksum) pass; bits no flag names do
    // not. A DCE-style acceptor waits for the third leg: no PROT_READY, mutual or not.
    expect(ctx(false, GssFlags.dceStyle | GssFlags.deleg | GssFlags.trans | 0x10000 | 0x40).retFlags).toBe(
      GssFlags.dceStyle | GssFlags.deleg | GssFlags.trans,
    );
    expect(ctx(false, GssFlags.dceStyle | GssFlags.mutual).retFlags).toBe(
      GssFlags.dceStyle | GssFlags.mutual | GssFlags.trans,
    );
  });

  it('isGssTokenError narrows by status', () => {
    const e = new GssTokenError('GAP_TOKEN', 'x');
    expect(isGssTokenError(e, 'GAP_TOKEN')).toBe(true);
    expect(isGssTokenError(e, 'BAD_MIC')).toBe(false);
    expect(e).toBeInstanceOf(KerberosError);
    expect(
      new GssSecurityContext({
        initiator: true,
        sessionKey: { etype: 18, bytes: new Uint8Array(32) },
        flags: 0,
      }).etype,
    ).toBe(18);
  });
});

describe('what is not bytes', () => {
  it('is a TypeError naming the call, before any state changes', () => {
    const { initiator, acceptor } = contextPair();
    const notBytes = 'hello' as unknown as Uint8Array;
    expect(() => acceptor.wrap(notBytes)).toThrow(new TypeError('wrap: message must be a Uint8Array'));
    expect(() => acceptor.getMic(notBytes)).toThrow(new TypeError('getMic: message must be a Uint8Array'));
    const mic = initiator.getMic(enc('m'));
    expect(() => acceptor.verifyMic(notBytes, mic)).toThrow(
      new TypeError('verifyMic: message must be a Uint8Array'),
    );
    expect(() => decodePerMessageToken(notBytes)).toThrow(
      new TypeError('a per-message token must be a Uint8Array'),
    );
    // The refusals left the state alone: the MIC made before them verifies, and the initiator's
    // next one follows it in sequence.
    const first = acceptor.verifyMic(enc('m'), mic).seqNumber;
    expect(acceptor.verifyMic(enc('n'), initiator.getMic(enc('n'))).seqNumber).toBe(first + 1n);
  });
});
