/**
 * GSS-API framing (RFC 2743 3.1), the krb5 mechanism's context tokens
 * (RFC 4121 4.1) and SPNEGO (RFC 4178 4.2, MS-SPNG NegTokenInit2), against
 * hand-written DER and the asn1js oracle.
 */

import * as K from '@krbsim/asn1';
import { ErrorCode } from '@krbsim/core';
import { describe, expect, it } from 'vitest';
import { expectOracle, hex, thrown, unhex } from './helpers';

const KRB5 = '06092a864886f712010202';
const MS_KRB5 = '06092a864882f712010202';
const NTLM = '060a2b0601040182370202 0a'.replace(' ', '');
const SPNEGO = '06062b0601050502';

const ticket: K.Ticket = {
  tktVno: 5,
  realm: 'EXAMPLE.COM',
  sname: { nameType: 3, nameString: ['HTTP', 'web.example.com'] },
  encPart: { etype: 18, kvno: 3, cipher: new Uint8Array(100).fill(1) },
};
const apReq = K.encodeApReq({
  pvno: 5,
  msgType: 14,
  apOptions: K.ApOptions['mutual-required'],
  ticket,
  authenticator: { etype: 18, cipher: new Uint8Array(60).fill(2) },
});

describe('krb5 GSS tokens (RFC 4121 4.1)', () => {
  it('wraps an AP-REQ as 60 len 06 09 <krb5 OID> 01 00 <AP-REQ>', () => {
    const tok = K.wrapKrb5Token(0x0100, apReq);
    const inner = `${KRB5}0100${hex(apReq)}`;
    const n = inner.length / 2;
    expect(hex(tok)).toBe(`6082${n.toString(16).padStart(4, '0')}${inner}`);
    expectOracle(apReq);
    const back = K.unwrapKrb5Token(tok);
    expect(back).toEqual({ tokId: 0x0100, message: apReq, mech: K.GssOid.KRB5 });
    expect(K.decodeApReq(back.message).ticket).toEqual(ticket);
  });

  it('AP-REP and KRB-ERROR tokens, and the MS legacy OID', () => {
    const apRep = K.encodeApRep({ pvno: 5, msgType: 15, encPart: { etype: 18, cipher: new Uint8Array(30) } });
    const t = K.wrapKrb5Token(K.Krb5TokenId.AP_REP, apRep, K.GssOid.MS_KRB5);
    expect(hex(t).startsWith(`60${(apRep.length + 13).toString(16)}${MS_KRB5}0200`)).toBe(true);
    expect(K.unwrapKrb5Token(t).mech).toBe(K.GssOid.MS_KRB5);
    const err = K.encodeKrbError({
      pvno: 5,
      msgType: 30,
      stime: Date.UTC(2024, 0, 1),
      susec: 0,
      errorCode: 41,
      realm: 'EXAMPLE.COM',
      sname: ticket.sname,
    });
    expect(K.unwrapKrb5Token(K.wrapKrb5Token(0x0300, err)).tokId).toBe(0x0300);
  });

  it('rejects tokens that do not hold what they claim', () => {
    const wrongTok = K.wrapGssToken(K.GssOid.KRB5, unhex(`0200${hex(apReq)}`));
    const e = thrown(() => K.unwrapKrb5Token(wrongTok));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MSG_TYPE);
    expect(e.message).toBe(
      'InitialContextToken.innerContextToken: TOK_ID 0x0200 carries 0x6e, expected 0x6f',
    );
    const unknown = K.wrapGssToken(K.GssOid.KRB5, unhex(`0404${hex(apReq)}`));
    expect(thrown(() => K.unwrapKrb5Token(unknown)).reason).toBe('unknown TOK_ID 0x0404');
    const ntlm = K.wrapGssToken(K.GssOid.NTLMSSP, unhex(`0100${hex(apReq)}`));
    expect(thrown(() => K.unwrapKrb5Token(ntlm)).message).toBe(
      'InitialContextToken.thisMech: mechanism 1.3.6.1.4.1.311.2.2.10 is not Kerberos V5 (1.2.840.113554.1.2.2)',
    );
    expect(thrown(() => K.unwrapKrb5Token(unhex(`6003${KRB5.slice(0, 6)}`))).path).toBe(
      'InitialContextToken.thisMech',
    );
    expect(thrown(() => K.unwrapKrb5Token(apReq)).message).toBe(
      'InitialContextToken: expected [APPLICATION 0] (0x60), got 0x6e',
    );
    const trailing = unhex(`${hex(K.wrapKrb5Token(0x0100, apReq))}00`);
    expect(thrown(() => K.unwrapKrb5Token(trailing)).reason).toBe('1 trailing bytes after the value');
    expect(() => K.wrapKrb5Token(0x0400 as never, apReq)).toThrow(K.Asn1Error);
  });

  it('generic framing keeps any inner token', () => {
    const t = K.wrapGssToken('1.3.6.1.4.1.311.2.2.10', unhex('4e544c4d53535000'));
    expect(hex(t)).toBe(`6014${NTLM}4e544c4d53535000`);
    expect(K.unwrapGssToken(t)).toEqual({
      thisMech: K.GssOid.NTLMSSP,
      innerToken: unhex('4e544c4d53535000'),
    });
  });
});

