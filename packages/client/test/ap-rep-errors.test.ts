/**
 * Mutual authentication failing on the client side (RFC 4120 section 3.2.5,
 * RFC 4121 section 4.1, RFC 4178 section 4.2): what verifyApRep and
 * unframeApRep throw when the service's answer is a KRB-ERROR (raw, GSS token
 * id 03 00, or inside a NegTokenResp), a SPNEGO reject or an answer without
 * an AP-REP, a token of the wrong kind, or an AP-REP under another enctype or
 * that does not decrypt with the session key; and buildApReq's own refusals.
 */

import {
  type ApRep,
  decodeApRep,
  decodeApReq,
  decodeAuthenticator,
  decodeNegotiationToken,
  encodeApRep,
  encodeEncApRepPart,
  encodeKrbError,
  encodeMechTypeList,
  encodeNegotiationToken,
  GssOid,
  Krb5TokenId,
  krbError,
  NegState,
  unwrapKrb5Token,
  wrapKrb5Token,
} from '@krbsim/asn1';
import { type ApReqContext, unframeApRep } from '@krbsim/client';
import { ErrorCode, isKerberosError, KerberosError } from '@krbsim/core';
import { decrypt, encrypt, KeyUsage } from '@krbsim/crypto';
import { describe, expect, it } from 'vitest';
import { REALM, SNAME, serviceLab } from './service-lab';

const setup = () => serviceLab('ap-rep-errors');

function thrown(f: () => unknown): KerberosError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KerberosError);
    return e as KerberosError;
  }
  throw new Error('expected a throw');
}

/** The service's KRB-ERROR (RFC 4120 section 5.9.1), as DER. */
function serviceError(code: number, eText?: string): Uint8Array {
  return encodeKrbError(
    krbError({
      errorCode: code,
      now: Date.UTC(2026, 0, 5, 8, 0, 0),
      realm: REALM,
      sname: SNAME,
      ...(eText === undefined ? {} : { eText }),
    }),
  ).slice();
}

/** The raw AP-REP inside a krb5- or SPNEGO-framed answer. */
function innerApRep(token: Uint8Array, framing: 'krb5' | 'spnego'): ApRep {
  return decodeApRep(unframeApRep(token, framing));
}

const spnego = (responseToken: Uint8Array) =>
  encodeNegotiationToken({
    negTokenResp: { negState: NegState['accept-completed'], supportedMech: GssOid.KRB5, responseToken },
  });

describe('the AP-REP: a KRB-ERROR in its place is the service refusal, with its code', () => {
  it('raw: the KRB-ERROR is thrown with the service code, realm and e-text', async () => {
    const { client, cred } = await setup();
    const { context } = client.buildApReq(cred, { mutual: true });
    const e = thrown(() =>
      client.verifyApRep(context, serviceError(ErrorCode.KRB_AP_ERR_SKEW, 'clock skew too great')),
    );
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_SKEW);
    expect(e.realm).toBe(REALM);
    expect(e.message).toContain(`the service HTTP/web.contoso.com@${REALM} refused the AP-REQ`);
    expect(e.message).toContain('("clock skew too great")');
  });

  it('GSS token id 03 00: the KRB-ERROR is thrown with the service code, without e-text', async () => {
    const { client, cred } = await setup();
    const { context } = client.buildApReq(cred, { gss: 'krb5' });
    const token = wrapKrb5Token(Krb5TokenId.KRB_ERROR, serviceError(ErrorCode.KRB_AP_ERR_MODIFIED));
    const e = thrown(() => client.verifyApRep(context, token));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.message).toMatch(/refused the AP-REQ$/);
  });

  it('SPNEGO: a KRB-ERROR token as the responseToken is thrown with the service code', async () => {
    const { client, cred } = await setup();
    const { context } = client.buildApReq(cred, { gss: 'spnego' });
    const token = spnego(wrapKrb5Token(Krb5TokenId.KRB_ERROR, serviceError(ErrorCode.KRB_AP_ERR_REPEAT)));
    const e = thrown(() => client.verifyApRep(context, token));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
    expect(e.message).toContain('refused the AP-REQ');
  });
});

