/**
 * S4U2Proxy across a trust (MS-SFU 3.1.5.2.2, 3.2.5.2.3), driven by hand:
 * websvc@CONTOSO.COM, trusted to authenticate for delegation, gets alice a
 * ticket to FABRIKAM's SQL service, whose resource-based list names it.
 * At CONTOSO a referral TGT that names websvc and carries alice's PAC; at
 * FABRIKAM, with websvc's own cross-realm TGT, the ticket for alice. And
 * each refusal: the target's list, a sensitive user, a referral that is not
 * forwardable, presented by another service, or whose PAC names no user.
 */
import {
  decodeKerbErrorData,
  decodeKerbExtError,
  encodeEncTicketPart,
  encodePaPacOptions,
  KdcOptions,
  NameType,
  PacOptions,
  PaDataType,
  TicketFlags,
} from '@krbsim/asn1';
import { ErrorCode, ManualClock, NtStatus } from '@krbsim/core';
import { encrypt, KeyUsage } from '@krbsim/crypto';
import { createTrust } from '@krbsim/kdc';
import {
  decodePac,
  findPac,
  formatSid,
  getPacBuffer,
  type Pac,
  PacBufferType,
  parsePac,
  signTicketPac,
  validationInfoSids,
} from '@krbsim/pac';
import { describe, expect, it } from 'vitest';
import { withDelegationInfo } from '../src/pac-issuance';
import {
  type Creds,
  clientRandom,
  errorOf,
  forgedCreds,
  type Lab,
  login,
  makeRealm,
  openRep,
  openTicket,
  paForUser,
  paPacOptionsRbcd,
  pn,
  repOf,
  T0,
  tgsGet,
  tgsReq,
  userKey,
} from './helpers';

const A = 'CONTOSO.COM';
const B = 'FABRIKAM.COM';
const SQL = 'MSSQLSvc/sql.fabrikam.com:1433';
const FILES = 'cifs/files.fabrikam.com';
const FWD = KdcOptions.forwardable | KdcOptions.canonicalize;
const PROXY = FWD | KdcOptions['constrained-delegation'];

interface Forests {
  a: Lab;
  b: Lab;
  websvc: Creds;
}

/** CONTOSO (websvc, alice, sensitive bob, other) trusted by FABRIKAM (SQL allows websvc@CONTOSO; FILES allows nobody). */
function forests(opts: { trustedToAuthenticate?: boolean; allowedTo?: string[] } = {}): Forests {
  const clock = new ManualClock(T0);
  const ad = { kind: 'active-directory' as const };
  const a = makeRealm(A, { krbErrorStyle: 'mit' }, clock, ad);
  const b = makeRealm(B, { krbErrorStyle: 'mit' }, clock, ad);
  createTrust({ trusting: b.realm, trusted: a.realm, direction: 'one-way', kind: 'forest' });
  a.realm.mapDomain('.fabrikam.com', B);
  a.realm.addUser('websvc', {
    password: 'svc-pw',
    spns: ['HTTP/web.contoso.com'],
    delegation: {
      trustedToAuthenticate: opts.trustedToAuthenticate ?? true,
      allowedTo: opts.allowedTo ?? [],
    },
  });
  a.realm.addUser('other', { password: 'other-pw', spns: ['HTTP/other.contoso.com'] });
  a.realm.addUser('alice', { password: 'pw' });
  a.realm.addUser('bob', { password: 'pw', sensitive: true });
  b.realm.addUser('svc_sql', {
    password: 'sql-pw',
    spns: [SQL],
    delegation: { allowedFrom: [`websvc@${A}`] },
  });
  b.realm.addUser('svc_files', { password: 'files-pw', spns: [FILES] });
  return { a, b, websvc: login(a, 'websvc', userKey(A, 'websvc', 'svc-pw')) };
}

/** websvc's S4U2Self ticket to itself for `user` (the evidence). */
function selfTicket(f: Forests, user = 'alice'): Creds {
  return tgsGet(f.a.kdc, {
    tgt: f.websvc,
    realm: A,
    sname: 'websvc',
    now: T0,
    options: FWD,
    extraPadata: [paForUser(f.websvc, pn(user, NameType.NT_PRINCIPAL), A)],
  });
}

