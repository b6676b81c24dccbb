/**
 * The KDC's PACs (MS-PAC, MS-KILE): issued in AS, verified, copied and
 * re-signed in TGS, filtered at a trust, and the attacks the signatures and
 * checks exist to stop, each refused with its code.
 */
import {
  type EncTicketPart,
  encodeEncTicketPart,
  KdcOptions,
  NameType,
  type PaData,
  type Ticket,
  TicketFlags,
} from '@krbsim/asn1';
import { ErrorCode, ManualClock } from '@krbsim/core';
import { encrypt, type Key, KeyUsage, stringToKey } from '@krbsim/crypto';
import { createTrust, Kdc, type KdcRequestEvent, type Realm } from '@krbsim/kdc';
import {
  decodePac,
  encodePac,
  FILETIME_NEVER,
  fileTimeFromMillis,
  findPac,
  formatSid,
  getPacBuffer,
  PacAttributesFlags,
  PacBufferType,
  parsePac,
  parseSid,
  signTicketPac,
  UserAccountControl,
  validationInfoSids,
  verifyPac,
  withPac,
  wrapPac,
} from '@krbsim/pac';
import { describe, expect, it } from 'vitest';
import { filterAtTrust } from '../src/pac-issuance';
import {
  adForestTrust,
  asReq,
  type Creds,
  clientRandom,
  encTimestamp,
  errorOf,
  type Lab,
  login,
  makeRealm,
  openTicket,
  pacRequest,
  paForUser,
  pn,
  repOf,
  reseal,
  T0,
  tgsGet,
  tgsReq,
  userKey,
} from './helpers';

const REALM = 'CONTOSO.COM';
const WEB = 'HTTP/web.contoso.com';
const SID = 'S-1-5-21-1004336348-1177238915-682003330';

/** {@link ad}'s realm with svc (HTTP/svc.contoso.com) allowed to delegate to SQL's MSSQLSvc, svc logged in. */
function delegationLab() {
  const l = ad();
  const sqlSpn = 'MSSQLSvc/sql.contoso.com:1433';
  l.realm.addUser('svc', {
    password: 'svc-pw',
    spns: ['HTTP/svc.contoso.com'],
    delegation: { allowedTo: [sqlSpn] },
  });
  l.realm.addComputer('SQL', { password: 'sql-pw', spns: [sqlSpn] });
  const svcKey = userKey(REALM, 'svc', 'svc-pw');
  const svc = login(l, 'svc', svcKey);
  /** svc's S4U2Proxy request to SQL with `evidence`, which must be refused: its KRB-ERROR. */
  const proxyRefusal = (evidence: Ticket) =>
    errorOf(
      l.kdc.handle(
        tgsReq({
          tgt: svc,
          realm: REALM,
          sname: sqlSpn,
          now: T0,
          options: KdcOptions.forwardable | KdcOptions['constrained-delegation'],
          additionalTickets: [evidence],
        }),
      ),
    );
  return { l, sqlSpn, svcKey, svc, proxyRefusal };
}

function ad(): Lab & { alice: Creds; webKey: Key } {
  // AD realm, MIT-shaped errors: their e-text explains a failing assertion.
  const l = makeRealm(REALM, { krbErrorStyle: 'mit' }, new ManualClock(T0), {
    kind: 'active-directory',
    domainSid: SID,
  });
  l.realm.addUser('alice', { password: 'pw' });
  l.realm.addUser('websvc', { password: 'web-pw', spns: [WEB] });
  const d = l.realm.directory;
  d.addGroup('SqlAdmins');
  d.addGroup('DBAs');
  d.addGroup('WebReaders', { scope: 'domain-local' });
  d.addMember('DBAs', 'alice');
  d.addMember('SqlAdmins', 'DBAs');
  d.addMember('WebReaders', 'alice');
  return {
    ...l,
    alice: login(l, 'alice', userKey(REALM, 'alice', 'pw')),
    webKey: userKey(REALM, 'websvc', 'web-pw'),
  };
}

const krbtgtKey = (realm: Realm): Key => realm.krbtgt.keys.find((k) => k.key.etype === 18)!.key;
const pacOf = (etp: EncTicketPart): Uint8Array => findPac(etp.authorizationData)!.pac;
const sids = (bytes: Uint8Array): string[] =>
  validationInfoSids(getPacBuffer(decodePac(bytes), PacBufferType.LOGON_INFO)!).map((s) => formatSid(s.sid));

describe('PAC of a read-only DC', () => {
  it('names the RODC branch in its KDC signature (MS-PAC 2.8 RODCIdentifier), and the TGT still serves', () => {
    const l = makeRealm(REALM, { krbErrorStyle: 'mit' }, new ManualClock(T0), {
      kind: 'active-directory',
      domainSid: SID,
      rodcBranchId: 0x2a,
    });
    l.realm.addUser('alice', { password: 'pw' });
    l.realm.addUser('websvc', { password: 'web-pw', spns: [WEB] });
    const tgt = login(l, 'alice', userKey(REALM, 'alice', 'pw'));
    const kdcSig = (etp: EncTicketPart) =>
      getPacBuffer(decodePac(pacOf(etp)), PacBufferType.PRIVSVR_CHECKSUM)!;
    expect(kdcSig(openTicket(tgt.ticket, krbtgtKey(l.realm))).rodcIdentifier).toBe(0x2a);
    const st = tgsGet(l.kdc, { tgt, realm: REALM, sname: WEB, now: T0 });
    const etp = openTicket(st.ticket, userKey(REALM, 'websvc', 'web-pw'));
    expect(kdcSig(etp).rodcIdentifier).toBe(0x2a);
    verifyPac(pacOf(etp), { serverKey: userKey(REALM, 'websvc', 'web-pw'), kdcKey: krbtgtKey(l.realm) });
    // A writable DC's (no branch) carries none.
    const writable = ad();
    expect(
      kdcSig(openTicket(writable.alice.ticket, krbtgtKey(writable.realm))).rodcIdentifier,
    ).toBeUndefined();
  });
});

