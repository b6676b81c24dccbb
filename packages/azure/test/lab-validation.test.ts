/**
 * Input the real product refuses is refused by the lab too, when it is given and before anything
 * changes: a login for a principal Azure AD does not have (33130), an instance name or DNS zone that
 * is no DNS label, an instance name already taken, a cloud trust that claims no names, a client's
 * Windows version the lab cannot read. An unknown SPN is named as it was asked for.
 */

import { AZURE_AD_REALM, createAzureSqlMiLab, LabError, SqlErrorNumber, WindowsStatus } from '@krbsim/azure';
import { ErrorCode } from '@krbsim/core';
import { describe, expect, it } from 'vitest';
import { rejection, thrown } from './helpers';

function setup(o: { trust?: boolean; azureAdConnect?: boolean } = {}) {
  const lab = createAzureSqlMiLab({ seed: 5, azureAdConnect: o.azureAdConnect ?? true });
  const alice = lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
  const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
  mi.enableWindowsAuthenticationPrerequisites();
  mi.authenticationMetadata = 'Paired';
  if (o.trust !== false) lab.setupCloudTrust();
  return { lab, alice, mi };
}

const labError = (f: () => unknown) => thrown(f, LabError);
const rejected = (p: Promise<unknown>) => rejection(p, LabError);

describe('CREATE LOGIN ... FROM EXTERNAL PROVIDER', () => {
  it('of a principal the tenant does not have fails as SQL MI does (33130), and makes no login', () => {
    const { mi } = setup();
    for (const name of ['nobody@contoso.com', 'CONTOSO\\alice', 'alice']) {
      const e = labError(() => mi.createLogin(name, 'EXTERNAL PROVIDER'));
      expect(e, name).toMatchObject({
        code: ErrorCode.KRB_ERR_GENERIC,
        reason: 'external-principal-not-found',
        sqlError: 33130,
        windowsStatus: undefined,
      });
      expect(SqlErrorNumber.EXTERNAL_PRINCIPAL_NOT_FOUND).toBe(33130);
      expect(e.message, name).toContain(
        `Principal '${name}' could not be found or this principal type is not supported. (error 33130)`,
      );
      expect(e.message, name).toContain('lab.addCloudUser');
      // Nothing was made: the name is no login of the instance.
      expect(() => mi.denyConnectSql(name), name).toThrow(
        expect.objectContaining({ reason: 'no-such-login' }),
      );
    }
  });

  it('takes a synced user and a cloud-only user, by UPN in any case', () => {
    const { lab, mi } = setup();
    expect(mi.createLogin('ALICE@contoso.com', 'EXTERNAL PROVIDER').name).toBe('ALICE@contoso.com');
    const dave = lab.addCloudUser('dave@contoso.onmicrosoft.com');
    expect(mi.createLogin(dave.upn, 'EXTERNAL PROVIDER').source).toBe('EXTERNAL PROVIDER');
  });

  it('of an on-prem user Azure AD Connect has not synced fails until the user is synced', () => {
    const { lab, alice, mi } = setup({ azureAdConnect: false });
    const e = labError(() => mi.createLogin(alice.upn, 'EXTERNAL PROVIDER'));
    expect(e).toMatchObject({ reason: 'external-principal-not-found', sqlError: 33130 });
    expect(e.message).toContain('lab.syncUser');
    lab.syncUser(alice);
    expect(mi.createLogin(alice.upn, 'EXTERNAL PROVIDER').name).toBe(alice.upn);
  });
});

