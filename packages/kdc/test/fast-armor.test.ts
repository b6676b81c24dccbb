/**
 * FAST (RFC 6113) refusals on the KDC side, from requests built by hand
 * with the codec and crypto: every check of the armor (the PA-FX-FAST that
 * does not decode, the armor AP-REQ and its ticket and subkey), of
 * req-checksum and enc-fast-req, of implicit TGS armor, of the encrypted
 * challenge (section 5.4.6), and how refusals are armored (section 5.4.4).
 */

import {
  decodeTgsReq,
  type EncTicketPart,
  encodeAsReq,
  encodeKdcReqBody,
  encodePaFxFastRequest,
  KdcOptions,
  type KdcReqBody,
  type KrbErrorMessage,
  type KrbFastArmor,
  type KrbFastArmoredReq,
  type PaData,
  PaDataType,
  type Ticket,
  TicketFlags,
} from '@krbsim/asn1';
import { Duration, ErrorCode, SeededRandom } from '@krbsim/core';
import { encrypt, generateKey, type Key, KeyUsage } from '@krbsim/crypto';
import {
  AS_PADATA_HANDLERS,
  type AsPadataHandler,
  Kdc,
  KdcError,
  TGS_PADATA_HANDLERS,
  type TgsPadataHandler,
} from '@krbsim/kdc';
import { describe, expect, it } from 'vitest';
import {
  type Armor,
  apArmor,
  innerError as armoredError,
  armoredReq,
  armorKeyOf,
  encryptedChallenge,
  fastTgsReq,
  paEncTsEnc,
} from './fast-helpers';
import {
  type Creds,
  errorOf,
  forge,
  type Lab,
  login,
  makeRealm,
  pn,
  pwKeys,
  tgsGet,
  tgsReq,
  userKey,
} from './helpers';

const REALM = 'CONTOSO.COM';
const random = new SeededRandom('fast-armor-test');

function lab(policy = {}): Lab & { host: Creds } {
  const l = makeRealm(REALM, policy);
  l.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'correct horse') });
  l.realm.addUser('host', { keys: pwKeys(REALM, 'host', 'host-Passw0rd') });
  l.realm.addService('HTTP/web.contoso.com', { keys: pwKeys(REALM, 'HTTP/web.contoso.com', 'web-Passw0rd') });
  const host = login(l, 'host', userKey(REALM, 'host', 'host-Passw0rd'));
  return { ...l, host };
}

const aliceKey = userKey(REALM, 'alice', 'correct horse');

function asBody(l: Lab, cname = 'alice'): KdcReqBody {
  return {
    kdcOptions: 0,
    cname: pn(cname),
    realm: REALM,
    sname: pn(`krbtgt/${REALM}`),
    till: l.clock.now() + 10 * Duration.hour,
    nonce: 4242,
    etype: [18],
  };
}

/** An AS-REQ whose one PA-DATA is PA-FX-FAST with `value`. */
function asReqWithFast(l: Lab, value: Uint8Array): Uint8Array {
  return encodeAsReq({
    pvno: 5,
    msgType: 10,
    padata: [{ padataType: PaDataType.PA_FX_FAST, padataValue: value }],
    reqBody: asBody(l),
  });
}

/** An armored AS-REQ for alice with `innerPadata`; `edit` rewrites the KrbFastArmoredReq. */
function armoredAsReq(
  l: Lab & { host: Creds },
  o: {
    armor?: Armor;
    innerPadata?: PaData[];
    edit?: (fx: KrbFastArmoredReq, armorKey: Key) => KrbFastArmoredReq;
  } = {},
): { bytes: Uint8Array; armorKey: Key } {
  const a = o.armor ?? apArmor(l.host, l.clock.now());
  const body = asBody(l);
  const fx = armoredReq(a.armorKey, { padata: o.innerPadata ?? [], body }, encodeKdcReqBody(body), a.armor);
  const edited = o.edit?.(fx, a.armorKey) ?? fx;
  const bytes = encodeAsReq({
    pvno: 5,
    msgType: 10,
    padata: [
      { padataType: PaDataType.PA_FX_FAST, padataValue: encodePaFxFastRequest({ armoredData: edited }) },
    ],
    reqBody: body,
  });
  return { bytes, armorKey: a.armorKey };
}

