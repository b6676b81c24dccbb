/**
 * The client against krbsim's own KDC, in process: the reference topology
 * (an on-premises realm trusted one way by the Azure AD Kerberos realm, SPNs
 * under windows.net routed by the trust's top-level names), then the AP
 * exchange with @krbsim/service using the realm's keys.
 */

import {
  AdType,
  decodeAuthorizationData,
  decodePaPacOptions,
  decodeTgsReq,
  encodeAuthorizationData,
  encodeTicket,
  NameType,
  PacOptions,
  PaDataType,
  TicketFlags,
} from '@krbsim/asn1';
import { type Credential, hasFlag, KerberosClient } from '@krbsim/client';
import { Duration, ErrorCode, ManualClock, SeededRandom } from '@krbsim/core';
import { createTrust, Kdc, Realm } from '@krbsim/kdc';
import { KerberosService } from '@krbsim/service';
import { InProcessTransport, Trace } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';
import { rejection } from './rejection';

const ONPREM = 'CONTOSO.COM';
const AZURE = 'KERBEROS.MICROSOFTONLINE.COM';
const SQL = 'MSSQLSvc/mi1.abc123.database.windows.net:1433';

function lab() {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 8, 0, 0));
  const onPrem = new Realm({ name: ONPREM, clock, random: new SeededRandom('onprem') });
  const azure = new Realm({ name: AZURE, clock, random: new SeededRandom('azure') });
  onPrem.addUser('alice', { password: 'correct horse', upn: 'alice@contoso.com' });
  onPrem.addService('HTTP/web.contoso.com', { password: 'web-Passw0rd' });
  azure.addUser('cloudbob', { password: 'cloud-Passw0rd' });
  azure.addService(SQL, { password: 'sql-Passw0rd' });
  // Incoming trust: Azure AD (trusting, holds the resources) trusts the on-prem realm (holds the users).
  createTrust({
    trusting: azure,
    trusted: onPrem,
    direction: 'one-way',
    kind: 'forest',
    topLevelNames: ['windows.net'],
  });
  const trace = new Trace();
  const transport = new InProcessTransport({ trace })
    .register(ONPREM, (req) => new Kdc(onPrem).handle(req))
    .register(AZURE, (req) => new Kdc(azure).handle(req));
  const client = (realm = ONPREM) =>
    new KerberosClient({ realm, transport, clock, random: new SeededRandom(`client:${realm}`) });
  return { clock, onPrem, azure, transport, trace, client };
}

