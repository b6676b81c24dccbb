import { type EncKdcRepPart, encodeTicket, type KdcRep, NameType, type Ticket } from '@krbsim/asn1';
import {
  type Credential,
  CredentialCache,
  credentialFromCcache,
  credentialFromReply,
  credentialToCcache,
  DEFAULT_MAX_CACHE_ENTRIES,
  fromCcache,
  KerberosClient,
  kdcRealmFor,
  toCcache,
} from '@krbsim/client';
import { Duration, ManualClock, SeededRandom } from '@krbsim/core';
import { parseCcache, serializeCcache } from '@krbsim/files';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeKdcWorld } from './fake-kdc';

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);
const name = (s: string) => {
  const parts = s.split('/');
  return { nameType: parts.length > 1 ? NameType.NT_SRV_INST : NameType.NT_PRINCIPAL, nameString: parts };
};

function cred(client: string, crealm: string, server: string, srealm: string, endtime: number): Credential {
  const ticket: Ticket = {
    tktVno: 5,
    realm: srealm,
    sname: name(server),
    encPart: { etype: 18, kvno: 1, cipher: new Uint8Array(40) },
  };
  return {
    client: { realm: crealm, name: name(client) },
    server: { realm: srealm, name: name(server) },
    sessionKey: { etype: 18, bytes: new Uint8Array(32).fill(1) },
    ticket,
    ticketDer: encodeTicket(ticket),
    flags: 0x40e10000,
    authtime: T0,
    starttime: T0,
    endtime,
    renewTill: endtime + Duration.day,
  };
}