/** The KRB-ERROR inside an armored error (section 5.4.4), whose e-data holds PA-FX-FAST alone. */
function innerError(outer: KrbErrorMessage, armorKey: Key): { error: KrbErrorMessage; padata: PaData[] } {
  const inner = armoredError(outer, armorKey);
  expect(inner?.outerTypes).toEqual([PaDataType.PA_FX_FAST]);
  return inner!;
}

const timestamp = paEncTsEnc;

describe('FAST armor: what does not decode', () => {
  it('a PA-FX-FAST that is not a PA-FX-FAST-REQUEST: KDC_ERR_PREAUTH_FAILED', () => {
    const l = lab();
    const err = errorOf(l.kdc.handle(asReqWithFast(l, Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00))));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(err.eText).toContain('the PA-FX-FAST-REQUEST does not decode');
    // Refused before any armor key is known: nothing armored in the e-data.
    expect(err.eData).toBeUndefined();
  });

  it('an armor-value that is not an AP-REQ: KDC_ERR_PREAUTH_FAILED', () => {
    const l = lab();
    const { bytes } = armoredAsReq(l, {
      edit: (fx) => ({ ...fx, armor: { armorType: 1, armorValue: Uint8Array.of(0x04, 0x01, 0x00) } }),
    });
    const err = errorOf(l.kdc.handle(bytes));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(err.eText).toContain('the armor AP-REQ does not decode');
  });

  it('an enc-fast-req that does not decrypt with the armor key: KRB_AP_ERR_BAD_INTEGRITY, armored', () => {
    const l = lab();
    const { bytes, armorKey } = armoredAsReq(l, {
      edit: (fx) => {
        const cipher = fx.encFastReq.cipher.slice();
        cipher[cipher.length - 1]! ^= 1;
        return { ...fx, encFastReq: { ...fx.encFastReq, cipher } };
      },
    });
    const err = errorOf(l.kdc.handle(bytes));
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
    expect(err.eText).toContain('enc-fast-req does not decrypt with the armor key');
    // The armor key is known by then: the refusal is armored (section 5.4.4), as MIT's KDC sends it.
    const { error, padata } = innerError(err, armorKey);
    expect(error.errorCode).toBe(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
    expect(padata).toEqual([]);
  });

  it("an enc-fast-req that decrypts to something else than a KrbFastReq: the codec's KRB_ERR_GENERIC, armored", () => {
    const l = lab();
    const { bytes, armorKey } = armoredAsReq(l, {
      edit: (fx, key) => ({
        ...fx,
        encFastReq: {
          etype: key.etype,
          cipher: encrypt(key, KeyUsage.KEY_USAGE_FAST_ENC, timestamp(l.clock.now()), { random }),
        },
      }),
    });
    const err = errorOf(l.kdc.handle(bytes));
    expect(err.errorCode).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(err.eText).toContain('KrbFastReq');
    expect(innerError(err, armorKey).error.errorCode).toBe(ErrorCode.KRB_ERR_GENERIC);
  });
});