describe('addManagedInstance', () => {
  const badLabels = ['', 'mi.1', 'mi_1', '-mi', 'mi-', 'mi 1', 'm\u00ef1', 'a'.repeat(64)];

  it.each(badLabels)('refuses the instance name %j, leaving the lab as it was', (name) => {
    const { lab } = setup();
    const seq = lab.trace.nextSeq;
    const e = labError(() => lab.addManagedInstance({ name, dnsZone: 'abc123', subnet: '10.0.9.0/24' }));
    expect(e).toMatchObject({ reason: 'invalid-instance-name', code: ErrorCode.KDC_ERR_POLICY });
    expect(e.message).toContain(`instance name ${JSON.stringify(name)} is not a DNS label`);
    expect(e.message).toContain('1 to 63 letters, digits and hyphens');
    expect(lab.managedInstances.map((m) => m.name)).toEqual(['mi1']);
    expect(lab.trace.nextSeq).toBe(seq);
    if (name !== '') expect(() => lab.clockOf(name)).toThrow(TypeError);
  });

  it.each(badLabels)('refuses the DNS zone %j, leaving the lab as it was', (dnsZone) => {
    const { lab } = setup();
    const e = labError(() => lab.addManagedInstance({ name: 'mi2', dnsZone, subnet: '10.0.9.0/24' }));
    expect(e).toMatchObject({ reason: 'invalid-instance-name' });
    expect(e.message).toContain(`DNS zone ${JSON.stringify(dnsZone)} is not a DNS label`);
    expect(lab.managedInstances.map((m) => m.name)).toEqual(['mi1']);
    expect(() => lab.clockOf('mi2')).toThrow(TypeError);
  });

  it('takes a label of 63 characters, and a name in upper case as its lower-case form (DNS has no case)', () => {
    const { lab } = setup();
    const long = 'a'.repeat(61);
    const mi = lab.addManagedInstance({ name: `${long}-1`, dnsZone: 'f00d42', subnet: '10.0.9.0/24' });
    expect(mi.name).toHaveLength(63);
    const upper = lab.addManagedInstance({ name: 'MI-2', dnsZone: 'ABC123', subnet: '10.0.10.0/24' });
    expect(upper.fqdn).toBe('mi-2.abc123.database.windows.net');
    expect(lab.clockOf('MI-2')).toBe(lab.clockOf('mi-2'));
  });

  it('refuses a name another instance has, in any DNS zone: one name, one instance, one clock', () => {
    const { lab, mi } = setup();
    lab.clockOf('mi1').skewMs = 1000;
    const e = labError(() =>
      lab.addManagedInstance({ name: 'MI1', dnsZone: 'def456', subnet: '10.0.9.0/24' }),
    );
    expect(e).toMatchObject({ reason: 'instance-exists', code: ErrorCode.KDC_ERR_PRINCIPAL_NOT_UNIQUE });
    expect(e.message).toBe(
      'a managed instance named mi1 already exists (mi1.abc123.database.windows.net): an instance name is unique in Azure, whatever its DNS zone',
    );
    expect(lab.managedInstances).toEqual([mi]);
    expect(lab.clockOf('mi1').skewMs).toBe(1000);
  });

  it("refuses a name that is another party's of the lab, whose clock it would share", () => {
    const { lab } = setup();
    const e = labError(() =>
      lab.addManagedInstance({ name: 'client', dnsZone: 'abc123', subnet: '10.0.9.0/24' }),
    );
    expect(e).toMatchObject({ reason: 'instance-exists' });
    expect(e.message).toContain("lab.clockOf('client')");
    expect(lab.managedInstances.map((m) => m.name)).toEqual(['mi1']);
  });
});

describe('setupCloudTrust({ topLevelNames })', () => {
  it.each([
    [[], /at least one top-level name/],
    [[''], /top-level name "" is not a DNS name/],
    [['windows net'], /top-level name "windows net" is not a DNS name/],
    [['windows..net'], /top-level name "windows\.\.net" is not a DNS name/],
    [['-windows.net'], /top-level name "-windows\.net" is not a DNS name/],
    [['*.windows.net'], /top-level name "\*\.windows\.net" is not a DNS name/],
    [['windows.net', '.'], /top-level name "\." is not a DNS name/],
  ])('refuses %j before anything is made', (names, why) => {
    const { lab } = setup({ trust: false });
    const e = labError(() => lab.setupCloudTrust({ topLevelNames: names }));
    expect(e).toMatchObject({ reason: 'cloud-trust-refused', realm: 'CONTOSO.COM' });
    expect(e.message).toMatch(why);
    // Nothing was made: no trust, no server object; the default setup runs after.
    expect(lab.cloudTrust).toBeUndefined();
    expect(lab.onPrem.realm.directory.account('AzureADKerberos$')).toBeUndefined();
    expect(lab.onPrem.realm.lookup('krbtgt_AzureAD')).toBeUndefined();
    expect(lab.setupCloudTrust().trust.topLevelNames).toEqual(['windows.net']);
  });

  it('refuses an empty list once the trust exists too, saying why rather than "claims no"', () => {
    const { lab } = setup();
    const trust = lab.cloudTrust;
    const e = labError(() => lab.setupCloudTrust({ topLevelNames: [] }));
    expect(e.message).toMatch(/at least one top-level name/);
    expect(lab.cloudTrust).toBe(trust);
  });

  it('takes DNS names in any case, with a trailing dot', () => {
    const { lab } = setup({ trust: false });
    expect(
      lab.setupCloudTrust({ topLevelNames: ['Example.NET.', 'x-1.example.org'] }).trust.topLevelNames,
    ).toEqual(['example.net', 'x-1.example.org']);
  });
});