describe('CredentialCache', () => {
  it('finds unexpired tickets by server name and realm, newest entry winning', () => {
    const clock = new ManualClock(T0);
    const cache = new CredentialCache({ clock });
    const a = cred('alice', 'A', 'HTTP/web', 'A', T0 + Duration.hour);
    cache.add(a);
    expect(cache.defaultPrincipal).toEqual(a.client);
    expect(cache.find('HTTP/web')).toBe(a);
    expect(cache.find('HTTP/web@A')).toBe(a);
    expect(cache.find('HTTP/web', 'B')).toBeUndefined();
    expect(cache.find(name('HTTP/web'), 'A', a.client)).toBe(a);
    expect(cache.find('HTTP/web', undefined, { realm: 'A', name: name('bob') })).toBeUndefined();
    const b = cred('alice', 'A', 'HTTP/web', 'A', T0 + 2 * Duration.hour);
    cache.add(b);
    expect(cache.size).toBe(1);
    expect(cache.find('HTTP/web')).toBe(b);
    clock.advance(3 * Duration.hour);
    expect(cache.find('HTTP/web')).toBeUndefined();
    expect(cache.all()).toHaveLength(1);
    expect(cache.prune()).toBe(1);
    expect(cache.size).toBe(0);
  });

  it('drops expired entries as entries are added, without prune()', () => {
    const clock = new ManualClock(T0);
    const cache = new CredentialCache({ clock });
    cache.add(cred('alice', 'A', 'HTTP/a', 'A', T0 + Duration.hour));
    cache.add(cred('alice', 'A', 'HTTP/b', 'A', T0 + 3 * Duration.hour));
    clock.advance(2 * Duration.hour);
    cache.add(cred('alice', 'A', 'HTTP/c', 'A', T0 + 4 * Duration.hour));
    expect(cache.all().map((c) => c.server.name.nameString[1])).toEqual(['b', 'c']);
  });

  it('looks for expired entries only now and then: a few entries visited per add, amortised', () => {
    // One entry expires per add, the worst case for a scan on every add; each scan is a prune.
    const clock = new ManualClock(T0);
    const cache = new CredentialCache({ clock });
    let scans = 0;
    const prune = cache.prune.bind(cache);
    cache.prune = (at?: number) => {
      scans++;
      return prune(at);
    };
    const n = 400;
    for (let i = 0; i < n; i++)
      cache.add(cred('alice', 'A', `HTTP/s${i}`, 'A', T0 + Duration.hour + i * 1000));
    clock.advance(Duration.hour);
    scans = 0;
    for (let i = 0; i < n; i++) {
      clock.advance(1000);
      cache.add(cred('alice', 'A', `HTTP/t${i}`, 'A', T0 + 5 * Duration.hour));
    }
    expect(scans).toBeGreaterThan(0);
    expect(scans).toBeLessThanOrEqual(8);
    // What the scans left: no more than a quarter of the cache in expired entries.
    expect(cache.size).toBeLessThanOrEqual(n + n / 4);
    expect(cache.prune()).toBeLessThanOrEqual(n / 4);
  });

  it(`holds at most maxEntries (default ${DEFAULT_MAX_CACHE_ENTRIES}), dropping the oldest and TGTs last`, () => {
    const clock = new ManualClock(T0);
    const later = T0 + Duration.hour;
    const byDefault = new CredentialCache({ clock });
    for (let i = 0; i <= DEFAULT_MAX_CACHE_ENTRIES; i++)
      byDefault.add(cred('alice', 'A', `HTTP/s${i}`, 'A', later));
    expect(byDefault.size).toBe(DEFAULT_MAX_CACHE_ENTRIES);
    expect(byDefault.find('HTTP/s0')).toBeUndefined();
    expect(byDefault.find(`HTTP/s${DEFAULT_MAX_CACHE_ENTRIES}`)).toBeDefined();

    const cache = new CredentialCache({ clock, maxEntries: 3 });
    const tgt = cred('alice', 'A', 'krbtgt/A', 'A', later);
    cache.add(tgt);
    for (const s of ['HTTP/a', 'HTTP/b', 'HTTP/c']) cache.add(cred('alice', 'A', s, 'A', later));
    expect(cache.all().map((c) => c.server.name.nameString.join('/'))).toEqual([
      'krbtgt/A',
      'HTTP/b',
      'HTTP/c',
    ]);
    // Re-adding moves an entry to the newest end: HTTP/c is then the oldest to go.
    cache.add(cred('alice', 'A', 'HTTP/b', 'A', later + 1000));
    cache.add(cred('alice', 'A', 'HTTP/d', 'A', later));
    expect(cache.all().map((c) => c.server.name.nameString.join('/'))).toEqual([
      'krbtgt/A',
      'HTTP/b',
      'HTTP/d',
    ]);
    expect(cache.tgtFor('A')).toBe(tgt);

    // Nothing but TGTs besides the entry added: the oldest TGT goes, never the entry added.
    const tgts = new CredentialCache({ clock, maxEntries: 2 });
    tgts.add(tgt);
    tgts.add(cred('alice', 'A', 'krbtgt/B', 'A', later));
    tgts.add(cred('alice', 'A', 'HTTP/a', 'A', later));
    expect(tgts.all().map((c) => c.server.name.nameString.join('/'))).toEqual(['krbtgt/B', 'HTTP/a']);

    const unbounded = new CredentialCache({ clock, maxEntries: Number.POSITIVE_INFINITY });
    for (let i = 0; i <= DEFAULT_MAX_CACHE_ENTRIES; i++)
      unbounded.add(cred('alice', 'A', `HTTP/s${i}`, 'A', later));
    expect(unbounded.size).toBe(DEFAULT_MAX_CACHE_ENTRIES + 1);
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => new CredentialCache({ maxEntries: bad }), `${bad}`).toThrow(RangeError);
    }
  });

  it('past maxEntries drops expired entries first, then the oldest: add and from keep no expired TGT over a valid ticket', () => {
    const clock = new ManualClock(T0);
    const names = (c: CredentialCache) => c.all().map((e) => e.server.name.nameString.join('/'));
    const expiredTgt = cred('alice', 'A', 'krbtgt/A', 'A', T0 - Duration.hour);
    const a = cred('alice', 'A', 'HTTP/a', 'A', T0 + Duration.hour);
    const b = cred('alice', 'A', 'HTTP/b', 'A', T0 + Duration.hour);
    expect(names(CredentialCache.from([expiredTgt, a, b], { clock, maxEntries: 2 }))).toEqual([
      'HTTP/a',
      'HTTP/b',
    ]);
    // An expired entry goes even when it is the one just stored, rather than a valid one.
    const expired = cred('alice', 'A', 'HTTP/old', 'A', T0 - Duration.hour);
    expect(names(CredentialCache.from([a, expired], { clock, maxEntries: 1 }))).toEqual(['HTTP/a']);
    // A later credential for a pair replaces the earlier one before room is made: the valid TGT stays.
    const tgt = cred('alice', 'A', 'krbtgt/A', 'A', T0 + Duration.hour);
    const replaced = CredentialCache.from([tgt, a, { ...a, endtime: T0 - 1 }], { clock, maxEntries: 1 });
    expect(names(replaced)).toEqual(['krbtgt/A']);
    // The default principal is still the first credential's client.
    const bob = cred('bob', 'A', 'HTTP/a', 'A', T0 + Duration.hour);
    expect(CredentialCache.from([a, bob, { ...a }], { clock }).defaultPrincipal).toEqual(a.client);
    // Within the bound every credential is kept, expired ones too; `at` judges expiry instead of the clock.
    expect(CredentialCache.from([expiredTgt, a], { clock, maxEntries: 2 }).size).toBe(2);
    expect(
      names(CredentialCache.from([expiredTgt, a, b], { clock, maxEntries: 2, at: T0 - 2 * Duration.hour })),
    ).toEqual(['krbtgt/A', 'HTTP/b']);

    // add: the amortised scan for expired entries need not have run when the bound is passed.
    const cache = new CredentialCache({ clock, maxEntries: 8 });
    cache.add(cred('alice', 'A', 'krbtgt/A', 'A', T0 + Duration.hour));
    for (let i = 0; i < 7; i++) cache.add(cred('alice', 'A', `HTTP/s${i}`, 'A', T0 + 5 * Duration.hour));
    // A scan just now (nothing expired): the next adds are too few for another.
    expect(cache.prune()).toBe(0);
    clock.advance(2 * Duration.hour);
    cache.add(cred('alice', 'A', 'HTTP/new', 'A', T0 + 5 * Duration.hour));
    expect(names(cache)).toEqual([...Array.from({ length: 7 }, (_, i) => `HTTP/s${i}`), 'HTTP/new']);
    expect(cache.tgtFor('A')).toBeUndefined();
  });

  it('past maxEntries, no expired entry stays while an unexpired one goes, and the bound holds (property)', () => {
    const entry = fc.record({
      server: fc.constantFrom('krbtgt/A', 'krbtgt/B', 'HTTP/a', 'HTTP/b', 'HTTP/c', 'HTTP/d', 'HTTP/e'),
      // Hours from T0: some expired from the start, some later, some never in the run.
      end: fc.integer({ min: -2, max: 8 }),
    });
    const toCred = (e: { server: string; end: number }) =>
      cred('alice', 'A', e.server, 'A', T0 + e.end * Duration.hour);
    const maxEntries = fc.integer({ min: 1, max: 6 });
    // from: the last credential of each name wins; within the bound all are kept, expired ones too.
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 14 }),
        maxEntries,
        fc.integer({ min: -1, max: 4 }),
        (es, max, h) => {
          const at = T0 + h * Duration.hour;
          const creds = es.map(toCred);
          const cache = CredentialCache.from(creds, { clock: new ManualClock(T0), maxEntries: max, at });
          const latest = [...new Map(creds.map((c) => [c.server.name.nameString.join('/'), c])).values()];
          const kept = cache.all();
          expect(kept.length).toBeLessThanOrEqual(max);
          for (const c of kept) expect(latest).toContain(c);
          if (latest.length <= max) expect(kept.length).toBe(latest.length);
          const validDropped = latest.some((c) => c.endtime > at && !kept.includes(c));
          if (validDropped) {
            expect(kept.every((c) => c.endtime > at)).toBe(true);
            expect(kept.length).toBe(max);
          }
        },
      ),
    );
    // add: the same of what each step dropped (the time moving on, now and then a prune() resetting
    // the amortised scan); an unexpired entry added stays.
    const step = fc.record({
      server: fc.integer({ min: 0, max: 11 }).map((i) => (i < 2 ? `krbtgt/${'AB'[i]}` : `HTTP/s${i}`)),
      // Half-hours from the step's time; minutes the clock moves on before the step.
      end: fc.integer({ min: -1, max: 12 }),
      advance: fc.integer({ min: 0, max: 30 }),
      prune: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.integer({ min: 1, max: 10 }), (steps, max) => {
        const clock = new ManualClock(T0);
        const cache = new CredentialCache({ clock, maxEntries: max });
        for (const { server, end, advance, prune } of steps) {
          if (prune) cache.prune();
          clock.advance(advance * Duration.minute);
          const at = clock.now();
          const added = cred('alice', 'A', server, 'A', at + end * 30 * Duration.minute);
          const before = cache.all().filter((c) => c.server.name.nameString.join('/') !== server);
          cache.add(added, at);
          const kept = cache.all();
          expect(kept.length).toBeLessThanOrEqual(max);
          if (added.endtime > at) expect(kept).toContain(added);
          if (before.some((c) => c.endtime > at && !kept.includes(c))) {
            expect(kept.every((c) => c.endtime > at)).toBe(true);
            expect(kept.length).toBe(max);
          }
        }
      }),
      // An add past the bound soon after a scan, an entry having expired since, comes up in under one
      // run in a hundred: hence more runs.
      { numRuns: 300 },
    );
  });

  it('tgtFor prefers the realm’s own TGT, then a cross-realm one, and filters by client realm', () => {
    const cache = new CredentialCache({ clock: new ManualClock(T0) });
    const cross = cred('alice', 'A', 'krbtgt/B', 'A', T0 + Duration.hour);
    cache.add(cross);
    expect(cache.tgtFor('B')).toBe(cross);
    expect(cache.tgtFor('B', 'A')).toBe(cross);
    expect(cache.tgtFor('B', 'C')).toBeUndefined();
    const local = cred('bob', 'B', 'krbtgt/B', 'B', T0 + Duration.hour);
    cache.add(local);
    expect(cache.tgtFor('B')).toBe(local);
    expect(cache.remove(local)).toBe(true);
    expect(cache.tgtFor('B')).toBe(cross);
    cache.clear();
    expect(cache.defaultPrincipal).toBeUndefined();
  });

  it('entries() yields every entry, expired ones too; kdcRealmFor names the KDC that takes each ticket', () => {
    const clock = new ManualClock(T0);
    const cache = new CredentialCache({ clock });
    const cross = cred('alice', 'A', 'krbtgt/B', 'A', T0 + Duration.hour);
    const service = cred('alice', 'A', 'HTTP/web', 'C', T0 + 2 * Duration.hour);
    cache.add(cross);
    cache.add(service);
    clock.advance(90 * Duration.minute);
    expect([...cache.entries()]).toEqual([cross, service]);
    // krbtgt/B@A goes to B's KDC; a service ticket goes back to the realm that issued it (renewal).
    expect(kdcRealmFor(cross)).toBe('B');
    expect(kdcRealmFor(service)).toBe('C');
  });

  it('round-trips through an MIT ccache (via @krbsim/files) and a client can use it', async () => {
    const clock = new ManualClock(T0);
    const random = new SeededRandom('ccache');
    const world = new FakeKdcWorld(clock, random).addRealm({
      name: 'A.TEST',
      users: { alice: { password: 'pw' } },
      services: { 'HTTP/web.a.test': 'web' },
    });
    const first = new KerberosClient({ realm: 'A.TEST', transport: world.transport(), clock, random });
    const tgt = await first.getInitialCredentials('alice', { password: 'pw' }, { renewable: true });
    const bytes = serializeCcache(toCcache(first.cache));
    const cache = fromCcache(parseCcache(bytes), { clock });
    expect(cache.defaultPrincipal).toEqual(tgt.client);
    const back = cache.tgtFor('A.TEST')!;
    expect(Buffer.from(back.ticketDer).equals(Buffer.from(tgt.ticketDer))).toBe(true);
    expect(back.renewTill).toBe(tgt.renewTill);
    expect(back.flags).toBe(tgt.flags);
    // A second client starts from the file's credentials: no AS exchange needed.
    const second = new KerberosClient({
      realm: 'A.TEST',
      transport: world.transport(),
      clock,
      random,
      cache,
    });
    const before = world.requests.length;
    const svc = await second.getServiceTicket('HTTP/web.a.test');
    expect(svc.server.realm).toBe('A.TEST');
    expect(world.requests.slice(before).map((r) => r.kind)).toEqual(['TGS']);
  });

  it('never gives a TGT asked for with authorization data as the TGT for a realm: it would carry the data on', () => {
    const cache = new CredentialCache({ clock: new ManualClock(T0) });
    const withAd = {
      ...cred('alice', 'A', 'krbtgt/B', 'A', T0 + 2 * Duration.hour),
      requestedAuthorizationData: [{ adType: 142, adData: Uint8Array.of(1) }],
    };
    cache.add(withAd);
    expect(cache.tgtFor('B')).toBeUndefined();
    const plain = cred('alice', 'A', 'krbtgt/B', 'A', T0 + Duration.hour);
    cache.add(plain);
    expect(cache.tgtFor('B')).toBe(plain);
  });

  it('keeps tickets asked for with different authorization data apart, and find matches it when told to', () => {
    const cache = new CredentialCache({ clock: new ManualClock(T0) });
    const local = [{ adType: 142, adData: Uint8Array.of(1, 2, 3) }];
    const plain = cred('alice', 'A', 'HTTP/web', 'A', T0 + 2 * Duration.hour);
    const withAd = {
      ...cred('alice', 'A', 'HTTP/web', 'A', T0 + Duration.hour),
      requestedAuthorizationData: local,
    };
    cache.add(plain);
    cache.add(withAd);
    expect(cache.size).toBe(2);
    // Without a match, any ticket for the server (the one lasting longest); with one, that data or none.
    expect(cache.find('HTTP/web')).toBe(plain);
    expect(cache.find('HTTP/web', undefined, undefined, {})).toBe(plain);
    expect(cache.find('HTTP/web', undefined, undefined, { authorizationData: local })).toBe(withAd);
    // Equal data, another array: the bytes and types decide, in order.
    const same = [{ adType: 142, adData: Uint8Array.of(1, 2, 3) }];
    expect(cache.find('HTTP/web', undefined, undefined, { authorizationData: same })).toBe(withAd);
    for (const other of [
      [{ adType: 142, adData: Uint8Array.of(1, 2, 4) }],
      [{ adType: 1, adData: Uint8Array.of(1, 2, 3) }],
      [...local, ...local],
    ]) {
      expect(cache.find('HTTP/web', undefined, undefined, { authorizationData: other })).toBeUndefined();
    }
    // An empty list is none, as MIT's matching of authdata takes it.
    expect(cache.find('HTTP/web', undefined, undefined, { authorizationData: [] })).toBe(plain);
    // Replacing and removing go by the data too.
    const newer = { ...withAd, endtime: T0 + 3 * Duration.hour };
    cache.add(newer);
    expect(cache.size).toBe(2);
    expect(cache.remove(plain)).toBe(true);
    expect(cache.find('HTTP/web', undefined, undefined, {})).toBeUndefined();
    expect(cache.find('HTTP/web')).toBe(newer);
  });

  it('find with a match returns the entry asked for with equal authorization data, and only it (property)', () => {
    const entry = fc.record({
      adType: fc.integer({ min: -5, max: 200 }),
      adData: fc.uint8Array({ maxLength: 6 }),
    });
    const data = fc.array(entry, { maxLength: 3 });
    fc.assert(
      fc.property(fc.array(data, { minLength: 1, maxLength: 6 }), data, (stored, asked) => {
        const cache = new CredentialCache({ clock: new ManualClock(T0) });
        const creds = stored.map((ad, i) => ({
          ...cred('alice', 'A', 'HTTP/web', 'A', T0 + (i + 1) * Duration.hour),
          ...(ad.length === 0 ? {} : { requestedAuthorizationData: ad }),
        }));
        for (const c of creds) cache.add(c);
        const same = (a: typeof asked, b: typeof asked) =>
          a.length === b.length &&
          a.every(
            (e, i) => e.adType === b[i]!.adType && Buffer.from(e.adData).equals(Buffer.from(b[i]!.adData)),
          );
        // The newest of those asked with equal data (a later add replaced an earlier one with the same).
        const want = creds.filter((_, i) => same(stored[i]!, asked)).at(-1);
        expect(cache.find('HTTP/web', undefined, undefined, { authorizationData: asked })).toBe(want);
        expect(cache.find('HTTP/web')).toBe(creds.at(-1));
      }),
    );
  });

  it("carries a credential's requested authorization data through an MIT ccache's authdata", () => {
    const cache = new CredentialCache({ clock: new ManualClock(T0) });
    const local = [{ adType: 1, adData: Uint8Array.of(0x30, 0x00) }];
    cache.add(cred('alice', 'A', 'krbtgt/A', 'A', T0 + Duration.hour));
    cache.add({
      ...cred('alice', 'A', 'HTTP/web', 'A', T0 + Duration.hour),
      requestedAuthorizationData: local,
    });
    const file = parseCcache(serializeCcache(toCcache(cache)));
    expect(file.credentials.map((c) => c.authdata)).toEqual([[], local]);
    const back = fromCcache(file, { clock: new ManualClock(T0) });
    expect(
      back.find('HTTP/web', undefined, undefined, { authorizationData: local })?.requestedAuthorizationData,
    ).toEqual(local);
    expect(back.tgtFor('A')?.requestedAuthorizationData).toBeUndefined();
  });

  it('fromCcache leaves out user-to-user entries (is_skey, a second ticket): they are never cached', () => {
    const tgt = cred('alice', 'A', 'krbtgt/A', 'A', T0 + Duration.hour);
    const bobTgt = cred('bob', 'A', 'krbtgt/A', 'A', T0 + Duration.hour);
    // What MIT's krb5_get_credentials with KRB5_GC_USER_USER stores: is_skey and bob's TGT.
    const u2u = {
      ...credentialToCcache(cred('alice', 'A', 'bob', 'A', T0 + Duration.hour)),
      isSkey: true,
      secondTicket: bobTgt.ticketDer,
    };
    const file = parseCcache(
      serializeCcache({ defaultPrincipal: tgt.client, credentials: [credentialToCcache(tgt), u2u] }),
    );
    expect(file.credentials.map((c) => c.isSkey)).toEqual([false, true]);
    const cache = fromCcache(file, { clock: new ManualClock(T0) });
    expect(cache.size).toBe(1);
    expect(cache.find('bob')).toBeUndefined();
    expect(cache.tgtFor('A')?.ticketDer).toEqual(tgt.ticketDer);
    // One entry on its own still converts, for an AP-REQ built with { userToUser: true }.
    expect(credentialFromCcache(u2u).server.name.nameString).toEqual(['bob']);
  });

  it('toCcache refuses an empty cache', () => {
    expect(() => toCcache(new CredentialCache())).toThrow(RangeError);
  });
});

