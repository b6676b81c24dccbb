import { NameType, type PrincipalName } from '@krbsim/asn1';
import { KerberosClient, ReferralError } from '@krbsim/client';
import { Duration, ErrorCode, ManualClock, SeededRandom } from '@krbsim/core';
import { createTrust, Kdc, Realm } from '@krbsim/kdc';
import { InProcessTransport } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';
import { FakeKdcWorld, type Route } from './fake-kdc';
import { rejection } from './rejection';

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);

/** A -> B -> C, each trusting the next, services in C. */
function chain(maxHops?: number) {
  const clock = new ManualClock(T0);
  const random = new SeededRandom('referrals');
  const world = new FakeKdcWorld(clock, random)
    .addRealm({
      name: 'A.TEST',
      users: { alice: { password: 'alice-pw' } },
      route: (n) =>
        n.nameString[1]?.endsWith('.c.test') ? { kind: 'refer', to: 'B.TEST' } : { kind: 'unknown' },
    })
    .addRealm({
      name: 'B.TEST',
      route: (n) =>
        n.nameString[1]?.endsWith('.c.test') ? { kind: 'refer', to: 'C.TEST' } : { kind: 'unknown' },
    })
    .addRealm({ name: 'C.TEST', services: { 'HTTP/web.c.test': 'web-pw', 'HTTP/two.c.test': 'two-pw' } })
    .link('A.TEST', 'B.TEST')
    .link('B.TEST', 'C.TEST');
  const lines: string[] = [];
  const client = new KerberosClient({
    realm: 'A.TEST',
    transport: world.transport(),
    clock,
    random,
    log: (l) => lines.push(l),
    ...(maxHops === undefined ? {} : { maxReferralHops: maxHops }),
  });
  return { clock, world, client, lines };
}

