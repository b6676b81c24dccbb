/**
 * FAST (RFC 6113) refusals on the KDC side, from requests built by hand
 * with the codec and crypto: every check of the armor (the PA-FX-FAST that
 * does not decode, the armor AP-REQ and its ticket and subkey), of
 * req-checksum and enc-fast-req, of implicit TGS armor, of the encrypted
 * challenge (section 5.4.6), and how refusals are armored (section 5.4.4).
 */

import {
  AdType,
  ApOptions,
  type AuthorizationData as AuthorizationDataList,
  decodeMethodData,
  decodeTgsReq,
  type EncTicketPart,
  encodeAsReq,
  encodeAuthorizationData,
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
import { Duration, ErrorCode, ManualClock, SeededRandom } from '@krbsim/core';
import { encrypt, generateKey, type Key, KeyUsage, stringToKey } from '@krbsim/crypto';
import {
  AS_PADATA_HANDLERS,
  type AsPadataHandler,
  createTrust,
  Kdc,
  KdcError,
  TGS_PADATA_HANDLERS,
  type TgsPadataHandler,
} from '@krbsim/kdc';
import { describe, expect, it } from 'vitest';
import { makeEntry } from '../src/internal/entries';
import {
  type Armor,
  apArmor,
  innerError as armoredError,
  armoredReq,
  armorKeyOf,
  encryptedChallenge,
  fastResponse,
  fastTgsReq,
  paEncTsEnc,
} from './fast-helpers';
import {
  asReq,
  type Creds,
  encTimestamp,
  errorOf,
  forge,
  forgedCreds,
  type Lab,
  login,
  makeRealm,
  pn,
  pwKeys,
  repOf,
  reseal,
  T0,
  testKey,
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

  it('explicit armor in a TGS-REQ of an AD realm is compound identity, which krbsim does not serve: KDC_ERR_PREAUTH_FAILED', () => {
    const l = makeRealm(REALM, { fast: 'supported', krbErrorStyle: 'mit' }, undefined, {
      kind: 'active-directory',
    });
    l.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'correct horse') });
    l.realm.addComputer('PC1', { password: 'Pc1-machine-Passw0rd!' });
    l.realm.addService('HTTP/web.contoso.com', {
      keys: pwKeys(REALM, 'HTTP/web.contoso.com', 'web-Passw0rd'),
    });
    const pc = login(l, 'PC1$', stringToKey(18, 'Pc1-machine-Passw0rd!', `${REALM}hostpc1.contoso.com`));
    const tgt = login(l, 'alice', aliceKey);
    const armor = apArmor(pc, l.clock.now()).armor;
    const err = errorOf(l.kdc.handle(armoredTgsReq(l, tgt, { subkey: generateKey(18, { random }), armor })));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(err.eText).toContain(
      'explicit armor in a TGS-REQ is compound-identity armor (MS-KILE 3.3.5.7.4), which krbsim does not serve',
    );
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

describe('FAST armor: a cross-realm TGT (MIT armor_ap_request, MS-KILE 3.2.5.4)', () => {
  const ALPHA = 'ALPHA.TEST';
  const BETA = 'BETA.TEST';
  const bobKey = userKey(BETA, 'bob', 'bob-Passw0rd');

  /** ALPHA and BETA on one clock, host1 in ALPHA, bob in BETA; `trust`: BETA lets ALPHA in. */
  function twoRealms(kind: 'mit' | 'active-directory', o: { trust?: boolean; policy?: object } = {}) {
    const clock = new ManualClock(T0);
    const policy = { fast: 'supported' as const, krbErrorStyle: 'mit' as const, ...o.policy };
    const alpha = makeRealm(ALPHA, policy, clock, { kind });
    const beta = makeRealm(BETA, policy, clock, { kind });
    alpha.realm.addUser('host1', { keys: pwKeys(ALPHA, 'host1', 'host1-Passw0rd') });
    beta.realm.addUser('bob', { keys: pwKeys(BETA, 'bob', 'bob-Passw0rd') });
    if (o.trust !== false) {
      createTrust({
        trusting: beta.realm,
        trusted: alpha.realm,
        direction: 'one-way',
        kind: 'realm',
        password: 'trust-Passw0rd',
      });
    }
    const host1 = login(alpha, 'host1', userKey(ALPHA, 'host1', 'host1-Passw0rd'));
    return { alpha, beta, host1 };
  }

  /** bob's AS-REQ to BETA under `armor`, with the encrypted challenge. */
  function bobArmored(beta: Lab, armor: Armor): Uint8Array {
    const body: KdcReqBody = { ...asBody(beta, 'bob'), realm: BETA, sname: pn(`krbtgt/${BETA}`) };
    const pa = encryptedChallenge(armor.armorKey, bobKey, timestamp(beta.clock.now()));
    const fx = armoredReq(armor.armorKey, { padata: [pa], body }, encodeKdcReqBody(body), armor.armor);
    return encodeAsReq({
      pvno: 5,
      msgType: 10,
      padata: [
        { padataType: PaDataType.PA_FX_FAST, padataValue: encodePaFxFastRequest({ armoredData: fx }) },
      ],
      reqBody: body,
    });
  }

  for (const kind of ['mit', 'active-directory'] as const) {
    it(`armor made with krbtgt/BETA@ALPHA, whose inter-realm key BETA holds, is served (${kind})`, () => {
      const { alpha, beta, host1 } = twoRealms(kind);
      const cross = tgsGet(alpha.kdc, { tgt: host1, realm: ALPHA, sname: `krbtgt/${BETA}`, now: T0 });
      expect([cross.ticket.realm, cross.ticket.sname.nameString]).toEqual([ALPHA, ['krbtgt', BETA]]);
      const armor = apArmor(cross, T0);
      const rep = repOf(beta.kdc.handle(bobArmored(beta, armor)));
      expect(rep.cname.nameString).toEqual(['bob']);
      expect(fastResponse(rep.padata ?? [], armor.armorKey)?.finished).toBeDefined();
    });
  }

  it('refusals as MIT answers them: a key BETA does not hold (NOT_US), a server that is not its TGS (SERVER_NOMATCH); no trust this way (POLICY)', () => {
    // No trust at all: BETA holds no krbtgt/BETA@ALPHA (MIT: krb5_rd_req finds no key, KRB_AP_ERR_NOT_US).
    const none = twoRealms('mit', { trust: false });
    const rogue = testKey(18, 'rogue-inter-realm');
    const forged = forgedCreds(ALPHA, `krbtgt/${BETA}`, ALPHA, 'host1', rogue, 1);
    const unknown = errorOf(none.beta.kdc.handle(bobArmored(none.beta, apArmor(forged, T0))));
    expect([unknown.errorCode, unknown.eText]).toEqual([
      ErrorCode.KRB_AP_ERR_NOT_US,
      `FAST: the armor ticket is for krbtgt/${BETA}@${ALPHA}, whose key ${BETA} does not hold; armor with a TGT for krbtgt/${BETA}`,
    ]);
    // The key planted, no trust letting ALPHA in: the TGS header's answer (MIT knows no trust direction).
    none.beta.realm.db.add(
      makeEntry(pn(`krbtgt/${BETA}`), ALPHA, 'krbtgt', [{ kvno: 1, key: rogue, salt: '' }]),
    );
    const policy = errorOf(none.beta.kdc.handle(bobArmored(none.beta, apArmor(forged, T0))));
    expect([policy.errorCode, policy.eText]).toEqual([
      ErrorCode.KDC_ERR_POLICY,
      `FAST: the armor ticket krbtgt/${BETA}@${ALPHA}: no trust lets principals of ${ALPHA} into ${BETA}`,
    ]);
    // ALPHA's own TGT is for ALPHA's TGS, whose key BETA does not hold.
    const { beta, host1 } = twoRealms('mit');
    const other = errorOf(beta.kdc.handle(bobArmored(beta, apArmor(host1, T0))));
    expect(other.errorCode).toBe(ErrorCode.KRB_AP_ERR_NOT_US);
    expect(other.eText).toContain(
      `the armor ticket is for krbtgt/${ALPHA}@${ALPHA}, whose key ${BETA} does not hold`,
    );
    // A ticket for a server BETA holds that is not its TGS: SERVER_NOMATCH.
    beta.realm.addService('host/svc.beta.test', { keys: pwKeys(BETA, 'host/svc.beta.test', 'svc-Passw0rd') });
    const bob = login(beta, 'bob', bobKey);
    const st = tgsGet(beta.kdc, { tgt: bob, realm: BETA, sname: 'host/svc.beta.test', now: T0 });
    const service = errorOf(beta.kdc.handle(bobArmored(beta, apArmor(st, T0))));
    expect(service.errorCode).toBe(ErrorCode.KDC_ERR_SERVER_NOMATCH);
    expect(service.eText).toContain(`the armor ticket is for host/svc.beta.test@${BETA}, not krbtgt/${BETA}`);
  });

  it('an inter-realm key version BETA does not hold: BADKEYVER where interRealmKvnoStrict, else the newest key opens it', () => {
    for (const strict of [true, false]) {
      const { alpha, beta, host1 } = twoRealms('mit', { policy: { interRealmKvnoStrict: strict } });
      const cross = tgsGet(alpha.kdc, { tgt: host1, realm: ALPHA, sname: `krbtgt/${BETA}`, now: T0 });
      const kvno = cross.ticket.encPart.kvno!;
      const relabelled = {
        ...cross,
        ticket: { ...cross.ticket, encPart: { ...cross.ticket.encPart, kvno: kvno + 5 } },
      };
      const reply = beta.kdc.handle(bobArmored(beta, apArmor(relabelled, T0)));
      if (strict) expect(errorOf(reply).errorCode).toBe(ErrorCode.KRB_AP_ERR_BADKEYVER);
      else expect(repOf(reply).cname.nameString).toEqual(['bob']);
    }
  });
});

describe('FAST: the armor AP-REQ is checked for FAST, not for its options (MIT, Samba)', () => {
  for (const kind of ['mit', 'active-directory'] as const) {
    it(`armor with use-session-key set is served, the option ignored (${kind})`, () => {
      const l = makeRealm(REALM, { fast: 'supported', krbErrorStyle: 'mit' }, undefined, { kind });
      l.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'correct horse') });
      l.realm.addUser('host', { keys: pwKeys(REALM, 'host', 'host-Passw0rd') });
      const host = login(l, 'host', userKey(REALM, 'host', 'host-Passw0rd'));
      const armor = apArmor(host, l.clock.now(), false, random, { apOptions: ApOptions['use-session-key'] });
      const pa = encryptedChallenge(armor.armorKey, aliceKey, timestamp(l.clock.now()));
      const rep = repOf(l.kdc.handle(armoredAsReq({ ...l, host }, { armor, innerPadata: [pa] }).bytes));
      expect(rep.cname.nameString).toEqual(['alice']);
    });
  }

  it("armor whose authenticator carries AD-fx-fast-armor (as MIT's client sends it) is served", () => {
    const l = lab();
    const authorizationData = [{ adType: AdType.AD_FX_FAST_ARMOR, adData: new Uint8Array(0) }];
    const armor = apArmor(l.host, l.clock.now(), false, random, { authorizationData });
    const pa = encryptedChallenge(armor.armorKey, aliceKey, timestamp(l.clock.now()));
    expect(l.kdc.handle(armoredAsReq(l, { armor, innerPadata: [pa] }).bytes)[0]).toBe(0x6b);
  });
});