describe('the AP-REP: SPNEGO and GSS answers that are not one', () => {
  it('a SPNEGO reject: KRB_AP_ERR_MUT_FAIL', async () => {
    const { client, cred } = await setup();
    const { context } = client.buildApReq(cred, { gss: 'spnego' });
    const token = encodeNegotiationToken({ negTokenResp: { negState: NegState.reject } });
    const e = thrown(() => client.verifyApRep(context, token));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MUT_FAIL);
    expect(e.message).toContain('rejected the SPNEGO negotiation');
  });

  it('a NegTokenResp without responseToken, though mutual authentication was asked: KRB_AP_ERR_MUT_FAIL', async () => {
    const { client, cred } = await setup();
    const { context } = client.buildApReq(cred, { gss: 'spnego' });
    const token = encodeNegotiationToken({
      negTokenResp: { negState: NegState['accept-completed'], supportedMech: GssOid.KRB5 },
    });
    const e = thrown(() => client.verifyApRep(context, token));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MUT_FAIL);
    expect(e.message).toContain('responseToken is absent');
  });

  it('a NegTokenInit (the initiator token sent back): KRB_AP_ERR_MSG_TYPE', async () => {
    const { client, cred } = await setup();
    const { token, context } = client.buildApReq(cred, { gss: 'spnego' });
    const e = thrown(() => client.verifyApRep(context, token));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MSG_TYPE);
    expect(e.message).toContain('is a NegTokenInit, not a NegTokenResp');
  });

  it('a GSS AP-REQ token (id 01 00) where the AP-REP belongs: KRB_AP_ERR_MSG_TYPE', async () => {
    const { client, cred } = await setup();
    const { token, context } = client.buildApReq(cred, { gss: 'krb5' });
    expect(unwrapKrb5Token(token).tokId).toBe(Krb5TokenId.AP_REQ);
    const e = thrown(() => client.verifyApRep(context, token));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MSG_TYPE);
    expect(e.message).toContain('has id 0x0100 where an AP-REP (0x0200) was expected');
  });
});

