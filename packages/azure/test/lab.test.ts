import {
  decodeEncTicketPart,
  decodeKdcProxyMessage,
  decodeKrbError,
  decodeTicket,
  encodeAsReq,
  encodeKdcProxyMessage,
  TicketFlags,
} from '@krbsim/asn1';
import {
  AZURE_AD_REALM,
  type AzureSqlMiLab,
  createAzureSqlMiLab,
  LabError,
  type ManagedInstance,
  type OnPremUser,
  SqlErrorNumber,
  WindowsStatus,
} from '@krbsim/azure';
import { Duration, ErrorCode, KerberosError, ManualClock } from '@krbsim/core';
import { decrypt, KeyUsage } from '@krbsim/crypto';
import { createTrust, Realm } from '@krbsim/kdc';
import { frameTcp, unframeKerbMessage } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';

interface Setup {
  lab: AzureSqlMiLab;
  clock: ManualClock;
  alice: OnPremUser;
  mi: ManagedInstance;
}

function setup(
  opts: { trust?: boolean; mode?: 'AzureAD' | 'Windows' | 'Paired'; seed?: number } = {},
): Setup {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 9));
  const lab = createAzureSqlMiLab({ onPremRealm: 'CONTOSO.COM', seed: opts.seed ?? 7, clock });
  const alice = lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
  const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
  mi.enableWindowsAuthenticationPrerequisites();
  mi.authenticationMetadata = opts.mode ?? 'Windows';
  mi.createLogin('CONTOSO\\alice', 'WINDOWS');
  mi.createLogin('alice@contoso.com', 'EXTERNAL PROVIDER');
  if (opts.trust ?? true) lab.setupCloudTrust();
  return { lab, clock, alice, mi };
}

async function expectLabError(p: Promise<unknown>, fields: Partial<LabError>): Promise<LabError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LabError);
  expect(err).toMatchObject(fields);
  return err as LabError;
}

