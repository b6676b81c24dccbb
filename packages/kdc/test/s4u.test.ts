/**
 * S4U2Self (MS-SFU): PA-FOR-USER and PA-S4U-X509-USER, the forwardable rule,
 * and every refusal with its code.
 */
import {
  decodeKerbErrorData,
  decodeKerbExtError,
  decodePaS4uX509User,
  decodeTgsRep,
  encodePaForUser,
  encodeTgsReq,
  KdcOptions,
  NameType,
  type PaData,
  PaDataType,
  type PrincipalName,
  type S4uUserId,
  S4uUserIdOptions,
  TicketFlags,
} from '@krbsim/asn1';
import { ErrorCode } from '@krbsim/core';
import { type Key, stringToKey, verifyChecksum } from '@krbsim/crypto';
import type { PrincipalEntry } from '@krbsim/kdc';
import { describe, expect, it } from 'vitest';
import {
  asReq,
  type Creds,
  encTimestamp,
  errorOf,
  forgedCreds,
  paForUser as forUserPadata,
  login,
  makeRealm,
  openTicket,
  pacRequest,
  paPacOptionsRbcd,
  paS4uX509User,
  pn,
  s4uUserIdDer,
  T0,
  testKey,
  tgsGet,
  tgsReq,
  userKey,
} from './helpers';

const REALM = 'CONTOSO.COM';
const SVC = 'HTTP/web.contoso.com';

const SQL = 'MSSQLSvc/sql.contoso.com:1433';

function setup(opts: { trusted?: boolean; sensitive?: boolean; allowedTo?: string[]; rbcd?: boolean } = {}) {
  // AD realm, MIT-shaped errors: their e-text explains a failing assertion.
  const l = makeRealm(REALM, { krbErrorStyle: 'mit' }, undefined, { kind: 'active-directory' });
  l.realm.addUser('alice', { password: 'pw', sensitive: opts.sensitive ?? false });
  l.realm.addUser('websvc', {
    password: 'svc-pw',
    spns: [SVC],
    delegation: { trustedToAuthenticate: opts.trusted ?? false, allowedTo: opts.allowedTo ?? [] },
  });
  l.realm.addComputer('SQL', {
    password: 'sql-pw',
    spns: [SQL],
    ...(opts.rbcd === true && { delegation: { allowedFrom: ['websvc'] } }),
  });
  const svc = login(l, 'websvc', userKey(REALM, 'websvc', 'svc-pw'));
  return { ...l, svc, svcKey: userKey(REALM, 'websvc', 'svc-pw') };
}

const sessionKeyOf = (c: Creds): Key => c.sessionKey;

/** PA-FOR-USER for `user@realm` (CONTOSO.COM unless told). */
function paForUser(c: Creds, user: PrincipalName, realm = REALM, pkg = 'Kerberos', tamper = false) {
  return forUserPadata(c, user, realm, pkg, tamper);
}

const paX509 = paS4uX509User;

const alice = pn('alice', NameType.NT_PRINCIPAL);