describe('SPNEGO: one round trip, completed on Kerberos, or a clear refusal (RFC 4178 sections 4.2.2 and 5)', () => {
  /** The service's real answer to a SPNEGO AP-REQ, its NegTokenResp changed by `edit`. */
  async function answered(edit: (resp: Record<string, unknown>) => Record<string, unknown>) {
    const lab = await setup();
    const { token, context } = lab.client.buildApReq(lab.cred, { gss: 'spnego' });
    const accepted = lab.service.accept(token);
    const resp = decodeNegotiationToken(accepted.responseToken!);
    if (!('negTokenResp' in resp)) throw new Error('expected a NegTokenResp');
    const changed = edit({ ...resp.negTokenResp });
    return { ...lab, context, accepted, token: encodeNegotiationToken({ negTokenResp: changed }) };
  }
  /** What the initiator offered, DER: what a mechListMIC covers. */
  const offered = () => encodeMechTypeList([GssOid.MS_KRB5, GssOid.KRB5]).slice();

  it('the service answer as it is completes the context (the control)', async () => {
    const { client, context, token } = await answered((r) => r);
    expect(client.verifyApRep(context, token).securityContext).toBeDefined();
  });

  const refusals: [string, (r: Record<string, unknown>) => Record<string, unknown>, number, RegExp][] = [
    [
      'request-mic (the initiator must send a mechListMIC): KRB_AP_ERR_METHOD',
      (r) => ({ ...r, negState: NegState['request-mic'] }),
      ErrorCode.KRB_AP_ERR_METHOD,
      /asks for the initiator's SPNEGO mechListMIC \(negState request-mic\)/,
    ],
    [
      'accept-incomplete (another round trip): KRB_AP_ERR_METHOD',
      (r) => ({ ...r, negState: NegState['accept-incomplete'] }),
      ErrorCode.KRB_AP_ERR_METHOD,
      /accept-incomplete: it wants another round trip/,
    ],
    [
      'a negState no RFC defines: KRB_AP_ERR_METHOD',
      (r) => ({ ...r, negState: 7 }),
      ErrorCode.KRB_AP_ERR_METHOD,
      /negState is 7, unknown/,
    ],
    [
      'no negState in the first reply: KRB_AP_ERR_MSG_TYPE',
      ({ negState: _, ...r }) => r,
      ErrorCode.KRB_AP_ERR_MSG_TYPE,
      /has no negState/,
    ],
    [
      'no supportedMech in the first reply (RFC 4178 section 4.2.2; MIT: a defective token): KRB_AP_ERR_MSG_TYPE',
      ({ supportedMech: _, ...r }) => r,
      ErrorCode.KRB_AP_ERR_MSG_TYPE,
      /^the SPNEGO answer has no supportedMech, which the acceptor's first reply must carry \(RFC 4178 section 4\.2\.2\)$/,
    ],
    [
      'supportedMech NTLMSSP, a mechanism not offered: KRB_AP_ERR_METHOD',
      (r) => ({ ...r, supportedMech: '1.3.6.1.4.1.311.2.2.10' }),
      ErrorCode.KRB_AP_ERR_METHOD,
      /chose SPNEGO mechanism 1\.3\.6\.1\.4\.1\.311\.2\.2\.10; this client offered only Kerberos/,
    ],
    [
      'a mechListMIC that is not a MIC token: KRB_AP_ERR_MODIFIED',
      (r) => ({ ...r, mechListMic: new Uint8Array(28).fill(0x5a) }),
      ErrorCode.KRB_AP_ERR_MODIFIED,
      /mechListMIC does not verify over the mechanisms offered/,
    ],
  ];
  for (const [label, edit, code, message] of refusals) {
    it(label, async () => {
      const { client, context, token } = await answered(edit);
      const e = thrown(() => client.verifyApRep(context, token));
      expect(e.message).toMatch(message);
      expect(e.code).toBe(code);
    });
  }

  it("a mechListMIC the acceptor's context made over the offered list verifies; the context then counts on from it", async () => {
    const { client, context, token, accepted: acceptor } = await answered((r) => r);
    const mic = acceptor.securityContext!.getMic(offered());
    const withMic = decodeNegotiationToken(token);
    if (!('negTokenResp' in withMic)) throw new Error('expected a NegTokenResp');
    const answer = encodeNegotiationToken({ negTokenResp: { ...withMic.negTokenResp, mechListMic: mic } });
    const ctx = client.verifyApRep(context, answer).securityContext!;
    // The MIC took the acceptor's first sequence number: its next token is the next one, in order.
    const wrapped = acceptor.securityContext!.wrap(new TextEncoder().encode('after the MIC'));
    expect(new TextDecoder().decode(ctx.unwrap(wrapped).message)).toBe('after the MIC');
  });

  it('a mechListMIC over another list (Kerberos struck from the offer on the way): KRB_AP_ERR_MODIFIED', async () => {
    const { client, context, token, accepted } = await answered((r) => r);
    const mic = accepted.securityContext!.getMic(encodeMechTypeList([GssOid.KRB5]).slice());
    const resp = decodeNegotiationToken(token);
    if (!('negTokenResp' in resp)) throw new Error('expected a NegTokenResp');
    const e = thrown(() =>
      client.verifyApRep(
        context,
        encodeNegotiationToken({ negTokenResp: { ...resp.negTokenResp, mechListMic: mic } }),
      ),
    );
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.message).toContain('mechListMIC does not verify');
  });

  it("names either Kerberos OID as supportedMech; the AP-REP inside carries the AP-REQ's krb5 OID, as Windows, MIT, Heimdal and krbsim frame it", async () => {
    const { client, context, token } = await answered((r) => r);
    const resp = decodeNegotiationToken(token);
    if (!('negTokenResp' in resp)) throw new Error('expected a NegTokenResp');
    // krbsim's acceptor answers as Windows': the Microsoft OID the client offered first, the krb5 OID inside.
    expect([resp.negTokenResp.supportedMech, unwrapKrb5Token(resp.negTokenResp.responseToken!).mech]).toEqual(
      [GssOid.MS_KRB5, GssOid.KRB5],
    );
    expect(client.verifyApRep(context, token).securityContext).toBeDefined();
    const {
      client: c2,
      context: ctx2,
      token: krb5Named,
    } = await answered((r) => ({
      ...r,
      supportedMech: GssOid.KRB5,
    }));
    expect(c2.verifyApRep(ctx2, krb5Named).securityContext).toBeDefined();
  });

  const otherMech = (mech: string) =>
    `the GSS AP-REP is framed with mechanism ${mech}, but the AP-REQ's token was framed with ${GssOid.KRB5}: the acceptor answers in the mechanism it was addressed in (RFC 4121 section 4.1)`;

  it("an AP-REP framed with the Microsoft OID, though the AP-REQ's token carried the krb5 one: KRB_AP_ERR_MSG_TYPE (MIT's mutual_auth)", async () => {
    const { client, context, token } = await answered((r) => ({
      ...r,
      responseToken: wrapKrb5Token(
        Krb5TokenId.AP_REP,
        unwrapKrb5Token(r.responseToken as Uint8Array).message,
        GssOid.MS_KRB5,
      ),
    }));
    const e = thrown(() => client.verifyApRep(context, token));
    expect([e.code, e.message]).toEqual([ErrorCode.KRB_AP_ERR_MSG_TYPE, otherMech(GssOid.MS_KRB5)]);
  });

  it('the same for a bare krb5 token; a KRB-ERROR under the Microsoft OID is still the service refusal', async () => {
    const { client, cred, service } = await setup();
    const { token, context } = client.buildApReq(cred, { gss: 'krb5' });
    const rep = unwrapKrb5Token(service.accept(token).responseToken!);
    expect(rep.mech).toBe(GssOid.KRB5);
    const msOid = wrapKrb5Token(Krb5TokenId.AP_REP, rep.message, GssOid.MS_KRB5);
    const e = thrown(() => client.verifyApRep(context, msOid));
    expect([e.code, e.message]).toEqual([ErrorCode.KRB_AP_ERR_MSG_TYPE, otherMech(GssOid.MS_KRB5)]);
    const refusal = wrapKrb5Token(
      Krb5TokenId.KRB_ERROR,
      serviceError(ErrorCode.KRB_AP_ERR_SKEW),
      GssOid.MS_KRB5,
    );
    expect(thrown(() => client.verifyApRep(context, refusal)).code).toBe(ErrorCode.KRB_AP_ERR_SKEW);
  });

  it("a reject carrying the acceptor's KRB-ERROR token is thrown with the service's code", async () => {
    const { client, cred } = await setup();
    const { context } = client.buildApReq(cred, { gss: 'spnego' });
    const token = encodeNegotiationToken({
      negTokenResp: {
        negState: NegState.reject,
        responseToken: wrapKrb5Token(Krb5TokenId.KRB_ERROR, serviceError(ErrorCode.KRB_AP_ERR_SKEW)),
      },
    });
    const e = thrown(() => client.verifyApRep(context, token));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_SKEW);
    expect(e.message).toContain('refused the AP-REQ');
  });
});

