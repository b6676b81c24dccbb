/**
 * `kdcTimeSync` (MIT's `kdc_timesync`): a client whose clock is an hour off
 * logs in on the KDC's time, keeps the offset for its later requests and
 * authenticators, and records it in the ccache header; without it, the same
 * client is told its clock is skewed. Against krbsim's KDC, in process.
 */

import { NameType } from '@krbsim/asn1';
import { CredentialCache, fromCcache, KerberosClient, kdcTimeOffsetOf, toCcache } from '@krbsim/client';
import { Duration, ErrorCode, KerberosError, ManualClock, SeededRandom } from '@krbsim/core';
import { Kdc, Realm } from '@krbsim/kdc';
import { KerberosService } from '@krbsim/service';
import { InProcessTransport } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';

const REALM = 'CONTOSO.COM';
const WEB = 'HTTP/web.contoso.com';
const KDC_TIME = Date.UTC(2026, 0, 5, 8, 0, 0, 250);

function setup(skewMs: number) {
  const kdcClock = new ManualClock(KDC_TIME);
  const realm = new Realm({ name: REALM, clock: kdcClock, random: new SeededRandom('kdc') });
  realm.addUser('alice', { password: 'correct horse' });
  realm.addService(WEB, { password: 'web-Passw0rd' });
  const kdc = new Kdc(realm);
  const transport = new InProcessTransport().register(REALM, (req) => kdc.handle(req));
  const clientClock = new ManualClock(KDC_TIME + skewMs);
  const client = (sync: { kdcTimeSync?: boolean; kdcTimeOffsetMs?: number } = {}) =>
    new KerberosClient({
      realm: REALM,
      transport,
      clock: clientClock,
      random: new SeededRandom('c'),
      ...sync,
    });
  const service = () =>
    new KerberosService({
      keytab: realm.keysFor(WEB).map((key) => ({
        principal: {
          realm: REALM,
          name: { nameType: NameType.NT_SRV_INST, nameString: ['HTTP', 'web.contoso.com'] },
        },
        kvno: 1,
        key,
      })),
      clock: kdcClock,
    });
  return { kdcClock, clientClock, client, service, transport };
}

async function rejection(p: Promise<unknown>): Promise<KerberosError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(KerberosError);
  return e as KerberosError;
}

