/**
 * What the GSS initiator sends and what its context then claims: the GSS options it cannot send are
 * refused, not dropped (RangeError), and the context's flags are those the acceptor reads (RFC 4121
 * section 4.1.1.1; GSS_C_DELEG_FLAG only with a delegated KRB-CRED, as MIT's initiator keeps it);
 * a SPNEGO initiator without mutual authentication reads the acceptor's answer, which carries no
 * AP-REP (RFC 4178); and a mechListMIC a context cannot check (rc4-hmac) is said to be unchecked,
 * not forged.
 */

import {
  decodeNegotiationToken,
  encodeApRep,
  encodeEncApRepPart,
  encodeGssChecksum,
  encodeMechTypeList,
  encodeNegotiationToken,
  GssFlags,
  GssOid,
  Krb5TokenId,
  NegState,
  type NegTokenResp,
  wrapKrb5Token,
} from '@krbsim/asn1';
import { type ApReqOptions, type Credential, GssTokenError } from '@krbsim/client';
import { ErrorCode, KerberosError } from '@krbsim/core';
import { encrypt, KeyUsage } from '@krbsim/crypto';
import { describe, expect, it } from 'vitest';
import { serviceLab } from './service-lab';

const setup = () => serviceLab('gss-initiator');

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
/** What the initiator offered, DER: what a mechListMIC covers. */
const offered = () => encodeMechTypeList([GssOid.MS_KRB5, GssOid.KRB5]).slice();
const REPLAY_SEQ = GssFlags.replay | GssFlags.sequence;

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    return e as Error;
  }
  throw new Error('expected a throw');
}

function negTokenResp(token: Uint8Array): NegTokenResp {
  const t = decodeNegotiationToken(token);
  if (!('negTokenResp' in t)) throw new Error('expected a NegTokenResp');
  return t.negTokenResp;
}

describe('buildApReq refuses the GSS options it would drop (RangeError)', () => {
  it('without GSS framing: gssFlags (DCE style, mutual, replay), confidentiality, integrity and wrapStyle', async () => {
    const { client, cred } = await setup();
    const raw = (names: string, verb: string) =>
      new RangeError(
        `${names} ${verb} GSS framing (gss: 'krb5' or 'spnego'): a raw AP-REQ carries no GSS flags and makes no security context (mutual authentication: \`mutual: true\`, the AP option; DCE style: gss: 'krb5', which sends the AP-REQ raw)`,
      );
    const cases: [ApReqOptions, RangeError][] = [
      [{ gssFlags: GssFlags.dceStyle }, raw('gssFlags', 'needs')],
      [{ gss: 'none', gssFlags: GssFlags.mutual | GssFlags.replay }, raw('gssFlags', 'needs')],
      [{ mutual: true, gssFlags: 0 }, raw('gssFlags', 'needs')],
      [{ confidentiality: true }, raw('confidentiality', 'needs')],
      [{ integrity: false }, raw('integrity', 'needs')],
      [{ wrapStyle: 'windows' }, raw('wrapStyle', 'needs')],
      [
        { gssFlags: REPLAY_SEQ, confidentiality: true, integrity: true, wrapStyle: 'mit' },
        raw('gssFlags, confidentiality, integrity and wrapStyle', 'need'),
      ],
    ];
    for (const [opts, error] of cases) expect(() => client.buildApReq(cred, opts)).toThrow(error);
    // What a raw AP-REQ does serve: mutual authentication through the AP option.
    expect(client.buildApReq(cred, { mutual: true }).context.mutual).toBe(true);
  });

  it('with a checksum of the caller: gssFlags, confidentiality and integrity, which its 0x8003 checksum would carry', async () => {
    const { client, cred } = await setup();
    const replaced = (names: string, verb: string) =>
      new RangeError(
        `${names} ${verb} the flags of the 0x8003 checksum (RFC 4121 section 4.1.1.1), which a given \`checksum\` replaces: put the flags in the checksum given (encodeGssChecksum), or leave \`checksum\` out`,
      );
    const checksum = { data: new Uint8Array(0) };
    expect(() => client.buildApReq(cred, { gss: 'krb5', checksum, gssFlags: REPLAY_SEQ })).toThrow(
      replaced('gssFlags', 'sets'),
    );
    expect(() => client.buildApReq(cred, { gss: 'spnego', checksum, confidentiality: false })).toThrow(
      replaced('confidentiality', 'sets'),
    );
    expect(() =>
      client.buildApReq(cred, { gss: 'krb5', checksum, confidentiality: true, integrity: true }),
    ).toThrow(replaced('confidentiality and integrity', 'set'));
    // wrapStyle is the context's, not the checksum's: it goes with a checksum of the caller's.
    expect(client.buildApReq(cred, { gss: 'krb5', checksum, wrapStyle: 'windows' }).context.wrapStyle).toBe(
      'windows',
    );
  });

  it('GSS_C_MUTUAL_FLAG with mutual: false, as DCE style with it', async () => {
    const { client, cred } = await setup();
    expect(() =>
      client.buildApReq(cred, { gss: 'krb5', mutual: false, gssFlags: GssFlags.mutual | REPLAY_SEQ }),
    ).toThrow(
      new RangeError(
        'GSS_C_MUTUAL_FLAG in gssFlags asks for mutual authentication (the mutual-required AP option); mutual: false contradicts it',
      ),
    );
  });
});

