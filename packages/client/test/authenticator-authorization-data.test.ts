/**
 * What the client's GSS authenticators carry in their authorization data, in
 * one AD-IF-RELEVANT as MIT's `krb5_mk_req_extended` puts it:
 * - RFC 4537's EtypeList when the ticket's session key is not the client's
 *   first choice; the context then takes the acceptor's subkey of the
 *   enctype negotiated;
 * - KERB-AP-OPTIONS with KERB_AP_OPTIONS_CBT for a client aware of channel
 *   bindings (MS-KILE 3.2.5.8), which an acceptor with a channel then holds it to.
 */

import {
  AdType,
  type AuthorizationData,
  decodeAuthorizationData,
  decodeEtypeList,
  KerbApOptions,
  NameType,
} from '@krbsim/asn1';
import { KerberosClient } from '@krbsim/client';
import { ErrorCode, isKerberosError, ManualClock, SeededRandom } from '@krbsim/core';
import { Kdc, Realm } from '@krbsim/kdc';
import { KerberosService } from '@krbsim/service';
import { InProcessTransport } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';

const REALM = 'CONTOSO.COM';
const SPN = 'HTTP/web.contoso.com';
const SNAME = { nameType: NameType.NT_SRV_INST, nameString: ['HTTP', 'web.contoso.com'] };

async function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 8, 0, 0));
  const realm = new Realm({ name: REALM, clock, random: new SeededRandom('etype-negotiation') });
  realm.addUser('alice', { password: 'correct horse' });
  realm.addService(SPN, { password: 'web-Passw0rd' });
  const transport = new InProcessTransport().register(REALM, (req) => new Kdc(realm).handle(req));
  const clientOf = async (encTypes?: readonly number[]) => {
    const client = new KerberosClient({
      realm: REALM,
      transport,
      clock,
      random: new SeededRandom(`client ${encTypes}`),
      ...(encTypes !== undefined && { encTypes }),
    });
    await client.getInitialCredentials('alice', { password: 'correct horse' });
    return client;
  };
  const keytab = realm
    .keysFor(SPN)
    .map((key) => ({ principal: { realm: REALM, name: SNAME }, kvno: 1, key }));
  const service = new KerberosService({ keytab, clock });
  // An MIT realm gives the client's first choice: an aes128 session key for a client asking for it first.
  const aes128 = await (await clientOf([17, 18])).getServiceTicket(SPN);
  return { clientOf, service, aes128 };
}

/** The elements of the one AD-IF-RELEVANT in an authenticator's authorization data (none without it). */
function ifRelevant(ad: AuthorizationData): AuthorizationData {
  if (ad.length === 0) return [];
  expect(ad.map((e) => e.adType)).toEqual([AdType.AD_IF_RELEVANT]);
  return decodeAuthorizationData(ad[0]!.adData);
}

/** The EtypeList in an authenticator's authorization data, if any (and nothing else there). */
function etypeList(ad: AuthorizationData): readonly number[] | undefined {
  const inner = ifRelevant(ad);
  if (inner.length === 0) return undefined;
  expect(inner.map((e) => e.adType)).toEqual([AdType.AD_ETYPE_NEGOTIATION]);
  return decodeEtypeList(inner[0]!.adData);
}

