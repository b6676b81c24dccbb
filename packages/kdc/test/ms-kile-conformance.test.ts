/**
 * Rules of MS-KILE, MS-PAC and MS-SFU that an `active-directory` realm
 * follows and that the other tests did not pin down, each asserted with the
 * exact values a Windows DC writes:
 *
 * - UPN_DNS_INFO's "UPN constructed" flag (U) and its extended form with the
 *   SAM name and SID (MS-PAC 2.10; MS-KILE 3.3.5.2, 3.3.5.6.4.5);
 * - PAC_CLIENT_INFO's ClientId, the ticket's authtime as a FILETIME, in a TGT
 *   and in the service ticket issued from it (MS-PAC 2.7; MS-KILE 3.3.5.6.4.2);
 * - KERB_VALIDATION_INFO's LogonDomainName (NetBIOS), LogonServer and the
 *   fields that are zero in a Kerberos PAC (MS-PAC 2.5; MS-KILE 3.3.5.6.4.1);
 * - no ok-as-delegate across a forest trust by default, ok-as-delegate on a
 *   ticket to a service trusted for delegation (MS-KILE 3.3.5.7.5, 3.3.1.1);
 * - authorization data that is not a PAC (KERB-LOCAL, the loopback data of
 *   ad-type 142, or an unknown type, inside AD-IF-RELEVANT) carried from the
 *   TGT into the service ticket unchanged (MS-KILE 3.3.5.7; RFC 4120 3.3.3);
 * - the S4U2Self PAC's identity SID: S-1-18-2, not S-1-18-1 (MS-SFU 3.2.5.1.2);
 * - S4U_DELEGATION_INFO along a chain of two S4U2Proxy hops (MS-SFU 3.2.5.2.4;
 *   MS-PAC 2.9);
 * - UserFlags kept consistent with ResourceGroupIds and ExtraSids when the KDC
 *   adds resource groups (MS-KILE 3.3.5.7.3) or removes SIDs at a trust
 *   (MS-PAC 2.5, 4.1.2.2).
 */
import {
  AdType,
  type AuthorizationData,
  decodeAuthorizationData,
  type EncTicketPart,
  encodeAuthorizationData,
  KdcOptions,
  NameType,
  TicketFlags,
} from '@krbsim/asn1';
import { ManualClock } from '@krbsim/core';
import { type Key, stringToKey } from '@krbsim/crypto';
import type { DelegationOptions, Realm } from '@krbsim/kdc';
import {
  decodePac,
  FILETIME_NEVER,
  fileTimeFromMillis,
  findPac,
  formatSid,
  getPacBuffer,
  type KerbValidationInfo,
  PacBufferType,
  parseSid,
  SE_GROUP_DEFAULT,
  SeGroupAttributes,
  signTicketPac,
  UpnDnsFlags,
  UserAccountControl,
  UserFlags,
  updatePacBuffer,
  verifyPac,
} from '@krbsim/pac';
import { describe, expect, it } from 'vitest';
import {
  adForestTrust,
  type Lab,
  login,
  makeRealm,
  openTicket,
  paForUser,
  paPacOptionsRbcd,
  pn,
  reseal,
  T0,
  tgsGet,
  userKey,
} from './helpers';

const REALM = 'CONTOSO.COM';
const CLOUD = 'KERBEROS.MICROSOFTONLINE.COM';
const SID = 'S-1-5-21-1004336348-1177238915-682003330';
const WEB = 'HTTP/web.contoso.com';
const MID = 'HTTP/mid.contoso.com';
const SQL = 'MSSQLSvc/sql.contoso.com:1433';
const MI = 'MSSQLSvc/mi1.abc123.database.windows.net:1433';

/** An AD realm (MIT-shaped errors, whose e-text explains a failing assertion) with alice and websvc. */
function ad(clock = new ManualClock(T0), webDelegation: DelegationOptions = {}): Lab & { webKey: Key } {
  const l = makeRealm(REALM, { krbErrorStyle: 'mit' }, clock, { kind: 'active-directory', domainSid: SID });
  l.realm.addUser('alice', { password: 'pw' });
  l.realm.addUser('websvc', { password: 'web-pw', spns: [WEB], delegation: webDelegation });
  return { ...l, webKey: userKey(REALM, 'websvc', 'web-pw') };
}