describe("the initiator's context takes the flags the acceptor reads", () => {
  it('GSS_C_DELEG_FLAG asked for with nothing to delegate: sent without it, and neither side claims it', async () => {
    const { client, cred, service } = await setup();
    const built = client.buildApReq(cred, { gss: 'krb5', gssFlags: GssFlags.deleg | REPLAY_SEQ });
    expect(built.context.gssFlags! & GssFlags.deleg).toBe(0);
    const accepted = service.accept(built.token);
    expect(accepted.gssFlags! & GssFlags.deleg).toBe(0);
    const ctx = client.verifyApRep(built.context, accepted.responseToken!).securityContext!;
    expect(ctx.retFlags & GssFlags.deleg).toBe(0);
    expect(accepted.securityContext!.retFlags & GssFlags.deleg).toBe(0);
    expect(ctx.flags).toBe(accepted.securityContext!.flags);
  });

  it('a delegated KRB-CRED: the context has GSS_C_DELEG_FLAG, asked for or not', async () => {
    const { client, cred } = await setup();
    const krbCred = Uint8Array.of(0x76, 0x00); // what the checksum carries; no acceptor reads it here
    for (const gssFlags of [undefined, GssFlags.deleg]) {
      const built = client.buildApReq(cred, {
        gss: 'krb5',
        mutual: false,
        delegation: krbCred,
        ...(gssFlags === undefined ? {} : { gssFlags }),
      });
      expect(built.context.gssFlags! & GssFlags.deleg).toBe(GssFlags.deleg);
      expect(built.securityContext!.retFlags & GssFlags.deleg).toBe(GssFlags.deleg);
    }
  });

  it("a keyed checksum of the caller's (Samba's form): replay and sequence, and mutual, as the acceptor reads it", async () => {
    const { client, cred, service } = await setup();
    const built = client.buildApReq(cred, { gss: 'krb5', checksum: { data: new Uint8Array(0) } });
    const accepted = service.accept(built.token);
    const ctx = client.verifyApRep(built.context, accepted.responseToken!).securityContext!;
    expect(ctx.flags).toBe(REPLAY_SEQ | GssFlags.mutual);
    expect(ctx.flags).toBe(accepted.securityContext!.flags);
    // The initiator holds the acceptor to the checks the acceptor holds it to.
    const sealed = accepted.securityContext!.wrap(enc('once'));
    expect(dec(ctx.unwrap(sealed).message)).toBe('once');
    const again = thrown(() => ctx.unwrap(sealed));
    expect(again).toBeInstanceOf(GssTokenError);
    expect((again as GssTokenError).status).toBe('DUPLICATE_TOKEN');
    const repeated = ctx.wrap(enc('once'));
    accepted.securityContext!.unwrap(repeated);
    expect((thrown(() => accepted.securityContext!.unwrap(repeated)) as GssTokenError).status).toBe(
      'DUPLICATE_TOKEN',
    );
  });

  it("a 0x8003 checksum of the caller's: its flags, with DELEG only beside a KRB-CRED", async () => {
    const { client, cred, service } = await setup();
    const flagged = encodeGssChecksum({ flags: REPLAY_SEQ | GssFlags.integ | GssFlags.conf });
    flagged.checksum[20]! |= GssFlags.deleg; // the flag, and no KRB-CRED after it
    const built = client.buildApReq(cred, { gss: 'spnego', checksum: flagged });
    const accepted = service.accept(built.token);
    const ctx = client.verifyApRep(built.context, accepted.responseToken!).securityContext!;
    expect(ctx.flags).toBe(REPLAY_SEQ | GssFlags.integ | GssFlags.conf | GssFlags.mutual);
    expect(ctx.flags).toBe(accepted.securityContext!.flags);
    const delegating = encodeGssChecksum({ flags: GssFlags.integ, delegation: Uint8Array.of(0x76, 0) });
    const nonMutual = client.buildApReq(cred, { gss: 'krb5', mutual: false, checksum: delegating });
    expect(nonMutual.securityContext!.flags).toBe(GssFlags.integ | GssFlags.deleg);
  });
});