describe('PAC in AS', () => {
  it("puts alice's SIDs in the TGT, signed with the krbtgt key, as a DC does", () => {
    const l = ad();
    const tgt = openTicket(l.alice.ticket, krbtgtKey(l.realm));
    const bytes = pacOf(tgt);
    const k = krbtgtKey(l.realm);
    verifyPac(bytes, { serverKey: k, kdcKey: k });
    const d = l.realm.directory;
    const rid = d.account('alice')!.rid;
    expect(sids(bytes)).toEqual([
      `${SID}-${rid}`,
      `${SID}-513`,
      `${SID}-${d.group('SqlAdmins')!.rid}`,
      `${SID}-${d.group('DBAs')!.rid}`,
      'S-1-18-1',
    ]);
    const pac = decodePac(bytes);
    expect(getPacBuffer(pac, PacBufferType.CLIENT_INFO)!.name).toBe('alice');
    expect(formatSid(getPacBuffer(pac, PacBufferType.REQUESTOR)!.sid)).toBe(`${SID}-${rid}`);
    expect(getPacBuffer(pac, PacBufferType.UPN_DNS_INFO)!.upn).toBe('alice@contoso.com');
    // A TGT has no ticket signature (MS-PAC 2.8.3).
    expect(getPacBuffer(pac, PacBufferType.TICKET_CHECKSUM)).toBeUndefined();
  });

  it('puts a PAC in every TGT, PAC_ATTRIBUTES_INFO recording the PA-PAC-REQUEST (MS-KILE 3.3.5.6.4.7); MIT realms issue none', () => {
    const l = ad();
    const key = userKey(REALM, 'alice', 'pw');
    const attributesOf = (c: Creds) =>
      getPacBuffer(decodePac(pacOf(openTicket(c.ticket, krbtgtKey(l.realm)))), PacBufferType.ATTRIBUTES_INFO)!
        .flags[0];
    const asked = login(l, 'alice', key, { padata: [encTimestamp(key, T0), pacRequest(true)] });
    const declined = login(l, 'alice', key, { padata: [encTimestamp(key, T0), pacRequest(false)] });
    expect(attributesOf(asked)).toBe(PacAttributesFlags.PAC_WAS_REQUESTED);
    expect(attributesOf(l.alice)).toBe(PacAttributesFlags.PAC_WAS_GIVEN_IMPLICITLY);
    expect(attributesOf(declined)).toBe(0);
    const mit = makeRealm('MIT.TEST');
    mit.realm.addUser('bob', { password: 'pw', encTypes: [18] });
    const bob = login(mit, 'bob', userKey('MIT.TEST', 'bob', 'pw'));
    const mitKey = mit.realm.krbtgt.keys.find((k) => k.key.etype === bob.ticket.encPart.etype)!.key;
    expect(openTicket(bob.ticket, mitKey).authorizationData).toBeUndefined();
  });

  it("names in PAC_CLIENT_INFO the ticket's client as the ticket names it (MS-PAC 2.7)", () => {
    const l = ad();
    const key = userKey(REALM, 'alice', 'pw');
    // AD matches names without regard to case; without canonicalize the ticket keeps the name asked for.
    const upper = login(l, 'ALICE', key, { options: KdcOptions.forwardable });
    const etp = openTicket(upper.ticket, krbtgtKey(l.realm));
    expect(etp.cname.nameString).toEqual(['ALICE']);
    expect(getPacBuffer(decodePac(pacOf(etp)), PacBufferType.CLIENT_INFO)!.name).toBe('ALICE');
  });

  it('puts a PAC in an AS service ticket only when asked, without the TGT-only buffers', () => {
    const l = ad();
    const key = userKey(REALM, 'alice', 'pw');
    const direct = (padata: PaData[]) =>
      openTicket(login(l, 'alice', key, { sname: WEB, padata }).ticket, l.webKey);
    expect(direct([encTimestamp(key, T0), pacRequest(false)]).authorizationData).toBeUndefined();
    const pac = decodePac(pacOf(direct([encTimestamp(key, T0)])));
    expect(getPacBuffer(pac, PacBufferType.LOGON_INFO)).toBeDefined();
    expect(getPacBuffer(pac, PacBufferType.ATTRIBUTES_INFO)).toBeUndefined();
    expect(getPacBuffer(pac, PacBufferType.REQUESTOR)).toBeUndefined();
  });
});