describe('credentialFromReply', () => {
  /** A fresh reply and EncKDCRepPart for each test, which may change them. */
  function reply(): { ticket: Ticket; rep: KdcRep; enc: EncKdcRepPart } {
    const ticket: Ticket = {
      tktVno: 5,
      realm: 'A',
      sname: name('krbtgt/A'),
      encPart: { etype: 18, kvno: 2, cipher: new Uint8Array(60).fill(7) },
    };
    const rep = { crealm: 'A', cname: name('alice'), ticket } as unknown as KdcRep;
    const enc = {
      key: { keytype: 18, keyvalue: new Uint8Array(32).fill(9) },
      srealm: 'A',
      sname: name('krbtgt/A'),
      flags: 0x40e10000,
      authtime: T0,
      endtime: T0 + Duration.hour,
      lastReq: [],
    } as unknown as EncKdcRepPart;
    return { ticket, rep, enc };
  }

  it('owns one buffer: the ticket encoding, then the session key; the cipher a view of its tail', () => {
    const { ticket, rep, enc } = reply();
    const c = credentialFromReply(rep, enc, encodeTicket(ticket));
    expect(c.ticketDer).toEqual(encodeTicket(ticket));
    expect(c.sessionKey).toEqual({ etype: 18, bytes: new Uint8Array(32).fill(9) });
    expect(c.sessionKey.bytes.buffer).toBe(c.ticketDer.buffer);
    expect(c.ticket.encPart.cipher.buffer).toBe(c.ticketDer.buffer);
    expect(c.ticket).toEqual(ticket);
    // Copies, not views: changing the reply afterwards changes nothing in the credential.
    enc.key.keyvalue.fill(0);
    ticket.encPart.cipher.fill(0);
    expect(c.sessionKey.bytes).toEqual(new Uint8Array(32).fill(9));
    expect(c.ticket.encPart.cipher).toEqual(new Uint8Array(60).fill(7));
  });

  it('keeps the ticket as decoded when the DER given is not its encoding', () => {
    const { ticket, rep, enc } = reply();
    const other = new Uint8Array(80).fill(1);
    const c = credentialFromReply(rep, enc, other);
    expect(c.ticketDer).toEqual(other);
    expect(c.ticket).toBe(ticket);
    const short = credentialFromReply(rep, enc, new Uint8Array(10));
    expect(short.ticket).toBe(ticket);
  });
});