describe('SPNEGO without mutual authentication: the acceptor answers accept-completed without an AP-REP', () => {
  async function nonMutual(gssFlags = REPLAY_SEQ) {
    const lab = await setup();
    const built = lab.client.buildApReq(lab.cred, { gss: 'spnego', mutual: false, gssFlags });
    const accepted = lab.service.accept(built.token);
    return { ...lab, built, accepted, resp: negTokenResp(accepted.responseToken!) };
  }

  it("reads the acceptor's answer into the context buildApReq returned", async () => {
    const { client, built, accepted, resp } = await nonMutual();
    expect([resp.negState, resp.responseToken]).toEqual([NegState['accept-completed'], undefined]);
    const verified = client.verifyApRep(built.context, accepted.responseToken!);
    expect(verified.securityContext).toBe(built.securityContext);
    expect([verified.subkey, verified.seqNumber]).toEqual([undefined, undefined]);
    const reply = accepted.securityContext!.wrap(enc('hello'));
    expect(dec(verified.securityContext!.unwrap(reply).message)).toBe('hello');
  });

  it("verifies the acceptor's mechListMIC in that context, which then counts on from it", async () => {
    const { client, built, accepted, resp } = await nonMutual();
    const mechListMic = accepted.securityContext!.getMic(offered());
    const answer = encodeNegotiationToken({ negTokenResp: { ...resp, mechListMic } });
    const ctx = client.verifyApRep(built.context, answer).securityContext!;
    expect(ctx).toBe(built.securityContext);
    // With the sequence flag, a token after the MIC's sequence number would be a gap had it been skipped.
    const wrapped = accepted.securityContext!.wrap(enc('after the MIC'));
    expect(dec(ctx.unwrap(wrapped).message)).toBe('after the MIC');
  });

  it('a mechListMIC over another list: KRB_AP_ERR_MODIFIED', async () => {
    const { client, built, accepted, resp } = await nonMutual();
    const mechListMic = accepted.securityContext!.getMic(encodeMechTypeList([GssOid.KRB5]).slice());
    const answer = encodeNegotiationToken({ negTokenResp: { ...resp, mechListMic } });
    const e = thrown(() => client.verifyApRep(built.context, answer)) as KerberosError;
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.message).toContain('mechListMIC does not verify');
  });

  it('still refuses a reject, request-mic and accept-incomplete', async () => {
    const { client, built, resp } = await nonMutual();
    const cases: [Partial<NegTokenResp>, number, RegExp][] = [
      [{ negState: NegState.reject }, ErrorCode.KRB_AP_ERR_MUT_FAIL, /rejected the SPNEGO negotiation/],
      [{ negState: NegState['request-mic'] }, ErrorCode.KRB_AP_ERR_METHOD, /negState request-mic/],
      [{ negState: NegState['accept-incomplete'] }, ErrorCode.KRB_AP_ERR_METHOD, /another round trip/],
    ];
    for (const [edit, code, message] of cases) {
      const answer = encodeNegotiationToken({ negTokenResp: { ...resp, ...edit } });
      const e = thrown(() => client.verifyApRep(built.context, answer)) as KerberosError;
      expect(e).toBeInstanceOf(KerberosError);
      expect([e.code, e.message]).toEqual([code, expect.stringMatching(message)]);
    }
  });

  it('with mutual authentication, no AP-REP is still KRB_AP_ERR_MUT_FAIL', async () => {
    const { client, cred } = await setup();
    const { context } = client.buildApReq(cred, { gss: 'spnego' });
    const answer = encodeNegotiationToken({
      negTokenResp: { negState: NegState['accept-completed'], supportedMech: GssOid.MS_KRB5 },
    });
    const e = thrown(() => client.verifyApRep(context, answer)) as KerberosError;
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MUT_FAIL);
    expect(e.message).toContain('though mutual authentication was asked for');
  });
});

