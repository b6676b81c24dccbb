import {
  AdType,
  type AuthorizationData,
  encodeAuthorizationData,
  encodeTgsReq,
  flagNames,
  KdcOptions,
  TicketFlags,
} from '@krbsim/asn1';
import { Duration, ErrorCode, KerberosError } from '@krbsim/core';
import { composeKvno, KdcError, policyOfKind } from '@krbsim/kdc';
import { describe, expect, it } from 'vitest';
import { disabledServerRefusal } from '../src/account-standing';
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
  openTicket,
  pn,
  pwKeys,
  repOf,
  T0,
  testKey,
  tgsGet,
  tgsReq,
  userKey,
} from './helpers';

const REALM = 'CONTOSO.COM';
const WEB = 'HTTP/web.contoso.com';
const aliceKey = userKey(REALM, 'alice', 'pw');

function setup(policy = {}): Lab & { tgt: Creds } {
  const l = makeRealm(REALM, policy);
  l.realm.addUser('alice', { keys: pwKeys(l.realm.name, 'alice', 'pw') });
  l.realm.addService(WEB, { aliases: ['HTTP/www.contoso.com'] });
  return { ...l, tgt: login(l, 'alice', aliceKey) };
}

const codeOf = (l: Lab, bytes: Uint8Array): number => errorOf(l.kdc.handle(bytes)).errorCode;

describe('TGS exchange: the account checked again (MS-KILE 3.3.5.7.1, ticketValidateClient)', () => {
  const ask = (l: Lab & { tgt: Creds }) =>
    l.kdc.handle(tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: l.clock.now() }));

  it('serves a TGT up to 20 minutes old whatever became of the account, then refuses it: CLIENT_REVOKED', () => {
    const l = setup({ ticketValidateClient: true });
    const alice = l.realm.lookup('alice')!;
    alice.disabled = true;
    l.clock.advance(20 * Duration.minute);
    expect(repOf(ask(l)).msgType).toBe(13);
    l.clock.advance(Duration.second);
    const disabled = errorOf(ask(l));
    expect(disabled.errorCode).toBe(ErrorCode.KDC_ERR_CLIENT_REVOKED);
    expect(disabled.eText).toContain(`the account of alice@${REALM} is disabled`);
    alice.disabled = false;
    expect(repOf(ask(l)).msgType).toBe(13);
    alice.accountExpires = l.clock.now();
    expect(errorOf(ask(l)).eText).toContain('has expired');
    l.realm.db.remove(alice.name, REALM);
    const gone = errorOf(ask(l));
    expect(gone.errorCode).toBe(ErrorCode.KDC_ERR_CLIENT_REVOKED);
    expect(gone.eText).toContain('no longer exists');
  });

  it('is on in AD realms; MIT realms serve a TGT until it ends', () => {
    expect(policyOfKind('active-directory').ticketValidateClient).toBe(true);
    const l = setup();
    expect(l.realm.policy.ticketValidateClient).toBe(false);
    l.realm.lookup('alice')!.disabled = true;
    l.clock.advance(Duration.hour);
    expect(repOf(ask(l)).msgType).toBe(13);
  });
});

describe('TGS exchange: service tickets', () => {
  it('issues a service ticket for a local service', () => {
    const l = setup();
    l.clock.advance(Duration.minute);
    const now = l.clock.now();
    const c = tgsGet(l.kdc, { tgt: l.tgt, realm: REALM, sname: WEB, now });
    expect(c.rep.msgType).toBe(13);
    expect(c.crealm).toBe(REALM);
    expect(c.cname.nameString).toEqual(['alice']);
    expect(c.part.sname).toEqual(pn(WEB));
    expect(c.part.authtime).toBe(T0);
    expect(c.part.starttime).toBe(now);
    expect(c.part.endtime).toBe(l.tgt.part.endtime); // bounded by the TGT
    expect(c.part.nonce).toBe(777);
    expect(flagNames(TicketFlags, c.part.flags).sort()).toEqual(
      ['forwardable', 'name-canonicalize', 'pre-authent', 'transited-policy-checked'].sort(),
    );
    const svcKey = l.realm.keysFor(WEB).find((k) => k.etype === 20)!;
    expect(c.ticket.encPart.etype).toBe(20);
    const etp = openTicket(c.ticket, svcKey);
    expect(etp.key).toEqual(c.part.key);
    expect(etp.cname.nameString).toEqual(['alice']);
    expect(etp.crealm).toBe(REALM);
    expect(etp.flags).toBe(c.part.flags);
    expect(c.part.key.keytype).toBe(18);
    expect(l.log.at(-1)).toBe(`TGS-REQ alice@${REALM} for ${WEB}@${REALM} -> TGS-REP`);
  });

  it('finds services by alias, echoing the alias unless canonicalize is set', () => {
    const l = setup();
    const now = l.clock.now();
    const plain = tgsGet(l.kdc, { tgt: l.tgt, realm: REALM, sname: 'HTTP/www.contoso.com', now, options: 0 });
    expect(plain.part.sname).toEqual(pn('HTTP/www.contoso.com'));
    const canon = tgsGet(l.kdc, {
      tgt: l.tgt,
      realm: REALM,
      sname: 'HTTP/www.contoso.com',
      now,
      options: KdcOptions.canonicalize,
    });
    expect(canon.part.sname.nameString).toEqual(['HTTP', 'web.contoso.com']);
  });

  it('encrypts the reply with the subkey (usage 9) and carries enc-authorization-data', () => {
    const l = setup();
    const subkey = testKey(18, 'subkey');
    const ad = [{ adType: AdType.AD_IF_RELEVANT, adData: new Uint8Array([0x30, 0x00]) }];
    const c = tgsGet(l.kdc, {
      tgt: l.tgt,
      realm: REALM,
      sname: WEB,
      now: l.clock.now(),
      subkey,
      authorizationData: ad,
    });
    const etp = openTicket(c.ticket, l.realm.keysFor(WEB).find((k) => k.etype === 20)!);
    expect(etp.authorizationData).toEqual(ad);
    // Without a subkey, the session key encrypts the authorization data (usage 4).
    const c2 = tgsGet(l.kdc, {
      tgt: l.tgt,
      realm: REALM,
      sname: WEB,
      now: l.clock.now(),
      authorizationData: ad,
    });
    expect(
      openTicket(c2.ticket, l.realm.keysFor(WEB).find((k) => k.etype === 20)!).authorizationData,
    ).toEqual(ad);
  });

  it('applies ticketEncType and serviceTicketLifeMs (Azure AD)', () => {
    const l = setup({ ticketEncType: 18, serviceTicketLifeMs: Duration.hour });
    const c = tgsGet(l.kdc, { tgt: l.tgt, realm: REALM, sname: WEB, now: l.clock.now() });
    expect(c.ticket.encPart.etype).toBe(18);
    expect(c.part.endtime).toBe(T0 + Duration.hour);
  });

  it('never makes a session key of an etype the realm does not permit, though the client asks for it first and the service holds it', () => {
    // RFC 4120 section 3.1.3 leaves the session key's etype to the KDC: an MIT realm takes the
    // client's first that policy permits and the service supports (rc4-hmac is not permitted here).
    const l = setup();
    l.realm.addService('HTTP/old.contoso.com', { encTypes: [23, 18] });
    const c = tgsGet(l.kdc, {
      tgt: l.tgt,
      realm: REALM,
      sname: 'HTTP/old.contoso.com',
      now: l.clock.now(),
      etypes: [23, 18],
    });
    expect(c.sessionKey.etype).toBe(18);
  });

  it('honours sub-session-key-less enc-part, ok-as-delegate, and TGTs via TGS', () => {
    const l = setup();
    l.realm.addService('cifs/fs.contoso.com', { okAsDelegate: true });
    const c = tgsGet(l.kdc, { tgt: l.tgt, realm: REALM, sname: 'cifs/fs.contoso.com', now: l.clock.now() });
    expect(c.part.flags & TicketFlags['ok-as-delegate']).not.toBe(0);
    const t2 = tgsGet(l.kdc, { tgt: l.tgt, realm: REALM, sname: `krbtgt/${REALM}`, now: l.clock.now() });
    expect(t2.part.sname).toEqual(pn(`krbtgt/${REALM}`));
  });
});

