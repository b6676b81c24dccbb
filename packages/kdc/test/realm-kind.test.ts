/**
 * Realm kinds: an `active-directory` realm answers as a Windows domain
 * controller does (MS-KILE), an `mit` realm as MIT krb5's KDC does.
 */
import {
  decodeEtypeInfo,
  decodeEtypeInfo2,
  decodeMethodData,
  KdcOptions,
  NameType,
  type PaData,
  PaDataType,
  type Ticket,
  TicketFlags,
} from '@krbsim/asn1';
import { KerberosClient } from '@krbsim/client';
import { Duration, ErrorCode, ManualClock, SeededRandom } from '@krbsim/core';
import { type Key, stringToKey } from '@krbsim/crypto';
import { createTrust, KpasswdService, policyOfKind, type RealmKind, resolvePolicy } from '@krbsim/kdc';
import { InProcessTransport } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';
import {
  asReq,
  encTimestamp,
  errorOf,
  login,
  makeRealm,
  ntStatusOf,
  openTicket,
  pn,
  repOf,
  T0,
  tgsGet,
  tgsReq,
  userKey,
} from './helpers';

const REALM = 'CONTOSO.COM';

function lab(kind: RealmKind, policy = {}) {
  const l = makeRealm(REALM, policy, new ManualClock(T0), { kind });
  l.realm.addUser('alice', { password: 'correct horse', encTypes: [18, 17] });
  return l;
}

describe('realm kinds: policy defaults', () => {
  it('an AD realm uses aes-sha1 only (rc4 last when weak crypto is allowed); an MIT realm keeps aes-sha2', () => {
    expect(resolvePolicy({}, 'active-directory').permittedEncTypes).toEqual([18, 17]);
    expect(resolvePolicy({ allowWeakCrypto: true }, 'active-directory').permittedEncTypes).toEqual([
      18, 17, 23,
    ]);
    expect(resolvePolicy({}, 'mit').permittedEncTypes).toEqual([20, 19, 18, 17]);
    expect(resolvePolicy({}).permittedEncTypes).toEqual([20, 19, 18, 17]);
    const ad = policyOfKind('active-directory');
    expect(ad).toMatchObject({
      caseInsensitiveNames: true,
      allowPostdate: false,
      referAnyServiceNameType: true,
      canonicalServiceAliases: false,
      krbErrorStyle: 'active-directory',
      rc4SaltInEtypeInfo: false,
      ticketDecryptFailureCode: ErrorCode.KRB_AP_ERR_MODIFIED,
    });
    expect(policyOfKind('mit')).toMatchObject({
      caseInsensitiveNames: false,
      allowPostdate: true,
      referAnyServiceNameType: false,
      canonicalServiceAliases: true,
      krbErrorStyle: 'mit',
      rc4SaltInEtypeInfo: true,
      ticketDecryptFailureCode: ErrorCode.KRB_AP_ERR_BAD_INTEGRITY,
    });
    // A realm's own policy still wins over its kind.
    expect(resolvePolicy({ krbErrorStyle: 'mit' }, 'active-directory').krbErrorStyle).toBe('mit');
  });

  it("an AD realm's users get keys of etypes 18 and 17 only, and its TGTs are etype 18", () => {
    const l = makeRealm(REALM, {}, new ManualClock(T0), { kind: 'active-directory' });
    expect(l.realm.kind).toBe('active-directory');
    const bob = l.realm.addUser('bob', { password: 'pw' });
    expect(bob.keys.map((k) => k.key.etype)).toEqual([18, 17]);
    expect(l.realm.krbtgt.keys.map((k) => k.key.etype)).toEqual([18, 17]);
    const creds = login(l, 'bob', userKey(REALM, 'bob', 'pw'));
    expect(creds.ticket.encPart.etype).toBe(18);
    // A client that offers only aes-sha2 gets ETYPE_NOSUPP from an AD realm.
    const err = errorOf(l.kdc.handle(asReq({ realm: REALM, cname: 'bob', etypes: [20, 19] })));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
  });
});

/** The fields a KRB-ERROR carries, as present or not, beside the code. */
function shape(bytes: Uint8Array) {
  const e = errorOf(bytes);
  return {
    code: e.errorCode,
    realm: e.realm,
    sname: e.sname.nameString.join('/'),
    cname: e.cname?.nameString.join('/'),
    crealm: e.crealm,
    eText: e.eText !== undefined,
    eData: e.eData !== undefined,
    ctime: e.ctime,
  };
}

