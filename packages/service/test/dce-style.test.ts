/**
 * DCE-style contexts (GSS_C_DCE_STYLE, MS-KILE 3.4.5.1), both sides: the
 * initiator's AP-REQ goes raw, the acceptor answers with a raw AP-REP that
 * always carries its subkey and sequence number, and the initiator's own
 * AP-REP (the third leg, MIT's krb5_mk_rep_dce) completes the context,
 * checked as MIT's krb5_rd_rep_dce checks it. Checked against MIT's and
 * Heimdal's GSS libraries in test/interop/gss-peer.test.ts.
 */

import {
  decodeApRep,
  decodeEncApRepPart,
  encodeNegotiationToken,
  GssFlags,
  GssOid,
  Krb5TokenId,
  unwrapKrb5Token,
  wrapKrb5Token,
} from '@krbsim/asn1';
import { ErrorCode, isKerberosError, KerberosError } from '@krbsim/core';
import { decrypt, generateKey, KeyUsage } from '@krbsim/crypto';
import { buildApRep } from '@krbsim/service';
import { describe, expect, it } from 'vitest';
import { enc, hex } from './gss-helpers';
import { Lab } from './helpers';

const DCE = GssFlags.dceStyle | GssFlags.replay | GssFlags.sequence;

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

/** A DCE-style exchange up to the acceptor's AP-REP: the lab, the service, both sides' state. */
function firstTwoLegs() {
  const lab = new Lab();
  const cred = lab.credential();
  const built = lab.client.buildApReq(cred, { gss: 'krb5', gssFlags: DCE });
  const svc = lab.service();
  const accepted = svc.accept(built.token);
  return { lab, cred, built, svc, accepted };
}

describe('DCE style: three legs, raw tokens', () => {
  it('the AP-REQ and both AP-REPs are raw; the contexts are made by the third leg and talk both ways', () => {
    const { lab, built, svc, accepted } = firstTwoLegs();
    expect(built.token[0]).toBe(0x6e); // [APPLICATION 14] AP-REQ, no GSS header
    expect(built.securityContext).toBeUndefined();
    // The acceptor: mutual implied, a raw AP-REP with its own subkey and sequence number, no context yet.
    expect(accepted.mutual).toBe(true);
    expect(accepted.framing).toBe('none');
    expect(accepted.gssFlags! & GssFlags.dceStyle).toBe(GssFlags.dceStyle);
    expect(accepted.responseToken![0]).toBe(0x6f);
    expect(accepted.acceptorSubkey).toBeDefined();
    expect(accepted.acceptorSeqNumber).toBeDefined();
    expect(accepted.securityContext).toBeUndefined();
    // The initiator: its context, and the third leg, as krb5_mk_rep_dce makes it.
    const verified = lab.client.verifyApRep(built.context, accepted.responseToken!);
    const third = verified.dceReply!;
    const part = decodeEncApRepPart(
      decrypt(accepted.sessionKey, KeyUsage.AP_REP_ENCPART, decodeApRep(third).encPart.cipher),
    );
    expect(part.seqNumber).toBe(accepted.acceptorSeqNumber);
    expect(part.subkey).toBeUndefined();
    expect(part.ctime).toBe(lab.clock.now() - (lab.clock.now() % 1000));
    const acceptor = svc.acceptDceReply(accepted, third);
    const initiator = verified.securityContext!;
    expect([initiator.wrapStyle, acceptor.wrapStyle]).toEqual(['dce', 'dce']);
    expect([initiator.usesAcceptorSubkey, acceptor.usesAcceptorSubkey]).toEqual([true, true]);
    // MIT's ret_flags after the third leg: DCE and mutual, never PROT_READY or deleg.
    expect(acceptor.retFlags & (GssFlags.dceStyle | GssFlags.mutual)).toBe(
      GssFlags.dceStyle | GssFlags.mutual,
    );
    expect(acceptor.retFlags & (GssFlags.protReady | GssFlags.deleg)).toBe(0);
    for (const text of ['', 'x', 'a DCE message of some length']) {
      expect(hex(acceptor.unwrap(initiator.wrap(enc(text))).message)).toBe(hex(enc(text)));
      expect(hex(initiator.unwrap(acceptor.wrap(enc(text))).message)).toBe(hex(enc(text)));
    }
    acceptor.verifyMic(enc('mic'), initiator.getMic(enc('mic')));
  });

  it('an rc4-hmac DCE context still takes an acceptor subkey, as MIT forces one for DCE', () => {
    const lab = new Lab();
    const cred = lab.credential({ sessionKeyEtype: 23 });
    const built = lab.client.buildApReq(cred, { gss: 'krb5', gssFlags: DCE, etypeNegotiation: false });
    const accepted = lab.service({ allowWeakCrypto: true }).accept(built.token);
    expect(accepted.acceptorSubkey?.etype).toBe(23);
  });
});