describe('FAST: enc-fast-req names the armor key etype (MIT krb5_c_decrypt)', () => {
  it("another etype than the armor key's: KRB_ERR_GENERIC, armored, not decrypted anyway", () => {
    const l = lab();
    const { bytes, armorKey } = armoredAsReq(l, {
      innerPadata: [],
      edit: (fx) => ({ ...fx, encFastReq: { ...fx.encFastReq, etype: 17 } }),
    });
    expect(armorKey.etype).toBe(18);
    const err = errorOf(l.kdc.handle(bytes));
    expect(err.errorCode).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(err.eText).toContain("enc-fast-req is of etype 17, not the armor key's 18");
    expect(innerError(err, armorKey).error.errorCode).toBe(ErrorCode.KRB_ERR_GENERIC);
  });
});

describe('FAST: PA-ENC-TIMESTAMP inside the armor', () => {
  for (const kind of ['mit', 'active-directory'] as const) {
    it(`${kind === 'mit' ? "accepted in an MIT realm (MIT's KDC)" : 'refused in an AD realm: KDC_ERR_POLICY, armored (a Samba DC)'}`, () => {
      const l = makeRealm(REALM, { fast: 'supported', krbErrorStyle: 'mit' }, undefined, { kind });
      l.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'correct horse') });
      l.realm.addUser('host', { keys: pwKeys(REALM, 'host', 'host-Passw0rd') });
      const host = login(l, 'host', userKey(REALM, 'host', 'host-Passw0rd'));
      const { bytes, armorKey } = armoredAsReq(
        { ...l, host },
        { innerPadata: [encTimestamp(aliceKey, l.clock.now())] },
      );
      const reply = l.kdc.handle(bytes);
      if (kind === 'mit') {
        expect(repOf(reply).cname.nameString).toEqual(['alice']);
        return;
      }
      const err = errorOf(reply);
      expect(err.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
      expect(err.eText).toContain('PA-ENC-TIMESTAMP inside FAST armor is refused');
      expect(innerError(err, armorKey).error.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
      // Refused unread: a wrong password there counts for nothing (no lockout step).
      expect(l.realm.lookup('alice')!.badPasswordCount ?? 0).toBe(0);
    });
  }
});