describe('TGS exchange: nonces as Heimdal writes them', () => {
  it('answers a nonce of 2^31 or more in the form the request used, with the same value', () => {
    const l = setup();
    const nonce = 0x94709c33;
    const req = tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0, nonce });
    // 02 04 94 70 9c 33: four bytes, negative, as MIT and Heimdal write it (the codec's default form).
    expect(Buffer.from(req).includes(Buffer.from([0x02, 0x04, 0x94, 0x70, 0x9c, 0x33]))).toBe(true);
    const signed = tgsGet(l.kdc, { tgt: l.tgt, realm: REALM, sname: WEB, now: T0, nonce });
    expect(signed.part.nonce).toBe(nonce);
    expect(signed.part.nonceForm).toBeUndefined();
    // 02 05 00 94 70 9c 33, RFC 4120's UInt32 written unsigned: echoed so.
    const unsigned = tgsGet(l.kdc, {
      tgt: l.tgt,
      realm: REALM,
      sname: WEB,
      now: T0,
      nonce,
      nonceForm: 'unsigned',
    });
    expect(unsigned.part.nonce).toBe(nonce);
    expect(unsigned.part.nonceForm).toBe('unsigned');
  });
});

describe('TGS exchange: errors', () => {
  it('S_PRINCIPAL_UNKNOWN for an unknown service', () => {
    const l = setup();
    const err = errorOf(
      l.kdc.handle(tgsReq({ tgt: l.tgt, realm: REALM, sname: 'HTTP/nope.contoso.com', now: T0 })),
    );
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
    expect(err.cname?.nameString).toEqual(['alice']);
    expect(err.crealm).toBe(REALM);
  });

  it('TKT_EXPIRED once the TGT has expired', () => {
    const l = setup();
    l.clock.advance(10 * Duration.hour);
    expect(codeOf(l, tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: l.clock.now() }))).toBe(
      ErrorCode.KRB_AP_ERR_TKT_EXPIRED,
    );
  });

  it('SKEW for an authenticator outside the skew', () => {
    const l = setup();
    expect(codeOf(l, tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0 + 6 * Duration.minute }))).toBe(
      ErrorCode.KRB_AP_ERR_SKEW,
    );
  });

  it('BADMATCH when the authenticator names another client', () => {
    const l = setup();
    expect(codeOf(l, tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0, authCname: pn('bob') }))).toBe(
      ErrorCode.KRB_AP_ERR_BADMATCH,
    );
  });

  it('BAD_INTEGRITY when the authenticator is not under the session key', () => {
    const l = setup();
    expect(
      codeOf(l, tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0, authKey: testKey(18, 'other') })),
    ).toBe(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
  });

  it('BAD_INTEGRITY (MIT) or MODIFIED (AD) for a tampered TGT; MODIFIED for a body that does not match the checksum', () => {
    const l = setup();
    const cipher = l.tgt.ticket.encPart.cipher.slice();
    cipher[20]! ^= 1;
    const bad = { ...l.tgt, ticket: { ...l.tgt.ticket, encPart: { ...l.tgt.ticket.encPart, cipher } } };
    // MIT's krb5kdc answers 31 (test/interop/client-mit-kdc.test.ts checks it).
    expect(codeOf(l, tgsReq({ tgt: bad, realm: REALM, sname: WEB, now: T0 }))).toBe(
      ErrorCode.KRB_AP_ERR_BAD_INTEGRITY,
    );
    const ad = setup({ ticketDecryptFailureCode: ErrorCode.KRB_AP_ERR_MODIFIED });
    const adCipher = ad.tgt.ticket.encPart.cipher.slice();
    adCipher[20]! ^= 1;
    const adBad = {
      ...ad.tgt,
      ticket: { ...ad.tgt.ticket, encPart: { ...ad.tgt.ticket.encPart, cipher: adCipher } },
    };
    expect(codeOf(ad, tgsReq({ tgt: adBad, realm: REALM, sname: WEB, now: T0 }))).toBe(
      ErrorCode.KRB_AP_ERR_MODIFIED,
    );
    const other = {
      kdcOptions: 0,
      realm: REALM,
      sname: pn('HTTP/other.contoso.com'),
      till: T0 + 1000,
      nonce: 1,
      etype: [18],
    };
    expect(codeOf(l, tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0, checksumBody: other }))).toBe(
      ErrorCode.KRB_AP_ERR_MODIFIED,
    );
    expect(codeOf(l, tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0, noChecksum: true }))).toBe(
      ErrorCode.KRB_AP_ERR_INAPP_CKSUM,
    );
  });

  it('a realm that serves a TGS-REQ without a body checksum, as Windows DCs do, still verifies one that is there', () => {
    const l = setup({ requireTgsReqChecksum: false });
    const st = repOf(
      l.kdc.handle(tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0, noChecksum: true })),
    );
    expect(st.msgType).toBe(13);
    expect(st.ticket.sname.nameString).toEqual(WEB.split('/'));
    const other = { kdcOptions: 0, realm: REALM, sname: pn(WEB), till: T0 + 1000, nonce: 9, etype: [18] };
    expect(codeOf(l, tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0, checksumBody: other }))).toBe(
      ErrorCode.KRB_AP_ERR_MODIFIED,
    );
    expect(codeOf(l, tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0, checksumType: 9999 }))).toBe(
      ErrorCode.KRB_AP_ERR_INAPP_CKSUM,
    );
  });

  it('PADATA_TYPE_NOSUPP without a PA-TGS-REQ', () => {
    const l = setup();
    const req = encodeTgsReq({
      pvno: 5,
      msgType: 12,
      reqBody: { kdcOptions: 0, realm: REALM, sname: pn(WEB), till: T0 + 1000, nonce: 1, etype: [18] },
    });
    expect(codeOf(l, req)).toBe(ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP);
  });

  it('INAPP_CKSUM for an authenticator checksum of a type that does not fit the session key', () => {
    const l = setup();
    for (const type of [15, 9999]) {
      const err = errorOf(
        l.kdc.handle(tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0, checksumType: type })),
      );
      expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_INAPP_CKSUM);
      expect(err.eText).toContain(`checksum type ${type} is not acceptable here`);
      expect(err.cname?.nameString).toEqual(['alice']);
    }
  });

  it('NOKEY for a TGT in an etype the krbtgt has no key of', () => {
    const l = setup();
    const kvno = l.realm.krbtgt.keys[0]!.kvno;
    const rc4 = testKey(23, 'rc4-tgt');
    const tgt = forgedCreds(REALM, `krbtgt/${REALM}`, REALM, 'alice', rc4, kvno);
    const err = errorOf(l.kdc.handle(tgsReq({ tgt, realm: REALM, sname: WEB, now: T0 })));
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_NOKEY);
    expect(err.eText).toContain(`no key of etype 23 for krbtgt/${REALM}@${REALM}`);
  });

  it('S_PRINCIPAL_UNKNOWN for a ticket to renew whose server is not in the realm', () => {
    const l = setup();
    const tgt = forgedCreds(REALM, 'HTTP/gone.contoso.com', REALM, 'alice', testKey(18, 'gone'), 1);
    const err = errorOf(
      l.kdc.handle(tgsReq({ tgt, realm: REALM, sname: WEB, now: T0, options: KdcOptions.renew })),
    );
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
    expect(err.eText).toContain(`server HTTP/gone.contoso.com@${REALM} not found`);
  });

  it('NOT_US when a service ticket is presented as a TGT', () => {
    const l = setup();
    const svc = tgsGet(l.kdc, { tgt: l.tgt, realm: REALM, sname: WEB, now: T0 });
    expect(codeOf(l, tgsReq({ tgt: svc, realm: REALM, sname: WEB, now: T0 }))).toBe(
      ErrorCode.KRB_AP_ERR_NOT_US,
    );
  });

  it('forwardable from a non-forwardable TGT: no flag in an MIT realm (MIT 1.20); BADOPTION for a proxy TGT', () => {
    const l = setup();
    const plainTgt = login(l, 'alice', aliceKey, { options: KdcOptions.proxiable });
    // MIT's KDC issues the ticket and leaves FORWARDABLE off (checked against krb5kdc 1.20); an AD
    // realm refuses, as a Samba AD DC does (kdc-ad-differential-samba).
    const st = tgsGet(l.kdc, {
      tgt: plainTgt,
      realm: REALM,
      sname: WEB,
      now: T0,
      options: KdcOptions.forwardable,
    });
    expect(st.part.flags & TicketFlags.forwardable).toBe(0);
    const proxyTgt = errorOf(
      l.kdc.handle(
        tgsReq({ tgt: plainTgt, realm: REALM, sname: `krbtgt/${REALM}`, now: T0, options: KdcOptions.proxy }),
      ),
    );
    expect([proxyTgt.errorCode, proxyTgt.eText]).toEqual([
      ErrorCode.KDC_ERR_BADOPTION,
      'a proxy ticket cannot be a ticket-granting ticket',
    ]);
  });

  it('FORWARDED or PROXY from a TGT for another server: SERVER_NOMATCH in an MIT realm (check_tgs_nontgt, krb5kdc 1.20.1)', () => {
    const l = setup();
    const tgt = login(l, 'alice', aliceKey, { options: KdcOptions.forwardable | KdcOptions.proxiable });
    for (const option of [KdcOptions.forwarded, KdcOptions.proxy]) {
      const err = errorOf(l.kdc.handle(tgsReq({ tgt, realm: REALM, sname: WEB, now: T0, options: option })));
      expect([err.errorCode, err.eText]).toEqual([
        ErrorCode.KDC_ERR_SERVER_NOMATCH,
        `FORWARDED and PROXY forward the presented ticket, which is for krbtgt/${REALM}@${REALM}, not ${WEB}@${REALM}`,
      ]);
    }
    // The TGT itself is forwarded, with the addresses asked for (RFC 4120 section 2.6).
    const addresses = [{ addrType: 2, address: Uint8Array.of(10, 0, 0, 9) }];
    const fwd = tgsGet(l.kdc, {
      tgt,
      realm: REALM,
      sname: `krbtgt/${REALM}`,
      now: T0,
      options: KdcOptions.forwarded,
      addresses,
    });
    expect([fwd.part.flags & TicketFlags.forwarded, fwd.part.caddr]).toEqual([
      TicketFlags.forwarded,
      addresses,
    ]);
    // An AD realm forwards into a ticket for the server asked for, as RFC 4120 section 3.3.3 reads
    // and Samba's AD DC does.
    const ad = makeRealm(REALM, {}, undefined, { kind: 'active-directory' });
    ad.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'pw') });
    ad.realm.addService(WEB);
    const adTgt = login(ad, 'alice', aliceKey, { options: KdcOptions.forwardable | KdcOptions.proxiable });
    for (const [option, flag] of [
      [KdcOptions.forwarded, TicketFlags.forwarded],
      [KdcOptions.proxy, TicketFlags.proxy],
    ] as const) {
      const t = tgsGet(ad.kdc, { tgt: adTgt, realm: REALM, sname: WEB, now: T0, options: option });
      expect(t.part.flags & flag).toBe(flag);
    }
  });

  it('FORWARDED or PROXY presenting a service ticket: the ticket forwarded in an MIT realm (krb5kdc 1.20.1), NOT_US in an AD realm', () => {
    const l = setup();
    const tgt = login(l, 'alice', aliceKey, { options: KdcOptions.forwardable | KdcOptions.proxiable });
    const st = tgsGet(l.kdc, {
      tgt,
      realm: REALM,
      sname: WEB,
      now: T0,
      options: KdcOptions.forwardable | KdcOptions.proxiable,
    });
    const addresses = [{ addrType: 2, address: Uint8Array.of(10, 0, 0, 9) }];
    const fwd = tgsGet(l.kdc, {
      tgt: st,
      realm: REALM,
      sname: WEB,
      now: T0,
      options: KdcOptions.forwarded,
      addresses,
    });
    expect(flagNames(TicketFlags, fwd.part.flags)).toEqual([
      'forwarded',
      'pre-authent',
      'transited-policy-checked',
      'name-canonicalize',
    ]);
    expect([fwd.part.sname.nameString, fwd.part.caddr]).toEqual([['HTTP', 'web.contoso.com'], addresses]);
    const proxy = tgsGet(l.kdc, { tgt: st, realm: REALM, sname: WEB, now: T0, options: KdcOptions.proxy });
    expect(proxy.part.flags & TicketFlags.proxy).toBe(TicketFlags.proxy);
    // For another server: SERVER_NOMATCH; a ticket that is not forwardable: BADOPTION (check_tgs_opts first).
    l.realm.addService('HTTP/other.contoso.com');
    const other = errorOf(
      l.kdc.handle(
        tgsReq({
          tgt: st,
          realm: REALM,
          sname: 'HTTP/other.contoso.com',
          now: T0,
          options: KdcOptions.forwarded,
        }),
      ),
    );
    expect(other.errorCode).toBe(ErrorCode.KDC_ERR_SERVER_NOMATCH);
    const plain = tgsGet(l.kdc, { tgt, realm: REALM, sname: WEB, now: T0, options: 0 });
    const notForwardable = errorOf(
      l.kdc.handle(tgsReq({ tgt: plain, realm: REALM, sname: WEB, now: T0, options: KdcOptions.forwarded })),
    );
    expect([notForwardable.errorCode, notForwardable.eText]).toEqual([
      ErrorCode.KDC_ERR_BADOPTION,
      'FORWARDED requested but the ticket is not forwardable',
    ]);
    // Without FORWARDED or PROXY, a service ticket is no TGT.
    expect(codeOf(l, tgsReq({ tgt: st, realm: REALM, sname: WEB, now: T0, options: 0 }))).toBe(
      ErrorCode.KRB_AP_ERR_NOT_US,
    );
    const ad = makeRealm(REALM, {}, undefined, { kind: 'active-directory' });
    ad.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'pw') });
    ad.realm.addService(WEB);
    const adTgt = login(ad, 'alice', aliceKey, { options: KdcOptions.forwardable });
    const adSt = tgsGet(ad.kdc, {
      tgt: adTgt,
      realm: REALM,
      sname: WEB,
      now: T0,
      options: KdcOptions.forwardable,
    });
    expect(
      errorOf(
        ad.kdc.handle(
          tgsReq({ tgt: adSt, realm: REALM, sname: WEB, now: T0, options: KdcOptions.forwarded }),
        ),
      ).errorCode,
    ).toBe(ErrorCode.KRB_AP_ERR_NOT_US);
  });

  it('REQUEST-ANONYMOUS from a named TGT: BADOPTION in an AD realm; an MIT realm drops it, as krb5kdc 1.20', () => {
    const ad = makeRealm(REALM, {}, undefined, { kind: 'active-directory' });
    ad.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'pw') });
    ad.realm.addService(WEB);
    const anon = { realm: REALM, sname: WEB, now: T0, options: KdcOptions['request-anonymous'] };
    const err = errorOf(ad.kdc.handle(tgsReq({ tgt: login(ad, 'alice', aliceKey), ...anon })));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    const l = setup();
    const st = tgsGet(l.kdc, { tgt: l.tgt, ...anon });
    expect([st.rep.cname.nameString, st.part.flags & TicketFlags.anonymous]).toEqual([['alice'], 0]);
  });

  it('NEVER_VALID and ETYPE_NOSUPP', () => {
    const l = setup();
    expect(codeOf(l, tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0, till: T0 - 1000 }))).toBe(
      ErrorCode.KDC_ERR_NEVER_VALID,
    );
    expect(codeOf(l, tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0, etypes: [23] }))).toBe(
      ErrorCode.KDC_ERR_ETYPE_NOSUPP,
    );
  });

  it('BADOPTION for FORWARDED from a non-forwardable TGT; a forwarded TGT passes FORWARDED on', () => {
    const l = setup();
    const plainTgt = login(l, 'alice', aliceKey, { options: 0 });
    expect(plainTgt.part.flags & TicketFlags.forwardable).toBe(0);
    const err = errorOf(
      l.kdc.handle(
        tgsReq({ tgt: plainTgt, realm: REALM, sname: WEB, now: T0, options: KdcOptions.forwarded }),
      ),
    );
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(err.eText).toContain('FORWARDED requested but the TGT is not forwardable');
    // From a forwardable TGT: a forwarded TGT, whose tickets are forwarded too (RFC 4120 section 2.6).
    const fwd = tgsGet(l.kdc, {
      tgt: l.tgt,
      realm: REALM,
      sname: `krbtgt/${REALM}`,
      now: T0,
      options: KdcOptions.forwardable | KdcOptions.forwarded,
    });
    expect(fwd.part.flags & TicketFlags.forwarded).not.toBe(0);
    const st = tgsGet(l.kdc, { tgt: fwd, realm: REALM, sname: WEB, now: T0, options: 0 });
    expect(st.part.flags & TicketFlags.forwarded).not.toBe(0);
  });

  it('PROXIABLE from a TGT that is not proxiable: no flag in an MIT realm (get_ticket_flags), BADOPTION in an AD realm; PROXY: BADOPTION', () => {
    const l = setup();
    expect(l.tgt.part.flags & TicketFlags.proxiable).toBe(0);
    // krb5kdc 1.20.1 issues the ticket and leaves PROXIABLE off, as it does FORWARDABLE.
    const st = tgsGet(l.kdc, {
      tgt: l.tgt,
      realm: REALM,
      sname: WEB,
      now: T0,
      options: KdcOptions.proxiable,
    });
    expect(st.part.flags & TicketFlags.proxiable).toBe(0);
    const proxy = errorOf(
      l.kdc.handle(tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0, options: KdcOptions.proxy })),
    );
    expect([proxy.errorCode, proxy.eText]).toEqual([
      ErrorCode.KDC_ERR_BADOPTION,
      'PROXY requested but the TGT is not proxiable',
    ]);
    // From a proxiable TGT, PROXIABLE is granted.
    const proxiableTgt = login(l, 'alice', aliceKey, { options: KdcOptions.proxiable });
    const p = tgsGet(l.kdc, {
      tgt: proxiableTgt,
      realm: REALM,
      sname: WEB,
      now: T0,
      options: KdcOptions.proxiable,
    });
    expect(p.part.flags & TicketFlags.proxiable).not.toBe(0);
    // An AD realm refuses, as Samba's AD DC (Heimdal) does.
    const ad = makeRealm(REALM, {}, undefined, { kind: 'active-directory' });
    ad.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'pw') });
    ad.realm.addService(WEB);
    const adTgt = login(ad, 'alice', aliceKey, { options: KdcOptions.forwardable });
    const err = errorOf(
      ad.kdc.handle(tgsReq({ tgt: adTgt, realm: REALM, sname: WEB, now: T0, options: KdcOptions.proxiable })),
    );
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
  });

  it('FORWARDED from a TGT that is not forwardable: BADOPTION in an AD realm too, from the flag rule alone (RFC 4120 section 2.6)', () => {
    // An MIT realm refuses it before the flags are computed (check_tgs_opts); an AD realm has only this rule.
    const l = makeRealm(REALM, { krbErrorStyle: 'mit' }, undefined, { kind: 'active-directory' });
    l.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'pw') });
    const plainTgt = login(l, 'alice', aliceKey, { options: 0 });
    expect(plainTgt.part.flags & TicketFlags.forwardable).toBe(0);
    const err = errorOf(
      l.kdc.handle(
        tgsReq({
          tgt: plainTgt,
          realm: REALM,
          sname: `krbtgt/${REALM}`,
          now: T0,
          options: KdcOptions.forwarded,
        }),
      ),
    );
    expect([err.errorCode, err.eText]).toEqual([
      ErrorCode.KDC_ERR_BADOPTION,
      'FORWARDED requested but the TGT is not forwardable',
    ]);
  });

  it('PROXY for a ticket-granting ticket, from a proxiable TGT: BADOPTION in an AD realm too (RFC 4120 section 2.5)', () => {
    // RFC 4120 section 2.5: a proxiable TGT lets the TGS issue a proxy ticket, but not a TGT.
    const l = makeRealm(REALM, { krbErrorStyle: 'mit' }, undefined, { kind: 'active-directory' });
    l.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'pw') });
    const proxiableTgt = login(l, 'alice', aliceKey, { options: KdcOptions.proxiable });
    expect(proxiableTgt.part.flags & TicketFlags.proxiable).not.toBe(0);
    const err = errorOf(
      l.kdc.handle(
        tgsReq({
          tgt: proxiableTgt,
          realm: REALM,
          sname: `krbtgt/${REALM}`,
          now: T0,
          options: KdcOptions.proxy,
        }),
      ),
    );
    expect([err.errorCode, err.eText]).toEqual([
      ErrorCode.KDC_ERR_BADOPTION,
      'a proxy ticket cannot be a ticket-granting ticket',
    ]);
  });

  it('DISABLE-TRANSITED-CHECK: POLICY in an MIT realm (reject_bad_transit, krb5kdc 1.20.1); an AD realm serves it (MS-KILE 3.1.5.4)', () => {
    const l = setup();
    const option = KdcOptions['disable-transited-check'];
    for (const sname of [WEB, `krbtgt/${REALM}`]) {
      const err = errorOf(
        l.kdc.handle(tgsReq({ tgt: l.tgt, realm: REALM, sname, now: T0, options: option })),
      );
      expect([err.errorCode, err.eText]).toEqual([
        ErrorCode.KDC_ERR_POLICY,
        'DISABLE-TRANSITED-CHECK: this KDC checks the transited path of every request and issues no ticket without that check',
      ]);
    }
    const ad = makeRealm(REALM, {}, undefined, { kind: 'active-directory' });
    expect(ad.realm.policy.refuseDisableTransitedCheck).toBe(false);
    ad.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'pw') });
    ad.realm.addService(WEB);
    const st = tgsGet(ad.kdc, {
      tgt: login(ad, 'alice', aliceKey),
      realm: REALM,
      sname: WEB,
      now: T0,
      options: option,
    });
    expect(st.part.flags & TicketFlags['transited-policy-checked']).toBe(
      TicketFlags['transited-policy-checked'],
    );
  });

  it('BADOPTION for S4U2Proxy combined with user-to-user, and for RENEW with VALIDATE', () => {
    const l = setup();
    const both = KdcOptions['constrained-delegation'] | KdcOptions['enc-tkt-in-skey'];
    const e1 = errorOf(
      l.kdc.handle(tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0, options: both })),
    );
    expect(e1.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(e1.eText).toContain('S4U2Proxy and user-to-user cannot be combined');
    const rv = KdcOptions.renew | KdcOptions.validate;
    const e2 = errorOf(
      l.kdc.handle(tgsReq({ tgt: l.tgt, realm: REALM, sname: `krbtgt/${REALM}`, now: T0, options: rv })),
    );
    expect(e2.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(e2.eText).toContain('RENEW and VALIDATE cannot be combined');
  });

  it('WRONG_REALM for a req-body naming another realm', () => {
    const l = setup();
    const err = errorOf(l.kdc.handle(tgsReq({ tgt: l.tgt, realm: 'FABRIKAM.COM', sname: WEB, now: T0 })));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_WRONG_REALM);
    expect(err.eText).toContain(`this KDC serves ${REALM}, not FABRIKAM.COM`);
  });

  it('S_PRINCIPAL_UNKNOWN for a request that names no server', () => {
    const l = setup();
    const err = errorOf(l.kdc.handle(tgsReq({ tgt: l.tgt, realm: REALM, now: T0 })));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
    expect(err.eText).toContain('the request names no server');
  });

  it('BAD_INTEGRITY for enc-authorization-data that does not decrypt; POLICY for one holding two PACs', () => {
    const l = setup();
    const cipher = new Uint8Array(64).fill(7);
    const e1 = errorOf(
      l.kdc.handle(
        tgsReq({
          tgt: l.tgt,
          realm: REALM,
          sname: WEB,
          now: T0,
          encAuthorizationData: { etype: 18, cipher },
        }),
      ),
    );
    expect(e1.errorCode).toBe(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
    expect(e1.eText).toContain('enc-authorization-data does not decrypt');
    // Two AD-WIN2K-PACs (the MS14-068 attack's shape, twice over): refused, never copied.
    const pac = (n: number) => ({
      adType: AdType.AD_IF_RELEVANT,
      adData: encodeAuthorizationData([{ adType: AdType.AD_WIN2K_PAC, adData: new Uint8Array([n]) }]),
    });
    const refusal = (authorizationData: AuthorizationData) =>
      errorOf(l.kdc.handle(tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0, authorizationData })));
    const e2 = refusal([pac(1), pac(2)]);
    expect(e2.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(e2.eText).toContain('a client may not supply authorization data of type 128 (a PAC)');
    // Whatever shape it comes in: bare, nested deeper, and the other KDC-issued types (MIT's list).
    const ifRelevant = (inner: AuthorizationData) => ({
      adType: AdType.AD_IF_RELEVANT,
      adData: encodeAuthorizationData(inner),
    });
    const one = Uint8Array.of(1);
    for (const [ad, type] of [
      [[{ adType: AdType.AD_WIN2K_PAC, adData: one }], 128],
      [[ifRelevant([pac(3)])], 128],
      [[{ adType: AdType.AD_KDC_ISSUED, adData: one }], 4],
      [[ifRelevant([{ adType: 96, adData: one }])], 96],
      [[{ adType: 97, adData: one }], 97],
      [[{ adType: 512, adData: one }], 512],
    ] as const) {
      const e = refusal(ad as AuthorizationData);
      expect([e.errorCode, e.eText]).toEqual([
        ErrorCode.KDC_ERR_POLICY,
        expect.stringContaining(`a client may not supply authorization data of type ${type}`),
      ]);
    }
    // RFC 4120 section 5.2.6.4: AD-MANDATORY-FOR-KDC this KDC does not understand is refused.
    const mandatory = refusal([
      {
        adType: AdType.AD_MANDATORY_FOR_KDC,
        adData: encodeAuthorizationData([{ adType: 9999, adData: one }]),
      },
    ]);
    expect([mandatory.errorCode, mandatory.eText]).toEqual([
      ErrorCode.KDC_ERR_POLICY,
      expect.stringContaining('AD-MANDATORY-FOR-KDC, whose elements this KDC does not understand'),
    ]);
    // An AD-IF-RELEVANT that does not decode, and one nested without end.
    expect(refusal([{ adType: AdType.AD_IF_RELEVANT, adData: Uint8Array.of(0x30, 0x05) }]).eText).toContain(
      'an AD-IF-RELEVANT does not decode',
    );
    let deep: AuthorizationData = [{ adType: 9999, adData: one }];
    for (let i = 0; i < 12; i++) deep = [ifRelevant(deep)];
    expect(refusal(deep).eText).toContain('nests AD-IF-RELEVANT too deep');
    // What a client may ask for is copied: an element of its own, relevant or not.
    const cred = tgsGet(l.kdc, {
      tgt: l.tgt,
      realm: REALM,
      sname: WEB,
      now: T0,
      authorizationData: [ifRelevant([{ adType: 9999, adData: one }])],
    });
    const etp = openTicket(
      cred.ticket,
      l.realm.keysFor(WEB).find((k) => k.etype === cred.ticket.encPart.etype)!,
    );
    expect(etp.authorizationData).toContainEqual(ifRelevant([{ adType: 9999, adData: one }]));
  });

  it("ETYPE_NOSUPP when the service holds no key of the realm's ticketEncType", () => {
    const l = setup({ ticketEncType: 18 });
    l.realm.addService('HTTP/old.contoso.com', { encTypes: [17] });
    const err = errorOf(
      l.kdc.handle(
        tgsReq({ tgt: l.tgt, realm: REALM, sname: 'HTTP/old.contoso.com', now: T0, etypes: [17] }),
      ),
    );
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
    expect(err.eText).toContain('the key of HTTP/old.contoso.com@CONTOSO.COM');
  });

  it('BADOPTION for ALLOW-POSTDATE or POSTDATED from a TGT without MAY-POSTDATE; granted from one with it', () => {
    const l = setup();
    expect(l.tgt.part.flags & TicketFlags['may-postdate']).toBe(0);
    const allow = errorOf(
      l.kdc.handle(
        tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0, options: KdcOptions['allow-postdate'] }),
      ),
    );
    expect(allow.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(allow.eText).toContain('the TGT is not postdatable');
    const from = T0 + Duration.hour;
    const postdated = errorOf(
      l.kdc.handle(
        tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0, from, options: KdcOptions.postdated }),
      ),
    );
    expect(postdated.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(postdated.eText).toContain('the ticket-granting ticket does not allow postdating');
    // The TGT decides before the start time does: POSTDATED alone is refused too, not ignored.
    const bare = errorOf(
      l.kdc.handle(tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0, options: KdcOptions.postdated })),
    );
    expect(bare.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(bare.eText).toContain('the ticket-granting ticket does not allow postdating');
    const mayTgt = login(l, 'alice', aliceKey, { options: KdcOptions['allow-postdate'] });
    expect(mayTgt.part.flags & TicketFlags['may-postdate']).not.toBe(0);
    const st = tgsGet(l.kdc, {
      tgt: mayTgt,
      realm: REALM,
      sname: WEB,
      now: T0,
      options: KdcOptions['allow-postdate'],
    });
    expect(st.part.flags & TicketFlags['may-postdate']).not.toBe(0);
    // From a TGT that may postdate, POSTDATED still needs a start time.
    const noFrom = errorOf(
      l.kdc.handle(tgsReq({ tgt: mayTgt, realm: REALM, sname: WEB, now: T0, options: KdcOptions.postdated })),
    );
    expect(noFrom.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(noFrom.eText).toContain('POSTDATED is set but the request has no start time (from)');
  });

  it('a disabled service: S_PRINCIPAL_UNKNOWN in an MIT realm (as MIT), SERVICE_REVOKED in an AD realm', () => {
    const l = setup();
    l.realm.lookup(WEB)!.disabled = true;
    expect(codeOf(l, tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0 }))).toBe(
      ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
    );
    expect(disabledServerRefusal('active-directory').code).toBe(ErrorCode.KDC_ERR_SERVICE_REVOKED);
  });
});