describe('incoming trust-based flow', () => {
  it('runs AS and TGS on-prem, follows the referral to Azure AD through the KDC proxy, and logs in', async () => {
    const { lab, alice, mi } = setup();
    expect(mi.spn).toBe('MSSQLSvc/mi1.abc123.database.windows.net:1433');
    const pc = lab.adJoinedClient(alice);
    const ctx = await pc.initSecurityContext(mi.spn);
    const session = mi.accept(ctx.token, pc.participant);
    expect(session.login).toBe('CONTOSO\\alice');
    expect(session.clientPrincipal).toBe('alice@CONTOSO.COM');
    // RFC 4120 section 3.3.3.2: the client's realm is never listed, so one hop transits nothing.
    expect(session.transited).toEqual([]);
    ctx.complete(session.responseToken!); // mutual authentication

    // The referral TGT is in the cache, as `klist get krbtgt/KERBEROS.MICROSOFTONLINE.COM` shows it.
    const referral = pc.kerberos.cache
      .all()
      .find((c) => c.server.name.nameString.join('/') === `krbtgt/${AZURE_AD_REALM}`);
    expect(referral?.server.realm).toBe('CONTOSO.COM');
    // The service ticket comes from the Azure AD realm, encrypted with etype 18.
    expect(ctx.ticket.server.realm).toBe(AZURE_AD_REALM);
    expect(ctx.ticket.ticket.encPart.etype).toBe(18);
    expect(ctx.ticket.endtime - (ctx.ticket.starttime ?? ctx.ticket.authtime)).toBeLessThanOrEqual(
      Duration.hour,
    );

    const flow = lab.trace.entries.map(
      (e) => `${e.from} -> ${e.to}: ${e.requestType} / ${e.replyType ?? e.error}`,
    );
    expect(flow).toEqual([
      'CONTOSO\\alice -> KDC CONTOSO.COM: AS-REQ / KRB-ERROR',
      'CONTOSO\\alice -> KDC CONTOSO.COM: AS-REQ / AS-REP',
      'CONTOSO\\alice -> KDC CONTOSO.COM: TGS-REQ / TGS-REP',
      'CONTOSO\\alice -> KDC KERBEROS.MICROSOFTONLINE.COM (via KDC proxy): TGS-REQ / TGS-REP',
      'CONTOSO\\alice -> mi1: AP-REQ (SPNEGO) / AP-REP (SPNEGO)',
    ]);
    const mermaid = lab.trace.toMermaid();
    expect(mermaid).toMatch(/^sequenceDiagram/);
    expect(mermaid).toContain('KDC KERBEROS.MICROSOFTONLINE.COM (via KDC proxy)');
  });

  it("hears each KDC's request events through onRequest, named by realm, with the tenant's own use of them kept", async () => {
    const heard: string[] = [];
    const lab = createAzureSqlMiLab({
      onPremRealm: 'CONTOSO.COM',
      seed: 7,
      clock: new ManualClock(Date.UTC(2026, 0, 5, 9)),
      onRequest: (realm, e) =>
        heard.push(`${realm}: ${e.msgType} ${e.client} -> ${e.errorName ?? e.outcome}`),
    });
    const alice = lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
    const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
    mi.enableWindowsAuthenticationPrerequisites();
    lab.setupCloudTrust();
    await lab.adJoinedClient(alice).initSecurityContext(mi.spn);
    expect(heard).toEqual([
      'CONTOSO.COM: AS-REQ alice@CONTOSO.COM -> KDC_ERR_PREAUTH_REQUIRED',
      'CONTOSO.COM: AS-REQ alice@CONTOSO.COM -> AS-REP',
      `CONTOSO.COM: TGS-REQ alice@CONTOSO.COM -> TGS-REP (referral to ${AZURE_AD_REALM})`,
      `${AZURE_AD_REALM}: TGS-REQ alice@CONTOSO.COM -> TGS-REP`,
    ]);
    // The tenant still reads the SID filtering of the referred PAC from the same events.
    expect(lab.tenant.lastSidFilter).toMatchObject({ client: 'alice@CONTOSO.COM', removed: [] });
  });

  it('maps logins by authentication metadata mode, and refuses users without one (18456)', async () => {
    for (const [mode, login] of [
      ['AzureAD', 'alice@contoso.com'],
      ['Windows', 'CONTOSO\\alice'],
      ['Paired', 'CONTOSO\\alice'],
    ] as const) {
      const { lab, alice, mi } = setup({ mode });
      const ctx = await lab.adJoinedClient(alice).initSecurityContext(mi.spn);
      expect(mi.accept(ctx.token).login).toBe(login);
    }
    // Paired mode's order is inferred, and configurable: the Azure AD login first when asked.
    const paired = setup({ mode: 'Paired' });
    paired.mi.pairedLoginOrder = 'azure-first';
    const first = await paired.lab.adJoinedClient(paired.alice).initSecurityContext(paired.mi.spn);
    expect(paired.mi.accept(first.token).login).toBe('alice@contoso.com');
    const { lab, mi } = setup();
    const bob = lab.onPrem.addUser('bob', { password: 'hunter2 hunter2' });
    const ctx = await lab.adJoinedClient(bob).initSecurityContext(mi.spn);
    expect(() => mi.accept(ctx.token)).toThrow(
      expect.objectContaining({ sqlError: SqlErrorNumber.LOGIN_FAILED, windowsStatus: undefined }),
    );
  });

  it('reports SQL SPN not found (0x6fb) without the cloud trust, or before the instance is enabled', async () => {
    const { lab, alice, mi } = setup({ trust: false });
    await expectLabError(lab.adJoinedClient(alice).initSecurityContext(mi.spn), {
      code: ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
      windowsStatus: WindowsStatus.SPN_NOT_FOUND,
    });
    const mi2 = lab.addManagedInstance({ name: 'mi2', dnsZone: 'abc123', subnet: '10.0.1.0/24' });
    mi2.configureAzureAdAuthentication().enableSystemAssignedServicePrincipal(); // no admin consent
    lab.setupCloudTrust();
    expect(mi2.missingPrerequisites).toEqual(['admin consent granted to "mi2 principal"']);
    await expectLabError(lab.adJoinedClient(alice).initSecurityContext(mi2.spn), {
      windowsStatus: WindowsStatus.SPN_NOT_FOUND,
    });
    mi2.grantAdminConsent();
    await expect(lab.adJoinedClient(alice).initSecurityContext(mi2.spn)).resolves.toBeDefined();
  });

  it('names the missing client prerequisite', async () => {
    const { lab, alice, mi } = setup();
    await expectLabError(
      lab.adJoinedClient(alice, { os: 'Windows Server 2008 R2' }).initSecurityContext(mi.spn),
      {
        prerequisite:
          'Windows Server 2012 or later, or Windows 10 or later (this client runs Windows Server 2008 R2)',
      },
    );
    await expectLabError(lab.adJoinedClient(alice, { lineOfSightToDc: false }).initSecurityContext(mi.spn), {
      prerequisite: 'line of sight to a domain controller',
      windowsStatus: WindowsStatus.NO_LOGON_SERVERS,
    });
    await expectLabError(lab.adJoinedClient(alice, { kdcProxyPolicy: false }).initSecurityContext(mi.spn), {
      prerequisite: `KDC proxy mapping for ${AZURE_AD_REALM}`,
      windowsStatus: WindowsStatus.NO_LOGON_SERVERS,
    });
    const old = createAzureSqlMiLab({ domainFunctionalLevel: 2008 });
    const u = old.onPrem.addUser('u', { password: 'p4ssw0rd!' });
    await expectLabError(
      old.adJoinedClient(u).initSecurityContext('MSSQLSvc/x.y.database.windows.net:1433'),
      {
        prerequisite: 'domain functional level 2012 or higher (contoso.com is at 2008)',
      },
    );
    lab.azureAdConnect = false;
    const carol = lab.onPrem.addUser('carol', { password: 'p4ssw0rd!' });
    await expectLabError(lab.adJoinedClient(carol).initSecurityContext(mi.spn), {
      prerequisite: 'Azure AD Connect sync of carol@contoso.com to the tenant',
    });
  });

  it('refuses Redirect connections with login error 18452', async () => {
    const { lab, alice, mi } = setup();
    const ctx = await lab.adJoinedClient(alice).initSecurityContext(mi.spn);
    mi.connectionType = 'Redirect';
    expect(() => mi.accept(ctx.token)).toThrow(
      expect.objectContaining({
        sqlError: SqlErrorNumber.LOGIN_UNTRUSTED_DOMAIN,
        reason: 'redirect-connection',
      }),
    );
  });

  it('answers a conditional access policy on the instance with 0x52f', async () => {
    const { lab, alice, mi } = setup();
    lab.tenant.addConditionalAccessPolicy(mi.spn);
    await expectLabError(lab.adJoinedClient(alice).initSecurityContext(mi.spn), {
      code: ErrorCode.KDC_ERR_POLICY,
      windowsStatus: WindowsStatus.ACCOUNT_RESTRICTION,
    });
    // The wire code is inferred, and configurable; Windows reports 0x52f all the same.
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 9));
    const other = createAzureSqlMiLab({
      clock,
      conditionalAccessErrorCode: ErrorCode.KDC_ERR_CLIENT_REVOKED,
    });
    const bob = other.onPrem.addUser('bob', { password: 'correct horse battery staple' });
    const mi2 = other.addManagedInstance({ name: 'mi2', dnsZone: 'abc123', subnet: '10.0.1.0/24' });
    mi2.enableWindowsAuthenticationPrerequisites();
    other.setupCloudTrust();
    other.tenant.addConditionalAccessPolicy(mi2.spn);
    await expectLabError(other.adJoinedClient(bob).initSecurityContext(mi2.spn), {
      code: ErrorCode.KDC_ERR_CLIENT_REVOKED,
      windowsStatus: WindowsStatus.ACCOUNT_RESTRICTION,
    });
  });

  it('never lets the trust run the other way', async () => {
    const { lab } = setup();
    lab.onPrem.realm.addService('host/server.contoso.com', { password: 'svc pass 1' });
    lab.addCloudUser('dave@fabrikam.onmicrosoft.com');
    const cloudPc = lab.azureAdJoinedClient(lab.tenant.user('dave@fabrikam.onmicrosoft.com')!);
    await cloudPc.signIn();
    const err = await cloudPc.initSecurityContext('host/server.contoso.com').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KerberosError);
    expect((err as KerberosError).code).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
    // By keys too: the tenant's realm holds no key that CONTOSO.COM's KDC would accept.
    expect(lab.tenant.realm.lookup(`krbtgt/CONTOSO.COM@${AZURE_AD_REALM}`)).toBeUndefined();
    expect(lab.tenant.realm.lookup('krbtgt/CONTOSO.COM')).toBeUndefined();
  });
});