const krbtgtKey = (realm: Realm): Key => realm.krbtgt.keys.find((k) => k.key.etype === 18)!.key;
const pacOf = (etp: EncTicketPart) => decodePac(findPac(etp.authorizationData)!.pac);
const logonInfo = (etp: EncTicketPart): KerbValidationInfo =>
  getPacBuffer(pacOf(etp), PacBufferType.LOGON_INFO)!;
const aliceKey = () => userKey(REALM, 'alice', 'pw');
const sidOf = (realm: Realm, account: string) =>
  `${realm.directory.domainSid}-${realm.directory.account(account)!.rid}`;

/** The reference trust, and the inter-realm key of `etype` the cloud realm holds. */
function forestTrust(cloudService: { okAsDelegate?: boolean } = {}) {
  const t = adForestTrust(SID, cloudService);
  const interRealmKey = (etype: number) =>
    t.cloud.realm.keysFor(`krbtgt/${CLOUD}@${REALM}`).find((k) => k.etype === etype)!;
  return { ...t, interRealmKey };
}

describe('UPN_DNS_INFO (MS-PAC 2.10; MS-KILE 3.3.5.2, 3.3.5.6.4.5)', () => {
  it('sets U for an account without a UPN (name@realm in lower case), clears it for one with a UPN, and carries the SAM name and SID (S)', () => {
    const l = ad();
    l.realm.addUser('carol', { password: 'pw', upn: 'carol.smith@contoso-corp.com' });
    // A DC salts the keys of a user with a UPN by it (`upnSalt`): carol's salt is the realm and carol.smith.
    const keyOf = (who: string) =>
      who === 'carol' ? stringToKey(18, 'pw', `${REALM}carol.smith`) : userKey(REALM, who, 'pw');
    const upnInfo = (who: string) =>
      getPacBuffer(
        pacOf(openTicket(login(l, who, keyOf(who)).ticket, krbtgtKey(l.realm))),
        PacBufferType.UPN_DNS_INFO,
      )!;
    const alice = upnInfo('alice');
    expect(alice.flags).toBe(UpnDnsFlags.UPN_CONSTRUCTED | UpnDnsFlags.HAS_SAM_NAME_AND_SID);
    expect(alice.flags).toBe(0x3);
    expect(alice.upn).toBe('alice@contoso.com');
    expect(alice.dnsDomainName).toBe(REALM);
    expect(alice.samName).toBe('alice');
    expect(formatSid(alice.sid!)).toBe(sidOf(l.realm, 'alice'));
    const carol = upnInfo('carol');
    expect(carol.flags).toBe(UpnDnsFlags.HAS_SAM_NAME_AND_SID);
    expect(carol.flags).toBe(0x2);
    expect(carol.upn).toBe('carol.smith@contoso-corp.com');
    expect(carol.dnsDomainName).toBe(REALM);
    expect(carol.samName).toBe('carol');
    expect(formatSid(carol.sid!)).toBe(sidOf(l.realm, 'carol'));
  });
});

describe('PAC_CLIENT_INFO (MS-PAC 2.7; MS-KILE 3.3.5.6.4.2)', () => {
  it("has as ClientId the ticket's authtime as a FILETIME, in the TGT and in a service ticket issued from it later", () => {
    // A clock between two seconds: the authtime, and so ClientId, is a whole second.
    const l = ad(new ManualClock(T0 + 3_723_456));
    // KerberosTimes on the wire are whole seconds: the request's till is one.
    const till = T0 + 10 * 3_600_000;
    const tgtCreds = login(l, 'alice', aliceKey(), { till });
    const tgt = openTicket(tgtCreds.ticket, krbtgtKey(l.realm));
    expect(tgt.authtime).toBe(T0 + 3_723_000);
    // 1601-01-01 to 2026-01-01T01:02:03Z in 100 ns units.
    const expected = 116444736000000000n + BigInt(T0 + 3_723_000) * 10000n;
    expect(fileTimeFromMillis(tgt.authtime)).toBe(expected);
    expect(getPacBuffer(pacOf(tgt), PacBufferType.CLIENT_INFO)).toEqual({
      clientId: expected,
      name: 'alice',
    });
    // Ten minutes later: the service ticket keeps the TGT's authtime, and its PAC says so.
    l.clock.advance(10 * 60_000);
    const st = tgsGet(l.kdc, { tgt: tgtCreds, realm: REALM, sname: WEB, now: l.clock.now(), till });
    const etp = openTicket(st.ticket, l.webKey);
    expect(etp.authtime).toBe(tgt.authtime);
    expect(getPacBuffer(pacOf(etp), PacBufferType.CLIENT_INFO)).toEqual({
      clientId: expected,
      name: 'alice',
    });
  });
});