describe('referral chasing (RFC 6806, MS-KILE)', () => {
  it('follows krbtgt referrals A -> B -> C, caching each cross-realm TGT', async () => {
    const { client, world, lines } = chain();
    await client.getInitialCredentials('alice', { password: 'alice-pw' });
    const cred = await client.getServiceTicket('HTTP/web.c.test');
    expect(cred.server.realm).toBe('C.TEST');
    expect(cred.server.name.nameString).toEqual(['HTTP', 'web.c.test']);
    expect(cred.client.realm).toBe('A.TEST');
    expect(world.requests.map((r) => `${r.kind} ${r.realm}`)).toEqual([
      'AS A.TEST',
      'AS A.TEST',
      'TGS A.TEST',
      'TGS B.TEST',
      'TGS C.TEST',
    ]);
    expect(client.cache.tgtFor('B.TEST')?.server.realm).toBe('A.TEST');
    expect(client.cache.tgtFor('C.TEST')?.server.realm).toBe('B.TEST');
    expect(lines.some((l) => l.includes('referral: A.TEST sends HTTP/web.c.test to B.TEST'))).toBe(true);
    // The service ticket is cached.
    const again = await client.getServiceTicket('HTTP/web.c.test');
    expect(again).toBe(cred);
    expect(world.requests).toHaveLength(5);
  });

  it("answers a request without a realm from the cache only with a ticket such a request found (MIT's cache keys)", async () => {
    // A.TEST and B.TEST both hold HTTP/files.example.test; a ticket asked of B by name answers no
    // request without a realm, which the local KDC answers for its own realm.
    const clock = new ManualClock(T0);
    const a = new Realm({ name: 'A.TEST', clock, random: new SeededRandom('a') });
    const b = new Realm({ name: 'B.TEST', clock, random: new SeededRandom('b') });
    a.addUser('alice', { password: 'pw' });
    a.addService('HTTP/files.example.test', { password: 'a-svc' });
    b.addService('HTTP/files.example.test', { password: 'b-svc' });
    createTrust({ trusting: b, trusted: a, direction: 'two-way', kind: 'external' });
    const sent: string[] = [];
    const transport = new InProcessTransport();
    for (const realm of [a, b]) {
      const kdc = new Kdc(realm);
      transport.register(realm.name, (r) => {
        sent.push(realm.name[0]!);
        return kdc.handle(r);
      });
    }
    const client = new KerberosClient({ realm: 'A.TEST', transport, clock, random: new SeededRandom('c') });
    await client.getInitialCredentials('alice', { password: 'pw' });
    const fromB = await client.getServiceTicket('HTTP/files.example.test@B.TEST');
    expect(fromB.server.realm).toBe('B.TEST');
    sent.length = 0;
    const local = await client.getServiceTicket('HTTP/files.example.test');
    expect(local.server.realm).toBe('A.TEST');
    expect(sent).toEqual(['A']);
    // Each is the cached answer to its own kind of request.
    expect(await client.getServiceTicket('HTTP/files.example.test')).toBe(local);
    expect(await client.getServiceTicket('HTTP/files.example.test@B.TEST')).toBe(fromB);
    expect(sent).toEqual(['A']);
  });

  it('reuses a cached cross-realm TGT when the service realm is known', async () => {
    const { client, world } = chain();
    await client.getInitialCredentials('alice', { password: 'alice-pw' });
    await client.getServiceTicket('HTTP/web.c.test');
    const before = world.requests.length;
    const cred = await client.getServiceTicket('HTTP/two.c.test', { realm: 'C.TEST' });
    expect(cred.server.realm).toBe('C.TEST');
    expect(world.requests.slice(before).map((r) => `${r.kind} ${r.realm}`)).toEqual(['TGS C.TEST']);
    // An SPN with its realm works the same way.
    const byName = await client.getServiceTicket('HTTP/two.c.test@C.TEST');
    expect(byName).toBe(cred);
  });

  it("refuses a foreign KDC's ticket for another realm's server, and keeps the real TGT", async () => {
    // B, asked for the service, answers with krbtgt/A.TEST@A.TEST: a ticket only A's KDC may issue.
    const { client, world } = chain();
    const tgt = await client.getInitialCredentials('alice', { password: 'alice-pw' });
    world.setMisbehave('B.TEST', 'foreign-tgt');
    const e = await rejection(client.getServiceTicket('HTTP/web.c.test'));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.message).toContain("B.TEST's KDC answered with a ticket for krbtgt/A.TEST@A.TEST");
    // alice's own TGT was not replaced: once B behaves, the same client gets the service ticket.
    expect(client.cache.tgtFor('A.TEST')).toBe(tgt);
    world.setMisbehave('B.TEST', undefined);
    expect((await client.getServiceTicket('HTTP/web.c.test')).server.realm).toBe('C.TEST');
  });

  it('bounds the number of hops with maxReferralHops', async () => {
    const { client } = chain(1);
    await client.getInitialCredentials('alice', { password: 'alice-pw' });
    const e = await rejection(client.getServiceTicket('HTTP/web.c.test'));
    expect(e).toBeInstanceOf(ReferralError);
    expect(e.code).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect((e as ReferralError).kind).toBe('hops');
    expect((e as ReferralError).path).toEqual(['A.TEST', 'B.TEST', 'C.TEST']);
    expect(e.message).toContain('maxReferralHops');
  });

  it('detects a referral loop (a KDC that always refers)', async () => {
    const clock = new ManualClock(T0);
    const random = new SeededRandom('loop');
    const world = new FakeKdcWorld(clock, random)
      .addRealm({
        name: 'X.TEST',
        users: { alice: { password: 'pw' } },
        route: () => ({ kind: 'refer', to: 'Y.TEST' }),
      })
      .addRealm({ name: 'Y.TEST', route: () => ({ kind: 'refer', to: 'X.TEST' }) })
      .link('X.TEST', 'Y.TEST')
      .link('Y.TEST', 'X.TEST');
    const client = new KerberosClient({ realm: 'X.TEST', transport: world.transport(), clock, random });
    await client.getInitialCredentials('alice', { password: 'pw' });
    const e = await rejection(client.getServiceTicket('HTTP/nowhere.test'));
    expect((e as ReferralError).kind).toBe('loop');
    expect((e as ReferralError).path).toEqual(['X.TEST', 'Y.TEST', 'X.TEST']);
    expect(e.realm).toBe('Y.TEST');
    expect(world.requests.filter((r) => r.kind === 'TGS')).toHaveLength(2);
  });

  it('an always-referring KDC across many realms hits the hop bound, not a hang', async () => {
    const clock = new ManualClock(T0);
    const random = new SeededRandom('hops');
    const world = new FakeKdcWorld(clock, random);
    for (let i = 0; i <= 20; i++) {
      world.addRealm({
        name: `R${i}.TEST`,
        ...(i === 0 ? { users: { alice: { password: 'pw' } } } : {}),
        route: () => ({ kind: 'refer', to: `R${i + 1}.TEST` }),
      });
    }
    for (let i = 0; i < 20; i++) world.link(`R${i}.TEST`, `R${i + 1}.TEST`);
    const client = new KerberosClient({ realm: 'R0.TEST', transport: world.transport(), clock, random });
    await client.getInitialCredentials('alice', { password: 'pw' });
    const e = await rejection(client.getServiceTicket('HTTP/far.test'));
    expect((e as ReferralError).kind).toBe('hops');
    expect(world.requests.filter((r) => r.kind === 'TGS')).toHaveLength(11);
  });

  it("falls back to domainRealm when the KDC returns no referral (MIT's fallback)", async () => {
    const clock = new ManualClock(T0);
    const random = new SeededRandom('fallback');
    const world = new FakeKdcWorld(clock, random)
      .addRealm({ name: 'A.TEST', users: { alice: { password: 'pw' } } })
      .addRealm({ name: 'Z.TEST', services: { 'HTTP/web.z.test': 'z-pw' } })
      .link('A.TEST', 'Z.TEST');
    const client = new KerberosClient({
      realm: 'A.TEST',
      transport: world.transport(),
      clock,
      random,
      domainRealm: { '.z.test': 'Z.TEST' },
    });
    await client.getInitialCredentials('alice', { password: 'pw' });
    const cred = await client.getServiceTicket('HTTP/web.z.test');
    expect(cred.server.realm).toBe('Z.TEST');
    expect(world.requests.filter((r) => r.kind === 'TGS').map((r) => `${r.realm} ${r.sname}`)).toEqual([
      'A.TEST HTTP/web.z.test',
      'A.TEST krbtgt/Z.TEST',
      'Z.TEST HTTP/web.z.test',
    ]);
    // Without a mapping, the KDC's answer stands, with its code and realm.
    const e = await rejection(client.getServiceTicket('HTTP/web.elsewhere.test'));
    expect(e.code).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
    expect(e.realm).toBe('A.TEST');
    expect(e.message).toContain('HTTP/web.elsewhere.test');
  });

  it('needs a TGT first: KRB_AP_ERR_NO_TGT', async () => {
    const { client } = chain();
    const e = await rejection(client.getServiceTicket('HTTP/web.c.test'));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_NO_TGT);
  });

  it('a TGT past its end time is not used', async () => {
    const { client, clock } = chain();
    await client.getInitialCredentials('alice', { password: 'alice-pw' }, { lifetimeMs: Duration.hour });
    clock.advance(2 * Duration.hour);
    const e = await rejection(client.getServiceTicket('HTTP/web.c.test'));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_NO_TGT);
  });
});