describe('FAST armor: the armor AP-REQ and its ticket', () => {
  function forgedArmorTgt(l: Lab, key: Key, kvno: number): Creds {
    const sessionKey = generateKey(18, { random });
    const now = l.clock.now();
    const etp: EncTicketPart = {
      flags: TicketFlags.initial | TicketFlags['pre-authent'],
      key: { keytype: 18, keyvalue: sessionKey.bytes },
      crealm: REALM,
      cname: pn('host'),
      transited: { trType: 1, contents: new Uint8Array(0) },
      authtime: now,
      endtime: now + Duration.hour,
    };
    const ticket: Ticket = forge(REALM, `krbtgt/${REALM}`, etp, key, kvno);
    return { ticket, sessionKey, cname: pn('host'), crealm: REALM } as Creds;
  }

  it('an armor ticket of a krbtgt key version the realm does not hold: KRB_AP_ERR_BADKEYVER', () => {
    const l = lab();
    const tgs = l.realm.krbtgt.keys.find((k) => k.key.etype === 18)!;
    const armor = apArmor(forgedArmorTgt(l, tgs.key, tgs.kvno + 7), l.clock.now());
    const err = errorOf(l.kdc.handle(armoredAsReq(l, { armor }).bytes));
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_BADKEYVER);
    expect(err.eText).toContain(
      `no key version ${tgs.kvno + 7} for the FAST armor ticket's krbtgt/${REALM} (current ${tgs.kvno})`,
    );
  });

  it('an armor ticket in an etype the krbtgt has no key of: KRB_AP_ERR_NOKEY', () => {
    const l = lab();
    const kvno = l.realm.krbtgt.keys[0]!.kvno;
    expect(l.realm.krbtgt.keys.some((k) => k.key.etype === 23)).toBe(false);
    const rc4 = generateKey(23, { random });
    const armor = apArmor(forgedArmorTgt(l, rc4, kvno), l.clock.now());
    const err = errorOf(l.kdc.handle(armoredAsReq(l, { armor }).bytes));
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_NOKEY);
    expect(err.eText).toContain(`no key of etype 23 for the FAST armor ticket's krbtgt/${REALM}`);
  });

  it('an expired armor ticket: KRB_AP_ERR_TKT_EXPIRED, naming the armor ticket', () => {
    const l = lab();
    l.clock.advance(11 * Duration.hour);
    const err = errorOf(l.kdc.handle(armoredAsReq(l).bytes));
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_TKT_EXPIRED);
    expect(err.eText).toContain(`krbtgt/${REALM}@${REALM}`);
  });

  it('an armor AP-REQ whose authenticator carries no subkey: KDC_ERR_POLICY, as MIT answers', () => {
    const l = lab();
    const armor = apArmor(l.host, l.clock.now(), true);
    const err = errorOf(l.kdc.handle(armoredAsReq(l, { armor }).bytes));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    // No armor key without the subkey: nothing can be armored.
    expect(err.eData).toBeUndefined();
    expect(err.eText).toContain('the armor AP-REQ carries no subkey');
  });
});

describe('FAST armor: req-checksum', () => {
  const withType = (cksumtype: number) => (fx: KrbFastArmoredReq) => ({
    ...fx,
    reqChecksum: { ...fx.reqChecksum, cksumtype },
  });

  it('a checksum type no one knows: KDC_ERR_SUMTYPE_NOSUPP', () => {
    const l = lab();
    const { bytes, armorKey } = armoredAsReq(l, { edit: withType(9999) });
    const err = errorOf(l.kdc.handle(bytes));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_SUMTYPE_NOSUPP);
    expect(err.eText).toContain('req-checksum type 9999 is not supported');
    expect(innerError(err, armorKey).error.errorCode).toBe(ErrorCode.KDC_ERR_SUMTYPE_NOSUPP);
  });

  it('an unkeyed checksum (sha1), which anyone could compute: KRB_AP_ERR_MODIFIED, as MIT answers', () => {
    const l = lab();
    const err = errorOf(l.kdc.handle(armoredAsReq(l, { edit: withType(14) }).bytes));
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(err.eText).toContain('req-checksum type 14 is not a keyed checksum');
  });

  it("another etype's checksum (hmac-sha1-96-aes128 with an aes256 armor key): KDC_ERR_SUMTYPE_NOSUPP", () => {
    const l = lab();
    const { bytes, armorKey } = armoredAsReq(l, { edit: withType(15) });
    expect(armorKey.etype).toBe(18);
    const err = errorOf(l.kdc.handle(bytes));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_SUMTYPE_NOSUPP);
    expect(err.eText).toContain('req-checksum type 15 does not go with the armor key');
  });
});