describe('the directory: SIDs and groups', () => {
  it("gives on-prem users and groups SIDs under the domain's, and syncs the user's SID to the tenant", () => {
    const { lab, alice } = setup();
    const domain = lab.onPrem.domainSid;
    expect(domain).toMatch(/^S-1-5-21-\d+-\d+-\d+$/);
    expect(alice.sid).toMatch(new RegExp(`^${domain}-\\d+$`));
    const admins = lab.onPrem.addGroup('SqlAdmins');
    expect(admins.startsWith(`${domain}-`)).toBe(true);
    lab.onPrem.addGroupMember('SqlAdmins', 'alice');
    const rid = Number(admins.split('-').at(-1));
    expect(lab.onPrem.realm.directory.tokenGroups('alice').groups.map((g) => g.relativeId)).toContain(rid);
    // Azure AD Connect carries the on-prem SID (onPremisesSecurityIdentifier) to the cloud user.
    expect(lab.tenant.users.get('alice@contoso.com')?.onPremises?.securityIdentifier).toBe(alice.sid);
    // A group scope AD refuses to nest is refused here too.
    lab.onPrem.addGroup('Everyone', { scope: 'universal' });
    expect(() => lab.onPrem.addGroupMember('SqlAdmins', 'Everyone')).toThrow(KerberosError);
  });
});