/** `w`'s transport, recording the realm of every request sent through it. */
function recording(w: FakeKdcWorld) {
  const sent: string[] = [];
  const inner = w.transport();
  const transport = {
    send: (realm: string, req: Uint8Array) => {
      sent.push(realm);
      return inner.send(realm, req);
    },
  };
  return { sent, transport };
}

describe('client referrals: KDC_ERR_WRONG_REALM (RFC 6806 section 7)', () => {
  function world() {
    const clock = new ManualClock(T0);
    const random = new SeededRandom('wrong-realm');
    const w = new FakeKdcWorld(clock, random)
      .addRealm({ name: 'FRONT.TEST', wrongRealm: { 'alice@corp.test': 'CORP.TEST' } })
      .addRealm({ name: 'CORP.TEST', users: { alice: { password: 'pw' } }, asRepTag: 26 });
    return { clock, random, w };
  }

  it('re-sends the AS-REQ to the realm named in crealm, and accepts the canonical name', async () => {
    const { clock, random, w } = world();
    const client = new KerberosClient({ realm: 'FRONT.TEST', transport: w.transport(), clock, random });
    const cred = await client.getInitialCredentials('alice@corp.test', { password: 'pw' });
    expect(cred.client).toEqual({
      realm: 'CORP.TEST',
      name: { nameType: NameType.NT_PRINCIPAL, nameString: ['alice'] },
    });
    expect(cred.server.name.nameString).toEqual(['krbtgt', 'CORP.TEST']);
    expect(w.requests.map((r) => `${r.realm} ${r.sname}`)).toEqual([
      'FRONT.TEST krbtgt/FRONT.TEST',
      'CORP.TEST krbtgt/CORP.TEST',
      'CORP.TEST krbtgt/CORP.TEST',
    ]);
    expect(client.principal?.realm).toBe('CORP.TEST');
  });

  it('follows a client referral only for a request that asked to canonicalize, as MIT and Heimdal do', async () => {
    const { clock, random, w } = world();
    const client = new KerberosClient({ realm: 'FRONT.TEST', transport: w.transport(), clock, random });
    // Unauthenticated, a KRB-ERROR could send the password's timestamp anywhere: not without canonicalize.
    const e = await rejection(
      client.getInitialCredentials('alice@corp.test', { password: 'pw' }, { canonicalize: false }),
    );
    expect(e.code).toBe(ErrorCode.KDC_ERR_WRONG_REALM);
    expect(w.requests.map((r) => r.realm)).toEqual(['FRONT.TEST']);
  });

  it('takes a WRONG_REALM with an empty crealm for the KDC\'s refusal: nothing is sent to realm ""', async () => {
    const clock = new ManualClock(T0);
    const random = new SeededRandom('wrong-empty');
    const w = new FakeKdcWorld(clock, random).addRealm({
      name: 'FRONT.TEST',
      wrongRealm: { 'alice@corp.test': '' },
    });
    const { sent, transport } = recording(w);
    const client = new KerberosClient({ realm: 'FRONT.TEST', transport, clock, random });
    const e = await rejection(client.getInitialCredentials('alice@corp.test', { password: 'pw' }));
    expect(e.code).toBe(ErrorCode.KDC_ERR_WRONG_REALM);
    expect(e.realm).toBe('FRONT.TEST');
    expect(sent).toEqual(['FRONT.TEST']);
  });

  it('S4U2Self takes a WRONG_REALM with an empty crealm for the refusal too: nothing is sent to realm ""', async () => {
    const clock = new ManualClock(T0);
    const random = new SeededRandom('s4u-wrong-empty');
    const w = new FakeKdcWorld(clock, random).addRealm({
      name: 'FRONT.TEST',
      users: { websvc: { password: 'pw' } },
      wrongRealm: { 'alice@corp.test': '' },
    });
    const { sent, transport } = recording(w);
    const client = new KerberosClient({ realm: 'FRONT.TEST', transport, clock, random });
    await client.getInitialCredentials('websvc', { password: 'pw' });
    sent.length = 0;
    const e = await rejection(client.getS4U2SelfTicket('alice@corp.test'));
    expect(e.code).toBe(ErrorCode.KDC_ERR_WRONG_REALM);
    expect(sent).toEqual(['FRONT.TEST']);
  });

  it('refuses a client referral loop', async () => {
    const clock = new ManualClock(T0);
    const random = new SeededRandom('wrong-loop');
    const w = new FakeKdcWorld(clock, random)
      .addRealm({ name: 'P.TEST', wrongRealm: { 'alice@corp.test': 'Q.TEST' } })
      .addRealm({ name: 'Q.TEST', wrongRealm: { 'alice@corp.test': 'P.TEST' } });
    const client = new KerberosClient({ realm: 'P.TEST', transport: w.transport(), clock, random });
    const e = await rejection(client.getInitialCredentials('alice@corp.test', { password: 'pw' }));
    expect(e.code).toBe(ErrorCode.KDC_ERR_WRONG_REALM);
    expect(e.message).toContain('P.TEST -> Q.TEST -> P.TEST');
  });
});

