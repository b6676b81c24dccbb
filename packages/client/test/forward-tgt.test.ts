/**
 * `forwardTgt`: the client delegates its TGT (RFC 4121 section 4.1.1) to a
 * krbsim service, always or by policy (GSS_C_DELEG_POLICY_FLAG: an
 * ok-as-delegate ticket, reached through ok-as-delegate referrals only).
 */

import {
  decodeEncTicketPart,
  decodeKdcReq,
  decodeKrbCred,
  GssFlags,
  KdcOptions,
  krbtgtName,
  NameType,
  TicketFlags,
} from '@krbsim/asn1';
import { type Credential, KerberosClient } from '@krbsim/client';
import { ErrorCode, ManualClock, SeededRandom } from '@krbsim/core';
import { decrypt, KeyUsage } from '@krbsim/crypto';
import { createTrust, Kdc, Realm, type RealmKind } from '@krbsim/kdc';
import { KerberosService } from '@krbsim/service';
import { InProcessTransport } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';

const T0 = Date.UTC(2026, 2, 1, 9);
const TRUSTED = 'HTTP/trusted.contoso.com';
const PLAIN = 'HTTP/plain.contoso.com';
const ROOT_SVC = 'HTTP/intranet.corp.test';

/**
 * EMEA.CORP.TEST (alice) and its forest root CORP.TEST, joined by a two-way realm trust; in EMEA
 * a service trusted for delegation and one not, in CORP one trusted for delegation. Every
 * TGS-REQ the client sends is kept, by realm.
 */
function lab(kind: RealmKind = 'active-directory') {
  const clock = new ManualClock(T0);
  const realm = (name: string) =>
    new Realm({
      name,
      kind,
      clock,
      random: new SeededRandom(name),
      ...(kind === 'active-directory' && { forest: 'CORP.TEST' }),
    });
  const emea = realm('EMEA.CORP.TEST');
  const corp = realm('CORP.TEST');
  createTrust({ trusting: corp, trusted: emea, direction: 'two-way', kind: 'realm' });
  emea.addUser('alice', { password: 'Al1ce-Passw0rd' });
  emea.addService(TRUSTED.replace('contoso.com', 'emea.corp.test'), { password: 't', okAsDelegate: true });
  emea.addService(PLAIN.replace('contoso.com', 'emea.corp.test'), { password: 'p' });
  corp.addService(ROOT_SVC, { password: 'r', okAsDelegate: true });
  emea.mapDomain('.corp.test', 'CORP.TEST');
  emea.mapDomain('.emea.corp.test', 'EMEA.CORP.TEST');
  const sent: { realm: string; options: number; sname: string }[] = [];
  const transport = new InProcessTransport();
  for (const r of [emea, corp]) {
    const kdc = new Kdc(r);
    transport.register(r.name, (req) => {
      if (req[0] === 0x6c) {
        const body = decodeKdcReq(req).reqBody;
        sent.push({ realm: r.name, options: body.kdcOptions, sname: body.sname!.nameString.join('/') });
      }
      return kdc.handle(req);
    });
  }
  const client = async (forwardable = true) => {
    const c = new KerberosClient({ realm: emea.name, transport, clock, random: new SeededRandom('alice') });
    await c.getInitialCredentials('alice', { password: 'Al1ce-Passw0rd' }, { forwardable });
    return c;
  };
  const service = (r: Realm, spn: string) =>
    new KerberosService({
      keytab: r.keysFor(spn).map((key) => ({
        principal: { realm: r.name, name: { nameType: NameType.NT_SRV_INST, nameString: spn.split('/') } },
        kvno: 1,
        key,
      })),
      clock,
    });
  return { emea, corp, sent, client, service };
}

const trusted = TRUSTED.replace('contoso.com', 'emea.corp.test');
const plain = PLAIN.replace('contoso.com', 'emea.corp.test');