describe('the AP-REP: a reply not made with the session key is KRB_AP_ERR_MUT_FAIL', () => {
  for (const framing of ['krb5', 'spnego'] as const) {
    it(`${framing}: encrypted with another enctype than the session key's`, async () => {
      const { client, cred, service } = await setup();
      const { token, context } = client.buildApReq(cred, { gss: framing });
      const rep = innerApRep(service.accept(token).responseToken!, framing);
      const other = rep.encPart.etype === 18 ? 17 : 18;
      const forged = encodeApRep({ ...rep, encPart: { ...rep.encPart, etype: other } });
      const wrapped = wrapKrb5Token(Krb5TokenId.AP_REP, forged);
      const e = thrown(() => client.verifyApRep(context, framing === 'krb5' ? wrapped : spnego(wrapped)));
      expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MUT_FAIL);
      expect(e.realm).toBe(REALM);
      expect(e.message).toContain(`encrypted with enctype ${other}, not the session key's`);
    });
  }

  it('a flipped byte in its ciphertext: KRB_AP_ERR_MUT_FAIL, caused by KRB_AP_ERR_BAD_INTEGRITY', async () => {
    const { client, cred, service } = await setup();
    const { token, context } = client.buildApReq(cred, { mutual: true });
    const rep = decodeApRep(service.accept(token).responseToken!);
    const cipher = rep.encPart.cipher.slice();
    cipher[cipher.length - 1]! ^= 0x01;
    const forged = encodeApRep({ ...rep, encPart: { ...rep.encPart, cipher } });
    const e = thrown(() => client.verifyApRep(context, forged));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MUT_FAIL);
    expect(e.message).toContain('did not decrypt with the session key');
    expect(isKerberosError(e.cause, ErrorCode.KRB_AP_ERR_BAD_INTEGRITY)).toBe(true);
  });

  it('an AP-REP that answers another AP-REQ (a replayed AP-REP): KRB_AP_ERR_MUT_FAIL naming both times', async () => {
    const { client, cred, service, clock } = await setup();
    const first = client.buildApReq(cred, { mutual: true });
    const oldRep = service.accept(first.token).responseToken!;
    clock.advance(1500);
    const second = client.buildApReq(cred, { mutual: true });
    const e = thrown(() => client.verifyApRep(second.context, oldRep));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MUT_FAIL);
    expect(e.realm).toBe(REALM);
    expect(e.message).toContain(
      `echoes ctime ${first.context.ctime}/${first.context.cusec} where the authenticator had ${second.context.ctime}/${second.context.cusec}`,
    );
    expect(e.message).toContain('the answer did not come from the service the ticket is for');
  });

  it('a context whose session key is not a key of its enctype is a usage error, not a mutual-authentication failure', async () => {
    const { client, cred, service } = await setup();
    const { token, context } = client.buildApReq(cred, { mutual: true });
    const broken: ApReqContext = {
      ...context,
      sessionKey: { etype: context.sessionKey.etype, bytes: context.sessionKey.bytes.subarray(0, 5) },
    };
    const e = thrown(() => client.verifyApRep(broken, service.accept(token).responseToken!));
    expect(e.code).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(e.code).not.toBe(ErrorCode.KRB_AP_ERR_MUT_FAIL);
  });
});

