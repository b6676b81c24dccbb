/**
 * Each mistake a test author makes on the way to a token the instance
 * accepts gives an error that names the missing step: the stable `reason`,
 * the Win32 status and the SQL error in their own fields, and a message
 * that names the lab call that fixes it.
 */

import {
  type AuthenticationMetadataMode,
  AZURE_AD_REALM,
  createAzureSqlMiLab,
  LabError,
  SqlErrorNumber,
  WindowsStatus,
} from '@krbsim/azure';
import { ErrorCode, KerberosError } from '@krbsim/core';
import { describe, expect, it } from 'vitest';

function setup(
  o: {
    trust?: boolean;
    consent?: boolean;
    mode?: AuthenticationMetadataMode;
    login?: 'windows' | 'azure' | 'none';
  } = {},
) {
  const lab = createAzureSqlMiLab({ seed: 3 });
  const alice = lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
  const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
  if (o.consent === false) mi.configureAzureAdAuthentication().enableSystemAssignedServicePrincipal();
  else mi.enableWindowsAuthenticationPrerequisites();
  mi.authenticationMetadata = o.mode ?? 'Windows';
  if (o.login === 'azure') mi.createLogin('alice@contoso.com', 'EXTERNAL PROVIDER');
  else if (o.login !== 'none') mi.createLogin('CONTOSO\\alice', 'WINDOWS');
  if (o.trust !== false) lab.setupCloudTrust();
  return { lab, alice, mi };
}

async function labError(p: Promise<unknown> | (() => unknown)): Promise<LabError> {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(LabError);
  return err as LabError;
}

