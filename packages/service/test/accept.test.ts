import {
  AdType,
  decodeApReq,
  decodeAuthenticator,
  decodeNegotiationToken,
  encodeApReq,
  encodeAuthenticator,
  encodeAuthorizationData,
  encodeEncKrbCredPart,
  encodeGssChecksum,
  encodeKrbCred,
  encodeNegotiationToken,
  encodeTicket,
  formatPrincipal,
  GssFlags,
  GssOid,
  Krb5TokenId,
  type Krb5TokId,
  NameType,
  TicketFlags,
  unwrapGssToken,
  unwrapKrb5Token,
  wrapGssToken,
  wrapKrb5Token,
} from '@krbsim/asn1';
import type { GssFraming } from '@krbsim/client';
import { Duration, ErrorCode, KerberosError } from '@krbsim/core';
import { decrypt, encrypt, generateKey, type Key, KeyUsage, stringToKey } from '@krbsim/crypto';
import type { TransitedPath } from '@krbsim/service';
import { describe, expect, it } from 'vitest';
import { alice, Lab, REALM, SPN, spnName, thrown } from './helpers';

const hex = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString('hex'));

describe('KerberosService.accept: round trips with the krbsim client', () => {
  for (const gss of ['none', 'krb5', 'spnego'] as GssFraming[]) {
    it(`accepts a ${gss} AP-REQ with mutual authentication, and the client verifies the AP-REP`, () => {
      const lab = new Lab();
      const cred = lab.credential();
      const { token, context } = lab.client.buildApReq(cred, {
        gss,
        mutual: true,
        subkey: true,
        seqNumber: 1234,
      });
      const r = lab.service({ principal: `HTTP/web.contoso.com@${REALM}` }).accept(token);
      expect(r.clientPrincipal).toBe('alice@CONTOSO.COM');
      expect(r.client).toEqual(alice);
      expect(r.server.name.nameString).toEqual(spnName.nameString);
      expect(r.kvno).toBe(3);
      expect(hex(r.sessionKey.bytes)).toBe(hex(cred.sessionKey.bytes));
      expect(hex(r.subkey?.bytes)).toBe(hex(context.subkey?.bytes));
      expect(r.seqNumber).toBe(1234);
      expect(r.mutual).toBe(true);
      expect(r.framing).toBe(gss);
      expect(r.transited).toEqual([]);
      const rep = lab.client.verifyApRep(context, r.responseToken!);
      if (gss === 'none') {
        expect(r.responseToken![0]).toBe(0x6f);
        expect(rep).toEqual({});
        expect(r.acceptorSubkey).toBeUndefined();
      } else {
        // GSS acceptors answer with their own subkey and sequence number.
        expect(hex(rep.subkey?.bytes)).toBe(hex(r.acceptorSubkey?.bytes));
        expect(rep.seqNumber).toBe(r.acceptorSeqNumber);
        expect(r.gssFlags! & GssFlags.mutual).toBe(GssFlags.mutual);
        expect(r.gssFlags! & (GssFlags.integ | GssFlags.conf)).toBe(GssFlags.integ | GssFlags.conf);
      }
      if (gss === 'krb5') {
        const t = unwrapKrb5Token(r.responseToken!);
        expect(t.tokId).toBe(0x0200);
      }
      if (gss === 'spnego') {
        expect(unwrapGssToken(token).thisMech).toBe(GssOid.SPNEGO);
        const resp = decodeNegotiationToken(r.responseToken!);
        expect('negTokenResp' in resp && resp.negTokenResp.negState).toBe(0);
        // Windows names the Microsoft OID it proposed first.
        expect('negTokenResp' in resp && resp.negTokenResp.supportedMech).toBe(GssOid.MS_KRB5);
      }
    });
  }

  it('sends nothing back without mutual authentication (raw and GSS), and completes SPNEGO', () => {
    const lab = new Lab();
    const svc = lab.service();
    expect(svc.accept(lab.client.buildApReq(lab.credential()).token).responseToken).toBeUndefined();
    const gss = svc.accept(lab.client.buildApReq(lab.credential(), { gss: 'krb5', mutual: false }).token);
    expect(gss.mutual).toBe(false);
    expect(gss.responseToken).toBeUndefined();
    const sp = svc.accept(lab.client.buildApReq(lab.credential(), { gss: 'spnego', mutual: false }).token);
    const resp = decodeNegotiationToken(sp.responseToken!);
    expect('negTokenResp' in resp && resp.negTokenResp.responseToken).toBeUndefined();
  });

  it('returns the transited realms and the ticket times', () => {
    const lab = new Lab();
    // A path its KDC checked (RFC 4120 section 2.7): the service takes the KDC's word for it.
    const cred = lab.credential({
      transited: 'EDU,MIT.,ATHENA.,WASHINGTON.EDU,CS.',
      flags: (TicketFlags['transited-policy-checked'] | TicketFlags['pre-authent']) >>> 0,
    });
    const r = lab.service().accept(lab.client.buildApReq(cred).token);
    expect(r.transited).toEqual(['EDU', 'MIT.EDU', 'ATHENA.MIT.EDU', 'WASHINGTON.EDU', 'CS.WASHINGTON.EDU']);
    expect(r.authtime).toBe(lab.clock.now());
    expect(r.endtime).toBe(lab.clock.now() + 10 * Duration.hour);
  });

  it('a client that builds two AP-REQs in the same millisecond is not a replay', () => {
    const lab = new Lab();
    const svc = lab.service();
    const cred = lab.credential();
    const a = lab.client.buildApReq(cred);
    const b = lab.client.buildApReq(cred);
    expect(b.context.ctime * 1e3 + b.context.cusec).toBeGreaterThan(a.context.ctime * 1e3 + a.context.cusec);
    svc.accept(a.token);
    svc.accept(b.token);
  });
});