describe('an unknown SPN (0x6fb)', () => {
  it('is named as asked for, and called a SQL SPN only when it is one', async () => {
    const { lab, alice } = setup();
    const pc = lab.adJoinedClient(alice);
    const http = await rejected(pc.initSecurityContext('HTTP/app.example.net'));
    expect(http).toMatchObject({
      reason: 'spn-not-found',
      code: ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
      windowsStatus: WindowsStatus.SPN_NOT_FOUND,
    });
    expect(http.message).toMatch(
      /^SPN not found \(0x6fb\): no realm issues tickets for HTTP\/app\.example\.net: /,
    );
    expect(http.message).not.toContain('SQL');
    const sql = await rejected(pc.initSecurityContext('mssqlsvc/nope.abc123.database.windows.net:1433'));
    expect(sql).toMatchObject({ reason: 'spn-not-found', windowsStatus: WindowsStatus.SPN_NOT_FOUND });
    expect(sql.message).toMatch(
      /^SQL SPN not found \(0x6fb\): no realm issues tickets for mssqlsvc\/nope\.abc123\.database\.windows\.net:1433: /,
    );
  });

  it('explained by a missing step, still names what was asked for', async () => {
    const { lab, alice } = setup({ trust: false });
    const e = await rejected(
      lab.adJoinedClient(alice).initSecurityContext('HTTP/app.abc123.database.windows.net'),
    );
    expect(e).toMatchObject({ reason: 'cloud-trust-missing', windowsStatus: WindowsStatus.SPN_NOT_FOUND });
    expect(e.message).toBe(
      `SPN not found (0x6fb): CONTOSO.COM has no trust to refer HTTP/app.abc123.database.windows.net to ${AZURE_AD_REALM}: ` +
        'run lab.setupCloudTrust() (Set-AzureADKerberosServer -SetupCloudTrust) before the incoming trust-based flow',
    );
  });
});

describe("a client's os", () => {
  const accepted =
    /accepted: "Windows 7", "Windows 8", "Windows 8\.1", "Windows 10" .*"Windows 11", "Windows Server <year>"/;

  it.each(['Windows 10 99H9', 'Windows XP', 'windows11', ''])('%j is a RangeError at construction', (os) => {
    const { lab, alice } = setup();
    const make = [
      () => lab.adJoinedClient(alice, { os }),
      () => lab.azureAdJoinedClient(alice, { os }),
      () => lab.hybridJoinedClient(alice, { os }),
    ];
    for (const f of make) {
      expect(f).toThrow(RangeError);
      expect(f).toThrow(`unknown Windows version ${JSON.stringify(os)}`);
      expect(f).toThrow(accepted);
    }
  });

  it('a version the lab reads makes a client, whether or not it meets the flow', () => {
    const { lab, alice } = setup();
    expect(lab.adJoinedClient(alice, { os: 'Windows Server 2008 R2' }).missingPrerequisites()).toHaveLength(
      1,
    );
    expect(lab.azureAdJoinedClient(alice, { os: 'windows 10 21h1' }).missingPrerequisites()).toEqual([]);
    expect(lab.hybridJoinedClient(alice, { os: 'Windows 11' }).cloud.os).toBe('Windows 11');
  });
});