describe('TGS exchange: krbtgt rotation', () => {
  it('keeps TGTs issued under the previous key valid, and refuses older ones with BADKEYVER', () => {
    const l = setup();
    expect(l.tgt.ticket.encPart.kvno).toBe(1);
    l.realm.rotateKrbtgt();
    const after = login(l, 'alice', aliceKey);
    expect(after.ticket.encPart.kvno).toBe(2);
    expect(tgsGet(l.kdc, { tgt: l.tgt, realm: REALM, sname: WEB, now: T0 }).rep.msgType).toBe(13);
    l.realm.rotateKrbtgt();
    expect(codeOf(l, tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0 }))).toBe(
      ErrorCode.KRB_AP_ERR_BADKEYVER,
    );
    expect(tgsGet(l.kdc, { tgt: after, realm: REALM, sname: WEB, now: T0 }).rep.msgType).toBe(13);
  });
});

describe('TGS exchange: RENEW and VALIDATE', () => {
  it('renews within renew-till and refuses once the renewable life is over', () => {
    const l = setup({ maxRenewLifeMs: 12 * Duration.hour });
    expect(l.tgt.part.renewTill).toBe(T0 + 12 * Duration.hour);
    l.clock.advance(9 * Duration.hour);
    const renewed = tgsGet(l.kdc, {
      tgt: l.tgt,
      realm: REALM,
      sname: `krbtgt/${REALM}`,
      now: l.clock.now(),
      options: KdcOptions.renew,
    });
    expect(renewed.part.starttime).toBe(T0 + 9 * Duration.hour);
    expect(renewed.part.endtime).toBe(T0 + 12 * Duration.hour); // min(renew-till, now + original life)
    expect(renewed.part.authtime).toBe(T0);
    expect(renewed.part.renewTill).toBe(T0 + 12 * Duration.hour);
    expect(renewed.part.key).not.toEqual(l.tgt.part.key);
    // The renewed TGT works.
    expect(tgsGet(l.kdc, { tgt: renewed, realm: REALM, sname: WEB, now: l.clock.now() }).rep.msgType).toBe(
      13,
    );
    // Past renew-till (and so past its end time) renewal fails.
    l.clock.advance(3 * Duration.hour + Duration.second);
    expect(
      codeOf(
        l,
        tgsReq({
          tgt: renewed,
          realm: REALM,
          sname: `krbtgt/${REALM}`,
          now: l.clock.now(),
          options: KdcOptions.renew,
        }),
      ),
    ).toBe(ErrorCode.KRB_AP_ERR_TKT_EXPIRED);
  });

  it('refuses to renew a ticket past its renew-till, though not expired, with TKT_EXPIRED', () => {
    const l = setup();
    // A TGT whose renew-till comes before its end time: the KDC checks renew-till on its own.
    const sessionKey = testKey(18, 'renew-session');
    const krbtgt = l.realm.krbtgt.keys.find((k) => k.key.etype === 18)!;
    const ticket = forge(
      REALM,
      `krbtgt/${REALM}`,
      {
        flags: TicketFlags.renewable | TicketFlags.initial | TicketFlags['pre-authent'],
        key: { keytype: 18, keyvalue: sessionKey.bytes },
        crealm: REALM,
        cname: pn('alice'),
        transited: { trType: 1, contents: new Uint8Array(0) },
        authtime: T0,
        endtime: T0 + 10 * Duration.hour,
        renewTill: T0 + Duration.hour,
      },
      krbtgt.key,
      krbtgt.kvno,
    );
    l.clock.advance(2 * Duration.hour);
    const tgt = { ticket, sessionKey, cname: pn('alice'), crealm: REALM };
    const err = errorOf(
      l.kdc.handle(
        tgsReq({
          tgt,
          realm: REALM,
          sname: `krbtgt/${REALM}`,
          now: l.clock.now(),
          options: KdcOptions.renew,
        }),
      ),
    );
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_TKT_EXPIRED);
    expect(err.eText).toContain('the ticket is past its renew-till time');
  });

  for (const kind of ['mit', 'active-directory'] as const) {
    it(`holds each option beside RENEW or VALIDATE to the ticket's flags, and keeps its addresses (${kind})`, () => {
      // MIT's check_tgs_opts and Heimdal's check_tgs_flags: FORWARDED needs FORWARDABLE, PROXY
      // PROXIABLE, ALLOW-POSTDATE and POSTDATED MAY-POSTDATE, renewal or not.
      const l = makeRealm(REALM, {}, undefined, { kind });
      l.realm.addUser('alice', { keys: pwKeys(l.realm.name, 'alice', 'pw') });
      const here = [{ addrType: 2, address: new Uint8Array([10, 0, 0, 1]) }];
      const tgt = login(l, 'alice', aliceKey, {
        options: KdcOptions.renewable | KdcOptions.forwardable,
        rtime: T0 + Duration.day,
        addresses: here,
      });
      expect(tgt.part.flags & (TicketFlags.proxiable | TicketFlags['may-postdate'])).toBe(0);
      const renew = (option: number) =>
        tgsReq({
          tgt,
          realm: REALM,
          sname: `krbtgt/${REALM}`,
          now: T0,
          options: KdcOptions.renew | option,
          addresses: [{ addrType: 2, address: new Uint8Array([10, 9, 9, 9]) }],
        });
      for (const [option, text] of [
        [KdcOptions.proxy, 'PROXY requested but the TGT is not proxiable'],
        [KdcOptions['allow-postdate'], 'ALLOW-POSTDATE requested but the TGT is not postdatable'],
        [KdcOptions.postdated, 'POSTDATED requested but the TGT is not postdatable'],
      ] as const) {
        const e = errorOf(l.kdc.handle(renew(option)));
        expect(e.errorCode, text).toBe(ErrorCode.KDC_ERR_BADOPTION);
        // An AD realm's KRB-ERROR carries no e-text (krbErrorStyle).
        if (kind === 'mit') expect(e.eText).toBe(text);
      }
      // FORWARDED from a forwardable TGT: the same ticket again, bound to its own addresses still.
      const renewed = repOf(l.kdc.handle(renew(KdcOptions.forwarded)));
      const etp = openTicket(renewed.ticket, l.realm.krbtgt.keys[0]!.key);
      expect(etp.caddr).toEqual(here);
      expect(etp.flags & TicketFlags.forwarded).toBe(0);
    });
  }

  it('refuses to renew a non-renewable ticket with BADOPTION', () => {
    const l = setup({ renewableTgt: false });
    expect(
      codeOf(
        l,
        tgsReq({ tgt: l.tgt, realm: REALM, sname: `krbtgt/${REALM}`, now: T0, options: KdcOptions.renew }),
      ),
    ).toBe(ErrorCode.KDC_ERR_BADOPTION);
  });

  it('gives no renewable ticket from a TGT that is not renewable, though RENEWABLE and an rtime are asked for', () => {
    // RFC 4120 section 5.4.1 (RENEWABLE): in a TGS-REQ only from a TGT that is itself renewable.
    const l = setup();
    const tgt = login(l, 'alice', aliceKey, { options: KdcOptions.forwardable });
    expect(tgt.part.flags & TicketFlags.renewable).toBe(0);
    const st = tgsGet(l.kdc, {
      tgt,
      realm: REALM,
      sname: WEB,
      now: T0,
      options: KdcOptions.renewable,
      rtime: T0 + 7 * Duration.day,
    });
    expect(st.part.flags & TicketFlags.renewable).toBe(0);
    expect(st.part.renewTill).toBeUndefined();
    // An AD realm refuses it, as a Samba AD DC does (kdc-ad-differential-samba.test.ts), and as it
    // refuses FORWARDABLE and PROXIABLE from a TGT without them.
    const ad = makeRealm(REALM, {}, undefined, { kind: 'active-directory' });
    ad.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'pw') });
    ad.realm.addService(WEB);
    const adTgt = login(ad, 'alice', aliceKey, { options: KdcOptions.forwardable });
    const asked = tgsReq({ tgt: adTgt, realm: REALM, sname: WEB, now: T0, options: KdcOptions.renewable });
    expect(codeOf(ad, asked)).toBe(ErrorCode.KDC_ERR_BADOPTION);
  });

  it('refuses to renew a renewable ticket when the realm renews none (renewsTickets: false)', () => {
    const l = setup({ renewsTickets: false });
    expect(l.tgt.part.flags & TicketFlags.renewable).not.toBe(0);
    const reply = l.kdc.handle(
      tgsReq({ tgt: l.tgt, realm: REALM, sname: `krbtgt/${REALM}`, now: T0, options: KdcOptions.renew }),
    );
    const err = errorOf(reply);
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(err.eText).toContain('renews no tickets');
  });

  it('renews a service ticket', () => {
    const l = setup();
    const svc = tgsGet(l.kdc, {
      tgt: l.tgt,
      realm: REALM,
      sname: WEB,
      now: T0,
      options: KdcOptions.renewable,
    });
    expect(svc.part.flags & TicketFlags.renewable).not.toBe(0);
    l.clock.advance(Duration.hour);
    const r = tgsGet(l.kdc, {
      tgt: svc,
      realm: REALM,
      sname: WEB,
      now: l.clock.now(),
      options: KdcOptions.renew,
    });
    expect(r.part.sname).toEqual(pn(WEB));
    expect(r.part.starttime).toBe(T0 + Duration.hour);
    // Another name of the same service will do; the ticket keeps its own name.
    const byAlias = tgsGet(l.kdc, {
      tgt: svc,
      realm: REALM,
      sname: 'HTTP/www.contoso.com',
      now: l.clock.now(),
      options: KdcOptions.renew,
    });
    expect(byAlias.part.sname).toEqual(pn(WEB));
    // RENEW gives back the presented ticket: a request naming another server is refused, not
    // answered with a ticket for a server it did not ask for (RFC 4120 section 3.3.2).
    for (const tgt of [svc, l.tgt]) {
      const other = tgt === svc ? `krbtgt/${REALM}` : WEB;
      const err = errorOf(
        l.kdc.handle(
          tgsReq({ tgt, realm: REALM, sname: other, now: l.clock.now(), options: KdcOptions.renew }),
        ),
      );
      expect(err.errorCode).toBe(ErrorCode.KDC_ERR_SERVER_NOMATCH);
      expect(err.eText).toContain(
        `return the presented ticket, which is for ${tgt === svc ? WEB : `krbtgt/${REALM}`}@${REALM}, not ${other}@${REALM}`,
      );
    }
  });

  it('validates a postdated TGT once its start time has come', () => {
    const l = setup();
    const from = T0 + Duration.hour;
    const post = login(l, 'alice', aliceKey, {
      from,
      till: from + 2 * Duration.hour,
      options: KdcOptions.postdated | KdcOptions.forwardable,
    });
    expect(codeOf(l, tgsReq({ tgt: post, realm: REALM, sname: WEB, now: T0 }))).toBe(
      ErrorCode.KRB_AP_ERR_TKT_NYV,
    );
    const v = { tgt: post, realm: REALM, sname: `krbtgt/${REALM}`, options: KdcOptions.validate };
    expect(codeOf(l, tgsReq({ ...v, now: T0 }))).toBe(ErrorCode.KRB_AP_ERR_TKT_NYV);
    l.clock.set(from + Duration.minute);
    const elsewhere = errorOf(l.kdc.handle(tgsReq({ ...v, sname: WEB, now: l.clock.now() })));
    expect(elsewhere.errorCode).toBe(ErrorCode.KDC_ERR_SERVER_NOMATCH);
    const valid = tgsGet(l.kdc, { ...v, now: l.clock.now() });
    expect(valid.part.flags & TicketFlags.invalid).toBe(0);
    expect(valid.part.flags & TicketFlags.postdated).not.toBe(0);
    expect(valid.part.endtime).toBe(from + 2 * Duration.hour);
    expect(tgsGet(l.kdc, { tgt: valid, realm: REALM, sname: WEB, now: l.clock.now() }).rep.msgType).toBe(13);
    // VALIDATE on a ticket that is not invalid: BADOPTION.
    expect(codeOf(l, tgsReq({ ...v, tgt: valid, now: l.clock.now() }))).toBe(ErrorCode.KDC_ERR_BADOPTION);
  });

  it('a postdated service ticket lives what remained of the TGT (and of the time asked for) when asked, from its start (RFC 4120 section 2.4)', () => {
    const l = setup();
    const tgt = login(l, 'alice', aliceKey, {
      till: T0 + 10 * Duration.hour,
      options: KdcOptions['allow-postdate'] | KdcOptions.forwardable,
    });
    const now = l.clock.now();
    for (const [from, till, end] of [
      [now + 2 * Duration.hour, now + 5 * Duration.hour, now + 7 * Duration.hour],
      [now - Duration.hour, now + 5 * Duration.hour, now + 4 * Duration.hour],
      // Past the TGT's end: still the TGT's remaining ten hours, from the start asked for.
      [now + 12 * Duration.hour, now + 14 * Duration.hour, now + 22 * Duration.hour],
    ]) {
      const r = tgsGet(l.kdc, {
        tgt,
        realm: REALM,
        sname: WEB,
        now,
        from,
        till,
        options: KdcOptions.postdated,
      });
      expect([r.part.starttime, r.part.endtime]).toEqual([from, end]);
      expect(flagNames(TicketFlags, r.part.flags)).toEqual(expect.arrayContaining(['postdated', 'invalid']));
    }
  });

  it('a postdated ticket is renewable only with a renew-till after its end, never one before it', () => {
    const l = setup();
    const tgt = login(l, 'alice', aliceKey, {
      till: T0 + 10 * Duration.hour,
      rtime: T0 + 7 * Duration.day,
      options: KdcOptions['allow-postdate'] | KdcOptions.renewable,
    });
    const ask = (from: number) =>
      tgsGet(l.kdc, {
        tgt,
        realm: REALM,
        sname: WEB,
        now: T0,
        from,
        till: T0 + 8 * Duration.day,
        rtime: T0 + 8 * Duration.day,
        options: KdcOptions.postdated | KdcOptions.renewable,
      }).part;
    // Starting an hour before the TGT's renew-till, it would end after it: not renewable.
    const late = ask(T0 + 7 * Duration.day - Duration.hour);
    expect(late.flags & TicketFlags.renewable).toBe(0);
    expect(late.renewTill).toBeUndefined();
    // Starting early, its renew-till (the TGT's) comes after its end: renewable.
    const early = ask(T0 + Duration.hour);
    expect(early.flags & TicketFlags.renewable).not.toBe(0);
    expect(early.renewTill!).toBeGreaterThan(early.endtime);
  });

  it('names the fault of a VALIDATE both wrong (ticket valid, another server) as MIT does, or as a DC does', () => {
    for (const [kind, code] of [
      ['mit', ErrorCode.KDC_ERR_BADOPTION],
      ['active-directory', ErrorCode.KDC_ERR_SERVER_NOMATCH],
    ] as const) {
      const l = makeRealm(REALM, {}, undefined, { kind });
      l.realm.addUser('alice', { keys: pwKeys(l.realm.name, 'alice', 'pw') });
      l.realm.addService(WEB);
      const tgt = login(l, 'alice', aliceKey);
      const bytes = tgsReq({
        tgt,
        realm: REALM,
        sname: WEB,
        now: l.clock.now(),
        options: KdcOptions.validate,
      });
      expect(codeOf(l, bytes), kind).toBe(code);
    }
  });
});

