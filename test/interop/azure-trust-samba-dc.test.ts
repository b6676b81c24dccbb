/**
 * The incoming trust-based flow with a real on-prem domain controller: a Samba
 * AD DC (helpers/samba-dc.ts) holds the users and a forest trust to
 * KERBEROS.MICROSOFTONLINE.COM, as `Set-AzureADKerberosServer -SetupCloudTrust`
 * leaves an on-prem domain (a trusted domain object, inbound, forest
 * transitive, `windows.net` among its top-level names); krbsim emulates the
 * Azure AD tenant and the managed instance. The tenant holds the same
 * inter-realm key (the trust's password, the usual salt of
 * `krbtgt/KERBEROS.MICROSOFTONLINE.COM@SAMBA.CONTOSO.COM`), and the lab mirrors
 * the domain's SID and alice's RID, so that the instance maps her PAC to her
 * Windows login.
 *
 * What it shows: Samba's referral TGT, with the PAC a DC puts in it, is
 * accepted by the emulated tenant; the instance admits `SAMBA\alice` by the
 * SID Samba gave her; Samba routes names under `windows.net` to the tenant by
 * the trust's top-level names; and a tenant holding another key refuses the
 * referral; and the real tools end to end, MIT's `kinit` at the Samba DC and
 * FreeTDS's `tsql` logging in to the instance over TDS as `SAMBA\alice`.
 * One difference is pinned: Samba 4.17 does not route an SPN with a
 * port (`MSSQLSvc/host:1433`, the instance's) by top-level name, where a
 * Windows DC and krbsim's emulated one do; the client then names the realm.
 *
 * Skipped with a printed reason when Samba's DC is missing or the test does
 * not run as root; failing instead under KRBSIM_REQUIRE_MIT=1.
 */

import { writeFile } from 'node:fs/promises';
import { NameType, TicketFlags } from '@krbsim/asn1';
import { AZURE_AD_REALM, type AzureSqlMiLab, createAzureSqlMiLab, type ManagedInstance } from '@krbsim/azure';
import { KdcRefusedError, KerberosClient } from '@krbsim/client';
import { ErrorCode, systemClock, systemRandom } from '@krbsim/core';
import { KerberosService } from '@krbsim/service';
import { type KdcTransport, serveKdc, UdpTcpTransport } from '@krbsim/transport';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findTool, makeTempDir, type TempDir } from './helpers/processes';
import { describeWithSambaDc, type SambaDc, startSambaDc } from './helpers/samba-dc';
import { itNeeds, runTool } from './mit-tools';

const ONPREM = 'SAMBA.CONTOSO.COM';
const PASSWORD = 'Al1ce-Passw0rd!';
const TRUST_PASSWORD = 'Cl0ud-Trust-Passw0rd!';
/** A service of the tenant without a port in its name, for Samba's top-level-name routing. */
const PORTLESS = 'HTTP/app.abc123.database.windows.net';

