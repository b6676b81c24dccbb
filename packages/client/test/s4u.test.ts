/**
 * The client's S4U2Self and S4U2Proxy (MS-SFU 3.1.5) against krbsim's KDC:
 * protocol transition and constrained delegation in one realm, classic and
 * resource-based, across a trust both ways round, under FAST, and every
 * refusal and reply check (the KDC's echo of PA-S4U-X509-USER altered or
 * missing, a reply for another user).
 */

import {
  decodePaS4uX509User,
  decodeTgsRep,
  decodeTgsReq,
  encodePaS4uX509User,
  encodeTgsRep,
  encodeTgsReq,
  type KdcReq,
  NameType,
  PaDataType,
  TicketFlags,
} from '@krbsim/asn1';
import { type Credential, hasFlag, KdcRefusedError, KerberosClient } from '@krbsim/client';
import { ErrorCode, KerberosError, ManualClock, NtStatus, SeededRandom } from '@krbsim/core';
import { createTrust, Kdc, Realm } from '@krbsim/kdc';
import { getPacBuffer, PacBufferType } from '@krbsim/pac';
import { KerberosService } from '@krbsim/service';
import { InProcessTransport } from '@krbsim/transport';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { refusal } from './refusal';
import { resealTgsRep } from './reseal-tgs-rep';

const A = 'CONTOSO.COM';
const B = 'FABRIKAM.COM';
const WEB = 'HTTP/web.contoso.com';
const SQL = 'MSSQLSvc/sql.contoso.com:1433';
const SQL_B = 'MSSQLSvc/sql.fabrikam.com:1433';

interface Setup {
  readonly clock: ManualClock;
  readonly a: Realm;
  readonly b: Realm;
  /** Every TGS-REQ the client sent, decoded, by the realm it went to. */
  readonly sent: { realm: string; req: KdcReq }[];
  /** Replaces the next TGS-REP of `realm` with what `f` makes of it (and of the request it answers). */
  tamper(realm: string, f: (rep: Uint8Array, req: Uint8Array) => Uint8Array): void;
  /** Removes padata of these types from the next TGS-REQ to `realm`, as a KDC that ignored them would. */
  strip(realm: string, types: readonly number[]): void;
  readonly transport: InProcessTransport;
  /** websvc's client, logged on with its password (a keytab's key would do the same). */
  websvc(opts?: { fastTgs?: boolean }): Promise<KerberosClient>;
}

/**
 * CONTOSO (AD): websvc, alice (UPN alice@contoso.com), a sensitive bob, a disabled carol, the
 * SQL service; FABRIKAM (AD): dave and its own SQL service. `trust`: none, two-way (S4U2Self
 * for FABRIKAM's users) or one-way with FABRIKAM trusting CONTOSO (S4U2Proxy to FABRIKAM).
 */