describe('forwardTgt (RFC 4121 section 4.1.1 delegation)', () => {
  it("hands the service a forwarded TGT of the client's realm, which the service opens", async () => {
    const t = lab();
    const c = await t.client();
    const cred = await c.getServiceTicket(plain);
    const krbCred = (await c.forwardTgt(cred))!;
    // Asked of the home KDC with FORWARDED and FORWARDABLE, for krbtgt/EMEA.CORP.TEST.
    const ask = t.sent.at(-1)!;
    expect(ask).toMatchObject({ realm: 'EMEA.CORP.TEST', sname: 'krbtgt/EMEA.CORP.TEST' });
    expect(ask.options & KdcOptions.forwarded).toBe(KdcOptions.forwarded);
    expect(ask.options & KdcOptions.forwardable).toBe(KdcOptions.forwardable);
    // Unencrypted inside the GSS checksum, as MIT and Windows send it.
    expect(decodeKrbCred(krbCred).encPart.etype).toBe(0);
    const r = t.service(t.emea, plain).accept(c.buildApReq(cred, { gss: 'krb5', delegation: krbCred }).token);
    expect(r.gssFlags! & GssFlags.deleg).toBe(GssFlags.deleg);
    const [ticket] = r.delegatedCredential!.tickets;
    const [info] = r.delegatedCredential!.info;
    expect(ticket!.sname).toEqual(krbtgtName('EMEA.CORP.TEST'));
    expect(info!.pname!.nameString).toEqual(['alice']);
    expect(info!.flags! & TicketFlags.forwarded).toBe(TicketFlags.forwarded);
    // The TGT is the KDC's, sealed in its krbtgt key, with the session key the KRB-CRED carries.
    const key = t.emea.krbtgt.keys.find((k) => k.key.etype === ticket!.encPart.etype)!.key;
    const etp = decodeEncTicketPart(decrypt(key, KeyUsage.KDC_REP_TICKET, ticket!.encPart.cipher));
    expect(etp.flags & TicketFlags.forwarded).toBe(TicketFlags.forwarded);
    expect(Buffer.from(etp.key.keyvalue).equals(Buffer.from(info!.key.keyvalue))).toBe(true);
    // The forwarded TGT is not cached in place of the client's own.
    expect(c.cache.tgtFor('EMEA.CORP.TEST')!.flags & TicketFlags.forwarded).toBe(0);
  });

  it('refuses to delegate a TGT that is not forwardable, before asking the KDC', async () => {
    const t = lab();
    const c = await t.client(false);
    const cred = await c.getServiceTicket(trusted);
    const before = t.sent.length;
    await expect(c.forwardTgt(cred)).rejects.toMatchObject({
      code: ErrorCode.KDC_ERR_BADOPTION,
      message: expect.stringMatching(/not forwardable/),
    });
    expect(t.sent.length).toBe(before);
  });

  it('by policy, delegates only to a service trusted for delegation, and asks nothing otherwise', async () => {
    const t = lab();
    const c = await t.client();
    const before = t.sent.length;
    expect(await c.forwardTgt(await c.getServiceTicket(plain), { policy: true })).toBeUndefined();
    expect(t.sent.length).toBe(before + 1); // the service ticket alone
    expect(await c.forwardTgt(await c.getServiceTicket(trusted), { policy: true })).toBeInstanceOf(
      Uint8Array,
    );
  });

  it('by policy, follows the referral: within the forest the referral is ok-as-delegate, and so is the root service', async () => {
    const t = lab();
    const c = await t.client();
    const cred = await c.getServiceTicket(ROOT_SVC);
    expect(cred.server.realm).toBe('CORP.TEST');
    expect(c.cache.tgtFor('CORP.TEST')!.flags & TicketFlags['ok-as-delegate']).toBe(
      TicketFlags['ok-as-delegate'],
    );
    const krbCred = await c.forwardTgt(cred, { policy: true });
    expect(krbCred).toBeInstanceOf(Uint8Array);
    const r = t
      .service(t.corp, ROOT_SVC)
      .accept(c.buildApReq(cred, { gss: 'krb5', delegation: krbCred }).token);
    expect(r.delegatedCredential!.tickets[0]!.sname).toEqual(krbtgtName('EMEA.CORP.TEST'));
  });

  it('keeps no ok-as-delegate past an intermediate TGT without it on a path the client walks itself (realm named)', async () => {
    // Three MIT realms A -> B -> C; C's service and B's TGT for C are ok-as-delegate (MIT sets the
    // flag from the principal), A's TGT for B is not.
    const clock = new ManualClock(T0);
    const realm = (name: string) => new Realm({ name, clock, random: new SeededRandom(name) });
    const [a, b, c] = [realm('A.TEST'), realm('B.TEST'), realm('C.TEST')];
    createTrust({ trusting: b, trusted: a, direction: 'one-way', kind: 'realm' });
    createTrust({ trusting: c, trusted: b, direction: 'one-way', kind: 'realm' });
    b.lookup(krbtgtName('C.TEST'), 'B.TEST')!.okAsDelegate = true;
    a.addUser('alice', { password: 'Al1ce-Passw0rd' });
    c.addService('HTTP/svc.c.test', { password: 's', okAsDelegate: true });
    const transport = new InProcessTransport();
    for (const r of [a, b, c]) {
      const kdc = new Kdc(r);
      transport.register(r.name, (req) => kdc.handle(req));
    }
    const client = new KerberosClient({ realm: 'A.TEST', transport, clock, random: new SeededRandom('a') });
    await client.getInitialCredentials('alice', { password: 'Al1ce-Passw0rd' }, { forwardable: true });
    const cred = await client.getServiceTicket('HTTP/svc.c.test@C.TEST');
    const ok = TicketFlags['ok-as-delegate'];
    // B's KDC flagged its TGT for C, and C's KDC the ticket; A's TGT for B had none.
    const key = c.keysFor('HTTP/svc.c.test').find((k) => k.etype === cred.ticket.encPart.etype)!;
    const etp = decodeEncTicketPart(decrypt(key, KeyUsage.KDC_REP_TICKET, cred.ticket.encPart.cipher));
    expect(etp.flags & ok).toBe(ok);
    expect(client.cache.tgtFor('B.TEST')!.flags & ok).toBe(0);
    expect(client.cache.tgtFor('C.TEST')!.flags & ok).toBe(0); // cleared: it came through B's
    expect(cred.flags & ok).toBe(0);
    expect(await client.forwardTgt(cred, { policy: true })).toBeUndefined();
  });

  /**
   * Three MIT realms A -> B -> C reached by referrals (B and A map .c.test to C): A's TGT for B
   * lacks ok-as-delegate, B's TGT for C and C's services have it. Alice's TGT is renewable.
   */
  async function chain() {
    const clock = new ManualClock(T0);
    const realm = (name: string) => new Realm({ name, clock, random: new SeededRandom(name) });
    const [a, b, c] = [realm('A.TEST'), realm('B.TEST'), realm('C.TEST')];
    createTrust({ trusting: b, trusted: a, direction: 'one-way', kind: 'realm' });
    createTrust({ trusting: c, trusted: b, direction: 'one-way', kind: 'realm' });
    b.lookup(krbtgtName('C.TEST'), 'B.TEST')!.okAsDelegate = true;
    a.addUser('alice', { password: 'Al1ce-Passw0rd' });
    c.addService('HTTP/svc.c.test', { password: 's', okAsDelegate: true });
    c.addService('HTTP/other.c.test', { password: 'o', okAsDelegate: true });
    for (const r of [a, b]) r.mapDomain('.c.test', 'C.TEST');
    const transport = new InProcessTransport();
    for (const r of [a, b, c]) {
      const kdc = new Kdc(r);
      transport.register(r.name, (req) => kdc.handle(req));
    }
    const client = new KerberosClient({ realm: 'A.TEST', transport, clock, random: new SeededRandom('a') });
    await client.getInitialCredentials(
      'alice',
      { password: 'Al1ce-Passw0rd' },
      { forwardable: true, renewable: true },
    );
    /** The flags C's KDC sealed in `cred`'s ticket. */
    const sealedFlags = (cred: Credential) => {
      const key = c
        .keysFor(cred.server.name.nameString.join('/'))
        .find((k) => k.etype === cred.ticket.encPart.etype)!;
      return decodeEncTicketPart(decrypt(key, KeyUsage.KDC_REP_TICKET, cred.ticket.encPart.cipher)).flags;
    };
    return { client, clock, sealedFlags };
  }

  it('caches a referral TGT without the ok-as-delegate an earlier TGT on the path lacked (MIT, reply by reply)', async () => {
    const { client, sealedFlags } = await chain();
    const ok = TicketFlags['ok-as-delegate'];
    // Referrals A -> B -> C: B's KDC flags its TGT for C, which came with A's TGT for B, without.
    const first = await client.getServiceTicket('HTTP/svc.c.test');
    expect(first.server.realm).toBe('C.TEST');
    expect(sealedFlags(first) & ok).toBe(ok);
    expect(first.flags & ok).toBe(0);
    expect(client.cache.tgtFor('B.TEST')!.flags & ok).toBe(0);
    expect(client.cache.tgtFor('C.TEST')!.flags & ok).toBe(0);
    // The realm named: the cached TGT for C is presented to C's KDC, and its answer is no more trusted.
    const second = await client.getServiceTicket('HTTP/other.c.test@C.TEST');
    expect(sealedFlags(second) & ok).toBe(ok);
    expect(second.flags & ok).toBe(0);
    expect(await client.forwardTgt(first, { policy: true })).toBeUndefined();
    expect(await client.forwardTgt(second, { policy: true })).toBeUndefined();
  });

  it('renewing keeps an ok-as-delegate the client cleared cleared, whatever the KDC answers', async () => {
    const { client, clock, sealedFlags } = await chain();
    const ok = TicketFlags['ok-as-delegate'];
    const cred = await client.getServiceTicket('HTTP/svc.c.test', { forwardable: true });
    expect(cred.flags & TicketFlags.renewable).toBe(TicketFlags.renewable);
    expect(cred.flags & ok).toBe(0);
    clock.advance(60 * 60_000);
    const renewed = await client.renew(cred);
    // C's KDC renews the ticket as it is, ok-as-delegate sealed in; the client keeps it cleared.
    expect(sealedFlags(renewed) & ok).toBe(ok);
    expect(renewed.endtime).toBeGreaterThan(cred.endtime);
    expect(renewed.flags & ok).toBe(0);
    expect(client.cache.find('HTTP/svc.c.test', 'C.TEST')).toBe(renewed);
    expect(await client.forwardTgt(renewed, { policy: true })).toBeUndefined();
    // Renewing the TGT for C, a cross-realm TGT without the flag, leaves it without too.
    const renewedTgt = await client.renew(client.cache.tgtFor('C.TEST')!);
    expect(renewedTgt.flags & ok).toBe(0);
  });

  it('by policy, does not delegate past a referral TGT without ok-as-delegate, even with an ok-as-delegate ticket', async () => {
    // MIT realms: the KDC sets ok-as-delegate from the service alone, and no referral carries it.
    const t = lab('mit');
    const c = await t.client();
    const cred = await c.getServiceTicket(ROOT_SVC);
    expect(c.cache.tgtFor('CORP.TEST')!.flags & TicketFlags['ok-as-delegate']).toBe(0);
    // The ticket has the flag; the credential does not, as MIT's and Heimdal's clients keep it.
    const key = t.corp.keysFor(ROOT_SVC).find((k) => k.etype === cred.ticket.encPart.etype)!;
    const etp = decodeEncTicketPart(decrypt(key, KeyUsage.KDC_REP_TICKET, cred.ticket.encPart.cipher));
    expect(etp.flags & TicketFlags['ok-as-delegate']).toBe(TicketFlags['ok-as-delegate']);
    expect(cred.flags & TicketFlags['ok-as-delegate']).toBe(0);
    expect(c.cache.find(cred.server.name, 'CORP.TEST')!.flags & TicketFlags['ok-as-delegate']).toBe(0);
    expect(await c.forwardTgt(cred, { policy: true })).toBeUndefined();
    // Without the policy the caller decides: the TGT goes.
    expect(await c.forwardTgt(cred)).toBeInstanceOf(Uint8Array);
    // In its own realm the client keeps the flag the KDC set.
    t.emea.addService('HTTP/local.emea.corp.test', { password: 'l', okAsDelegate: true });
    const local = await c.getServiceTicket('HTTP/local.emea.corp.test');
    expect(local.flags & TicketFlags['ok-as-delegate']).toBe(TicketFlags['ok-as-delegate']);
  });
});