describe("the tenant's inferred policy, configurable", () => {
  it('takes tenantPolicy over the defaults (permitted etypes 18 and 17)', () => {
    expect(createAzureSqlMiLab().tenant.realm.policy.permittedEncTypes).toEqual([18, 17]);
    const lab = createAzureSqlMiLab({ tenantPolicy: { permittedEncTypes: [18] } });
    expect(lab.tenant.realm.policy.permittedEncTypes).toEqual([18]);
    // The rest of the tenant's policy stays as it was.
    expect(lab.tenant.realm.policy.renewsTickets).toBe(
      createAzureSqlMiLab().tenant.realm.policy.renewsTickets,
    );
  });
});

describe('the Azure AD Kerberos server object', () => {
  it('keeps KeyVersion equal to CloudKeyVersion, RODC-style, and rotates at most once a day unless forced', async () => {
    const { lab, clock, alice, mi } = setup();
    const info = lab.getAzureAdKerberosServer()!;
    expect(info.userAccount).toBe('krbtgt_AzureAD');
    expect(info.computerAccount).toBe('CN=AzureADKerberos,OU=Domain Controllers,DC=contoso,DC=com');
    // The object is there on-prem: a computer account, AzureADKerberos$, beside the disabled krbtgt_AzureAD.
    expect(lab.onPrem.realm.lookup('AzureADKerberos$')?.name.nameString).toEqual(['AZUREADKERBEROS$']);
    expect(lab.onPrem.realm.lookup('krbtgt_AzureAD')?.disabled).toBe(true);
    expect(info.keyVersion).toBe(info.cloudKeyVersion);
    expect(info.keyVersion >>> 16).toBe(info.id);
    expect(info.keyVersion & 0xffff).toBe(1);
    expect(info.topLevelNames).toEqual(['windows.net']);
    expect(() => lab.rotateServerKey()).toThrow(/less than 24 hours ago/);
    clock.advance(Duration.day);
    const rotated = lab.rotateServerKey();
    expect(rotated.keyVersion & 0xffff).toBe(2);
    expect(rotated.cloudKeyVersion).toBe(rotated.keyVersion);
    expect(lab.rotateServerKey({ force: true }).keyVersion & 0xffff).toBe(3);
    const ctx = await lab.adJoinedClient(alice).initSecurityContext(mi.spn);
    expect(mi.accept(ctx.token).login).toBe('CONTOSO\\alice');
  });

  it('breaks referrals with KRB_AP_ERR_MODIFIED when the cloud misses a rotation', async () => {
    const { lab, alice, mi } = setup();
    const info = lab.rotateServerKey({ force: true, skipCloudUpdate: true });
    expect(info.keyVersion).not.toBe(info.cloudKeyVersion);
    const err = await lab
      .adJoinedClient(alice)
      .initSecurityContext(mi.spn)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.KRB_AP_ERR_MODIFIED, realm: AZURE_AD_REALM });
  });

  it('setupCloudTrust refused by an account it would make leaves nothing behind: a retry gives the same clear refusal', () => {
    const { lab } = setup({ trust: false });
    lab.onPrem.addUser('krbtgt_AzureAD', { password: 'Squ4tter-Passw0rd' });
    const attempt = () => {
      try {
        lab.setupCloudTrust();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    for (let i = 0; i < 2; i++) {
      const e = attempt();
      expect(e).toBeInstanceOf(LabError);
      expect(e).toMatchObject({ reason: 'cloud-trust-refused', realm: 'CONTOSO.COM' });
      expect((e as Error).message).toBe(
        'Set-AzureADKerberosServer -SetupCloudTrust failed: krbtgt_AzureAD already exists in CONTOSO.COM',
      );
    }
    // Neither the computer object nor its account was made, nor a trust.
    expect(lab.onPrem.realm.directory.account('AzureADKerberos$')).toBeUndefined();
    expect(lab.onPrem.realm.lookup('AzureADKerberos$')).toBeUndefined();
    expect(lab.cloudTrust).toBeUndefined();
  });

  it('setupCloudTrust again: the same top-level names return the trust there is, others are refused', () => {
    const { lab } = setup({ trust: false });
    const trust = lab.setupCloudTrust();
    expect(lab.setupCloudTrust()).toBe(trust);
    expect(lab.setupCloudTrust({ topLevelNames: ['WINDOWS.NET.'] })).toBe(trust);
    let refused: unknown;
    try {
      lab.setupCloudTrust({ topLevelNames: ['windows.net', 'contoso-cloud.net'] });
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(LabError);
    expect(refused).toMatchObject({ reason: 'cloud-trust-refused', realm: 'CONTOSO.COM' });
    expect((refused as Error).message).toBe(
      'the cloud trust of CONTOSO.COM exists already, with top-level names windows.net: it claims no windows.net, contoso-cloud.net (set the names up once, in a new lab)',
    );
    // Nothing changed: the trust still claims what it did.
    expect(lab.cloudTrust).toBe(trust);
    expect(lab.getAzureAdKerberosServer()!.topLevelNames).toEqual(['windows.net']);
    const custom = setup({ trust: false }).lab;
    const own = custom.setupCloudTrust({ topLevelNames: ['example.net'] });
    expect(custom.setupCloudTrust({ topLevelNames: ['example.net'] })).toBe(own);
    expect(() => custom.setupCloudTrust()).toThrow(
      /with top-level names example\.net: it claims no windows\.net/,
    );
  });

  it("a hybrid-joined client sends a host under the trust's own top-level names to Azure AD", async () => {
    const { lab, alice } = setup({ trust: false });
    lab.setupCloudTrust({ topLevelNames: ['example.net'] });
    const pc = lab.hybridJoinedClient(alice);
    await pc.signIn();
    // From the cloud TGT, straight to Azure AD (which holds no such service): the domain is not asked.
    const since = lab.trace.nextSeq;
    const e = await pc.initSecurityContext('HTTP/app.example.net').then(
      () => undefined,
      (x: unknown) => x as { realm?: string },
    );
    expect(e?.realm).toBe('KERBEROS.MICROSOFTONLINE.COM');
    const asked = lab.trace.entries
      .filter((x) => x.seq >= since && x.requestType === 'TGS-REQ')
      .map((x) => x.to);
    expect(asked).toEqual(['KDC KERBEROS.MICROSOFTONLINE.COM (via KDC proxy)']);
  });

  it('fails setup when another trust already claims windows.net', () => {
    const { lab } = setup({ trust: false });
    const other = new Realm({ name: 'OTHER.EXAMPLE', clock: lab.clock });
    const colliding = createTrust({
      trusting: other,
      trusted: lab.onPrem.realm,
      direction: 'one-way',
      kind: 'forest',
      topLevelNames: ['windows.net'],
      password: 'trust pass',
    });
    const refused = (): unknown => {
      try {
        lab.setupCloudTrust();
      } catch (e) {
        return e;
      }
      throw new Error('set up');
    };
    // Refused the same way twice: the first attempt left nothing behind.
    for (let i = 0; i < 2; i++) {
      const e = refused();
      expect(e).toBeInstanceOf(LabError);
      expect(e).toMatchObject({ reason: 'cloud-trust-refused', code: ErrorCode.KRB_ERR_GENERIC });
      expect((e as Error).message).toMatch(
        /^Set-AzureADKerberosServer -SetupCloudTrust failed: Collision setting top level names on trust KERBEROS.MICROSOFTONLINE.COM/,
      );
      expect(lab.onPrem.realm.lookup('krbtgt_AzureAD')).toBeUndefined();
      expect(lab.onPrem.realm.lookup('AzureADKerberos$')).toBeUndefined();
    }
    // Once the other trust is gone, setup succeeds.
    colliding.remove();
    expect(lab.setupCloudTrust().info().userAccount).toBe('krbtgt_AzureAD');
  });
});

describe('managed instances', () => {
  it('enables only one instance per subnet for Windows authentication', () => {
    const { lab } = setup();
    const mi2 = lab.addManagedInstance({ name: 'mi2', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
    expect(() => mi2.enableWindowsAuthenticationPrerequisites()).toThrow(
      /only one managed instance per subnet/,
    );
    expect(mi2.windowsAuthenticationEnabled).toBe(false);
    const mi3 = lab.addManagedInstance({ name: 'mi3', dnsZone: 'abc123', subnet: '10.0.2.0/24' });
    expect(mi3.enableWindowsAuthenticationPrerequisites().windowsAuthenticationEnabled).toBe(true);
  });

  it('uses the sovereign cloud suffix for the SPN', () => {
    const lab = createAzureSqlMiLab({ cloud: 'AzureChinaCloud' });
    expect(lab.addManagedInstance({ name: 'mi', dnsZone: 'z1', subnet: '10.1.0.0/24' }).spn).toBe(
      'MSSQLSvc/mi.z1.database.chinacloudapi.cn:1433',
    );
  });
});

describe('modern interactive flow', () => {
  it('gets the cloud TGT with the PRT and the service ticket through the KDC proxy only', async () => {
    const { lab, alice, mi } = setup({ trust: false, mode: 'AzureAD' });
    const pc = lab.azureAdJoinedClient(alice);
    await pc.signIn();
    const tgt = pc.cloudTgt!;
    expect(tgt.server).toMatchObject({
      realm: AZURE_AD_REALM,
      name: { nameString: ['krbtgt', AZURE_AD_REALM] },
    });
    expect(tgt.sessionKey.etype).toBe(18);
    expect(tgt.flags & TicketFlags.forwardable).not.toBe(0);
    expect(tgt.flags & TicketFlags['name-canonicalize']).not.toBe(0);
    expect(tgt.endtime - tgt.authtime).toBe(10 * Duration.hour);
    const ctx = await pc.initSecurityContext(mi.spn);
    const session = mi.accept(ctx.token, pc.participant);
    expect(session.login).toBe('alice@contoso.com');
    expect(session.clientPrincipal).toBe(`alice\\@contoso.com@${AZURE_AD_REALM}`);
    // No on-prem KDC traffic at all.
    expect(lab.trace.entries.every((e) => !e.to.includes('CONTOSO.COM'))).toBe(true);
    expect(lab.trace.entries.filter((e) => e.transport === 'kkdcp').map((e) => e.requestType)).toEqual([
      'TGS-REQ',
    ]);
    // Azure AD does not renew TGTs.
    await expect(pc.kerberos.renew(tgt)).rejects.toBeInstanceOf(KerberosError);
  });

  it('has no cloud TGT for up to 4 hours after the policy is turned on, unless the PRT is refreshed', async () => {
    const { lab, clock, alice, mi } = setup({ mode: 'AzureAD' });
    const pc = lab.azureAdJoinedClient(alice, { cloudKerberosTicketRetrievalEnabled: false });
    await pc.signIn();
    pc.cloudKerberosTicketRetrievalEnabled = true; // the upgrade
    await expectLabError(pc.initSecurityContext(mi.spn), { code: ErrorCode.KRB_AP_ERR_NO_TGT });
    pc.requestPrtRefresh(); // dsregcmd.exe /RefreshPrt
    await pc.lockUnlock();
    await expect(pc.initSecurityContext(mi.spn)).resolves.toBeDefined();

    const later = lab.azureAdJoinedClient(alice, { cloudKerberosTicketRetrievalEnabled: false });
    await later.signIn();
    later.cloudKerberosTicketRetrievalEnabled = true;
    clock.advance(4 * Duration.hour - 1);
    await expectLabError(later.initSecurityContext(mi.spn), { code: ErrorCode.KRB_AP_ERR_NO_TGT });
    clock.advance(1);
    await expect(later.initSecurityContext(mi.spn)).resolves.toBeDefined();
  });

  it("refreshes the PRT every 4 hours by the client's own clock, whatever the tenant's clock says", async () => {
    const { lab, alice, mi } = setup({ mode: 'AzureAD' });
    const pc = lab.azureAdJoinedClient(alice);
    await pc.signIn();
    const prtRequests = () => lab.trace.entries.filter((e) => e.requestType === 'PRT request').length;
    expect(prtRequests()).toBe(1);
    // Only the client's clock moves on, four hours and a minute: one refresh, then none for four hours
    // (the service tickets themselves fail on the skew, which is not what is counted here).
    lab.clockOf('client').skewMs = 4 * Duration.hour + Duration.minute;
    for (let i = 0; i < 3; i++) await pc.initSecurityContext(mi.spn).catch(() => undefined);
    expect(prtRequests()).toBe(2);
  });

  it('names the missing prerequisite', async () => {
    const { lab, alice, mi } = setup({ mode: 'AzureAD' });
    await expectLabError(
      lab.azureAdJoinedClient(alice, { os: 'Windows 10 20H2' }).initSecurityContext(mi.spn),
      {
        prerequisite: 'Windows 10 21H1 or later (this client runs Windows 10 20H2)',
      },
    );
    // The facts name client releases only: a server release does not take the flow, however recent.
    for (const os of ['Windows Server 2022', 'Windows Server 2019']) {
      expect(lab.azureAdJoinedClient(alice, { os }).missingPrerequisites()).toEqual([
        `Windows 10 21H1 or later (this client runs ${os})`,
      ]);
    }
    expect(lab.azureAdJoinedClient(alice, { os: 'Windows 11' }).missingPrerequisites()).toEqual([]);
    const svc = lab.azureAdJoinedClient(alice, { interactive: false });
    await expectLabError(svc.initSecurityContext(mi.spn), {
      prerequisite:
        'an interactive session (the modern interactive flow does not work for applications running as a service)',
    });
  });

  it('hands the device a cloud TGT that decrypts only with the key the PRT response sealed', async () => {
    const { lab, alice } = setup({ trust: false });
    const pc = lab.azureAdJoinedClient(alice);
    await pc.signIn();
    const tgt = pc.cloudTgt!;
    const krbtgtKey = lab.tenant.realm.keysFor(`krbtgt/${AZURE_AD_REALM}`)[0]!;
    const enc = decodeEncTicketPart(
      decrypt(krbtgtKey, KeyUsage.KDC_REP_TICKET, decodeTicket(tgt.ticketDer).encPart.cipher),
    );
    expect(enc.key.keyvalue).toEqual(tgt.sessionKey.bytes);
    expect(enc.crealm).toBe(AZURE_AD_REALM);
  });
});

describe('determinism', () => {
  it('produces the same bytes for the same seed, and different bytes for another', async () => {
    const run = async (seed: number) => {
      const { lab, alice, mi } = setup({ seed });
      const ctx = await lab.adJoinedClient(alice).initSecurityContext(mi.spn);
      mi.accept(ctx.token);
      return lab.trace.entries.map((e) => Buffer.from(e.request).toString('hex')).join('|');
    };
    const a = await run(11);
    expect(await run(11)).toBe(a);
    expect(await run(12)).not.toBe(a);
  });
});

describe('the KDC proxy behind login.microsoftonline.com', () => {
  it('takes a tenant id in upper case (a GUID has no case) and refuses one that is no GUID', async () => {
    const upper = '0D9B8C3E-1111-4222-8333-444455556666';
    for (const flow of ['trust', 'modern'] as const) {
      const qs = createAzureSqlMiLab.quickStart({ seed: 7, tenantId: upper, flow });
      expect(qs.lab.tenant.tenantId).toBe(upper.toLowerCase());
      expect((await qs.connect()).login, flow).toBe('CONTOSO\\alice');
    }
    for (const bad of ['contoso.onmicrosoft.com', '', `${upper}0`]) {
      expect(() => createAzureSqlMiLab({ tenantId: bad })).toThrow(
        new RangeError(
          `tenantId must be a GUID like 6f1c2a9e-0b7d-4c35-9a4e-2d5b8c7f1e30, got ${JSON.stringify(bad)}`,
        ),
      );
    }
  });

  it('forwards to the Azure AD KDC whatever the case of target-domain (MS-KKDCP 2.2.2)', async () => {
    const { lab, clock } = setup({ mode: 'AzureAD' });
    const asReq = encodeAsReq({
      pvno: 5,
      msgType: 10,
      reqBody: {
        kdcOptions: 0,
        cname: { nameType: 10, nameString: ['alice@contoso.com'] },
        realm: AZURE_AD_REALM,
        sname: { nameType: 2, nameString: ['krbtgt', AZURE_AD_REALM] },
        till: clock.now() + Duration.hour,
        nonce: 7,
        etype: [18],
      },
    });
    const replies: Uint8Array[] = [];
    for (const targetDomain of [
      AZURE_AD_REALM,
      'kerberos.microsoftonline.com',
      'Kerberos.MicrosoftOnline.com',
    ]) {
      // Before the fix, the two spellings other than the realm's own were "does not serve realm".
      const body = encodeKdcProxyMessage({ kerbMessage: frameTcp(asReq), targetDomain });
      const out = await lab.postToKdcProxy(lab.tenant.kdcProxyUrl, body);
      replies.push(unframeKerbMessage(decodeKdcProxyMessage(out).kerbMessage));
    }
    // The tenant's KDC answered each, alike: the request reached it unchanged.
    expect(decodeKrbError(replies[0]!)).toMatchObject({
      realm: AZURE_AD_REALM,
      errorCode: ErrorCode.KDC_ERR_PREAUTH_REQUIRED,
    });
    expect(replies[1]).toEqual(replies[0]);
    expect(replies[2]).toEqual(replies[0]);
    // Another realm is still not served.
    const body = encodeKdcProxyMessage({ kerbMessage: frameTcp(asReq), targetDomain: 'contoso.com' });
    await expect(lab.postToKdcProxy(lab.tenant.kdcProxyUrl, body)).rejects.toThrow(
      /the KDC proxy does not serve realm contoso\.com/,
    );
  });
});