describe('client against the krbsim KDC', () => {
  it('gets a TGT with pre-authentication and a service ticket the service accepts', async () => {
    const { client, onPrem, clock } = lab();
    const c = client();
    const tgt = await c.getInitialCredentials('alice', { password: 'correct horse' }, { forwardable: true });
    expect(tgt.server.name.nameString).toEqual(['krbtgt', ONPREM]);
    expect(hasFlag(tgt, TicketFlags['pre-authent'])).toBe(true);
    const cred = await c.getServiceTicket('HTTP/web.contoso.com');
    expect(cred.server.realm).toBe(ONPREM);
    const keytab = onPrem.keysFor('HTTP/web.contoso.com').map((key) => ({
      principal: {
        realm: ONPREM,
        name: { nameType: NameType.NT_SRV_INST, nameString: ['HTTP', 'web.contoso.com'] },
      },
      kvno: cred.ticket.encPart.kvno ?? 1,
      key,
    }));
    const svc = new KerberosService({ keytab, clock });
    const { token, context } = c.buildApReq(cred, { gss: 'spnego' });
    const accepted = svc.accept(token);
    expect(accepted.clientPrincipal).toBe('alice@CONTOSO.COM');
    c.verifyApRep(context, accepted.responseToken!);
  });

  it('authorizationData: enc-authorization-data the KDCs append to the ticket, through the referral too; cached for the same data only', async () => {
    const { client, onPrem, azure, trace } = lab();
    const c = client();
    await c.getInitialCredentials('alice', { password: 'correct horse' });
    // A Windows client's KERB-LOCAL, in AD-IF-RELEVANT (MS-KILE 3.2.5.7).
    const loopback = Uint8Array.from({ length: 16 }, (_, i) => i);
    const inner = { adType: AdType.KERB_LOCAL, adData: loopback };
    const asked = [{ adType: AdType.AD_IF_RELEVANT, adData: encodeAuthorizationData([inner]).slice() }];
    const keytabOf = (realm: Realm, name: string) =>
      realm.keysFor(name).map((key) => ({
        principal: {
          realm: realm.name,
          name: { nameType: NameType.NT_SRV_INST, nameString: name.split('/') },
        },
        kvno: 1,
        key,
      }));
    const ticketAd = (cred: Credential, realm: Realm, name: string) => {
      const svc = new KerberosService({ keytab: keytabOf(realm, name), clock: realm.clock });
      return svc.accept(c.buildApReq(cred, { gss: 'spnego' }).token).authorizationData;
    };
    const plain = await c.getServiceTicket('HTTP/web.contoso.com');
    expect(ticketAd(plain, onPrem, 'HTTP/web.contoso.com')).toEqual([]);
    // Asked again with authorization data: not the cached ticket, a new one carrying it.
    const before = trace.entries.length;
    const withAd = await c.getServiceTicket('HTTP/web.contoso.com', { authorizationData: asked });
    expect(trace.entries.length).toBeGreaterThan(before);
    expect(withAd).not.toBe(plain);
    const ad = ticketAd(withAd, onPrem, 'HTTP/web.contoso.com');
    expect(ad.at(-1)?.adType).toBe(AdType.AD_IF_RELEVANT);
    expect(decodeAuthorizationData(ad.at(-1)!.adData)).toEqual([inner]);
    // Through the referral: every TGS-REQ names the service and carries it; the service ticket has it last.
    const sql = await c.getServiceTicket(SQL, { authorizationData: asked });
    const sqlAd = ticketAd(sql, azure, SQL);
    // The referral TGT's copy, then this request's: a KDC copies the presented ticket's authorization
    // data and the request's (RFC 4120 section 3.3.3, as MIT's KDC does).
    expect(sqlAd.map((e) => e.adType)).toEqual([AdType.AD_IF_RELEVANT, AdType.AD_IF_RELEVANT]);
    for (const e of sqlAd) expect(decodeAuthorizationData(e.adData)).toEqual([inner]);
    // The credentials note what they were asked with, the referral TGT too (as MIT notes it).
    expect(withAd.requestedAuthorizationData).toEqual(asked);
    expect(plain.requestedAuthorizationData).toBeUndefined();
    const referralTgts = c.cache
      .all()
      .filter((x) => x.server.name.nameString.join('/') === `krbtgt/${AZURE}`);
    expect(referralTgts.map((x) => x.requestedAuthorizationData)).toEqual([asked]);
    // ...which is no realm's TGT for another request: it would carry the data into its tickets.
    expect(c.cache.tgtFor(AZURE)).toBeUndefined();
    // Asked again with the same data (another array of equal bytes): the cache answers.
    const again = trace.entries.length;
    const askedAgain = [{ adType: AdType.AD_IF_RELEVANT, adData: asked[0]!.adData.slice() }];
    expect(await c.getServiceTicket('HTTP/web.contoso.com', { authorizationData: askedAgain })).toBe(withAd);
    expect(await c.getServiceTicket(SQL, { authorizationData: askedAgain })).toBe(sql);
    expect(await c.getServiceTicket('HTTP/web.contoso.com')).toBe(plain);
    expect(trace.entries.length).toBe(again);
    // Other data, or none where only a ticket with data is cached: the KDCs are asked.
    const other = [
      {
        adType: AdType.AD_IF_RELEVANT,
        adData: encodeAuthorizationData([{ ...inner, adData: loopback.map((b) => b ^ 1) }]).slice(),
      },
    ];
    expect(await c.getServiceTicket('HTTP/web.contoso.com', { authorizationData: other })).not.toBe(withAd);
    expect(trace.entries.length).toBeGreaterThan(again);
    const noData = trace.entries.length;
    const sqlPlain = await c.getServiceTicket(SQL);
    expect(sqlPlain).not.toBe(sql);
    expect(trace.entries.length).toBeGreaterThan(noData);
    // A new referral too (from the TGT): the cached referral TGT holding the data is not used for it.
    expect(ticketAd(sqlPlain, azure, SQL)).toEqual([]);
  });

  it('pacOptions: PA-PAC-OPTIONS in every TGS-REQ of the request, the referral too; flags that are not 32 bits refused', async () => {
    const { client, trace } = lab();
    const c = client();
    await c.getInitialCredentials('alice', { password: 'correct horse' });
    const start = trace.entries.length;
    const branchAware = PacOptions['branch-aware'];
    const sql = await c.getServiceTicket(SQL, { pacOptions: branchAware });
    const sent = trace.entries
      .slice(start)
      .filter((e) => e.requestType === 'TGS-REQ')
      .map((e) => decodeTgsReq(e.request).padata?.filter((p) => p.padataType === PaDataType.PA_PAC_OPTIONS));
    expect(sent).toHaveLength(2);
    for (const pa of sent)
      expect(pa?.map((p) => decodePaPacOptions(p.padataValue).flags)).toEqual([branchAware]);
    expect(sql.server.realm).toBe(AZURE);
    for (const bad of [-1, 1.5, 2 ** 32, Number.NaN]) {
      await expect(c.getServiceTicket('HTTP/web.contoso.com', { pacOptions: bad })).rejects.toThrow(
        /^pacOptions must be PacOptions flags/,
      );
    }
  });

  it("uses the TGT of the client it acts for, never another user's of the same realm", async () => {
    // One cache, two users of CONTOSO.COM: alice's TGT lives longer, bob logged in last.
    const { client, onPrem } = lab();
    onPrem.addUser('bob', { password: 'bob-Passw0rd' });
    const c = client();
    await c.getInitialCredentials('alice', { password: 'correct horse' }, { lifetimeMs: 10 * Duration.hour });
    await c.getInitialCredentials('bob', { password: 'bob-Passw0rd' }, { lifetimeMs: Duration.hour });
    const st = await c.getServiceTicket('HTTP/web.contoso.com');
    expect(st.client.name.nameString).toEqual(['bob']);
    expect(
      c.cache.tgtFor(ONPREM, { realm: ONPREM, name: { nameType: 1, nameString: ['alice'] } })!.client.name
        .nameString,
    ).toEqual(['alice']);
    // The cross-realm path too: bob's referral TGT, not alice's.
    expect((await c.getServiceTicket(SQL)).client.name.nameString).toEqual(['bob']);
  });

  it("keeps each credential's bytes in one buffer of its own: not views into the encoder's slab, the reply or its plaintext", async () => {
    const c = lab().client();
    const tgt = await c.getInitialCredentials('alice', { password: 'correct horse' });
    const st = await c.getServiceTicket('HTTP/web.contoso.com');
    for (const cred of [tgt, st]) {
      // A view elsewhere would keep the shared slab (and the other encodings in it) or the whole reply alive.
      const owned = cred.ticketDer.buffer;
      expect(cred.ticketDer.byteOffset).toBe(0);
      expect(owned.byteLength).toBe(cred.ticketDer.byteLength + cred.sessionKey.bytes.byteLength);
      expect(cred.sessionKey.bytes.buffer).toBe(owned);
      expect(cred.sessionKey.bytes.byteOffset).toBe(cred.ticketDer.byteLength);
      const cipher = cred.ticket.encPart.cipher;
      expect(cipher.buffer).toBe(owned);
      expect(cipher.byteOffset + cipher.byteLength).toBe(cred.ticketDer.byteLength);
      expect(encodeTicket(cred.ticket)).toEqual(cred.ticketDer);
    }
  });

  it('follows the referral across the one-way trust to the Azure AD realm', async () => {
    const { client, trace } = lab();
    const c = client();
    await c.getInitialCredentials('alice', { password: 'correct horse' });
    const cred = await c.getServiceTicket(SQL);
    expect(cred.server.realm).toBe(AZURE);
    expect(cred.server.name.nameString).toEqual(['MSSQLSvc', 'mi1.abc123.database.windows.net:1433']);
    expect(cred.client.realm).toBe(ONPREM);
    const crossTgt = c.cache.tgtFor(AZURE, ONPREM);
    expect(crossTgt?.server).toMatchObject({ realm: ONPREM, name: { nameString: ['krbtgt', AZURE] } });
    expect(trace.entries.length).toBeGreaterThanOrEqual(4);
  });

  it('the trust is one-way: an Azure AD user gets no ticket for an on-prem service', async () => {
    const { client } = lab();
    const c = client(AZURE);
    await c.getInitialCredentials('cloudbob', { password: 'cloud-Passw0rd' });
    const e = await rejection(c.getServiceTicket('HTTP/web.contoso.com', { realm: ONPREM }));
    expect(e.code).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
    expect(e.realm).toBe(AZURE);
    expect(e.message).toContain('trust');
    // Without a realm hint the Azure AD KDC has no referral for an on-prem host either.
    const plain = await rejection(c.getServiceTicket('HTTP/web.contoso.com'));
    expect(plain.code).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
  });

  it('surfaces KDC errors with code, name and realm', async () => {
    const { client } = lab();
    const c = client();
    const bad = await rejection(c.getInitialCredentials('alice', { password: 'wrong' }));
    expect(bad.code).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(bad.codeName).toBe('KDC_ERR_PREAUTH_FAILED');
    expect(bad.realm).toBe(ONPREM);
    const nobody = await rejection(c.getInitialCredentials('nobody', { password: 'x' }));
    expect(nobody.code).toBe(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN);
    await c.getInitialCredentials('alice', { password: 'correct horse' });
    const svc = await rejection(c.getServiceTicket('HTTP/nowhere.example.org'));
    expect(svc.code).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
    expect(svc.realm).toBe(ONPREM);
  });

  it('enterprise names (alice@contoso.com) come back canonical', async () => {
    const { client } = lab();
    const cred = await client().getInitialCredentials('alice@contoso.com', { password: 'correct horse' });
    expect(cred.client).toEqual({
      realm: ONPREM,
      name: { nameType: NameType.NT_PRINCIPAL, nameString: ['alice'] },
    });
  });

  it('renews a renewable TGT', async () => {
    const { client, clock } = lab();
    const c = client();
    const tgt = await c.getInitialCredentials(
      'alice',
      { password: 'correct horse' },
      { renewable: true, lifetimeMs: 2 * Duration.hour },
    );
    expect(hasFlag(tgt, TicketFlags.renewable)).toBe(true);
    clock.advance(Duration.hour);
    const renewed = await c.renew(tgt);
    expect(renewed.endtime).toBeGreaterThan(tgt.endtime);
    expect(c.cache.tgtFor(ONPREM)).toBe(renewed);
  });

  it('renews a service ticket asked for with authorization data: the new one still notes it, and the cache serves it for that data', async () => {
    const { client, clock, onPrem } = lab();
    const c = client();
    await c.getInitialCredentials('alice', { password: 'correct horse' }, { renewable: true });
    const local = encodeAuthorizationData([
      { adType: AdType.KERB_LOCAL, adData: Uint8Array.of(7, 7) },
    ]).slice();
    const asked = [{ adType: AdType.AD_IF_RELEVANT, adData: local }];
    const st = await c.getServiceTicket('HTTP/web.contoso.com', { authorizationData: asked });
    expect(hasFlag(st, TicketFlags.renewable)).toBe(true);
    clock.advance(Duration.hour);
    const renewed = await c.renew(st);
    expect(renewed.requestedAuthorizationData).toEqual(asked);
    expect(await c.getServiceTicket('HTTP/web.contoso.com', { authorizationData: asked })).toBe(renewed);
    expect(c.cache.find('HTTP/web.contoso.com', undefined, undefined, {})).toBeUndefined();
    // The KDC copied the ticket's authorization data: the renewed ticket holds the request's KERB-LOCAL.
    const keytab = onPrem.keysFor('HTTP/web.contoso.com').map((key) => ({
      principal: {
        realm: ONPREM,
        name: { nameType: NameType.NT_SRV_INST, nameString: ['HTTP', 'web.contoso.com'] },
      },
      kvno: 1,
      key,
    }));
    const svc = new KerberosService({ keytab, clock });
    const ad = svc.accept(c.buildApReq(renewed, { gss: 'spnego' }).token).authorizationData;
    expect(ad.at(-1)).toEqual(asked[0]);
  });
});