describe("FAST: 'required' exempts computer accounts only (MS-KILE 3.3.5.1, ClaimsCompIdFASTSupport 3)", () => {
  it('a user, a user account with SPNs and a service must come armored; a computer need not', () => {
    const l = makeRealm(REALM, { fast: 'required', krbErrorStyle: 'mit' }, undefined, {
      kind: 'active-directory',
    });
    l.realm.addUser('alice', { password: 'Al1ce-Passw0rd!' });
    l.realm.addUser('sqlsvc', { password: 'Sq1svc-Passw0rd!', spns: ['MSSQLSvc/sql.contoso.com:1433'] });
    l.realm.addService('HTTP/web.contoso.com', { password: 'W3b-Passw0rd!' });
    l.realm.addComputer('PC1', { password: 'Pc1-machine-Passw0rd!' });
    const unarmored = (cname: string, password: string, salt: string) =>
      l.kdc.handle(
        asReq({
          realm: REALM,
          cname,
          padata: [encTimestamp(stringToKey(18, password, salt), l.clock.now())],
        }),
      );
    for (const [who, password, salt] of [
      ['alice', 'Al1ce-Passw0rd!', `${REALM}alice`],
      ['sqlsvc', 'Sq1svc-Passw0rd!', `${REALM}sqlsvc`],
      ['HTTP/web.contoso.com', 'W3b-Passw0rd!', `${REALM}HTTPweb.contoso.com`],
    ] as const) {
      const err = errorOf(unarmored(who, password, salt));
      expect([who, err.errorCode]).toEqual([who, ErrorCode.KDC_ERR_PREAUTH_REQUIRED]);
      expect(decodeMethodData(err.eData!).map((p) => p.padataType)).toEqual([PaDataType.PA_FX_FAST]);
    }
    const pc = repOf(unarmored('PC1$', 'Pc1-machine-Passw0rd!', `${REALM}hostpc1.contoso.com`));
    expect(pc.cname.nameString).toEqual(['PC1$']);
  });
});

