import { decodeTransited, KdcOptions, TicketFlags } from '@krbsim/asn1';
import { Duration, ErrorCode, ManualClock } from '@krbsim/core';
import { composeKvno, createTrust, type TrustKind } from '@krbsim/kdc';
import { describe, expect, it } from 'vitest';
import { makeEntry } from '../src/internal/entries';
import {
  errorOf,
  forgedCreds,
  type Lab,
  login,
  makeRealm,
  openTicket,
  pn,
  pwKeys,
  reseal,
  T0,
  testKey,
  tgsGet,
  tgsReq,
  userKey,
} from './helpers';

const ONPREM = 'CONTOSO.COM';
const AZURE = 'KERBEROS.MICROSOFTONLINE.COM';
const MI = 'MSSQLSvc/mi1.abc123.database.windows.net:1433';

/** The reference scenario: on-prem AD, Azure AD Kerberos, one-way incoming trust with TLN windows.net. */
function azureLab(trustOpts: { branchId?: number } = {}, onpremPolicy = {}, azurePolicy = {}) {
  const clock = new ManualClock(T0);
  const onprem = makeRealm(ONPREM, { caseInsensitiveNames: true, ...onpremPolicy }, clock);
  const azure = makeRealm(
    AZURE,
    {
      renewableTgt: false,
      ticketEncType: 18,
      serviceTicketLifeMs: Duration.hour,
      // A Microsoft KDC: a ticket that does not decrypt is KRB_AP_ERR_MODIFIED.
      ticketDecryptFailureCode: ErrorCode.KRB_AP_ERR_MODIFIED,
      ...azurePolicy,
    },
    clock,
  );
  const trust = createTrust({
    trusting: azure.realm,
    trusted: onprem.realm,
    direction: 'one-way',
    kind: 'forest',
    topLevelNames: ['windows.net'],
    ...trustOpts,
  });
  onprem.realm.addUser('alice', { keys: pwKeys(onprem.realm.name, 'alice', 'pw') });
  azure.realm.addUser('bob', { keys: pwKeys(azure.realm.name, 'bob', 'pw') });
  azure.realm.addService(MI);
  onprem.realm.addService('host/server.contoso.com');
  const alice = login(onprem, 'alice', userKey(ONPREM, 'alice', 'pw'));
  return { clock, onprem, azure, trust, alice };
}

const codeOf = (l: Lab, bytes: Uint8Array): number => errorOf(l.kdc.handle(bytes)).errorCode;

