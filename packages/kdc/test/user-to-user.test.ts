/**
 * User-to-user (RFC 4120 section 3.7): ENC-TKT-IN-SKEY with the server's TGT
 * as the second ticket, sealed in that TGT's session key.
 */
import { decodeEncTicketPart, decodeTgsRep, KdcOptions, NameType, type PrincipalName } from '@krbsim/asn1';
import { Duration, ErrorCode, SeededRandom } from '@krbsim/core';
import { decrypt, generateKey, KeyUsage } from '@krbsim/crypto';
import { describe, expect, it } from 'vitest';
import { errorOf, forgedCreds, login, makeRealm, pn, pwKeys, T0, tgsGet, tgsReq, userKey } from './helpers';

const REALM = 'CONTOSO.COM';
const U2U = KdcOptions.forwardable | KdcOptions.canonicalize | KdcOptions['enc-tkt-in-skey'];

function setup() {
  const l = makeRealm(REALM);
  l.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'pw') });
  l.realm.addUser('bob', { keys: pwKeys(REALM, 'bob', 'pw') });
  l.realm.addService('HTTP/web.contoso.com');
  const alice = login(l, 'alice', userKey(REALM, 'alice', 'pw'));
  const bob = login(l, 'bob', userKey(REALM, 'bob', 'pw'));
  return { ...l, alice, bob };
}