describe('FAST marks in a TGS-REQ (RFC 6113 sections 5.4.1.1 and 5.4.2)', () => {
  const fxArmor = () => [{ adType: AdType.AD_FX_FAST_ARMOR, adData: new Uint8Array(0) }];
  const fxUsed = () => [{ adType: AdType.AD_FX_FAST_USED, adData: new Uint8Array(0) }];
  const ifRelevant = (inner: { adType: number; adData: Uint8Array }[]) => [
    { adType: AdType.AD_IF_RELEVANT, adData: encodeAuthorizationData(inner).slice() },
  ];

  function kindLab(kind: 'mit' | 'active-directory') {
    const l = makeRealm(REALM, { fast: 'supported', krbErrorStyle: 'mit' }, undefined, { kind });
    l.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'correct horse') });
    l.realm.addService('HTTP/web.contoso.com', {
      keys: pwKeys(REALM, 'HTTP/web.contoso.com', 'web-Passw0rd'),
    });
    return { ...l, tgt: login(l, 'alice', aliceKey) };
  }

  /** alice's TGS-REQ for the web service from `tgt`, its authenticator carrying `ad`, armored or not. */
  function request(l: Lab, tgt: Creds, ad: AuthorizationDataList | undefined, armored: boolean): Uint8Array {
    const now = l.clock.now();
    const subkey = generateKey(18, { random });
    const bytes = tgsReq({
      tgt,
      realm: REALM,
      sname: 'HTTP/web.contoso.com',
      now,
      subkey,
      ...(ad !== undefined && { authenticatorAuthorizationData: ad }),
    });
    if (!armored) return bytes;
    const plain = decodeTgsReq(bytes);
    const paTgsReq = plain.padata!.find((p) => p.padataType === PaDataType.PA_TGS_REQ)!;
    const fx = armoredReq(
      armorKeyOf(subkey, tgt.sessionKey),
      { padata: [], body: plain.reqBody },
      paTgsReq.padataValue,
    );
    return fastTgsReq(paTgsReq, fx, plain.reqBody);
  }

  /** `tgt` with `ad` added to its ticket's authorization-data, sealed again with the krbtgt key. */
  function marked(l: Lab, tgt: Creds, ad: AuthorizationDataList): Creds {
    const key = l.realm.krbtgt.keys.find((k) => k.key.etype === tgt.ticket.encPart.etype)!.key;
    return reseal(tgt, key, (etp) => ({
      ...etp,
      authorizationData: [...(etp.authorizationData ?? []), ...ad],
    }));
  }

  for (const kind of ['mit', 'active-directory'] as const) {
    const code = kind === 'mit' ? ErrorCode.KDC_ERR_POLICY : ErrorCode.KRB_AP_ERR_BAD_INTEGRITY;
    it(`AD-fx-fast-armor in the authenticator or the ticket, inside AD-IF-RELEVANT too, armored or not: ${kind === 'mit' ? 'KDC_ERR_POLICY (MIT)' : 'KRB_AP_ERR_BAD_INTEGRITY (Samba)'}`, () => {
      const l = kindLab(kind);
      const cases: [string, Creds, AuthorizationDataList | undefined][] = [
        ['authenticator', l.tgt, fxArmor()],
        ['authenticator, in AD-IF-RELEVANT', l.tgt, ifRelevant(fxArmor())],
        ['ticket', marked(l, l.tgt, fxArmor()), undefined],
        ['ticket, in AD-IF-RELEVANT', marked(l, l.tgt, ifRelevant(fxArmor())), undefined],
      ];
      for (const [where, tgt, ad] of cases) {
        for (const armored of [false, true]) {
          const err = errorOf(l.kdc.handle(request(l, tgt, ad, armored)));
          expect([where, armored, err.errorCode]).toEqual([where, armored, code]);
          expect(err.eText).toContain('AD-fx-fast-armor (71)');
          // Refused at the header, before the armor is opened: nothing armored.
          expect(err.eData).toBeUndefined();
        }
      }
      // The baseline: the same requests without the mark are served.
      expect(l.kdc.handle(request(l, l.tgt, undefined, false))[0]).toBe(0x6d);
      expect(l.kdc.handle(request(l, l.tgt, undefined, true))[0]).toBe(0x6d);
    });
  }

  it('AD-fx-fast-used in an unarmored TGS-REQ: KRB_AP_ERR_MODIFIED in an AD realm (Samba), served in an MIT realm (MIT does not look)', () => {
    const ad = kindLab('active-directory');
    for (const [where, tgt, auth] of [
      ['authenticator', ad.tgt, fxUsed()],
      ['authenticator, in AD-IF-RELEVANT', ad.tgt, ifRelevant(fxUsed())],
      ['ticket', marked(ad, ad.tgt, fxUsed()), undefined],
    ] as const) {
      const err = errorOf(ad.kdc.handle(request(ad, tgt, auth, false)));
      expect([where, err.errorCode]).toEqual([where, ErrorCode.KRB_AP_ERR_MODIFIED]);
      expect(err.eText).toContain('AD-fx-fast-used (72) but the request is not armored');
      // Armored, as the mark says it is: served.
      expect(ad.kdc.handle(request(ad, tgt, auth, true))[0], where).toBe(0x6d);
    }
    const mit = kindLab('mit');
    expect(mit.kdc.handle(request(mit, mit.tgt, fxUsed(), false))[0]).toBe(0x6d);
    expect(mit.kdc.handle(request(mit, marked(mit, mit.tgt, fxUsed()), undefined, false))[0]).toBe(0x6d);
  });

  for (const kind of ['mit', 'active-directory'] as const) {
    it(`a client cannot put AD-fx-fast-armor or AD-fx-fast-used into a ticket by enc-authorization-data: KDC_ERR_POLICY (${kind})`, () => {
      const l = kindLab(kind);
      for (const ad of [fxArmor(), fxUsed(), ifRelevant(fxArmor()), ifRelevant(fxUsed())]) {
        for (const sname of [`krbtgt/${REALM}`, 'HTTP/web.contoso.com']) {
          const err = errorOf(
            l.kdc.handle(
              tgsReq({ tgt: l.tgt, realm: REALM, sname, now: l.clock.now(), authorizationData: ad }),
            ),
          );
          expect(err.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
          expect(err.eText).toMatch(
            /a client may not supply authorization data of type 7[12] \(AD-fx-fast-(armor|used), RFC 6113\)/,
          );
        }
      }
    });
  }
});