function setup(
  opts: {
    trusted?: boolean;
    allowedTo?: string[];
    rbcdFrom?: string[];
    trust?: 'none' | 'two-way' | 'one-way';
  } = {},
): Setup {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 8, 0, 0));
  const a = new Realm({ name: A, clock, random: new SeededRandom('a'), kind: 'active-directory' });
  const b = new Realm({ name: B, clock, random: new SeededRandom('b'), kind: 'active-directory' });
  a.addUser('websvc', {
    password: 'svc-pw',
    spns: [WEB],
    delegation: { trustedToAuthenticate: opts.trusted ?? true, allowedTo: opts.allowedTo ?? [SQL] },
  });
  a.addUser('alice', { password: 'pw', upn: 'alice@contoso.com' });
  a.addUser('bob', { password: 'pw', sensitive: true });
  a.addUser('carol', { password: 'pw', disabled: true });
  a.addComputer('SQL', {
    password: 'sql-pw',
    spns: [SQL],
    ...(opts.rbcdFrom !== undefined && { delegation: { allowedFrom: opts.rbcdFrom } }),
  });
  b.addUser('dave', { password: 'pw', upn: 'dave@fabrikam.com' });
  b.addUser('svc_sql', { password: 'sql-b-pw', spns: [SQL_B], delegation: { allowedFrom: [`websvc@${A}`] } });
  const trust = opts.trust ?? 'none';
  if (trust !== 'none') {
    createTrust({ trusting: b, trusted: a, direction: trust, kind: 'forest' });
    a.mapDomain('.fabrikam.com', B);
  }
  const sent: { realm: string; req: KdcReq }[] = [];
  const tampers = new Map<string, (rep: Uint8Array, req: Uint8Array) => Uint8Array>();
  const strips = new Map<string, readonly number[]>();
  const kdcs: Record<string, Kdc> = { [A]: new Kdc(a), [B]: new Kdc(b) };
  const transport = new InProcessTransport();
  for (const realm of [A, B]) {
    transport.register(realm, async (req) => {
      const tgs = req[0] === 0x6c; // [APPLICATION 12] TGS-REQ
      const strip = tgs ? strips.get(realm) : undefined;
      if (strip !== undefined) {
        strips.delete(realm);
        const r = decodeTgsReq(req);
        req = encodeTgsReq({ ...r, padata: r.padata?.filter((p) => !strip.includes(p.padataType)) }).slice();
      }
      if (tgs) sent.push({ realm, req: decodeTgsReq(req) });
      const rep = await kdcs[realm]!.handle(req);
      const f = tampers.get(realm);
      if (!tgs || f === undefined || rep[0] !== 0x6d) return rep;
      tampers.delete(realm);
      return f(rep, req);
    });
  }
  return {
    clock,
    a,
    b,
    sent,
    transport,
    tamper: (realm, f) => tampers.set(realm, f),
    strip: (realm, types) => strips.set(realm, types),
    async websvc(o = {}) {
      const c = new KerberosClient({
        realm: A,
        transport,
        clock,
        random: new SeededRandom('websvc'),
        ...(o.fastTgs && { fastTgs: true }),
      });
      await c.getInitialCredentials('websvc', { password: 'svc-pw' }, { forwardable: true });
      return c;
    },
  };
}

/** `realm`'s service `account` accepts an AP-REQ with `cred`; the accepted session. */
function accept(realm: Realm, account: string, spn: string, cred: Credential) {
  const keytab = realm.keysFor(account).map((key) => ({
    principal: { realm: realm.name, name: cred.server.name },
    kvno: cred.ticket.encPart.kvno ?? 1,
    key,
  }));
  const service = new KerberosService({ keytab, clock: { now: () => cred.authtime } });
  const client = new KerberosClient({
    realm: realm.name,
    transport: new InProcessTransport(),
    clock: { now: () => cred.authtime },
    random: new SeededRandom(spn),
  });
  return service.accept(client.buildApReq(cred).token);
}

/** Whether `changed` decodes to the PA-S4U-X509-USER that `original` encodes. */
function sameMeaning(changed: Uint8Array, original: Uint8Array): boolean {
  try {
    return Buffer.from(encodePaS4uX509User(decodePaS4uX509User(changed))).equals(Buffer.from(original));
  } catch {
    return false;
  }
}

const padataTypes = (req: KdcReq): number[] => (req.padata ?? []).map((p) => p.padataType);