describe('issuance policy hook', () => {
  it('lets the realm refuse a ticket with its own code, naming the client', () => {
    const l = setup();
    const seen: string[] = [];
    l.realm.issuancePolicy = ({ exchange, server, cname }) => {
      seen.push(`${exchange} ${cname.nameString.join('/')} ${server.name.nameString.join('/')}`);
      if (server.name.nameString[0] === 'HTTP')
        throw new KdcError(ErrorCode.KDC_ERR_POLICY, 'conditional access');
    };
    const err = errorOf(l.kdc.handle(tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0 })));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(err.eText).toBe('conditional access');
    expect(err.cname?.nameString).toEqual(['alice']);
    // AS-REQ for the same service is refused too; TGTs still flow.
    const as = errorOf(
      l.kdc.handle(
        asReq({
          realm: REALM,
          cname: 'alice',
          sname: WEB,
          etypes: [18],
          padata: [encTimestamp(aliceKey, T0)],
        }),
      ),
    );
    expect(as.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(login(l, 'alice', aliceKey).rep.msgType).toBe(11);
    expect(seen).toContain(`TGS alice ${WEB}`);
    expect(seen).toContain(`AS alice krbtgt/${REALM}`);
  });

  it('keeps the code of a plain KerberosError from the hook, naming the client', () => {
    const l = setup();
    l.realm.issuancePolicy = () => {
      throw new KerberosError(ErrorCode.KDC_ERR_CLIENT_REVOKED, 'tenant suspended');
    };
    const err = errorOf(l.kdc.handle(tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0 })));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_CLIENT_REVOKED);
    expect(err.eText).toBe('tenant suspended');
    expect(err.cname?.nameString).toEqual(['alice']);
  });

  it('turns a hook that throws something else into KRB_ERR_GENERIC', () => {
    const l = setup();
    l.realm.issuancePolicy = () => {
      throw new Error('bug');
    };
    const err = errorOf(l.kdc.handle(tgsReq({ tgt: l.tgt, realm: REALM, sname: WEB, now: T0 })));
    expect(err.errorCode).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(err.eText).not.toContain('bug');
  });
});