describe('on-prem AD -> Azure AD Kerberos (one-way incoming trust)', () => {
  it('refers the MI SPN to Azure, then Azure issues the service ticket', () => {
    const { onprem, azure, alice } = azureLab();
    const ref = tgsGet(onprem.kdc, { tgt: alice, realm: ONPREM, sname: MI, now: T0 });
    // The referral: krbtgt/AZURE@CONTOSO in both the ticket and the reply's sname.
    expect(ref.ticket.realm).toBe(ONPREM);
    expect(ref.ticket.sname).toEqual(pn(`krbtgt/${AZURE}`));
    expect(ref.part.sname).toEqual(pn(`krbtgt/${AZURE}`));
    expect(ref.part.srealm).toBe(ONPREM);
    expect(ref.part.flags & TicketFlags['name-canonicalize']).not.toBe(0);
    expect(onprem.log.at(-1)).toBe(
      `TGS-REQ alice@${ONPREM} for ${MI}@${ONPREM} -> TGS-REP (referral to ${AZURE})`,
    );
    // Encrypted with the inter-realm key, which Azure holds too.
    const interRealm = azure.realm
      .keysFor(`krbtgt/${AZURE}@${ONPREM}`)
      .find((k) => k.etype === ref.ticket.encPart.etype)!;
    const etp = openTicket(ref.ticket, interRealm);
    expect(etp.crealm).toBe(ONPREM);
    expect(etp.transited.contents).toHaveLength(0);

    // Second leg at the Azure AD KDC (through the KDC proxy in real life).
    const st = tgsGet(azure.kdc, { tgt: ref, realm: AZURE, sname: MI, now: T0 });
    expect(st.ticket.realm).toBe(AZURE);
    expect(st.crealm).toBe(ONPREM);
    expect(st.cname.nameString).toEqual(['alice']);
    expect(st.ticket.encPart.etype).toBe(18); // Azure AD always aes256-sha1
    expect(st.part.endtime).toBe(T0 + Duration.hour); // 1 h service tickets
    expect(st.part.flags & TicketFlags['transited-policy-checked']).not.toBe(0);
    const svc = openTicket(st.ticket, azure.realm.keysFor(MI).find((k) => k.etype === 18)!);
    expect(svc.crealm).toBe(ONPREM);
    // RFC 4120 3.3.3.2: the client's own realm is never listed, so a direct trust leaves it empty.
    expect(decodeTransited(svc.transited.contents)).toEqual([]);
    expect(azure.log.at(-1)).toBe(`TGS-REQ alice@${ONPREM} for ${MI}@${AZURE} -> TGS-REP`);
  });

  it('renews a referral TGT only at the KDC that issued it', () => {
    const { onprem, azure, alice } = azureLab();
    const ref = tgsGet(onprem.kdc, {
      tgt: alice,
      realm: ONPREM,
      sname: MI,
      now: T0,
      options: KdcOptions.renewable | KdcOptions.forwardable,
    });
    const renew = { tgt: ref, sname: `krbtgt/${AZURE}`, now: T0, options: KdcOptions.renew };
    expect(codeOf(azure, tgsReq({ ...renew, realm: AZURE }))).toBe(ErrorCode.KDC_ERR_BADOPTION);
    const renewed = tgsGet(onprem.kdc, { ...renew, realm: ONPREM });
    expect(renewed.ticket.sname).toEqual(pn(`krbtgt/${AZURE}`));
    expect(tgsGet(azure.kdc, { tgt: renewed, realm: AZURE, sname: MI, now: T0 }).crealm).toBe(ONPREM);
  });

  it('issues the cross-realm TGT when asked for krbtgt/AZURE directly (klist get)', () => {
    const { onprem, alice } = azureLab();
    const t = tgsGet(onprem.kdc, { tgt: alice, realm: ONPREM, sname: `krbtgt/${AZURE}`, now: T0 });
    expect(t.part.sname).toEqual(pn(`krbtgt/${AZURE}`));
  });

  it('returns S_PRINCIPAL_UNKNOWN for an SPN under windows.net that Azure does not have (0x6fb)', () => {
    const { onprem, azure, alice } = azureLab();
    const ref = tgsGet(onprem.kdc, {
      tgt: alice,
      realm: ONPREM,
      sname: 'MSSQLSvc/nope.database.windows.net:1433',
      now: T0,
    });
    const err = errorOf(
      azure.kdc.handle(
        tgsReq({ tgt: ref, realm: AZURE, sname: 'MSSQLSvc/nope.database.windows.net:1433', now: T0 }),
      ),
    );
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
    expect(err.crealm).toBe(ONPREM);
  });

  it('never refers the other way: Azure users cannot reach on-prem', () => {
    const { azure } = azureLab();
    azure.realm.mapDomain('.contoso.com', ONPREM);
    const bob = login(azure, 'bob', userKey(AZURE, 'bob', 'pw'));
    expect(codeOf(azure, tgsReq({ tgt: bob, realm: AZURE, sname: 'host/server.contoso.com', now: T0 }))).toBe(
      ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
    );
    expect(codeOf(azure, tgsReq({ tgt: bob, realm: AZURE, sname: `krbtgt/${ONPREM}`, now: T0 }))).toBe(
      ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
    );
    // Nor by AS-REQ for the cross-realm TGT.
    expect(azure.realm.lookup(`krbtgt/${ONPREM}@${AZURE}`)).toBeUndefined();
  });

  it('refuses the reverse direction by policy even when someone plants the keys', () => {
    const { onprem, azure } = azureLab();
    // Plant a matching "krbtgt/CONTOSO.COM@AZURE" key in both databases, bypassing createTrust.
    const rogue = testKey(18, 'rogue');
    const entry = () =>
      makeEntry(pn(`krbtgt/${ONPREM}`), AZURE, 'krbtgt', [{ kvno: 1, key: rogue, salt: '' }]);
    azure.realm.db.add(entry());
    onprem.realm.db.add(entry());
    // Azure's KDC still will not route toward on-prem...
    const bob = login(azure, 'bob', userKey(AZURE, 'bob', 'pw'));
    expect(codeOf(azure, tgsReq({ tgt: bob, realm: AZURE, sname: `krbtgt/${ONPREM}`, now: T0 }))).toBe(
      ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
    );
    // ...and on-prem refuses a TGT made with that key: no trust lets Azure vouch into on-prem.
    const forged = forgedCreds(AZURE, `krbtgt/${ONPREM}`, AZURE, 'bob', rogue, 1);
    const err = errorOf(
      onprem.kdc.handle(tgsReq({ tgt: forged, realm: ONPREM, sname: 'host/server.contoso.com', now: T0 })),
    );
    // Refused at the header, by the trust's direction, before any transited-path check.
    expect([err.errorCode, err.eText]).toEqual([
      ErrorCode.KDC_ERR_POLICY,
      `no trust lets principals of ${AZURE} into ${ONPREM}`,
    ]);
  });

  it("refuses a referral TGT, made with the on-prem side's inter-realm key, that claims a cloud user (lineage)", () => {
    const { onprem, azure } = azureLab();
    // The on-prem side holds krbtgt/AZURE@ONPREM: it can encrypt any TGT it likes with it.
    const interRealm = onprem.realm.keysFor(`krbtgt/${AZURE}`).find((k) => k.etype === 18)!;
    const kvno = onprem.realm.lookup(`krbtgt/${AZURE}`)!.keys[0]!.kvno;
    const forged = forgedCreds(ONPREM, `krbtgt/${AZURE}`, AZURE, 'bob', interRealm, kvno);
    const err = errorOf(azure.kdc.handle(tgsReq({ tgt: forged, realm: AZURE, sname: MI, now: T0 })));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(err.eText).toMatch(/invalid lineage/);
    // The same key vouching for an on-prem user is the trust working as meant.
    const honest = forgedCreds(ONPREM, `krbtgt/${AZURE}`, ONPREM, 'alice', interRealm, kvno);
    expect(tgsGet(azure.kdc, { tgt: honest, realm: AZURE, sname: MI, now: T0 }).crealm).toBe(ONPREM);
  });

  it('refuses a cross-realm TGT from a realm it has no key for with S_PRINCIPAL_UNKNOWN', () => {
    const { onprem } = azureLab();
    const forged = forgedCreds('EVIL.TEST', `krbtgt/${ONPREM}`, 'EVIL.TEST', 'eve', testKey(18, 'evil'), 1);
    expect(
      codeOf(onprem, tgsReq({ tgt: forged, realm: ONPREM, sname: 'host/server.contoso.com', now: T0 })),
    ).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
  });

  it('breaks referrals with KRB_AP_ERR_MODIFIED when only one side rotates the trust key', () => {
    const { onprem, azure, trust, alice } = azureLab();
    expect(trust.rotateKey('trusted')).toBe(2); // on-prem KeyVersion 2, cloud still 1
    expect(trust.keyVersion('trusted')).toBe(2);
    expect(trust.keyVersion('trusting')).toBe(1);
    const ref = tgsGet(onprem.kdc, { tgt: alice, realm: ONPREM, sname: MI, now: T0 });
    expect(ref.ticket.encPart.kvno).toBe(2);
    const err = errorOf(azure.kdc.handle(tgsReq({ tgt: ref, realm: AZURE, sname: MI, now: T0 })));
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(err.crealm).toBeUndefined(); // the ticket never decrypted
    // Rotating both sides (Set-AzureADKerberosServer -RotateServerKey) repairs it.
    expect(trust.rotateKey('both')).toBe(3);
    const ref2 = tgsGet(onprem.kdc, { tgt: alice, realm: ONPREM, sname: MI, now: T0 });
    expect(tgsGet(azure.kdc, { tgt: ref2, realm: AZURE, sname: MI, now: T0 }).crealm).toBe(ONPREM);
  });

  it('answers BADKEYVER instead when the accepting realm checks inter-realm kvnos strictly (MIT)', () => {
    const { onprem, azure, trust, alice } = azureLab({}, {}, { interRealmKvnoStrict: true });
    trust.rotateKey('trusted');
    const ref = tgsGet(onprem.kdc, { tgt: alice, realm: ONPREM, sname: MI, now: T0 });
    expect(codeOf(azure, tgsReq({ tgt: ref, realm: AZURE, sname: MI, now: T0 }))).toBe(
      ErrorCode.KRB_AP_ERR_BADKEYVER,
    );
  });

  it('fails with MODIFIED when the cloud rotated alone and dropped the old key', () => {
    const { onprem, azure, trust, alice } = azureLab();
    trust.rotateKey('trusting', { keepPrevious: false });
    const ref = tgsGet(onprem.kdc, { tgt: alice, realm: ONPREM, sname: MI, now: T0 });
    expect(codeOf(azure, tgsReq({ tgt: ref, realm: AZURE, sname: MI, now: T0 }))).toBe(
      ErrorCode.KRB_AP_ERR_MODIFIED,
    );
  });

  it('makes a key rotated to a chosen lower kvno the current one, on both sides, and refers with it', () => {
    const { onprem, azure, trust, alice } = azureLab();
    trust.rotateKey('both'); // 2
    trust.rotateKey('both'); // 3
    // Matching a KeyVersion the other side reports: the chosen version is the one used.
    expect(trust.rotateKey('both', { kvno: 1, password: 'matched' })).toBe(1);
    expect([trust.keyVersion('trusted'), trust.keyVersion('trusting')]).toEqual([1, 1]);
    const held = trust.keyEntry('trusting', AZURE, ONPREM)!.keys.map((k) => k.kvno);
    expect(new Set(held)).toEqual(new Set([1]));
    const ref = tgsGet(onprem.kdc, { tgt: alice, realm: ONPREM, sname: MI, now: T0 });
    expect(ref.ticket.encPart.kvno).toBe(1);
    expect(tgsGet(azure.kdc, { tgt: ref, realm: AZURE, sname: MI, now: T0 }).crealm).toBe(ONPREM);
  });

  it('composes RODC-branch kvnos on the trust key and looks keys up by the full kvno', () => {
    const { onprem, azure, trust, alice } = azureLab({ branchId: 0x4d2 });
    const ref = tgsGet(onprem.kdc, { tgt: alice, realm: ONPREM, sname: MI, now: T0 });
    expect(ref.ticket.encPart.kvno).toBe(composeKvno(0x4d2, 1));
    expect(tgsGet(azure.kdc, { tgt: ref, realm: AZURE, sname: MI, now: T0 }).crealm).toBe(ONPREM);
    expect(trust.rotateKey('both')).toBe((0x4d2 << 16) | 2);
    const ref2 = tgsGet(onprem.kdc, { tgt: alice, realm: ONPREM, sname: MI, now: T0 });
    expect(ref2.ticket.encPart.kvno).toBe((0x4d2 << 16) | 2);
    expect(tgsGet(azure.kdc, { tgt: ref2, realm: AZURE, sname: MI, now: T0 }).crealm).toBe(ONPREM);
  });

  it('refers only with canonicalize when the realm follows RFC 6806 strictly', () => {
    const { onprem, alice } = azureLab({}, { referralsRequireCanonicalize: true });
    expect(codeOf(onprem, tgsReq({ tgt: alice, realm: ONPREM, sname: MI, now: T0, options: 0 }))).toBe(
      ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
    );
    const ref = tgsGet(onprem.kdc, {
      tgt: alice,
      realm: ONPREM,
      sname: MI,
      now: T0,
      options: KdcOptions.canonicalize,
    });
    expect(ref.part.sname).toEqual(pn(`krbtgt/${AZURE}`));
  });

  it('matches on-prem SPNs case-insensitively like AD while routing', () => {
    const { onprem, alice } = azureLab();
    const st = tgsGet(onprem.kdc, { tgt: alice, realm: ONPREM, sname: 'HOST/Server.Contoso.Com', now: T0 });
    expect(st.part.sname.nameString).toEqual(['host', 'server.contoso.com']);
  });
});