describe('SPNEGO (RFC 4178)', () => {
  it('NegTokenInit with a krb5 mechToken, hand-checked', () => {
    const mechToken = K.wrapKrb5Token(0x0100, apReq);
    const tok = K.encodeNegotiationToken({
      negTokenInit: { mechTypes: [K.GssOid.MS_KRB5, K.GssOid.KRB5, K.GssOid.NTLMSSP], mechToken },
    });
    const mechTypes = `30${(11 + 11 + 12).toString(16)}${MS_KRB5}${KRB5}${NTLM}`;
    const a0 = `a0${(mechTypes.length / 2).toString(16)}${mechTypes}`;
    const tokLen = mechToken.length;
    const a2 = `a282${(tokLen + 4).toString(16).padStart(4, '0')}0482${tokLen.toString(16).padStart(4, '0')}${hex(mechToken)}`;
    const seq = `3082${((a0.length + a2.length) / 2).toString(16).padStart(4, '0')}${a0}${a2}`;
    const choice = `a082${(seq.length / 2).toString(16).padStart(4, '0')}${seq}`;
    const body = `${SPNEGO}${choice}`;
    expect(hex(tok)).toBe(`6082${(body.length / 2).toString(16).padStart(4, '0')}${body}`);
    const back = K.decodeNegotiationToken(tok);
    expect(back).toEqual({
      negTokenInit: {
        mechTypes: [K.GssOid.MS_KRB5, K.GssOid.KRB5, K.GssOid.NTLMSSP],
        reqFlags: undefined,
        mechToken,
        negHints: undefined,
        mechListMic: undefined,
      },
    });
    expect(hex(K.encodeNegotiationToken(back))).toBe(hex(tok));
    expectOracle(tok);
  });

  it("the MechTypeList a mechListMIC covers is the NegTokenInit's [0] contents, byte for byte", () => {
    const mechTypes = [K.GssOid.MS_KRB5, K.GssOid.KRB5, K.GssOid.NTLMSSP];
    const list = K.encodeMechTypeList(mechTypes);
    expect(hex(list)).toBe(`30${(11 + 11 + 12).toString(16)}${MS_KRB5}${KRB5}${NTLM}`);
    const tok = K.encodeNegotiationToken({ negTokenInit: { mechTypes } });
    expect(hex(tok)).toContain(`a0${(list.length).toString(16)}${hex(list)}`);
  });

  it('NegTokenInit with reqFlags (named-bit BIT STRING) and a mechListMIC at [3]', () => {
    const init = {
      mechTypes: [K.GssOid.KRB5],
      reqFlags: (K.ContextFlags.mutualFlag | K.ContextFlags.integFlag) >>> 0,
      mechListMic: unhex('0102'),
    };
    const tok = K.encodeNegotiationToken({ negTokenInit: init });
    // reqFlags: bits 1 and 6 -> 0x42, 1 unused bit -> 03 02 01 42
    expect(hex(tok)).toContain('a1040302014 2'.replace(' ', ''));
    expect(hex(tok)).toContain('a30404020102');
    const back = K.decodeNegotiationToken(tok);
    expect('negTokenInit' in back && back.negTokenInit).toMatchObject(init);
    expect(hex(K.encodeNegotiationToken(back))).toBe(hex(tok));
  });

  it("Microsoft's NegTokenInit2 with negHints (mechListMIC moves to [4])", () => {
    const init: K.NegTokenInit = {
      mechTypes: [K.GssOid.MS_KRB5, K.GssOid.KRB5],
      negHints: { hintName: 'not_defined_in_RFC4178@please_ignore' },
    };
    const tok = K.encodeNegotiationToken({ negTokenInit: init });
    expect(hex(tok)).toContain(
      `a32a3028a0261b24${hex(new TextEncoder().encode('not_defined_in_RFC4178@please_ignore'))}`,
    );
    const back = K.decodeNegotiationToken(tok);
    expect('negTokenInit' in back && back.negTokenInit.negHints).toEqual({
      hintName: 'not_defined_in_RFC4178@please_ignore',
      hintAddress: undefined,
    });
    expect(hex(K.encodeNegotiationToken(back))).toBe(hex(tok));
    const withMic = K.encodeNegotiationToken({ negTokenInit: { ...init, mechListMic: unhex('aa') } });
    expect(hex(withMic).endsWith('a403040 1aa'.replace(' ', ''))).toBe(true);
    expectOracle(withMic);
  });

  it('refuses a mechListMIC at both [3] and [4], and a [3] that is neither a MIC nor NegHints', () => {
    const mechTypes = 'a00d300b06092a864886f712010202'; // [0] { 1.2.840.113554.1.2.2 }
    const bare = (fields: string) => {
      const seq = `30${(fields.length / 2).toString(16).padStart(2, '0')}${fields}`;
      return unhex(`a0${(seq.length / 2).toString(16).padStart(2, '0')}${seq}`);
    };
    // The [3]-as-OCTET-STRING form alone decodes: it is RFC 4178's mechListMIC.
    const one = K.decodeNegotiationToken(bare(`${mechTypes}a304040201 02`.replace(' ', '')));
    expect('negTokenInit' in one && one.negTokenInit.mechListMic).toEqual(unhex('0102'));
    const both = thrown(() => K.decodeNegotiationToken(bare(`${mechTypes}a30404020102a4040402aabb`)));
    expect(both).toBeInstanceOf(K.Asn1Error);
    expect(both.message).toContain('both [3] and [4] carry a mechListMIC');
    expect(both.path).toContain('.mechListMIC');
    const integer = thrown(() => K.decodeNegotiationToken(bare(`${mechTypes}a303020105`)));
    expect(integer).toBeInstanceOf(K.Asn1Error);
    expect(integer.message).toContain('expected OCTET STRING (0x04) or NegHints SEQUENCE (0x30), got 0x2');
  });

  it('NegTokenResp travels bare, hand-checked', () => {
    const resp: K.NegTokenResp = {
      negState: K.NegState['accept-completed'],
      supportedMech: K.GssOid.KRB5,
      responseToken: unhex('6f00'),
    };
    const tok = K.encodeNegotiationToken({ negTokenResp: resp });
    expect(hex(tok)).toBe(`a11a3018a0030a0100a10b${KRB5}a20404026f00`);
    expect(K.decodeNegotiationToken(tok)).toEqual({ negTokenResp: { ...resp, mechListMic: undefined } });
    expectOracle(tok);
  });

  it('reads either alternative framed or bare, and writes each the one way it is sent (README, "Re-encoding")', () => {
    const init = K.encodeNegotiationToken({ negTokenInit: { mechTypes: [K.GssOid.KRB5] } });
    const resp = K.encodeNegotiationToken({ negTokenResp: { negState: 0 } });
    expect(hex(init).startsWith('60')).toBe(true);
    expect(hex(resp).startsWith('a1')).toBe(true);
    // A bare a0... negTokenInit comes back framed...
    const bareInit = K.unwrapGssToken(init).innerToken;
    expect(hex(bareInit).startsWith('a0')).toBe(true);
    expect(hex(K.encodeNegotiationToken(K.decodeNegotiationToken(bareInit)))).toBe(hex(init));
    // ...and a framed 60... a1... negTokenResp bare.
    const framedResp = K.wrapGssToken(K.GssOid.SPNEGO, resp);
    expect(hex(K.encodeNegotiationToken(K.decodeNegotiationToken(framedResp)))).toBe(hex(resp));
  });

  it('rejects a framed token for another mechanism', () => {
    const t = K.wrapGssToken(K.GssOid.KRB5, unhex('a0023000'));
    expect(thrown(() => K.decodeNegotiationToken(t)).message).toBe(
      'InitialContextToken.thisMech: mechanism 1.2.840.113554.1.2.2 is not SPNEGO (1.3.6.1.5.5.2)',
    );
    expect(thrown(() => K.decodeNegotiationToken(unhex('a2023000'))).message).toBe(
      'NegotiationToken: expected [0] (0xa0) or [1] (0xa1), got 0xa2',
    );
    const badOid = unhex(`a1083006a104060255 80`.replace(' ', ''));
    expect(thrown(() => K.decodeNegotiationToken(badOid)).path).toBe(
      'NegotiationToken.negTokenResp.supportedMech',
    );
  });
});