describe('cross-realm TGTs towards a known realm (MIT get_tgt)', () => {
  const isKrbtgtFor = (realm: string) => (n: PrincipalName) =>
    n.nameString[0] === 'krbtgt' && n.nameString[1] === realm;

  /**
   * A, B, C and D in a line: A.TEST's KDC refers krbtgt/C.TEST and krbtgt/D.TEST to
   * `aTo` (default B.TEST), B.TEST's to `bTo` (default: C.TEST, whose key it holds).
   */
  function line(opts: { aTo?: string; bTo?: string; maxHops?: number } = {}) {
    const clock = new ManualClock(T0);
    const random = new SeededRandom('get-tgt');
    const far = (n: PrincipalName) => isKrbtgtFor('C.TEST')(n) || isKrbtgtFor('D.TEST')(n);
    const world = new FakeKdcWorld(clock, random)
      .addRealm({
        name: 'A.TEST',
        users: { alice: { password: 'pw' } },
        route: (n) => (far(n) ? { kind: 'refer', to: opts.aTo ?? 'B.TEST' } : { kind: 'unknown' }),
      })
      .addRealm({
        name: 'B.TEST',
        route: (n) => (far(n) ? { kind: 'refer', to: opts.bTo ?? 'C.TEST' } : { kind: 'unknown' }),
      })
      .addRealm({ name: 'C.TEST', services: { 'HTTP/web.c.test': 'web-pw' } })
      .addRealm({ name: 'D.TEST', services: { 'HTTP/web.d.test': 'web-pw' } })
      .link('A.TEST', 'B.TEST')
      .link('B.TEST', 'A.TEST')
      .link('C.TEST', 'D.TEST');
    // B.TEST routes krbtgt/C.TEST elsewhere only when it holds no key for it.
    if (opts.bTo === undefined) world.link('B.TEST', 'C.TEST');
    const lines: string[] = [];
    const client = new KerberosClient({
      realm: 'A.TEST',
      transport: world.transport(),
      clock,
      random,
      log: (l) => lines.push(l),
      ...(opts.maxHops === undefined ? {} : { maxReferralHops: opts.maxHops }),
    });
    return { world, client, lines };
  }

  it('walks the intermediate TGTs the local KDC hands out: A -> B -> C', async () => {
    const { world, client, lines } = line();
    await client.getInitialCredentials('alice', { password: 'pw' });
    const cred = await client.getServiceTicket('HTTP/web.c.test@C.TEST');
    expect(cred.server.realm).toBe('C.TEST');
    expect(world.requests.filter((r) => r.kind === 'TGS').map((r) => `${r.realm} ${r.sname}`)).toEqual([
      'A.TEST krbtgt/C.TEST',
      'B.TEST krbtgt/C.TEST',
      'C.TEST HTTP/web.c.test',
    ]);
    expect(lines).toContain('path to C.TEST goes through B.TEST');
    expect(client.cache.tgtFor('C.TEST')?.server.realm).toBe('B.TEST');
  });

  it('refuses a path that comes back to a realm already passed: ReferralError loop', async () => {
    const { client } = line({ bTo: 'A.TEST' });
    await client.getInitialCredentials('alice', { password: 'pw' });
    const e = await rejection(client.getServiceTicket('HTTP/web.c.test@C.TEST'));
    expect(e).toBeInstanceOf(ReferralError);
    expect((e as ReferralError).kind).toBe('loop');
    expect((e as ReferralError).path).toEqual(['A.TEST', 'B.TEST', 'A.TEST']);
    expect(e.realm).toBe('B.TEST');
    expect(e.message).toContain('referral loop while looking for krbtgt/C.TEST');
  });

  it("refuses the asking realm's own TGT in answer: ReferralError loop", async () => {
    const { client } = line({ aTo: 'A.TEST' });
    await client.getInitialCredentials('alice', { password: 'pw' });
    const e = await rejection(client.getServiceTicket('HTTP/web.c.test@C.TEST'));
    expect((e as ReferralError).kind).toBe('loop');
    expect((e as ReferralError).path).toEqual(['A.TEST', 'A.TEST']);
  });

  it('bounds the path with maxReferralHops: ReferralError hops', async () => {
    const { client, world } = line({ maxHops: 1 });
    await client.getInitialCredentials('alice', { password: 'pw' });
    const e = await rejection(client.getServiceTicket('HTTP/web.d.test@D.TEST'));
    expect(e).toBeInstanceOf(ReferralError);
    expect((e as ReferralError).kind).toBe('hops');
    expect((e as ReferralError).path).toEqual(['A.TEST', 'B.TEST', 'C.TEST']);
    expect(e.message).toContain('raise maxReferralHops');
    expect(world.requests.filter((r) => r.kind === 'TGS')).toHaveLength(2);
  });

  it('a ticket for something else than the krbtgt asked for: KRB_AP_ERR_MODIFIED', async () => {
    const { client, world } = line();
    await client.getInitialCredentials('alice', { password: 'pw' });
    world.setMisbehave('A.TEST', 'renamed');
    const e = await rejection(client.getServiceTicket('HTTP/web.c.test@C.TEST'));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.realm).toBe('A.TEST');
    expect(e.message).toContain('asked for krbtgt/C.TEST, got HTTP/renamed.test');
    expect(client.cache.tgtFor('C.TEST')).toBeUndefined();
  });
});