describe('RFC 4537 at the initiator', () => {
  it("lists the client's enctypes when the session key is not its first choice, and takes the negotiated subkey", async () => {
    const { clientOf, service, aes128 } = await setup();
    expect(aes128.sessionKey.etype).toBe(17);
    const client = await clientOf(); // [20, 19, 18, 17]
    const built = client.buildApReq(aes128, { gss: 'krb5' });
    const accepted = service.accept(built.token);
    expect(etypeList(accepted.authenticatorAuthorizationData)).toEqual([20, 19, 18, 17]);
    // krbsim's acceptor prefers as MIT's does: aes256-cts-hmac-sha1-96 first.
    expect(accepted.acceptorSubkey?.etype).toBe(18);
    const ctx = client.verifyApRep(built.context, accepted.responseToken!).securityContext!;
    expect([ctx.etype, ctx.usesAcceptorSubkey]).toEqual([18, true]);
    const message = new TextEncoder().encode('SELECT 1');
    expect(accepted.securityContext!.unwrap(ctx.wrap(message)).message).toEqual(message);
    expect(ctx.unwrap(accepted.securityContext!.wrap(message)).message).toEqual(message);
  });

  it("stops the list at the session key's enctype (RFC 4537 section 3: it comes last)", async () => {
    const { clientOf, service, aes128 } = await setup();
    const client = await clientOf([18, 17, 20]);
    const accepted = service.accept(client.buildApReq(aes128, { gss: 'spnego' }).token);
    expect(etypeList(accepted.authenticatorAuthorizationData)).toEqual([18, 17]);
  });

  it("sends no list for a session key of the client's first choice", async () => {
    const { clientOf, service } = await setup();
    const client = await clientOf();
    const cred = await client.getServiceTicket(SPN);
    expect(cred.sessionKey.etype).toBe(20);
    const accepted = service.accept(client.buildApReq(cred, { gss: 'krb5' }).token);
    expect(accepted.authenticatorAuthorizationData).toEqual([]);
    expect(accepted.acceptorSubkey?.etype).toBe(20);
  });

  it('sends no list raw, nor when told not to; and one raw when told to', async () => {
    const { clientOf, service, aes128 } = await setup();
    const client = await clientOf();
    const ad = (opts: Parameters<KerberosClient['buildApReq']>[1]) =>
      service.accept(client.buildApReq(aes128, opts).token).authenticatorAuthorizationData;
    expect(ad({ mutual: true })).toEqual([]);
    expect(ad({ gss: 'krb5', etypeNegotiation: false })).toEqual([]);
    expect(etypeList(ad({ etypeNegotiation: true }))).toEqual([20, 19, 18, 17]);
  });

  it('without a list the acceptor subkey keeps the session key enctype', async () => {
    const { clientOf, service, aes128 } = await setup();
    const client = await clientOf();
    const built = client.buildApReq(aes128, { gss: 'krb5', etypeNegotiation: false });
    const accepted = service.accept(built.token);
    expect(accepted.acceptorSubkey?.etype).toBe(17);
    expect(client.verifyApRep(built.context, accepted.responseToken!).securityContext!.etype).toBe(17);
  });
});

describe('KERB_AP_OPTIONS_CBT (MS-KILE 3.2.5.8)', () => {
  const channel = new TextEncoder().encode('tls-server-end-point:sql01');

  it('follows the EtypeList in the same AD-IF-RELEVANT, as four little-endian octets', async () => {
    const { clientOf, service, aes128 } = await setup();
    const client = await clientOf();
    const built = client.buildApReq(aes128, { gss: 'krb5', clientAwareChannelBindings: true });
    const inner = ifRelevant(service.accept(built.token).authenticatorAuthorizationData);
    expect(inner.map((e) => e.adType)).toEqual([AdType.AD_ETYPE_NEGOTIATION, AdType.AD_AUTH_DATA_AP_OPTIONS]);
    expect([...inner[1]!.adData]).toEqual([0x00, 0x40, 0x00, 0x00]);
    expect(KerbApOptions.CBT).toBe(0x4000);
  });

  it('makes empty bindings a refusal where the acceptor has a channel', async () => {
    const { clientOf, service } = await setup();
    const client = await clientOf();
    const cred = await client.getServiceTicket(SPN);
    const aware = client.buildApReq(cred, { gss: 'spnego', clientAwareChannelBindings: true }).token;
    let err: unknown;
    try {
      service.accept(aware, { channelBindings: channel });
    } catch (e) {
      err = e;
    }
    expect(isKerberosError(err, ErrorCode.KRB_AP_ERR_MODIFIED)).toBe(true);
    // Unaware, the same empty bindings pass (RFC 4121: an initiator with no channel).
    const unaware = client.buildApReq(cred, { gss: 'spnego' }).token;
    expect(service.accept(unaware, { channelBindings: channel }).clientPrincipal).toBe('alice@CONTOSO.COM');
    // Aware, with the channel's bindings.
    const bound = client.buildApReq(cred, {
      gss: 'spnego',
      clientAwareChannelBindings: true,
      channelBindings: channel,
    }).token;
    expect(service.accept(bound, { channelBindings: channel }).clientPrincipal).toBe('alice@CONTOSO.COM');
  });

  it('is sent with GSS framing only: asked for in a raw AP-REQ, which binds no channel, it is a RangeError', async () => {
    const { clientOf } = await setup();
    const client = await clientOf();
    const cred = await client.getServiceTicket(SPN);
    expect(() => client.buildApReq(cred, { clientAwareChannelBindings: true })).toThrow(
      new RangeError(
        "clientAwareChannelBindings need GSS framing (gss: 'krb5' or 'spnego'): a raw AP-REQ has no 0x8003 checksum, so it binds no channel and delegates nothing",
      ),
    );
  });
});
