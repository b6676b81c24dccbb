/**
 * SPNEGO at the acceptor (RFC 4178): the initiator's mechListMIC checked over
 * its MechTypeList as sent and answered with the acceptor's own (section 5, as
 * MIT's `process_mic`), the AP-REP framed with the mechToken's own OID (MIT's
 * `mech_used`), and mechTokens that are not Kerberos refused as such.
 */

import {
  decodeNegotiationToken,
  encodeMechTypeList,
  encodeNegotiationToken,
  GssFlags,
  GssOid,
  Krb5TokenId,
  NegState,
  type NegTokenResp,
  unwrapGssToken,
  unwrapKrb5Token,
  wrapGssToken,
  wrapKrb5Token,
} from '@krbsim/asn1';
import { ErrorCode, type KerberosError } from '@krbsim/core';
import { EncType } from '@krbsim/crypto';
import { GssSecurityContext, isGssTokenError, unframeApReq } from '@krbsim/service';
import { describe, expect, it } from 'vitest';
import { enc } from './gss-helpers';
import { Lab, thrown } from './helpers';

const REPLAY_SEQ = GssFlags.replay | GssFlags.sequence;
const NTLM_NEGOTIATE = new TextEncoder().encode('NTLMSSP\0\x01\0\0\0\x07\x82\x08\xa2');

function negTokenResp(token: Uint8Array | undefined): NegTokenResp {
  const t = decodeNegotiationToken(token!);
  if (!('negTokenResp' in t)) throw new Error('expected a NegTokenResp');
  return t.negTokenResp;
}

/** The client's SPNEGO token for `opts`, its mechanism list replaced by `mechTypes` if given. */
function spnego(lab: Lab, opts: { mutual?: boolean; gssFlags?: number; etype?: number } = {}) {
  const cred = lab.credential(opts.etype === undefined ? {} : { sessionKeyEtype: opts.etype });
  const built = lab.client.buildApReq(cred, {
    gss: 'spnego',
    ...(opts.mutual === undefined ? {} : { mutual: opts.mutual }),
    ...(opts.gssFlags === undefined ? {} : { gssFlags: opts.gssFlags }),
    ...(opts.etype === undefined ? {} : { etypeNegotiation: false }),
  });
  const init = decodeNegotiationToken(built.token);
  if (!('negTokenInit' in init)) throw new Error('expected a NegTokenInit');
  return { built, init: init.negTokenInit, mechToken: init.negTokenInit.mechToken! };
}

/** The initiator's side of the context for a mutual AP-REQ, before the AP-REP (what a MIC in the NegTokenInit is made with). */
function earlyInitiator(context: ReturnType<typeof spnego>['built']['context']): GssSecurityContext {
  return new GssSecurityContext({
    initiator: true,
    sessionKey: context.sessionKey,
    ...(context.subkey === undefined ? {} : { initiatorSubkey: context.subkey }),
    ...(context.seqNumber === undefined ? {} : { initiatorSeqNumber: context.seqNumber }),
    flags: context.gssFlags ?? 0,
  });
}