describe('service tickets: replies the client does not accept', () => {
  function single(route?: (n: PrincipalName) => Route) {
    const clock = new ManualClock(T0);
    const random = new SeededRandom('chase');
    const world = new FakeKdcWorld(clock, random).addRealm({
      name: 'A.TEST',
      users: { alice: { password: 'pw' } },
      services: { 'HTTP/web.a.test': 'web-pw' },
      ...(route === undefined ? {} : { route }),
    });
    const client = new KerberosClient({ realm: 'A.TEST', transport: world.transport(), clock, random });
    return { world, client };
  }

  it('a referral to the asking realm itself (its own TGT): KRB_AP_ERR_MODIFIED', async () => {
    const { client } = single(() => ({ kind: 'refer', to: 'A.TEST' }));
    await client.getInitialCredentials('alice', { password: 'pw' });
    const e = await rejection(client.getServiceTicket('HTTP/elsewhere.test'));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.message).toContain("asked for HTTP/elsewhere.test, got this realm's own TGT");
  });

  it('another service name is never accepted: with canonicalize, asked once more without it (MIT step_referrals)', async () => {
    const strict = single();
    await strict.client.getInitialCredentials('alice', { password: 'pw' });
    strict.world.setMisbehave('A.TEST', 'renamed');
    const e = await rejection(strict.client.getServiceTicket('HTTP/web.a.test', { canonicalize: false }));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.message).toContain('asked for HTTP/web.a.test, got HTTP/renamed.test');
    expect(strict.world.requests.filter((r) => r.kind === 'TGS')).toHaveLength(1);
    expect(strict.client.cache.find('HTTP/renamed.test')).toBeUndefined();
    // With canonicalize: a second request without it, renamed again, refused all the same.
    const retried = single();
    await retried.client.getInitialCredentials('alice', { password: 'pw' });
    retried.world.setMisbehave('A.TEST', 'renamed');
    const e2 = await rejection(retried.client.getServiceTicket('HTTP/web.a.test'));
    expect(e2.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(retried.world.requests.filter((r) => r.kind === 'TGS')).toHaveLength(2);
    expect(retried.client.cache.find('HTTP/renamed.test')).toBeUndefined();
  });

  it("takes an alias's ticket under the name asked for: an MIT realm canonicalizes it, the second request does not", async () => {
    const clock = new ManualClock(T0);
    const realm = new Realm({ name: 'A.TEST', kind: 'mit', clock, random: new SeededRandom('alias') });
    realm.addUser('alice', { password: 'pw' });
    realm.addService('HTTP/web.a.test', { password: 'web-pw', aliases: ['HTTP/www.a.test'] });
    const kdc = new Kdc(realm);
    const sent: Uint8Array[] = [];
    const transport = new InProcessTransport().register('A.TEST', (r) => {
      sent.push(r);
      return kdc.handle(r);
    });
    const lines: string[] = [];
    const client = new KerberosClient({
      realm: 'A.TEST',
      transport,
      clock,
      random: new SeededRandom('c'),
      log: (l) => lines.push(l),
    });
    await client.getInitialCredentials('alice', { password: 'pw' });
    const cred = await client.getServiceTicket('HTTP/www.a.test');
    expect(cred.server.name.nameString).toEqual(['HTTP', 'www.a.test']);
    expect(lines).toContain(
      'A.TEST answered HTTP/www.a.test with HTTP/web.a.test: asking again without canonicalize',
    );
    expect(sent.filter((m) => m[0] === 0x6c)).toHaveLength(2); // two TGS-REQs ([APPLICATION 12])
  });
});