describe('accounts that cannot be delegated (MS-KILE 3.3.5.1) and what the PAC says of an account', () => {
  const forwardableOrProxiable = TicketFlags.forwardable | TicketFlags.proxiable;

  it('never makes a ticket of a sensitive user or a member of Protected Users forwardable or proxiable', () => {
    const l = ad();
    l.realm.addUser('bob', { password: 'pw', sensitive: true });
    l.realm.addUser('carol', { password: 'pw' });
    l.realm.directory.addMember('Protected Users', 'carol');
    const asks = KdcOptions.forwardable | KdcOptions.proxiable | KdcOptions.canonicalize;
    for (const who of ['bob', 'carol']) {
      const tgt = login(l, who, userKey(REALM, who, 'pw'), { options: asks });
      expect(tgt.part.flags & forwardableOrProxiable).toBe(0);
      const st = tgsGet(l.kdc, { tgt, realm: REALM, sname: WEB, now: T0, options: KdcOptions.canonicalize });
      expect(openTicket(st.ticket, l.webKey).flags & forwardableOrProxiable).toBe(0);
    }
    // alice, an ordinary user, gets what she asks for.
    expect(
      login(l, 'alice', userKey(REALM, 'alice', 'pw'), { options: asks }).part.flags & forwardableOrProxiable,
    ).toBe(forwardableOrProxiable);
    // A forwardable TGT from before alice was marked sensitive yields tickets that are not.
    const before = login(l, 'alice', userKey(REALM, 'alice', 'pw'), { options: asks });
    l.realm.lookup('alice')!.notDelegated = true;
    const st = tgsGet(l.kdc, { tgt: before, realm: REALM, sname: WEB, now: T0, options: asks });
    expect(openTicket(st.ticket, l.webKey).flags & forwardableOrProxiable).toBe(0);
  });

  it('holds a member of Protected Users to AES pre-authentication and a TGT of 4 hours at most (MS-KILE 3.3.5.6)', () => {
    const l = makeRealm(REALM, { krbErrorStyle: 'mit', allowWeakCrypto: true }, new ManualClock(T0), {
      kind: 'active-directory',
      domainSid: SID,
    });
    l.realm.addUser('carol', { password: 'pw' });
    l.realm.addUser('dave', { password: 'pw' });
    l.realm.directory.addMember('Protected Users', 'carol');
    const rc4 = (who: string) => {
      const key = userKey(REALM, who, 'pw', 23);
      return l.kdc.handle(
        asReq({
          realm: REALM,
          cname: who,
          till: T0 + 3600_000,
          etypes: [23],
          padata: [encTimestamp(key, T0)],
        }),
      );
    };
    const refused = errorOf(rc4('carol'));
    expect(refused.errorCode).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
    expect(refused.eText).toContain('is a member of Protected Users: no pre-authentication with etype 23');
    expect(repOf(rc4('dave')).msgType).toBe(11); // an ordinary user may, where the realm allows rc4
    const long = { till: T0 + 10 * 3600_000, rtime: T0 + 7 * 24 * 3600_000 };
    const carol = login(l, 'carol', userKey(REALM, 'carol', 'pw'), long);
    expect(carol.part.endtime).toBe(T0 + 4 * 3600_000);
    // Renewable no further than its 4 hours: not renewable beyond its end.
    expect(carol.part.renewTill ?? carol.part.endtime).toBeLessThanOrEqual(T0 + 4 * 3600_000);
    expect(login(l, 'dave', userKey(REALM, 'dave', 'pw'), long).part.endtime).toBe(T0 + 10 * 3600_000);
  });

  it('says in KERB_VALIDATION_INFO whether the user is sensitive, and when its password and account end', () => {
    const l = ad();
    const passwordExpires = T0 + 30 * 24 * 3600_000;
    const accountExpires = T0 + 90 * 24 * 3600_000;
    l.realm.addUser('bob', { password: 'pw', sensitive: true, passwordExpires, accountExpires });
    const info = (c: Creds) =>
      getPacBuffer(decodePac(pacOf(openTicket(c.ticket, krbtgtKey(l.realm)))), PacBufferType.LOGON_INFO)!;
    const bob = info(login(l, 'bob', userKey(REALM, 'bob', 'pw')));
    expect(bob.userAccountControl).toBe(
      UserAccountControl.USER_NORMAL_ACCOUNT | UserAccountControl.USER_NOT_DELEGATED,
    );
    expect(bob.passwordMustChange).toBe(fileTimeFromMillis(passwordExpires));
    expect(bob.kickOffTime).toBe(fileTimeFromMillis(accountExpires));
    const alice = info(l.alice);
    expect(alice.userAccountControl).toBe(
      UserAccountControl.USER_NORMAL_ACCOUNT | UserAccountControl.USER_DONT_EXPIRE_PASSWORD,
    );
    expect(alice.passwordMustChange).toBe(FILETIME_NEVER);
    expect(alice.kickOffTime).toBe(FILETIME_NEVER);
  });
});

describe('AuthorizationDataNotRequired (MS-KILE 3.3.1.1, 3.3.5.3)', () => {
  it('leaves the PAC out of every service ticket for a service whose account has it, in TGS and in AS', () => {
    const l = ad();
    l.realm.addService('HTTP/nopac.contoso.com', { password: 'np-pw', authDataNotRequired: true });
    const npKey = l.realm.keysFor('HTTP/nopac.contoso.com').find((k) => k.etype === 18)!;
    const st = tgsGet(l.kdc, { tgt: l.alice, realm: REALM, sname: 'HTTP/nopac.contoso.com', now: T0 });
    expect(openTicket(st.ticket, npKey).authorizationData).toBeUndefined();
    const key = userKey(REALM, 'alice', 'pw');
    const direct = login(l, 'alice', key, { sname: 'HTTP/nopac.contoso.com' });
    expect(openTicket(direct.ticket, npKey).authorizationData).toBeUndefined();
    // The TGT still carries its PAC, and other services' tickets theirs.
    expect(findPac(openTicket(l.alice.ticket, krbtgtKey(l.realm)).authorizationData)).toBeDefined();
    const web = tgsGet(l.kdc, { tgt: l.alice, realm: REALM, sname: WEB, now: T0 });
    expect(findPac(openTicket(web.ticket, l.webKey).authorizationData)).toBeDefined();
  });
});

