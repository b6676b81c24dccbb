/**
 * S4U2Self across a trust (MS-SFU 3.2.5.1.1, 4.2): the three TGS exchanges
 * driven by hand, what each ticket holds, and every refusal: one-way trusts
 * in either direction, paths longer than one trust, and a referral whose PAC
 * is not the named user's.
 */
import { KdcOptions, NameType, TicketFlags } from '@krbsim/asn1';
import { ErrorCode, ManualClock } from '@krbsim/core';
import { createTrust, type RealmPolicy, type TrustDirection } from '@krbsim/kdc';
import { decodePac, findPac, formatSid, getPacBuffer, PacBufferType, validationInfoSids } from '@krbsim/pac';
import { describe, expect, it } from 'vitest';
import {
  type Creds,
  errorOf,
  type Lab,
  login,
  makeRealm,
  openTicket,
  paForUser,
  pn,
  T0,
  tgsGet,
  tgsReq,
  userKey,
} from './helpers';

/** The service's realm (A) and the user's realm (B). */
const A = 'FABRIKAM.COM';
const B = 'CONTOSO.COM';
const SVC = 'HTTP/web.fabrikam.com';
const FWD = KdcOptions.forwardable | KdcOptions.canonicalize;

const alice = pn('alice', NameType.NT_PRINCIPAL);
const bob = pn('bob', NameType.NT_PRINCIPAL);

interface TwoRealms {
  a: Lab;
  b: Lab;
  svc: Creds;
}

/**
 * A's websvc and B's users. `trusting`/`direction` describe the trust
 * between them: by default a two-way forest trust.
 */
function lab(
  opts: {
    direction?: TrustDirection;
    trusting?: 'A' | 'B';
    trusted?: boolean;
    /** websvc's classic delegation targets (default none). */
    allowedTo?: string[];
    sensitive?: boolean;
    policyA?: Partial<RealmPolicy>;
    policyB?: Partial<RealmPolicy>;
  } = {},
): TwoRealms {
  const clock = new ManualClock(T0);
  const ad = { kind: 'active-directory' as const };
  const a = makeRealm(A, { krbErrorStyle: 'mit', ...opts.policyA }, clock, ad);
  const b = makeRealm(B, { krbErrorStyle: 'mit', ...opts.policyB }, clock, ad);
  const [trusting, trusted] = (opts.trusting ?? 'A') === 'A' ? [a, b] : [b, a];
  createTrust({
    trusting: trusting.realm,
    trusted: trusted.realm,
    direction: opts.direction ?? 'two-way',
    kind: 'forest',
  });
  a.realm.addUser('websvc', {
    password: 'svc-pw',
    spns: [SVC],
    delegation: { trustedToAuthenticate: opts.trusted ?? false, allowedTo: opts.allowedTo ?? [] },
  });
  b.realm.addUser('alice', { password: 'pw', sensitive: opts.sensitive ?? false });
  b.realm.addUser('bob', { password: 'pw' });
  return { a, b, svc: login(a, 'websvc', userKey(A, 'websvc', 'svc-pw')) };
}

const svcKey = () => userKey(A, 'websvc', 'svc-pw');

/** Step 1 at A, step 2 at B (for `user`), and the request of step 3 at A (for `asked`). */
function threeSteps(l: TwoRealms, user = alice, asked = user) {
  const toB = tgsGet(l.a.kdc, {
    tgt: l.svc,
    realm: A,
    sname: SVC,
    now: T0,
    options: FWD,
    extraPadata: [paForUser(l.svc, user, B)],
  });
  const backToA = tgsGet(l.b.kdc, {
    tgt: toB,
    realm: B,
    sname: SVC,
    now: T0,
    options: FWD,
    extraPadata: [paForUser(toB, user, B)],
  });
  const last = tgsReq({
    tgt: backToA,
    realm: A,
    sname: SVC,
    now: T0,
    options: FWD,
    extraPadata: [paForUser(backToA, asked, B)],
  });
  return { toB, backToA, last };
}

const pacOf = (authorizationData: Parameters<typeof findPac>[0]) =>
  decodePac(findPac(authorizationData)!.pac);