describe('kdcTimeSync', () => {
  it('off (the default): a client an hour behind is refused its timestamp, KRB_AP_ERR_SKEW', async () => {
    const { client } = setup(-Duration.hour);
    const c = client();
    const e = await rejection(c.getInitialCredentials('alice', { password: 'correct horse' }));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_SKEW);
    expect(c.kdcTimeOffsetMs).toBeUndefined();
  });

  for (const skewMs of [-Duration.hour, 2 * Duration.hour + 1234]) {
    it(`on: a client ${skewMs / 1000}s off logs in on the KDC's time and keeps it for TGS and AP`, async () => {
      const { client, service, kdcClock, clientClock } = setup(skewMs);
      const c = client({ kdcTimeSync: true });
      expect(c.kdcTimeOffsetMs).toBe(0);
      const tgt = await c.getInitialCredentials('alice', { password: 'correct horse' });
      // The offset is the KDC's authtime (whole seconds) less the client's clock: within a second.
      expect(Math.abs(c.kdcTimeOffsetMs! + skewMs)).toBeLessThan(1000);
      expect(tgt.authtime).toBe(Math.floor(KDC_TIME / 1000) * 1000);
      // Later: the TGS-REQ's authenticator and the AP-REQ's carry the KDC's time.
      kdcClock.advance(10 * Duration.minute);
      clientClock.advance(10 * Duration.minute);
      const st = await c.getServiceTicket(WEB);
      const accepted = service().accept(c.buildApReq(st, { gss: 'spnego' }).token);
      expect(accepted.clientPrincipal).toBe('alice@CONTOSO.COM');
      // The cache judges expiry on the KDC's time too: the TGT is still there.
      expect(c.cache.tgtFor(REALM)).toBeDefined();
      // MIT's kinit records the offset in the ccache header (tag 1); so does toCcache when given it.
      const cc = toCcache(c.cache, { kdcTimeOffsetMs: c.kdcTimeOffsetMs! });
      expect(kdcTimeOffsetOf(cc)).toBeCloseTo(c.kdcTimeOffsetMs!, 3);
      expect(Math.sign(cc.timeOffset!.seconds) * Math.sign(cc.timeOffset!.microseconds)).not.toBe(-1);
    });
  }

  it('a client started from the offset a ccache recorded is on time without an AS exchange', async () => {
    const { client, service, transport, kdcClock } = setup(-Duration.hour);
    const first = client({ kdcTimeSync: true });
    await first.getInitialCredentials('alice', { password: 'correct horse' });
    const cc = toCcache(first.cache, { kdcTimeOffsetMs: first.kdcTimeOffsetMs! });
    // Another process, its clock as far off: the credentials and the offset from the ccache.
    const next = (sync: { kdcTimeSync?: boolean; kdcTimeOffsetMs?: number }) =>
      new KerberosClient({
        realm: REALM,
        transport,
        clock: new ManualClock(KDC_TIME - Duration.hour),
        random: new SeededRandom('next'),
        cache: fromCcache(cc, { clock: kdcClock }),
        ...sync,
      });
    const synced = next({ kdcTimeSync: true, kdcTimeOffsetMs: kdcTimeOffsetOf(cc)! });
    const st = await synced.getServiceTicket(WEB);
    expect(service().accept(synced.buildApReq(st, { gss: 'spnego' }).token).clientPrincipal).toBe(
      'alice@CONTOSO.COM',
    );
    // Without the offset, the same process's TGS-REQ authenticator is an hour late.
    const e = await rejection(next({}).getServiceTicket(WEB));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_SKEW);
  });

  it("a given cache judges expiry by the client's synced clock, not by the clock it was made with", async () => {
    // The local clock is 12 hours fast: past the TGT's end (10 hours) on the local clock alone.
    const { client, service, transport, clientClock } = setup(12 * Duration.hour);
    const first = client({ kdcTimeSync: true });
    const tgt = await first.getInitialCredentials('alice', { password: 'correct horse' });
    expect(tgt.endtime).toBeLessThan(clientClock.now());
    const cc = toCcache(first.cache, { kdcTimeOffsetMs: first.kdcTimeOffsetMs! });
    // Another process on the same fast clock, its cache made with that clock, its offset from the
    // header, as MIT loads it into the context: the ccache's TGT is matched on the KDC's time.
    const next = new KerberosClient({
      realm: REALM,
      transport,
      clock: clientClock,
      random: new SeededRandom('next'),
      kdcTimeSync: true,
      kdcTimeOffsetMs: kdcTimeOffsetOf(cc)!,
      cache: fromCcache(cc, { clock: clientClock }),
    });
    // The cache itself still judges by its own (fast) clock: the client gives its time on each call.
    expect(next.cache.tgtFor(REALM)).toBeUndefined();
    const st = await next.getServiceTicket(WEB);
    expect(service().accept(next.buildApReq(st, { gss: 'spnego' }).token).clientPrincipal).toBe(
      'alice@CONTOSO.COM',
    );
  });

  it('a cache shared by clients on different clocks serves each by its own, and is not changed', async () => {
    // A is synced to the KDC (its local clock 11 hours fast); B, made later on the same cache, is not.
    const { transport, clientClock, kdcClock } = setup(11 * Duration.hour);
    const cache = new CredentialCache({ clock: kdcClock });
    const a = new KerberosClient({
      realm: REALM,
      transport,
      clock: clientClock,
      random: new SeededRandom('a'),
      kdcTimeSync: true,
      cache,
    });
    await a.getInitialCredentials('alice', { password: 'correct horse' });
    const b = new KerberosClient({
      realm: REALM,
      transport,
      clock: clientClock,
      random: new SeededRandom('b'),
      cache,
    });
    expect(b.cache).toBe(cache);
    // B's time is past the TGT's end; A's, the KDC's, is not: A still gets its service ticket.
    expect(cache.tgtFor(REALM, undefined, clientClock.now())).toBeUndefined();
    expect(cache.tgtFor(REALM)).toBeDefined();
    expect((await a.getServiceTicket(WEB)).server.name.nameString).toEqual(['HTTP', 'web.contoso.com']);
  });

  it('takes a cache made by another copy of the package (its ESM and CJS builds side by side)', async () => {
    // A second instance of the module, as a second copy of the package loads it.
    const specifier = '../src/credential-cache.ts?copy=2';
    const other = (await import(specifier)) as typeof import('../src/credential-cache');
    expect(other.CredentialCache).not.toBe(CredentialCache);
    const { transport } = setup(0);
    const cache = new other.CredentialCache({ clock: new ManualClock(KDC_TIME) });
    const c = new KerberosClient({
      realm: REALM,
      transport,
      clock: new ManualClock(KDC_TIME),
      random: new SeededRandom('copy'),
      cache,
    });
    await c.getInitialCredentials('alice', { password: 'correct horse' });
    expect(cache.tgtFor(REALM)).toBeDefined();
  });

  it("fromCcache without a clock (the README's form) serves a client on an injected clock", async () => {
    // KDC_TIME is long past on the system clock, the cache's own default: every entry has ended there.
    const { client, service, transport } = setup(0);
    const first = client();
    await first.getInitialCredentials('alice', { password: 'correct horse' });
    const cc = toCcache(first.cache);
    const next = new KerberosClient({
      realm: REALM,
      transport,
      clock: new ManualClock(KDC_TIME + Duration.minute),
      random: new SeededRandom('next'),
      cache: fromCcache(cc),
    });
    expect(next.cache.size).toBe(1);
    const st = await next.getServiceTicket(WEB);
    expect(service().accept(next.buildApReq(st, { gss: 'spnego' }).token).clientPrincipal).toBe(
      'alice@CONTOSO.COM',
    );
  });

  it("keeps no offset from a failed exchange: the PREAUTH_REQUIRED error's time is unauthenticated", async () => {
    const { client } = setup(-Duration.hour);
    const c = client({ kdcTimeSync: true });
    const e = await rejection(c.getInitialCredentials('alice', { password: 'wrong horse' }));
    expect(e.code).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(c.kdcTimeOffsetMs).toBe(0);
  });

  it('refuses kdcTimeOffsetMs without kdcTimeSync, or not finite', () => {
    const { client } = setup(0);
    expect(() => client({ kdcTimeOffsetMs: 5 })).toThrow(RangeError);
    expect(() => client({ kdcTimeSync: true, kdcTimeOffsetMs: Number.NaN })).toThrow(RangeError);
    expect(client({ kdcTimeSync: true, kdcTimeOffsetMs: -3_600_000 }).kdcTimeOffsetMs).toBe(-3_600_000);
  });
});