describe('S4U2Self', () => {
  it("PA-FOR-USER's realm: a domain's in any case (a DC matches its DNS name so), an MIT realm's exactly", () => {
    const l = setup();
    const st = tgsGet(l.kdc, {
      tgt: l.svc,
      realm: REALM,
      sname: SVC,
      now: T0,
      extraPadata: [paForUser(l.svc, alice, REALM.toLowerCase())],
    });
    expect(openTicket(st.ticket, l.svcKey).crealm).toBe(REALM);
    // In an MIT realm another case is another realm, which no trust reaches (as MIT's KDC answers).
    const mit = makeRealm(REALM, { krbErrorStyle: 'mit' }, undefined, { kind: 'mit' });
    mit.realm.addUser('alice', { password: 'pw' });
    mit.realm.addService(SVC, { password: 'svc-pw' });
    const svc = login(mit, SVC, userKey(REALM, SVC, 'svc-pw'));
    const e = errorOf(
      mit.kdc.handle(
        tgsReq({
          tgt: svc,
          realm: REALM,
          sname: SVC,
          now: T0,
          extraPadata: [paForUser(svc, alice, 'contoso.com')],
        }),
      ),
    );
    expect(e.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
  });

  it('checks logon hours only when the service asks (MS-SFU 2.2.2, KDC_CHECK_LOGON_HOUR_RESTRICTIONS)', () => {
    const l = setup();
    // T0 is Thursday 00:00 UTC, hour 96 of the week: carol may log on on Fridays only.
    const hours = new Uint8Array(21);
    hours[120 >> 3]! |= 1 << (120 & 7);
    l.realm.addUser('carol', { password: 'pw', logonHours: hours });
    const carol = pn('carol', NameType.NT_PRINCIPAL);
    const ask = (padata: PaData) =>
      l.kdc.handle(tgsReq({ tgt: l.svc, realm: REALM, sname: SVC, now: T0, extraPadata: [padata] }));
    // PA-FOR-USER has no options, PA-S4U-X509-USER without the option: the ticket.
    expect(ask(paForUser(l.svc, carol))[0]).toBe(0x6d);
    expect(ask(paX509(l.svc, { nonce: 777, cname: carol, crealm: REALM }))[0]).toBe(0x6d);
    // With it: what a logon outside the hours gets.
    const e = errorOf(
      ask(
        paX509(l.svc, {
          nonce: 777,
          cname: carol,
          crealm: REALM,
          options: S4uUserIdOptions['check-logon-hour'],
        }),
      ),
    );
    expect([e.errorCode, e.eText]).toEqual([
      ErrorCode.KDC_ERR_CLIENT_REVOKED,
      expect.stringContaining('may not log on at this hour'),
    ]);
    // The other account checks hold either way.
    l.realm.lookup('carol')!.disabled = true;
    expect(errorOf(ask(paForUser(l.svc, carol))).errorCode).toBe(ErrorCode.KDC_ERR_CLIENT_REVOKED);
  });

  it("PA-FOR-USER gets websvc a ticket to itself in alice's name", () => {
    const l = setup();
    const st = tgsGet(l.kdc, {
      tgt: l.svc,
      realm: REALM,
      sname: SVC,
      now: T0,
      extraPadata: [paForUser(l.svc, alice)],
    });
    expect(st.cname.nameString).toEqual(['alice']);
    const part = openTicket(st.ticket, l.svcKey);
    expect(part.cname.nameString).toEqual(['alice']);
    expect(part.crealm).toBe(REALM);
    expect(l.log.at(-1)).toMatch(/-> TGS-REP \(S4U2Self for alice@CONTOSO.COM\)$/);
  });

  it('FORWARDABLE as MS-SFU 3.2.5.1.2 decides: by TrustedToAuthForDelegation, then by whether the service has classic delegation targets', () => {
    const FWD = KdcOptions.forwardable | KdcOptions.canonicalize;
    /** Whether websvc's S4U2Self ticket for alice is forwardable, in a realm of `kind`, asking with `options`. */
    const forwardable = (
      kind: 'active-directory' | 'mit',
      opts: { trusted: boolean; allowedTo?: string[]; sensitive?: boolean },
      options: number,
    ) => {
      const l = makeRealm(REALM, { krbErrorStyle: 'mit', issuePac: true }, undefined, { kind });
      l.realm.addUser('alice', { password: 'pw', sensitive: opts.sensitive ?? false });
      l.realm.addUser('websvc', {
        password: 'svc-pw',
        spns: [SVC],
        delegation: { trustedToAuthenticate: opts.trusted, allowedTo: opts.allowedTo ?? [] },
      });
      const key = userKey(REALM, 'websvc', 'svc-pw');
      const svc = login(l, 'websvc', key);
      const st = tgsGet(l.kdc, {
        tgt: svc,
        realm: REALM,
        sname: SVC,
        now: T0,
        options,
        extraPadata: [paForUser(svc, alice)],
      });
      const sealed = l.realm.lookup('websvc')!.keys.find((k) => k.key.etype === st.ticket.encPart.etype)!;
      return (openTicket(st.ticket, sealed.key).flags & TicketFlags.forwardable) !== 0;
    };
    const targets = [SQL];
    for (const kind of ['active-directory', 'mit'] as const) {
      // Not trusted, no classic targets: as any ticket from the TGT, forwardable when asked (Samba's
      // s4u_tests against Windows, test_s4u2self_not_trusted_empty_allowed; MIT's s4u2self_forwardable).
      expect(forwardable(kind, { trusted: false }, FWD), kind).toBe(true);
      expect(forwardable(kind, { trusted: false }, KdcOptions.canonicalize), kind).toBe(false);
      // Not trusted, with classic targets: "the KDC MUST NOT set the FORWARDABLE ticket flag".
      expect(forwardable(kind, { trusted: false, allowedTo: targets }, FWD), kind).toBe(false);
      // Trusted: forwardable, targets or not ...
      expect(forwardable(kind, { trusted: true, allowedTo: targets }, FWD), kind).toBe(true);
      // ... unless the user is sensitive and cannot be delegated.
      expect(forwardable(kind, { trusted: true, sensitive: true }, FWD), kind).toBe(false);
      expect(forwardable(kind, { trusted: false, sensitive: true }, FWD), kind).toBe(false);
    }
    // Trusted and not asked: an AD realm sets it ("MUST set"), an MIT realm follows the request.
    expect(forwardable('active-directory', { trusted: true }, KdcOptions.canonicalize)).toBe(true);
    expect(forwardable('mit', { trusted: true }, KdcOptions.canonicalize)).toBe(false);
  });

  it("refuses a user a logon would refuse: expired account or disabled (in MIT's order, with AD's codes)", () => {
    const cases: [string, (u: PrincipalEntry) => void, number, string][] = [
      [
        'account',
        (u) => (u.accountExpires = T0 - 1),
        // An AD realm: CLIENT_REVOKED (MS-KILE 3.3.5.6.3); MIT's NAME_EXP is held to MIT in kdc-s4u-differential.
        ErrorCode.KDC_ERR_CLIENT_REVOKED,
        'the account of alice@CONTOSO.COM has expired',
      ],
      [
        'disabled',
        (u) => (u.disabled = true),
        ErrorCode.KDC_ERR_CLIENT_REVOKED,
        'the account of alice@CONTOSO.COM is disabled',
      ],
    ];
    for (const [, edit, code, text] of cases) {
      const l = setup({ trusted: true });
      edit(l.realm.lookup('alice')!);
      for (const padata of [
        paForUser(l.svc, alice),
        paX509(l.svc, { nonce: 777, cname: alice, crealm: REALM }),
      ]) {
        const err = errorOf(
          l.kdc.handle(tgsReq({ tgt: l.svc, realm: REALM, sname: SVC, now: T0, extraPadata: [padata] })),
        );
        expect(err.errorCode).toBe(code);
        expect(err.eText).toContain(text);
      }
    }
  });

  it('serves a user whose password has expired or must be changed: S4U2Self is no password authentication (MIT, Windows)', () => {
    const edits: [string, (u: PrincipalEntry) => void][] = [
      ['expired password', (u) => (u.passwordExpires = T0)],
      ['must change', (u) => (u.passwordLastSet = 0)],
    ];
    for (const kind of ['active-directory', 'mit'] as const) {
      for (const [what, edit] of edits) {
        const l = makeRealm(REALM, { krbErrorStyle: 'mit', issuePac: true }, undefined, { kind });
        l.realm.addUser('alice', { password: 'pw' });
        l.realm.addUser('websvc', { password: 'svc-pw', spns: [SVC] });
        const svc = login(l, 'websvc', userKey(REALM, 'websvc', 'svc-pw'));
        edit(l.realm.lookup('alice')!);
        for (const padata of [
          paForUser(svc, alice),
          paX509(svc, { nonce: 777, cname: alice, crealm: REALM }),
        ]) {
          const st = tgsGet(l.kdc, { tgt: svc, realm: REALM, sname: SVC, now: T0, extraPadata: [padata] });
          expect([kind, what, st.cname.nameString]).toEqual([kind, what, ['alice']]);
        }
        // Her own logon is still refused: the password is what it checks.
        const padata = [encTimestamp(userKey(REALM, 'alice', 'pw'), T0)];
        const as = errorOf(l.kdc.handle(asReq({ realm: REALM, cname: 'alice', padata })));
        expect([kind, what, as.errorCode]).toEqual([kind, what, ErrorCode.KDC_ERR_KEY_EXPIRED]);
      }
    }
  });

  it('PA-S4U-X509-USER names the user and is echoed in the reply, checksummed with the reply key', () => {
    const l = setup();
    for (const options of [undefined, 0x20000000]) {
      const userId: S4uUserId = {
        nonce: 777,
        cname: alice,
        crealm: REALM,
        ...(options !== undefined && { options }),
      };
      const bytes = l.kdc.handle(
        tgsReq({
          tgt: l.svc,
          realm: REALM,
          sname: SVC,
          now: T0,
          extraPadata: [paX509(l.svc, userId), paForUser(l.svc, pn('nobody', 1))],
        }),
      );
      const rep = decodeTgsRep(bytes);
      expect(rep.cname.nameString).toEqual(['alice']); // the X.509 form won over PA-FOR-USER
      const echo = rep.padata?.find((p) => p.padataType === PaDataType.PA_FOR_X509_USER);
      expect(echo).toBeDefined();
      const pa = decodePaS4uX509User(echo!.padataValue);
      expect(pa.userId.cname).toEqual(alice);
      const usage = options === undefined ? 26 : 27;
      expect(
        verifyChecksum(sessionKeyOf(l.svc), usage, s4uUserIdDer(echo!.padataValue), pa.checksum.checksum),
      ).toBe(true);
    }
  });

  it('PA-S4U-X509-USER keyed with the subkey (MIT) or, as MS-SFU 2.2.2 says, the TGT session key; the echo with the same key', () => {
    const l = setup();
    const subkey = testKey(18, 'tgs-subkey');
    for (const [keyedWith, key] of [
      ['subkey', subkey],
      ['session key', sessionKeyOf(l.svc)],
    ] as const) {
      const userId: S4uUserId = { nonce: 777, cname: alice, crealm: REALM, options: 0x20000000 };
      const creds = tgsGet(l.kdc, {
        tgt: l.svc,
        realm: REALM,
        sname: SVC,
        now: T0,
        subkey,
        extraPadata: [paX509({ sessionKey: key }, userId)],
      });
      expect(creds.cname.nameString, keyedWith).toEqual(['alice']);
      const echo = creds.rep.padata?.find((p) => p.padataType === PaDataType.PA_FOR_X509_USER);
      const pa = decodePaS4uX509User(echo!.padataValue);
      expect(verifyChecksum(key, 27, s4uUserIdDer(echo!.padataValue), pa.checksum.checksum), keyedWith).toBe(
        true,
      );
    }
    // A key that is neither: refused.
    const other = testKey(18, 'someone else');
    const err = errorOf(
      l.kdc.handle(
        tgsReq({
          tgt: l.svc,
          realm: REALM,
          sname: SVC,
          now: T0,
          subkey,
          extraPadata: [paX509({ sessionKey: other }, { nonce: 777, cname: alice, crealm: REALM })],
        }),
      ),
    );
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
  });

  it("in an MIT realm, PA-S4U-X509-USER is checked with the subkey when there is one, else the session key, as MIT's KDC", () => {
    const l = makeRealm(REALM, { krbErrorStyle: 'mit', issuePac: true });
    l.realm.addUser('alice', { password: 'pw' });
    l.realm.addUser('websvc', { password: 'ws', delegation: { trustedToAuthenticate: true } });
    const svc = login(l, 'websvc', userKey(REALM, 'websvc', 'ws'), { options: KdcOptions.forwardable });
    const subkey = testKey(18, 'mit-tgs-subkey');
    const userId: S4uUserId = { nonce: 777, cname: alice, crealm: REALM };
    const ask = (key: Key, withSubkey: boolean) =>
      l.kdc.handle(
        tgsReq({
          tgt: svc,
          realm: REALM,
          sname: 'websvc',
          now: T0,
          ...(withSubkey && { subkey }),
          extraPadata: [paX509({ sessionKey: key }, userId)],
        }),
      );
    // Keyed with the session key beside a subkey: refused (kdc_process_s4u_x509_user verifies with the
    // subkey only), not served in the service's name nor in alice's.
    const err = errorOf(ask(sessionKeyOf(svc), true));
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(err.eText).toContain('the PA-S4U-X509-USER checksum does not verify');
    // The subkey beside a subkey, the session key without one: alice's ticket.
    expect(decodeTgsRep(ask(subkey, true)).cname.nameString).toEqual(['alice']);
    expect(decodeTgsRep(ask(sessionKeyOf(svc), false)).cname.nameString).toEqual(['alice']);
  });

  it('an AD realm refuses S4U2Self by a user account without SPNs unless with user-to-user: KDC_ERR_S_PRINCIPAL_UNKNOWN (Samba)', () => {
    const l = setup();
    l.realm.addUser('nospn', { password: 'np' });
    const nospn = login(l, 'nospn', userKey(REALM, 'nospn', 'np'));
    const s4u = (options: number, additionalTickets?: Creds['ticket'][]) =>
      l.kdc.handle(
        tgsReq({
          tgt: nospn,
          realm: REALM,
          sname: 'nospn',
          now: T0,
          options,
          ...(additionalTickets !== undefined && { additionalTickets }),
          extraPadata: [paForUser(nospn, alice)],
        }),
      );
    const err = errorOf(s4u(KdcOptions.forwardable | KdcOptions.canonicalize));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
    expect(err.eText).toContain('S4U2Self: nospn@CONTOSO.COM is a user account without SPNs');
    // With its own TGT as the second ticket (Impacket's getST -self -u2u): alice's ticket.
    const u2u = s4u(KdcOptions.forwardable | KdcOptions.canonicalize | KdcOptions['enc-tkt-in-skey'], [
      nospn.ticket,
    ]);
    expect(decodeTgsRep(u2u).cname.nameString).toEqual(['alice']);
    // A plain request for it stays the user-to-user refusal of any TGS-REQ.
    const plain = errorOf(l.kdc.handle(tgsReq({ tgt: nospn, realm: REALM, sname: 'nospn', now: T0 })));
    expect(plain.errorCode).toBe(ErrorCode.KDC_ERR_MUST_USE_USER2USER);
    // An account with an SPN is served as before.
    expect(
      decodeTgsRep(
        l.kdc.handle(
          tgsReq({ tgt: l.svc, realm: REALM, sname: SVC, now: T0, extraPadata: [paForUser(l.svc, alice)] }),
        ),
      ).cname.nameString,
    ).toEqual(['alice']);
  });

  it('refuses, never ignores: bad checksums, other servers, unknown or foreign users, certificates alone', () => {
    const l = setup();
    const code = (padata: PaData[], sname: string | PrincipalName = SVC) =>
      errorOf(l.kdc.handle(tgsReq({ tgt: l.svc, realm: REALM, sname, now: T0, extraPadata: padata })))
        .errorCode;
    expect(code([paForUser(l.svc, alice, REALM, 'Kerberos', true)])).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(code([paForUser(l.svc, alice, REALM, 'NTLM')])).toBe(ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP);
    // An unkeyed checksum (sha1, 14) anyone could compute: refused as inappropriate.
    const unkeyed = {
      padataType: PaDataType.PA_FOR_USER,
      padataValue: encodePaForUser({
        userName: alice,
        userRealm: REALM,
        cksum: { cksumtype: 14, checksum: new Uint8Array(20) },
        authPackage: 'Kerberos',
      }),
    };
    expect(code([unkeyed])).toBe(ErrorCode.KRB_AP_ERR_INAPP_CKSUM);
    // A checksum type no one knows: SUMTYPE_NOSUPP (RFC 4120 section 3.3.2's code), named for PA-FOR-USER.
    const unknownType = {
      padataType: PaDataType.PA_FOR_USER,
      padataValue: encodePaForUser({
        userName: alice,
        userRealm: REALM,
        cksum: { cksumtype: 9999, checksum: new Uint8Array(16) },
        authPackage: 'Kerberos',
      }),
    };
    const unknown = errorOf(
      l.kdc.handle(tgsReq({ tgt: l.svc, realm: REALM, sname: SVC, now: T0, extraPadata: [unknownType] })),
    );
    expect(unknown.errorCode).toBe(ErrorCode.KDC_ERR_SUMTYPE_NOSUPP);
    expect(unknown.eText).toContain('the PA-FOR-USER checksum type 9999 is not supported');
    expect(code([paForUser(l.svc, pn('mallory', 1))])).toBe(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN);
    expect(code([paForUser(l.svc, alice, 'FABRIKAM.COM')])).toBe(ErrorCode.KDC_ERR_POLICY);
    l.realm.addService('HTTP/other.contoso.com');
    expect(code([paForUser(l.svc, alice)], 'HTTP/other.contoso.com')).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(
      code([paX509(l.svc, { nonce: 777, crealm: REALM, subjectCertificate: new Uint8Array([0x30, 0]) })]),
    ).toBe(ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP);
    // A certificate beside a name is the user to find too (MIT looks it up): refused, not ignored.
    const both = errorOf(
      l.kdc.handle(
        tgsReq({
          tgt: l.svc,
          realm: REALM,
          sname: SVC,
          now: T0,
          extraPadata: [
            paX509(l.svc, {
              nonce: 777,
              cname: alice,
              crealm: REALM,
              subjectCertificate: Uint8Array.of(0x30, 0),
            }),
          ],
        }),
      ),
    );
    expect([both.errorCode, both.eText]).toEqual([
      ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP,
      expect.stringContaining('a subject-certificate in S4UUserID, beside a cname'),
    ]);
    // Neither a name nor a certificate: no user to find, as MIT answers.
    expect(code([paX509(l.svc, { nonce: 777, crealm: REALM })])).toBe(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN);
    expect(code([paX509(l.svc, { nonce: 1, cname: alice, crealm: REALM })])).toBe(
      ErrorCode.KRB_AP_ERR_MODIFIED,
    );
  });
});

describe('S4U options MIT refuses (check_tgs_s4u2self, check_tgs_s4u2proxy)', () => {
  const rtime = T0 + 7 * 24 * 3600_000;

  it('PA-FOR-USER on a RENEW of a forwardable service ticket: BADOPTION, not a forwardable ticket in the user name', () => {
    // websvc is not trusted to authenticate for delegation: its S4U2Self tickets are never forwardable.
    const l = setup({ allowedTo: [SQL] });
    const tgt = login(l, 'websvc', l.svcKey, { rtime });
    const own = tgsGet(l.kdc, {
      tgt,
      realm: REALM,
      sname: SVC,
      now: T0,
      rtime,
      options: KdcOptions.forwardable | KdcOptions.renewable | KdcOptions.canonicalize,
    });
    expect(openTicket(own.ticket, l.svcKey).flags & TicketFlags.forwardable).not.toBe(0);
    for (const options of [
      KdcOptions.renew,
      KdcOptions.validate,
      KdcOptions.forwardable | KdcOptions.forwarded,
    ]) {
      const e = errorOf(
        l.kdc.handle(
          tgsReq({
            tgt: options === KdcOptions.renew ? own : tgt,
            realm: REALM,
            sname: SVC,
            now: T0 + 1000,
            options,
            extraPadata: [paForUser(options === KdcOptions.renew ? own : tgt, alice)],
          }),
        ),
      );
      expect(e.errorCode, `options ${options}`).toBe(ErrorCode.KDC_ERR_BADOPTION);
    }
  });

  it('S4U2Self with user-to-user: served by an AD realm (a DC does: getPac), refused by an MIT realm (BADOPTION)', () => {
    for (const kind of ['active-directory', 'mit'] as const) {
      const l = makeRealm(REALM, { krbErrorStyle: 'mit', issuePac: true }, undefined, { kind });
      l.realm.addUser('alice', { password: 'pw' });
      l.realm.addUser('bob', { password: 'bob-pw' });
      const bobKey = userKey(REALM, 'bob', 'bob-pw');
      const bob = login(l, 'bob', bobKey);
      const reply = l.kdc.handle(
        tgsReq({
          tgt: bob,
          realm: REALM,
          sname: 'bob',
          now: T0,
          options: KdcOptions.forwardable | KdcOptions.canonicalize | KdcOptions['enc-tkt-in-skey'],
          additionalTickets: [bob.ticket],
          extraPadata: [paForUser(bob, alice)],
        }),
      );
      if (kind === 'mit') expect(errorOf(reply).errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
      else expect(reply[0], kind).toBe(0x6d); // TGS-REP
    }
  });

  it('S4U2Proxy with RENEW (renewable evidence or not): BADOPTION before any time is computed', () => {
    const l = setup({ trusted: true, allowedTo: [SQL] });
    const tgt = login(l, 'websvc', l.svcKey, { rtime });
    const renewable = KdcOptions.forwardable | KdcOptions.renewable | KdcOptions.canonicalize;
    const toSql = tgsGet(l.kdc, { tgt, realm: REALM, sname: SQL, now: T0, rtime, options: renewable });
    for (const evidenceOptions of [renewable, KdcOptions.forwardable | KdcOptions.canonicalize]) {
      const evidence = tgsGet(l.kdc, {
        tgt,
        realm: REALM,
        sname: SVC,
        now: T0,
        rtime,
        options: evidenceOptions,
        extraPadata: [paForUser(tgt, alice)],
      });
      const e = errorOf(
        l.kdc.handle(
          tgsReq({
            tgt: toSql,
            realm: REALM,
            sname: SQL,
            now: T0 + 1000,
            options: KdcOptions.renew | KdcOptions['constrained-delegation'],
            additionalTickets: [evidence.ticket],
          }),
        ),
      );
      expect(e.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
      expect(e.eText).toContain('S4U2Proxy cannot be combined with RENEW');
    }
  });
});

describe('S4U needs PACs where the realm issues them (MIT: S4U2PROXY_NO_STKT_PAC, S4U2SELF_NO_PAC)', () => {
  /** websvc, allowed to delegate to SQL (no protocol transition), in a realm of `kind` issuing PACs. */
  function pacRealm(kind: 'mit' | 'active-directory') {
    const l = makeRealm(REALM, { krbErrorStyle: 'mit', issuePac: true }, undefined, { kind });
    l.realm.addUser('admin', { password: 'admin-pw' });
    l.realm.addUser('alice', { password: 'pw' });
    l.realm.addUser('websvc', {
      password: 'svc-pw',
      spns: [SVC],
      delegation: { trustedToAuthenticate: false, allowedTo: [SQL] },
    });
    l.realm.addComputer('SQL', { password: 'sql-pw', spns: [SQL] });
    const svcKey = userKey(REALM, 'websvc', 'svc-pw');
    return { ...l, svcKey, svc: login(l, 'websvc', svcKey) };
  }

  /** S4U2Proxy to SQL with a forwardable, PAC-less ticket websvc sealed itself for `victim`. */
  function forgedProxy(l: ReturnType<typeof pacRealm>, victim: string) {
    const kvno = l.realm.lookup('websvc')!.keys.find((k) => k.key.etype === 18)!.kvno;
    const forged = forgedCreds(REALM, SVC, REALM, victim, l.svcKey, kvno).ticket;
    return errorOf(
      l.kdc.handle(
        tgsReq({
          tgt: l.svc,
          realm: REALM,
          sname: SQL,
          now: T0,
          options: KdcOptions.forwardable | KdcOptions['constrained-delegation'] | KdcOptions.canonicalize,
          additionalTickets: [forged],
        }),
      ),
    );
  }

  it('refuses evidence without a PAC: one a service sealed itself, for a user (MIT realm) or a name with no account (AD)', () => {
    const mit = forgedProxy(pacRealm('mit'), 'admin');
    expect(mit.errorCode).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(mit.eText).toContain('the evidence ticket carries no PAC');
    const ad = forgedProxy(pacRealm('active-directory'), 'root');
    expect(ad.errorCode).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
  });

  it('refuses S4U2Self from a TGT without a PAC (PA-PAC-REQUEST false) in a realm that issues PACs', () => {
    const l = pacRealm('mit');
    const bare = login(l, 'websvc', l.svcKey, { padata: [encTimestamp(l.svcKey, T0), pacRequest(false)] });
    expect(openTicket(bare.ticket, l.realm.krbtgt.keys[0]!.key).authorizationData ?? []).toEqual([]);
    const e = errorOf(
      l.kdc.handle(
        tgsReq({ tgt: bare, realm: REALM, sname: SVC, now: T0, extraPadata: [paForUser(bare, alice)] }),
      ),
    );
    expect(e.errorCode).toBe(ErrorCode.KDC_ERR_TGT_REVOKED);
    expect(e.eText).toContain('S4U2Self needs a TGT that carries a PAC');
    // With its PAC, the same service may.
    const st = tgsGet(l.kdc, {
      tgt: l.svc,
      realm: REALM,
      sname: SVC,
      now: T0,
      extraPadata: [paForUser(l.svc, alice)],
    });
    expect(st.cname.nameString).toEqual(['alice']);
  });
});

describe('S4U2Self without an authentication header', () => {
  it('PA-FOR-USER or PA-S4U-X509-USER in a TGS-REQ without PA-TGS-REQ: KDC_ERR_PADATA_TYPE_NOSUPP', () => {
    const l = setup();
    for (const pa of [paForUser(l.svc, alice), paX509(l.svc, { nonce: 777, cname: alice, crealm: REALM })]) {
      const bytes = encodeTgsReq({
        pvno: 5,
        msgType: 12,
        padata: [pa],
        reqBody: { kdcOptions: 0, realm: REALM, sname: pn(SVC), till: T0 + 1000, nonce: 777, etype: [18] },
      });
      const err = errorOf(l.kdc.handle(bytes));
      expect(err.errorCode).toBe(ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP);
      expect(err.eText).toContain('S4U2Self needs a PA-TGS-REQ');
    }
  });
});

describe('S4U2Proxy', () => {
  const PROXY = KdcOptions.forwardable | KdcOptions['constrained-delegation'] | KdcOptions.canonicalize;
  const sqlKey = () => stringToKey(18, 'sql-pw', 'CONTOSO.COMhostsql.contoso.com');

  /**
   * S4U2Self, then S4U2Proxy to `target` with that evidence, asking for resource-based
   * delegation with PA-PAC-OPTIONS as MIT and Windows do (`rbcdBit`).
   */
  /** alice's S4U2Self ticket to websvc, from its usual TGT: the evidence of an S4U2Proxy request. */
  const evidence = (l: ReturnType<typeof setup>) =>
    tgsGet(l.kdc, {
      tgt: l.svc,
      realm: REALM,
      sname: SVC,
      now: T0,
      options: KdcOptions.forwardable | KdcOptions.canonicalize,
      extraPadata: [paForUser(l.svc, alice)],
    });

  function proxy(l: ReturnType<typeof setup>, target = SQL, rbcdBit = true) {
    const self = evidence(l);
    return l.kdc.handle(
      tgsReq({
        tgt: l.svc,
        realm: REALM,
        sname: target,
        now: T0,
        options: PROXY,
        additionalTickets: [self.ticket],
        ...(rbcdBit && { extraPadata: [paPacOptionsRbcd] }),
      }),
    );
  }

  it("a proxy ticket ends no later than the service's own TGT either (RFC 4120 3.3.3, MIT's compute_ticket_times)", () => {
    const l = setup({ trusted: true, allowedTo: [SQL] });
    // The evidence from websvc's 10-hour TGT; the S4U2Proxy request under a TGT that ends in an hour.
    const self = evidence(l);
    const short = login(l, 'websvc', l.svcKey, { till: T0 + 3600_000 });
    const rep = tgsGet(l.kdc, {
      tgt: short,
      realm: REALM,
      sname: SQL,
      now: T0,
      till: T0 + 10 * 3600_000,
      options: PROXY,
      additionalTickets: [self.ticket],
    });
    expect(self.part.endtime).toBeGreaterThan(T0 + 3600_000);
    expect(rep.part.endtime).toBe(short.part.endtime);
  });

  it('classic constrained delegation: websvc reaches SQL as alice with a forwardable evidence ticket', () => {
    const l = setup({ trusted: true, allowedTo: [SQL] });
    const rep = decodeTgsRep(proxy(l));
    expect(rep.cname.nameString).toEqual(['alice']);
    const part = openTicket(rep.ticket, sqlKey());
    expect(part.cname.nameString).toEqual(['alice']);
    expect(part.flags & TicketFlags.forwardable).not.toBe(0);
    expect(l.log.at(-1)).toMatch(/-> TGS-REP \(S4U2Proxy for alice@CONTOSO.COM\)$/);
  });

  it('a member of Protected Users cannot be delegated, as if sensitive, directly or through a nested group', () => {
    for (const via of ['direct', 'nested'] as const) {
      const rbcd = setup({ trusted: true, rbcd: true });
      const d = rbcd.realm.directory;
      if (via === 'direct') d.addMember('Protected Users', 'alice');
      else {
        d.addGroup('Tier0');
        d.addMember('Tier0', 'alice');
        d.addMember('Protected Users', 'Tier0');
      }
      // Her S4U2Self ticket is not forwardable though websvc is trusted to authenticate ...
      const self = tgsGet(rbcd.kdc, {
        tgt: rbcd.svc,
        realm: REALM,
        sname: SVC,
        now: T0,
        options: KdcOptions.forwardable,
        extraPadata: [paForUser(rbcd.svc, alice)],
      });
      expect(openTicket(self.ticket, rbcd.svcKey).flags & TicketFlags.forwardable).toBe(0);
      // ... and resource-based delegation, which would take that ticket, refuses her.
      const e = errorOf(proxy(rbcd));
      expect(e.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
      expect(e.eText).toMatch(/alice@CONTOSO.COM is sensitive and cannot be delegated/);
    }
    // Without the membership, the same request succeeds.
    expect(decodeTgsRep(proxy(setup({ trusted: true, rbcd: true }))).cname.nameString).toEqual(['alice']);
  });

  it('resource-based delegation accepts a non-forwardable evidence ticket, when PA-PAC-OPTIONS asks for it (MS-SFU 3.2.5.2.1)', () => {
    // websvc, not trusted to authenticate, with a classic target: its S4U2Self tickets are not forwardable.
    const notForwardable = { trusted: false, allowedTo: ['HTTP/other.contoso.com'], rbcd: true };
    const l = setup(notForwardable);
    expect(openTicket(evidence(l).ticket, l.svcKey).flags & TicketFlags.forwardable).toBe(0);
    const reply = proxy(l);
    expect(decodeTgsRep(reply).cname.nameString).toEqual(['alice']);
    // Without the resource-based bit the KDC looks at the classic list alone.
    const without = errorOf(proxy(setup(notForwardable), SQL, false));
    expect(without.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(without.eText).toContain('did not ask for resource-based delegation with PA-PAC-OPTIONS');
    // Listed for classic delegation but with a non-forwardable evidence ticket: resource-based
    // delegation is tried when asked for, refused when not.
    const both = { trusted: false, allowedTo: [SQL], rbcd: true };
    expect(decodeTgsRep(proxy(setup(both))).cname.nameString).toEqual(['alice']);
    expect(errorOf(proxy(setup(both), SQL, false)).eText).toContain('the evidence ticket is not forwardable');
  });

  it('matches the allowed-to-delegate-to SPN without regard to case in an AD realm, as AD compares names', () => {
    const l = setup({ trusted: true, allowedTo: [SQL.toUpperCase()] });
    expect(decodeTgsRep(proxy(l)).cname.nameString).toEqual(['alice']);
    // Where names match exactly (an MIT realm's rule, set here on the same realm), it does not match.
    const exact = setup({ trusted: true, allowedTo: [SQL.toUpperCase()] });
    exact.realm.policy.caseInsensitiveNames = false;
    expect(errorOf(proxy(exact, SQL, false)).errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
  });

  it("says why in a Windows KDC's NTSTATUS (MS-SFU 3.2.5.2.1, 3.2.5.2.3): NOT_SUPPORTED, NO_MATCH, NOT_FOUND", () => {
    const status = (l: ReturnType<typeof setup>, rbcdBit = true) => {
      l.realm.policy.krbErrorStyle = 'active-directory';
      const e = errorOf(proxy(l, SQL, rbcdBit));
      expect(e.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
      return decodeKerbExtError(decodeKerbErrorData(e.eData!).dataValue!).ntStatus;
    };
    // No classic list at all, no resource-based bit: STATUS_NOT_SUPPORTED.
    expect(status(setup({ trusted: true }), false)).toBe(0xc00000bb);
    // A classic list that does not name SQL: STATUS_NO_MATCH.
    expect(status(setup({ trusted: true, allowedTo: ['HTTP/other.contoso.com'] }), false)).toBe(0xc0000272);
    // Listed, but the evidence is not forwardable: STATUS_NO_MATCH.
    expect(status(setup({ trusted: false, allowedTo: [SQL] }), false)).toBe(0xc0000272);
    // Resource-based asked for, and the target's list does not name websvc: STATUS_NOT_FOUND.
    expect(status(setup({ trusted: true }))).toBe(0xc0000225);
  });

  it('refuses with KDC_ERR_BADOPTION what neither list allows, and non-forwardable evidence for classic', () => {
    expect(errorOf(proxy(setup({ trusted: true }))).errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(errorOf(proxy(setup({ trusted: false, allowedTo: [SQL] }))).errorCode).toBe(
      ErrorCode.KDC_ERR_BADOPTION,
    );
    expect(errorOf(proxy(setup({ trusted: true, allowedTo: [SQL], sensitive: true }))).errorCode).toBe(
      ErrorCode.KDC_ERR_BADOPTION,
    );
    expect(errorOf(proxy(setup({ rbcd: true, sensitive: true }))).errorCode).toBe(
      ErrorCode.KDC_ERR_BADOPTION,
    );
    const l = setup({ trusted: true, allowedTo: [SQL] });
    const code = (i: Partial<Parameters<typeof tgsReq>[0]>) =>
      errorOf(l.kdc.handle(tgsReq({ tgt: l.svc, realm: REALM, sname: SQL, now: T0, options: PROXY, ...i })))
        .errorCode;
    expect(code({})).toBe(ErrorCode.KDC_ERR_BADOPTION); // no evidence
    // Classic delegation names SPNs: another SPN of the same account is not allowed.
    const other = setup({ trusted: true, allowedTo: [SQL] });
    expect(errorOf(proxy(other, 'host/sql.contoso.com')).errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    // S4U2Proxy may not ask for a TGT: that would be unconstrained delegation.
    const tgt = errorOf(proxy(setup({ trusted: true, allowedTo: [SQL] }), `krbtgt/${REALM}`));
    expect(tgt.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(tgt.eText).toContain('S4U2Proxy cannot ask for a TGT (that would be unconstrained)');
    // Evidence from another realm that is not the referral TGT of MS-SFU 3.2.5.2.3: POLICY.
    const foreign = forgedCreds('FABRIKAM.COM', SVC, 'FABRIKAM.COM', 'alice', testKey(18, 'fab'), 1).ticket;
    const across = errorOf(
      l.kdc.handle(
        tgsReq({
          tgt: l.svc,
          realm: REALM,
          sname: SQL,
          now: T0,
          options: PROXY,
          additionalTickets: [foreign],
        }),
      ),
    );
    expect(across.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(across.eText).toContain('with evidence from FABRIKAM.COM: across realms, only the referral TGT');
    // Evidence that is not a ticket to websvc: alice's own TGT.
    l.realm.addUser('bob', { password: 'pw' });
    const bob = login(l, 'bob', userKey(REALM, 'bob', 'pw'));
    expect(code({ additionalTickets: [bob.ticket] })).toBe(ErrorCode.KDC_ERR_BADOPTION);
  });
});

describe('S4U2Proxy decides from the evidence PAC whether the user may be delegated (MS-SFU 3.2.5.2.1)', () => {
  const PROXY = KdcOptions.forwardable | KdcOptions['constrained-delegation'] | KdcOptions.canonicalize;

  /** alice (UPN alice@contoso.com) sensitive or in Protected Users; SQL's resource-based list names websvc. */
  function notDelegated(how: 'sensitive' | 'Protected Users' | 'neither') {
    const l = makeRealm(REALM, { krbErrorStyle: 'mit' }, undefined, { kind: 'active-directory' });
    l.realm.addUser('alice', { password: 'pw', sensitive: how === 'sensitive', upn: 'alice@contoso.com' });
    if (how === 'Protected Users') l.realm.directory.addMember('Protected Users', 'alice');
    l.realm.addUser('websvc', {
      password: 'svc-pw',
      spns: [SVC],
      delegation: { trustedToAuthenticate: true },
    });
    l.realm.addComputer('SQL', { password: 'sql-pw', spns: [SQL], delegation: { allowedFrom: ['websvc'] } });
    return { ...l, svc: login(l, 'websvc', userKey(REALM, 'websvc', 'svc-pw')) };
  }

  /** S4U2Self for alice named `name`, then S4U2Proxy to SQL asking for resource-based delegation. */
  function rbcdAs(l: ReturnType<typeof notDelegated>, name: PrincipalName) {
    const self = tgsGet(l.kdc, {
      tgt: l.svc,
      realm: REALM,
      sname: SVC,
      now: T0,
      extraPadata: [paForUser(l.svc, name)],
    });
    return l.kdc.handle(
      tgsReq({
        tgt: l.svc,
        realm: REALM,
        sname: SQL,
        now: T0,
        options: PROXY,
        additionalTickets: [self.ticket],
        extraPadata: [paPacOptionsRbcd],
      }),
    );
  }

  const names = [
    pn('alice', NameType.NT_PRINCIPAL),
    pn('ALICE', NameType.NT_PRINCIPAL),
    { nameType: NameType.NT_ENTERPRISE, nameString: ['alice@contoso.com'] },
    { nameType: NameType.NT_ENTERPRISE, nameString: [`alice@${REALM}`] },
  ];

  it('refuses a sensitive user or a member of Protected Users by whatever name S4U2Self gave her (UPN, enterprise name, another case)', () => {
    for (const how of ['sensitive', 'Protected Users'] as const) {
      for (const name of names) {
        const e = errorOf(rbcdAs(notDelegated(how), name));
        expect([how, name.nameString[0], e.errorCode]).toEqual([
          how,
          name.nameString[0],
          ErrorCode.KDC_ERR_BADOPTION,
        ]);
        expect(e.eText).toContain('is sensitive and cannot be delegated');
      }
    }
  });

  it('serves any of those names for a user who may be delegated, the ticket in the name the evidence gives', () => {
    for (const name of names) {
      const rep = decodeTgsRep(rbcdAs(notDelegated('neither'), name));
      expect(rep.cname).toEqual(name);
      const etp = openTicket(rep.ticket, stringToKey(18, 'sql-pw', 'CONTOSO.COMhostsql.contoso.com'));
      expect(etp.flags & TicketFlags.forwardable).toBe(TicketFlags.forwardable);
    }
  });
});

describe('S4U in a realm that issues no PACs (MIT disable_pac: S4U2Self and S4U2Proxy disabled)', () => {
  const PROXY = KdcOptions.forwardable | KdcOptions['constrained-delegation'] | KdcOptions.canonicalize;

  /** The default `mit` realm (issuePac false): websvc, trusted, classic delegation to SQL. */
  function pacless() {
    const l = makeRealm(REALM, { krbErrorStyle: 'mit' });
    l.realm.addUser('admin', { password: 'admin-pw' });
    l.realm.addUser('websvc', {
      password: 'svc-pw',
      spns: [SVC],
      delegation: { trustedToAuthenticate: true, allowedTo: [SQL] },
    });
    l.realm.addService(SQL, { password: 'sql-pw' });
    const svcKey = userKey(REALM, 'websvc', 'svc-pw');
    return { ...l, svcKey, svc: login(l, 'websvc', svcKey) };
  }

  it("refuses S4U2Proxy with evidence websvc sealed itself, in anyone's name: KDC_ERR_TGT_REVOKED", () => {
    const l = pacless();
    expect(l.realm.policy.issuePac).toBe(false);
    const kvno = l.realm.lookup('websvc')!.keys.find((k) => k.key.etype === 18)!.kvno;
    const forged = forgedCreds(REALM, SVC, REALM, 'admin', l.svcKey, kvno).ticket;
    const e = errorOf(
      l.kdc.handle(
        tgsReq({
          tgt: l.svc,
          realm: REALM,
          sname: SQL,
          now: T0,
          options: PROXY,
          additionalTickets: [forged],
        }),
      ),
    );
    expect([e.errorCode, e.eText]).toEqual([
      ErrorCode.KDC_ERR_TGT_REVOKED,
      `S4U2Proxy needs a TGT that carries a PAC, and ${REALM} issues no PACs (issuePac false, MIT's disable_pac): S4U2Self and S4U2Proxy are disabled`,
    ]);
  });

  it('refuses S4U2Self too (MIT: S4U2SELF_NO_PAC), after the user is found', () => {
    const l = pacless();
    const ask = (user: string) =>
      errorOf(
        l.kdc.handle(
          tgsReq({
            tgt: l.svc,
            realm: REALM,
            sname: SVC,
            now: T0,
            extraPadata: [paForUser(l.svc, pn(user, 1))],
          }),
        ),
      );
    const e = ask('admin');
    expect([e.errorCode, e.eText]).toEqual([
      ErrorCode.KDC_ERR_TGT_REVOKED,
      `S4U2Self needs a TGT that carries a PAC, and ${REALM} issues no PACs (issuePac false, MIT's disable_pac): S4U2Self and S4U2Proxy are disabled`,
    ]);
    expect(ask('nobody').errorCode).toBe(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN);
    // The same realm issuing PACs (MIT's default since 1.20) serves it.
    const withPacs = makeRealm(REALM, { krbErrorStyle: 'mit', issuePac: true });
    withPacs.realm.addUser('admin', { password: 'admin-pw' });
    withPacs.realm.addUser('websvc', { password: 'svc-pw', spns: [SVC] });
    const svc = login(withPacs, 'websvc', userKey(REALM, 'websvc', 'svc-pw'));
    const st = tgsGet(withPacs.kdc, {
      tgt: svc,
      realm: REALM,
      sname: SVC,
      now: T0,
      extraPadata: [paForUser(svc, pn('admin', 1))],
    });
    expect(st.cname.nameString).toEqual(['admin']);
  });
});

describe("S4U2Proxy in an MIT realm, as MIT's KDC (check_tgs_s4u2proxy, get_ticket_flags)", () => {
  /** websvc in an MIT realm issuing PACs: classic delegation to SQL and SQL's resource-based list. */
  function mitRealm(opts: { trusted: boolean; allowedTo: string[] }) {
    const l = makeRealm(REALM, { krbErrorStyle: 'mit', issuePac: true }, undefined, { kind: 'mit' });
    l.realm.addUser('alice', { password: 'pw' });
    l.realm.addUser('websvc', {
      password: 'svc-pw',
      spns: [SVC],
      delegation: { trustedToAuthenticate: opts.trusted, allowedTo: opts.allowedTo },
    });
    l.realm.addUser('svc_sql', { password: 'sql-pw', spns: [SQL], delegation: { allowedFrom: ['websvc'] } });
    return { ...l, svcKey: userKey(REALM, 'websvc', 'svc-pw') };
  }

  const selfFor = (l: ReturnType<typeof mitRealm>, tgt: Creds) =>
    tgsGet(l.kdc, {
      tgt,
      realm: REALM,
      sname: SVC,
      now: T0,
      extraPadata: [paForUser(tgt, alice)],
    });

  const proxyWith = (l: ReturnType<typeof mitRealm>, tgt: Creds, evidence: Creds, options: number) =>
    l.kdc.handle(
      tgsReq({
        tgt,
        realm: REALM,
        sname: SQL,
        now: T0,
        options: options | KdcOptions['constrained-delegation'],
        additionalTickets: [evidence.ticket],
        extraPadata: [paPacOptionsRbcd],
      }),
    );

  const sqlTicket = (l: ReturnType<typeof mitRealm>, reply: Uint8Array) => {
    const t = decodeTgsRep(reply).ticket;
    return openTicket(t, l.realm.lookup('svc_sql')!.keys.find((k) => k.key.etype === t.encPart.etype)!.key);
  };

  it('refuses non-forwardable evidence even for resource-based delegation (EVIDENCE_TKT_NOT_FORWARDABLE)', () => {
    // Not trusted, with a classic target: MIT's s4u2self_forwardable clears FORWARDABLE.
    const l = mitRealm({ trusted: false, allowedTo: ['HTTP/other.contoso.com'] });
    const tgt = login(l, 'websvc', l.svcKey);
    const self = selfFor(l, tgt);
    expect(self.part.flags & TicketFlags.forwardable).toBe(0);
    const e = errorOf(proxyWith(l, tgt, self, KdcOptions.forwardable | KdcOptions.canonicalize));
    expect([e.errorCode, e.eText]).toEqual([
      ErrorCode.KDC_ERR_BADOPTION,
      'S4U2Proxy: the evidence ticket is not forwardable',
    ]);
    // The same evidence in an AD realm: resource-based delegation takes it (MS-SFU 3.2.5.2.1).
    const ad = setup({ trusted: false, allowedTo: ['HTTP/other.contoso.com'], rbcd: true });
    const adSelf = tgsGet(ad.kdc, {
      tgt: ad.svc,
      realm: REALM,
      sname: SVC,
      now: T0,
      extraPadata: [paForUser(ad.svc, alice)],
    });
    expect(adSelf.part.flags & TicketFlags.forwardable).toBe(0);
    expect(decodeTgsRep(proxyWith(ad, ad.svc, adSelf, KdcOptions.canonicalize)).cname.nameString).toEqual([
      'alice',
    ]);
  });

  it("the ticket's FORWARDABLE follows the request and the service's TGT, not the evidence (an AD realm: always set)", () => {
    const l = mitRealm({ trusted: true, allowedTo: [SQL] });
    const tgt = login(l, 'websvc', l.svcKey);
    const self = selfFor(l, tgt);
    expect(self.part.flags & TicketFlags.forwardable).toBe(TicketFlags.forwardable);
    const fwd = (t: Creds, options: number) =>
      sqlTicket(l, proxyWith(l, t, self, options)).flags & TicketFlags.forwardable;
    expect(fwd(tgt, KdcOptions.forwardable | KdcOptions.canonicalize)).toBe(TicketFlags.forwardable);
    expect(fwd(tgt, KdcOptions.canonicalize)).toBe(0);
    // A TGT that is not forwardable: FORWARDABLE asked is dropped, as MIT 1.20 drops it.
    const plainTgt = login(l, 'websvc', l.svcKey, { options: KdcOptions.canonicalize });
    expect(plainTgt.part.flags & TicketFlags.forwardable).toBe(0);
    expect(fwd(plainTgt, KdcOptions.forwardable | KdcOptions.canonicalize)).toBe(0);
    // An AD realm sets it, asked for or not (MS-SFU 3.2.5.2.4, 4.3).
    const ad = setup({ trusted: true, allowedTo: [SQL] });
    const adSelf = tgsGet(ad.kdc, {
      tgt: ad.svc,
      realm: REALM,
      sname: SVC,
      now: T0,
      extraPadata: [paForUser(ad.svc, alice)],
    });
    const adTicket = openTicket(
      decodeTgsRep(proxyWith(ad, ad.svc, adSelf, KdcOptions.canonicalize)).ticket,
      stringToKey(18, 'sql-pw', 'CONTOSO.COMhostsql.contoso.com'),
    );
    expect(adTicket.flags & TicketFlags.forwardable).toBe(TicketFlags.forwardable);
  });
});