/** Three realms A, B, C with one-way trusts A -> B -> C (users of A move right). */
function chain(ab: TrustKind, bc: TrustKind) {
  const clock = new ManualClock(T0);
  const a = makeRealm('A.TEST', {}, clock);
  const b = makeRealm('B.TEST', {}, clock);
  const c = makeRealm('C.TEST', {}, clock);
  createTrust({
    trusting: b.realm,
    trusted: a.realm,
    direction: 'one-way',
    kind: ab,
    topLevelNames: ['b.test'],
  });
  createTrust({
    trusting: c.realm,
    trusted: b.realm,
    direction: 'one-way',
    kind: bc,
    topLevelNames: ['c.test'],
  });
  a.realm.addUser('ann', { keys: pwKeys(a.realm.name, 'ann', 'pw') });
  b.realm.addUser('ben', { keys: pwKeys(b.realm.name, 'ben', 'pw') });
  c.realm.addService('host/srv.c.test');
  const ann = login(a, 'ann', userKey('A.TEST', 'ann', 'pw'));
  return { a, b, c, ann };
}

/**
 * A, B and C joined by two-way realm trusts A <-> B <-> C, and a TGT krbtgt/C.TEST@B.TEST for ann of
 * A whose transited field is `transited` (DOMAIN-X500-COMPRESS text), sealed with the B -> C key as
 * B's KDC, or anyone holding that key, could make it.
 */