describe('KERB_VALIDATION_INFO (MS-PAC 2.5; MS-KILE 3.3.5.6.4.1)', () => {
  it('names the NetBIOS logon domain and the DC, and zeroes the session key, the reserved and the NTLM-only fields', () => {
    const l = ad();
    const tgtCreds = login(l, 'alice', aliceKey());
    const tgt = openTicket(tgtCreds.ticket, krbtgtKey(l.realm));
    const st = openTicket(
      tgsGet(l.kdc, { tgt: tgtCreds, realm: REALM, sname: WEB, now: T0 }).ticket,
      l.webKey,
    );
    for (const v of [logonInfo(tgt), logonInfo(st)]) {
      expect(v.logonDomainName).toBe('CONTOSO');
      expect(v.logonServer).toBe('DC1');
      expect(formatSid(v.logonDomainId!)).toBe(SID);
      expect(v.effectiveName).toBe('alice');
      // No displayName: an empty FullName, as AD writes it (the Windows 2022 fixture's Administrator).
      expect(v.fullName).toBe('');
      expect(v.logonTime).toBe(fileTimeFromMillis(T0));
      // UserSessionKey: NTLM's, 16 zero bytes in a Kerberos PAC.
      expect(v.userSessionKey).toEqual(new Uint8Array(16));
      // Reserved1 and Reserved3: zero when sent.
      expect(v.reserved1).toEqual([0, 0]);
      expect(v.reserved3).toBe(0);
      // What a DC fills from attributes krbsim does not keep: zero (not set) or empty.
      expect(v.subAuthStatus).toBe(0);
      expect(v.lastSuccessfulILogon).toBe(0n);
      expect(v.lastFailedILogon).toBe(0n);
      expect(v.failedILogonCount).toBe(0);
      expect(v.logonCount).toBe(0);
      expect(v.badPasswordCount).toBe(0);
      // pwdLastSet: when the account's password was set (the realm's clock then); may change a
      // day later (AD's default minimum password age, as in the Windows 2022 fixture).
      expect(v.passwordLastSet).toBe(fileTimeFromMillis(T0));
      expect(v.passwordCanChange).toBe(fileTimeFromMillis(T0 + 24 * 3600_000));
      expect(v.passwordMustChange).toBe(FILETIME_NEVER);
      expect(v.userAccountControl).toBe(
        UserAccountControl.USER_NORMAL_ACCOUNT | UserAccountControl.USER_DONT_EXPIRE_PASSWORD,
      );
      expect([v.logonScript, v.profilePath, v.homeDirectory, v.homeDirectoryDrive]).toEqual(['', '', '', '']);
      // No logon hours and no expiry: "never".
      expect(v.logoffTime).toBe(FILETIME_NEVER);
      expect(v.kickOffTime).toBe(FILETIME_NEVER);
    }
    // FullName is the displayName; userAccountControl carries the account's flags (MS-SAMR 2.2.1.12).
    l.realm.addUser('svc', {
      password: 'pw',
      displayName: 'SQL service',
      requiresPreauth: false,
      authDataNotRequired: false,
      delegation: { trustedToAuthenticate: true },
      sensitive: true,
    });
    const svc = logonInfo(
      openTicket(login(l, 'svc', userKey(REALM, 'svc', 'pw')).ticket, krbtgtKey(l.realm)),
    );
    expect(svc.fullName).toBe('SQL service');
    expect(svc.userAccountControl).toBe(
      UserAccountControl.USER_NORMAL_ACCOUNT |
        UserAccountControl.USER_DONT_EXPIRE_PASSWORD |
        UserAccountControl.USER_NOT_DELEGATED |
        UserAccountControl.USER_DONT_REQUIRE_PREAUTH |
        UserAccountControl.USER_TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION,
    );
    // A new password is set now.
    l.clock.advance(3600_000);
    l.realm.setPassword('svc', 'pw2');
    const later = logonInfo(
      openTicket(login(l, 'svc', userKey(REALM, 'svc', 'pw2')).ticket, krbtgtKey(l.realm)),
    );
    expect(later.passwordLastSet).toBe(fileTimeFromMillis(T0 + 3600_000));
    // A NetBIOS name is the first label, upper case, at most 15 characters.
    const long = makeRealm('VERYLONGDOMAINNAME01.EXAMPLE.COM', {}, new ManualClock(T0), {
      kind: 'active-directory',
    });
    long.realm.addUser('bob', { password: 'pw' });
    const bob = login(long, 'bob', userKey(long.realm.name, 'bob', 'pw'));
    expect(logonInfo(openTicket(bob.ticket, krbtgtKey(long.realm))).logonDomainName).toBe('VERYLONGDOMAINN');
    // Or the one the domain was given (CORP.CONTOSO.COM is CONTOSO to Windows here).
    const named = makeRealm('CORP.CONTOSO.COM', {}, new ManualClock(T0), {
      kind: 'active-directory',
      netbiosName: 'contoso',
    });
    expect(named.realm.netbiosName).toBe('CONTOSO');
    named.realm.addUser('bob', { password: 'pw' });
    const bob2 = login(named, 'bob', userKey(named.realm.name, 'bob', 'pw'));
    expect(logonInfo(openTicket(bob2.ticket, krbtgtKey(named.realm))).logonDomainName).toBe('CONTOSO');
    for (const bad of ['', 'SIXTEEN-CHARS-XX', 'CON TOSO', 'A/B']) {
      expect(() => makeRealm('X.TEST', {}, new ManualClock(T0), { netbiosName: bad })).toThrow(
        /invalid NetBIOS name/,
      );
    }
  });
});