describe('FAST armor: implicit armor of a TGS-REQ', () => {
  /** A TGS-REQ from alice's TGT, armored by its PA-TGS-REQ; `armor` adds explicit armor as well. */
  function armoredTgsReq(
    l: Lab,
    tgt: Creds,
    o: { subkey?: Key; armor?: KrbFastArmor; dropTgsReq?: boolean } = {},
  ): Uint8Array {
    const now = l.clock.now();
    const plain = decodeTgsReq(
      tgsReq({
        tgt,
        realm: REALM,
        sname: 'HTTP/web.contoso.com',
        now,
        ...(o.subkey !== undefined && { subkey: o.subkey }),
      }),
    );
    const paTgsReq = plain.padata!.find((p) => p.padataType === PaDataType.PA_TGS_REQ)!;
    const armorKey = armorKeyOf(o.subkey ?? tgt.sessionKey, tgt.sessionKey);
    const fx = armoredReq(armorKey, { padata: [], body: plain.reqBody }, paTgsReq.padataValue, o.armor);
    return fastTgsReq(paTgsReq, fx, plain.reqBody, { dropTgsReq: o.dropTgsReq === true });
  }

  it('serves the armored request when it is well formed (the baseline of the refusals below)', () => {
    const l = lab();
    const tgt = login(l, 'alice', aliceKey);
    const rep = l.kdc.handle(armoredTgsReq(l, tgt, { subkey: generateKey(18, { random }) }));
    expect(rep[0]).toBe(0x6d);
  });

  it('PA-FX-FAST without PA-TGS-REQ: KDC_ERR_PADATA_TYPE_NOSUPP', () => {
    const l = lab();
    const tgt = login(l, 'alice', aliceKey);
    const err = errorOf(
      l.kdc.handle(armoredTgsReq(l, tgt, { subkey: generateKey(18, { random }), dropTgsReq: true })),
    );
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP);
    expect(err.eText).toContain('FAST: an armored TGS-REQ needs a PA-TGS-REQ');
  });

  it('explicit AP-REQ armor in a TGS-REQ: KDC_ERR_PREAUTH_FAILED', () => {
    const l = lab();
    const tgt = login(l, 'alice', aliceKey);
    const armor = apArmor(l.host, l.clock.now()).armor;
    const err = errorOf(l.kdc.handle(armoredTgsReq(l, tgt, { subkey: generateKey(18, { random }), armor })));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(err.eText).toContain('a TGS-REQ is armored by its PA-TGS-REQ; AP-REQ armor is not allowed');
  });

  it('an armored TGS-REQ whose authenticator has no subkey: KDC_ERR_PREAUTH_FAILED', () => {
    const l = lab();
    const tgt = login(l, 'alice', aliceKey);
    const err = errorOf(l.kdc.handle(armoredTgsReq(l, tgt)));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(err.eText).toContain('an armored TGS-REQ needs a subkey in its PA-TGS-REQ authenticator');
  });

  it('FAST inside FAST in a TGS-REQ: KDC_ERR_PREAUTH_FAILED, armored, whatever the registry', () => {
    const l = lab();
    // The inner request carries a PA-FX-FAST of its own (beside a PA-TGS-REQ): the default
    // handlers, which open PA-FX-FAST once, and a plugged-in list that repeats the handler,
    // both refuse it rather than leave it unread.
    const fxFast = TGS_PADATA_HANDLERS.find((h) => h.padataType === PaDataType.PA_FX_FAST)!;
    const tgs: TgsPadataHandler[] = [...TGS_PADATA_HANDLERS, fxFast];
    for (const kdc of [l.kdc, new Kdc(l.realm, { padata: { tgs } })]) {
      const tgt = login(l, 'alice', aliceKey);
      const subkey = generateKey(18, { random });
      const now = l.clock.now();
      const plain = decodeTgsReq(tgsReq({ tgt, realm: REALM, sname: 'HTTP/web.contoso.com', now, subkey }));
      const paTgsReq = plain.padata!.find((p) => p.padataType === PaDataType.PA_TGS_REQ)!;
      const armorKey = armorKeyOf(subkey, tgt.sessionKey);
      const nested = { padataType: PaDataType.PA_FX_FAST, padataValue: new Uint8Array(0) };
      const fx = armoredReq(
        armorKey,
        { padata: [paTgsReq, nested], body: plain.reqBody },
        paTgsReq.padataValue,
      );
      const err = errorOf(kdc.handle(fastTgsReq(paTgsReq, fx, plain.reqBody)));
      expect(err.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
      const inner = innerError(err, armorKey).error;
      expect(inner.eText).toContain('FAST: PA-FX-FAST inside an armored request');
    }
  });
});