describe("SPNEGO: the initiator's mechListMIC (RFC 4178 section 5)", () => {
  const mechTypes = [GssOid.KRB5, GssOid.NTLMSSP];

  it('is verified over the MechTypeList as sent, and answered with the acceptor MIC; its number goes through the window', () => {
    const lab = new Lab();
    const svc = lab.service();
    // Without mutual authentication the initiator's context exists before it sends: it can sign the list.
    const { built, mechToken } = spnego(lab, { mutual: false, gssFlags: REPLAY_SEQ });
    const initiator = built.securityContext!;
    const list = encodeMechTypeList(mechTypes).slice();
    const mic = initiator.getMic(list);
    const r = svc.accept(
      encodeNegotiationToken({ negTokenInit: { mechTypes, mechToken, mechListMic: mic } }),
    );
    expect(r.clientPrincipal).toBe('alice@CONTOSO.COM');
    const resp = negTokenResp(r.responseToken);
    expect(resp.negState).toBe(NegState['accept-completed']);
    expect(resp.supportedMech).toBe(GssOid.KRB5);
    expect(resp.responseToken).toBeUndefined(); // no AP-REP without mutual authentication
    // MIT's process_mic: "If we got a MIC, we must send a MIC", the acceptor's first token, over the same list.
    expect(resp.mechListMic).toBeDefined();
    expect(decodePerMic(resp.mechListMic!)).toBe(true);
    expect(initiator.verifyMic(list, resp.mechListMic!).seqNumber).toBe(BigInt(built.context.seqNumber!));
    // The acceptor's window took the MIC's sequence number: the initiator's next token is in order (a
    // GAP_TOKEN otherwise, with the sequence flag), and the MIC again is a duplicate.
    const acceptor = r.securityContext!;
    expect(acceptor.unwrap(initiator.wrap(enc('next'))).message).toEqual(enc('next'));
    expect(
      isGssTokenError(
        thrown(() => acceptor.verifyInitiatorMechListMic(list, mic)),
        'DUPLICATE_TOKEN',
      ),
    ).toBe(true);
    expect(() => initiator.verifyInitiatorMechListMic(list, mic)).toThrow(TypeError);
  });

  it("with mutual authentication: the acceptor's MIC goes with the AP-REP, under its subkey, and krbsim's client checks it", () => {
    const lab = new Lab();
    const { built, init, mechToken } = spnego(lab);
    // An initiator that signs before the AP-REP uses its own subkey, the AcceptorSubkey flag clear.
    const mic = earlyInitiator(built.context).getMic(encodeMechTypeList(init.mechTypes));
    expect(mic[2]! & 0x04).toBe(0);
    const r = lab.service().accept(encodeNegotiationToken({ negTokenInit: { ...init, mechListMic: mic } }));
    const resp = negTokenResp(r.responseToken);
    expect(unwrapKrb5Token(resp.responseToken!).tokId).toBe(Krb5TokenId.AP_REP);
    expect(r.acceptorSubkey).toBeDefined();
    expect(resp.mechListMic![2]! & 0x05).toBe(0x05); // SentByAcceptor | AcceptorSubkey
    const v = lab.client.verifyApRep(built.context, r.responseToken!);
    expect(v.securityContext!.usesAcceptorSubkey).toBe(true);
    // A changed acceptor MIC is refused by the client.
    const forged = resp.mechListMic!.slice();
    forged[forged.length - 1]! ^= 1;
    const bad = encodeNegotiationToken({ negTokenResp: { ...resp, mechListMic: forged } });
    expect(thrown(() => lab.client.verifyApRep(built.context, bad)).code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    // Unchanged: the same mechToken without a MIC gets no MIC back (MIT sends none either).
    const plain = lab.service({ replayCache: false });
    expect(negTokenResp(plain.accept(spnego(lab).built.token).responseToken).mechListMic).toBeUndefined();
    expect(mechToken.length).toBeGreaterThan(0);
  });

  it('one that does not verify is KRB_AP_ERR_MODIFIED, before the replay cache: the AP-REQ is refused alike when sent again', () => {
    const lab = new Lab();
    const svc = lab.service();
    const { built, mechToken } = spnego(lab, { mutual: false });
    const refused = (token: Uint8Array) => {
      const e = thrown(() => svc.accept(token)) as KerberosError;
      expect(e.code, e.message).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
      expect(e.message).toMatch(
        /^the initiator's SPNEGO mechListMIC does not verify over the mechanisms offered/,
      );
      return e;
    };
    // Over another list: what a list edited on the way gives.
    const otherList = built.securityContext!.getMic(encodeMechTypeList([GssOid.NTLMSSP, GssOid.KRB5]));
    const edited = encodeNegotiationToken({ negTokenInit: { mechTypes, mechToken, mechListMic: otherList } });
    expect(refused(edited).message).toContain('does not verify');
    refused(edited); // again: refused for the MIC, not KRB_AP_ERR_REPEAT
    // Garbage in [3], in NegTokenInit2's [4], and an empty MIC.
    const garbage = new Uint8Array(28).fill(0x41);
    refused(encodeNegotiationToken({ negTokenInit: { mechTypes, mechToken, mechListMic: garbage } }));
    refused(
      encodeNegotiationToken({
        negTokenInit: { mechTypes, mechToken, negHints: { hintName: 'x' }, mechListMic: garbage },
      }),
    );
    refused(
      encodeNegotiationToken({ negTokenInit: { mechTypes, mechToken, mechListMic: new Uint8Array(0) } }),
    );
    // A MIC made by an acceptor (reflected), and one claiming an acceptor subkey the initiator cannot know of.
    const flagged = built.securityContext!.getMic(encodeMechTypeList(mechTypes)).slice();
    flagged[2]! |= 0x04;
    expect(
      refused(encodeNegotiationToken({ negTokenInit: { mechTypes, mechToken, mechListMic: flagged } }))
        .message,
    ).toContain('claims the acceptor');
    // The authenticator was never recorded: with the right MIC the same mechToken is accepted once.
    const good = built.securityContext!.getMic(encodeMechTypeList(mechTypes));
    const ok = encodeNegotiationToken({ negTokenInit: { mechTypes, mechToken, mechListMic: good } });
    expect(svc.accept(ok).framing).toBe('spnego');
    expect(thrown(() => svc.accept(ok)).code).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
  });

  it('on an rc4-hmac context, which makes no MIC tokens, it is refused unchecked: KDC_ERR_ETYPE_NOSUPP', () => {
    const lab = new Lab();
    const svc = lab.service({ allowWeakCrypto: true, replayCache: false });
    const { init } = spnego(lab, { etype: EncType.RC4_HMAC });
    const e = thrown(() =>
      svc.accept(encodeNegotiationToken({ negTokenInit: { ...init, mechListMic: new Uint8Array(32) } })),
    ) as KerberosError;
    expect(e.code).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
    expect(e.message).toMatch(/^the initiator's SPNEGO mechListMIC cannot be checked/);
    expect(e.message).toContain('rc4-hmac');
    // Without a MIC the rc4-hmac context is accepted as before, and answered with none.
    const r = svc.accept(encodeNegotiationToken({ negTokenInit: init }));
    expect(r.securityContext!.etype).toBe(EncType.RC4_HMAC);
    expect(negTokenResp(r.responseToken).mechListMic).toBeUndefined();
  });

  it('unframeApReq hands on the MIC and the DER MechTypeList as sent, from [3] and from NegTokenInit2', () => {
    const lab = new Lab();
    const { mechToken } = spnego(lab);
    const mic = Uint8Array.of(4, 4, 0, 1);
    const list = encodeMechTypeList(mechTypes).slice();
    for (const negHints of [undefined, { hintName: 'not_defined_in_RFC4178@please_ignore' }]) {
      const u = unframeApReq(
        encodeNegotiationToken({
          negTokenInit: { mechTypes, mechToken, mechListMic: mic, ...(negHints && { negHints }) },
        }),
      );
      expect(u.mechListMic).toEqual(mic);
      expect(u.mechTypes).toEqual(list);
    }
    const none = unframeApReq(encodeNegotiationToken({ negTokenInit: { mechTypes, mechToken } }));
    expect(none.mechListMic).toBeUndefined();
    expect(none.mechTypes).toEqual(list);
  });
});

/** True when `token` is an acceptor's RFC 4121 MIC token (TOK_ID 04 04, SentByAcceptor). */
function decodePerMic(token: Uint8Array): boolean {
  return token[0] === 0x04 && token[1] === 0x04 && (token[2]! & 0x01) === 0x01;
}

describe('SPNEGO: the AP-REP is framed with the OID of the mechToken', () => {
  it("Microsoft's legacy OID on the mechToken gets it back on the AP-REP; supportedMech stays the list's first", () => {
    const lab = new Lab();
    const svc = lab.service({ replayCache: false });
    const raw = () => lab.client.buildApReq(lab.credential(), { mutual: true }).token;
    const cases = [
      // [mechTypes, the mechToken's OID]
      [[GssOid.KRB5], GssOid.MS_KRB5],
      [[GssOid.MS_KRB5, GssOid.KRB5], GssOid.MS_KRB5],
      [[GssOid.MS_KRB5, GssOid.KRB5], GssOid.KRB5], // what Windows sends
      [[GssOid.KRB5], GssOid.KRB5],
    ] as const;
    for (const [mechTypes, oid] of cases) {
      const mechToken = wrapKrb5Token(Krb5TokenId.AP_REQ, raw(), oid);
      const r = svc.accept(
        encodeNegotiationToken({ negTokenInit: { mechTypes: [...mechTypes], mechToken } }),
      );
      const resp = negTokenResp(r.responseToken);
      expect(resp.supportedMech).toBe(mechTypes[0]);
      expect(unwrapKrb5Token(resp.responseToken!).mech, `${mechTypes} / ${oid}`).toBe(oid);
      expect(
        unframeApReq(encodeNegotiationToken({ negTokenInit: { mechTypes: [...mechTypes], mechToken } }))
          .tokenMech,
      ).toBe(oid);
    }
  });
});

describe('SPNEGO: mechTokens that are not Kerberos', () => {
  const lab = new Lab();
  const svc = lab.service({ replayCache: false });
  const failure = (token: Uint8Array) => {
    const e = thrown(() => svc.accept(token)) as KerberosError;
    return [e.name, e.code, e.message];
  };
  const init = (mechToken: Uint8Array | undefined, mechTypes: string[] = [GssOid.MS_KRB5, GssOid.NTLMSSP]) =>
    encodeNegotiationToken({ negTokenInit: { mechTypes, ...(mechToken && { mechToken }) } });

  it('an empty mechToken is none: KRB_AP_ERR_METHOD, as a missing one', () => {
    const none = failure(init(undefined));
    expect(none).toEqual([
      'KerberosError',
      ErrorCode.KRB_AP_ERR_METHOD,
      'the SPNEGO NegTokenInit carries no Kerberos token; this service needs the optimistic mechToken',
    ]);
    expect(failure(init(new Uint8Array(0)))).toEqual(none);
  });

  it('an NTLM message, or another first octet, under a Kerberos OID: KRB_AP_ERR_MSG_TYPE, as at the top level', () => {
    expect(failure(init(NTLM_NEGOTIATE))).toEqual([
      'KerberosError',
      ErrorCode.KRB_AP_ERR_MSG_TYPE,
      `not a Kerberos AP-REQ: the SPNEGO mechToken for ${GssOid.MS_KRB5}: it is an NTLMSSP message (MS-NLMP); this service speaks only Kerberos`,
    ]);
    expect(failure(NTLM_NEGOTIATE)).toEqual([
      'KerberosError',
      ErrorCode.KRB_AP_ERR_MSG_TYPE,
      'not a Kerberos AP-REQ: it is an NTLMSSP message (MS-NLMP); this service speaks only Kerberos',
    ]);
    expect(failure(init(Uint8Array.of(0x30, 0x00)))).toEqual([
      'KerberosError',
      ErrorCode.KRB_AP_ERR_MSG_TYPE,
      `not a Kerberos AP-REQ: the SPNEGO mechToken for ${GssOid.MS_KRB5}: it starts with 0x30 (expected 0x6e or 0x60)`,
    ]);
    // "NTLMSSP" without its NUL is not named NTLM.
    expect(failure(new TextEncoder().encode('NTLMSSP'))[2]).toBe(
      'not a Kerberos AP-REQ: it starts with 0x4e (expected 0x6e or 0x60)',
    );
    // A GSS token of another mechanism inside.
    const gssNtlm = wrapGssToken(GssOid.NTLMSSP, NTLM_NEGOTIATE);
    expect(unwrapGssToken(gssNtlm).thisMech).toBe(GssOid.NTLMSSP);
    expect(failure(init(gssNtlm))).toEqual([
      'KerberosError',
      ErrorCode.KRB_AP_ERR_MSG_TYPE,
      `not a Kerberos AP-REQ: the SPNEGO mechToken for ${GssOid.MS_KRB5} is a GSS token of mechanism ${GssOid.NTLMSSP}`,
    ]);
  });
});