describe('ok-as-delegate (MS-KILE 3.3.5.7.5, 3.3.1.1)', () => {
  it('sets it on no referral TGT across a forest trust without TGT delegation, nor on a ticket issued from one, even from a TGT that has it and with a service trusted for delegation on either side', () => {
    const { onprem, cloud, miKey, interRealmKey } = forestTrust({ okAsDelegate: true });
    onprem.realm.addService('HTTP/trusted.contoso.com', { password: 'x', okAsDelegate: true });
    const okAsDelegate = TicketFlags['ok-as-delegate'];
    const alice = login(onprem, 'alice', aliceKey());
    // The source ticket carries ok-as-delegate, as a TGT re-issued by a trusting KDC could.
    const flagged = reseal(alice, krbtgtKey(onprem.realm), (e) => ({
      ...e,
      flags: (e.flags | okAsDelegate) >>> 0,
    }));
    // The client asks to be delegable (forwardable), and names bit 13 of the options, where the
    // ticket flag sits (no KDC option asks for ok-as-delegate).
    const asks = KdcOptions.forwardable | KdcOptions.canonicalize | okAsDelegate;
    for (const tgt of [alice, flagged]) {
      for (const sname of [MI, `krbtgt/${CLOUD}`]) {
        const referral = tgsGet(onprem.kdc, { tgt, realm: REALM, sname, now: T0, options: asks });
        expect(referral.part.sname).toEqual(pn(`krbtgt/${CLOUD}`));
        expect(referral.part.flags & okAsDelegate).toBe(0);
        const etp = openTicket(referral.ticket, interRealmKey(referral.ticket.encPart.etype));
        expect(etp.flags & okAsDelegate).toBe(0);
        expect(etp.flags & TicketFlags.forwardable).toBe(TicketFlags.forwardable);
        // In the realm of the service trusted for delegation, its ticket from that referral does
        // not carry it either: the TGT would leave its forest (tgt-delegation.test.ts has the rest).
        const st = tgsGet(cloud.kdc, { tgt: referral, realm: CLOUD, sname: MI, now: T0 });
        expect(st.part.flags & okAsDelegate).toBe(0);
        expect(openTicket(st.ticket, miKey).flags & okAsDelegate).toBe(0);
      }
    }
    // Locally: a ticket to the service trusted for delegation has it, one to another service not.
    const trusted = tgsGet(onprem.kdc, {
      tgt: alice,
      realm: REALM,
      sname: 'HTTP/trusted.contoso.com',
      now: T0,
    });
    expect(trusted.part.flags & okAsDelegate).toBe(okAsDelegate);
    expect(
      openTicket(trusted.ticket, stringToKey(18, 'x', `${REALM}HTTPtrusted.contoso.com`)).flags &
        okAsDelegate,
    ).toBe(okAsDelegate);
    onprem.realm.addService('HTTP/plain.contoso.com');
    expect(
      tgsGet(onprem.kdc, { tgt: alice, realm: REALM, sname: 'HTTP/plain.contoso.com', now: T0 }).part.flags &
        okAsDelegate,
    ).toBe(0);
  });
});