/** Step 1 at CONTOSO: websvc's S4U2Proxy request for `target` with `evidence`. */
const atContoso = (f: Forests, evidence: Creds, target = SQL) =>
  tgsReq({
    tgt: f.websvc,
    realm: A,
    sname: target,
    now: T0,
    options: PROXY,
    additionalTickets: [evidence.ticket],
    extraPadata: [paPacOptionsRbcd],
  });

/** Step 1 at CONTOSO, answered with the referral. */
function referral(f: Forests, evidence: Creds, target = SQL): Creds {
  return openRep(
    repOf(f.a.kdc.handle(atContoso(f, evidence, target))),
    f.websvc.sessionKey,
    KeyUsage.TGS_REP_ENCPART_SESSKEY,
  );
}

/** websvc's own cross-realm TGT to FABRIKAM. */
const crossTgt = (f: Forests, who = f.websvc): Creds =>
  tgsGet(f.a.kdc, { tgt: who, realm: A, sname: `krbtgt/${B}`, now: T0, options: FWD });

/** Step 2 at FABRIKAM: S4U2Proxy for `target` with `tgt` and the referral as evidence. */
const lastHop = (f: Forests, tgt: Creds, evidence: Creds, target = SQL) =>
  f.b.kdc.handle(
    tgsReq({
      tgt,
      realm: B,
      sname: target,
      now: T0,
      options: PROXY,
      additionalTickets: [evidence.ticket],
      extraPadata: [paPacOptionsRbcd],
    }),
  );

const code = (bytes: Uint8Array) => errorOf(bytes);

/** The key of krbtgt/FABRIKAM@CONTOSO that sealed `ref`, as CONTOSO holds it. */
const interRealmKey = (f: Forests, ref: Creds) =>
  f.a.realm.db.get(pn(`krbtgt/${B}`), A)!.keys.find((k) => k.key.etype === ref.ticket.encPart.etype)!.key;

/** `ref` with its PAC edited, signed again as CONTOSO signs it (inter-realm key, CONTOSO's krbtgt). */
function resealReferral(f: Forests, ref: Creds, edit: (pac: Pac) => Pac): Creds {
  const key = interRealmKey(f, ref);
  const etp = openTicket(ref.ticket, key);
  const pac = edit(parsePac(findPac(etp.authorizationData)!.pac));
  const kdcKey = f.a.realm.krbtgt.keys.find((k) => k.key.etype === 18)!.key;
  const signed = signTicketPac(
    etp,
    pac,
    { serverKey: key, kdcKey },
    { server: ref.ticket.sname },
  ).encTicketPart;
  const cipher = encrypt(key, KeyUsage.KDC_REP_TICKET, encodeEncTicketPart(signed), { random: clientRandom });
  return { ...ref, ticket: { ...ref.ticket, encPart: { ...ref.ticket.encPart, cipher } } };
}