function twoWayChain(transited: string) {
  const clock = new ManualClock(T0);
  const [a, b, c] = ['A.TEST', 'B.TEST', 'C.TEST'].map((n) => makeRealm(n, {}, clock)) as [Lab, Lab, Lab];
  createTrust({ trusting: b.realm, trusted: a.realm, direction: 'two-way', kind: 'realm' });
  createTrust({ trusting: c.realm, trusted: b.realm, direction: 'two-way', kind: 'realm' });
  c.realm.addService('host/srv.c.test');
  const bc = c.realm.lookup('krbtgt/C.TEST@B.TEST')!.keys.find((k) => k.key.etype === 18)!;
  const plain = forgedCreds('B.TEST', 'krbtgt/C.TEST', 'A.TEST', 'ann', bc.key, bc.kvno);
  const forged = reseal(plain, bc.key, (e) => ({
    ...e,
    transited: { trType: 1, contents: new TextEncoder().encode(transited) },
  }));
  return { c, forged };
}

describe('transitivity', () => {
  it('follows a chain of realm trusts A -> B -> C and records B as transited', () => {
    const { a, b, c, ann } = chain('realm', 'realm');
    const r1 = tgsGet(a.kdc, { tgt: ann, realm: 'A.TEST', sname: 'host/srv.c.test', now: T0 });
    expect(r1.part.sname).toEqual(pn('krbtgt/B.TEST'));
    const r2 = tgsGet(b.kdc, { tgt: r1, realm: 'B.TEST', sname: 'host/srv.c.test', now: T0 });
    expect(r2.part.sname).toEqual(pn('krbtgt/C.TEST'));
    expect(b.log.at(-1)).toContain('-> TGS-REP (referral to C.TEST)');
    const st = tgsGet(c.kdc, { tgt: r2, realm: 'C.TEST', sname: 'host/srv.c.test', now: T0 });
    expect(st.crealm).toBe('A.TEST');
    const etp = openTicket(
      st.ticket,
      c.realm.keysFor('host/srv.c.test').find((k) => k.etype === st.ticket.encPart.etype)!,
    );
    expect(decodeTransited(etp.transited.contents)).toEqual(['B.TEST']);
    expect(etp.flags & TicketFlags['transited-policy-checked']).not.toBe(0);
  });

  it('hands out the next hop when asked for krbtgt/C directly (alternate TGT)', () => {
    const { a, ann } = chain('realm', 'realm');
    const r = tgsGet(a.kdc, { tgt: ann, realm: 'A.TEST', sname: 'krbtgt/C.TEST', now: T0 });
    expect(r.part.sname).toEqual(pn('krbtgt/B.TEST'));
    expect(a.log.at(-1)).toContain('(referral to B.TEST)');
  });

  it('does not cross an external trust in the middle of the path', () => {
    const { a, b, c, ann } = chain('realm', 'external');
    // A will not route toward C at all...
    expect(codeOf(a, tgsReq({ tgt: ann, realm: 'A.TEST', sname: 'host/srv.c.test', now: T0 }))).toBe(
      ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
    );
    // ...nor will B for a client of A holding a TGT for B...
    const toB = tgsGet(a.kdc, { tgt: ann, realm: 'A.TEST', sname: 'krbtgt/B.TEST', now: T0 });
    expect(codeOf(b, tgsReq({ tgt: toB, realm: 'B.TEST', sname: 'host/srv.c.test', now: T0 }))).toBe(
      ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
    );
    // ...and C refuses a TGT that B's key could have made for A's user: the path A -> B -> C is not allowed.
    const bcKey = c.realm.keysFor('krbtgt/C.TEST@B.TEST').find((k) => k.etype === 18)!;
    const forged = forgedCreds('B.TEST', 'krbtgt/C.TEST', 'A.TEST', 'ann', bcKey, 1);
    expect(codeOf(c, tgsReq({ tgt: forged, realm: 'C.TEST', sname: 'host/srv.c.test', now: T0 }))).toBe(
      ErrorCode.KDC_ERR_POLICY,
    );
    // Principals of B itself may cross it (first hop).
    const ben = login(b, 'ben', userKey('B.TEST', 'ben', 'pw'));
    const r = tgsGet(b.kdc, { tgt: ben, realm: 'B.TEST', sname: 'host/srv.c.test', now: T0 });
    expect(tgsGet(c.kdc, { tgt: r, realm: 'C.TEST', sname: 'host/srv.c.test', now: T0 }).crealm).toBe(
      'B.TEST',
    );
  });

  it('uses an external trust only as a one-hop path: its users stop at its far side', () => {
    const { a, b, c, ann } = chain('external', 'realm');
    // A's users reach B over the external trust...
    const toB = tgsGet(a.kdc, { tgt: ann, realm: 'A.TEST', sname: 'krbtgt/B.TEST', now: T0 });
    expect(toB.part.sname).toEqual(pn('krbtgt/B.TEST'));
    // ...but trust does not extend through it: no route to C from A, and B does not forward A's users.
    expect(codeOf(a, tgsReq({ tgt: ann, realm: 'A.TEST', sname: 'host/srv.c.test', now: T0 }))).toBe(
      ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
    );
    expect(codeOf(b, tgsReq({ tgt: toB, realm: 'B.TEST', sname: 'host/srv.c.test', now: T0 }))).toBe(
      ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
    );
    // And C refuses a TGT claiming the path A -> B -> C.
    const bcKey = c.realm.keysFor('krbtgt/C.TEST@B.TEST').find((k) => k.etype === 18)!;
    const forged = forgedCreds('B.TEST', 'krbtgt/C.TEST', 'A.TEST', 'ann', bcKey, 1);
    expect(codeOf(c, tgsReq({ tgt: forged, realm: 'C.TEST', sname: 'host/srv.c.test', now: T0 }))).toBe(
      ErrorCode.KDC_ERR_POLICY,
    );
  });

  it('crosses one forest trust, not two: a forest trust does not extend to a third forest', () => {
    const { a, b, c, ann } = chain('forest', 'forest');
    // A does not route toward C, and B does not forward A's users into a second forest trust...
    expect(codeOf(a, tgsReq({ tgt: ann, realm: 'A.TEST', sname: 'host/srv.c.test', now: T0 }))).toBe(
      ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
    );
    const toB = tgsGet(a.kdc, { tgt: ann, realm: 'A.TEST', sname: 'krbtgt/B.TEST', now: T0 });
    expect(toB.part.sname).toEqual(pn('krbtgt/B.TEST'));
    expect(codeOf(b, tgsReq({ tgt: toB, realm: 'B.TEST', sname: 'host/srv.c.test', now: T0 }))).toBe(
      ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
    );
    // ...and C refuses a TGT claiming the path A -> B -> C.
    const bcKey = c.realm.keysFor('krbtgt/C.TEST@B.TEST').find((k) => k.etype === 18)!;
    const forged = forgedCreds('B.TEST', 'krbtgt/C.TEST', 'A.TEST', 'ann', bcKey, 1);
    expect(codeOf(c, tgsReq({ tgt: forged, realm: 'C.TEST', sname: 'host/srv.c.test', now: T0 }))).toBe(
      ErrorCode.KDC_ERR_POLICY,
    );
    // B's own users cross the one forest trust to C.
    const ben = login(b, 'ben', userKey('B.TEST', 'ben', 'pw'));
    const r = tgsGet(b.kdc, { tgt: ben, realm: 'B.TEST', sname: 'host/srv.c.test', now: T0 });
    expect(tgsGet(c.kdc, { tgt: r, realm: 'C.TEST', sname: 'host/srv.c.test', now: T0 }).crealm).toBe(
      'B.TEST',
    );
  });

  it('routes around a second forest trust: a longer path that crosses one is taken', () => {
    // A -> B -> C crosses two forest trusts; A -> D (realm) -> C (forest) crosses one.
    const { a, c, ann } = chain('forest', 'forest');
    const d = makeRealm('D.TEST', {}, a.realm.clock as ManualClock);
    createTrust({ trusting: d.realm, trusted: a.realm, direction: 'one-way', kind: 'realm' });
    createTrust({ trusting: c.realm, trusted: d.realm, direction: 'one-way', kind: 'forest' });
    const r1 = tgsGet(a.kdc, { tgt: ann, realm: 'A.TEST', sname: 'host/srv.c.test', now: T0 });
    expect(r1.part.sname).toEqual(pn('krbtgt/D.TEST'));
    const r2 = tgsGet(d.kdc, { tgt: r1, realm: 'D.TEST', sname: 'host/srv.c.test', now: T0 });
    expect(r2.part.sname).toEqual(pn('krbtgt/C.TEST'));
    const st = tgsGet(c.kdc, { tgt: r2, realm: 'C.TEST', sname: 'host/srv.c.test', now: T0 });
    expect(st.crealm).toBe('A.TEST');
    const etp = openTicket(
      st.ticket,
      c.realm.keysFor('host/srv.c.test').find((k) => k.etype === st.ticket.encPart.etype)!,
    );
    expect(decodeTransited(etp.transited.contents)).toEqual(['D.TEST']);
  });

  it('a forest trust is transitive within the other side: one forest trust, then a realm trust, is a path', () => {
    const { a, b, c, ann } = chain('forest', 'realm');
    const r1 = tgsGet(a.kdc, { tgt: ann, realm: 'A.TEST', sname: 'host/srv.c.test', now: T0 });
    const r2 = tgsGet(b.kdc, { tgt: r1, realm: 'B.TEST', sname: 'host/srv.c.test', now: T0 });
    expect(tgsGet(c.kdc, { tgt: r2, realm: 'C.TEST', sname: 'host/srv.c.test', now: T0 }).crealm).toBe(
      'A.TEST',
    );
  });

  it('refuses a forged transited field that skips a trust', () => {
    const { c } = chain('realm', 'realm');
    // A TGT from B claiming a client of Z.TEST, which has no trust with anyone.
    const bcKey = c.realm.keysFor('krbtgt/C.TEST@B.TEST').find((k) => k.etype === 18)!;
    const forged = forgedCreds('B.TEST', 'krbtgt/C.TEST', 'Z.TEST', 'zed', bcKey, 1);
    expect(codeOf(c, tgsReq({ tgt: forged, realm: 'C.TEST', sname: 'host/srv.c.test', now: T0 }))).toBe(
      ErrorCode.KDC_ERR_POLICY,
    );
  });

  it('refuses a transited path that visits a realm twice, though a trust joins each hop (A -> B -> A -> B -> C)', () => {
    // RFC 4120 section 3.3.3.2 leaves the transit policy to the KDC: a path that comes back to a
    // realm it has left is no route, only a way to make a realm's hops look vouched for.
    const { c, forged } = twoWayChain('B.TEST,A.TEST');
    const err = errorOf(
      c.kdc.handle(tgsReq({ tgt: forged, realm: 'C.TEST', sname: 'host/srv.c.test', now: T0 })),
    );
    expect([err.errorCode, err.eText]).toEqual([
      ErrorCode.KDC_ERR_POLICY,
      'transited path A.TEST -> B.TEST -> A.TEST -> B.TEST -> C.TEST refused: the path visits a realm twice',
    ]);
    // The same TGT with an honest (empty) transited field is served.
    const honest = twoWayChain('');
    expect(
      tgsGet(honest.c.kdc, { tgt: honest.forged, realm: 'C.TEST', sname: 'host/srv.c.test', now: T0 }).crealm,
    ).toBe('A.TEST');
  });

  it('refuses a transited field with an empty entry, which no hop-by-hop check can verify', () => {
    // RFC 4120 section 3.3.3.2: an empty subfield stands for realms not named; this KDC checks
    // every hop of the path by its trusts, so an unnamed one is refused for what it is.
    const { c, forged } = twoWayChain(',');
    const err = errorOf(
      c.kdc.handle(tgsReq({ tgt: forged, realm: 'C.TEST', sname: 'host/srv.c.test', now: T0 })),
    );
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(err.eText).toMatch(/refused: the transited field has an unverifiable empty entry$/);
  });

  it('works both ways over a two-way trust', () => {
    const clock = new ManualClock(T0);
    const x = makeRealm('X.TEST', {}, clock);
    const y = makeRealm('Y.TEST', {}, clock);
    createTrust({
      trusting: x.realm,
      trusted: y.realm,
      direction: 'two-way',
      kind: 'forest',
      password: 'shared',
    });
    x.realm.mapDomain('.y.test', 'Y.TEST');
    y.realm.mapDomain('.x.test', 'X.TEST');
    x.realm.addUser('xu', { keys: pwKeys(x.realm.name, 'xu', 'pw') });
    y.realm.addUser('yu', { keys: pwKeys(y.realm.name, 'yu', 'pw') });
    x.realm.addService('host/h.x.test');
    y.realm.addService('host/h.y.test');
    const xu = login(x, 'xu', userKey('X.TEST', 'xu', 'pw'));
    const yu = login(y, 'yu', userKey('Y.TEST', 'yu', 'pw'));
    const r1 = tgsGet(x.kdc, { tgt: xu, realm: 'X.TEST', sname: 'host/h.y.test', now: T0 });
    expect(tgsGet(y.kdc, { tgt: r1, realm: 'Y.TEST', sname: 'host/h.y.test', now: T0 }).crealm).toBe(
      'X.TEST',
    );
    const r2 = tgsGet(y.kdc, { tgt: yu, realm: 'Y.TEST', sname: 'host/h.x.test', now: T0 });
    expect(tgsGet(x.kdc, { tgt: r2, realm: 'X.TEST', sname: 'host/h.x.test', now: T0 }).crealm).toBe(
      'Y.TEST',
    );
  });
});