describe('authorization data besides the PAC (MS-KILE 3.3.5.7; RFC 4120 3.3.3)', () => {
  it("carries the TGT's AD-IF-RELEVANT[KERB-LOCAL, unknown type] into the service ticket unchanged, and the request's after it", () => {
    const l = ad();
    const k = krbtgtKey(l.realm);
    // KERB-LOCAL (ad-type 142, KERB_AUTH_DATA_LOOPBACK): opaque to the KDC; and a type no one defines.
    const loopback = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
    const tgtExtra = {
      adType: AdType.AD_IF_RELEVANT,
      adData: encodeAuthorizationData([
        { adType: AdType.KERB_LOCAL, adData: loopback },
        { adType: 4242, adData: Uint8Array.of(1, 2, 3) },
      ]),
    };
    const requestExtra = {
      adType: AdType.AD_IF_RELEVANT,
      adData: encodeAuthorizationData([{ adType: AdType.KERB_LOCAL, adData: Uint8Array.of(9, 9, 9, 9) }]),
    };
    const tgt = reseal(login(l, 'alice', aliceKey()), k, (e) => ({
      ...e,
      authorizationData: [...e.authorizationData!, tgtExtra],
    }));
    // The TGT's PAC still verifies: its signatures cover the PAC alone (a TGT has no ticket signature).
    const tgtPart = openTicket(tgt.ticket, k);
    expect(tgtPart.authorizationData).toHaveLength(2);
    verifyPac(findPac(tgtPart.authorizationData)!.pac, { serverKey: k, kdcKey: k });

    const st = tgsGet(l.kdc, {
      tgt,
      realm: REALM,
      sname: WEB,
      now: T0,
      authorizationData: [requestExtra],
    });
    const etp = openTicket(st.ticket, l.webKey);
    const data: AuthorizationData = etp.authorizationData!;
    expect(data).toHaveLength(3);
    // First the PAC, re-signed for the service (its ticket signature covers the rest too) ...
    expect(findPac(data)!.index).toBe(0);
    verifyPac(findPac(data)!.pac, { serverKey: l.webKey, kdcKey: k }, { ticket: etp });
    // ... then the TGT's element byte for byte, then the request's.
    expect(data[1]).toEqual(tgtExtra);
    expect(decodeAuthorizationData(data[1]!.adData)).toEqual([
      { adType: 142, adData: loopback },
      { adType: 4242, adData: Uint8Array.of(1, 2, 3) },
    ]);
    expect(data[2]).toEqual(requestExtra);
  });
});

