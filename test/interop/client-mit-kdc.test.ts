/**
 * @krbsim/client against MIT krb5 1.20: an MIT realm on loopback (krb5kdc
 * with a private kdc.conf), krbsim's client getting TGTs with
 * pre-authentication and service tickets over UDP and TCP, MIT's error
 * codes surfacing as KerberosErrors, and the AP exchange in both directions
 * with MIT's GSS-API and krb5 libraries (a small C helper built here with
 * gcc): MIT accepts krbsim's AP-REQs (raw, GSS krb5, SPNEGO) and krbsim
 * verifies MIT's AP-REPs.
 */

import { join } from 'node:path';
import {
  AdType,
  decodeAuthorizationData,
  encodeAuthorizationData,
  NameType,
  TicketFlags,
} from '@krbsim/asn1';
import { fromCcache, type GssFraming, hasFlag, KerberosClient, toCcache } from '@krbsim/client';
import { ErrorCode, systemClock, systemRandom } from '@krbsim/core';
import { readCcacheFile, readKeytabFile, writeCcacheFile } from '@krbsim/files';
import { KerberosService } from '@krbsim/service';
import { UdpTcpTransport } from '@krbsim/transport';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rejection } from '../../packages/client/test/rejection';
import { startHelper } from './client-mit-realm';
import { buildServiceMitHelper } from './helpers/mit';
import { type MitRealm, startMitRealm } from './helpers/mit-realm';
import { describeWithTools, runTool } from './mit-tools';

const REALM = 'MIT.TEST';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s.trim(), 'hex'));

const TOOLS = ['kdb5_util', 'kadmin.local', 'krb5kdc', 'kinit', 'klist', 'gcc'];