describe('the domainRealm fallback', () => {
  it('logs the mapping; a mapping to the local realm asks its KDC again, and the refusal stands', async () => {
    const clock = new ManualClock(T0);
    const random = new SeededRandom('fallback-local');
    const world = new FakeKdcWorld(clock, random)
      .addRealm({
        name: 'A.TEST',
        users: { alice: { password: 'pw' } },
        route: () => ({ kind: 'refer', to: 'B.TEST' }),
      })
      .addRealm({ name: 'B.TEST' })
      .link('A.TEST', 'B.TEST');
    const lines: string[] = [];
    const client = new KerberosClient({
      realm: 'A.TEST',
      transport: world.transport(),
      clock,
      random,
      domainRealm: { '.a.test': 'A.TEST' },
      log: (l) => lines.push(l),
    });
    await client.getInitialCredentials('alice', { password: 'pw' });
    const e = await rejection(client.getServiceTicket('HTTP/gone.a.test'));
    // B.TEST does not know the service; the mapping names A.TEST, which is asked once more.
    expect(e.code).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
    expect(e.realm).toBe('B.TEST');
    expect(lines).toContain('no referral for HTTP/gone.a.test; domainRealm maps gone.a.test to A.TEST');
    expect(world.requests.filter((r) => r.kind === 'TGS').map((r) => r.realm)).toEqual([
      'A.TEST',
      'B.TEST',
      'A.TEST',
      'B.TEST',
    ]);
  });
});