describe('user-to-user', () => {
  it("issues a ticket for bob sealed in his TGT's session key, with no kvno", () => {
    const l = setup();
    const st = tgsGet(l.kdc, {
      tgt: l.alice,
      realm: REALM,
      sname: pn('bob', NameType.NT_PRINCIPAL),
      options: U2U,
      additionalTickets: [l.bob.ticket],
      now: T0,
    });
    expect(st.ticket.encPart.kvno).toBeUndefined();
    expect(st.ticket.encPart.etype).toBe(l.bob.sessionKey.etype);
    const part = decodeEncTicketPart(
      decrypt(l.bob.sessionKey, KeyUsage.KDC_REP_TICKET, st.ticket.encPart.cipher),
    );
    expect(part.cname.nameString).toEqual(['alice']);
    expect(part.key).toEqual(st.part.key);
    expect(st.part.sname.nameString).toEqual(['bob']);
    // With no server named, the server is the second ticket's client.
    const unnamed = tgsGet(l.kdc, {
      tgt: l.alice,
      realm: REALM,
      options: U2U,
      additionalTickets: [l.bob.ticket],
      now: T0,
    });
    expect(unnamed.part.sname.nameString).toEqual(['bob']);
  });

  it('refuses with the codes MIT uses', () => {
    const l = setup();
    const code = (i: Partial<Parameters<typeof tgsReq>[0]>) =>
      errorOf(l.kdc.handle(tgsReq({ tgt: l.alice, realm: REALM, options: U2U, now: T0, ...i }))).errorCode;
    // No second ticket.
    expect(code({ sname: pn('bob', NameType.NT_PRINCIPAL) })).toBe(ErrorCode.KDC_ERR_BADOPTION);
    // A server that is not the second ticket's client.
    expect(code({ sname: pn('alice', NameType.NT_PRINCIPAL), additionalTickets: [l.bob.ticket] })).toBe(
      ErrorCode.KDC_ERR_SERVER_NOMATCH,
    );
    // A second ticket that is not a TGT of this realm.
    const service = tgsGet(l.kdc, { tgt: l.bob, realm: REALM, sname: 'HTTP/web.contoso.com', now: T0 });
    expect(code({ sname: pn('bob', NameType.NT_PRINCIPAL), additionalTickets: [service.ticket] })).toBe(
      ErrorCode.KDC_ERR_POLICY,
    );
    // A tampered second ticket: the realm's code for a ticket that does not decrypt.
    const cipher = l.bob.ticket.encPart.cipher.slice();
    cipher[cipher.length - 1]! ^= 1;
    const tampered = { ...l.bob.ticket, encPart: { ...l.bob.ticket.encPart, cipher } };
    expect(code({ sname: pn('bob', NameType.NT_PRINCIPAL), additionalTickets: [tampered] })).toBe(
      ErrorCode.KRB_AP_ERR_BAD_INTEGRITY,
    );
    // A second ticket under a krbtgt key version the realm does not hold: BADKEYVER, named.
    const tgs = l.realm.krbtgt.keys.find((k) => k.key.etype === 18)!;
    const stale = forgedCreds(REALM, `krbtgt/${REALM}`, REALM, 'bob', tgs.key, tgs.kvno + 3).ticket;
    const badKvno = errorOf(
      l.kdc.handle(
        tgsReq({
          tgt: l.alice,
          realm: REALM,
          options: U2U,
          now: T0,
          sname: pn('bob', NameType.NT_PRINCIPAL),
          additionalTickets: [stale],
        }),
      ),
    );
    expect(badKvno.errorCode).toBe(ErrorCode.KRB_AP_ERR_BADKEYVER);
    expect(badKvno.eText).toContain(
      `no key version ${tgs.kvno + 3} for the second ticket (current ${tgs.kvno})`,
    );
    // The version held, but not in the ticket's etype: NOKEY, as for the header ticket.
    expect(l.realm.krbtgt.keys.some((k) => k.key.etype === 23)).toBe(false);
    const rc4 = forgedCreds(
      REALM,
      `krbtgt/${REALM}`,
      REALM,
      'bob',
      generateKey(23, { random: new SeededRandom('u2u-rc4') }),
      tgs.kvno,
    ).ticket;
    const noKey = errorOf(
      l.kdc.handle(
        tgsReq({
          tgt: l.alice,
          realm: REALM,
          options: U2U,
          now: T0,
          sname: pn('bob', NameType.NT_PRINCIPAL),
          additionalTickets: [rc4],
        }),
      ),
    );
    expect(noKey.errorCode).toBe(ErrorCode.KRB_AP_ERR_NOKEY);
    expect(noKey.eText).toContain('no key of etype 23 for the second ticket');
    // A TGT of this realm whose client is of another realm (a cross-realm user's): POLICY.
    const foreign = forgedCreds(REALM, `krbtgt/${REALM}`, 'FABRIKAM.COM', 'bob', tgs.key, tgs.kvno).ticket;
    const notOurs = errorOf(
      l.kdc.handle(
        tgsReq({
          tgt: l.alice,
          realm: REALM,
          options: U2U,
          now: T0,
          sname: pn('bob', NameType.NT_PRINCIPAL),
          additionalTickets: [foreign],
        }),
      ),
    );
    expect(notOurs.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(notOurs.eText).toContain(`the second ticket's client bob@FABRIKAM.COM is not of ${REALM}`);
    // Constrained delegation stays refused, never ignored.
    expect(
      code({
        sname: 'HTTP/web.contoso.com',
        options: KdcOptions['constrained-delegation'],
        additionalTickets: [l.bob.ticket],
      }),
    ).toBe(ErrorCode.KDC_ERR_BADOPTION);
    // An expired second ticket.
    l.clock.advance(11 * Duration.hour);
    const later = login(l, 'alice', userKey(REALM, 'alice', 'pw'));
    expect(
      errorOf(
        l.kdc.handle(
          tgsReq({
            tgt: later,
            realm: REALM,
            sname: pn('bob', NameType.NT_PRINCIPAL),
            options: U2U,
            additionalTickets: [l.bob.ticket],
            now: l.clock.now(),
          }),
        ),
      ).errorCode,
    ).toBe(ErrorCode.KRB_AP_ERR_TKT_EXPIRED);
  });
});

describe('user-to-user required for a user account without SPNs (AD, userToUserForPlainUsers)', () => {
  it('refuses an ordinary ticket for bob with MUST_USE_USER2USER in an AD realm, and serves it user-to-user', () => {
    const l = makeRealm(REALM, { krbErrorStyle: 'mit' }, undefined, { kind: 'active-directory' });
    l.realm.addUser('alice', { password: 'pw' });
    l.realm.addUser('bob', { password: 'pw' });
    l.realm.addUser('websvc', { password: 'pw', spns: ['HTTP/web.contoso.com'] });
    const alice = login(l, 'alice', userKey(REALM, 'alice', 'pw'));
    const bob = login(l, 'bob', userKey(REALM, 'bob', 'pw'));
    const plain = errorOf(
      l.kdc.handle(tgsReq({ tgt: alice, realm: REALM, sname: pn('bob', NameType.NT_PRINCIPAL), now: T0 })),
    );
    expect(plain.errorCode).toBe(ErrorCode.KDC_ERR_MUST_USE_USER2USER);
    expect(plain.eText).toContain(`bob@${REALM} is a user account without SPNs`);
    const u2u = tgsGet(l.kdc, {
      tgt: alice,
      realm: REALM,
      sname: pn('bob', NameType.NT_PRINCIPAL),
      options: U2U,
      additionalTickets: [bob.ticket],
      now: T0,
    });
    expect(u2u.part.sname.nameString).toEqual(['bob']);
    // A user account with an SPN is a service account: an ordinary ticket, by its name too.
    expect(
      tgsGet(l.kdc, { tgt: alice, realm: REALM, sname: pn('websvc', NameType.NT_PRINCIPAL), now: T0 }).part
        .sname.nameString,
    ).toEqual(['websvc']);
  });

  it("compares the server with the second ticket's client as accounts (MIT's is_client_db_alias): BOB in an AD realm", () => {
    const l = makeRealm(REALM, { krbErrorStyle: 'mit' }, undefined, { kind: 'active-directory' });
    l.realm.addUser('alice', { password: 'pw' });
    l.realm.addUser('bob', { password: 'pw' });
    const alice = login(l, 'alice', userKey(REALM, 'alice', 'pw'));
    const bob = login(l, 'bob', userKey(REALM, 'bob', 'pw'));
    const ask = (sname: PrincipalName, second = bob) =>
      l.kdc.handle(
        tgsReq({
          tgt: alice,
          realm: REALM,
          sname,
          options: U2U,
          additionalTickets: [second.ticket],
          now: T0,
        }),
      );
    for (const sname of [pn('BOB', NameType.NT_PRINCIPAL), pn('Bob', NameType.NT_PRINCIPAL)]) {
      const rep = decodeTgsRep(ask(sname));
      expect(rep.ticket.encPart.kvno, sname.nameString[0]).toBeUndefined();
      const part = decodeEncTicketPart(
        decrypt(bob.sessionKey, KeyUsage.KDC_REP_TICKET, rep.ticket.encPart.cipher),
      );
      expect(part.cname.nameString).toEqual(['alice']);
    }
    // Another account stays a mismatch.
    const e = errorOf(ask(pn('ALICE', NameType.NT_PRINCIPAL)));
    expect([e.errorCode, e.eText]).toEqual([
      ErrorCode.KDC_ERR_SERVER_NOMATCH,
      `user-to-user: the request names ALICE@${REALM}, but the second ticket belongs to bob@${REALM}`,
    ]);
    // An MIT realm compares names exactly: BOB is no principal there (MIT looks the server up first).
    const mit = setup();
    const upper = errorOf(
      mit.kdc.handle(
        tgsReq({
          tgt: mit.alice,
          realm: REALM,
          sname: pn('BOB', NameType.NT_PRINCIPAL),
          options: U2U,
          additionalTickets: [mit.bob.ticket],
          now: T0,
        }),
      ),
    );
    expect(upper.errorCode).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
  });

  it('names the server by UPN in an AD realm (MS-KILE 3.3.5.1.1 NT-ENTERPRISE), and not in an MIT realm', () => {
    const ad = makeRealm(REALM, { krbErrorStyle: 'mit' }, undefined, { kind: 'active-directory' });
    ad.realm.addUser('alice', { password: 'pw' });
    ad.realm.addUser('bob', { password: 'pw', upn: 'robert@contoso.com' });
    ad.realm.addUser('carol', { password: 'pw' });
    const alice = login(ad, 'alice', userKey(REALM, 'alice', 'pw'));
    // A DC salts bob's keys by his UPN's name (`upnSalt`): REALM + robert.
    const bob = login(ad, 'bob', userKey(REALM, 'robert', 'pw'));
    const ask = (l: typeof ad, tgt: typeof alice, upn: string, second = bob) =>
      l.kdc.handle(
        tgsReq({
          tgt,
          realm: REALM,
          sname: pn(upn, NameType.NT_ENTERPRISE),
          options: U2U,
          additionalTickets: [second.ticket],
          now: T0,
        }),
      );
    // bob's UPN, and his implicit UPN (sAMAccountName@domain).
    for (const upn of ['robert@contoso.com', 'bob@contoso.com']) {
      const rep = decodeTgsRep(ask(ad, alice, upn));
      const part = decodeEncTicketPart(
        decrypt(bob.sessionKey, KeyUsage.KDC_REP_TICKET, rep.ticket.encPart.cipher),
      );
      expect(part.cname.nameString, upn).toEqual(['alice']);
      // The ticket names bob's account, as his acceptor (and a renewal) looks its server up.
      expect(rep.ticket.sname, upn).toEqual({ nameType: NameType.NT_PRINCIPAL, nameString: ['bob'] });
    }
    // Another account's UPN: the server is not the second ticket's client.
    expect(errorOf(ask(ad, alice, 'carol@contoso.com')).errorCode).toBe(ErrorCode.KDC_ERR_SERVER_NOMATCH);
    // No such account.
    expect(errorOf(ask(ad, alice, 'nobody@contoso.com')).errorCode).toBe(
      ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
    );
    // MIT's KDC finds no server by an enterprise name.
    const mit = setup();
    expect(errorOf(ask(mit, mit.alice, `bob@${REALM}`, mit.bob)).errorCode).toBe(
      ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
    );
  });

  it("an MIT realm issues the ticket under bob's key, as MIT's KDC does", () => {
    const l = setup();
    expect(
      tgsGet(l.kdc, { tgt: l.alice, realm: REALM, sname: pn('bob', NameType.NT_PRINCIPAL), now: T0 }).part
        .sname.nameString,
    ).toEqual(['bob']);
  });
});