describe('an error that names the missing step', () => {
  it('no setupCloudTrust(): the trust flow says so, not "register the SPN"', async () => {
    const { lab, alice, mi } = setup({ trust: false });
    const e = await labError(lab.adJoinedClient(alice).initSecurityContext(mi.spn));
    expect(e).toMatchObject({
      reason: 'cloud-trust-missing',
      code: ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
      windowsStatus: WindowsStatus.SPN_NOT_FOUND,
      sqlError: undefined,
      realm: 'CONTOSO.COM',
      prerequisite: 'Set-AzureADKerberosServer -SetupCloudTrust',
    });
    expect(e.message).toBe(
      'SQL SPN not found (0x6fb): CONTOSO.COM has no trust to refer MSSQLSvc/mi1.abc123.database.windows.net:1433 ' +
        'to KERBEROS.MICROSOFTONLINE.COM: run lab.setupCloudTrust() (Set-AzureADKerberosServer -SetupCloudTrust) ' +
        'before the incoming trust-based flow',
    );
    expect(e.message).not.toMatch(/setspn|addprinc/);
    // The KDC's own answer is kept as the cause.
    expect(e.cause).toBeInstanceOf(KerberosError);
  });

  it('missing admin consent: both flows name it, with a prerequisite, and the call that grants it', async () => {
    const { lab, alice, mi } = setup({ consent: false });
    const trust = await labError(lab.adJoinedClient(alice).initSecurityContext(mi.spn));
    const cloudPc = lab.azureAdJoinedClient(alice);
    await cloudPc.signIn();
    const modern = await labError(cloudPc.initSecurityContext(mi.spn));
    for (const e of [trust, modern]) {
      expect(e).toMatchObject({
        reason: 'admin-consent-missing',
        windowsStatus: WindowsStatus.SPN_NOT_FOUND,
        prerequisite: 'admin consent granted to "mi1 principal"',
        realm: 'KERBEROS.MICROSOFTONLINE.COM',
      });
      expect(e.message).toContain('mi1 is enabled for Windows authentication');
      expect(e.message).toContain('call mi.grantAdminConsent()');
    }
    mi.grantAdminConsent();
    await expect(lab.adJoinedClient(alice).initSecurityContext(mi.spn)).resolves.toBeDefined();
  });

  it('another missing instance prerequisite is named with its own call', async () => {
    const lab = createAzureSqlMiLab({ seed: 3 });
    const alice = lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
    const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
    mi.configureAzureAdAuthentication();
    lab.setupCloudTrust();
    const e = await labError(lab.adJoinedClient(alice).initSecurityContext(mi.spn));
    expect(e).toMatchObject({
      reason: 'instance-prerequisite-missing',
      prerequisite: 'system-assigned service principal enabled',
    });
    expect(e.message).toContain('call mi.enableSystemAssignedServicePrincipal()');
  });

  it('an SPN no step explains stays "spn-not-found"', async () => {
    const { lab, alice } = setup();
    const e = await labError(
      lab.adJoinedClient(alice).initSecurityContext('MSSQLSvc/nope.abc123.database.windows.net:1433'),
    );
    expect(e).toMatchObject({ reason: 'spn-not-found', windowsStatus: WindowsStatus.SPN_NOT_FOUND });
    expect(e.prerequisite).toBeUndefined();
  });

  it.each([
    [
      'Windows',
      'azure',
      'the login [alice@contoso.com] FROM EXTERNAL PROVIDER would admit alice@CONTOSO.COM',
      "mi.createLogin('CONTOSO\\alice', 'WINDOWS')",
    ],
    [
      'AzureAD',
      'windows',
      'the login [CONTOSO\\alice] FROM WINDOWS would admit alice@CONTOSO.COM',
      "mi.createLogin('alice@contoso.com', 'EXTERNAL PROVIDER')",
    ],
  ] as const)(
    'a login that does not match the %s mode says which login would',
    async (mode, login, says, would) => {
      const { lab, alice, mi } = setup({ mode, login });
      const ctx = await lab.adJoinedClient(alice).initSecurityContext(mi.spn);
      const e = await labError(() => mi.accept(ctx.token));
      expect(e).toMatchObject({
        reason: 'login-mode-mismatch',
        sqlError: SqlErrorNumber.LOGIN_FAILED,
        windowsStatus: undefined,
        login: 'CONTOSO\\alice',
      });
      expect(e.message).toContain("Login failed for user 'CONTOSO\\alice' (error 18456)");
      expect(e.message).toContain(says);
      expect(e.message).toContain(`authentication metadata mode is ${mode}`);
      expect(e.message).toContain("set mi.authenticationMetadata = 'Paired'");
      expect(e.message).toContain(would);
    },
  );

  it('no login at all: 18456, and which login would admit the user', async () => {
    const { lab, alice, mi } = setup({ login: 'none' });
    const ctx = await lab.adJoinedClient(alice).initSecurityContext(mi.spn);
    const e = await labError(() => mi.accept(ctx.token));
    expect(e).toMatchObject({ reason: 'login-not-found', sqlError: SqlErrorNumber.LOGIN_FAILED });
    expect(e.message).toContain("mi.createLogin('CONTOSO\\alice', 'WINDOWS') would admit it");
  });

  it('a cloud-only user with no login: the suggestion is a login that can be made, and it admits the user', async () => {
    for (const mode of ['Windows', 'Paired'] as const) {
      const qs = createAzureSqlMiLab.quickStart({ seed: 7, authenticationMetadata: mode });
      const dave = qs.lab.addCloudUser('dave@contoso.onmicrosoft.com');
      const pc = qs.lab.azureAdJoinedClient(dave);
      const e = await labError(async () =>
        qs.instance.accept((await pc.initSecurityContext(qs.instance.spn)).token),
      );
      expect(e).toMatchObject({ reason: 'login-not-found', sqlError: SqlErrorNumber.LOGIN_FAILED });
      expect(e.message, mode).toContain(
        "mi.createLogin('dave@contoso.onmicrosoft.com', 'EXTERNAL PROVIDER')",
      );
      expect(e.message, mode).not.toContain("'WINDOWS'");
      // What it says, done, admits dave.
      if (mode === 'Windows') qs.instance.authenticationMetadata = 'Paired';
      qs.instance.createLogin('dave@contoso.onmicrosoft.com', 'EXTERNAL PROVIDER');
      const session = qs.instance.accept((await pc.initSecurityContext(qs.instance.spn)).token);
      expect(session.login, mode).toBe('dave@contoso.onmicrosoft.com');
    }
  });

  it('mi.accept(undefined) is a TypeError naming the argument, before anything is traced', async () => {
    const { lab, mi } = setup();
    const before = lab.trace.nextSeq;
    const accept = mi.accept.bind(mi) as (token: unknown) => unknown;
    expect(() => accept(undefined)).toThrow(TypeError);
    expect(() => accept(undefined)).toThrow(
      "mi.accept(token): token must be a Uint8Array (the client's security token, e.g. ctx.token from initSecurityContext), got undefined",
    );
    expect(() => accept(Promise.resolve())).toThrow('got a Promise (missing await?)');
    expect(() => accept('YIIC')).toThrow('got a string');
    expect(() => accept({ token: new Uint8Array(1) })).toThrow('got an object (Object)');
    expect(lab.trace.nextSeq).toBe(before);
  });

  it('every other lab error carries a reason, and SQL numbers never land in windowsStatus', async () => {
    const { lab, mi } = setup();
    const e15401 = await labError(() => mi.createLogin('CONTOSO\\nobody', 'WINDOWS'));
    expect(e15401).toMatchObject({
      reason: 'windows-principal-not-found',
      sqlError: SqlErrorNumber.WINDOWS_PRINCIPAL_NOT_FOUND,
      windowsStatus: undefined,
    });
    const dup = await labError(() =>
      lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.9.0/24' }),
    );
    expect(dup.reason).toBe('instance-exists');
    const proxy = await labError(lab.postToKdcProxy('https://elsewhere/x', new Uint8Array(1)));
    expect(proxy).toMatchObject({
      reason: 'no-logon-servers',
      windowsStatus: WindowsStatus.NO_LOGON_SERVERS,
    });
    const noTrust = createAzureSqlMiLab();
    expect((await labError(() => noTrust.rotateServerKey())).reason).toBe('cloud-trust-missing');
  });

  it('an instance used before its prerequisites: accept and addSpn name what is missing', async () => {
    const lab = createAzureSqlMiLab({ seed: 3 });
    lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
    const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
    const accept = await labError(() => mi.accept(new Uint8Array([0x6e, 0x00])));
    expect(accept).toMatchObject({
      code: ErrorCode.KRB_AP_ERR_NOKEY,
      reason: 'windows-authentication-not-enabled',
      prerequisite: mi.missingPrerequisites[0],
    });
    expect(accept.message).toContain('mi1 is not enabled for Windows authentication: missing ');
    const spn = await labError(() => mi.addSpn('MSSQLSvc/127.0.0.1:14330'));
    expect(spn).toMatchObject({
      code: ErrorCode.KRB_ERR_GENERIC,
      reason: 'windows-authentication-not-enabled',
    });
    expect(spn.message).toContain(mi.missingPrerequisites.join('; '));
  });

  it('a user Azure AD Connect does not sync is not in the tenant', async () => {
    const lab = createAzureSqlMiLab({ seed: 3, azureAdConnect: false });
    const alice = lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
    const e = await labError(() => lab.azureAdJoinedClient(alice));
    expect(e).toMatchObject({
      code: ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN,
      reason: 'user-not-in-tenant',
      prerequisite: 'Azure AD Connect sync',
    });
    expect(e.message).toContain('lab.syncUser');
    lab.syncUser(alice);
    expect(lab.azureAdJoinedClient(alice).user.upn).toBe(alice.upn);
  });

  it('a realm the client has no route to is "no logon servers" (0x51f)', async () => {
    const { lab, alice } = setup();
    const cloudPc = lab.azureAdJoinedClient(alice);
    // An Azure AD-joined client reaches Azure AD through the KDC proxy, and no on-prem KDC at all.
    const e = await labError(
      cloudPc.kerberos.getInitialCredentials(`alice@${lab.onPrem.realm.name}`, {
        password: 'correct horse battery staple',
      }),
    );
    expect(e).toMatchObject({
      code: ErrorCode.KDC_ERR_SVC_UNAVAILABLE,
      reason: 'no-logon-servers',
      windowsStatus: WindowsStatus.NO_LOGON_SERVERS,
      realm: lab.onPrem.realm.name,
    });
  });

  it('an account the DC refuses is refused as Windows words it, from the NTSTATUS the DC gave', async () => {
    const { lab, mi } = setup();
    const bob = lab.onPrem.addUser('bob', { password: 'bob-Passw0rd', disabled: true });
    const carol = lab.onPrem.addUser('carol', { password: 'carol-Passw0rd', mustChangePassword: true });
    mi.createLogin('CONTOSO\\bob', 'WINDOWS');
    const disabled = await labError(lab.adJoinedClient(bob).initSecurityContext(mi.spn));
    expect(disabled).toMatchObject({
      reason: 'account-refused',
      code: ErrorCode.KDC_ERR_CLIENT_REVOKED,
      windowsStatus: WindowsStatus.ACCOUNT_DISABLED,
      realm: 'CONTOSO.COM',
    });
    expect(disabled.message).toMatch(
      /^the referenced account is currently disabled \(0x533\): .*is disabled \(STATUS_ACCOUNT_DISABLED\)/,
    );
    expect(disabled.cause).toMatchObject({ ntStatus: 0xc0000072 });
    const mustChange = await labError(lab.adJoinedClient(carol).initSecurityContext(mi.spn));
    expect(mustChange).toMatchObject({
      reason: 'account-refused',
      code: ErrorCode.KDC_ERR_KEY_EXPIRED,
      windowsStatus: WindowsStatus.PASSWORD_MUST_CHANGE,
    });
    // Enable-ADAccount: bob logs on again.
    lab.onPrem.setAccountEnabled('bob', true);
    const ctx = await lab.adJoinedClient(bob).initSecurityContext(mi.spn);
    expect(mi.accept(ctx.token).clientPrincipal).toBe('bob@CONTOSO.COM');
    expect(() => lab.onPrem.setAccountEnabled('nobody', false)).toThrow(/no user nobody in CONTOSO\.COM/);
  });

  it('a user disabled on-prem, synced so, gets no PRT nor cloud TGT; a hybrid sign-in is refused as Windows words it', async () => {
    const qs = createAzureSqlMiLab.quickStart({ seed: 7, flow: 'modern' });
    const lab = qs.lab;
    lab.onPrem.setAccountEnabled('alice', false);
    expect(lab.tenant.user(qs.user.upn)?.accountEnabled).toBe(false);
    const refused = {
      reason: 'account-refused',
      code: ErrorCode.KDC_ERR_CLIENT_REVOKED,
      windowsStatus: WindowsStatus.ACCOUNT_DISABLED,
    };
    const cloudPc = lab.azureAdJoinedClient(qs.user);
    const e = await labError(cloudPc.signIn());
    expect(e).toMatchObject({ ...refused, realm: AZURE_AD_REALM });
    expect(e.message).toContain('AADSTS50057');
    expect(cloudPc.cloudTgt).toBeUndefined();
    // Refused at the domain controller first (the cause keeps the DC's NTSTATUS).
    const hybrid = await labError(lab.hybridJoinedClient(qs.user).signIn());
    expect(hybrid).toMatchObject({ ...refused, realm: 'CONTOSO.COM' });
    expect(hybrid.cause).toMatchObject({ ntStatus: 0xc0000072 });
    // Enable-ADAccount, synced at once: both sign in again.
    lab.onPrem.setAccountEnabled('alice', true);
    expect(lab.tenant.user(qs.user.upn)?.accountEnabled).toBeUndefined();
    await cloudPc.signIn();
    expect(qs.instance.accept((await cloudPc.initSecurityContext(qs.instance.spn)).token).login).toBe(
      'CONTOSO\\alice',
    );
    await lab.hybridJoinedClient(qs.user).signIn();
  });
});