describe('FAST: the encrypted challenge (RFC 6113 section 5.4.6)', () => {
  it('a challenge that is not EncryptedData: KDC_ERR_PREAUTH_FAILED, armored', () => {
    const l = lab();
    const bad = { padataType: PaDataType.PA_ENCRYPTED_CHALLENGE, padataValue: Uint8Array.of(0x04, 0x00) };
    const { bytes, armorKey } = armoredAsReq(l, { innerPadata: [bad] });
    const err = errorOf(l.kdc.handle(bytes));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(err.eText).toContain('the PA-ENCRYPTED-CHALLENGE is not valid EncryptedData');
    expect(innerError(err, armorKey).error.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
  });

  it("a challenge in another etype than the armor key's: KDC_ERR_PREAUTH_FAILED", () => {
    const l = lab();
    const a = apArmor(l.host, l.clock.now());
    const pa = encryptedChallenge(a.armorKey, aliceKey, timestamp(l.clock.now()), 17);
    const err = errorOf(l.kdc.handle(armoredAsReq(l, { armor: a, innerPadata: [pa] }).bytes));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(err.eText).toContain("etype 17 is not the armor key's (18)");
  });

  it('a challenge that decrypts to something else than PA-ENC-TS-ENC: KDC_ERR_PREAUTH_FAILED', () => {
    const l = lab();
    const a = apArmor(l.host, l.clock.now());
    const pa = encryptedChallenge(a.armorKey, aliceKey, Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x05));
    const err = errorOf(l.kdc.handle(armoredAsReq(l, { armor: a, innerPadata: [pa] }).bytes));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(err.eText).toContain('the challenge does not decode to a PA-ENC-TS-ENC');
  });

  it('a challenge with a time beyond the skew: KRB_AP_ERR_SKEW, armored', () => {
    const l = lab();
    const a = apArmor(l.host, l.clock.now());
    const late = l.clock.now() + l.realm.policy.clockSkewMs + 60_000;
    const pa = encryptedChallenge(a.armorKey, aliceKey, timestamp(late));
    const err = errorOf(l.kdc.handle(armoredAsReq(l, { armor: a, innerPadata: [pa] }).bytes));
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_SKEW);
    expect(err.eText).toContain('clock skew too great');
    expect(innerError(err, a.armorKey).error.errorCode).toBe(ErrorCode.KRB_AP_ERR_SKEW);
  });

  it('a good challenge is answered (the baseline of the refusals above)', () => {
    const l = lab();
    const a = apArmor(l.host, l.clock.now());
    const pa = encryptedChallenge(a.armorKey, aliceKey, timestamp(l.clock.now()));
    expect(l.kdc.handle(armoredAsReq(l, { armor: a, innerPadata: [pa] }).bytes)[0]).toBe(0x6b);
  });
});

describe('FAST: armored refusals', () => {
  /** A KDC whose AS registry has one more handler, for padata type 0x7f01, that does `process`. */
  function withHandler(l: Lab, process: AsPadataHandler['process'], bugs: unknown[] = []): Kdc {
    const as: AsPadataHandler[] = [...AS_PADATA_HANDLERS, { padataType: 0x7f01, process }];
    return new Kdc(l.realm, { padata: { as }, onInternalError: (e) => bugs.push(e) });
  }
  const trigger: PaData = { padataType: 0x7f01, padataValue: new Uint8Array(0) };

  it('a refusal whose e-data is not METHOD-DATA (TYPED-DATA) keeps it in the inner KRB-ERROR', () => {
    const l = lab();
    // TYPED-DATA { { data-type 109 } }, as PKINIT's TD-DH-PARAMETERS refusal carries.
    const typedData = Uint8Array.of(0x30, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x6d);
    const kdc = withHandler(l, () => {
      throw new KdcError(ErrorCode.KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED, 'not this group', {
        eData: typedData,
      });
    });
    const { bytes, armorKey } = armoredAsReq(l, { innerPadata: [trigger] });
    const outer = errorOf(kdc.handle(bytes));
    expect(outer.errorCode).toBe(ErrorCode.KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED);
    const { error, padata } = innerError(outer, armorKey);
    expect(error.errorCode).toBe(ErrorCode.KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED);
    expect(error.eText).toBe('not this group');
    expect(error.eData).toEqual(typedData);
    // Nothing moved beside it: a cookie goes only with a pre-authentication error's METHOD-DATA.
    expect(padata).toEqual([]);
  });

  it('a bug (not a KerberosError) in an armored request surfaces as itself, not armored', () => {
    const l = lab();
    const bugs: unknown[] = [];
    const bug = new TypeError('a handler bug');
    const kdc = withHandler(
      l,
      () => {
        throw bug;
      },
      bugs,
    );
    const err = errorOf(kdc.handle(armoredAsReq(l, { innerPadata: [trigger] }).bytes));
    expect(err.errorCode).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(err.eText).toBe('internal error');
    expect(err.eData).toBeUndefined();
    expect(bugs).toEqual([bug]);
  });
});