describe('PAC in TGS, from a TGT whose PAC was declined or is missing', () => {
  it('issues service tickets without a PAC from a TGT whose PAC was declined, and referrals with it (MS-KILE 3.3.5.3)', () => {
    const l = ad();
    const key = userKey(REALM, 'alice', 'pw');
    const declined = login(l, 'alice', key, { padata: [encTimestamp(key, T0), pacRequest(false)] });
    const st = tgsGet(l.kdc, { tgt: declined, realm: REALM, sname: WEB, now: T0 });
    expect(openTicket(st.ticket, l.webKey).authorizationData).toBeUndefined();
    // A TGT renewed from it keeps the PAC and its attributes.
    const renewable = login(l, 'alice', key, { padata: [encTimestamp(key, T0), pacRequest(false)] });
    const renewed = tgsGet(l.kdc, {
      tgt: renewable,
      realm: REALM,
      sname: `krbtgt/${REALM}`,
      now: T0 + 60_000,
      options: KdcOptions.renew,
    });
    const pac = decodePac(pacOf(openTicket(renewed.ticket, krbtgtKey(l.realm))));
    expect(getPacBuffer(pac, PacBufferType.ATTRIBUTES_INFO)!.flags[0]).toBe(0);
  });

  it('issues a ticket without a PAC from a TGT without one where the realm does not require one (requirePac: false)', () => {
    const l = makeRealm(REALM, { krbErrorStyle: 'mit', requirePac: false }, new ManualClock(T0), {
      kind: 'active-directory',
      domainSid: SID,
    });
    l.realm.addUser('alice', { password: 'pw' });
    l.realm.addUser('websvc', { password: 'web-pw', spns: [WEB] });
    const key = userKey(REALM, 'alice', 'pw');
    const noPac = reseal(login(l, 'alice', key), krbtgtKey(l.realm), (e) => {
      const { authorizationData: _gone, ...rest } = e;
      return rest;
    });
    const st = tgsGet(l.kdc, { tgt: noPac, realm: REALM, sname: WEB, now: T0 });
    expect(openTicket(st.ticket, userKey(REALM, 'websvc', 'web-pw')).authorizationData).toBeUndefined();
  });
});