describe('client referrals: the bound', () => {
  it('more client referrals than maxReferralHops: KDC_ERR_WRONG_REALM, each referral logged', async () => {
    const clock = new ManualClock(T0);
    const random = new SeededRandom('wrong-hops');
    const w = new FakeKdcWorld(clock, random)
      .addRealm({ name: 'P.TEST', wrongRealm: { 'alice@corp.test': 'Q.TEST' } })
      .addRealm({ name: 'Q.TEST', wrongRealm: { 'alice@corp.test': 'R.TEST' } })
      .addRealm({ name: 'R.TEST', users: { alice: { password: 'pw' } } });
    const lines: string[] = [];
    const client = new KerberosClient({
      realm: 'P.TEST',
      transport: w.transport(),
      clock,
      random,
      maxReferralHops: 1,
      log: (l) => lines.push(l),
    });
    const e = await rejection(client.getInitialCredentials('alice@corp.test', { password: 'pw' }));
    expect(e.code).toBe(ErrorCode.KDC_ERR_WRONG_REALM);
    expect(e.realm).toBe('Q.TEST');
    expect(e.message).toContain(
      'more than 1 client referrals for alice\\@corp.test@P.TEST (P.TEST -> Q.TEST)',
    );
    expect(lines).toContain('client referral: alice\\@corp.test@P.TEST belongs to Q.TEST');
    expect(w.requests.map((r) => r.realm)).toEqual(['P.TEST', 'Q.TEST']);
  });
});