describe('realm kinds: KRB-ERROR shape', () => {
  // Each error the AS and TGS exchanges send, in both styles, field by field.
  const cases: Array<{
    name: string;
    run: (l: ReturnType<typeof lab>) => Uint8Array;
    code: number;
    sname: string;
    client?: string;
    eData: boolean;
  }> = [
    {
      name: 'PREAUTH_REQUIRED',
      run: (l) => l.kdc.handle(asReq({ realm: REALM, cname: 'alice' })),
      code: ErrorCode.KDC_ERR_PREAUTH_REQUIRED,
      sname: `krbtgt/${REALM}`,
      client: 'alice',
      eData: true,
    },
    {
      name: 'PREAUTH_FAILED',
      run: (l) =>
        l.kdc.handle(
          asReq({
            realm: REALM,
            cname: 'alice',
            padata: [encTimestamp(userKey(REALM, 'alice', 'wrong'), T0)],
          }),
        ),
      code: ErrorCode.KDC_ERR_PREAUTH_FAILED,
      sname: `krbtgt/${REALM}`,
      client: 'alice',
      // The METHOD-DATA of PREAUTH_REQUIRED, for the client to retry with.
      eData: true,
    },
    {
      name: 'C_PRINCIPAL_UNKNOWN',
      run: (l) => l.kdc.handle(asReq({ realm: REALM, cname: 'mallory' })),
      code: ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN,
      sname: `krbtgt/${REALM}`,
      client: 'mallory',
      eData: false,
    },
    {
      name: 'ETYPE_NOSUPP',
      run: (l) => l.kdc.handle(asReq({ realm: REALM, cname: 'alice', etypes: [16] })),
      code: ErrorCode.KDC_ERR_ETYPE_NOSUPP,
      sname: `krbtgt/${REALM}`,
      client: 'alice',
      eData: false,
    },
    {
      name: 'S_PRINCIPAL_UNKNOWN (TGS)',
      run: (l) => {
        const tgt = login(l, 'alice', userKey(REALM, 'alice', 'correct horse'));
        return l.kdc.handle(tgsReq({ tgt, realm: REALM, sname: 'HTTP/nowhere.example', now: T0 }));
      },
      code: ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
      sname: 'HTTP/nowhere.example',
      client: 'alice',
      eData: false,
    },
  ];

  for (const c of cases) {
    it(`${c.name}: MIT names the client and explains; AD sends neither`, () => {
      const mit = shape(c.run(lab('mit')));
      expect(mit).toEqual({
        code: c.code,
        realm: REALM,
        sname: c.sname,
        cname: c.client,
        crealm: c.client === undefined ? undefined : REALM,
        eText: true,
        eData: c.eData,
        ctime: undefined,
      });
      const ad = shape(c.run(lab('active-directory')));
      expect(ad).toEqual({
        code: c.code,
        realm: REALM,
        sname: c.sname,
        cname: undefined,
        crealm: undefined,
        eText: false,
        eData: c.eData,
        ctime: undefined,
      });
    });
  }

  it("AD's PREAUTH_REQUIRED still carries METHOD-DATA with ETYPE-INFO2 and PA-ENC-TIMESTAMP", () => {
    const e = errorOf(lab('active-directory').kdc.handle(asReq({ realm: REALM, cname: 'alice' })));
    const md = decodeMethodData(e.eData!);
    expect(md.map((p) => p.padataType)).toEqual([PaDataType.PA_ETYPE_INFO2, PaDataType.PA_ENC_TIMESTAMP]);
  });

  it('offers PA-FX-FAST in PREAUTH_REQUIRED: an MIT realm when it serves FAST, an AD realm only when it requires it; a PA-FX-COOKIE goes with the offer', () => {
    const methods = (kind: RealmKind, policy: object) =>
      decodeMethodData(
        errorOf(lab(kind, policy).kdc.handle(asReq({ realm: REALM, cname: 'alice' }))).eData!,
      ).map((p) => p.padataType);
    const { PA_ETYPE_INFO2, PA_ENC_TIMESTAMP, PA_FX_FAST, PA_FX_COOKIE } = PaDataType;
    // RFC 6113 section 5.2: the cookie goes with the offer of FAST, never to a client not offered it.
    // MIT lists FAST first (its static preauth systems before the methods: krb5kdc 1.20.1's order).
    expect(methods('mit', {})).toEqual([PA_FX_FAST, PA_ETYPE_INFO2, PA_ENC_TIMESTAMP, PA_FX_COOKIE]);
    // MS-KILE 3.3.5.1: "Supported" does not advertise FAST in errors; "Fail unarmored" does, alone.
    expect(methods('active-directory', { fast: 'supported' })).toEqual([PA_ETYPE_INFO2, PA_ENC_TIMESTAMP]);
    expect(methods('active-directory', { fast: 'required' })).toEqual([PA_FX_FAST]);
    // A DC lists it after the methods, before the cookie (Samba's KDC tests, held to Windows).
    expect(methods('active-directory', { fast: 'supported', fastOfferedInErrors: true })).toEqual([
      PA_ETYPE_INFO2,
      PA_ENC_TIMESTAMP,
      PA_FX_FAST,
      PA_FX_COOKIE,
    ]);
    expect(methods('mit', { fastOfferedFirst: false })).toEqual([
      PA_ETYPE_INFO2,
      PA_ENC_TIMESTAMP,
      PA_FX_FAST,
      PA_FX_COOKIE,
    ]);
  });
});