describe('S4U2Self', () => {
  it("gets websvc a forwardable ticket to itself in alice's name, with alice's PAC", async () => {
    const s = setup();
    const websvc = await s.websvc();
    const self = await websvc.getS4U2SelfTicket('alice');
    expect(self.client).toEqual({
      realm: A,
      name: { nameType: NameType.NT_PRINCIPAL, nameString: ['alice'] },
    });
    expect(self.server.name.nameString).toEqual(['websvc']);
    expect(hasFlag(self, TicketFlags.forwardable)).toBe(true);
    // The service's own key opens it: alice, by her PAC.
    const session = accept(s.a, 'websvc', WEB, self);
    expect(session.clientPrincipal).toBe(`alice@${A}`);
    expect(session.pac?.logonInfo?.effectiveName).toBe('alice');
    // MIT's form: PA-S4U-X509-USER, then PA-FOR-USER.
    const req = s.sent.at(-1)!.req;
    expect(padataTypes(req)).toEqual([
      PaDataType.PA_TGS_REQ,
      PaDataType.PA_FOR_X509_USER,
      PaDataType.PA_FOR_USER,
    ]);
    const x509 = decodePaS4uX509User(req.padata![1]!.padataValue);
    expect(x509.userId.nonce).toBe(req.reqBody.nonce);
    expect(x509.userId.options).toBe(0x20000000); // use-reply-key-usage
    // Kept in the cache as alice's ticket to websvc (as MIT stores S4U2Self tickets).
    expect(websvc.cache.find('websvc', A, self.client)).toBe(self);
  });

  it('is not forwardable for a service not trusted to authenticate for delegation', async () => {
    const s = setup({ trusted: false });
    const self = await (await s.websvc()).getS4U2SelfTicket('alice');
    expect(hasFlag(self, TicketFlags.forwardable)).toBe(false);
    expect(accept(s.a, 'websvc', WEB, self).clientPrincipal).toBe(`alice@${A}`);
  });

  it('sends PA-FOR-USER alone with x509UserId false, as Windows does', async () => {
    const s = setup();
    const self = await (await s.websvc()).getS4U2SelfTicket('alice', { x509UserId: false });
    expect(self.client.name.nameString).toEqual(['alice']);
    expect(padataTypes(s.sent.at(-1)!.req)).toEqual([PaDataType.PA_TGS_REQ, PaDataType.PA_FOR_USER]);
  });

  it('finds the user by an enterprise name (her UPN)', async () => {
    const s = setup();
    const self = await (await s.websvc()).getS4U2SelfTicket('alice@contoso.com');
    // The ticket keeps the name asked for (as the KDC's echo of PA-S4U-X509-USER does); its PAC is alice's.
    expect(self.client).toEqual({
      realm: A,
      name: { nameType: NameType.NT_ENTERPRISE, nameString: ['alice@contoso.com'] },
    });
    expect(accept(s.a, 'websvc', WEB, self).pac?.logonInfo?.effectiveName).toBe('alice');
  });

  it('refuses a reply whose PA-S4U-X509-USER echo is altered (MS-SFU 3.1.5.1.2); accepts none, as MIT does', async () => {
    const s = setup();
    const websvc = await s.websvc();
    const rewrite =
      (f: (padata: NonNullable<ReturnType<typeof decodeTgsRep>['padata']>) => unknown[]) =>
      (bytes: Uint8Array) => {
        const rep = decodeTgsRep(bytes);
        return encodeTgsRep({ ...rep, padata: f(rep.padata ?? []) as never }).slice();
      };
    // The echo's checksum flipped.
    s.tamper(
      A,
      rewrite((padata) =>
        padata.map((p) => {
          if (p.padataType !== PaDataType.PA_FOR_X509_USER) return p;
          const echo = decodePaS4uX509User(p.padataValue);
          const ck = echo.checksum.checksum.slice();
          ck[0]! ^= 1;
          return {
            ...p,
            padataValue: encodePaS4uX509User({ ...echo, checksum: { ...echo.checksum, checksum: ck } }),
          };
        }),
      ),
    );
    let e = await refusal(websvc.getS4U2SelfTicket('alice'));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.message).toMatch(/PA-S4U-X509-USER/);
    // The echo naming another user: its S4UUserID is not the one sent.
    s.tamper(
      A,
      rewrite((padata) =>
        padata.map((p) => {
          if (p.padataType !== PaDataType.PA_FOR_X509_USER) return p;
          const echo = decodePaS4uX509User(p.padataValue);
          return {
            ...p,
            padataValue: encodePaS4uX509User({
              ...echo,
              userId: { ...echo.userId, cname: { nameType: 1, nameString: ['bob'] } },
            }),
          };
        }),
      ),
    );
    e = await refusal(websvc.getS4U2SelfTicket('alice'));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    // Not DER at all.
    s.tamper(
      A,
      rewrite((padata) =>
        padata.map((p) =>
          p.padataType === PaDataType.PA_FOR_X509_USER
            ? { ...p, padataValue: new Uint8Array([0x30, 0x03, 0x01]) }
            : p,
        ),
      ),
    );
    e = await refusal(websvc.getS4U2SelfTicket('alice'));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.message).toMatch(/does not decode/);
    // The echo's nonce is not the request's.
    s.tamper(
      A,
      rewrite((padata) =>
        padata.map((p) => {
          if (p.padataType !== PaDataType.PA_FOR_X509_USER) return p;
          const echo = decodePaS4uX509User(p.padataValue);
          const userId = { ...echo.userId, nonce: echo.userId.nonce ^ 1 };
          return { ...p, padataValue: encodePaS4uX509User({ ...echo, userId }) };
        }),
      ),
    );
    e = await refusal(websvc.getS4U2SelfTicket('alice'));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.message).toMatch(/nonce/);
    // No echo at all, as from a KDC that reads PA-FOR-USER only: the reply must name the user asked for.
    s.tamper(
      A,
      rewrite((padata) => padata.filter((p) => p.padataType !== PaDataType.PA_FOR_X509_USER)),
    );
    expect((await websvc.getS4U2SelfTicket('alice')).client.name.nameString).toEqual(['alice']);
    // Its cname is outside the encrypted part: without the echo, another name there is refused, for an
    // enterprise name too (MIT's krb5_get_self_cred_from_kdc: KRB5_KDCREP_MODIFIED).
    for (const user of ['alice', 'alice@contoso.com']) {
      s.tamper(A, (bytes) => {
        const rep = decodeTgsRep(bytes);
        return encodeTgsRep({
          ...rep,
          padata: (rep.padata ?? []).filter((p) => p.padataType !== PaDataType.PA_FOR_X509_USER),
          cname: { nameType: NameType.NT_PRINCIPAL, nameString: ['bob'] },
        }).slice();
      });
      e = await refusal(websvc.getS4U2SelfTicket(user));
      expect(e.message, user).toMatch(/returned a ticket for bob@CONTOSO\.COM/);
    }
  });

  it('refuses an echo changed in any byte with KRB_AP_ERR_MODIFIED, unless the change reads as the same echo', async () => {
    const s = setup();
    const websvc = await s.websvc();
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), async (at, xor) => {
        let equivalent = false;
        s.tamper(A, (bytes) => {
          const rep = decodeTgsRep(bytes);
          const padata = (rep.padata ?? []).map((p) => {
            if (p.padataType !== PaDataType.PA_FOR_X509_USER) return p;
            const value = p.padataValue.slice();
            value[at % value.length]! ^= xor;
            equivalent = sameMeaning(value, p.padataValue);
            return { ...p, padataValue: value };
          });
          return encodeTgsRep({ ...rep, padata }).slice();
        });
        const got = await websvc.getS4U2SelfTicket('alice').then(
          (c) => c,
          (e: unknown) => e,
        );
        if (equivalent) {
          // A change DER's decoder reads as the same echo (31 flag bits where 32 were sent) says the same thing.
          expect((got as Credential).client.name.nameString).toEqual(['alice']);
        } else {
          expect(got).toBeInstanceOf(KerberosError);
          expect((got as KerberosError).code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
        }
      }),
      { numRuns: 60, seed: 4120 },
    );
  });

  it("refuses the service's own ticket from a KDC that ignored the S4U padata", async () => {
    const s = setup();
    const websvc = await s.websvc();
    s.strip(A, [PaDataType.PA_FOR_USER, PaDataType.PA_FOR_X509_USER]);
    const e = await refusal(websvc.getS4U2SelfTicket('alice'));
    expect(e.code).toBe(ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP);
    expect(e.message).toMatch(/does not support S4U2Self/);
  });

  it("passes on the KDC's refusals: an unknown user, a disabled one", async () => {
    const websvc = await setup().websvc();
    let e = await refusal(websvc.getS4U2SelfTicket('nobody'));
    expect(e).toBeInstanceOf(KdcRefusedError);
    expect(e.code).toBe(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN);
    e = await refusal(websvc.getS4U2SelfTicket('carol'));
    expect(e.code).toBe(ErrorCode.KDC_ERR_CLIENT_REVOKED);
    expect((e as KdcRefusedError).ntStatus).toBe(NtStatus.STATUS_ACCOUNT_DISABLED);
  });

  it('needs the service logged on first', async () => {
    const s = setup();
    const c = new KerberosClient({ realm: A, transport: new InProcessTransport(), clock: s.clock });
    const e = await refusal(c.getS4U2SelfTicket('alice'));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_NO_TGT);
  });

  it("reaches a user of a trusted realm: websvc's cross-realm TGT, the user's KDC's referral back, its own KDC", async () => {
    const s = setup({ trust: 'two-way' });
    const websvc = await s.websvc();
    const self = await websvc.getS4U2SelfTicket(`dave@${B}`);
    expect(self.client).toEqual({
      realm: B,
      name: { nameType: NameType.NT_PRINCIPAL, nameString: ['dave'] },
    });
    expect(self.server).toEqual({ realm: A, name: expect.objectContaining({ nameString: ['websvc'] }) });
    expect(accept(s.a, 'websvc', WEB, self).clientPrincipal).toBe(`dave@${B}`);
    // krbtgt/FABRIKAM@CONTOSO, then S4U2Self at FABRIKAM, then at CONTOSO with FABRIKAM's referral.
    expect(s.sent.map((x) => x.realm)).toEqual([A, B, A]);
    expect(s.sent.slice(1).map((x) => padataTypes(x.req).includes(PaDataType.PA_FOR_USER))).toEqual([
      true,
      true,
    ]);
    // The referral names websvc but carries dave's PAC: it is not kept as websvc's TGT.
    const tgts = websvc.cache.all().filter((c) => c.server.name.nameString[0] === 'krbtgt');
    expect(tgts.map((c) => `${c.server.name.nameString.join('/')}@${c.server.realm}`).sort()).toEqual([
      `krbtgt/${A}@${A}`,
      `krbtgt/${B}@${A}`,
    ]);
  });

  it("finds an enterprise name's realm first (MS-SFU 3.1.5.1.1.1): the KDC's client referral, then the trust", async () => {
    const s = setup({ trust: 'two-way' });
    const websvc = await s.websvc();
    const self = await websvc.getS4U2SelfTicket('dave@fabrikam.com');
    expect(self.client.realm).toBe(B);
    expect(accept(s.a, 'websvc', WEB, self).pac?.logonInfo?.effectiveName).toBe('dave');
    // The S4U2Self requests went to FABRIKAM, then back home, naming dave in FABRIKAM.
    expect(s.sent.map((x) => x.realm)).toEqual([A, B, A]);
    const x509 = decodePaS4uX509User(s.sent[1]!.req.padata![1]!.padataValue);
    expect(x509.userId.crealm).toBe(B);
    // A suffix no realm holds: the KDC's own answer.
    const e = await refusal(websvc.getS4U2SelfTicket('who@nowhere.example'));
    expect(e.code).toBe(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN);
  });
});

