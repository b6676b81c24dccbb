import { decodeAsRep, TicketFlags } from '@krbsim/asn1';
import {
  AZURE_AD_REALM,
  type AzureSqlMiLab,
  createAzureSqlMiLab,
  formatDsregcmdStatus,
  LabError,
  type ManagedInstance,
  type OnPremUser,
  parseWindowsVersion,
} from '@krbsim/azure';
import { Duration, ErrorCode, KerberosError, ManualClock } from '@krbsim/core';
import { describe, expect, it } from 'vitest';

interface Setup {
  lab: AzureSqlMiLab;
  clock: ManualClock;
  alice: OnPremUser;
  mi: ManagedInstance;
}

function setup(): Setup {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 9));
  const lab = createAzureSqlMiLab({ seed: 11, clock });
  const alice = lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
  const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
  mi.enableWindowsAuthenticationPrerequisites();
  mi.authenticationMetadata = 'Paired';
  mi.createLogin('CONTOSO\\alice', 'WINDOWS');
  mi.createLogin('alice@contoso.com', 'EXTERNAL PROVIDER');
  lab.setupCloudTrust();
  return { lab, clock, alice, mi };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.unreachable('resolved'),
    (e: unknown) => e,
  );
}

const flags = (f: number) =>
  (['forwardable', 'renewable', 'name-canonicalize'] as const).filter((n) => (f & TicketFlags[n]) !== 0);

describe('TGTs as Windows holds them', () => {
  it('AD issues a forwardable, renewable TGT with its default etypes (no aes-sha2), and renews it', async () => {
    const { lab, clock, alice } = setup();
    const pc = lab.adJoinedClient(alice);
    const tgt = await pc.logon();
    // As klist shows an on-prem TGT on Windows (besides initial and pre_authent).
    expect(flags(tgt.flags)).toEqual(['forwardable', 'renewable', 'name-canonicalize']);
    expect(tgt.sessionKey.etype).toBe(18);
    expect(tgt.ticket.encPart.etype).toBe(18);
    expect(tgt.renewTill! - tgt.authtime).toBe(7 * Duration.day);
    expect(lab.onPrem.realm.policy.permittedEncTypes).toEqual([18, 17]);
    clock.advance(9 * Duration.hour);
    const renewed = await pc.kerberos.renew(tgt);
    expect(renewed.endtime).toBeGreaterThan(tgt.endtime);
  });

  it('the cloud TGT shows forwardable, renewable, name_canonicalize, yet Azure AD refuses to renew it', async () => {
    const { lab, alice } = setup();
    const pc = lab.azureAdJoinedClient(alice);
    await pc.signIn();
    const tgt = pc.cloudTgt!;
    expect(flags(tgt.flags)).toEqual(['forwardable', 'renewable', 'name-canonicalize']);
    expect(tgt.sessionKey.etype).toBe(18);
    expect(tgt.endtime - tgt.authtime).toBe(10 * Duration.hour);
    const err = await rejection(pc.kerberos.renew(tgt));
    expect(err).toBeInstanceOf(KerberosError);
    expect((err as KerberosError).code).toBe(ErrorCode.KDC_ERR_BADOPTION);
  });
});