describe('buildApReq refusals and options', () => {
  it('refuses a ticket past its end time: KRB_AP_ERR_TKT_EXPIRED', async () => {
    const { client, cred, clock } = await setup();
    clock.set(cred.endtime);
    const e = thrown(() => client.buildApReq(cred));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_TKT_EXPIRED);
    expect(e.realm).toBe(REALM);
    expect(e.message).toContain(`expired at ${new Date(cred.endtime).toISOString()}`);
  });

  it('refuses channelBindings or delegation it would drop: with a given checksum, or in a raw AP-REQ (RangeError)', async () => {
    const { client, cred, service } = await setup();
    const channel = new TextEncoder().encode('tls-server-end-point:0123');
    const krbCred = Uint8Array.of(0x76, 0x00); // never read: the options are refused first
    const replaced = (names: string) =>
      new RangeError(
        `${names} go in the 0x8003 checksum (RFC 4121 section 4.1.1), which a given \`checksum\` replaces: give one or the other`,
      );
    const unframed = (names: string) =>
      new RangeError(
        `${names} need GSS framing (gss: 'krb5' or 'spnego'): a raw AP-REQ has no 0x8003 checksum, so it binds no channel and delegates nothing`,
      );
    const checksum = { data: new Uint8Array(0) };
    expect(() => client.buildApReq(cred, { gss: 'krb5', checksum, channelBindings: channel })).toThrow(
      replaced('channelBindings'),
    );
    expect(() => client.buildApReq(cred, { gss: 'spnego', checksum, delegation: krbCred })).toThrow(
      replaced('delegation'),
    );
    expect(() =>
      client.buildApReq(cred, { checksum, channelBindings: channel, delegation: krbCred }),
    ).toThrow(replaced('channelBindings and delegation'));
    expect(() => client.buildApReq(cred, { channelBindings: channel })).toThrow(unframed('channelBindings'));
    expect(() => client.buildApReq(cred, { gss: 'none', delegation: krbCred })).toThrow(
      unframed('delegation'),
    );
    // Where the 0x8003 checksum is built, the bindings are in it: a DCE-style AP-REQ goes raw but is
    // GSS (MS-KILE 3.4.5.1), and the service holds it to its channel.
    const dce = client.buildApReq(cred, { gss: 'krb5', gssFlags: 0x1000, channelBindings: channel });
    expect(dce.token[0]).toBe(0x6e);
    expect(service.accept(dce.token, { channelBindings: channel }).gssFlags! & 0x1000).toBe(0x1000);
    const other = new TextEncoder().encode('tls-server-end-point:ffff');
    expect(thrown(() => service.accept(dce.token, { channelBindings: other })).code).toBe(
      ErrorCode.KRB_AP_ERR_MODIFIED,
    );
  });

  it('carries a ready-made authenticator checksum as given', async () => {
    const { client, cred } = await setup();
    const cksum = { cksumtype: 0x8003, checksum: new Uint8Array(24).fill(7) };
    const { token } = client.buildApReq(cred, { checksum: cksum });
    const sealed = decodeApReq(token).authenticator.cipher;
    const auth = decodeAuthenticator(decrypt(cred.sessionKey, KeyUsage.AP_REQ_AUTH, sealed));
    expect(auth.cksum).toEqual(cksum);
  });
});