describe('a mechListMIC the context cannot check (rc4-hmac, whose RFC 4757 tokens krbsim does not make)', () => {
  /**
   * An AP-REQ of `cred` with an rc4-hmac session key, and the SPNEGO answer to it carrying
   * `mechListMic`: the AP-REP is made here, so neither KDC nor service need know the key.
   */
  async function rc4Answer(mechListMic?: Uint8Array) {
    const { client, cred } = await setup();
    const rc4: Credential = { ...cred, sessionKey: { etype: 23, bytes: new Uint8Array(16).fill(3) } };
    const { context } = client.buildApReq(rc4, { gss: 'spnego', etypeNegotiation: false });
    const part = encodeEncApRepPart({ ctime: context.ctime, cusec: context.cusec, seqNumber: 1 });
    const apRep = encodeApRep({
      pvno: 5,
      msgType: 15,
      encPart: { etype: 23, cipher: encrypt(context.sessionKey, KeyUsage.AP_REP_ENCPART, part) },
    }).slice();
    const token = encodeNegotiationToken({
      negTokenResp: {
        negState: NegState['accept-completed'],
        supportedMech: GssOid.MS_KRB5,
        responseToken: wrapKrb5Token(Krb5TokenId.AP_REP, apRep, GssOid.KRB5),
        ...(mechListMic === undefined ? {} : { mechListMic }),
      },
    });
    return { client, context, token };
  }

  it('is KDC_ERR_ETYPE_NOSUPP, said to be unchecked, not KRB_AP_ERR_MODIFIED', async () => {
    // The control: without a MIC the context is made (its tokens are refused when used).
    const plain = await rc4Answer();
    expect(plain.client.verifyApRep(plain.context, plain.token).securityContext!.etype).toBe(23);
    const { client, context, token } = await rc4Answer(new Uint8Array(32).fill(0x5a));
    const e = thrown(() => client.verifyApRep(context, token)) as KerberosError;
    expect(e.codeName).toBe('KDC_ERR_ETYPE_NOSUPP');
    expect(e.message).toMatch(
      /^the service's SPNEGO mechListMIC could not be checked, so the mechanisms offered are not known to have reached it unchanged: per-message tokens for enctype 23/,
    );
    expect((e.cause as KerberosError).codeName).toBe('KDC_ERR_ETYPE_NOSUPP');
  });
});