describe('DCE style: what is refused', () => {
  it('the DCE flag in a GSS token (MIT: a defective token): KRB_AP_ERR_MSG_TYPE', () => {
    const { lab, cred } = firstTwoLegs();
    const raw = lab.client.buildApReq(cred, { gss: 'krb5', gssFlags: DCE }).token;
    const framed = wrapKrb5Token(Krb5TokenId.AP_REQ, raw);
    expect(unwrapKrb5Token(framed).tokId).toBe(Krb5TokenId.AP_REQ);
    const e = thrown(() => lab.service().accept(framed));
    expect(isKerberosError(e, ErrorCode.KRB_AP_ERR_MSG_TYPE)).toBe(true);
    expect((e as KerberosError).message).toContain('a DCE-style initiator sends it raw');
  });

  it("a DCE-style AP-REQ as a bare SPNEGO mechToken (MIT's SPNEGO takes it): refused, krbsim's SPNEGO having one round trip", () => {
    const { lab, cred } = firstTwoLegs();
    const raw = lab.client.buildApReq(cred, { gss: 'krb5', gssFlags: DCE }).token;
    expect(raw[0]).toBe(0x6e); // a DCE-style AP-REQ goes raw
    const token = encodeNegotiationToken({
      negTokenInit: { mechTypes: [GssOid.MS_KRB5, GssOid.KRB5], mechToken: raw },
    });
    const e = thrown(() => lab.service().accept(token));
    expect(isKerberosError(e, ErrorCode.KRB_AP_ERR_MSG_TYPE)).toBe(true);
    expect((e as KerberosError).message).toContain(
      "came in SPNEGO, which krbsim's acceptor completes in one round trip where a DCE-style context takes three legs",
    );
  });

  it('a third leg with another sequence number, a subkey, another enctype or key: refused, nothing established', () => {
    const { lab, svc, accepted } = firstTwoLegs();
    const key = accepted.sessionKey;
    const seq = accepted.acceptorSeqNumber!;
    const now = lab.clock.now();
    const forged = (part: Parameters<typeof buildApRep>[1], k = key) =>
      buildApRep(k, part, lab.random).slice();
    const cases: [string, Uint8Array, number, RegExp][] = [
      [
        'another sequence number',
        forged({ ctime: now, cusec: 0, seqNumber: (seq + 1) >>> 0 }),
        ErrorCode.KRB_AP_ERR_MUT_FAIL,
        /carries sequence number \d+, not the \d+ of the acceptor's AP-REP/,
      ],
      [
        'none at all',
        forged({ ctime: now, cusec: 0 }),
        ErrorCode.KRB_AP_ERR_MUT_FAIL,
        /carries sequence number none/,
      ],
      [
        'a subkey',
        forged({
          ctime: now,
          cusec: 0,
          seqNumber: seq,
          subkey: { keytype: 18, keyvalue: generateKey(18, { random: lab.random }).bytes },
        }),
        ErrorCode.KRB_AP_ERR_MUT_FAIL,
        /carries a subkey/,
      ],
      [
        'another enctype',
        forged({ ctime: now, cusec: 0, seqNumber: seq }, generateKey(17, { random: lab.random })),
        ErrorCode.KRB_AP_ERR_MUT_FAIL,
        /sealed with enctype 17/,
      ],
      [
        'another key of the same enctype',
        forged({ ctime: now, cusec: 0, seqNumber: seq }, generateKey(key.etype, { random: lab.random })),
        ErrorCode.KRB_AP_ERR_BAD_INTEGRITY,
        /./,
      ],
      ['not an AP-REP', Uint8Array.of(0x6f, 0x03, 0x02, 0x01, 0x05), -1, /./],
    ];
    for (const [label, token, code, message] of cases) {
      const e = thrown(() => svc.acceptDceReply(accepted, token));
      expect(e, label).toBeInstanceOf(KerberosError);
      if (code >= 0) expect((e as KerberosError).code, label).toBe(code);
      expect((e as KerberosError).message, label).toMatch(message);
    }
  });

  it('acceptDceReply on an acceptance that is not DCE style is a TypeError', () => {
    const lab = new Lab();
    const cred = lab.credential();
    const svc = lab.service();
    const accepted = svc.accept(lab.client.buildApReq(cred, { gss: 'krb5' }).token);
    expect(() => svc.acceptDceReply(accepted, accepted.responseToken!)).toThrow(TypeError);
  });

  it('the client refuses DCE style inside SPNEGO, and without mutual authentication, before sending', () => {
    const lab = new Lab();
    const cred = lab.credential();
    expect(() => lab.client.buildApReq(cred, { gss: 'spnego', gssFlags: DCE })).toThrow(/not inside SPNEGO/);
    expect(() => lab.client.buildApReq(cred, { gss: 'krb5', gssFlags: DCE, mutual: false })).toThrow(
      /implies mutual authentication/,
    );
  });

  it('flipping any byte of the third leg is refused with a KerberosError, never another exception or a context', () => {
    const { lab, built, svc, accepted } = firstTwoLegs();
    const third = lab.client.verifyApRep(built.context, accepted.responseToken!).dceReply!;
    for (let i = 0; i < third.length; i++) {
      const t = third.slice();
      t[i]! ^= 0xff;
      expect(
        thrown(() => svc.acceptDceReply(accepted, t)),
        `byte ${i}`,
      ).toBeInstanceOf(KerberosError);
    }
    expect(svc.acceptDceReply(accepted, third).retFlags & GssFlags.dceStyle).toBe(GssFlags.dceStyle);
  });
});