describe('PAC in TGS', () => {
  it('copies the PAC into the service ticket, adds domain-local resource groups, and signs it for the service', () => {
    const l = ad();
    const st = tgsGet(l.kdc, { tgt: l.alice, realm: REALM, sname: WEB, now: T0 });
    const etp = openTicket(st.ticket, l.webKey);
    const bytes = pacOf(etp);
    // Server signature with the service key; KDC, ticket and extended KDC signatures with krbtgt.
    const pac = verifyPac(bytes, { serverKey: l.webKey, kdcKey: krbtgtKey(l.realm) }, { ticket: etp });
    expect(getPacBuffer(pac, PacBufferType.TICKET_CHECKSUM)).toBeDefined();
    expect(getPacBuffer(pac, PacBufferType.FULL_CHECKSUM)).toBeDefined();
    expect(sids(bytes)).toContain(`${SID}-${l.realm.directory.group('WebReaders')!.rid}`);
    // PAC_ATTRIBUTES_INFO and PAC_REQUESTOR are for TGTs only (MS-KILE 3.3.5.6.4.7-8).
    expect(getPacBuffer(pac, PacBufferType.ATTRIBUTES_INFO)).toBeUndefined();
    expect(getPacBuffer(pac, PacBufferType.REQUESTOR)).toBeUndefined();
  });

  it("gives an S4U2Self ticket the user's domain-local groups, as any service ticket", () => {
    const l = ad();
    const svc = login(l, 'websvc', l.webKey);
    const alice = { nameType: NameType.NT_PRINCIPAL, nameString: ['alice'] };
    const st = tgsGet(l.kdc, {
      tgt: svc,
      realm: REALM,
      sname: 'websvc',
      now: T0,
      extraPadata: [paForUser(svc, alice, REALM)],
    });
    const bytes = pacOf(openTicket(st.ticket, l.webKey));
    expect(sids(bytes)).toContain(`${SID}-${l.realm.directory.group('WebReaders')!.rid}`);
    expect(sids(bytes)).toContain('S-1-18-2');
    expect(getPacBuffer(decodePac(bytes), PacBufferType.ATTRIBUTES_INFO)).toBeUndefined();
  });

  it('refuses a TGT whose PAC was altered (KRB_AP_ERR_MODIFIED)', () => {
    const l = ad();
    const k = krbtgtKey(l.realm);
    // Even with the krbtgt key in hand to re-encrypt, the PAC's signatures no longer match.
    const forged = reseal(l.alice, k, (e) => {
      const pac = decodePac(pacOf(e));
      const more = {
        buffers: pac.buffers.map((b) =>
          b.type === PacBufferType.LOGON_INFO && 'value' in b
            ? {
                type: b.type,
                value: { ...b.value, groupIds: [...b.value.groupIds, { relativeId: 512, attributes: 7 }] },
              }
            : b,
        ),
      };
      return { ...e, authorizationData: withPac(e.authorizationData, encodePac(more)) };
    });
    const err = errorOf(l.kdc.handle(tgsReq({ tgt: forged, realm: REALM, sname: WEB, now: T0 })));
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
  });

  it('refuses a PAC in enc-authorization-data (MS14-068) and a TGT without a PAC (KDC_ERR_TGT_REVOKED)', () => {
    const l = ad();
    const k = krbtgtKey(l.realm);
    const bytes = pacOf(openTicket(l.alice.ticket, k));
    const withRequestPac = errorOf(
      l.kdc.handle(
        tgsReq({
          tgt: l.alice,
          realm: REALM,
          sname: WEB,
          now: T0,
          authorizationData: withPac(undefined, bytes),
        }),
      ),
    );
    expect(withRequestPac.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    const stripped = reseal(l.alice, k, (e) => {
      const { authorizationData: _gone, ...rest } = e;
      return rest;
    });
    expect(
      errorOf(l.kdc.handle(tgsReq({ tgt: stripped, realm: REALM, sname: WEB, now: T0 }))).errorCode,
    ).toBe(ErrorCode.KDC_ERR_TGT_REVOKED);
  });

  it('refuses a TGT whose authorization data holds two PACs (KRB_AP_ERR_MODIFIED)', () => {
    const l = ad();
    const k = krbtgtKey(l.realm);
    // The genuine PAC, and a second AD-IF-RELEVANT holding another: which one counts is ambiguous.
    const doubled = reseal(l.alice, k, (e) => ({
      ...e,
      authorizationData: [...e.authorizationData!, wrapPac(pacOf(e))],
    }));
    const err = errorOf(l.kdc.handle(tgsReq({ tgt: doubled, realm: REALM, sname: WEB, now: T0 })));
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(err.eText).toBe(
      'the TGT: AuthorizationData[1].AD-IF-RELEVANT[0]: the authorization data holds more than one AD-WIN2K-PAC',
    );
  });

  it('refuses a TGT whose PAC_REQUESTOR names someone else (CVE-2021-42287)', () => {
    const l = ad();
    const k = krbtgtKey(l.realm);
    l.realm.addUser('mallory', { password: 'pw' });
    const mallory = login(l, 'mallory', userKey(REALM, 'mallory', 'pw'));
    // mallory's PAC, correctly signed, in a TGT that says alice: the name no longer matches the SID.
    const malloryPac = pacOf(openTicket(mallory.ticket, k));
    const swapped = reseal(l.alice, k, (e) => ({
      ...e,
      authorizationData: withPac(e.authorizationData, malloryPac),
    }));
    const err = errorOf(l.kdc.handle(tgsReq({ tgt: swapped, realm: REALM, sname: WEB, now: T0 })));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_TGT_REVOKED);
    expect(err.eText).toMatch(/requestor/);
  });

  it('refuses a TGT of its own user whose signed PAC has no PAC_REQUESTOR, where the realm requires PACs (a golden ticket of an older tool)', () => {
    const withoutRequestor = (l: ReturnType<typeof ad>) => {
      const k = krbtgtKey(l.realm);
      return reseal(l.alice, k, (e) => {
        const pac = parsePac(pacOf(e));
        const buffers = pac.buffers.filter((b) => b.type !== PacBufferType.REQUESTOR);
        const server = { nameType: 2, nameString: ['krbtgt', REALM] };
        return signTicketPac(e, { buffers }, { serverKey: k, kdcKey: k }, { server }).encTicketPart;
      });
    };
    const l = ad();
    const err = errorOf(
      l.kdc.handle(tgsReq({ tgt: withoutRequestor(l), realm: REALM, sname: WEB, now: T0 })),
    );
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_TGT_REVOKED);
    expect(err.eText).toMatch(/no PAC_REQUESTOR/);
    // A realm that does not require PACs (MIT's KDC writes no PAC_REQUESTOR) serves it.
    l.realm.policy.requirePac = false;
    expect(
      repOf(l.kdc.handle(tgsReq({ tgt: withoutRequestor(l), realm: REALM, sname: WEB, now: T0 }))).msgType,
    ).toBe(13);
  });

  it('refuses a TGT whose signed PAC has a PAC_REQUESTOR that does not decode (KRB_AP_ERR_MODIFIED)', () => {
    const l = ad();
    const k = krbtgtKey(l.realm);
    const broken = reseal(l.alice, k, (e) => {
      const pac = parsePac(pacOf(e));
      const buffers = pac.buffers.map((b) =>
        b.type === PacBufferType.REQUESTOR ? { type: b.type, data: Uint8Array.of(1, 5, 0) } : b,
      );
      const server = { nameType: 2, nameString: ['krbtgt', REALM] };
      return signTicketPac(e, { buffers }, { serverKey: k, kdcKey: k }, { server }).encTicketPart;
    });
    const err = errorOf(l.kdc.handle(tgsReq({ tgt: broken, realm: REALM, sname: WEB, now: T0 })));
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(err.eText).toMatch(/PACTYPE\.Buffers\[\d\]\.PAC_REQUESTOR/);
  });

  it('refuses an S4U2Proxy evidence ticket whose forwardable bit was flipped (Bronze Bit, CVE-2020-17049)', () => {
    const { l, sqlSpn, svcKey, svc, proxyRefusal } = delegationLab();
    // alice's own ticket to svc: forwardable only if asked; svc re-encrypts it with its own key.
    const toSvc = tgsGet(l.kdc, {
      tgt: l.alice,
      realm: REALM,
      sname: 'HTTP/svc.contoso.com',
      now: T0,
      options: 0,
    });
    const plain = openTicket(toSvc.ticket, svcKey);
    expect(plain.flags & TicketFlags.forwardable).toBe(0);
    const flipped = { ...plain, flags: (plain.flags | TicketFlags.forwardable) >>> 0 };
    const cipher = encrypt(svcKey, KeyUsage.KDC_REP_TICKET, encodeEncTicketPart(flipped), {
      random: clientRandom,
    });
    const evidence = { ...toSvc.ticket, encPart: { ...toSvc.ticket.encPart, cipher } };
    const err = proxyRefusal(evidence);
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(err.eText).toMatch(/ticket/i);
    // With the untouched forwardable evidence it works, and the PAC names the delegation.
    const fw = tgsGet(l.kdc, { tgt: l.alice, realm: REALM, sname: 'HTTP/svc.contoso.com', now: T0 });
    const ok = tgsGet(l.kdc, {
      tgt: svc,
      realm: REALM,
      sname: sqlSpn,
      now: T0,
      options: KdcOptions.forwardable | KdcOptions['constrained-delegation'],
      additionalTickets: [fw.ticket],
    });
    const sqlKey = stringToKey(18, 'sql-pw', 'CONTOSO.COMhostsql.contoso.com');
    const info = getPacBuffer(
      decodePac(pacOf(openTicket(ok.ticket, sqlKey))),
      PacBufferType.DELEGATION_INFO,
    )!;
    expect(info.s4u2proxyTarget).toBe(sqlSpn);
    expect(info.s4uTransitedServices).toEqual(['svc@CONTOSO.COM']);
    // Evidence this KDC issued carries the extended KDC signature: one without it (here re-signed
    // with the right keys, the buffer left out) is refused, as Windows refuses it in enforcement mode.
    const stripped = reseal(fw, svcKey, (e) => {
      const pac = decodePac(pacOf(e));
      const without = { buffers: pac.buffers.filter((b) => b.type !== PacBufferType.FULL_CHECKSUM) };
      return signTicketPac(
        e,
        without,
        { serverKey: svcKey, kdcKey: krbtgtKey(l.realm) },
        {
          server: pn('HTTP/svc.contoso.com'),
          extendedKdcSignature: false,
        },
      ).encTicketPart;
    });
    const refused = proxyRefusal(stripped.ticket);
    expect(refused.errorCode).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(refused.eText).toMatch(/extended KDC signature|FULL_CHECKSUM|19/i);
  });

  it('refuses an S4U2Proxy evidence ticket whose PAC is not for its client, though every signature checks (KRB_AP_ERR_MODIFIED)', () => {
    const { l, svcKey, proxyRefusal } = delegationLab();
    l.realm.addUser('bob', { password: 'bob-pw' });
    const fw = tgsGet(l.kdc, { tgt: l.alice, realm: REALM, sname: 'HTTP/svc.contoso.com', now: T0 });
    // alice's evidence made out to bob, her PAC signed again over it with the service's and (as a
    // stolen krbtgt key could) the KDC's keys: every signature holds, but the PAC names alice, not
    // the ticket's client (MS-PAC 2.7, PAC_CLIENT_INFO; MIT's S4U2PROXY_LOCAL_STKT_PAC).
    const renamed = reseal(
      fw,
      svcKey,
      (e) =>
        signTicketPac(
          { ...e, cname: pn('bob') },
          decodePac(pacOf(e)),
          { serverKey: svcKey, kdcKey: krbtgtKey(l.realm) },
          { server: pn('HTTP/svc.contoso.com') },
        ).encTicketPart,
    );
    const err = proxyRefusal(renamed.ticket);
    expect([err.errorCode, err.eText]).toEqual([
      ErrorCode.KRB_AP_ERR_MODIFIED,
      "the evidence ticket's PAC is not for its client",
    ]);
  });
});