const TITLE = 'the incoming trust-based flow from a Samba AD DC to the emulated Azure AD tenant';
describeWithSambaDc(TITLE, () => {
  let samba: SambaDc | undefined;
  let lab: AzureSqlMiLab;
  let mi: ManagedInstance;
  let transport: KdcTransport;
  const client = () =>
    new KerberosClient({ realm: ONPREM, transport, clock: systemClock, random: systemRandom });

  beforeAll(async () => {
    samba = await startSambaDc({
      realm: ONPREM,
      netbiosDomain: 'SAMBA',
      hostName: 'dc1',
      groups: [],
      accounts: [{ name: 'alice', kind: 'user', password: PASSWORD }],
      forestTrusts: [
        {
          partner: AZURE_AD_REALM,
          flatName: 'KERBEROS',
          // The tenant's SID as the trust names it; Samba checks it only on tickets from the tenant.
          sid: 'S-1-5-21-1111111111-2222222222-3333333333',
          password: TRUST_PASSWORD,
          topLevelNames: ['kerberos.microsoftonline.com', 'windows.net'],
        },
      ],
    });
    // The lab mirrors the domain: its SID, alice's RID; Samba's tickets carry real times.
    lab = createAzureSqlMiLab({
      onPremRealm: ONPREM,
      netbiosName: 'SAMBA',
      onPremDomainSid: samba.domainSid,
      clock: systemClock,
    });
    lab.onPrem.addUser('alice', { password: PASSWORD, rid: samba.rids.alice! });
    mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
    mi.enableWindowsAuthenticationPrerequisites();
    mi.authenticationMetadata = 'Windows';
    mi.createLogin('SAMBA\\alice', 'WINDOWS');
    lab.tenant.realm.addService(PORTLESS, { password: 'App-Passw0rd!' });
    // The tenant's side of the trust: the key of the password Samba's trusted domain object holds.
    lab.setupCloudTrust().trust.rotateKey('trusting', { password: TRUST_PASSWORD });
    const dc = new UdpTcpTransport({ kdcs: { [ONPREM]: [{ host: '127.0.0.1', port: samba.port }] } });
    transport = {
      send: async (realm, request, options) =>
        realm === ONPREM ? dc.send(realm, request, options) : lab.tenant.kdc.handle(request),
    };
  }, 120_000);
  afterAll(async () => samba?.stop());

  const kinit = findTool('kinit');
  const tsql = findTool('tsql');
  itNeeds(
    kinit === undefined || tsql === undefined ? 'MIT kinit or FreeTDS tsql not found' : undefined,
    'real tools end to end: MIT kinit at the Samba DC, FreeTDS logs in to the instance as SAMBA\\alice',
    async () => {
      const dir: TempDir = await makeTempDir('samba-tds');
      const tenant = await serveKdc((r) => lab.tenant.handle(r), { realm: AZURE_AD_REALM });
      const listener = await mi.listen();
      try {
        await writeFile(dir.file('ca.pem'), (await lab.certificateAuthority()).certPem);
        await writeFile(
          dir.file('krb5.conf'),
          [
            '[libdefaults]',
            `  default_realm = ${ONPREM}`,
            '  dns_lookup_kdc = false',
            '  dns_lookup_realm = false',
            '  dns_canonicalize_hostname = false',
            '  rdns = false',
            '[realms]',
            `  ${ONPREM} = {\n    kdc = 127.0.0.1:${samba!.port}\n  }`,
            `  ${AZURE_AD_REALM} = {\n    kdc = 127.0.0.1:${tenant.udpPort}\n  }`,
            '',
          ].join('\n'),
        );
        // FreeTDS names the service MSSQLSvc/<host>:<port> in the realm it is given (tds-freetds.test.ts).
        await writeFile(
          dir.file('freetds.conf'),
          [
            '[mi1]',
            '  host = 127.0.0.1',
            `  port = ${listener.port}`,
            '  tds version = 7.4',
            '  encryption = require',
            `  ca file = ${dir.file('ca.pem')}`,
            `  realm = ${AZURE_AD_REALM}`,
            '',
          ].join('\n'),
        );
        const env = {
          KRB5_CONFIG: dir.file('krb5.conf'),
          FREETDSCONF: dir.file('freetds.conf'),
          KRB5CCNAME: `FILE:${dir.file('cc')}`,
        };
        const k = await runTool(kinit!, [`alice@${ONPREM}`], { input: `${PASSWORD}\n`, env });
        expect(k.code, k.stderr).toBe(0);
        const r = await runTool(tsql!, ['-S', 'mi1'], { input: 'SELECT SUSER_SNAME()\ngo\nexit\n', env });
        // The result row, not a login failure that names her.
        expect(r.stdout, r.stderr).toMatch(/\nSAMBA\\alice\n\(1 row affected\)/);
      } finally {
        await listener.close();
        await tenant.close();
        await dir.remove();
      }
    },
  );

  it("Samba's cross-realm TGT reaches the tenant, and the instance admits SAMBA\\alice by the SID Samba gave her", async () => {
    const c = client();
    await c.getInitialCredentials('alice', { password: PASSWORD });
    // Samba 4.17 does not route the port form by top-level name (below): the client names the realm.
    const ticket = await c.getServiceTicket(mi.spn, { realm: AZURE_AD_REALM });
    const tgt = c.cache.tgtFor(AZURE_AD_REALM, ONPREM)!;
    expect(tgt.server).toEqual({
      realm: ONPREM,
      name: expect.objectContaining({ nameString: ['krbtgt', AZURE_AD_REALM] }),
    });
    // Samba seals it with no kvno: the key derived from the trust's password, nothing else.
    expect(tgt.ticket.encPart.kvno).toBeUndefined();
    // No ok-as-delegate across a forest trust without TGT delegation (MS-KILE 3.3.5.7.5): Samba's
    // referral agrees with krbsim's KDC (packages/kdc/test/tgt-delegation.test.ts).
    expect(tgt.flags & TicketFlags['ok-as-delegate']).toBe(0);
    expect(tgt.flags & TicketFlags['transited-policy-checked']).toBe(TicketFlags['transited-policy-checked']);
    const { token, context } = c.buildApReq(ticket, { gss: 'spnego', mutual: true });
    const session = mi.accept(token);
    c.verifyApRep(context, session.responseToken!);
    expect(session.login).toBe('SAMBA\\alice');
    expect(session.sids?.user).toBe(`${samba!.domainSid}-${samba!.rids.alice}`);
    expect(session.transited).toEqual([]);
  });

  it("routes a name under windows.net to the tenant by the trust's top-level names", async () => {
    const c = client();
    await c.getInitialCredentials('alice', { password: PASSWORD });
    const ticket = await c.getServiceTicket(PORTLESS);
    expect(ticket.server.realm).toBe(AZURE_AD_REALM);
    const keytab = lab.tenant.realm.keysFor(PORTLESS).map((key) => ({
      principal: { realm: AZURE_AD_REALM, name: ticket.server.name },
      kvno: ticket.ticket.encPart.kvno ?? 1,
      key,
    }));
    const session = new KerberosService({ keytab, clock: systemClock }).accept(c.buildApReq(ticket).token);
    expect(session.clientPrincipal).toBe(`alice@${ONPREM}`);
    expect(session.pac?.sids?.user).toBe(`${samba!.domainSid}-${samba!.rids.alice}`);
  });

  it("routes an NT-UNKNOWN name too (Java's Kerberos sends a JDBC driver's SPN so), as krbsim's emulated DC does", async () => {
    const c = client();
    await c.getInitialCredentials('alice', { password: PASSWORD });
    const ticket = await c.getServiceTicket({
      nameType: NameType.NT_UNKNOWN,
      nameString: PORTLESS.split('/'),
    });
    expect(ticket.server.realm).toBe(AZURE_AD_REALM);
    expect(c.cache.tgtFor(AZURE_AD_REALM, ONPREM)).toBeDefined();
  });

  it('pinned: Samba 4.17 does not route the port form of an SPN by top-level name (a Windows DC does)', async () => {
    // samba_kdc_lookup_realm compares the whole last component, "mi1....windows.net:1433", with the
    // names; krbsim's emulated DC, like Windows, routes by the host part.
    const c = client();
    await c.getInitialCredentials('alice', { password: PASSWORD });
    const e = await c.getServiceTicket(mi.spn).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(KdcRefusedError);
    expect((e as KdcRefusedError).code).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
    expect((e as KdcRefusedError).realm).toBe(ONPREM);
  });

  it("a tenant holding another key refuses Samba's referral", async () => {
    const trust = lab.cloudTrust!.trust;
    trust.rotateKey('trusting', { password: 'not-the-trust-password', keepPrevious: false });
    try {
      const c = client();
      await c.getInitialCredentials('alice', { password: PASSWORD });
      const e = await c.getServiceTicket(mi.spn, { realm: AZURE_AD_REALM }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(KdcRefusedError);
      expect((e as KdcRefusedError).code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
      expect((e as KdcRefusedError).realm).toBe(AZURE_AD_REALM);
    } finally {
      trust.rotateKey('trusting', { password: TRUST_PASSWORD, keepPrevious: false });
    }
  });
});