describe('S4U2Proxy', () => {
  it("takes alice's S4U2Self ticket to the SQL service websvc may delegate to", async () => {
    const s = setup();
    const websvc = await s.websvc();
    const self = await websvc.getS4U2SelfTicket('alice');
    const sql = await websvc.getS4U2ProxyTicket(self, SQL);
    expect(sql.client.name.nameString).toEqual(['alice']);
    expect(sql.server.name.nameString).toEqual(['MSSQLSvc', 'sql.contoso.com:1433']);
    const req = s.sent.at(-1)!.req;
    expect(req.reqBody.additionalTickets).toHaveLength(1);
    expect(padataTypes(req)).toEqual([PaDataType.PA_TGS_REQ, PaDataType.PA_PAC_OPTIONS]);
    // SQL accepts alice, and the PAC says websvc delegated.
    const session = accept(s.a, 'SQL$', SQL, sql);
    expect(session.clientPrincipal).toBe(`alice@${A}`);
    const info = getPacBuffer(session.pac!, PacBufferType.DELEGATION_INFO);
    expect(info?.s4u2proxyTarget).toMatch(/^MSSQLSvc\/sql\.contoso\.com:1433/);
    expect(info?.s4uTransitedServices).toEqual([`websvc@${A}`]);
    // A reply whose ticket is to another server, or of another realm, is not the one asked for, even
    // sealed as only the KDC could seal it (MIT's get_proxy_cred_from_kdc: KRB5KRB_AP_WRONG_PRINC).
    for (const srealm of [A, 'EVIL.TEST']) {
      s.tamper(A, (rep, req) =>
        resealTgsRep(req, rep, s.a.keysFor(`krbtgt/${A}`), (r, enc) => {
          const sname = { nameType: NameType.NT_SRV_INST, nameString: ['HTTP', 'evil.contoso.com'] };
          return {
            rep: { ...r, ticket: { ...r.ticket, sname, realm: srealm } },
            enc: { ...enc, sname, srealm },
          };
        }),
      );
      const e = await refusal(websvc.getS4U2ProxyTicket(self, SQL));
      expect(e.message).toContain(
        `S4U2Proxy for ${SQL}@${A} returned a ticket to HTTP/evil.contoso.com@${srealm}`,
      );
    }
  });

  it('takes the forwardable ticket alice presented in an AP-REQ (Kerberos-only constrained delegation)', async () => {
    const s = setup({ trusted: false });
    const websvc = await s.websvc();
    const alice = new KerberosClient({
      realm: A,
      transport: s.transport,
      clock: s.clock,
      random: new SeededRandom('alice'),
    });
    await alice.getInitialCredentials('alice', { password: 'pw' }, { forwardable: true });
    const toWeb = await alice.getServiceTicket(WEB);
    // websvc's acceptor: its keys, the session it accepted, the ticket as alice sent it.
    const keytab = s.a.keysFor('websvc').map((key) => ({
      principal: { realm: A, name: toWeb.server.name },
      kvno: toWeb.ticket.encPart.kvno ?? 1,
      key,
    }));
    const session = new KerberosService({ keytab, clock: s.clock }).accept(alice.buildApReq(toWeb).token);
    expect(session.sealedTicket).toEqual(toWeb.ticket);
    const sql = await websvc.getS4U2ProxyTicket(
      { client: session.client, server: session.server, ticket: session.sealedTicket },
      SQL,
    );
    expect(accept(s.a, 'SQL$', SQL, sql).clientPrincipal).toBe(`alice@${A}`);
    // A ticket alice did not ask to be forwardable: classic delegation refuses it.
    const bare = new KerberosClient({
      realm: A,
      transport: s.transport,
      clock: s.clock,
      random: new SeededRandom('b'),
    });
    await bare.getInitialCredentials('alice', { password: 'pw' });
    const notForwardable = await bare.getServiceTicket(WEB);
    expect(hasFlag(notForwardable, TicketFlags.forwardable)).toBe(false);
    const e = await refusal(websvc.getS4U2ProxyTicket(notForwardable, SQL));
    expect(e.code).toBe(ErrorCode.KDC_ERR_BADOPTION);
  });

  it('is refused for a service the list does not name, and for evidence that is not forwardable', async () => {
    let websvc = await setup({ allowedTo: [] }).websvc();
    let e = await refusal(websvc.getS4U2SelfTicket('alice').then((t) => websvc.getS4U2ProxyTicket(t, SQL)));
    expect(e.code).toBe(ErrorCode.KDC_ERR_BADOPTION);
    websvc = await setup({ trusted: false }).websvc();
    e = await refusal(websvc.getS4U2SelfTicket('alice').then((t) => websvc.getS4U2ProxyTicket(t, SQL)));
    expect(e.code).toBe(ErrorCode.KDC_ERR_BADOPTION);
  });

  it("is allowed by the target's resource-based list, and only when asked for (PA-PAC-OPTIONS)", async () => {
    const s = setup({ trusted: false, allowedTo: [], rbcdFrom: ['websvc'] });
    const websvc = await s.websvc();
    const self = await websvc.getS4U2SelfTicket('alice');
    const e = await refusal(websvc.getS4U2ProxyTicket(self, SQL, { resourceBased: false }));
    expect(e.code).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(padataTypes(s.sent.at(-1)!.req)).toEqual([PaDataType.PA_TGS_REQ]);
    const sql = await websvc.getS4U2ProxyTicket(self, SQL);
    expect(accept(s.a, 'SQL$', SQL, sql).clientPrincipal).toBe(`alice@${A}`);
  });

  it('refuses a sensitive user, and a TGT as evidence', async () => {
    const s = setup({ rbcdFrom: ['websvc'] });
    const websvc = await s.websvc();
    const bob = await websvc.getS4U2SelfTicket('bob');
    expect(hasFlag(bob, TicketFlags.forwardable)).toBe(false);
    expect((await refusal(websvc.getS4U2ProxyTicket(bob, SQL))).code).toBe(ErrorCode.KDC_ERR_BADOPTION);
    const tgt = websvc.cache.tgtFor(A)!;
    const e = await refusal(websvc.getS4U2ProxyTicket(tgt, SQL));
    expect(e.code).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(e.message).toMatch(/not a ticket-granting ticket/);
  });

  it("reaches FABRIKAM's SQL service through CONTOSO's referral, with websvc's own cross-realm TGT", async () => {
    const s = setup({ trust: 'one-way' });
    const websvc = await s.websvc();
    const self = await websvc.getS4U2SelfTicket('alice');
    s.sent.length = 0;
    const sql = await websvc.getS4U2ProxyTicket(self, SQL_B);
    expect(sql.client).toEqual(self.client);
    expect(sql.server.realm).toBe(B);
    expect(accept(s.b, 'svc_sql', SQL_B, sql).clientPrincipal).toBe(`alice@${A}`);
    // S4U2Proxy at CONTOSO (a referral), websvc's krbtgt/FABRIKAM, S4U2Proxy at FABRIKAM.
    expect(s.sent.map((x) => x.realm)).toEqual([A, A, B]);
    expect(s.sent[2]!.req.reqBody.additionalTickets?.[0]?.sname.nameString).toEqual(['krbtgt', B]);
    // The referral (websvc as client, alice's PAC) is not in the cache.
    const tgts = websvc.cache.all().filter((c) => c.server.name.nameString[0] === 'krbtgt');
    expect(tgts).toHaveLength(2);
    for (const t of tgts)
      expect(t.ticket.encPart.cipher).not.toEqual(
        s.sent[2]!.req.reqBody.additionalTickets![0]!.encPart.cipher,
      );
  });
});