describe('KerberosService.accept: every refusal has its RFC 4120 code', () => {
  it('KRB_AP_PATH_NOT_ACCEPTED: transited realms its KDC did not check and the policy refuses (RFC 4120 section 2.7)', () => {
    const lab = new Lab();
    const bob = { realm: 'FABRIKAM.COM', name: { nameType: NameType.NT_PRINCIPAL, nameString: ['bob'] } };
    const token = (transited: string, flags = TicketFlags['pre-authent']) =>
      lab.client.buildApReq(lab.credential({ ticketClient: bob, transited, flags })).token;
    // FABRIKAM.COM to CONTOSO.COM passes COM on the hierarchy: accepted, as MIT's acceptor does.
    expect(lab.service().accept(token('COM')).transited).toEqual(['COM']);
    const off = thrown(() => lab.service().accept(token('EVIL.EXAMPLE')));
    expect(off.code).toBe(ErrorCode.KRB_AP_PATH_NOT_ACCEPTED);
    expect(off.message).toContain(
      'the ticket of bob@FABRIKAM.COM transited EVIL.EXAMPLE on its way to CONTOSO.COM, a path its KDC did not check',
    );
    // The KDC's word, TRANSITED-POLICY-CHECKED, is taken.
    const checked = token(
      'EVIL.EXAMPLE',
      TicketFlags['pre-authent'] | TicketFlags['transited-policy-checked'],
    );
    expect(lab.service().accept(checked).transited).toEqual(['EVIL.EXAMPLE']);
    // A service's own policy decides instead, given the whole path.
    const seen: TransitedPath[] = [];
    const own = lab.service({
      transitedPolicy: (p) => seen.push(p) > 0 && p.transited[0] === 'EVIL.EXAMPLE',
    });
    expect(own.accept(token('EVIL.EXAMPLE')).client.realm).toBe('FABRIKAM.COM');
    expect(seen).toEqual([{ clientRealm: 'FABRIKAM.COM', transited: ['EVIL.EXAMPLE'], serviceRealm: REALM }]);
    expect(thrown(() => own.accept(token('COM'))).code).toBe(ErrorCode.KRB_AP_PATH_NOT_ACCEPTED);
    // Within one realm no path is accepted.
    const local = lab.client.buildApReq(
      lab.credential({ transited: 'COM', flags: TicketFlags['pre-authent'] }),
    ).token;
    expect(thrown(() => lab.service().accept(local)).code).toBe(ErrorCode.KRB_AP_PATH_NOT_ACCEPTED);
  });

  it('KDC_ERR_ETYPE_NOSUPP for an authenticator subkey of an unknown or weak enctype, KRB_ERR_GENERIC for one of the wrong size', () => {
    const lab = new Lab();
    const withSubkey = (subkey: Key) => lab.client.buildApReq(lab.credential(), { subkey }).token;
    const unknown = thrown(() => lab.service().accept(withSubkey({ etype: 99, bytes: new Uint8Array(16) })));
    expect(unknown.code).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
    expect(unknown.message).toContain(
      "the authenticator's subkey is of enctype 99, which krbsim does not support",
    );
    const rc4 = withSubkey({ etype: 23, bytes: new Uint8Array(16) });
    const weak = thrown(() => lab.service().accept(rc4));
    expect(weak.code).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
    expect(weak.message).toContain("the authenticator's subkey uses the weak enctype 23");
    expect(lab.service({ allowWeakCrypto: true }).accept(rc4).subkey?.etype).toBe(23);
    const short = thrown(() => lab.service().accept(withSubkey({ etype: 18, bytes: new Uint8Array(5) })));
    expect(short.code).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(short.message).toContain("the authenticator's subkey is 5 bytes; enctype 18 keys are 32");
  });

  it('KRB_AP_ERR_NOT_US: a ticket for another principal that no key of the service opens', () => {
    const lab = new Lab();
    const other = { realm: REALM, name: { nameType: 2, nameString: ['HTTP', 'other.contoso.com'] } };
    const otherKey = stringToKey(18, 'other-Passw0rd', `${REALM}HTTPother.contoso.com`);
    const token = lab.client.buildApReq(lab.credential({ server: other, serviceKey: otherKey })).token;
    expect(thrown(() => lab.service().accept(token)).code).toBe(ErrorCode.KRB_AP_ERR_NOT_US);
    const e1 = thrown(() => lab.service({ principal: 'HTTP/web.contoso.com@CONTOSO.COM' }).accept(token));
    expect(e1.code).toBe(ErrorCode.KRB_AP_ERR_NOT_US);
    expect(e1.message).toContain('whose keys do not open it');
    // A service named for a principal the keytab does not hold opens nothing.
    const mine = lab.client.buildApReq(lab.credential()).token;
    const e = thrown(() => lab.service({ principal: 'HTTP/other.contoso.com@CONTOSO.COM' }).accept(mine));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_NOT_US);
    expect(e.message).toContain('HTTP/web.contoso.com@CONTOSO.COM');
  });

  it('MS-KILE 3.4.5: a GSS token whose authenticator has no checksum asks for no flags and binds no channel', () => {
    const lab = new Lab();
    const bare = lab.client.buildApReq(lab.credential(), { mutual: true }).token;
    const gss = wrapKrb5Token(Krb5TokenId.AP_REQ, bare);
    const r = lab
      .service()
      .accept(gss, { channelBindings: new TextEncoder().encode('tls-server-end-point:xyz') });
    expect(r.framing).toBe('krb5');
    expect(r.gssFlags).toBeUndefined();
    expect(r.securityContext).toBeDefined();
    // mutual-required still asks for the AP-REP, framed as the request was.
    expect(r.mutual).toBe(true);
    expect(unwrapKrb5Token(r.responseToken!).tokId).toBe(Krb5TokenId.AP_REP);
    // A keyed checksum of nothing (Samba's form) is read as MIT reads it: replay and sequence, and
    // mutual from the AP options; no bindings, so none to check against the acceptor's.
    const keyed = lab.client.buildApReq(lab.credential(), { checksum: { data: new Uint8Array(0) } }).token;
    const k = lab.service().accept(wrapKrb5Token(Krb5TokenId.AP_REQ, keyed), {
      channelBindings: new TextEncoder().encode('tls-server-end-point:xyz'),
    });
    expect(k.gssFlags).toBe(GssFlags.replay | GssFlags.sequence);
    expect(k.responseToken).toBeUndefined();
    const mutualKeyed = lab.client.buildApReq(lab.credential(), {
      mutual: true,
      checksum: { data: new Uint8Array(0) },
    }).token;
    const m = lab.service().accept(wrapKrb5Token(Krb5TokenId.AP_REQ, mutualKeyed));
    expect(m.gssFlags).toBe(GssFlags.replay | GssFlags.sequence | GssFlags.mutual);
    expect(unwrapKrb5Token(m.responseToken!).tokId).toBe(Krb5TokenId.AP_REP);
    // An unkeyed one is not a checksum a session key makes.
    const crc = lab.client.buildApReq(lab.credential(), {
      checksum: { cksumtype: 1, checksum: new Uint8Array(4) },
    }).token;
    expect(thrown(() => lab.service().accept(wrapKrb5Token(Krb5TokenId.AP_REQ, crc))).code).toBe(
      ErrorCode.KRB_AP_ERR_INAPP_CKSUM,
    );
  });

  it('SPNEGO whose mechToken is a bare AP-REQ (as Impacket sends it) is accepted and answered with a bare AP-REP', () => {
    const lab = new Lab();
    const bare = lab.client.buildApReq(lab.credential(), { mutual: true }).token;
    const token = encodeNegotiationToken({
      negTokenInit: { mechTypes: [GssOid.MS_KRB5, GssOid.KRB5], mechToken: bare },
    });
    const r = lab.service().accept(token);
    expect(r.framing).toBe('spnego');
    expect(r.clientPrincipal).toBe('alice@CONTOSO.COM');
    const resp = decodeNegotiationToken(r.responseToken!);
    if (!('negTokenResp' in resp)) throw new Error('expected a NegTokenResp');
    expect(resp.negTokenResp.supportedMech).toBe(GssOid.MS_KRB5);
    expect(resp.negTokenResp.responseToken![0]).toBe(0x6f); // [APPLICATION 15] AP-REP, no GSS framing
    // Without mutual authentication there is nothing to answer.
    const quiet = lab.client.buildApReq(lab.credential(), { mutual: false }).token;
    const r2 = lab
      .service()
      .accept(encodeNegotiationToken({ negTokenInit: { mechTypes: [GssOid.KRB5], mechToken: quiet } }));
    expect(r2.mutual).toBe(false);
    expect(r2.responseToken).toBeUndefined();
  });

  it("a ticket renamed on the way (its server name is not encrypted) is opened with the service's keys, as MIT and Windows acceptors do", () => {
    const lab = new Lab();
    // Impacket renames the tickets it caches to the SPN it asked for, in the user's realm.
    const renamed = { realm: 'FABRIKAM.COM', name: { nameType: 2, nameString: ['HTTP', 'WEB.CONTOSO.COM'] } };
    const token = lab.client.buildApReq(lab.credential({ server: renamed })).token;
    for (const svc of [lab.service(), lab.service({ principal: 'HTTP/web.contoso.com@CONTOSO.COM' })]) {
      const r = svc.accept(token);
      // The principal whose key opened it, not the name the ticket carried.
      expect(formatPrincipal(r.server.name, r.server.realm)).toBe('HTTP/web.contoso.com@CONTOSO.COM');
      expect(r.clientPrincipal).toBe('alice@CONTOSO.COM');
    }
  });

  it('KRB_AP_ERR_NOKEY: no key of the ticket enctype', () => {
    const lab = new Lab();
    const token = lab.client.buildApReq(lab.credential({ etype: 17 })).token;
    expect(thrown(() => lab.service().accept(token)).code).toBe(ErrorCode.KRB_AP_ERR_NOKEY);
  });

  it('KRB_AP_ERR_BADKEYVER: the ticket kvno is not in the keytab', () => {
    const lab = new Lab();
    const token = lab.client.buildApReq(lab.credential({ kvno: 4 })).token;
    const e = thrown(() => lab.service().accept(token));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_BADKEYVER);
    expect(e.realm).toBe(REALM);
  });

  it('takes a keytab entry of kvno 0 for any kvno, after an exact one, as MIT does', () => {
    const lab = new Lab();
    const token = lab.client.buildApReq(lab.credential({ kvno: 4 })).token;
    const anyKvno = lab.keytab.map((e) => ({ ...e, kvno: 0 }));
    expect(lab.service({ keytab: anyKvno }).accept(token).kvno).toBe(0);
    // An exact kvno still wins over the kvno-0 entry (whose key here is wrong).
    const wrongAny = anyKvno.map((e) => ({
      ...e,
      key: { etype: e.key.etype, bytes: new Uint8Array(e.key.bytes.length) },
    }));
    const exact = lab.keytab.map((e) => ({ ...e, kvno: 4 }));
    expect(lab.service({ keytab: [...wrongAny, ...exact] }).accept(token).kvno).toBe(4);
  });

  it('tries each key of the named principal for a ticket without a kvno, newest first (a key rollover)', () => {
    const lab = new Lab();
    const previous = lab.serviceKey; // kvno 3
    const current = stringToKey(18, 'web-Passw0rd-2', `${REALM}HTTPweb.contoso.com`);
    lab.keytab.push({ principal: { realm: REALM, name: spnName }, kvno: 4, key: current });
    // The ticket's kvno is OPTIONAL (RFC 4120 section 5.2.9): one issued before the rollover, without it.
    const withoutKvno = (serviceKey: Key) => {
      const cred = lab.credential({ serviceKey });
      const { kvno: _, ...encPart } = cred.ticket.encPart;
      const ticket = { ...cred.ticket, encPart };
      return lab.client.buildApReq({ ...cred, ticket, ticketDer: encodeTicket(ticket) }).token;
    };
    for (const principal of [undefined, `${SPN}@${REALM}`]) {
      const svc = lab.service(principal === undefined ? {} : { principal });
      expect(svc.accept(withoutKvno(previous)).kvno).toBe(3);
      expect(svc.accept(withoutKvno(current)).kvno).toBe(4);
      // Neither key opens it: the failure is the ticket's decryption, as with one key.
      const other = withoutKvno({ etype: 18, bytes: new Uint8Array(32).fill(7) });
      expect(thrown(() => svc.accept(other)).code).toBe(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
    }
  });

  it('KRB_AP_ERR_BAD_INTEGRITY: the ticket is encrypted in another key', () => {
    const lab = new Lab();
    const wrong = lab.credential({ serviceKey: { etype: 18, bytes: new Uint8Array(32).fill(7) } });
    expect(thrown(() => lab.service().accept(lab.client.buildApReq(wrong).token)).code).toBe(
      ErrorCode.KRB_AP_ERR_BAD_INTEGRITY,
    );
  });

  it('KRB_AP_ERR_BAD_INTEGRITY: a tampered authenticator', () => {
    const lab = new Lab();
    const ap = decodeApReq(lab.client.buildApReq(lab.credential()).token);
    const cipher = ap.authenticator.cipher.slice();
    cipher[20]! ^= 0x01;
    const token = encodeApReq({ ...ap, authenticator: { ...ap.authenticator, cipher } });
    expect(thrown(() => lab.service().accept(token)).code).toBe(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
  });

  it('KRB_AP_ERR_BADMATCH: the authenticator names another client than the ticket', () => {
    const lab = new Lab();
    const bob = { realm: REALM, name: { nameType: 1, nameString: ['bob'] } };
    const token = lab.client.buildApReq(lab.credential({ credClient: bob })).token;
    expect(thrown(() => lab.service().accept(token)).code).toBe(ErrorCode.KRB_AP_ERR_BADMATCH);
  });

  it('KRB_AP_ERR_BADADDR: a ticket with addresses, from another address than those, when the service is told the peer', () => {
    const lab = new Lab();
    const svc = lab.service();
    const v4 = { addrType: 2, address: Uint8Array.of(192, 0, 2, 7) };
    const v6 = {
      addrType: 24,
      address: Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]),
    };
    const addressed = () =>
      lab.client.buildApReq(lab.credential({ editTicket: (p) => ({ ...p, caddr: [v4, v6] }) })).token;
    // One of the ticket's addresses, as written or as an IPv6 socket reports an IPv4 peer.
    for (const peerAddress of ['192.0.2.7', '::ffff:192.0.2.7', '2001:db8::1']) {
      expect(svc.accept(addressed(), { peerAddress }).clientPrincipal).toBe('alice@CONTOSO.COM');
    }
    for (const peerAddress of ['192.0.2.8', '2001:db8::2', '::ffff:192.0.2.8']) {
      const e = thrown(() => svc.accept(addressed(), { peerAddress }));
      expect(e.code).toBe(ErrorCode.KRB_AP_ERR_BADADDR);
      expect(e.message).toMatch(
        /the ticket is for other addresses than the one the AP-REQ came from \(192\.0\.2\.8|2001:db8:0:0:0:0:0:2\)/,
      );
    }
    // Not told the peer, the service does not check (MIT's GSS acceptor never does); a ticket without
    // addresses serves any peer.
    expect(svc.accept(addressed()).clientPrincipal).toBe('alice@CONTOSO.COM');
    expect(
      svc.accept(lab.client.buildApReq(lab.credential()).token, { peerAddress: '198.51.100.1' })
        .clientPrincipal,
    ).toBe('alice@CONTOSO.COM');
    // Checked after the client match, before the clock, as MIT's krb5_rd_req does.
    const bob = { realm: REALM, name: { nameType: 1, nameString: ['bob'] } };
    const mismatched = lab.client.buildApReq(
      lab.credential({ credClient: bob, editTicket: (p) => ({ ...p, caddr: [v4] }) }),
    ).token;
    expect(thrown(() => svc.accept(mismatched, { peerAddress: '192.0.2.8' })).code).toBe(
      ErrorCode.KRB_AP_ERR_BADMATCH,
    );
    lab.serviceClock.advance(10 * Duration.minute);
    expect(thrown(() => svc.accept(addressed(), { peerAddress: '192.0.2.8' })).code).toBe(
      ErrorCode.KRB_AP_ERR_BADADDR,
    );
  });

  it("a ticket whose only address is a NetBIOS name serves any peer, as MIT's krb5_rd_req (addr_srch.c)", () => {
    const lab = new Lab();
    const svc = lab.service();
    const netbios = { addrType: 20, address: new TextEncoder().encode('WIN10-01       ') };
    const v4 = { addrType: 2, address: Uint8Array.of(192, 0, 2, 7) };
    const token = (caddr: { addrType: number; address: Uint8Array }[]) =>
      lab.client.buildApReq(lab.credential({ editTicket: (p) => ({ ...p, caddr }) })).token;
    expect(svc.accept(token([netbios]), { peerAddress: '198.51.100.1' }).clientPrincipal).toBe(
      'alice@CONTOSO.COM',
    );
    // Beside an IP address, the peer must be that address.
    expect(svc.accept(token([netbios, v4]), { peerAddress: '192.0.2.7' }).clientPrincipal).toBe(
      'alice@CONTOSO.COM',
    );
    expect(thrown(() => svc.accept(token([netbios, v4]), { peerAddress: '198.51.100.1' })).code).toBe(
      ErrorCode.KRB_AP_ERR_BADADDR,
    );
  });

  it('permittedEncTypes: another enctype is refused wherever it is, naming the list; the acceptor subkey follows its order', () => {
    const lab = new Lab();
    const svc = lab.service({ permittedEncTypes: [17, 18] });
    // The baseline: aes256 ticket and session key.
    expect(svc.accept(lab.client.buildApReq(lab.credential()).token).clientPrincipal).toBe(
      'alice@CONTOSO.COM',
    );
    const refused = (token: Uint8Array, what: string, etype: number) => {
      const e = thrown(() => svc.accept(token));
      expect(e.code).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
      expect(e.message).toBe(
        `the ${what} uses enctype ${etype}, which is not among this acceptor's permitted enctypes (17, 18)`,
      );
    };
    // The authenticator is sealed in the session key, so its enctype is refused first.
    refused(lab.client.buildApReq(lab.credential({ sessionKeyEtype: 20 })).token, 'authenticator', 20);
    refused(
      lab.client.buildApReq(lab.credential(), { subkey: generateKey(19) }).token,
      "authenticator's subkey",
      19,
    );
    const aes256sha384 = stringToKey(20, 'web-Passw0rd', `${REALM}HTTPweb.contoso.com`);
    const other = lab.service({
      permittedEncTypes: [17, 18],
      keytab: [...lab.keytab, { principal: { realm: REALM, name: spnName }, kvno: 3, key: aes256sha384 }],
    });
    const e = thrown(() =>
      other.accept(
        lab.client.buildApReq(lab.credential({ serviceKey: aes256sha384, sessionKeyEtype: 18 })).token,
      ),
    );
    expect([e.code, e.message]).toEqual([
      ErrorCode.KDC_ERR_ETYPE_NOSUPP,
      "the ticket uses enctype 20, which is not among this acceptor's permitted enctypes (17, 18)",
    ]);
    // GSS: the client lists [18, 17]; this acceptor prefers 17.
    const cred = lab.credential();
    const r = svc.accept(lab.client.buildApReq(cred, { gss: 'krb5', etypeNegotiation: true }).token);
    expect(r.acceptorSubkey?.etype).toBe(18); // the client's own list stops at the session key's, 18
    const prefers17 = lab.service({ permittedEncTypes: [17, 18] });
    const withList = lab.client.buildApReq(lab.credential({ sessionKeyEtype: 17 }), { gss: 'krb5' });
    expect(prefers17.accept(withList.token).acceptorSubkey?.etype).toBe(17);
  });

  it('permittedEncTypes must be enctypes krbsim implements, weak ones only with allowWeakCrypto', () => {
    const lab = new Lab();
    expect(() => lab.service({ permittedEncTypes: [] })).toThrow(/at least one enctype/);
    expect(() => lab.service({ permittedEncTypes: [18, 26] })).toThrow(
      /enctype 26 is not one krbsim implements/,
    );
    expect(() => lab.service({ permittedEncTypes: [18, 23] })).toThrow(
      /the weak enctype 23 needs allowWeakCrypto/,
    );
    expect(() => lab.service({ permittedEncTypes: [23, 18], allowWeakCrypto: true })).not.toThrow();
  });

  it('peerAddress must be an IP address', () => {
    const lab = new Lab();
    const token = lab.client.buildApReq(lab.credential()).token;
    expect(() => lab.service().accept(token, { peerAddress: 'web.contoso.com' })).toThrow(
      new TypeError('KerberosService.accept: peerAddress "web.contoso.com" is not an IP address'),
    );
  });

  it('KRB_AP_ERR_SKEW: the clocks differ by more than the allowed skew, either way', () => {
    const lab = new Lab();
    const svc = lab.service();
    lab.serviceClock.advance(5 * Duration.minute + Duration.second);
    expect(thrown(() => svc.accept(lab.client.buildApReq(lab.credential()).token)).code).toBe(
      ErrorCode.KRB_AP_ERR_SKEW,
    );
    lab.serviceClock.advance(-10 * Duration.minute - 2 * Duration.second);
    expect(thrown(() => svc.accept(lab.client.buildApReq(lab.credential()).token)).code).toBe(
      ErrorCode.KRB_AP_ERR_SKEW,
    );
    // Within the skew: accepted.
    lab.serviceClock.advance(6 * Duration.minute);
    expect(svc.accept(lab.client.buildApReq(lab.credential()).token).clientPrincipal).toBe(
      'alice@CONTOSO.COM',
    );
    const tight = lab.service({ clockSkewMs: 30 * Duration.second });
    expect(thrown(() => tight.accept(lab.client.buildApReq(lab.credential()).token)).code).toBe(
      ErrorCode.KRB_AP_ERR_SKEW,
    );
  });

  it('KRB_AP_ERR_TKT_NYV: a postdated ticket, and a ticket with the INVALID flag', () => {
    const lab = new Lab();
    const later = lab.credential({ starttime: lab.clock.now() + Duration.hour });
    expect(thrown(() => lab.service().accept(lab.client.buildApReq(later).token)).code).toBe(
      ErrorCode.KRB_AP_ERR_TKT_NYV,
    );
    const invalid = lab.credential({ flags: 0x01000000 });
    expect(thrown(() => lab.service().accept(lab.client.buildApReq(invalid).token)).code).toBe(
      ErrorCode.KRB_AP_ERR_TKT_NYV,
    );
    // Starting within the skew is fine.
    const soon = lab.credential({ starttime: lab.clock.now() + Duration.minute });
    expect(lab.service().accept(lab.client.buildApReq(soon).token).mutual).toBe(false);
  });

  it('KRB_AP_ERR_TKT_EXPIRED: the ticket ended more than the skew ago', () => {
    const lab = new Lab();
    const cred = lab.credential({ endtime: lab.clock.now() + Duration.hour });
    lab.advance(Duration.hour + 4 * Duration.minute);
    expect(lab.service().accept(lab.client.buildApReq(cred).token).clientPrincipal).toBe('alice@CONTOSO.COM');
    lab.advance(2 * Duration.minute);
    const e = thrown(() => lab.service().accept(lab.client.buildApReq(cred).token));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_TKT_EXPIRED);
  });

  it('KRB_AP_ERR_REPEAT: the same AP-REQ twice, whatever the framing; nothing is lost by the attempt', () => {
    const lab = new Lab();
    const svc = lab.service();
    for (const gss of ['none', 'krb5', 'spnego'] as GssFraming[]) {
      const { token } = lab.client.buildApReq(lab.credential(), { gss });
      svc.accept(token);
      const size = svc.replayCache!.size;
      expect(thrown(() => svc.accept(token)).code).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
      expect(svc.replayCache!.size).toBe(size);
    }
    // With replay detection off, the same token passes twice.
    const off = lab.service({ replayCache: false });
    const { token } = lab.client.buildApReq(lab.credential());
    off.accept(token);
    off.accept(token);
  });

  it("the acceptor's own refusals come before the replay cache: refused again alike, never KRB_AP_ERR_REPEAT", () => {
    const lab = new Lab();
    const PC = new Uint8Array(32).fill(1);
    const DISK = new Uint8Array(32).fill(2);
    /** A GSS token for a fresh credential, its authenticator's authorization data replaced by `ad`. */
    const withAd = (ad: { adType: number; adData: Uint8Array }[]) => {
      const cred = lab.credential();
      const ap = decodeApReq(unwrapKrb5Token(lab.client.buildApReq(cred, { gss: 'krb5' }).token).message);
      const auth = decodeAuthenticator(
        decrypt(cred.sessionKey, KeyUsage.AP_REQ_AUTH, ap.authenticator.cipher),
      );
      const ifRelevant = { adType: AdType.AD_IF_RELEVANT, adData: encodeAuthorizationData(ad) };
      const cipher = encrypt(
        cred.sessionKey,
        KeyUsage.AP_REQ_AUTH,
        encodeAuthenticator({ ...auth, authorizationData: [ifRelevant] }),
        { random: lab.random },
      );
      return wrapKrb5Token(
        Krb5TokenId.AP_REQ,
        encodeApReq({ ...ap, authenticator: { ...ap.authenticator, cipher } }),
      );
    };
    const dceStyle = lab.client.buildApReq(lab.credential(), {
      gss: 'krb5',
      gssFlags: GssFlags.dceStyle | GssFlags.replay | GssFlags.sequence,
    }).token;
    const cases: [string, Uint8Array, number][] = [
      // MS-KILE 3.4.5.1: DCE style comes raw, never in a GSS token (MIT: a defective token).
      [
        'DCE style in a GSS token',
        wrapKrb5Token(Krb5TokenId.AP_REQ, dceStyle),
        ErrorCode.KRB_AP_ERR_MSG_TYPE,
      ],
      // RFC 4537 section 3: an AD-ETYPE-NEGOTIATION that is not an EtypeList.
      [
        'an EtypeList that does not decode',
        withAd([{ adType: AdType.AD_ETYPE_NEGOTIATION, adData: Uint8Array.of(0x04, 0x00) }]),
        ErrorCode.KRB_ERR_GENERIC,
      ],
      // MS-KILE 2.2.6: a KERB_AUTH_DATA_CLIENT_TARGET that does not decode.
      [
        'Windows client data that does not decode',
        withAd([{ adType: AdType.KERB_AUTH_DATA_CLIENT_TARGET, adData: Uint8Array.of(0x41) }]),
        ErrorCode.KRB_ERR_GENERIC,
      ],
      // MS-KILE 3.4.5.3: this machine's CrossBootMachineID with another start's PerBootMachineID.
      [
        'a token from another start of this machine',
        lab.client.buildApReq(lab.credential(), {
          gss: 'spnego',
          windows: {
            tokenIntegrity: { flags: 0, tokenIL: 0x2000, machineId: PC, crossBootMachineId: DISK },
            loopback: new Uint8Array(16),
          },
        }).token,
        ErrorCode.KRB_AP_ERR_MODIFIED,
      ],
    ];
    const svc = lab.service({ machineId: new Uint8Array(32).fill(3), crossBootMachineId: DISK });
    for (const [what, token, code] of cases) {
      expect(thrown(() => svc.accept(token)).code, what).toBe(code);
      expect(svc.replayCache!.size, what).toBe(0);
      expect(thrown(() => svc.accept(token)).code, `${what}, again`).toBe(code);
    }
    // A good token still takes its place, once.
    const good = lab.client.buildApReq(lab.credential(), { gss: 'krb5' }).token;
    svc.accept(good);
    expect(svc.replayCache!.size).toBe(1);
    expect(thrown(() => svc.accept(good)).code).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
  });

  it('refuses weak enctypes unless allowWeakCrypto', () => {
    const lab = new Lab();
    const rc4: { etype: number; bytes: Uint8Array } = { etype: 23, bytes: new Uint8Array(16).fill(9) };
    lab.keytab.push({ principal: { realm: REALM, name: spnName }, kvno: 3, key: rc4 });
    const cred = lab.credential({ serviceKey: rc4 });
    const e = thrown(() => lab.service().accept(lab.client.buildApReq(cred).token));
    expect(e.code).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
    expect(
      lab.service({ allowWeakCrypto: true }).accept(lab.client.buildApReq(cred).token).sessionKey.etype,
    ).toBe(23);
  });

  it('KRB_AP_ERR_METHOD: user-to-user AP-REQs are not offered', () => {
    const lab = new Lab();
    const ap = decodeApReq(lab.client.buildApReq(lab.credential()).token);
    const token = encodeApReq({ ...ap, apOptions: 0x40000000 });
    expect(thrown(() => lab.service().accept(token)).code).toBe(ErrorCode.KRB_AP_ERR_METHOD);
  });
});