describe('the cloud TGT lasts 10 hours, then the user signs in again', () => {
  it('keeps the sign-in TGT across background PRT refreshes and asks for a sign-in once it expires', async () => {
    const { lab, clock, alice, mi } = setup();
    const pc = lab.azureAdJoinedClient(alice);
    await pc.signIn();
    const end = pc.cloudTgtExpiresAt!;
    clock.advance(5 * Duration.hour); // a background PRT refresh happens: no new cloud TGT
    await pc.initSecurityContext(mi.spn);
    expect(pc.cloudTgtExpiresAt).toBe(end);
    clock.advance(5 * Duration.hour);
    const err = await rejection(pc.initSecurityContext(mi.spn));
    expect(err).toBeInstanceOf(LabError);
    expect(err).toMatchObject({ reason: 'sign-in-required', code: ErrorCode.KRB_AP_ERR_TKT_EXPIRED });
    expect((err as LabError).message).toContain('sign in again');
    expect(pc.dsregcmdStatus()).toMatchObject({ AzureAdPrt: true, CloudTgt: false });
    await pc.lockUnlock(); // the unlock is a sign-in
    expect(pc.cloudTgtExpiresAt).toBe(end + 10 * Duration.hour);
    const session = mi.accept((await pc.initSecurityContext(mi.spn)).token, pc.participant);
    expect(session.clientPrincipal).toBe(`alice\\@contoso.com@${AZURE_AD_REALM}`);
  });

  it('puts the PRT request (tgt=true) and its AS-REP and client key in the trace, the diagram and the pcap', async () => {
    const { lab, alice } = setup();
    const pc = lab.azureAdJoinedClient(alice);
    await pc.signIn();
    const [e] = lab.trace.entries;
    expect(e).toMatchObject({
      from: 'alice@contoso.com',
      to: 'login.microsoftonline.com',
      protocol: 'http',
      requestType: 'PRT request',
      replyType: 'PRT response',
      label: 'tgt=true',
    });
    const request = new TextDecoder().decode(e!.request);
    expect(request).toMatch(new RegExp(`^POST /${lab.tenant.tenantId}/oauth2/token HTTP/1.1\r\n`));
    expect(request.endsWith('&tgt=true')).toBe(true);
    const reply = new TextDecoder().decode(e!.reply!);
    const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
    expect(reply.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(body.tgt_cloud.realm).toBe(AZURE_AD_REALM);
    expect(body.tgt_cloud.keyType).toBe(18);
    const asRep = decodeAsRep(Buffer.from(body.tgt_cloud.messageBuffer, 'base64'));
    expect(Buffer.from(asRep.ticket.encPart.cipher)).toEqual(Buffer.from(pc.cloudTgt!.ticket.encPart.cipher));
    expect(Buffer.from(body.tgt_cloud.clientKey, 'base64').length).toBeGreaterThan(32);
    expect(e!.replyLabel).toMatch(/^tgt_cloud: AS-REP \d+ bytes, client key etype 18 sealed/);

    expect(lab.trace.toText()).toMatch(/\[http\] PRT request \d+ bytes tgt=true/);
    expect(lab.trace.toMermaid()).toContain('PRT request tgt=true');
    const pcap = Buffer.from(lab.trace.toPcap());
    expect(pcap.includes(Buffer.from(e!.request))).toBe(true);
    // The reply spans TCP segments of 1,460 bytes: its first segment is there whole.
    expect(pcap.includes(Buffer.from(e!.reply!.subarray(0, 1460)))).toBe(true);
    // The server side of that connection is port 80, where Wireshark dissects HTTP.
    expect(pcap.includes(Buffer.from([0x00, 0x50]))).toBe(true);
  });

  it('records tgt=false when the policy is off', async () => {
    const { lab, alice } = setup();
    await lab.azureAdJoinedClient(alice, { cloudKerberosTicketRetrievalEnabled: false }).signIn();
    const [e] = lab.trace.entries;
    expect(e?.label).toBe('tgt=false');
    expect(new TextDecoder().decode(e!.reply!)).not.toContain('tgt_cloud');
  });
});

describe('hybrid-joined clients and dsregcmd /status', () => {
  it('holds an on-prem TGT and a cloud TGT, and reaches the instance with the cloud one', async () => {
    const { lab, alice, mi } = setup();
    const pc = lab.hybridJoinedClient(alice);
    expect(pc.dsregcmdStatus()).toEqual({
      AzureAdJoined: true,
      DomainJoined: true,
      AzureAdPrt: false,
      CloudTgt: false,
      OnPremTgt: false,
    });
    await pc.signIn();
    expect(pc.onPremTgt?.server.realm).toBe('CONTOSO.COM');
    expect(pc.cloudTgt?.server.realm).toBe(AZURE_AD_REALM);
    expect(pc.dsregcmdStatus()).toEqual({
      AzureAdJoined: true,
      DomainJoined: true,
      AzureAdPrt: true,
      CloudTgt: true,
      OnPremTgt: true,
    });
    const cloud = await pc.initSecurityContext(mi.spn);
    expect(mi.accept(cloud.token, pc.participant).clientPrincipal).toBe(
      `alice\\@contoso.com@${AZURE_AD_REALM}`,
    );
    const viaTrust = await pc.initSecurityContext(mi.spn, { via: 'on-prem' });
    expect(mi.accept(viaTrust.token, pc.participant).clientPrincipal).toBe('alice@CONTOSO.COM');
    expect(formatDsregcmdStatus(pc.dsregcmdStatus())).toMatch(
      / {7}AzureAdJoined : YES\n {8}DomainJoined : YES/,
    );
  });

  it('reaches an on-prem service with the on-prem TGT while it holds a cloud TGT (Azure AD cannot)', async () => {
    const { lab, alice, mi } = setup();
    lab.onPrem.realm.addService('HTTP/web.contoso.com', { password: 'service password 1' });
    const pc = lab.hybridJoinedClient(alice);
    await pc.signIn();
    expect(pc.cloudTgt).toBeDefined();
    const web = await pc.initSecurityContext('HTTP/web.contoso.com');
    expect(web.ticket.server.realm).toBe('CONTOSO.COM');
    expect(web.ticket.client.realm).toBe('CONTOSO.COM');
    // The instance, by its SPN and by a listener's loopback SPN, still through Azure AD with the cloud TGT.
    mi.addSpn('MSSQLSvc/127.0.0.1:14330');
    for (const spn of [mi.spn, 'MSSQLSvc/127.0.0.1:14330']) {
      const ctx = await pc.initSecurityContext(spn);
      expect(ctx.ticket.client.realm, spn).toBe(AZURE_AD_REALM);
    }
  });

  it("an AD-joined client logs on again once its TGT's 10 hours are over, as Windows does", async () => {
    const { lab, clock, alice, mi } = setup();
    const pc = lab.adJoinedClient(alice);
    expect(mi.accept((await pc.initSecurityContext(mi.spn)).token).login).toBe('CONTOSO\\alice');
    const first = pc.kerberos.cache.tgtFor('CONTOSO.COM')!;
    clock.advance(11 * Duration.hour);
    expect(pc.kerberos.cache.tgtFor('CONTOSO.COM')).toBeUndefined();
    expect(mi.accept((await pc.initSecurityContext(mi.spn)).token).login).toBe('CONTOSO\\alice');
    expect(pc.kerberos.cache.tgtFor('CONTOSO.COM')!.authtime).toBeGreaterThan(first.authtime);
  });

  it('describes AD-joined and Azure AD-joined clients', async () => {
    const { lab, alice } = setup();
    const ad = lab.adJoinedClient(alice);
    await ad.logon();
    expect(ad.dsregcmdStatus()).toEqual({
      AzureAdJoined: false,
      DomainJoined: true,
      AzureAdPrt: false,
      CloudTgt: false,
      OnPremTgt: true,
    });
    const aad = lab.azureAdJoinedClient(lab.addCloudUser('bob@contoso.onmicrosoft.com'));
    await aad.signIn();
    expect(aad.dsregcmdStatus()).toEqual({
      AzureAdJoined: true,
      DomainJoined: false,
      AzureAdPrt: true,
      CloudTgt: true,
      OnPremTgt: false,
    });
    expect(formatDsregcmdStatus(aad.dsregcmdStatus())).toContain('           OnPremTgt : NO');
  });
});

describe("an instance's settings", () => {
  it('refuses a mode it does not have, rather than reading a misspelt one as another (RangeError)', () => {
    const { lab } = setup();
    const mi = lab.addManagedInstance({ name: 'mi2', dnsZone: 'abc123', subnet: '10.0.1.0/24' });
    const set = (f: () => void) => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const loose = mi as unknown as Record<string, string>;
    expect(set(() => (loose.authenticationMetadata = 'windows'))).toBeInstanceOf(RangeError);
    expect(set(() => (loose.connectionType = 'redirect'))).toBeInstanceOf(RangeError);
    expect(set(() => (loose.pairedLoginOrder = 'azure'))).toBeInstanceOf(RangeError);
    // CREATE LOGIN ... FROM WINDOWS or FROM EXTERNAL PROVIDER: no other source, and nothing made.
    expect(set(() => mi.createLogin('CONTOSO\\alice', 'BOGUS' as 'WINDOWS'))).toBeInstanceOf(RangeError);
    expect(mi.createLogin('CONTOSO\\alice', 'WINDOWS')).toMatchObject({ source: 'WINDOWS' });
    expect([mi.authenticationMetadata, mi.connectionType, mi.pairedLoginOrder]).toEqual([
      'AzureAD',
      'Proxy',
      'windows-first',
    ]);
    mi.authenticationMetadata = 'Paired';
    mi.connectionType = 'Redirect';
    mi.pairedLoginOrder = 'azure-first';
    expect([mi.authenticationMetadata, mi.connectionType, mi.pairedLoginOrder]).toEqual([
      'Paired',
      'Redirect',
      'azure-first',
    ]);
  });
});

describe('one Windows-authentication instance per subnet, by network', () => {
  it.each([
    ['10.0.0.0/24'],
    ['10.0.0.0/255.255.255.0'],
    ['10.0.0.77/24'],
    ['10.0.0.128/25'],
    ['10.0.0.0/16'],
  ])('refuses %s beside 10.0.0.0/24', (subnet) => {
    const { lab } = setup();
    const mi2 = lab.addManagedInstance({ name: 'mi2', dnsZone: 'abc123', subnet });
    let err: unknown;
    try {
      mi2.enableWindowsAuthenticationPrerequisites();
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ reason: 'subnet-taken' });
    expect((err as LabError).message).toContain('mi1 already is, in 10.0.0.0/24');
    // Refused, the prerequisites are as they were: the instance still says what it lacks, and the next
    // call is refused for the same reason.
    expect(mi2.missingPrerequisites).toHaveLength(3);
    expect(() => mi2.grantAdminConsent()).not.toThrow();
    expect(() => mi2.enableWindowsAuthenticationPrerequisites()).toThrow(
      /mi1 already is, in 10\.0\.0\.0\/24/,
    );
    expect(mi2.missingPrerequisites).toHaveLength(2); // the admin consent granted before stays
  });

  it.each([['10.0.1.0/24'], ['10.0.1.0/255.255.255.128'], ['192.168.0.0/24']])(
    'allows %s beside 10.0.0.0/24',
    (subnet) => {
      const { lab } = setup();
      const mi2 = lab.addManagedInstance({ name: 'mi2', dnsZone: 'abc123', subnet });
      expect(mi2.enableWindowsAuthenticationPrerequisites().windowsAuthenticationEnabled).toBe(true);
    },
  );

  it.each([
    ['10.0.0.0', /no prefix length/],
    ['10.0.0/24', /IPv4 address/],
    ['10.0.0.0/33', /over 32/],
    ['10.0.0.0/255.0.255.0', /not contiguous/],
    ['10.0.0.0/abc', /neither a prefix length nor a dotted mask/],
    ['fd00::/64', /IPv4 address/],
  ])('rejects the subnet %s', (subnet, why) => {
    const { lab } = setup();
    expect(() => lab.addManagedInstance({ name: 'mi2', dnsZone: 'abc123', subnet })).toThrow(why);
    try {
      lab.addManagedInstance({ name: 'mi2', dnsZone: 'abc123', subnet });
    } catch (e) {
      expect(e).toMatchObject({ reason: 'invalid-subnet' });
    }
  });
});