describe('cross-realm S4U2Self over a direct two-way trust', () => {
  it("takes websvc@A to B and back, and A issues websvc's ticket to itself for alice@B with B's PAC", () => {
    const l = lab();
    const { toB, backToA } = threeSteps(l);

    // Step 1: a referral for the service itself toward the user's realm.
    expect(toB.ticket.sname).toEqual(pn(`krbtgt/${B}`));
    expect(toB.ticket.realm).toBe(A);
    expect(toB.cname.nameString).toEqual(['websvc']);
    expect(l.a.log.at(-1)).toMatch(/-> TGS-REP \(referral to CONTOSO.COM\)$/);

    // Step 2: B's referral back to A: the service's ticket (MS-SFU 3.2.5.1.1), alice's PAC inside.
    expect(backToA.ticket.sname).toEqual(pn(`krbtgt/${A}`));
    expect(backToA.ticket.realm).toBe(B);
    expect(backToA.crealm).toBe(A);
    expect(backToA.cname.nameString).toEqual(['websvc']);
    expect(l.b.log.at(-1)).toMatch(/\(referral to FABRIKAM.COM\) \(S4U2Self for alice@CONTOSO.COM\)$/);
    const interRealm = l.a.realm
      .keysFor(`krbtgt/${A}@${B}`)
      .find((k) => k.etype === backToA.ticket.encPart.etype)!;
    const ref = openTicket(backToA.ticket, interRealm);
    expect(ref.cname.nameString).toEqual(['websvc']);
    const refPac = pacOf(ref.authorizationData);
    expect(getPacBuffer(refPac, PacBufferType.CLIENT_INFO)!.name).toBe(`alice@${B}`);

    // Step 3: the service ticket, alice@B as client, B's PAC SID-filtered and named for alice.
    const st = tgsGet(l.a.kdc, {
      tgt: backToA,
      realm: A,
      sname: SVC,
      now: T0,
      options: FWD,
      extraPadata: [paForUser(backToA, alice, B)],
    });
    expect(st.cname.nameString).toEqual(['alice']);
    expect(st.crealm).toBe(B);
    const part = openTicket(st.ticket, svcKey());
    expect(part.cname.nameString).toEqual(['alice']);
    expect(part.crealm).toBe(B);
    // websvc, not trusted to authenticate, has no classic targets: forwardable as asked (MS-SFU 3.2.5.1.2).
    expect(part.flags & TicketFlags.forwardable).toBe(TicketFlags.forwardable);
    const pac = pacOf(part.authorizationData);
    expect(getPacBuffer(pac, PacBufferType.CLIENT_INFO)!.name).toBe('alice');
    const sids = validationInfoSids(getPacBuffer(pac, PacBufferType.LOGON_INFO)!).map((s) =>
      formatSid(s.sid),
    );
    const bUserSid = validationInfoSids(getPacBuffer(refPac, PacBufferType.LOGON_INFO)!).map((s) =>
      formatSid(s.sid),
    )[0]!;
    expect(sids[0]).toBe(bUserSid); // B's SID for alice
    expect(sids).toContain('S-1-18-2'); // service asserted identity, from B
    expect(l.a.log.at(-1)).toMatch(/-> TGS-REP \(S4U2Self for alice@CONTOSO.COM\)$/);
  });

  it("also serves MS-SFU's own first step: a plain request for krbtgt/B", () => {
    const l = lab();
    const toB = tgsGet(l.a.kdc, { tgt: l.svc, realm: A, sname: `krbtgt/${B}`, now: T0, options: FWD });
    const backToA = tgsGet(l.b.kdc, {
      tgt: toB,
      realm: B,
      sname: SVC,
      now: T0,
      options: FWD,
      extraPadata: [paForUser(toB, alice, B)],
    });
    const st = tgsGet(l.a.kdc, {
      tgt: backToA,
      realm: A,
      sname: SVC,
      now: T0,
      options: FWD,
      extraPadata: [paForUser(backToA, alice, B)],
    });
    expect(st.crealm).toBe(B);
  });

  it('forwardable for a user who may be delegated, unless the service is not trusted and has classic targets', () => {
    const fwd = (l: TwoRealms) => {
      const { backToA } = threeSteps(l);
      const st = tgsGet(l.a.kdc, {
        tgt: backToA,
        realm: A,
        sname: SVC,
        now: T0,
        options: FWD,
        extraPadata: [paForUser(backToA, alice, B)],
      });
      return openTicket(st.ticket, svcKey()).flags & TicketFlags.forwardable;
    };
    expect(fwd(lab({ trusted: true }))).not.toBe(0);
    expect(fwd(lab({ trusted: true, sensitive: true }))).toBe(0);
    expect(fwd(lab({ trusted: false }))).not.toBe(0);
    expect(fwd(lab({ trusted: false, sensitive: true }))).toBe(0);
    expect(fwd(lab({ trusted: false, allowedTo: ['MSSQLSvc/sql.fabrikam.com:1433'] }))).toBe(0);
  });
});