describe('S4U2Self identity SID (MS-SFU 3.2.5.1.2)', () => {
  it('gives the S4U2Self PAC S-1-18-2 (service asserted identity) and not S-1-18-1, and the S4U2Proxy ticket keeps it', () => {
    const l = makeRealm(REALM, { krbErrorStyle: 'mit' }, new ManualClock(T0), {
      kind: 'active-directory',
      domainSid: SID,
    });
    l.realm.addUser('alice', { password: 'pw' });
    l.realm.addUser('websvc', {
      password: 'web-pw',
      spns: [WEB],
      delegation: { trustedToAuthenticate: true, allowedTo: [SQL] },
    });
    l.realm.addComputer('SQL', { password: 'sql-pw', spns: [SQL] });
    const webKey = userKey(REALM, 'websvc', 'web-pw');
    const svc = login(l, 'websvc', webKey);
    // The service's own logon: authenticated by the KDC.
    expect(logonInfo(openTicket(svc.ticket, krbtgtKey(l.realm))).extraSids).toEqual([
      { sid: parseSid('S-1-18-1'), attributes: SE_GROUP_DEFAULT },
    ]);
    const self = tgsGet(l.kdc, {
      tgt: svc,
      realm: REALM,
      sname: WEB,
      now: T0,
      extraPadata: [paForUser(svc, { nameType: NameType.NT_PRINCIPAL, nameString: ['alice'] }, REALM)],
    });
    const selfInfo = logonInfo(openTicket(self.ticket, webKey));
    expect(selfInfo.userId).toBe(l.realm.directory.account('alice')!.rid);
    expect(selfInfo.extraSids).toEqual([{ sid: parseSid('S-1-18-2'), attributes: SE_GROUP_DEFAULT }]);
    expect(selfInfo.userFlags & UserFlags.LOGON_EXTRA_SIDS).toBe(UserFlags.LOGON_EXTRA_SIDS);
    // No logon took place: LogonTime 0, as in Windows' S4U2Self PACs (test/fixtures/pac/windows.json).
    expect(selfInfo.logonTime).toBe(0n);
    const proxy = tgsGet(l.kdc, {
      tgt: svc,
      realm: REALM,
      sname: SQL,
      now: T0,
      options: KdcOptions.forwardable | KdcOptions['constrained-delegation'] | KdcOptions.canonicalize,
      additionalTickets: [self.ticket],
    });
    const sqlKey = stringToKey(18, 'sql-pw', 'CONTOSO.COMhostsql.contoso.com');
    expect(logonInfo(openTicket(proxy.ticket, sqlKey)).extraSids).toEqual([
      { sid: parseSid('S-1-18-2'), attributes: SE_GROUP_DEFAULT },
    ]);
  });
});

describe('S4U_DELEGATION_INFO along a chain (MS-SFU 3.2.5.2.4; MS-PAC 2.9)', () => {
  const PROXY = KdcOptions.forwardable | KdcOptions['constrained-delegation'] | KdcOptions.canonicalize;

  it("keeps the first hop's transited service and adds the second: websvc -> midsvc -> SQL", () => {
    for (const secondHop of ['constrained', 'resource-based'] as const) {
      const l = ad(new ManualClock(T0), { allowedTo: [MID] });
      l.realm.addUser('midsvc', {
        password: 'mid-pw',
        spns: [MID],
        delegation: { allowedTo: secondHop === 'constrained' ? [SQL] : [] },
      });
      l.realm.addComputer('SQL', {
        password: 'sql-pw',
        spns: [SQL],
        ...(secondHop === 'resource-based' && { delegation: { allowedFrom: ['midsvc'] } }),
      });
      const midKey = userKey(REALM, 'midsvc', 'mid-pw');
      const sqlKey = stringToKey(18, 'sql-pw', 'CONTOSO.COMhostsql.contoso.com');
      const delegationInfo = (etp: EncTicketPart) => getPacBuffer(pacOf(etp), PacBufferType.DELEGATION_INFO);

      // alice's forwardable ticket to websvc: the evidence of the first hop.
      const alice = login(l, 'alice', aliceKey());
      const toWeb = tgsGet(l.kdc, { tgt: alice, realm: REALM, sname: WEB, now: T0 });
      expect(delegationInfo(openTicket(toWeb.ticket, l.webKey))).toBeUndefined();
      const web = login(l, 'websvc', l.webKey);
      const hop1 = tgsGet(l.kdc, {
        tgt: web,
        realm: REALM,
        sname: MID,
        now: T0,
        options: PROXY,
        additionalTickets: [toWeb.ticket],
      });
      const hop1Part = openTicket(hop1.ticket, midKey);
      expect(hop1Part.cname.nameString).toEqual(['alice']);
      expect(delegationInfo(hop1Part)).toEqual({
        s4u2proxyTarget: MID,
        s4uTransitedServices: [`websvc@${REALM}`],
      });
      // The second hop: midsvc presents the ticket it got in the first.
      const mid = login(l, 'midsvc', midKey);
      const hop2 = tgsGet(l.kdc, {
        tgt: mid,
        realm: REALM,
        sname: SQL,
        now: T0,
        options: PROXY,
        additionalTickets: [hop1.ticket],
        ...(secondHop === 'resource-based' && { extraPadata: [paPacOptionsRbcd] }),
      });
      const hop2Part = openTicket(hop2.ticket, sqlKey);
      expect(hop2Part.cname.nameString).toEqual(['alice']);
      expect(delegationInfo(hop2Part)).toEqual({
        s4u2proxyTarget: SQL,
        s4uTransitedServices: [`websvc@${REALM}`, `midsvc@${REALM}`],
      });
      verifyPac(
        findPac(hop2Part.authorizationData)!.pac,
        { serverKey: sqlKey, kdcKey: krbtgtKey(l.realm) },
        {
          ticket: hop2Part,
        },
      );
    }
  });
});