describe('PAC signatures and the krbtgt key rotation', () => {
  const current = (realm: Realm): Key => realm.keysFor(`krbtgt/${REALM}`).find((k) => k.etype === 18)!;

  it('signs with the current krbtgt key, and verifies a PAC signed before a rotation while its key is kept', () => {
    const l = ad();
    l.realm.rotateKrbtgt();
    const key = userKey(REALM, 'alice', 'pw');
    const after = login(l, 'alice', key);
    // A service verifying the KDC signature with the realm's current krbtgt key (MS-PAC 2.8.2).
    const st = tgsGet(l.kdc, { tgt: after, realm: REALM, sname: WEB, now: T0 });
    const etp = openTicket(st.ticket, l.webKey);
    verifyPac(pacOf(etp), { serverKey: l.webKey, kdcKey: current(l.realm) }, { ticket: etp });
    // The TGT from before the rotation still serves: its PAC was signed with the previous key.
    expect(tgsGet(l.kdc, { tgt: l.alice, realm: REALM, sname: WEB, now: T0 }).ticket).toBeDefined();
    // A second rotation drops the first key: the TGT issued after the first still serves.
    l.realm.rotateKrbtgt();
    const again = tgsGet(l.kdc, { tgt: after, realm: REALM, sname: WEB, now: T0 });
    const etp2 = openTicket(again.ticket, l.webKey);
    verifyPac(pacOf(etp2), { serverKey: l.webKey, kdcKey: current(l.realm) }, { ticket: etp2 });
  });

  it('refuses to renew a service ticket whose forwardable bit its service flipped (Bronze Bit)', () => {
    const l = ad();
    const opts = KdcOptions.renewable;
    const st = tgsGet(l.kdc, { tgt: l.alice, realm: REALM, sname: WEB, now: T0, options: opts });
    const plain = openTicket(st.ticket, l.webKey);
    expect(plain.flags & TicketFlags.forwardable).toBe(0);
    const flipped = reseal(st, l.webKey, (e) => ({ ...e, flags: (e.flags | TicketFlags.forwardable) >>> 0 }));
    const renew = { realm: REALM, sname: WEB, now: T0 + 60_000, options: KdcOptions.renew };
    const err = errorOf(l.kdc.handle(tgsReq({ ...renew, tgt: flipped })));
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(err.eText).toMatch(/the ticket: .*ticket signature/i);
    // The untouched ticket renews.
    expect(tgsGet(l.kdc, { ...renew, tgt: st }).ticket).toBeDefined();
  });
});

describe('PAC from an authorization-data hook', () => {
  it('leaves a PAC the hook wrote that does not parse unsigned, as the hook gave it', () => {
    const l = ad();
    const junk = Uint8Array.of(1, 2, 3);
    l.realm.authorizationData = () => [wrapPac(junk)];
    const st = tgsGet(l.kdc, { tgt: l.alice, realm: REALM, sname: WEB, now: T0 });
    expect(pacOf(openTicket(st.ticket, l.webKey))).toEqual(junk);
  });
});

/**
 * alice's on-prem identity made to claim `domainSid`'s Administrator and Domain Admins, her referral
 * taken to the cloud realm: the KRB-ERROR the cloud KDC answers.
 */
function claimedAcrossTrust(
  t: {
    onprem: ReturnType<typeof adForestTrust>['onprem'];
    cloud: ReturnType<typeof adForestTrust>['cloud'];
    mi: string;
  },
  domainSid: string,
) {
  t.onprem.realm.directory.setExternalIdentity('alice', {
    sid: `${domainSid}-500`,
    groupSids: [`${domainSid}-512`],
  });
  const alice = login(t.onprem, 'alice', userKey(REALM, 'alice', 'pw'));
  const referral = tgsGet(t.onprem.kdc, { tgt: alice, realm: REALM, sname: t.mi, now: T0 });
  return errorOf(
    t.cloud.kdc.handle(tgsReq({ tgt: referral, realm: t.cloud.realm.name, sname: t.mi, now: T0 })),
  );
}