describe('cross-realm S4U2Proxy (resource-based, MS-SFU 3.2.5.2.3)', () => {
  it("takes alice's ticket to websvc@CONTOSO to FABRIKAM's SQL service through a referral that names websvc", () => {
    const f = forests();
    const ref = referral(f, selfTicket(f));
    // The referral: krbtgt/FABRIKAM@CONTOSO for websvc, forwardable, alice in its PAC as alice@CONTOSO.COM.
    expect(ref.ticket.sname).toEqual(pn(`krbtgt/${B}`));
    expect(ref.cname.nameString).toEqual(['websvc']);
    expect(f.a.log.at(-1)).toMatch(
      /-> TGS-REP \(referral to FABRIKAM.COM\) \(S4U2Proxy for alice@CONTOSO.COM\)$/,
    );
    // The answer says resource-based delegation is served (MIT follows the referral only then).
    const options = ref.part.encryptedPaData?.find((p) => p.padataType === PaDataType.PA_PAC_OPTIONS);
    expect(options?.padataValue).toEqual(paPacOptionsRbcd.padataValue);
    // S4U_DELEGATION_INFO is added here, at the first hop, as MIT's KDC adds it (handle_pac): SQL,
    // the service asked for, through websvc@CONTOSO.
    const refPac = decodePac(findPac(openTicket(ref.ticket, interRealmKey(f, ref)).authorizationData)!.pac);
    expect(getPacBuffer(refPac, PacBufferType.CLIENT_INFO)!.name).toBe(`alice@${A}`);
    expect(getPacBuffer(refPac, PacBufferType.DELEGATION_INFO)).toEqual({
      s4u2proxyTarget: SQL,
      s4uTransitedServices: [`websvc@${A}`],
    });

    const done = tgsGet(f.b.kdc, {
      tgt: crossTgt(f),
      realm: B,
      sname: SQL,
      now: T0,
      options: PROXY,
      additionalTickets: [ref.ticket],
      extraPadata: [paPacOptionsRbcd],
    });
    expect(f.b.log.at(-1)).toMatch(/-> TGS-REP \(S4U2Proxy for alice@CONTOSO.COM\)$/);
    const etp = openTicket(done.ticket, userKey(B, 'svc_sql', 'sql-pw'));
    expect(etp.cname.nameString).toEqual(['alice']);
    expect(etp.crealm).toBe(A);
    const pac = decodePac(findPac(etp.authorizationData)!.pac);
    expect(getPacBuffer(pac, PacBufferType.CLIENT_INFO)!.name).toBe('alice');
    // FABRIKAM copies it (MS-SFU 3.2.5.2.4): websvc is in it once.
    expect(getPacBuffer(pac, PacBufferType.DELEGATION_INFO)).toEqual({
      s4u2proxyTarget: SQL,
      s4uTransitedServices: [`websvc@${A}`],
    });
    const sids = validationInfoSids(getPacBuffer(pac, PacBufferType.LOGON_INFO)!).map((s) =>
      formatSid(s.sid),
    );
    expect(sids[0]).toBe(`${f.a.realm.directory!.domainSid}-${f.a.realm.directory!.account('alice')!.rid}`);
  });

  it('refuses a target whose resource-based list does not name websvc@CONTOSO (KDC_ERR_BADOPTION, at FABRIKAM)', () => {
    const f = forests();
    const ref = referral(f, selfTicket(f), FILES);
    const e = code(lastHop(f, crossTgt(f), ref, FILES));
    expect(e.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(e.eText).toMatch(/may not delegate to svc_files@FABRIKAM.COM/);
  });

  it('refuses a sensitive user at CONTOSO, before any referral (KDC_ERR_BADOPTION)', () => {
    const f = forests();
    const bobs = login(f.a, 'bob', userKey(A, 'bob', 'pw'));
    // bob's tickets are never forwardable (MS-KILE 3.3.5.1): his plain ticket to websvc is the evidence.
    expect(bobs.part.flags & TicketFlags.forwardable).toBe(0);
    const toWebsvc = tgsGet(f.a.kdc, {
      tgt: bobs,
      realm: A,
      sname: 'HTTP/web.contoso.com',
      now: T0,
      options: KdcOptions.canonicalize,
    });
    const e = code(f.a.kdc.handle(atContoso(f, toWebsvc)));
    expect(e.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(e.eText).toMatch(/sensitive and cannot be delegated/);
  });

  it('refuses a referral that is not forwardable (its evidence was not), at FABRIKAM (KDC_ERR_BADOPTION)', () => {
    // Not trusted to authenticate, with a classic target: websvc's S4U2Self tickets are not forwardable.
    const f = forests({ trustedToAuthenticate: false, allowedTo: ['HTTP/other.contoso.com'] });
    const ref = referral(f, selfTicket(f));
    const e = code(lastHop(f, crossTgt(f), ref));
    expect(e.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(e.eText).toMatch(/not forwardable/);
  });

  it("refuses websvc's referral presented by another service, and a plain cross-realm TGT as evidence", () => {
    const f = forests();
    const ref = referral(f, selfTicket(f));
    const other = login(f.a, 'other', userKey(A, 'other', 'other-pw'));
    const stolen = code(lastHop(f, crossTgt(f, other), ref));
    expect(stolen.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(stolen.eText).toMatch(/issued to websvc@CONTOSO.COM, not to other@CONTOSO.COM/);
    // websvc's own TGT to FABRIKAM names websvc in its PAC, not a user: no ticket for anyone.
    const plain = code(lastHop(f, crossTgt(f), crossTgt(f)));
    expect(plain.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(plain.eText).toMatch(/PAC names websvc, not a user of CONTOSO.COM/);
  });

  it("the referral is no TGT: as the header of an ordinary request it gets no ticket with alice's PAC (KDC_ERR_BADOPTION)", () => {
    // websvc needs no delegation right at CONTOSO to get the referral; FILES allows nobody.
    const f = forests({ trustedToAuthenticate: false });
    const ref = referral(f, selfTicket(f));
    const e = code(
      f.b.kdc.handle(tgsReq({ tgt: ref, realm: B, sname: FILES, now: T0, options: KdcOptions.canonicalize })),
    );
    expect(e.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(e.eText).toContain(`the TGT's PAC is not for websvc@${A}, whom the TGT names`);
    // websvc's own cross-realm TGT, whose PAC is its own, still serves it.
    const own = tgsGet(f.b.kdc, {
      tgt: crossTgt(f),
      realm: B,
      sname: FILES,
      now: T0,
      options: KdcOptions.canonicalize,
    });
    expect(own.cname.nameString).toEqual(['websvc']);
  });

  it("binds the referral to its target and service by its S4U_DELEGATION_INFO (MIT's verify_deleg_pac): else KDC_ERR_BADOPTION", () => {
    const f = forests();
    // A referral got for FILES is no evidence for SQL.
    const forFiles = referral(f, selfTicket(f), FILES);
    const other = code(lastHop(f, crossTgt(f), forFiles, SQL));
    expect([other.errorCode, other.eText]).toEqual([
      ErrorCode.KDC_ERR_BADOPTION,
      `S4U2Proxy: the referral TGT's PAC was issued for ${FILES}, not ${SQL}`,
    ]);
    // One without S4U_DELEGATION_INFO (as CONTOSO made it before it added one), or whose last
    // transited service is not websvc, the client of both TGTs.
    const edited = (edit: (pac: Pac) => Pac) => resealReferral(f, referral(f, selfTicket(f)), edit);
    const withoutInfo = edited((pac) => ({
      buffers: pac.buffers.filter((b) => b.type !== PacBufferType.DELEGATION_INFO),
    }));
    const none = code(lastHop(f, crossTgt(f), withoutInfo));
    expect([none.errorCode, none.eText]).toEqual([
      ErrorCode.KDC_ERR_BADOPTION,
      "S4U2Proxy: the referral TGT's PAC carries no S4U_DELEGATION_INFO",
    ]);
    const throughOther = edited((pac) =>
      withDelegationInfo(pac, pn(SQL), { name: pn('other', 1), realm: A }),
    );
    const last = code(lastHop(f, crossTgt(f), throughOther));
    expect([last.errorCode, last.eText]).toEqual([
      ErrorCode.KDC_ERR_BADOPTION,
      `S4U2Proxy: the referral TGT's PAC names other@${A} as the last transited service, not websvc@${A}`,
    ]);
    // The referral as made, resealed the same way, still serves.
    const same = edited((pac) => pac);
    expect(repOf(lastHop(f, crossTgt(f), same)).cname.nameString).toEqual(['alice']);
  });

  it('takes an MIT-made referral, S4U_DELEGATION_INFO added at CONTOSO, and adds websvc no second time', () => {
    const f = forests();
    // What an MIT KDC of CONTOSO sends: the user's PAC with S4U_DELEGATION_INFO made at the first hop.
    const mitMade = resealReferral(f, referral(f, selfTicket(f)), (pac) =>
      withDelegationInfo(
        { buffers: pac.buffers.filter((b) => b.type !== PacBufferType.DELEGATION_INFO) },
        pn(SQL),
        { name: pn('websvc', NameType.NT_PRINCIPAL), realm: A },
      ),
    );
    const etp = openTicket(repOf(lastHop(f, crossTgt(f), mitMade)).ticket, userKey(B, 'svc_sql', 'sql-pw'));
    expect(
      getPacBuffer(decodePac(findPac(etp.authorizationData)!.pac), PacBufferType.DELEGATION_INFO),
    ).toEqual({
      s4u2proxyTarget: SQL,
      s4uTransitedServices: [`websvc@${A}`],
    });
  });

  it('refuses the referral when the request does not ask for resource-based delegation (MIT: UNSUPPORTED_S4U2PROXY_REQUEST; MS-SFU 3.2.5.2.1)', () => {
    const f = forests();
    const withoutBit = tgsReq({
      tgt: f.websvc,
      realm: A,
      sname: SQL,
      now: T0,
      options: PROXY,
      additionalTickets: [selfTicket(f).ticket],
    });
    const e = code(f.a.kdc.handle(withoutBit));
    expect([e.errorCode, e.eText]).toEqual([
      ErrorCode.KDC_ERR_BADOPTION,
      'S4U2Proxy: the service is in another realm, which only resource-based delegation reaches, and the request did not ask for it with PA-PAC-OPTIONS',
    ]);
    // A Windows DC says why as MS-SFU 3.2.5.2.1 does: websvc has no classic list, STATUS_NOT_SUPPORTED.
    f.a.realm.policy.krbErrorStyle = 'active-directory';
    const ad = code(f.a.kdc.handle(withoutBit));
    expect(decodeKerbExtError(decodeKerbErrorData(ad.eData!).dataValue!).ntStatus).toBe(
      NtStatus.STATUS_NOT_SUPPORTED,
    );
  });

  it('opens the referral with the key that opened the TGT, where FABRIKAM holds the inter-realm key under another kvno', () => {
    const f = forests();
    const ref = referral(f, selfTicket(f));
    const tgt = crossTgt(f);
    // FABRIKAM's record of krbtgt/FABRIKAM@CONTOSO under another version (a trust rekeyed on one side):
    // the TGT's kvno is not held, the newest key opens it (`interRealmKvnoStrict` off), and the referral too.
    const inter = f.b.realm.db.get(pn(`krbtgt/${B}`), A)!;
    expect(inter).not.toBe(f.a.realm.db.get(pn(`krbtgt/${B}`), A));
    inter.keys = inter.keys.map((k) => ({ ...k, kvno: k.kvno + 1 }));
    expect(inter.keys.some((k) => k.kvno === ref.ticket.encPart.kvno)).toBe(false);
    expect(repOf(lastHop(f, tgt, ref)).cname.nameString).toEqual(['alice']);
    // Where the kvno must match, neither opens: the TGT is refused first.
    f.b.realm.policy.interRealmKvnoStrict = true;
    expect(code(lastHop(f, tgt, ref)).errorCode).toBe(ErrorCode.KRB_AP_ERR_BADKEYVER);
  });

  it('a referral is evidence only at the KDC of the service asked for: not passed on at CONTOSO again', () => {
    const f = forests();
    const ref = referral(f, selfTicket(f));
    const e = code(f.a.kdc.handle(atContoso(f, ref)));
    expect(e.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
  });

  it('PA-PAC-OPTIONS: the served bit is echoed in encrypted-pa-data; a request for others alone, or a value that does not decode, gets none', () => {
    const f = forests();
    const ask = (padataValue: Uint8Array) =>
      tgsGet(f.a.kdc, {
        tgt: f.websvc,
        realm: A,
        sname: 'HTTP/other.contoso.com',
        now: T0,
        extraPadata: [{ padataType: PaDataType.PA_PAC_OPTIONS, padataValue }],
      }).part.encryptedPaData?.filter((p) => p.padataType === PaDataType.PA_PAC_OPTIONS);
    const both = PacOptions.claims | PacOptions['resource-based-constrained-delegation'];
    expect(ask(encodePaPacOptions({ flags: both }))).toEqual([paPacOptionsRbcd]);
    // No served option asked for (a Windows client's branch-aware, claims): no PA-PAC-OPTIONS back, as Samba.
    expect(ask(encodePaPacOptions({ flags: PacOptions.claims }))).toEqual([]);
    expect(ask(encodePaPacOptions({ flags: PacOptions['branch-aware'] }))).toEqual([]);
    expect(ask(encodePaPacOptions({ flags: 0 }))).toEqual([]);
    expect(ask(Uint8Array.of(1, 2, 3))).toEqual([]);
  });
});

describe('S4U2Proxy within a realm for a user of another realm (MS-SFU 3.2.5.2.1)', () => {
  const WEB_B = 'HTTP/web.fabrikam.com';
  const RBCD = 'HTTP/rbcd.fabrikam.com';

  /** FABRIKAM's front end webb: classic delegation to SQL; RBCD's resource-based list names it. */
  function frontEnd() {
    const f = forests();
    f.b.realm.addUser('webb', { password: 'webb-pw', spns: [WEB_B], delegation: { allowedTo: [SQL] } });
    f.b.realm.addUser('svc_rbcd', {
      password: 'rbcd-pw',
      spns: [RBCD],
      delegation: { allowedFrom: [`webb@${B}`] },
    });
    return { f, webb: login(f.b, 'webb', userKey(B, 'webb', 'webb-pw')) };
  }

  /** A CONTOSO user's own ticket to webb, got through the trust (the evidence); forwardable when it can be. */
  function toWebb(f: Forests, user: string, forwardable = true): Creds {
    const options = forwardable ? FWD : KdcOptions.canonicalize;
    const tgt = login(f.a, user, userKey(A, user, 'pw'), {
      options: KdcOptions.canonicalize | (forwardable ? KdcOptions.forwardable : 0),
    });
    const cross = tgsGet(f.a.kdc, { tgt, realm: A, sname: `krbtgt/${B}`, now: T0, options });
    return tgsGet(f.b.kdc, { tgt: cross, realm: B, sname: WEB_B, now: T0, options });
  }

  const proxy = (webb: Creds, evidence: Creds, target: string, rbcd: boolean) =>
    tgsReq({
      tgt: webb,
      realm: B,
      sname: target,
      now: T0,
      options: PROXY,
      additionalTickets: [evidence.ticket],
      ...(rbcd && { extraPadata: [paPacOptionsRbcd] }),
    });

  it('classic: webb reaches SQL as alice@CONTOSO.COM with her ticket, her PAC and S4U_DELEGATION_INFO', () => {
    const { f, webb } = frontEnd();
    const evidence = toWebb(f, 'alice');
    expect(evidence.part.flags & TicketFlags.forwardable).toBe(TicketFlags.forwardable);
    const st = openRep(
      repOf(f.b.kdc.handle(proxy(webb, evidence, SQL, false))),
      webb.sessionKey,
      KeyUsage.TGS_REP_ENCPART_SESSKEY,
    );
    expect(f.b.log.at(-1)).toMatch(/-> TGS-REP \(S4U2Proxy for alice@CONTOSO.COM\)$/);
    const etp = openTicket(st.ticket, userKey(B, 'svc_sql', 'sql-pw'));
    expect([etp.cname.nameString, etp.crealm]).toEqual([['alice'], A]);
    const pac = decodePac(findPac(etp.authorizationData)!.pac);
    expect(getPacBuffer(pac, PacBufferType.DELEGATION_INFO)).toEqual({
      s4u2proxyTarget: SQL,
      s4uTransitedServices: [`webb@${B}`],
    });
    const info = getPacBuffer(pac, PacBufferType.LOGON_INFO)!;
    expect(formatSid(validationInfoSids(info)[0]!.sid)).toBe(
      `${f.a.realm.directory.domainSid}-${f.a.realm.directory.account('alice')!.rid}`,
    );
  });

  it('resource-based: webb reaches svc_rbcd as alice; bob, sensitive in CONTOSO, is refused by what his PAC says', () => {
    const { f, webb } = frontEnd();
    repOf(f.b.kdc.handle(proxy(webb, toWebb(f, 'alice'), RBCD, true)));
    expect(f.b.log.at(-1)).toMatch(/-> TGS-REP \(S4U2Proxy for alice@CONTOSO.COM\)$/);
    // bob's tickets are not forwardable; resource-based delegation would take them, but his PAC's
    // UserAccountControl has USER_NOT_DELEGATED.
    const err = code(f.b.kdc.handle(proxy(webb, toWebb(f, 'bob', false), RBCD, true)));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(err.eText).toContain('bob@CONTOSO.COM is sensitive and cannot be delegated');
  });

  it("a CONTOSO member of its Protected Users is refused too, by the PAC's group RID 525", () => {
    const { f, webb } = frontEnd();
    f.a.realm.addUser('carol', { password: 'pw' });
    f.a.realm.directory.addMember('Protected Users', 'carol');
    const err = code(f.b.kdc.handle(proxy(webb, toWebb(f, 'carol', false), RBCD, true)));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(err.eText).toContain('carol@CONTOSO.COM is sensitive and cannot be delegated');
  });

  it('an evidence ticket a service sealed itself for a user of another realm, without a PAC, is refused', () => {
    const { f, webb } = frontEnd();
    const kvno = f.b.realm.lookup('webb')!.keys.find((k) => k.key.etype === 18)!.kvno;
    const forged = forgedCreds(B, WEB_B, A, 'alice', userKey(B, 'webb', 'webb-pw'), kvno);
    const err = code(f.b.kdc.handle(proxy(webb, forged, SQL, false)));
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(err.eText).toContain('the evidence ticket carries no PAC');
  });

  it('across a trust again for the user of a third realm: KDC_ERR_POLICY at FABRIKAM, no referral MS-SFU does not describe', () => {
    const { f, webb } = frontEnd();
    const c = makeRealm('NORTHWIND.COM', { krbErrorStyle: 'mit' }, f.b.clock, { kind: 'active-directory' });
    createTrust({ trusting: c.realm, trusted: f.b.realm, direction: 'one-way', kind: 'forest' });
    f.b.realm.mapDomain('.northwind.com', 'NORTHWIND.COM');
    c.realm.addUser('svc_nw', {
      password: 'nw-pw',
      spns: ['HTTP/app.northwind.com'],
      delegation: { allowedFrom: [`webb@${B}`] },
    });
    const err = code(f.b.kdc.handle(proxy(webb, toWebb(f, 'alice'), 'HTTP/app.northwind.com', true)));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(err.eText).toContain('a user of a realm other than FABRIKAM.COM');
  });

  it('in realms that issue no PACs (MIT disable_pac), a user of another realm is not delegated either: KDC_ERR_TGT_REVOKED', () => {
    const clock = new ManualClock(T0);
    const a = makeRealm(A, {}, clock, { kind: 'mit' });
    const b = makeRealm(B, {}, clock, { kind: 'mit' });
    createTrust({ trusting: b.realm, trusted: a.realm, direction: 'one-way', kind: 'realm' });
    a.realm.addUser('alice', { password: 'pw' });
    b.realm.addUser('webb', { password: 'webb-pw', spns: [WEB_B], delegation: { allowedTo: [SQL] } });
    b.realm.addUser('svc_sql', { password: 'sql-pw', spns: [SQL] });
    const tgt = login(a, 'alice', userKey(A, 'alice', 'pw'));
    const cross = tgsGet(a.kdc, { tgt, realm: A, sname: `krbtgt/${B}`, now: T0, options: FWD });
    const evidence = tgsGet(b.kdc, { tgt: cross, realm: B, sname: WEB_B, now: T0, options: FWD });
    const webb = login(b, 'webb', userKey(B, 'webb', 'webb-pw'));
    const err = code(b.kdc.handle(proxy(webb, evidence, SQL, false)));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_TGT_REVOKED);
    expect(err.eText).toContain(`${B} issues no PACs (issuePac false, MIT's disable_pac)`);
  });
});