describeWithTools('krbsim client against an MIT KDC', TOOLS, (tools) => {
  let mit: MitRealm;
  let helper: string;
  const client = (opts: { tcp?: boolean; encTypes?: number[] } = {}) =>
    new KerberosClient({
      realm: REALM,
      transport: new UdpTcpTransport({
        kdcs: { [REALM]: [{ host: '127.0.0.1', port: mit.port }] },
        ...(opts.tcp ? { preferTcp: true } : {}),
      }),
      clock: systemClock,
      random: systemRandom,
      ...(opts.encTypes === undefined ? {} : { encTypes: opts.encTypes }),
    });

  beforeAll(async () => {
    mit = await startMitRealm(
      REALM,
      [
        { name: 'alice', password: 'alice-Passw0rd', flags: '+requires_preauth' },
        { name: 'bob', password: 'bob-Passw0rd' },
        {
          name: 'carol',
          password: 'carol-Passw0rd',
          flags: '+requires_preauth -e aes256-cts-hmac-sha1-96:special',
        },
        { name: 'HTTP/web.mit.test', password: 'web-Passw0rd' },
        // A service trusted to authenticate for delegation, for S4U2Self.
        { name: 'websvc', password: 'websvc-Passw0rd', flags: '+ok_to_auth_as_delegate' },
      ],
      tools,
      {
        enctypes: [
          'aes256-cts-hmac-sha384-192:normal',
          'aes128-cts-hmac-sha256-128:normal',
          'aes256-cts-hmac-sha1-96:normal',
          'aes128-cts-hmac-sha1-96:normal',
          'aes256-cts-hmac-sha1-96:special',
        ],
      },
    );
    helper = await buildServiceMitHelper(tools.gcc!, mit.dir);
  });

  afterAll(async () => {
    await mit?.stop();
  });

  it('gets a TGT with PA-ENC-TIMESTAMP pre-authentication, over UDP and TCP', async () => {
    for (const tcp of [false, true]) {
      const c = client({ tcp });
      const tgt = await c.getInitialCredentials(
        'alice',
        { password: 'alice-Passw0rd' },
        { forwardable: true },
      );
      expect(tgt.client).toEqual({
        realm: REALM,
        name: { nameType: NameType.NT_PRINCIPAL, nameString: ['alice'] },
      });
      expect(tgt.server.name.nameString).toEqual(['krbtgt', REALM]);
      expect(hasFlag(tgt, TicketFlags['pre-authent'])).toBe(true);
      expect(hasFlag(tgt, TicketFlags.initial)).toBe(true);
      expect(hasFlag(tgt, TicketFlags.forwardable)).toBe(true);
      // MIT's max_life is 10 hours.
      expect(tgt.endtime - tgt.authtime).toBeLessThanOrEqual(10 * 3_600_000);
    }
  });

  it('derives the key for every AES enctype from the salt MIT sends (including a random "special" salt)', async () => {
    for (const etype of [17, 18, 19, 20]) {
      const tgt = await client({ encTypes: [etype] }).getInitialCredentials('alice', {
        password: 'alice-Passw0rd',
      });
      expect(tgt.sessionKey.etype).toBe(etype);
    }
    const carol = await client().getInitialCredentials('carol', { password: 'carol-Passw0rd' });
    expect(carol.client.name.nameString).toEqual(['carol']);
    // bob needs no pre-authentication: the AS-REP comes back at once.
    const bob = await client().getInitialCredentials('bob', { password: 'bob-Passw0rd' });
    expect(hasFlag(bob, TicketFlags['pre-authent'])).toBe(false);
  });

  it("surfaces MIT's refusals with their codes and realm", async () => {
    const c = client();
    const bad = await rejection(c.getInitialCredentials('alice', { password: 'wrong' }));
    expect(bad.code).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(bad.realm).toBe(REALM);
    const unknown = await rejection(c.getInitialCredentials('nobody', { password: 'x' }));
    expect(unknown.code).toBe(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN);
    expect(unknown.message).toContain('nobody@MIT.TEST');
    await c.getInitialCredentials('alice', { password: 'alice-Passw0rd' });
    const svc = await rejection(c.getServiceTicket('HTTP/missing.mit.test'));
    expect(svc.code).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
    expect(svc.realm).toBe(REALM);
  });

  it('gets a service ticket that decrypts with the key in an MIT keytab', async () => {
    const c = client();
    await c.getInitialCredentials('alice', { password: 'alice-Passw0rd' });
    const cred = await c.getServiceTicket('HTTP/web.mit.test');
    expect(cred.server.realm).toBe(REALM);
    expect(cred.server.name.nameString).toEqual(['HTTP', 'web.mit.test']);
    const keytab = await readKeytabFile(await mit.exportKeytab('HTTP/web.mit.test@MIT.TEST'));
    const entry = keytab.entries.find((e) => e.key.etype === cred.ticket.encPart.etype);
    expect(entry?.kvno).toBe(cred.ticket.encPart.kvno);
  });

  it("MIT's KDC opens the TGS-REQ's enc-authorization-data (sealed with the subkey) and appends it to the ticket", async () => {
    const c = client();
    await c.getInitialCredentials('alice', { password: 'alice-Passw0rd' });
    const inner = { adType: AdType.KERB_LOCAL, adData: Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i) };
    const asked = [{ adType: AdType.AD_IF_RELEVANT, adData: encodeAuthorizationData([inner]).slice() }];
    const cred = await c.getServiceTicket('HTTP/web.mit.test', { authorizationData: asked });
    const keytab = await readKeytabFile(await mit.exportKeytab('HTTP/web.mit.test@MIT.TEST'));
    const accepted = new KerberosService({ keytab, clock: systemClock }).accept(
      c.buildApReq(cred, { gss: 'spnego' }).token,
    );
    const last = accepted.authorizationData.at(-1)!;
    expect(last.adType).toBe(AdType.AD_IF_RELEVANT);
    expect(decodeAuthorizationData(last.adData)).toEqual([inner]);
  });

  it("a ticket asked for with authorization data is kept apart in a ccache: MIT's GSS-API asks anew, as krbsim's client does", async () => {
    const c = client();
    await c.getInitialCredentials('alice', { password: 'alice-Passw0rd' });
    const inner = { adType: AdType.KERB_LOCAL, adData: Uint8Array.from({ length: 16 }, (_, i) => 0xb0 + i) };
    const asked = [{ adType: AdType.AD_IF_RELEVANT, adData: encodeAuthorizationData([inner]).slice() }];
    const withAd = await c.getServiceTicket('HTTP/web.mit.test', { authorizationData: asked });
    const path = join(mit.dir, 'krbsim-authdata.ccache');
    await writeCcacheFile(path, toCcache(c.cache));
    // MIT's krb5_get_credentials matches a cached entry's authdata (KRB5_TC_MATCH_AUTHDATA): the entry
    // krbsim wrote, asked for with data, does not serve GSS-API's request without any.
    const run = await startHelper(helper, ['init', 'krb5', 'HTTP/web.mit.test@MIT.TEST'], {
      ...mit.env,
      KRB5CCNAME: `FILE:${path}`,
    });
    await run.kill();
    expect(run.first).not.toMatch(/^ERR/);
    const back = fromCcache(await readCcacheFile(path), { clock: systemClock });
    const web = back.all().filter((e) => e.server.name.nameString.join('/') === 'HTTP/web.mit.test');
    expect(web).toHaveLength(2);
    expect(web[0]!.requestedAuthorizationData).toEqual(asked);
    expect(web[0]!.ticketDer).toEqual(withAd.ticketDer);
    expect(web[1]!.requestedAuthorizationData).toBeUndefined();
    // And krbsim reads MIT's file the same way: each request finds its own ticket.
    expect(back.find('HTTP/web.mit.test', REALM, undefined, {})).toBe(web[1]);
    expect(back.find('HTTP/web.mit.test', REALM, undefined, { authorizationData: asked })).toBe(web[0]);
  });

  it("gets websvc a ticket to itself in alice's name (S4U2Self), MIT's echo of PA-S4U-X509-USER verified", async () => {
    const keytab = await readKeytabFile(await mit.exportKeytab('websvc@MIT.TEST'));
    const service = new KerberosService({ keytab: keytab.entries, clock: systemClock });
    for (const x509UserId of [true, false]) {
      const c = client();
      await c.getInitialCredentials('websvc', { keytab }, { forwardable: true });
      const self = await c.getS4U2SelfTicket('alice', { x509UserId });
      expect(self.client).toEqual({
        realm: REALM,
        name: { nameType: NameType.NT_PRINCIPAL, nameString: ['alice'] },
      });
      expect(self.server.name.nameString).toEqual(['websvc']);
      expect(hasFlag(self, TicketFlags.forwardable)).toBe(true);
      // websvc's own key opens it, and MIT's PAC in it is signed for websvc and names alice.
      const session = service.accept(c.buildApReq(self).token);
      expect(session.clientPrincipal).toBe('alice@MIT.TEST');
      expect(session.pac?.verifiedSignatures).toContain('server');
    }
    // A user MIT does not know: its refusal, passed on.
    const c = client();
    await c.getInitialCredentials('websvc', { keytab });
    const e = await rejection(c.getS4U2SelfTicket('nobody'));
    expect(e.code).toBe(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN);
  });

  it("gets alice a user-to-user ticket to bob from MIT, which bob's acceptor opens with his TGT session key", async () => {
    const bob = client();
    const bobTgt = await bob.getInitialCredentials('bob', { password: 'bob-Passw0rd' });
    const alice = client();
    await alice.getInitialCredentials('alice', { password: 'alice-Passw0rd' });
    const cred = await alice.getUserToUserTicket('bob', bobTgt.ticket);
    expect(cred.server.name.nameString).toEqual(['bob']);
    const acceptor = new KerberosService({ keytab: [], userToUser: bobTgt, clock: systemClock });
    const { token, context } = alice.buildApReq(cred, { userToUser: true, mutual: true });
    const session = acceptor.accept(token);
    expect(session.clientPrincipal).toBe('alice@MIT.TEST');
    // MIT signs a user-to-user ticket's PAC with the key that seals it, as krbsim's KDC does.
    expect(session.pac?.verifiedSignatures).toContain('server');
    alice.verifyApRep(context, session.responseToken!);
    // MIT's KDC_ERR_SERVER_NOMATCH for a server that is not the TGT's client.
    const e = await rejection(alice.getUserToUserTicket('carol', bobTgt.ticket));
    expect(e.code).toBe(ErrorCode.KDC_ERR_SERVER_NOMATCH);
  });

  it('renews a renewable TGT at the MIT KDC', async () => {
    const c = client();
    const tgt = await c.getInitialCredentials('alice', { password: 'alice-Passw0rd' }, { renewable: true });
    expect(hasFlag(tgt, TicketFlags.renewable)).toBe(true);
    const renewed = await c.renew(tgt);
    expect(renewed.server.name.nameString).toEqual(['krbtgt', REALM]);
    expect(renewed.renewTill).toBe(tgt.renewTill);
    expect(hex(renewed.sessionKey.bytes)).not.toBe(hex(tgt.sessionKey.bytes));
    const plain = await c.getInitialCredentials('alice', { password: 'alice-Passw0rd' });
    const e = await rejection(c.renew(plain));
    expect(e.code).toBe(ErrorCode.KDC_ERR_BADOPTION);
  });

  for (const gss of ['none', 'krb5', 'spnego'] as GssFraming[]) {
    it(`MIT accepts krbsim's ${gss === 'none' ? 'raw' : gss} AP-REQ, and krbsim verifies MIT's AP-REP`, async () => {
      const c = client();
      await c.getInitialCredentials('alice', { password: 'alice-Passw0rd' });
      const cred = await c.getServiceTicket('HTTP/web.mit.test');
      const keytab = await mit.exportKeytab('HTTP/web.mit.test@MIT.TEST');
      const { token, context } = c.buildApReq(cred, { gss, mutual: true });
      const mode = gss === 'none' ? 'raw' : gss;
      const r = await runTool(helper, ['accept', mode, keytab], { input: `${hex(token)}\n`, env: mit.env });
      const [status, who, answer] = r.stdout.trim().split(' ');
      expect(status, r.stdout + r.stderr).toBe('OK');
      expect(who).toBe('alice@MIT.TEST');
      const rep = c.verifyApRep(context, unhex(answer!));
      if (gss !== 'none') expect(rep.subkey).toBeDefined();
    });
  }

  it('MIT checks the channel bindings krbsim puts in the GSS checksum', async () => {
    const c = client();
    await c.getInitialCredentials('alice', { password: 'alice-Passw0rd' });
    const cred = await c.getServiceTicket('HTTP/web.mit.test');
    const keytab = await mit.exportKeytab('HTTP/web.mit.test@MIT.TEST');
    const cb = new TextEncoder().encode('tls-server-end-point:krbsim');
    const good = c.buildApReq(cred, { gss: 'krb5', channelBindings: cb }).token;
    const ok = await runTool(helper, ['accept', 'krb5', keytab, hex(cb)], {
      input: `${hex(good)}\n`,
      env: mit.env,
    });
    expect(ok.stdout).toMatch(/^OK alice@MIT.TEST/);
    const other = c.buildApReq(cred, {
      gss: 'krb5',
      channelBindings: new TextEncoder().encode('other'),
    }).token;
    const bad = await runTool(helper, ['accept', 'krb5', keytab, hex(cb)], {
      input: `${hex(other)}\n`,
      env: mit.env,
    });
    expect(bad.stdout).toMatch(/^ERR/);
  });

  it('MIT holds a krbsim client aware of channel bindings (KERB_AP_OPTIONS_CBT) to them', async () => {
    const c = client();
    await c.getInitialCredentials('alice', { password: 'alice-Passw0rd' });
    const cred = await c.getServiceTicket('HTTP/web.mit.test');
    const keytab = await mit.exportKeytab('HTTP/web.mit.test@MIT.TEST');
    const cb = new TextEncoder().encode('tls-server-end-point:krbsim');
    const accept = async (token: Uint8Array) =>
      (await runTool(helper, ['accept', 'krb5', keytab, hex(cb)], { input: `${hex(token)}\n`, env: mit.env }))
        .stdout;
    // Empty bindings from a client that says it knows them: MIT 1.19 and later refuse, where the channel has some.
    const aware = c.buildApReq(cred, { gss: 'krb5', clientAwareChannelBindings: true }).token;
    expect(await accept(aware)).toMatch(/^ERR gss_accept_sec_context: major 0x40000 /); // GSS_S_BAD_BINDINGS
    // The same empty bindings from a client that does not say so: accepted (RFC 4121 4.1.1.2).
    expect(await accept(c.buildApReq(cred, { gss: 'krb5' }).token)).toMatch(/^OK alice@MIT.TEST/);
    const bound = c.buildApReq(cred, { gss: 'krb5', clientAwareChannelBindings: true, channelBindings: cb });
    expect(await accept(bound.token)).toMatch(/^OK alice@MIT.TEST/);
  });

  it("MIT's tools use a ccache written from krbsim's credential cache", async () => {
    const c = client();
    await c.getInitialCredentials('alice', { password: 'alice-Passw0rd' }, { forwardable: true });
    const path = join(mit.dir, 'krbsim.ccache');
    await writeCcacheFile(path, toCcache(c.cache));
    const env = { ...mit.env, KRB5CCNAME: `FILE:${path}` };
    const list = await runTool(tools.klist!, ['-f'], { env });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('Default principal: alice@MIT.TEST');
    expect(list.stdout).toContain('krbtgt/MIT.TEST@MIT.TEST');
    // MIT's GSS-API takes krbsim's TGT to the MIT KDC for a service ticket; krbsim's service accepts the result.
    const run = await startHelper(helper, ['init', 'krb5', 'HTTP/web.mit.test@MIT.TEST'], env);
    try {
      expect(run.first).not.toMatch(/^ERR/);
      const keytab = await readKeytabFile(await mit.exportKeytab('HTTP/web.mit.test@MIT.TEST'));
      const accepted = new KerberosService({ keytab, clock: systemClock }).accept(unhex(run.first));
      expect(accepted.clientPrincipal).toBe('alice@MIT.TEST');
      expect(await run.answer(hex(accepted.responseToken!))).toBe('OK');
    } finally {
      await run.kill();
    }
  });

  // The oracle for krbsim's KDC: which code a KDC gives a TGT whose ciphertext was altered.
  it('MIT answers a tampered TGT with KRB_AP_ERR_BAD_INTEGRITY', async () => {
    const c = client();
    await c.getInitialCredentials('alice', { password: 'alice-Passw0rd' });
    const cc = toCcache(c.cache);
    const tampered = {
      ...cc,
      credentials: cc.credentials.map((cred) => {
        const ticket = cred.ticket.slice();
        ticket[ticket.length - 1]! ^= 0x01; // the last byte of the enc-part cipher (its HMAC)
        return { ...cred, ticket };
      }),
    };
    const forged = new KerberosClient({
      realm: REALM,
      transport: new UdpTcpTransport({ kdcs: { [REALM]: [{ host: '127.0.0.1', port: mit.port }] } }),
      cache: fromCcache(tampered, { clock: systemClock }),
      clock: systemClock,
      random: systemRandom,
    });
    const e = await rejection(forged.getServiceTicket('HTTP/web.mit.test'));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
  });

  it("krbsim's client uses a TGT that MIT's kinit put in a ccache", async () => {
    const path = join(mit.dir, 'mit.ccache');
    const env = { ...mit.env, KRB5CCNAME: `FILE:${path}` };
    const k = await runTool(tools.kinit!, ['alice@MIT.TEST'], { input: 'alice-Passw0rd\n', env });
    expect(k.code, k.stderr).toBe(0);
    const cache = fromCcache(await readCcacheFile(path), { clock: systemClock });
    const c = new KerberosClient({
      realm: REALM,
      transport: new UdpTcpTransport({ kdcs: { [REALM]: [{ host: '127.0.0.1', port: mit.port }] } }),
      cache,
    });
    expect(c.principal?.name.nameString).toEqual(['alice']);
    const cred = await c.getServiceTicket('HTTP/web.mit.test');
    expect(cred.client.name.nameString).toEqual(['alice']);
    expect(cred.server.name.nameString).toEqual(['HTTP', 'web.mit.test']);
  });
});