describe('PAC across a trust', () => {
  /**
   * The reference scenario's trust: KERBEROS.MICROSOFTONLINE.COM trusts the on-prem AD
   * (one-way, forest), alice on-prem, the managed instance's service in the cloud realm.
   */
  const forestTrust = () => adForestTrust(SID);

  it('filters SIDs the trusted domain may not speak for, and re-signs for the trusting realm', () => {
    const { onprem, cloud, mi } = forestTrust();
    // alice's on-prem identity claims a foreign SID (as SID history would): the trust drops it.
    onprem.realm.directory.setExternalIdentity('alice', {
      sid: `${SID}-${onprem.realm.directory.account('alice')!.rid}`,
      groupSids: [`${SID}-512`, 'S-1-5-21-1-2-3-519'],
    });
    const alice = login(onprem, 'alice', userKey(REALM, 'alice', 'pw'));
    const referral = tgsGet(onprem.kdc, { tgt: alice, realm: REALM, sname: mi, now: T0 });
    const st = tgsGet(cloud.kdc, { tgt: referral, realm: cloud.realm.name, sname: mi, now: T0 });
    const miKey = cloud.realm.keysFor(mi).find((k) => k.etype === 18)!;
    const etp = openTicket(st.ticket, miKey);
    const bytes = pacOf(etp);
    verifyPac(bytes, { serverKey: miKey, kdcKey: krbtgtKey(cloud.realm) }, { ticket: etp });
    const got = sids(bytes);
    expect(got).toContain(`${SID}-512`); // the trusted domain's own group: kept
    expect(got).not.toContain('S-1-5-21-1-2-3-519'); // another domain's Enterprise Admins: filtered
    expect(got).toContain('S-1-18-1');
    // The referral TGT's PAC was signed with the inter-realm key, which the cloud realm checked.
    expect(parseSid(got[0]!).subAuthority.at(-1)).toBe(onprem.realm.directory.account('alice')!.rid);
  });

  it('lets the identity assertion SIDs across (S-1-18 and one sub-authority, MS-DTYP 2.4.2.4), and no other SID under S-1-18', () => {
    const { onprem, cloud, mi, miKey } = forestTrust();
    const under = ['S-1-18-1-5', 'S-1-18-99-1'];
    onprem.realm.directory.setExternalIdentity('alice', {
      sid: `${SID}-${onprem.realm.directory.account('alice')!.rid}`,
      groupSids: ['S-1-18-3', ...under],
    });
    const events: KdcRequestEvent[] = [];
    const cloudKdc = new Kdc(cloud.realm, { onRequest: (e) => events.push(e) });
    const alice = login(onprem, 'alice', userKey(REALM, 'alice', 'pw'));
    expect(sids(pacOf(openTicket(alice.ticket, krbtgtKey(onprem.realm))))).toEqual(
      expect.arrayContaining(['S-1-18-3', ...under, 'S-1-18-1']),
    );
    const referral = tgsGet(onprem.kdc, { tgt: alice, realm: REALM, sname: mi, now: T0 });
    const st = tgsGet(cloudKdc, { tgt: referral, realm: cloud.realm.name, sname: mi, now: T0 });
    const got = sids(pacOf(openTicket(st.ticket, miKey)));
    expect(got.filter((s) => s.startsWith('S-1-18-'))).toEqual(['S-1-18-3', 'S-1-18-1']);
    expect(events.at(-1)!.sidsFiltered).toEqual(under);
  });

  it('a realm that issues no PACs (MIT kind) carries no PAC of another realm into its tickets', () => {
    const clock = new ManualClock(T0);
    const ad = makeRealm(REALM, { krbErrorStyle: 'mit' }, clock, { kind: 'active-directory' });
    const mit = makeRealm('EXAMPLE.ORG', {}, clock, { kind: 'mit' });
    createTrust({ trusting: mit.realm, trusted: ad.realm, direction: 'one-way', kind: 'realm' });
    ad.realm.addUser('alice', { password: 'pw' });
    const spn = 'HTTP/web.example.org';
    mit.realm.addService(spn, { password: 'web-pw' });
    const alice = login(ad, 'alice', userKey(REALM, 'alice', 'pw'));
    const referral = tgsGet(ad.kdc, { tgt: alice, realm: REALM, sname: 'krbtgt/EXAMPLE.ORG', now: T0 });
    expect(
      findPac(
        openTicket(
          referral.ticket,
          mit.realm
            .keysFor(`krbtgt/EXAMPLE.ORG@${REALM}`)
            .find((k) => k.etype === referral.ticket.encPart.etype)!,
        ).authorizationData,
      ),
    ).toBeDefined();
    const st = tgsGet(mit.kdc, { tgt: referral, realm: 'EXAMPLE.ORG', sname: spn, now: T0 });
    const etp = openTicket(
      st.ticket,
      mit.realm.keysFor(spn).find((k) => k.etype === st.ticket.encPart.etype)!,
    );
    // The referral's PAC, signed with the inter-realm key, is not one the service could verify.
    expect(findPac(etp.authorizationData)).toBeUndefined();
  });

  it("refuses a PAC from across the trust that claims a user of the trusting realm's own domain (KDC_ERR_POLICY)", () => {
    const { onprem, cloud, mi } = forestTrust();
    // The trusted side speaks for the cloud domain's Administrator and its Domain Admins: SID
    // filtering lets no SID of the trusting realm's own domain come over.
    const cloudSid = cloud.realm.directory.domainSid;
    const err = claimedAcrossTrust({ onprem, cloud, mi }, cloudSid);
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(err.eText).toContain(`claims a user of this realm's own domain (${cloudSid})`);
  });

  it('refuses a PAC from across a trust that claims a user of another domain this realm trusts (KDC_ERR_POLICY)', () => {
    // The cloud realm trusts a second forest, FABRIKAM.COM. CONTOSO.COM's side may speak only for
    // CONTOSO.COM's domain: a PAC claiming FABRIKAM's Administrator and Domain Admins is refused.
    const { onprem, cloud, mi } = forestTrust();
    const FABRIKAM_SID = 'S-1-5-21-7-8-9';
    const fabrikam = makeRealm('FABRIKAM.COM', { krbErrorStyle: 'mit' }, cloud.clock, {
      kind: 'active-directory',
      domainSid: FABRIKAM_SID,
    });
    createTrust({ trusting: cloud.realm, trusted: fabrikam.realm, direction: 'one-way', kind: 'forest' });
    const err = claimedAcrossTrust({ onprem, cloud, mi }, FABRIKAM_SID);
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(err.eText).toContain(
      `claims a user of domain ${FABRIKAM_SID}, which is not the domain of ${REALM}`,
    );
  });

  it("adds the resource domain's domain-local groups a user from across the trust reaches as a foreign member (MS-KILE 3.3.5.7.3)", () => {
    const { onprem, cloud, mi, miKey } = forestTrust();
    const LEGACY = 'S-1-5-21-111-222-333-1106';
    const onDir = onprem.realm.directory;
    const dbas = onDir.addGroup('DBAs');
    onDir.addMember('DBAs', 'alice');
    onDir.addSidHistory('alice', LEGACY);
    const aliceSid = `${SID}-${onDir.account('alice')!.rid}`;
    const cloudDir = cloud.realm.directory;
    const byUser = cloudDir.addGroup('MI Logins', { scope: 'domain-local' });
    const byGroup = cloudDir.addGroup('MI Admins', { scope: 'domain-local' });
    const nested = cloudDir.addGroup('MI All', { scope: 'domain-local' });
    const byHistory = cloudDir.addGroup('Legacy Access', { scope: 'domain-local' });
    cloudDir.addForeignMember('MI Logins', aliceSid);
    cloudDir.addForeignMember('MI Admins', `${SID}-${dbas.rid}`);
    cloudDir.addMember('MI All', 'MI Admins');
    // SID filtering comes first: a membership through a SID the trust removed is not granted.
    cloudDir.addForeignMember('Legacy Access', LEGACY);
    const alice = login(onprem, 'alice', userKey(REALM, 'alice', 'pw'));
    const referral = tgsGet(onprem.kdc, { tgt: alice, realm: REALM, sname: mi, now: T0 });
    const st = tgsGet(cloud.kdc, { tgt: referral, realm: cloud.realm.name, sname: mi, now: T0 });
    const info = getPacBuffer(decodePac(pacOf(openTicket(st.ticket, miKey))), PacBufferType.LOGON_INFO)!;
    expect(info.resourceGroupDomainSid && formatSid(info.resourceGroupDomainSid)).toBe(cloudDir.domainSid);
    expect(info.resourceGroupIds.map((g) => g.relativeId)).toEqual([byUser.rid, byGroup.rid, nested.rid]);
    expect(info.resourceGroupIds.map((g) => g.relativeId)).not.toContain(byHistory.rid);
    expect(info.userFlags & 0x200).toBe(0x200); // LOGON_RESOURCE_GROUPS
    expect(sids(pacOf(openTicket(st.ticket, miKey)))).toContain(`${cloudDir.domainSid}-${nested.rid}`);
  });

  it('drops claims and device information that crossed the trust', () => {
    const { onprem, cloud } = forestTrust();
    const alice = login(onprem, 'alice', userKey(REALM, 'alice', 'pw'));
    const pac = decodePac(pacOf(openTicket(alice.ticket, krbtgtKey(onprem.realm))));
    const foreign = {
      buffers: [
        ...pac.buffers,
        { type: PacBufferType.CLIENT_CLAIMS_INFO, data: Uint8Array.of(1, 2, 3) },
        { type: PacBufferType.DEVICE_INFO, data: Uint8Array.of(4, 5, 6) },
        { type: PacBufferType.DEVICE_CLAIMS_INFO, data: Uint8Array.of(7, 8, 9) },
      ],
    };
    const { pac: filtered } = filterAtTrust(cloud.realm, foreign, REALM, REALM);
    const types = filtered.buffers.map((b) => b.type);
    expect(types).toContain(PacBufferType.LOGON_INFO);
    expect(types).not.toContain(PacBufferType.CLIENT_CLAIMS_INFO);
    expect(types).not.toContain(PacBufferType.DEVICE_INFO);
    expect(types).not.toContain(PacBufferType.DEVICE_CLAIMS_INFO);
  });

  it('removes sIDHistory at the trust, and the KDC event lists what it removed (sidsFiltered)', () => {
    const LEGACY = 'S-1-5-21-111-222-333-1106';
    const { onprem, cloud, mi } = forestTrust();
    onprem.realm.directory.addSidHistory('alice', LEGACY);
    expect(() => onprem.realm.directory.addSidHistory('alice', 'S-1-18-1')).toThrow(RangeError);
    const events: KdcRequestEvent[] = [];
    const cloudKdc = new Kdc(cloud.realm, { onRequest: (e) => events.push(e) });
    const alice = login(onprem, 'alice', userKey(REALM, 'alice', 'pw'));
    // On-prem, the TGT and the referral carry the sIDHistory in ExtraSids, as a DC writes it.
    expect(sids(pacOf(openTicket(alice.ticket, krbtgtKey(onprem.realm))))).toContain(LEGACY);
    const referral = tgsGet(onprem.kdc, { tgt: alice, realm: REALM, sname: mi, now: T0 });
    const st = tgsGet(cloudKdc, { tgt: referral, realm: cloud.realm.name, sname: mi, now: T0 });
    const miKey = cloud.realm.keysFor(mi).find((k) => k.etype === 18)!;
    expect(sids(pacOf(openTicket(st.ticket, miKey)))).not.toContain(LEGACY);
    expect(events.at(-1)!.sidsFiltered).toEqual([LEGACY]);
    expect(events).toHaveLength(1);
  });
});