describe('FAST: the inner request decides what the PA-TGS-REQ ticket may be (MIT check_tgs_tgt, check_tgs_opts)', () => {
  /**
   * A TGS-REQ whose PA-TGS-REQ presents `ticket` under the outer options `outer`, armored, the
   * inner request asking for `sname` with options `inner`: the inner one is answered.
   */
  function split(l: Lab, ticket: Creds, outer: number, inner: number, sname: string): Uint8Array {
    const now = l.clock.now();
    const subkey = generateKey(18, { random });
    const plain = decodeTgsReq(tgsReq({ tgt: ticket, realm: REALM, sname, now, subkey, options: outer }));
    const paTgsReq = plain.padata!.find((p) => p.padataType === PaDataType.PA_TGS_REQ)!;
    const body = { ...plain.reqBody, kdcOptions: inner, sname: pn(sname) };
    const fx = armoredReq(armorKeyOf(subkey, ticket.sessionKey), { padata: [], body }, paTgsReq.padataValue);
    return fastTgsReq(paTgsReq, fx, plain.reqBody);
  }

  for (const kind of ['mit', 'active-directory'] as const) {
    it(`a service ticket with RENEW outside and none inside is no TGT: KRB_AP_ERR_NOT_US (${kind})`, () => {
      const l = makeRealm(REALM, {}, undefined, { kind });
      l.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'correct horse') });
      l.realm.addService('HTTP/web.contoso.com', {
        keys: pwKeys(REALM, 'HTTP/web.contoso.com', 'web-Passw0rd'),
      });
      const tgt = login(l, 'alice', aliceKey);
      // What the web service holds: alice's ticket for it, and its session key.
      const st = tgsGet(l.kdc, {
        tgt,
        realm: REALM,
        sname: 'HTTP/web.contoso.com',
        now: l.clock.now(),
        options: 0,
      });
      for (const sname of [`krbtgt/${REALM}`, 'HTTP/web.contoso.com']) {
        const err = errorOf(l.kdc.handle(split(l, st, KdcOptions.renew, 0, sname)));
        expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_NOT_US);
        if (kind === 'mit') expect(err.eText).toContain('neither renews nor validates it'); // (a DC sends no e-text)
      }
      // The same options inside and out: the renewal MIT and AD serve (a renewable ticket needed).
      const inner = errorOf(
        l.kdc.handle(split(l, st, KdcOptions.renew, KdcOptions.renew, 'HTTP/web.contoso.com')),
      );
      expect(inner.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    });
  }

  it('an invalid (postdated) TGT with VALIDATE outside and none inside does not serve: KRB_AP_ERR_TKT_NYV', () => {
    const l = makeRealm(REALM, { allowPostdate: true });
    l.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'correct horse') });
    l.realm.addService('HTTP/web.contoso.com', {
      keys: pwKeys(REALM, 'HTTP/web.contoso.com', 'web-Passw0rd'),
    });
    const t0 = l.clock.now();
    const tgt = login(l, 'alice', aliceKey, {
      options: KdcOptions.postdated | KdcOptions['allow-postdate'],
      from: t0 + Duration.hour,
      till: t0 + 10 * Duration.hour,
    });
    l.clock.advance(2 * Duration.hour);
    const err = errorOf(l.kdc.handle(split(l, tgt, KdcOptions.validate, 0, 'HTTP/web.contoso.com')));
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_TKT_NYV);
    expect(err.eText).toContain('the ticket is invalid (postdated): validate it first');
    // Validated inside as well: the valid TGT comes back.
    expect(l.kdc.handle(split(l, tgt, KdcOptions.validate, KdcOptions.validate, `krbtgt/${REALM}`))[0]).toBe(
      0x6d,
    );
  });
});