describe('Windows versions, as a client is given them', () => {
  it('reads the forms the facts sheet uses, ranked so that a prerequisite is a comparison', () => {
    expect(parseWindowsVersion('Windows Server 2012 R2')).toMatchObject({ family: 'server', rank: 2012.5 });
    expect(parseWindowsVersion('Windows Server 2016')).toMatchObject({ family: 'server', rank: 2016 });
    expect(parseWindowsVersion('Windows 8.1')).toMatchObject({ family: 'client', rank: 8.1 });
    expect(parseWindowsVersion('Windows 11')).toMatchObject({ family: 'client', rank: 11 });
    const w10 = parseWindowsVersion('Windows 10');
    const w10h1 = parseWindowsVersion('Windows 10 21H1');
    expect(w10).toMatchObject({ family: 'client', rank: 10 });
    expect(w10h1.rank).toBeGreaterThan(w10.rank);
    expect(w10h1.rank).toBeLessThan(11);
    // 20H1 is Microsoft's other name for 2004.
    expect(parseWindowsVersion('Windows 10 20H1').rank).toBe(parseWindowsVersion('Windows 10 2004').rank);
  });

  it('refuses a name it does not know, saying which forms it reads', () => {
    for (const name of ['Windows Vista', 'Windows 10 99H9', 'Ubuntu 22.04', '']) {
      expect(() => parseWindowsVersion(name), name).toThrow(
        /unknown Windows version .*: use forms like "Windows 10 21H1", "Windows 11" or "Windows Server 2012 R2"/,
      );
    }
  });
});