describe('GSS checksum and channel bindings', () => {
  const cb = new TextEncoder().encode('tls-server-end-point:0123456789abcdef');

  it('accepts matching bindings and refuses others with KRB_AP_ERR_MODIFIED', () => {
    const lab = new Lab();
    const svc = lab.service();
    const ok = lab.client.buildApReq(lab.credential(), { gss: 'krb5', channelBindings: cb }).token;
    const bound = svc.accept(ok, { channelBindings: cb });
    expect(bound.clientPrincipal).toBe('alice@CONTOSO.COM');
    // GSS_C_CHANNEL_BOUND_FLAG (MIT 1.19): the bindings were compared and matched.
    expect(bound.securityContext!.retFlags & GssFlags.channelBound).toBe(GssFlags.channelBound);
    // Not when the acceptor has none, nor when the initiator sent none, nor when it only claims the flag.
    const unbound = lab.client.buildApReq(lab.credential(), { gss: 'krb5' }).token;
    const again = lab.client.buildApReq(lab.credential(), { gss: 'krb5', channelBindings: cb }).token;
    expect(svc.accept(again).securityContext!.retFlags & GssFlags.channelBound).toBe(0);
    expect(
      svc.accept(unbound, { channelBindings: cb }).securityContext!.retFlags & GssFlags.channelBound,
    ).toBe(0);
    const claims = lab.client.buildApReq(lab.credential(), {
      gss: 'krb5',
      gssFlags: GssFlags.channelBound,
    }).token;
    expect(svc.accept(claims).securityContext!.retFlags & GssFlags.channelBound).toBe(0);
    const other = lab.client.buildApReq(lab.credential(), { gss: 'spnego', channelBindings: cb }).token;
    const e = thrown(() =>
      svc.accept(other, { channelBindings: new TextEncoder().encode('tls-server-end-point:x') }),
    );
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
  });

  it("frames the AP-REP of a bare krb5 token with the initiator's mechanism OID, as MIT does", () => {
    const lab = new Lab();
    const token = lab.client.buildApReq(lab.credential(), { gss: 'krb5', mutual: true }).token;
    const t = unwrapKrb5Token(token);
    const msOid = wrapKrb5Token(Krb5TokenId.AP_REQ, t.message, GssOid.MS_KRB5);
    const r = lab.service().accept(msOid);
    expect(unwrapKrb5Token(r.responseToken!).mech).toBe(GssOid.MS_KRB5);
    expect(
      unwrapKrb5Token(
        lab.service().accept(lab.client.buildApReq(lab.credential(), { gss: 'krb5', mutual: true }).token)
          .responseToken!,
      ).mech,
    ).toBe(GssOid.KRB5);
  });

  it('accepts an initiator that sent no bindings, as MIT does', () => {
    const lab = new Lab();
    const token = lab.client.buildApReq(lab.credential(), { gss: 'krb5' }).token;
    expect(lab.service().accept(token, { channelBindings: cb }).mutual).toBe(true);
  });

  it('checks the bindings of a raw AP-REQ that carries the 0x8003 checksum: taking the framing off keeps them', () => {
    const lab = new Lab();
    const svc = lab.service();
    const elsewhere = new TextEncoder().encode('tls-server-end-point:another channel');
    const token = lab.client.buildApReq(lab.credential(), { gss: 'krb5', channelBindings: elsewhere }).token;
    const raw = unwrapKrb5Token(token).message; // the AP-REQ alone, as a relay could send it
    expect(thrown(() => svc.accept(raw, { channelBindings: cb })).code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    // Made for this channel, the raw AP-REQ is accepted, its GSS flags read.
    const mine = unwrapKrb5Token(
      lab.client.buildApReq(lab.credential(), { gss: 'krb5', channelBindings: cb }).token,
    ).message;
    const r = svc.accept(mine, { channelBindings: cb });
    expect(r.framing).toBe('none');
    expect(r.gssFlags! & GssFlags.mutual).toBe(GssFlags.mutual);
  });

  it('refuses no bindings from an initiator that asked for them to be checked (KERB_AP_OPTIONS_CBT)', () => {
    // MS-KILE 3.2.5.8: AD-AUTH-DATA-AP-OPTIONS (143) in AD-IF-RELEVANT, KERB_AP_OPTIONS_CBT (0x4000).
    const lab = new Lab();
    const cred = lab.credential();
    const withOptions = (adData: Uint8Array) => {
      const token = lab.client.buildApReq(cred, { gss: 'krb5' }).token;
      const ap = decodeApReq(unwrapKrb5Token(token).message);
      const auth = decodeAuthenticator(
        decrypt(cred.sessionKey, KeyUsage.AP_REQ_AUTH, ap.authenticator.cipher),
      );
      const ifRelevant = encodeAuthorizationData([{ adType: AdType.AD_AUTH_DATA_AP_OPTIONS, adData }]);
      const cipher = encrypt(
        cred.sessionKey,
        KeyUsage.AP_REQ_AUTH,
        encodeAuthenticator({
          ...auth,
          authorizationData: [{ adType: AdType.AD_IF_RELEVANT, adData: ifRelevant }],
        }),
        { random: lab.random },
      );
      return wrapKrb5Token(
        Krb5TokenId.AP_REQ,
        encodeApReq({ ...ap, authenticator: { ...ap.authenticator, cipher } }),
      );
    };
    const cbt = withOptions(Uint8Array.of(0x00, 0x40, 0x00, 0x00));
    expect(thrown(() => lab.service().accept(cbt, { channelBindings: cb })).code).toBe(
      ErrorCode.KRB_AP_ERR_MODIFIED,
    );
    // Without acceptor bindings there is nothing to check; without the flag, no bindings pass (MIT's leniency).
    expect(lab.service().accept(cbt).clientPrincipal).toBe('alice@CONTOSO.COM');
    expect(lab.service().accept(withOptions(Uint8Array.of(0, 0, 0, 0)), { channelBindings: cb }).mutual).toBe(
      true,
    );
    // KERB_AP_OPTIONS is four octets: anything else is refused, as MIT refuses it.
    expect(
      thrown(() => lab.service().accept(withOptions(Uint8Array.of(0x40)), { channelBindings: cb })).code,
    ).toBe(ErrorCode.KRB_AP_ERR_MSG_TYPE);
  });

  it("KERB_AP_OPTIONS_CBT is found and enforced wherever MIT's check_cbt finds it: no checksum, top level, every framing", () => {
    // MIT's accept_sec_context.c: check_cbt runs after every checksum branch, the absent one included,
    // and krb5_find_authdata finds AD-AUTH-DATA-AP-OPTIONS at the top level and inside AD-IF-RELEVANT.
    const lab = new Lab();
    const cred = lab.credential();
    const CBT = Uint8Array.of(0x00, 0x40, 0x00, 0x00); // KerbApOptions.CBT, little-endian (MS-KILE 2.2.8)
    const options = (adData: Uint8Array) => ({ adType: AdType.AD_AUTH_DATA_AP_OPTIONS, adData });
    const inIfRelevant = (...inner: { adType: number; adData: Uint8Array }[]) => ({
      adType: AdType.AD_IF_RELEVANT,
      adData: encodeAuthorizationData(inner),
    });
    /** A krb5 token from the client whose authenticator `edit` changed, re-sealed with the session key. */
    const edited = (edit: (a: ReturnType<typeof decodeAuthenticator>) => object, gss = true) => {
      const ap = decodeApReq(unwrapKrb5Token(lab.client.buildApReq(cred, { gss: 'krb5' }).token).message);
      const auth = decodeAuthenticator(
        decrypt(cred.sessionKey, KeyUsage.AP_REQ_AUTH, ap.authenticator.cipher),
      );
      const cipher = encrypt(
        cred.sessionKey,
        KeyUsage.AP_REQ_AUTH,
        encodeAuthenticator(edit(auth) as typeof auth),
        { random: lab.random },
      );
      const der = encodeApReq({ ...ap, authenticator: { ...ap.authenticator, cipher } });
      return gss ? wrapKrb5Token(Krb5TokenId.AP_REQ, der) : der;
    };
    const svc = lab.service({ replayCache: false });
    const failure = (f: () => unknown) => {
      const e = thrown(f);
      return [e.code, e.message];
    };
    const bound = { channelBindings: cb };
    const noChecksum = [
      ErrorCode.KRB_AP_ERR_MODIFIED,
      'the authenticator sets KERB_AP_OPTIONS_CBT but carries no GSS checksum, so no channel bindings, and this service has a channel: the token may have been made outside it',
    ];
    const emptyBindings = [
      ErrorCode.KRB_AP_ERR_MODIFIED,
      'the GSS checksum carries no channel bindings (16 zero octets), though the initiator set KERB_AP_OPTIONS_CBT or the service requires them: the token may have been made outside this channel',
    ];
    const twoElements = [
      ErrorCode.KRB_AP_ERR_MSG_TYPE,
      'the authenticator carries 2 AD-AUTH-DATA-AP-OPTIONS elements; a client sends one KERB-AP-OPTIONS (MS-KILE 3.2.5.8)',
    ];
    // (a) No checksum at all, CBT in AD-IF-RELEVANT: MS-KILE 3.4.5's "no checksum, no binding check"
    // gives way to the client's own request, as MIT's GSS_S_BAD_BINDINGS.
    const noCksum = edited(({ cksum: _, ...a }) => ({
      ...a,
      authorizationData: [inIfRelevant(options(CBT))],
    }));
    expect(failure(() => svc.accept(noCksum, bound))).toEqual(noChecksum);
    // The same inside SPNEGO, and raw (a raw AP-REQ without a GSS checksum binds no channel either).
    const spnego = encodeNegotiationToken({
      negTokenInit: { mechTypes: [GssOid.MS_KRB5, GssOid.KRB5], mechToken: noCksum },
    });
    expect(failure(() => svc.accept(spnego, bound))).toEqual(noChecksum);
    const rawNoCksum = edited(
      ({ cksum: _, ...a }) => ({ ...a, authorizationData: [inIfRelevant(options(CBT))] }),
      false,
    );
    expect(failure(() => svc.accept(rawNoCksum, bound))).toEqual(noChecksum);
    // Without the acceptor's channel there is nothing to hold it to: accepted, no flags, as MS-KILE 3.4.5.
    expect(svc.accept(noCksum).gssFlags).toBeUndefined();
    // (b) CBT as a top-level element, with the client's empty bindings: refused as in AD-IF-RELEVANT.
    const topLevel = edited((a) => ({ ...a, authorizationData: [options(CBT)] }));
    expect(failure(() => svc.accept(topLevel, bound))).toEqual(emptyBindings);
    // ...and in an AD-IF-RELEVANT inside another (krb5_find_authdata descends into each).
    const nested = edited((a) => ({ ...a, authorizationData: [inIfRelevant(inIfRelevant(options(CBT)))] }));
    expect(failure(() => svc.accept(nested, bound))).toEqual(emptyBindings);
    // (c) A malformed element, or two, refuse a GSS token with or without acceptor bindings (MIT:
    // KRB5KRB_AP_ERR_MSG_TYPE from check_cbt); two valid ones are not OR-ed together.
    const short = edited((a) => ({ ...a, authorizationData: [inIfRelevant(options(Uint8Array.of(0x40)))] }));
    expect(failure(() => svc.accept(short))).toEqual([
      ErrorCode.KRB_AP_ERR_MSG_TYPE,
      "the authenticator's AD-AUTH-DATA-AP-OPTIONS is 1 octets; KERB_AP_OPTIONS is 4 (MS-KILE 2.2.8)",
    ]);
    const zero = Uint8Array.of(0, 0, 0, 0);
    const two = edited((a) => ({ ...a, authorizationData: [options(zero), inIfRelevant(options(CBT))] }));
    expect(failure(() => svc.accept(two))).toEqual(twoElements);
    expect(failure(() => svc.accept(two, bound))).toEqual(twoElements);
    // An AD-IF-RELEVANT that does not decode hides whatever options it holds: refused, as MIT fails it.
    const garbled = edited((a) => ({
      ...a,
      authorizationData: [{ adType: AdType.AD_IF_RELEVANT, adData: Uint8Array.of(0x30, 0x05, 0x30) }],
    }));
    const g = thrown(() => svc.accept(garbled));
    expect(g.code).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(g.message).toMatch(
      /^an AD-IF-RELEVANT in the authenticator does not decode, so its KERB-AP-OPTIONS/,
    );
    // Containers one inside the other are read 32 deep (the codec's nesting bound), and refused deeper.
    const deep = (levels: number) => {
      let ad: { adType: number; adData: Uint8Array } = options(CBT);
      for (let i = 0; i < levels; i++) ad = inIfRelevant(ad);
      return edited((a) => ({ ...a, authorizationData: [ad] }));
    };
    expect(failure(() => svc.accept(deep(32), bound))).toEqual(emptyBindings);
    expect(failure(() => svc.accept(deep(33), bound))).toEqual([
      ErrorCode.KRB_ERR_GENERIC,
      "the authenticator's AD-IF-RELEVANT containers nest deeper than 32",
    ]);
    // A raw AP-REQ read as krb5_rd_req reads it (no channel to hold it to) is not searched, as MIT's isn't.
    const rawShort = edited(
      (a) => ({ ...a, authorizationData: [inIfRelevant(options(Uint8Array.of(0x40)))] }),
      false,
    );
    expect(svc.accept(rawShort).framing).toBe('none');
    // The control: one well-formed CBT element with bindings that match is accepted, and channel-bound.
    const mine = lab.client.buildApReq(cred, {
      gss: 'krb5',
      channelBindings: cb,
      clientAwareChannelBindings: true,
    });
    expect(svc.accept(mine.token, bound).securityContext!.retFlags & GssFlags.channelBound).toBe(
      GssFlags.channelBound,
    );
  });

  it('requireChannelBindings: empty bindings, or none at all, are refused where the acceptor has a channel', () => {
    const lab = new Lab();
    const cred = lab.credential();
    const require = { channelBindings: cb, requireChannelBindings: true };
    const empty = lab.client.buildApReq(cred, { gss: 'krb5' }).token;
    expect(thrown(() => lab.service().accept(empty, require)).code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    // A raw AP-REQ has no GSS checksum: it binds no channel.
    const raw = lab.client.buildApReq(cred, { mutual: true }).token;
    expect(thrown(() => lab.service().accept(raw, require)).message).toMatch(/binds no channel/);
    // Bound to this channel: accepted; to another: refused.
    const bound = lab.client.buildApReq(cred, { gss: 'spnego', channelBindings: cb }).token;
    expect(lab.service().accept(bound, require).clientPrincipal).toBe('alice@CONTOSO.COM');
    const other = lab.client.buildApReq(cred, { gss: 'spnego', channelBindings: Uint8Array.of(1) }).token;
    expect(thrown(() => lab.service().accept(other, require)).code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    // Without the acceptor's channel the option has nothing to hold the token to.
    expect(lab.service().accept(empty, { requireChannelBindings: true }).clientPrincipal).toBe(
      'alice@CONTOSO.COM',
    );
  });

  it('KRB_AP_ERR_MODIFIED: a GSS token whose keyed checksum is over data (it must be over nothing, or 0x8003)', () => {
    const lab = new Lab();
    const token = lab.client.buildApReq(lab.credential(), { gss: 'krb5', checksum: { data: cb } }).token;
    const e = thrown(() => lab.service().accept(token));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.message).toContain('does not verify over empty data with the session key');
  });

  it('reads delegated credentials carried in the checksum (KRB-CRED in the clear, as inside GSS)', () => {
    const lab = new Lab();
    const cred = lab.credential();
    const tgt = lab.credential();
    const krbCred = encodeKrbCred({
      pvno: 5,
      msgType: 22,
      tickets: [tgt.ticket],
      encPart: {
        etype: 0,
        cipher: encodeEncKrbCredPart({
          ticketInfo: [
            { key: { keytype: 18, keyvalue: tgt.sessionKey.bytes }, prealm: REALM, pname: alice.name },
          ],
        }),
      },
    });
    const r = lab.service().accept(lab.client.buildApReq(cred, { gss: 'krb5', delegation: krbCred }).token);
    expect(r.gssFlags! & GssFlags.deleg).toBe(GssFlags.deleg);
    expect(r.delegatedCredential?.tickets).toHaveLength(1);
    expect(hex(r.delegatedCredential?.info[0]?.key.keyvalue)).toBe(hex(tgt.sessionKey.bytes));
    // The context returns GSS_C_DELEG_FLAG with the credential; a checksum that sets the flag and
    // delegates nothing gets a context without it, as MIT's acceptor masks the flag until it reads one.
    expect(r.securityContext!.retFlags & GssFlags.deleg).toBe(GssFlags.deleg);
    const flagged = encodeGssChecksum({ flags: GssFlags.mutual | GssFlags.integ | GssFlags.conf });
    flagged.checksum[20]! |= GssFlags.deleg; // the flag, and no KRB-CRED after it
    const empty = lab.service().accept(lab.client.buildApReq(cred, { gss: 'krb5', checksum: flagged }).token);
    expect([empty.gssFlags! & GssFlags.deleg, empty.delegatedCredential]).toEqual([
      GssFlags.deleg,
      undefined,
    ]);
    expect(empty.securityContext!.retFlags & GssFlags.deleg).toBe(0);
    // Garbage where the KRB-CRED should be is refused, with a KerberosError.
    const bad = lab.client.buildApReq(cred, { gss: 'krb5', delegation: new Uint8Array([1, 2, 3]) }).token;
    expect(thrown(() => lab.service().accept(bad))).toBeInstanceOf(KerberosError);
  });
});

describe('delegated credentials sealed with a key (RFC 4121 section 4.1.1, key usage 14)', () => {
  /** A KRB-CRED of `tickets` whose EncKrbCredPart lists `infos` entries, sealed with `key` (etype 0: in the clear). */
  function krbCredOf(lab: Lab, key: Key | undefined, tickets: number, infos: number): Uint8Array {
    const tgt = lab.credential();
    const info = { key: { keytype: 18, keyvalue: tgt.sessionKey.bytes }, prealm: REALM, pname: alice.name };
    const part = encodeEncKrbCredPart({ ticketInfo: Array.from({ length: infos }, () => info) });
    return encodeKrbCred({
      pvno: 5,
      msgType: 22,
      tickets: Array.from({ length: tickets }, () => tgt.ticket),
      encPart:
        key === undefined
          ? { etype: 0, cipher: part }
          : {
              etype: key.etype,
              cipher: encrypt(key, KeyUsage.KRB_CRED_ENCPART, part, { random: lab.random }),
            },
    });
  }

  it('reads a KRB-CRED sealed with the session key', () => {
    const lab = new Lab();
    const cred = lab.credential();
    const delegation = krbCredOf(lab, cred.sessionKey, 1, 1);
    const r = lab.service().accept(lab.client.buildApReq(cred, { gss: 'krb5', delegation }).token);
    expect(r.delegatedCredential?.tickets).toHaveLength(1);
    expect(r.delegatedCredential?.info[0]?.prealm).toBe(REALM);
  });

  it('KRB_AP_ERR_BAD_INTEGRITY: sealed with neither the subkey nor the session key', () => {
    const lab = new Lab();
    const cred = lab.credential();
    const stranger = lab.credential().sessionKey; // same etype, another key
    for (const key of [stranger, stringToKey(17, 'not-this-one', 'CONTOSO.COMalice')]) {
      const delegation = krbCredOf(lab, key, 1, 1);
      const e = thrown(() =>
        lab.service().accept(lab.client.buildApReq(cred, { gss: 'krb5', delegation }).token),
      );
      expect(e.code).toBe(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
      expect(e.message).toContain('delegated credentials (KRB-CRED) did not decrypt');
    }
  });

  it('KRB_AP_ERR_MODIFIED: a ticket count that differs from the ticket-info count', () => {
    const lab = new Lab();
    const cred = lab.credential();
    for (const [tickets, infos] of [
      [2, 1],
      [1, 2],
    ] as const) {
      const delegation = krbCredOf(lab, cred.sessionKey, tickets, infos);
      const e = thrown(() =>
        lab.service().accept(lab.client.buildApReq(cred, { gss: 'krb5', delegation }).token),
      );
      expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
      expect(e.message).toContain(`has ${tickets} tickets but ${infos} ticket-info entries`);
    }
  });
});

describe('malformed tokens never crash the service', () => {
  it('throws KerberosError for empty, foreign and truncated tokens', () => {
    const lab = new Lab();
    const svc = lab.service();
    const good = lab.client.buildApReq(lab.credential(), { gss: 'spnego' }).token;
    const bad = [
      new Uint8Array(0),
      new Uint8Array([0x00]),
      new Uint8Array([0x6e]),
      new Uint8Array([0x60, 0x03, 0x06, 0x01, 0x00]),
      good.subarray(0, good.length - 1),
      good.subarray(0, 40),
      new Uint8Array([0xa1, 0x03, 0x30, 0x01, 0x00]),
    ];
    for (const b of bad) {
      const e = thrown(() => svc.accept(b));
      expect(e, hex(b)).toBeInstanceOf(KerberosError);
    }
  });

  it('names what is wrong with a GSS or SPNEGO frame around something other than an AP-REQ', () => {
    const lab = new Lab();
    const svc = lab.service();
    const apReq = lab.client.buildApReq(lab.credential()).token; // raw DER AP-REQ
    const krb5 = (tokId: Krb5TokId, message = apReq) => wrapKrb5Token(tokId, message);
    const cases: [string, Uint8Array, number, string][] = [
      [
        'a krb5 token that carries an AP-REP (TOK_ID and message tag agree)',
        krb5(Krb5TokenId.AP_REP, Uint8Array.of(0x6f, 0x00)),
        ErrorCode.KRB_AP_ERR_MSG_TYPE,
        'TOK_ID 0x0200, not 0x0100 (AP-REQ)',
      ],
      [
        'a NegTokenResp inside the GSS frame SPNEGO keeps for the first token',
        wrapGssToken(GssOid.SPNEGO, encodeNegotiationToken({ negTokenResp: { negState: 0 } })),
        ErrorCode.KRB_AP_ERR_MSG_TYPE,
        'the SPNEGO token is not a NegTokenInit',
      ],
      [
        'a NegTokenInit that offers Kerberos but sends no optimistic token',
        encodeNegotiationToken({ negTokenInit: { mechTypes: [GssOid.KRB5] } }),
        ErrorCode.KRB_AP_ERR_METHOD,
        'carries no Kerberos token',
      ],
      [
        'a NegTokenInit that prefers NTLM',
        encodeNegotiationToken({
          negTokenInit: {
            mechTypes: ['1.3.6.1.4.1.311.2.2.10', GssOid.KRB5],
            mechToken: krb5(Krb5TokenId.AP_REQ),
          },
        }),
        ErrorCode.KRB_AP_ERR_METHOD,
        'prefers SPNEGO mechanism 1.3.6.1.4.1.311.2.2.10',
      ],
    ];
    for (const [what, token, code, text] of cases) {
      const e = thrown(() => svc.accept(token));
      expect(e, what).toBeInstanceOf(KerberosError);
      expect(e.code, what).toBe(code);
      expect(e.message, what).toContain(text);
    }
  });

  it('flipping any single byte of a token gives success or a KerberosError, never another exception', () => {
    const lab = new Lab();
    const svc = lab.service({ replayCache: false });
    for (const gss of ['none', 'krb5', 'spnego'] as GssFraming[]) {
      const token = lab.client.buildApReq(lab.credential(), { gss }).token;
      for (let i = 0; i < token.length; i++) {
        const t = token.slice();
        t[i]! ^= 0xff;
        try {
          svc.accept(t);
        } catch (e) {
          expect(e, `${gss} byte ${i}`).toBeInstanceOf(KerberosError);
        }
      }
    }
  });
});