describe("the AP-REP's subkey gets the checks a service gives the client's", () => {
  /** An AP-REP answering `context`, sealed with the session key, carrying `subkey`. */
  function apRepWith(context: ApReqContext, subkey: { keytype: number; keyvalue: Uint8Array }): Uint8Array {
    const part = encodeEncApRepPart({ ctime: context.ctime, cusec: context.cusec, subkey, seqNumber: 1 });
    const cipher = encrypt(context.sessionKey, KeyUsage.AP_REP_ENCPART, part);
    return encodeApRep({
      pvno: 5,
      msgType: 15,
      encPart: { etype: context.sessionKey.etype, cipher },
    }).slice();
  }

  it('an unknown enctype or a weak one is KDC_ERR_ETYPE_NOSUPP; a key of the wrong size KRB_ERR_GENERIC', async () => {
    const { client, cred } = await setup();
    const { context } = client.buildApReq(cred, { mutual: true });
    const unknown = thrown(() =>
      client.verifyApRep(context, apRepWith(context, { keytype: 99, keyvalue: new Uint8Array(32) })),
    );
    expect([unknown.codeName, unknown.message]).toEqual([
      'KDC_ERR_ETYPE_NOSUPP',
      "the service's AP-REP subkey is of enctype 99, which this client does not support",
    ]);
    const rc4 = thrown(() =>
      client.verifyApRep(context, apRepWith(context, { keytype: 23, keyvalue: new Uint8Array(16) })),
    );
    expect(rc4.codeName).toBe('KDC_ERR_ETYPE_NOSUPP');
    expect(rc4.message).toMatch(/refuses as weak/);
    const short = thrown(() =>
      client.verifyApRep(context, apRepWith(context, { keytype: 18, keyvalue: new Uint8Array(16) })),
    );
    expect([short.codeName, short.message]).toEqual([
      'KRB_ERR_GENERIC',
      "the service's AP-REP subkey is 16 bytes; enctype 18 keys are 32",
    ]);
    // A good one passes and is the service's subkey.
    const good = client.verifyApRep(
      context,
      apRepWith(context, { keytype: 17, keyvalue: new Uint8Array(16).fill(7) }),
    );
    expect(good.subkey?.etype).toBe(17);
  });
});