describe('S4U2Proxy across a trust, refused', () => {
  it('stops where the KDC never saw resource-based delegation asked for (PA-PAC-OPTIONS): no referral to follow', async () => {
    const s = setup({ trust: 'one-way' });
    const websvc = await s.websvc();
    const self = await websvc.getS4U2SelfTicket('alice');
    // The KDC never sees PA-PAC-OPTIONS: it refers nothing (MIT's UNSUPPORTED_S4U2PROXY_REQUEST, MS-SFU
    // 3.2.5.2.1), so the client has no unconfirmed referral to check, and goes no further.
    s.strip(A, [PaDataType.PA_PAC_OPTIONS]);
    const e = await refusal(websvc.getS4U2ProxyTicket(self, SQL_B));
    expect(e.code).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(s.sent.at(-1)!.realm).toBe(A);
  });
});

describe('S4U under FAST', () => {
  it('armors S4U2Self and S4U2Proxy: the S4U padata travel inside the armored request', async () => {
    const s = setup();
    const websvc = await s.websvc({ fastTgs: true });
    const self = await websvc.getS4U2SelfTicket('alice');
    expect(padataTypes(s.sent.at(-1)!.req)).toEqual([PaDataType.PA_TGS_REQ, PaDataType.PA_FX_FAST]);
    const sql = await websvc.getS4U2ProxyTicket(self, SQL);
    expect(accept(s.a, 'SQL$', SQL, sql).clientPrincipal).toBe(`alice@${A}`);
  });
});