describe('cross-realm S4U2Self when the service realm issues no PACs', () => {
  it("checks B's PAC at the last hop, then issues websvc's ticket for alice without one", () => {
    const l = lab({ policyA: { issuePac: false } });
    const { backToA } = threeSteps(l);
    const rep = tgsGet(l.a.kdc, {
      tgt: backToA,
      realm: A,
      sname: SVC,
      now: T0,
      options: FWD,
      extraPadata: [paForUser(backToA, alice, B)],
    });
    const etp = openTicket(rep.ticket, svcKey());
    expect(etp.cname.nameString).toEqual(['alice']);
    expect(etp.crealm).toBe(B);
    expect(findPac(etp.authorizationData)).toBeUndefined();
  });
});

describe('cross-realm S4U2Self refusals', () => {
  const code = (l: Lab, bytes: Uint8Array) => errorOf(l.kdc.handle(bytes));

  it('refuses a referral whose PAC is for another user than PA-FOR-USER names', () => {
    const l = lab();
    const { last } = threeSteps(l, bob, alice);
    const e = code(l.a, last);
    expect(e.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(e.eText).toMatch(/PAC is for bob@CONTOSO.COM, not alice@CONTOSO.COM/);
  });

  it("refuses the referral TGT for anything but S4U2Self for a user of B (it names A's own service)", () => {
    const l = lab();
    const { backToA } = threeSteps(l);
    const plain = code(l.a, tgsReq({ tgt: backToA, realm: A, sname: SVC, now: T0 }));
    expect(plain.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(plain.eText).toMatch(/invalid lineage/);
    l.a.realm.addUser('carol', { password: 'pw' });
    const ours = code(
      l.a,
      tgsReq({
        tgt: backToA,
        realm: A,
        sname: SVC,
        now: T0,
        extraPadata: [paForUser(backToA, pn('carol', 1), A)],
      }),
    );
    expect(ours.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(ours.eText).toMatch(/only for users of CONTOSO.COM/);
    const combined = code(
      l.a,
      tgsReq({
        tgt: backToA,
        realm: A,
        sname: SVC,
        now: T0,
        options: FWD | KdcOptions['constrained-delegation'],
        additionalTickets: [backToA.ticket],
        extraPadata: [paForUser(backToA, alice, B)],
      }),
    );
    expect(combined.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
  });

  it('refuses over a one-way trust, in either direction, with KDC_ERR_POLICY and the reason', () => {
    // A trusts B (B's users reach A's services): A holds no krbtgt/B@A to send websvc to B.
    const oneWay = lab({ direction: 'one-way', trusting: 'A' });
    const e1 = code(
      oneWay.a,
      tgsReq({
        tgt: oneWay.svc,
        realm: A,
        sname: SVC,
        now: T0,
        extraPadata: [paForUser(oneWay.svc, alice, B)],
      }),
    );
    expect(e1.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(e1.eText).toMatch(/direct two-way trust/);
    // B trusts A, the reverse: websvc may reach B, but B's users may not come back to A.
    const reverse = lab({ direction: 'one-way', trusting: 'B' });
    const e2 = code(
      reverse.a,
      tgsReq({
        tgt: reverse.svc,
        realm: A,
        sname: SVC,
        now: T0,
        extraPadata: [paForUser(reverse.svc, alice, B)],
      }),
    );
    expect(e2.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(e2.eText).toMatch(/CONTOSO.COM -> FABRIKAM.COM is not an allowed trust path/);
    // Asked at B with a TGT got the MS-SFU way: B has no krbtgt/A@B to refer alice back with.
    const toB = tgsGet(reverse.a.kdc, { tgt: reverse.svc, realm: A, sname: `krbtgt/${B}`, now: T0 });
    const e3 = code(
      reverse.b,
      tgsReq({ tgt: toB, realm: B, sname: SVC, now: T0, extraPadata: [paForUser(toB, alice, B)] }),
    );
    expect(e3.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
  });

  it('refuses a user of a realm more than one trust away', () => {
    const l = lab();
    const c = makeRealm('CHILD.CONTOSO.COM', {}, l.a.clock, { kind: 'active-directory' });
    createTrust({ trusting: l.b.realm, trusted: c.realm, direction: 'two-way', kind: 'external' });
    const e = code(
      l.a,
      tgsReq({
        tgt: l.svc,
        realm: A,
        sname: SVC,
        now: T0,
        extraPadata: [paForUser(l.svc, alice, 'CHILD.CONTOSO.COM')],
      }),
    );
    expect(e.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(e.eText).toMatch(/direct two-way trust/);
  });

  it('refuses at the last hop a referral TGT that carries no PAC for the user', () => {
    // B issues no PACs, so its referral back to A has none to bind it to alice.
    const l = lab({ policyB: { issuePac: false } });
    const { last } = threeSteps(l);
    const e = code(l.a, last);
    expect(e.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(e.eText).toContain(`the referral TGT from ${B} carries no PAC for the user`);
  });

  it("refuses S4U2Self for a user of a third realm at a KDC that is neither the user's nor the service's", () => {
    const l = lab();
    const toB = tgsGet(l.a.kdc, { tgt: l.svc, realm: A, sname: `krbtgt/${B}`, now: T0 });
    const e = code(
      l.b,
      tgsReq({
        tgt: toB,
        realm: B,
        sname: SVC,
        now: T0,
        extraPadata: [paForUser(toB, pn('carol', 1), 'ELSEWHERE.COM')],
      }),
    );
    expect(e.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(e.eText).toContain(`neither the user nor the service is of ${B}`);
  });

  it('refuses S4U2Self for a user of another realm with a service ticket (RENEW) instead of a TGT', () => {
    const l = lab();
    const own = tgsGet(l.a.kdc, { tgt: l.svc, realm: A, sname: SVC, now: T0 });
    const e = code(
      l.a,
      tgsReq({
        tgt: own,
        realm: A,
        sname: SVC,
        now: T0,
        options: KdcOptions.renew,
        extraPadata: [paForUser(own, alice, B)],
      }),
    );
    // MIT's check_tgs_s4u2self: RENEW is not an option an S4U2Self may carry (BADOPTION), local or not.
    expect(e.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(e.eText).toContain('S4U2Self needs a ticket-granting ticket, not a service ticket');
  });

  it('refuses step 2 for a service whose TGT came through a third realm (only a direct trust)', () => {
    // A <-> C <-> B, transitive realm trusts (A and B trust one way only): websvc@A reaches B by way of C.
    const l = lab({ direction: 'one-way' });
    const C = 'MIDDLE.COM';
    const c = makeRealm(C, { krbErrorStyle: 'mit' }, l.a.clock, { kind: 'active-directory' });
    createTrust({ trusting: c.realm, trusted: l.a.realm, direction: 'two-way', kind: 'realm' });
    createTrust({ trusting: l.b.realm, trusted: c.realm, direction: 'two-way', kind: 'realm' });
    const toC = tgsGet(l.a.kdc, { tgt: l.svc, realm: A, sname: `krbtgt/${C}`, now: T0 });
    const toB = tgsGet(c.kdc, { tgt: toC, realm: C, sname: `krbtgt/${B}`, now: T0 });
    const e = code(
      l.b,
      tgsReq({ tgt: toB, realm: B, sname: SVC, now: T0, extraPadata: [paForUser(toB, alice, B)] }),
    );
    expect(e.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(e.eText).toContain(`only a direct trust with ${A} is supported for cross-realm S4U2Self`);
  });

  it('refuses step 1 for another service than the requester', () => {
    const l = lab();
    l.a.realm.addService('HTTP/other.fabrikam.com');
    const e = code(
      l.a,
      tgsReq({
        tgt: l.svc,
        realm: A,
        sname: 'HTTP/other.fabrikam.com',
        now: T0,
        extraPadata: [paForUser(l.svc, alice, B)],
      }),
    );
    expect(e.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
  });
});