describe('setKeys', () => {
  it('replaces a service key under a new kvno; tickets use it', () => {
    const l = setup();
    const k = testKey(18, 'new-web-key');
    expect(l.realm.setKeys(WEB, [k])).toBe(2);
    const c = tgsGet(l.kdc, { tgt: l.tgt, realm: REALM, sname: WEB, now: T0 });
    expect(c.ticket.encPart.kvno).toBe(2);
    expect(c.ticket.encPart.etype).toBe(18);
    expect(openTicket(c.ticket, k).cname.nameString).toEqual(['alice']);
    expect(
      l.realm.setKeys(WEB, [testKey(18, 'newer')], { kvno: composeKvno(7, 3), keepPrevious: true }),
    ).toBe((7 << 16) | 3);
    expect(l.realm.keysFor(WEB, 2)).toEqual([k]);
  });

  it('makes keys set under a lower kvno the current ones, keeping only older versions', () => {
    const l = setup();
    l.realm.setKeys(WEB, [testKey(18, 'v2')]);
    l.realm.setKeys(WEB, [testKey(18, 'v3')], { keepPrevious: true });
    const back = testKey(18, 'back-to-v2');
    expect(l.realm.setKeys(WEB, [back], { kvno: 2, keepPrevious: true })).toBe(2);
    expect(l.realm.keysFor(WEB)).toEqual([back]);
    expect(l.realm.keysFor(WEB, 3)).toEqual([]);
    const c = tgsGet(l.kdc, { tgt: l.tgt, realm: REALM, sname: WEB, now: T0 });
    expect(c.ticket.encPart.kvno).toBe(2);
    expect(openTicket(c.ticket, back).cname.nameString).toEqual(['alice']);
  });
});