describe('UserFlags against ResourceGroupIds and ExtraSids (MS-PAC 2.5)', () => {
  const { LOGON_EXTRA_SIDS, LOGON_RESOURCE_GROUPS } = UserFlags;
  const resource = SE_GROUP_DEFAULT | SeGroupAttributes.RESOURCE;

  it('adds the domain-local groups to a service ticket from the AS exchange, a password request above all (MS-PAC 4.1.2.1), never to a TGT', () => {
    const l = ad();
    l.realm.addPasswordChangeService();
    const d = l.realm.directory;
    d.addGroup('Helpdesk', { scope: 'domain-local' });
    d.addMember('Helpdesk', 'alice');
    const helpdesk = d.group('Helpdesk')!.rid;
    const changepwKey = l.realm.keysFor('kadmin/changepw').find((k) => k.etype === 18)!;
    const cpw = login(l, 'alice', aliceKey(), { sname: 'kadmin/changepw', etypes: [18] });
    const info = logonInfo(openTicket(cpw.ticket, changepwKey));
    expect(info.resourceGroupIds.map((g) => [g.relativeId, g.attributes])).toEqual([[helpdesk, resource]]);
    expect(formatSid(info.resourceGroupDomainSid!)).toBe(SID);
    expect(info.userFlags & LOGON_RESOURCE_GROUPS).toBe(LOGON_RESOURCE_GROUPS);
    // A service ticket asked for in the AS exchange, the same.
    const web = login(l, 'alice', aliceKey(), { sname: WEB, etypes: [18] });
    expect(logonInfo(openTicket(web.ticket, l.webKey)).resourceGroupIds.map((g) => g.relativeId)).toEqual([
      helpdesk,
    ]);
    // The TGT carries none: they are the resource domain's to add.
    const tgtInfo = logonInfo(openTicket(login(l, 'alice', aliceKey()).ticket, krbtgtKey(l.realm)));
    expect(tgtInfo.resourceGroupIds).toEqual([]);
    expect(tgtInfo.userFlags & LOGON_RESOURCE_GROUPS).toBe(0);
  });

  it('sets LOGON_RESOURCE_GROUPS exactly when the KDC adds domain-local groups to a service ticket', () => {
    const l = ad();
    l.realm.addUser('bob', { password: 'pw' });
    const d = l.realm.directory;
    d.addGroup('WebReaders', { scope: 'domain-local' });
    d.addMember('WebReaders', 'alice');
    const web = d.group('WebReaders')!.rid;
    const ticketTo = (who: string) =>
      openTicket(
        tgsGet(l.kdc, {
          tgt: login(l, who, userKey(REALM, who, 'pw')),
          realm: REALM,
          sname: WEB,
          now: T0,
        }).ticket,
        l.webKey,
      );
    const alice = logonInfo(ticketTo('alice'));
    expect(alice.userFlags).toBe(LOGON_EXTRA_SIDS | LOGON_RESOURCE_GROUPS);
    expect(formatSid(alice.resourceGroupDomainSid!)).toBe(SID);
    expect(alice.resourceGroupIds).toEqual([{ relativeId: web, attributes: resource }]);
    const bob = logonInfo(ticketTo('bob'));
    expect(bob.userFlags).toBe(LOGON_EXTRA_SIDS);
    expect(bob.resourceGroupDomainSid).toBeUndefined();
    expect(bob.resourceGroupIds).toEqual([]);
    // alice's TGT holds no resource groups: the flag is clear there.
    const tgt = logonInfo(openTicket(login(l, 'alice', aliceKey()).ticket, krbtgtKey(l.realm)));
    expect(tgt.userFlags).toBe(LOGON_EXTRA_SIDS);
    expect(tgt.resourceGroupIds).toEqual([]);
    // An S4U2Self ticket gets them as any service ticket, and the flag with them.
    const svc = login(l, 'websvc', l.webKey);
    const self = tgsGet(l.kdc, {
      tgt: svc,
      realm: REALM,
      sname: WEB,
      now: T0,
      extraPadata: [paForUser(svc, pn('alice', NameType.NT_PRINCIPAL), REALM)],
    });
    const selfInfo = logonInfo(openTicket(self.ticket, l.webKey));
    expect(selfInfo.userFlags).toBe(LOGON_EXTRA_SIDS | LOGON_RESOURCE_GROUPS);
    expect(selfInfo.resourceGroupIds).toEqual([{ relativeId: web, attributes: resource }]);
  });

  it('sets LOGON_EXTRA_SIDS exactly when ExtraSids are left after SID filtering at a trust, and clears LOGON_RESOURCE_GROUPS', () => {
    const FOREIGN = 'S-1-5-21-1-2-3-519';
    // A PAC whose ExtraSids hold a foreign SID besides S-1-18-1: the trust keeps S-1-18-1 and the flag.
    {
      const { onprem, cloud, miKey } = forestTrust();
      onprem.realm.directory.setExternalIdentity('alice', {
        sid: sidOf(onprem.realm, 'alice'),
        groupSids: [`${SID}-512`, FOREIGN],
      });
      const alice = login(onprem, 'alice', aliceKey());
      expect(
        logonInfo(openTicket(alice.ticket, krbtgtKey(onprem.realm))).extraSids.map((e) => formatSid(e.sid)),
      ).toEqual([FOREIGN, 'S-1-18-1']);
      const referral = tgsGet(onprem.kdc, { tgt: alice, realm: REALM, sname: MI, now: T0 });
      const st = logonInfo(
        openTicket(tgsGet(cloud.kdc, { tgt: referral, realm: CLOUD, sname: MI, now: T0 }).ticket, miKey),
      );
      expect(st.extraSids).toEqual([{ sid: parseSid('S-1-18-1'), attributes: SE_GROUP_DEFAULT }]);
      expect(st.userFlags).toBe(LOGON_EXTRA_SIDS);
    }
    // A PAC as a DC without S-1-18-1 writes it, its only ExtraSid foreign, with resource groups:
    // nothing of either is left after the trust, and neither flag.
    {
      const { onprem, cloud, miKey } = forestTrust();
      const k = krbtgtKey(onprem.realm);
      const alice = reseal(login(onprem, 'alice', aliceKey()), k, (e) => {
        const pac = updatePacBuffer(pacOf(e), PacBufferType.LOGON_INFO, (v) => ({
          ...v,
          extraSids: [{ sid: parseSid(FOREIGN), attributes: SE_GROUP_DEFAULT }],
          resourceGroupDomainSid: parseSid(SID),
          resourceGroupIds: [{ relativeId: 1234, attributes: resource }],
          userFlags: LOGON_EXTRA_SIDS | LOGON_RESOURCE_GROUPS,
        }));
        const server = { nameType: NameType.NT_SRV_INST, nameString: ['krbtgt', REALM] };
        return signTicketPac(e, pac, { serverKey: k, kdcKey: k }, { server }).encTicketPart;
      });
      const referral = tgsGet(onprem.kdc, { tgt: alice, realm: REALM, sname: MI, now: T0 });
      const st = logonInfo(
        openTicket(tgsGet(cloud.kdc, { tgt: referral, realm: CLOUD, sname: MI, now: T0 }).ticket, miKey),
      );
      expect(st.extraSids).toEqual([]);
      expect(st.resourceGroupDomainSid).toBeUndefined();
      expect(st.resourceGroupIds).toEqual([]);
      expect(st.userFlags).toBe(0);
    }
  });
});