describe('realm kinds: the NTSTATUS of a refusal (KERB-EXT-ERROR, MS-KILE 2.2.1, 2.2.2)', () => {
  const key = userKey(REALM, 'alice', 'correct horse');

  it('an AD realm says a disabled account is disabled (STATUS_ACCOUNT_DISABLED); an MIT realm sends e-text instead', () => {
    const ad = lab('active-directory');
    ad.realm.lookup('alice')!.disabled = true;
    const e = errorOf(
      ad.kdc.handle(asReq({ realm: REALM, cname: 'alice', padata: [encTimestamp(key, T0)] })),
    );
    expect(e.errorCode).toBe(ErrorCode.KDC_ERR_CLIENT_REVOKED);
    expect(ntStatusOf(e.eData)).toBe(0xc0000072);
    const mit = lab('mit');
    mit.realm.lookup('alice')!.disabled = true;
    const m = errorOf(
      mit.kdc.handle(asReq({ realm: REALM, cname: 'alice', padata: [encTimestamp(key, T0)] })),
    );
    expect(m.errorCode).toBe(ErrorCode.KDC_ERR_CLIENT_REVOKED);
    expect(m.eData).toBeUndefined();
    expect(m.eText).toContain('the account of alice@CONTOSO.COM is disabled');
  });

  it('an expired account: CLIENT_REVOKED with STATUS_ACCOUNT_EXPIRED in an AD realm (MS-KILE 3.3.5.6.3), NAME_EXP in an MIT realm', () => {
    const refusal = (kind: RealmKind) => {
      const l = lab(kind);
      l.realm.lookup('alice')!.accountExpires = T0 - 1;
      return errorOf(l.kdc.handle(asReq({ realm: REALM, cname: 'alice', padata: [encTimestamp(key, T0)] })));
    };
    const ad = refusal('active-directory');
    expect(ad.errorCode).toBe(ErrorCode.KDC_ERR_CLIENT_REVOKED);
    expect(ntStatusOf(ad.eData)).toBe(0xc0000193);
    const mit = refusal('mit');
    expect(mit.errorCode).toBe(ErrorCode.KDC_ERR_NAME_EXP);
    expect(mit.eData).toBeUndefined();
  });

  it('logon hours (MS-KILE 3.3.5.6.3): a logon outside them, or a TGT checked again outside them, is CLIENT_REVOKED with STATUS_INVALID_LOGON_HOURS', () => {
    // T0 is Thursday 2026-01-01 00:00 UTC: hour 4 * 24 = 96 of the week. Allow Thursday 00:00-00:59 only.
    const hours = new Uint8Array(21);
    hours[96 >> 3]! |= 1 << (96 & 7);
    const l = makeRealm(REALM, {}, new ManualClock(T0), { kind: 'active-directory' });
    l.realm.addUser('carol', { password: 'pw', logonHours: hours });
    l.realm.addService('HTTP/web.contoso.com');
    const carolKey = userKey(REALM, 'carol', 'pw');
    const tgt = login(l, 'carol', carolKey);
    l.clock.advance(61 * 60_000); // Thursday 01:01: outside
    const as = errorOf(
      l.kdc.handle(asReq({ realm: REALM, cname: 'carol', padata: [encTimestamp(carolKey, l.clock.now())] })),
    );
    expect(as.errorCode).toBe(ErrorCode.KDC_ERR_CLIENT_REVOKED);
    expect(ntStatusOf(as.eData)).toBe(0xc000006f);
    const tgs = errorOf(
      l.kdc.handle(tgsReq({ tgt, realm: REALM, sname: 'HTTP/web.contoso.com', now: l.clock.now() })),
    );
    expect(ntStatusOf(tgs.eData)).toBe(0xc000006f);
    expect(() => l.realm.addUser('dave', { password: 'pw', logonHours: new Uint8Array(20) })).toThrow(
      /logonHours must be 21 bytes/,
    );
  });

  it("kadmin/changepw as each kind makes it: MIT's 5-minute tickets from the AS exchange only, a DC's 2-minute ones", () => {
    const key = userKey(REALM, 'alice', 'correct horse');
    for (const [kind, lifeMs, tgs] of [
      ['mit', 5 * 60_000, ErrorCode.KDC_ERR_POLICY],
      ['active-directory', 2 * 60_000, undefined],
    ] as const) {
      const l = lab(kind);
      l.realm.addPasswordChangeService();
      const changepw = login(l, 'alice', key, { sname: 'kadmin/changepw', till: T0 + 10 * 3_600_000 });
      expect(changepw.part.endtime - changepw.part.authtime, kind).toBe(lifeMs);
      const tgt = login(l, 'alice', key);
      const bytes = tgsReq({ tgt, realm: REALM, sname: 'kadmin/changepw', now: l.clock.now() });
      if (tgs === undefined) {
        expect(
          tgsGet(l.kdc, { tgt, realm: REALM, sname: 'kadmin/changepw', now: l.clock.now() }).part.endtime,
        ).toBe(T0 + lifeMs);
      } else {
        const e = errorOf(l.kdc.handle(bytes));
        expect(e.errorCode, kind).toBe(tgs);
        expect(e.eText).toContain('come from the AS exchange only');
      }
    }
  });

  it('a password to change: KEY_EXPIRED with STATUS_PASSWORD_MUST_CHANGE, or STATUS_PASSWORD_EXPIRED once it has expired; the password-change service is still reached', () => {
    const l = lab('active-directory');
    l.realm.addUser('frank', { password: 'pw', mustChangePassword: true });
    l.realm.addPasswordChangeService();
    const frankKey = userKey(REALM, 'frank', 'pw');
    const as = (cname: string, k: Key, sname?: string) =>
      l.kdc.handle(asReq({ realm: REALM, cname, ...(sname && { sname }), padata: [encTimestamp(k, T0)] }));
    const must = errorOf(as('frank', frankKey));
    expect(must.errorCode).toBe(ErrorCode.KDC_ERR_KEY_EXPIRED);
    expect(ntStatusOf(must.eData)).toBe(0xc0000224);
    expect(repOf(as('frank', frankKey, 'kadmin/changepw')).ticket.sname.nameString).toEqual([
      'kadmin',
      'changepw',
    ]);
    // A new password ends it.
    l.realm.setPassword('frank', 'pw2');
    expect(repOf(as('frank', userKey(REALM, 'frank', 'pw2'))).ticket.sname.nameString[0]).toBe('krbtgt');
    l.realm.lookup('alice')!.passwordExpires = T0 - 1;
    const expired = errorOf(as('alice', key));
    expect(expired.errorCode).toBe(ErrorCode.KDC_ERR_KEY_EXPIRED);
    expect(ntStatusOf(expired.eData)).toBe(0xc0000071);
    const mit = lab('mit');
    mit.realm.addUser('frank', { password: 'pw', mustChangePassword: true });
    const m = errorOf(
      mit.kdc.handle(asReq({ realm: REALM, cname: 'frank', padata: [encTimestamp(frankKey, T0)] })),
    );
    expect(m.errorCode).toBe(ErrorCode.KDC_ERR_KEY_EXPIRED);
    expect(m.eData).toBeUndefined();
  });

  it('a DC tells of a password to change only to one who knows it: PREAUTH_REQUIRED, then a wrong password counts (MIT tells first, as validate_as_request)', () => {
    const l = makeRealm(REALM, { lockoutThreshold: 3 }, new ManualClock(T0), { kind: 'active-directory' });
    l.realm.addUser('frank', { password: 'pw', mustChangePassword: true });
    const noPreauth = errorOf(l.kdc.handle(asReq({ realm: REALM, cname: 'frank' })));
    expect(noPreauth.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_REQUIRED);
    const wrong = errorOf(
      l.kdc.handle(
        asReq({ realm: REALM, cname: 'frank', padata: [encTimestamp(userKey(REALM, 'frank', 'nope'), T0)] }),
      ),
    );
    expect(wrong.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(l.realm.lookup('frank')!.badPasswordCount).toBe(1);
    const right = errorOf(
      l.kdc.handle(
        asReq({ realm: REALM, cname: 'frank', padata: [encTimestamp(userKey(REALM, 'frank', 'pw'), T0)] }),
      ),
    );
    expect([right.errorCode, ntStatusOf(right.eData)]).toEqual([ErrorCode.KDC_ERR_KEY_EXPIRED, 0xc0000224]);
    const mit = lab('mit');
    mit.realm.addUser('frank', { password: 'pw', mustChangePassword: true });
    expect(errorOf(mit.kdc.handle(asReq({ realm: REALM, cname: 'frank' }))).errorCode).toBe(
      ErrorCode.KDC_ERR_KEY_EXPIRED,
    );
  });

  it('and a TGT checked again after 20 minutes: disabled, then expired (STATUS_ACCOUNT_EXPIRED)', () => {
    const l = lab('active-directory');
    l.realm.addService('HTTP/web.contoso.com');
    const tgt = login(l, 'alice', key);
    l.clock.advance(21 * 60_000);
    const ask = () =>
      errorOf(l.kdc.handle(tgsReq({ tgt, realm: REALM, sname: 'HTTP/web.contoso.com', now: l.clock.now() })));
    l.realm.lookup('alice')!.disabled = true;
    expect(ntStatusOf(ask().eData)).toBe(0xc0000072);
    l.realm.lookup('alice')!.disabled = false;
    l.realm.lookup('alice')!.accountExpires = l.clock.now();
    expect(ntStatusOf(ask().eData)).toBe(0xc0000193);
  });
});

describe('realm kinds: starttime (RFC 4120 section 5.3: OPTIONAL, authtime standing in)', () => {
  const key = userKey(REALM, 'alice', 'correct horse');
  /** The EncTicketPart of `ticket`, opened with `principal`'s key of the ticket's etype. */
  const opened = (l: ReturnType<typeof lab>, principal: string, ticket: Ticket) =>
    openTicket(ticket, l.realm.keysFor(principal).find((k) => k.etype === ticket.encPart.etype)!);

  it('an AD realm puts it in every ticket and reply, also when it is the authtime, as a Windows DC does', () => {
    const l = lab('active-directory');
    l.realm.addService('HTTP/web.contoso.com', { password: 'web-Passw0rd' });
    const tgt = login(l, 'alice', key);
    expect(tgt.part.authtime).toBe(T0);
    expect(tgt.part.starttime).toBe(T0);
    expect(opened(l, `krbtgt/${REALM}`, tgt.ticket).starttime).toBe(T0);
    const st = tgsGet(l.kdc, { tgt, realm: REALM, sname: 'HTTP/web.contoso.com', now: T0 });
    expect(st.part.starttime).toBe(T0);
    expect(opened(l, 'HTTP/web.contoso.com', st.ticket).starttime).toBe(T0);
  });

  it('an MIT realm leaves it out when it is the authtime, as MIT does, and sends it when it is not', () => {
    const l = lab('mit');
    l.realm.addService('HTTP/web.contoso.com', { password: 'web-Passw0rd' });
    const tgt = login(l, 'alice', key);
    expect(tgt.part.starttime).toBeUndefined();
    expect(opened(l, `krbtgt/${REALM}`, tgt.ticket).starttime).toBeUndefined();
    l.clock.advance(60_000);
    const st = tgsGet(l.kdc, { tgt, realm: REALM, sname: 'HTTP/web.contoso.com', now: l.clock.now() });
    expect(st.part.starttime).toBe(T0 + 60_000);
    // The policy says which, whatever the kind.
    const asked = lab('mit', { starttimeAlways: true });
    expect(login(asked, 'alice', key).part.starttime).toBe(T0);
    expect(
      login(lab('active-directory', { starttimeAlways: false }), 'alice', key).part.starttime,
    ).toBeUndefined();
  });
});

describe('realm kinds: PA-SUPPORTED-ENCTYPES (MS-KILE 2.2.8, 3.3.5.6, 3.3.5.7)', () => {
  const supported = (padata: readonly { padataType: number; padataValue: Uint8Array }[] | undefined) => {
    const pa = padata?.find((p) => p.padataType === PaDataType.PA_SUPPORTED_ETYPES);
    return pa === undefined
      ? undefined
      : new DataView(pa.padataValue.buffer, pa.padataValue.byteOffset).getUint32(0, true);
  };
  const key = userKey(REALM, 'alice', 'correct horse');
  const canon = KdcOptions.forwardable | KdcOptions.renewable | KdcOptions.canonicalize;

  it("an AD realm states, when asked to canonicalize, the server's etypes as msDS-SupportedEncryptionTypes bits, little-endian", () => {
    const l = lab('active-directory');
    l.realm.addService('HTTP/web.contoso.com', { encTypes: [17] });
    const tgt = login(l, 'alice', key, { options: canon });
    const pa = tgt.part.encryptedPaData!.find((p) => p.padataType === PaDataType.PA_SUPPORTED_ETYPES)!;
    expect(pa.padataValue).toEqual(Uint8Array.of(0x18, 0, 0, 0)); // AES256 | AES128, no FAST
    const st = tgsGet(l.kdc, { tgt, realm: REALM, sname: 'HTTP/web.contoso.com', now: T0, options: canon });
    expect(supported(st.part.encryptedPaData)).toBe(0x08);
    // Not asked to canonicalize: nothing.
    const plain = login(l, 'alice', key, { options: KdcOptions.forwardable });
    expect(supported(plain.part.encryptedPaData)).toBeUndefined();
    const st2 = tgsGet(l.kdc, { tgt, realm: REALM, sname: 'HTTP/web.contoso.com', now: T0, options: 0 });
    expect(supported(st2.part.encryptedPaData)).toBeUndefined();
  });

  it("a TGT's says whether the realm serves FAST; an MIT realm sends none", () => {
    const fast = lab('active-directory', { fast: 'supported' });
    expect(supported(login(fast, 'alice', key, { options: canon }).part.encryptedPaData)).toBe(0x10018);
    const mit = lab('mit');
    expect(supported(login(mit, 'alice', key, { options: canon }).part.encryptedPaData)).toBeUndefined();
  });
});

describe('realm kinds: the ETYPE-INFO2 hint (RFC 4120 section 5.2.7.5)', () => {
  const hint = (kind: RealmKind, etypes: number[]) => {
    const l = makeRealm(REALM, { allowWeakCrypto: true }, new ManualClock(T0), { kind });
    l.realm.addUser('carol', { password: 'pw', encTypes: [18, 17, 23] });
    const e = errorOf(l.kdc.handle(asReq({ realm: REALM, cname: 'carol', etypes })));
    const info2 = decodeMethodData(e.eData!).find((p) => p.padataType === PaDataType.PA_ETYPE_INFO2)!;
    return { l, info: decodeEtypeInfo2(info2.padataValue) };
  };

  it("mit: one entry, the first etype of the request the client has a key for, as MIT's KDC sends it", () => {
    expect(hint('mit', [17, 18, 23]).info.map((i) => i.etype)).toEqual([17]);
    expect(hint('mit', [23, 18]).info.map((i) => i.etype)).toEqual([23]);
    // rc4-hmac's entry carries the salt, though its string-to-key ignores it.
    expect(hint('mit', [23]).info).toEqual([{ etype: 23, salt: 'CONTOSO.COMcarol' }]);
  });

  it('active-directory: the strongest AES key asked for, and the rc4-hmac key (without salt) when asked for, as a Windows DC sends them', () => {
    expect(hint('active-directory', [17, 18]).info).toEqual([{ etype: 18, salt: 'CONTOSO.COMcarol' }]);
    expect(hint('active-directory', [23, 17]).info).toEqual([
      { etype: 17, salt: 'CONTOSO.COMcarol' },
      { etype: 23 },
    ]);
    const { l, info } = hint('active-directory', [23]);
    expect(info).toEqual([{ etype: 23 }]);
    // And the client can still log on with rc4 (its string-to-key ignores the salt).
    const creds = login(l, 'carol', stringToKey(23, 'pw', ''));
    expect(creds.part.key.keytype).toBe(23);
  });
});

describe('realm kinds: PA-ETYPE-INFO for clients older than ETYPE-INFO2 (RFC 4120 section 5.2.7.4)', () => {
  const { PA_ETYPE_INFO, PA_ETYPE_INFO2, PA_ENC_TIMESTAMP, PA_FX_FAST, PA_FX_COOKIE, PA_PW_SALT } =
    PaDataType;
  function weak(kind: RealmKind, encTypes = [18, 17, 23]) {
    const l = makeRealm(REALM, { allowWeakCrypto: true }, new ManualClock(T0), { kind });
    l.realm.addUser('carol', { password: 'pw', encTypes });
    l.realm.addUser('dan', { password: 'pw', encTypes, requiresPreauth: false });
    return l;
  }
  const required = (l: ReturnType<typeof weak>, etypes: number[]) =>
    decodeMethodData(errorOf(l.kdc.handle(asReq({ realm: REALM, cname: 'carol', etypes }))).eData!);
  const etypeInfoOf = (md: readonly PaData[]) =>
    decodeEtypeInfo(md.find((p) => p.padataType === PA_ETYPE_INFO)!.padataValue).map((e) => [
      e.etype,
      new TextDecoder().decode(e.salt),
    ]);

  it('mit: first of the hints when the request names no etype newer than rc4-hmac (requires_info2), as krb5kdc 1.20.1', () => {
    const l = weak('mit');
    const md = required(l, [23]);
    expect(md.map((p) => p.padataType)).toEqual([
      PA_FX_FAST,
      PA_ETYPE_INFO,
      PA_ETYPE_INFO2,
      PA_ENC_TIMESTAMP,
      PA_FX_COOKIE,
    ]);
    expect(etypeInfoOf(md)).toEqual([[23, 'CONTOSO.COMcarol']]);
    // An AES etype in the request, even after rc4-hmac: ETYPE-INFO2 only.
    expect(required(l, [23, 18]).map((p) => p.padataType)).toEqual([
      PA_FX_FAST,
      PA_ETYPE_INFO2,
      PA_ENC_TIMESTAMP,
      PA_FX_COOKIE,
    ]);
  });

  it('mit: an AS-REP for such a request carries PA-ETYPE-INFO, PA-ETYPE-INFO2 and PA-PW-SALT (add_etype_info, add_pw_salt)', () => {
    const l = weak('mit');
    const rep = (etypes: number[]) => repOf(l.kdc.handle(asReq({ realm: REALM, cname: 'dan', etypes })));
    const old = rep([23]);
    expect(old.padata!.map((p) => p.padataType)).toEqual([PA_ETYPE_INFO, PA_ETYPE_INFO2, PA_PW_SALT]);
    expect(etypeInfoOf(old.padata!)).toEqual([[23, 'CONTOSO.COMdan']]);
    expect(new TextDecoder().decode(old.padata![2]!.padataValue)).toBe('CONTOSO.COMdan');
    expect(rep([23, 18]).padata!.map((p) => p.padataType)).toEqual([PA_ETYPE_INFO2]);
    expect(rep([18]).padata!.map((p) => p.padataType)).toEqual([PA_ETYPE_INFO2]);
  });

  it('active-directory: first, with an empty salt, when the hint names rc4-hmac alone (Samba KDC tests, held to Windows)', () => {
    const l = weak('active-directory');
    const md = required(l, [23]);
    expect(md.map((p) => p.padataType)).toEqual([PA_ETYPE_INFO, PA_ETYPE_INFO2, PA_ENC_TIMESTAMP]);
    expect(etypeInfoOf(md)).toEqual([[23, '']]);
    expect(required(l, [23, 18]).map((p) => p.padataType)).toEqual([PA_ETYPE_INFO2, PA_ENC_TIMESTAMP]);
    // Asked for AES too, but without an AES key: the hint is rc4-hmac's alone, so ETYPE-INFO comes.
    const rc4Only = weak('active-directory', [23]);
    expect(required(rc4Only, [23, 18]).map((p) => p.padataType)).toEqual([
      PA_ETYPE_INFO,
      PA_ETYPE_INFO2,
      PA_ENC_TIMESTAMP,
    ]);
    // Its AS-REP stays as it was: ETYPE-INFO2.
    const rep = repOf(l.kdc.handle(asReq({ realm: REALM, cname: 'dan', etypes: [23] })));
    expect(rep.padata!.map((p) => p.padataType)).toEqual([PA_ETYPE_INFO2]);
  });
});

describe('realm kinds: the AS-REP enc-part kvno and bit 15 of TGS tickets', () => {
  it("mit: no kvno in the AS-REP's enc-part (krb5kdc 1.20.1); active-directory: the client key's", () => {
    const key = userKey(REALM, 'alice', 'correct horse');
    const rep = (kind: RealmKind) =>
      repOf(
        lab(kind).kdc.handle(
          asReq({ realm: REALM, cname: 'alice', etypes: [18], padata: [encTimestamp(key, T0)] }),
        ),
      );
    expect(rep('mit').encPart.kvno).toBeUndefined();
    expect(rep('active-directory').encPart.kvno).toBe(1);
  });

  it('mit: every ticket and TGS reply part carries bit 15 (TKT_FLG_ENC_PA_REP, get_ticket_flags); active-directory: only with canonicalize', () => {
    const key = userKey(REALM, 'alice', 'correct horse');
    const bit15 = TicketFlags['name-canonicalize'];
    const flagsOf = (kind: RealmKind, options: number) => {
      const l = lab(kind);
      l.realm.addService('HTTP/web.contoso.com', { password: 'web' });
      const tgt = login(l, 'alice', key, { options });
      const krbtgtKey = l.realm.keysFor(`krbtgt/${REALM}`).find((k) => k.etype === tgt.ticket.encPart.etype)!;
      const st = tgsGet(l.kdc, { tgt, realm: REALM, sname: 'HTTP/web.contoso.com', now: T0, options });
      const serverKey = l.realm
        .keysFor('HTTP/web.contoso.com')
        .find((k) => k.etype === st.ticket.encPart.etype)!;
      return {
        tgt: openTicket(tgt.ticket, krbtgtKey).flags & bit15,
        // The AS reply part's bit 15 promises the PA-REQ-ENC-PA-REP checksum: not asked for here.
        asReplyPart: tgt.part.flags & bit15,
        tgsReplyPart: st.part.flags & bit15,
        ticket: openTicket(st.ticket, serverKey).flags & bit15,
      };
    };
    expect(flagsOf('mit', 0)).toEqual({ tgt: bit15, asReplyPart: 0, tgsReplyPart: bit15, ticket: bit15 });
    expect(flagsOf('active-directory', 0)).toEqual({ tgt: 0, asReplyPart: 0, tgsReplyPart: 0, ticket: 0 });
    expect(flagsOf('active-directory', KdcOptions.canonicalize)).toEqual({
      tgt: bit15,
      asReplyPart: 0,
      tgsReplyPart: bit15,
      ticket: bit15,
    });
  });
});

describe('realm kinds: the salt of a user with a UPN (upnSalt)', () => {
  const saltsOf = (l: ReturnType<typeof makeRealm>, name: string) => [
    ...new Set(l.realm.lookup(name)!.keys.map((k) => k.salt)),
  ];
  const hintSalt = (l: ReturnType<typeof makeRealm>, cname: string) => {
    const e = errorOf(l.kdc.handle(asReq({ realm: REALM, cname, etypes: [18] })));
    const info2 = decodeMethodData(e.eData!).find((p) => p.padataType === PaDataType.PA_ETYPE_INFO2)!;
    return decodeEtypeInfo2(info2.padataValue)[0]!.salt;
  };

  it('active-directory: the realm and the UPN before its last @, / left out, as Windows salts it (Samba salt_tests)', () => {
    const l = makeRealm(REALM, {}, new ManualClock(T0), { kind: 'active-directory' });
    const add = (name: string, upn?: string) =>
      l.realm.addUser(name, { password: 'pw', ...(upn !== undefined && { upn }) });
    add('bob', 'robert@contoso.com');
    add('foo16', 'Foo16');
    add('foo2', 'host/foo2@contoso.com');
    add('foo12', 'foo12@other.realm');
    add('foo8', 'foo@bar@contoso.com');
    add('Carol');
    l.realm.addComputer('sql01', { password: 'machine-pw' });
    expect(saltsOf(l, 'bob')).toEqual(['CONTOSO.COMrobert']);
    expect(saltsOf(l, 'foo16')).toEqual(['CONTOSO.COMFoo16']);
    expect(saltsOf(l, 'foo2')).toEqual(['CONTOSO.COMhostfoo2']);
    expect(saltsOf(l, 'foo12')).toEqual(['CONTOSO.COMfoo12']);
    expect(saltsOf(l, 'foo8')).toEqual(['CONTOSO.COMfoo@bar']);
    // Without a UPN the account name, its case kept; a computer AD's machine salt.
    expect(saltsOf(l, 'Carol')).toEqual(['CONTOSO.COMCarol']);
    expect(saltsOf(l, 'SQL01$')).toEqual(['CONTOSO.COMhostsql01.contoso.com']);
    // ETYPE-INFO2 names it, and the key made with it logs on.
    expect(hintSalt(l, 'bob')).toBe('CONTOSO.COMrobert');
    const creds = login(l, 'bob', stringToKey(18, 'pw', 'CONTOSO.COMrobert'));
    expect(creds.cname.nameString).toEqual(['bob']);
    // Keys given keep the salt given (the name's, unless told).
    l.realm.addUser('dave', { keys: [userKey(REALM, 'dave', 'pw')], upn: 'david@contoso.com' });
    expect(saltsOf(l, 'dave')).toEqual(['CONTOSO.COMdave']);
  });

  it('mit: the principal name, whatever the UPN', () => {
    const l = makeRealm(REALM, {}, new ManualClock(T0), { kind: 'mit' });
    l.realm.addUser('bob', { password: 'pw', upn: 'robert@contoso.com' });
    expect(saltsOf(l, 'bob')).toEqual(['CONTOSO.COMbob']);
    expect(hintSalt(l, 'bob')).toBe('CONTOSO.COMbob');
  });

  it('active-directory: a new password, set or changed through kpasswd, is salted by the UPN', async () => {
    const clock = new ManualClock(T0);
    const l = makeRealm(REALM, {}, clock, { kind: 'active-directory' });
    l.realm.addPasswordChangeService();
    l.realm.addUser('dave', { keys: [userKey(REALM, 'dave', 'Old-Passw0rd')], upn: 'david@contoso.com' });
    l.realm.setPassword('dave', 'Dav3-Passw0rd');
    expect(saltsOf(l, 'dave')).toEqual(['CONTOSO.COMdavid']);
    l.realm.addUser('erin', { password: 'Er1n-Old-Passw0rd', upn: 'erin.smith@contoso.com' });
    clock.advance(2 * Duration.day); // past the domain's minimum password age
    const kpasswd = new KpasswdService(l.realm);
    const client = new KerberosClient({
      realm: REALM,
      transport: new InProcessTransport().register(REALM, (r) => l.kdc.handle(r)),
      clock,
      random: new SeededRandom('erin'),
    });
    await client.changePassword('erin', 'Er1n-Old-Passw0rd', 'Er1n-N3w-Passw0rd', {
      transport: new InProcessTransport().register(REALM, (r) => kpasswd.handle(r)),
    });
    expect(saltsOf(l, 'erin')).toEqual(['CONTOSO.COMerin.smith']);
    const creds = login(l, 'erin', stringToKey(18, 'Er1n-N3w-Passw0rd', 'CONTOSO.COMerin.smith'));
    expect(creds.cname.nameString).toEqual(['erin']);
  });
});

describe('realm kinds: SPNs sent as NT-PRINCIPAL (MS-KILE 3.3.5.1.1)', () => {
  const SPN = 'MSSQLSvc/mi1.abc123.database.windows.net:1433';

  function trustLab(kind: RealmKind) {
    const clock = new ManualClock(T0);
    const onPrem = makeRealm(REALM, {}, clock, { kind });
    const cloud = makeRealm('KERBEROS.MICROSOFTONLINE.COM', {}, clock, { kind: 'active-directory' });
    onPrem.realm.addUser('alice', { password: 'pw', encTypes: [18] });
    createTrust({
      trusting: cloud.realm,
      trusted: onPrem.realm,
      direction: 'one-way',
      kind: 'forest',
      topLevelNames: ['windows.net'],
    });
    return { onPrem, cloud, tgt: login(onPrem, 'alice', userKey(REALM, 'alice', 'pw')) };
  }

  it('an AD realm refers an NT-PRINCIPAL or NT-UNKNOWN SPN by its host, as it does an NT-SRV-INST one', () => {
    const { onPrem, tgt } = trustLab('active-directory');
    // NT-UNKNOWN: what Java's Kerberos sends for a name imported without a type (a JDBC driver's SPN).
    for (const nameType of [
      NameType.NT_UNKNOWN,
      NameType.NT_PRINCIPAL,
      NameType.NT_SRV_INST,
      NameType.NT_SRV_HST,
    ]) {
      const r = tgsGet(onPrem.kdc, { tgt, realm: REALM, sname: pn(SPN, nameType), now: T0 });
      expect(r.part.sname.nameString, `name type ${nameType}`).toEqual([
        'krbtgt',
        'KERBEROS.MICROSOFTONLINE.COM',
      ]);
    }
    // Without canonicalize too: AD refers regardless.
    for (const nameType of [NameType.NT_UNKNOWN, NameType.NT_PRINCIPAL]) {
      const r = tgsGet(onPrem.kdc, {
        tgt,
        realm: REALM,
        sname: pn(SPN, nameType),
        options: KdcOptions.forwardable,
        now: T0,
      });
      expect(r.part.sname.nameString[1], `name type ${nameType}`).toBe('KERBEROS.MICROSOFTONLINE.COM');
    }
  });

  it('an MIT realm refers only host-based name types and answers S_PRINCIPAL_UNKNOWN for NT-PRINCIPAL or NT-UNKNOWN', () => {
    const { onPrem, tgt } = trustLab('mit');
    for (const nameType of [NameType.NT_PRINCIPAL, NameType.NT_UNKNOWN]) {
      const err = errorOf(
        onPrem.kdc.handle(tgsReq({ tgt, realm: REALM, sname: pn(SPN, nameType), now: T0 })),
      );
      expect(err.errorCode, `name type ${nameType}`).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
    }
    const r = tgsGet(onPrem.kdc, { tgt, realm: REALM, sname: pn(SPN, NameType.NT_SRV_INST), now: T0 });
    expect(r.part.sname.nameString[1]).toBe('KERBEROS.MICROSOFTONLINE.COM');
    // The policy option alone turns it on.
    const on = makeRealm('X.TEST', { referAnyServiceNameType: true });
    expect(on.realm.policy.referAnyServiceNameType).toBe(true);
  });

  it('a one-part NT-PRINCIPAL name is never taken for an SPN', () => {
    const { onPrem, tgt } = trustLab('active-directory');
    const err = errorOf(
      onPrem.kdc.handle(
        tgsReq({
          tgt,
          realm: REALM,
          sname: pn('mi1.abc123.database.windows.net', NameType.NT_PRINCIPAL),
          now: T0,
        }),
      ),
    );
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
  });
});

describe('service accounts: computers and users with SPNs', () => {
  it('a computer account NAME$ logs on with its AD salt and serves its host/ SPNs', () => {
    const l = makeRealm(REALM, {}, new ManualClock(T0), { kind: 'active-directory' });
    const sql = l.realm.addComputer('sql01', {
      password: 'machine-pw',
      spns: ['MSSQLSvc/sql01.contoso.com:1433'],
    });
    expect(sql.name).toEqual({ nameType: NameType.NT_PRINCIPAL, nameString: ['SQL01$'] });
    expect(sql.aliases.map((a) => a.nameString.join('/'))).toEqual([
      'host/sql01.contoso.com',
      'host/SQL01',
      'MSSQLSvc/sql01.contoso.com:1433',
    ]);
    // MS-KILE 3.1.1.2: REALM + "host" + name in lower case + "." + domain in lower case.
    const salt = 'CONTOSO.COMhostsql01.contoso.com';
    expect(sql.keys.every((k) => k.salt === salt)).toBe(true);
    const key = stringToKey(18, 'machine-pw', salt);
    // The machine logs on by its account name (case does not matter in AD) ...
    const tgt = login(l, 'sql01$', key);
    expect(tgt.part.sname.nameString).toEqual(['krbtgt', REALM]);
    // ... and by an SPN, as realmd and sssd do with `host/fqdn`; asked to canonicalize, the KDC
    // answers with the account's name.
    const bySpn = login(l, 'host/sql01.contoso.com', key);
    expect(bySpn.rep.cname.nameString).toEqual(['SQL01$']);
    const asSent = login(l, 'host/sql01.contoso.com', key, { options: KdcOptions.forwardable });
    expect(asSent.rep.cname.nameString).toEqual(['host', 'sql01.contoso.com']);
    // A user's service ticket for any of its SPNs is sealed with the machine's key.
    l.realm.addUser('alice', { password: 'pw', encTypes: [18] });
    const alice = login(l, 'alice', userKey(REALM, 'alice', 'pw'));
    for (const spn of ['host/sql01.contoso.com', 'MSSQLSvc/sql01.contoso.com:1433']) {
      const st = tgsGet(l.kdc, { tgt: alice, realm: REALM, sname: spn, now: T0 });
      const part = openTicket(st.ticket, key);
      expect(part.cname.nameString).toEqual(['alice']);
    }
    expect(() => l.realm.addComputer('not a name')).toThrow(RangeError);
    expect(() => l.realm.addComputer('web', { spns: ['nohost'] })).toThrow(RangeError);
  });

  it('a user service account holds SPNs and logs on by its name', () => {
    const l = makeRealm(REALM, {}, new ManualClock(T0), { kind: 'active-directory' });
    l.realm.addUser('svc_sql', { password: 'svc-pw', spns: ['MSSQLSvc/db.contoso.com:1433'] });
    const key = userKey(REALM, 'svc_sql', 'svc-pw');
    login(l, 'svc_sql', key);
    l.realm.addUser('alice', { password: 'pw', encTypes: [18] });
    const alice = login(l, 'alice', userKey(REALM, 'alice', 'pw'));
    const st = tgsGet(l.kdc, { tgt: alice, realm: REALM, sname: 'MSSQLSvc/db.contoso.com:1433', now: T0 });
    expect(openTicket(st.ticket, key).crealm).toBe(REALM);
    expect(st.part.key.keytype).toBe(18);
  });
});

describe('realm kinds: the name a service reached by an alias is answered under', () => {
  const ALIAS = 'MSSQLSvc/mi1.abc123.database.windows.net';
  const SPN = `${ALIAS}:1433`;
  const ticketFor = (kind: RealmKind, options: number) => {
    const l = lab(kind);
    l.realm.addService(SPN, { aliases: [ALIAS] });
    const tgt = login(l, 'alice', userKey(REALM, 'alice', 'correct horse'));
    return tgsGet(l.kdc, { tgt, realm: REALM, sname: pn(ALIAS, NameType.NT_SRV_INST), options, now: T0 });
  };

  it('an MIT realm answers a canonicalize request under the canonical name, an AD realm under the alias asked for', () => {
    expect(ticketFor('mit', KdcOptions.canonicalize).part.sname.nameString.join('/')).toBe(SPN);
    // Java's client refuses a reply naming a service it did not ask for (KRB_AP_ERR_MODIFIED).
    const ad = ticketFor('active-directory', KdcOptions.canonicalize);
    expect(ad.part.sname.nameString.join('/')).toBe(ALIAS);
    expect(ad.ticket.sname.nameString.join('/')).toBe(ALIAS);
    // The AS exchange alike (a ticket for the service got with a password, as kpasswd's is).
    for (const [kind, want] of [
      ['mit', SPN],
      ['active-directory', ALIAS],
    ] as const) {
      const l = lab(kind);
      l.realm.addService(SPN, { aliases: [ALIAS] });
      const as = login(l, 'alice', userKey(REALM, 'alice', 'correct horse'), {
        sname: pn(ALIAS, NameType.NT_SRV_INST),
        options: KdcOptions.canonicalize,
      });
      expect(as.part.sname.nameString.join('/'), kind).toBe(want);
    }
    // Without canonicalize both answer as asked.
    for (const kind of ['mit', 'active-directory'] as const) {
      expect(ticketFor(kind, 0).part.sname.nameString.join('/'), kind).toBe(ALIAS);
    }
  });
});

describe('account name fallbacks (MS-KILE 3.3.5.6.1, 3.3.5.1.1)', () => {
  const salt = 'CONTOSO.COMhostsql01.contoso.com';

  function adLab(kind: RealmKind) {
    const l = makeRealm(REALM, {}, new ManualClock(T0), { kind });
    l.realm.addComputer('sql01', { password: 'machine-pw', spns: ['MSSQLSvc/sql01.contoso.com:1433'] });
    l.realm.addUser('bob', { password: 'pw', upn: 'robert@contoso.com' });
    return l;
  }

  it('an AD realm finds a computer by its name without the $, and a user by the UPN name@REALM', () => {
    const l = adLab('active-directory');
    const machine = login(l, 'SQL01', stringToKey(18, 'machine-pw', salt), {
      options: KdcOptions.canonicalize,
    });
    expect(machine.cname.nameString).toEqual(['SQL01$']);
    // bob's keys are salted by his UPN, as a DC salts them (`upnSalt`).
    const robert = login(l, 'robert', stringToKey(18, 'pw', `${REALM}robert`), {
      options: KdcOptions.canonicalize,
    });
    expect(robert.cname.nameString).toEqual(['bob']);
    // A server name too: SQL01 is SQL01$.
    const st = tgsGet(l.kdc, {
      tgt: robert,
      realm: REALM,
      sname: pn('SQL01', NameType.NT_PRINCIPAL),
      now: T0,
      options: KdcOptions.canonicalize,
    });
    expect(openTicket(st.ticket, stringToKey(18, 'machine-pw', salt)).cname.nameString).toEqual(['bob']);
  });

  it('an MIT realm matches names exactly', () => {
    const l = adLab('mit');
    const asks = (cname: string) =>
      errorOf(l.kdc.handle(asReq({ realm: REALM, cname, till: T0 + 3600_000, etypes: [18], padata: [] })))
        .errorCode;
    expect(asks('SQL01')).toBe(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN);
    expect(asks('robert')).toBe(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN);
  });
});

describe('enterprise names (RFC 6806 sections 5 and 7)', () => {
  function forests(kind: RealmKind) {
    const clock = new ManualClock(T0);
    const contoso = makeRealm(REALM, {}, clock, { kind });
    const fabrikam = makeRealm('FABRIKAM.COM', {}, clock, { kind });
    const lonely = makeRealm('LONELY.TEST', {}, clock, { kind });
    contoso.realm.addUser('alice', { password: 'pw', encTypes: [18], upn: 'Alice@Contoso.com' });
    contoso.realm.mapDomain('.fabrikam.com', 'FABRIKAM.COM').mapDomain('.lonely.test', 'LONELY.TEST');
    createTrust({ trusting: contoso.realm, trusted: fabrikam.realm, direction: 'one-way', kind: 'forest' });
    return { contoso, fabrikam, lonely };
  }
  const enterprise = (upn: string) => ({ nameType: NameType.NT_ENTERPRISE, nameString: [upn] });

  for (const kind of ['mit', 'active-directory'] as const) {
    it(`${kind}: refers an enterprise name of a trusted forest's suffix with WRONG_REALM and the client's realm`, () => {
      const { contoso } = forests(kind);
      const e = errorOf(contoso.kdc.handle(asReq({ realm: REALM, cname: enterprise('frank@fabrikam.com') })));
      expect(e.errorCode).toBe(ErrorCode.KDC_ERR_WRONG_REALM);
      expect(e.crealm).toBe('FABRIKAM.COM'); // even in an AD-shaped error: it is the referral
      expect(e.cname?.nameString).toEqual(['frank@fabrikam.com']);
      // A suffix no trust reaches, or none at all: the client is unknown.
      for (const upn of ['lou@lonely.test', 'who@nowhere.example', 'bare@']) {
        expect(
          errorOf(contoso.kdc.handle(asReq({ realm: REALM, cname: enterprise(upn) }))).errorCode,
          upn,
        ).toBe(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN);
      }
    });
  }

  it('matches UPNs without regard to case in an AD realm, exactly in an MIT realm', () => {
    const ad = forests('active-directory').contoso;
    const e = errorOf(ad.kdc.handle(asReq({ realm: REALM, cname: enterprise('ALICE@contoso.COM') })));
    expect(e.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_REQUIRED); // found: it wants pre-authentication
    const mit = forests('mit').contoso;
    expect(
      errorOf(mit.kdc.handle(asReq({ realm: REALM, cname: enterprise('Alice@Contoso.com') }))).errorCode,
    ).toBe(ErrorCode.KDC_ERR_PREAUTH_REQUIRED);
    // A bare account name as an enterprise name (MIT's kvno -U alice) is looked up in this realm.
    expect(errorOf(mit.kdc.handle(asReq({ realm: REALM, cname: enterprise('alice') }))).errorCode).toBe(
      ErrorCode.KDC_ERR_PREAUTH_REQUIRED,
    );
    // In an MIT realm another case is another name.
    expect(
      errorOf(mit.kdc.handle(asReq({ realm: REALM, cname: enterprise('ALICE@contoso.COM') }))).errorCode,
    ).toBe(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN);
  });
});
