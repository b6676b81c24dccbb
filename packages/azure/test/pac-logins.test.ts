/**
 * The managed instance maps Windows logins from the ticket's PAC: the
 * user's SID and every group SID, in both flows. In the trust flow the PAC
 * is the on-prem DC's, filtered at the trust by the Azure AD KDC; in the
 * modern flow the Azure AD KDC builds it from the synced directory.
 */

import {
  type AzureSqlMiLab,
  type AzureSqlMiLabOptions,
  cloudSid,
  createAzureSqlMiLab,
  LabError,
  SqlErrorNumber,
} from '@krbsim/azure';
import { ManualClock } from '@krbsim/core';
import {
  decodePac,
  encodePac,
  findPac,
  PacBufferType,
  SE_GROUP_DEFAULT,
  SeGroupAttributes,
  updatePacBuffer,
  withPac,
} from '@krbsim/pac';
import { describe, expect, it } from 'vitest';

const PASSWORD = 'correct horse battery staple';

function setup(opts: AzureSqlMiLabOptions = {}) {
  const lab = createAzureSqlMiLab({
    onPremRealm: 'CONTOSO.COM',
    seed: 21,
    clock: new ManualClock(Date.UTC(2026, 0, 5, 9)),
    ...opts,
  });
  const alice = lab.onPrem.addUser('alice', { password: PASSWORD });
  const bob = lab.onPrem.addUser('bob', { password: PASSWORD });
  const carol = lab.onPrem.addUser('carol', { password: PASSWORD });
  lab.onPrem.addGroup('SqlAdmins');
  lab.onPrem.addGroup('DBAs');
  lab.onPrem.addGroup('Auditors');
  // bob is in SqlAdmins through DBAs; carol is only an auditor.
  lab.onPrem.addGroupMember('DBAs', 'bob');
  lab.onPrem.addGroupMember('SqlAdmins', 'DBAs');
  lab.onPrem.addGroupMember('Auditors', 'carol');
  const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
  mi.enableWindowsAuthenticationPrerequisites();
  mi.authenticationMetadata = 'Windows';
  mi.createLogin('CONTOSO\\alice', 'WINDOWS');
  mi.createLogin('CONTOSO\\SqlAdmins', 'WINDOWS');
  lab.setupCloudTrust();
  return { lab, alice, bob, carol, mi };
}

type Flow = 'trust' | 'modern';

async function token(
  lab: AzureSqlMiLab,
  user: ReturnType<AzureSqlMiLab['onPrem']['addUser']>,
  spn: string,
  flow: Flow,
) {
  if (flow === 'trust') return (await lab.adJoinedClient(user).initSecurityContext(spn)).token;
  const pc = lab.azureAdJoinedClient(user);
  await pc.signIn();
  return (await pc.initSecurityContext(spn)).token;
}

/** The on-prem DC gives `group` these attributes (MS-PAC 2.2.1) in the TGT's PAC, hence in every ticket after. */
function markGroup(lab: AzureSqlMiLab, group: string, attributes: number): void {
  const rid = Number(lab.onPrem.sidOf(group)!.split('-').pop());
  lab.onPrem.realm.authorizationData = (ctx) => {
    const loc = findPac(ctx.proposed);
    if (loc === undefined || ctx.ticket.exchange !== 'AS') return ctx.proposed;
    const pac = updatePacBuffer(decodePac(loc.pac), PacBufferType.LOGON_INFO, (info) => ({
      ...info,
      groupIds: info.groupIds.map((g) => (g.relativeId === rid ? { ...g, attributes } : g)),
    }));
    return withPac(ctx.proposed, encodePac(pac));
  };
}

for (const flow of ['trust', 'modern'] as const) {
  describe(`Windows logins from the PAC (${flow} flow)`, () => {
    it('admits a member of a group login, nested, and IS_MEMBER sees the groups', async () => {
      const { lab, bob, mi } = setup();
      const session = mi.accept(await token(lab, bob, mi.spn, flow));
      expect(session.login).toBe('CONTOSO\\bob'); // SUSER_SNAME(): the user, not the group
      expect(session.grantedBy).toMatchObject({
        name: 'CONTOSO\\SqlAdmins',
        source: 'WINDOWS',
        sid: lab.onPrem.sidOf('SqlAdmins'),
      });
      expect(session.sids!.user).toBe(bob.sid);
      expect(session.sids!.groups).toEqual(
        expect.arrayContaining([
          `${lab.onPrem.domainSid}-513`,
          lab.onPrem.sidOf('DBAs'),
          lab.onPrem.sidOf('SqlAdmins'),
        ]),
      );
      expect(session.isMember('CONTOSO\\SqlAdmins')).toBe(true);
      expect(session.isMember('contoso\\dbas')).toBe(true);
      expect(session.isMember('CONTOSO\\Auditors')).toBe(false);
      expect(session.isMember('CONTOSO\\NoSuchGroup')).toBeUndefined();
      expect(session.isMember('FABRIKAM\\SqlAdmins')).toBeUndefined();
    });

    it('refuses a user in no group with a login (18456), and matches a user login by SID', async () => {
      const { lab, alice, carol, mi } = setup();
      const refused = await token(lab, carol, mi.spn, flow);
      expect(() => mi.accept(refused)).toThrow(
        expect.objectContaining({ sqlError: SqlErrorNumber.LOGIN_FAILED }),
      );
      const session = mi.accept(await token(lab, alice, mi.spn, flow));
      expect(session.login).toBe('CONTOSO\\alice');
      expect(session.grantedBy.sid).toBe(alice.sid);
      expect(session.isMember('CONTOSO\\SqlAdmins')).toBe(false);
    });

    it('sees a membership added later (Azure AD Connect syncs it in the modern flow)', async () => {
      const { lab, carol, mi } = setup();
      lab.onPrem.addGroupMember('SqlAdmins', 'Auditors');
      const session = mi.accept(await token(lab, carol, mi.spn, flow));
      expect(session.grantedBy.name).toBe('CONTOSO\\SqlAdmins');
    });
  });
}

describe("the PAC's group attributes", () => {
  it('a group the PAC marks deny-only or not enabled admits no one through its login and is no IS_MEMBER', async () => {
    // MS-PAC 2.2.1: a PAC's group attributes become the token's; a disabled or deny-only SID never
    // grants (CheckTokenMembership), and SQL Server lists a deny-only group as DENY ONLY.
    for (const attributes of [
      SE_GROUP_DEFAULT | SeGroupAttributes.USE_FOR_DENY_ONLY,
      SeGroupAttributes.MANDATORY,
    ]) {
      const { lab, bob, mi } = setup();
      markGroup(lab, 'SqlAdmins', attributes);
      const t = await token(lab, bob, mi.spn, 'trust');
      expect(() => mi.accept(t), attributes.toString(16)).toThrow(
        expect.objectContaining({ sqlError: SqlErrorNumber.LOGIN_FAILED }),
      );
      // A user login still admits him; the group is in his PAC, but he is no member of it.
      mi.createLogin('CONTOSO\\bob', 'WINDOWS');
      const session = mi.accept(await token(lab, bob, mi.spn, 'trust'));
      expect(session.grantedBy.name).toBe('CONTOSO\\bob');
      expect(session.sids!.groups).toContain(lab.onPrem.sidOf('SqlAdmins'));
      expect(session.isMember('CONTOSO\\SqlAdmins')).toBe(false);
      expect(session.isMember('CONTOSO\\DBAs')).toBe(true);
    }
  });
});

describe('DENY CONNECT SQL', () => {
  for (const flow of ['trust', 'modern'] as const) {
    it(`a DENY on a group login refuses its members, over any GRANT, until lifted (${flow} flow)`, async () => {
      const { lab, alice, bob, mi } = setup();
      mi.createLogin('CONTOSO\\bob', 'WINDOWS');
      expect(mi.denyConnectSql('contoso\\sqladmins')).toMatchObject({ name: 'CONTOSO\\SqlAdmins' });
      // bob is in SqlAdmins through DBAs; his own login grants, the group's DENY wins.
      const refused = await token(lab, bob, mi.spn, flow);
      expect(() => mi.accept(refused)).toThrow(
        expect.objectContaining({
          reason: 'connect-denied',
          sqlError: SqlErrorNumber.LOGIN_FAILED,
          login: 'CONTOSO\\bob',
          message: expect.stringContaining(
            "CONNECT SQL is denied to the login [CONTOSO\\SqlAdmins], which the user's token holds, and a DENY takes precedence over the GRANT of [CONTOSO\\bob]",
          ),
        }),
      );
      // alice holds no denied login.
      expect(mi.accept(await token(lab, alice, mi.spn, flow)).login).toBe('CONTOSO\\alice');
      mi.grantConnectSql('CONTOSO\\SqlAdmins');
      expect(mi.accept(await token(lab, bob, mi.spn, flow)).grantedBy.name).toBe('CONTOSO\\bob');
    });
  }

  it("a DENY on the user's own login refuses it, naming that login", async () => {
    const { lab, alice, mi } = setup();
    mi.denyConnectSql('CONTOSO\\alice');
    const t = await token(lab, alice, mi.spn, 'trust');
    expect(() => mi.accept(t)).toThrow(
      expect.objectContaining({
        reason: 'connect-denied',
        message: expect.stringContaining(
          'CONNECT SQL is denied to the login [CONTOSO\\alice] that admits the user',
        ),
      }),
    );
  });

  it('a group the PAC marks deny-only still matches a DENY; one not enabled matches nothing', async () => {
    // Windows' access check: a deny-only SID is checked against deny entries only; a disabled one
    // against none. SQL Server lists the first in sys.login_token as DENY ONLY.
    for (const [attributes, refused] of [
      [SE_GROUP_DEFAULT | SeGroupAttributes.USE_FOR_DENY_ONLY, true],
      [SeGroupAttributes.MANDATORY, false],
    ] as const) {
      const { lab, bob, mi } = setup();
      markGroup(lab, 'SqlAdmins', attributes);
      mi.createLogin('CONTOSO\\bob', 'WINDOWS');
      mi.denyConnectSql('CONTOSO\\SqlAdmins');
      const t = await token(lab, bob, mi.spn, 'trust');
      if (refused) {
        expect(() => mi.accept(t)).toThrow(expect.objectContaining({ reason: 'connect-denied' }));
      } else {
        expect(mi.accept(t).grantedBy.name).toBe('CONTOSO\\bob');
      }
    }
  });

  it('an Azure AD login denied refuses its user', async () => {
    const { lab, alice, mi } = setup();
    mi.authenticationMetadata = 'AzureAD';
    mi.createLogin('alice@contoso.com', 'EXTERNAL PROVIDER');
    const pc = lab.azureAdJoinedClient(alice);
    await pc.signIn();
    expect(mi.accept((await pc.initSecurityContext(mi.spn)).token).login).toBe('alice@contoso.com');
    mi.denyConnectSql('ALICE@contoso.com');
    const t = (await pc.initSecurityContext(mi.spn)).token;
    expect(() => mi.accept(t)).toThrow(
      expect.objectContaining({ reason: 'connect-denied', login: 'alice@contoso.com' }),
    );
  });

  it('in Paired mode the token holds both kinds: a denied Azure AD login refuses a user a Windows login admits', async () => {
    const { lab, alice, mi } = setup();
    mi.authenticationMetadata = 'Paired';
    mi.createLogin('alice@contoso.com', 'EXTERNAL PROVIDER');
    mi.denyConnectSql('alice@contoso.com');
    const t = await token(lab, alice, mi.spn, 'trust');
    expect(() => mi.accept(t)).toThrow(
      expect.objectContaining({
        reason: 'connect-denied',
        message: expect.stringContaining(
          "denied to the login [alice@contoso.com], which the user's token holds, and a DENY takes precedence over the GRANT of [CONTOSO\\alice]",
        ),
      }),
    );
    // In Windows mode the instance maps no Azure AD login, so its DENY is not in the token.
    mi.authenticationMetadata = 'Windows';
    expect(mi.accept(await token(lab, alice, mi.spn, 'trust')).login).toBe('CONTOSO\\alice');
  });

  it('names only a login the instance has (15151)', () => {
    const { mi } = setup();
    for (const f of [() => mi.denyConnectSql('CONTOSO\\carol'), () => mi.grantConnectSql('CONTOSO\\carol')]) {
      expect(f).toThrow(
        expect.objectContaining({
          reason: 'no-such-login',
          sqlError: SqlErrorNumber.PRINCIPAL_NOT_FOUND,
          message: expect.stringContaining("Cannot find the login 'CONTOSO\\carol'"),
        }),
      );
    }
  });
});

describe('a ticket without a PAC at the instance (tenant issuePac: false)', () => {
  it("maps the user by its own account's directory SID and nothing more: no groups, so no group login", async () => {
    // With no PAC there are no group SIDs to read (MS-PAC 2.5 is where they come from): the instance
    // falls back to the on-prem SID of the ticket's client alone.
    const { lab, alice, bob, mi } = setup({ tenantPolicy: { issuePac: false } });
    const session = mi.accept(await token(lab, alice, mi.spn, 'trust'));
    expect(session.kerberos.pac).toBeUndefined();
    expect(session.sids).toEqual({ user: alice.sid, groups: [] });
    expect(session.grantedBy.name).toBe('CONTOSO\\alice');
    // bob's only login is through SqlAdmins, which a ticket without a PAC cannot show.
    const refused = await token(lab, bob, mi.spn, 'trust');
    expect(() => mi.accept(refused)).toThrow(
      expect.objectContaining({ sqlError: SqlErrorNumber.LOGIN_FAILED }),
    );
  });

  it('never takes a cloud-only user for the on-prem account of the same name (18456)', async () => {
    // Only a synced user (onPremisesSamAccountName) has an on-prem account; a cloud-only
    // alice@contoso.onmicrosoft.com is not CONTOSO\alice, whose login must not admit her.
    const { lab, mi } = setup({ tenantPolicy: { issuePac: false } });
    const pc = lab.azureAdJoinedClient(lab.addCloudUser('alice@contoso.onmicrosoft.com'));
    await pc.signIn();
    const t = (await pc.initSecurityContext(mi.spn)).token;
    expect(() => mi.accept(t)).toThrow(expect.objectContaining({ sqlError: SqlErrorNumber.LOGIN_FAILED }));
  });
});

describe('a domain whose NetBIOS name is not its first label (CORP.CONTOSO.COM, known as CONTOSO)', () => {
  it("names its users CONTOSO\\alice in the PAC's LogonDomainName too, and the instance logs them in so", async () => {
    const lab = createAzureSqlMiLab({
      onPremRealm: 'CORP.CONTOSO.COM',
      netbiosName: 'CONTOSO',
      seed: 22,
      clock: new ManualClock(Date.UTC(2026, 0, 5, 9)),
    });
    const alice = lab.onPrem.addUser('alice', { password: PASSWORD });
    expect(`${alice.netbiosDomain}\\${alice.samAccountName}`).toBe('CONTOSO\\alice');
    expect(lab.onPrem.realm.netbiosName).toBe('CONTOSO');
    const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
    mi.enableWindowsAuthenticationPrerequisites();
    mi.authenticationMetadata = 'Windows';
    mi.createLogin('CONTOSO\\alice', 'WINDOWS');
    lab.setupCloudTrust();
    const session = mi.accept((await lab.adJoinedClient(alice).initSecurityContext(mi.spn)).token);
    expect(session.login).toBe('CONTOSO\\alice');
    expect(session.kerberos.pac?.logonInfo?.logonDomainName).toBe('CONTOSO');
  });
});

describe('SIDs in the tenant', () => {
  it('a synced user carries its on-prem SID and synced groups; domain-local groups stay on-prem', () => {
    const { lab, bob } = setup();
    lab.onPrem.addGroup('LocalReaders', { scope: 'domain-local' });
    lab.onPrem.addGroupMember('LocalReaders', 'bob');
    const cloud = lab.tenant.user(bob.upn)!;
    expect(lab.tenant.sidOf(cloud)).toBe(bob.sid);
    expect(cloud.onPremises!.groupSids).toEqual([
      `${lab.onPrem.domainSid}-513`,
      lab.onPrem.sidOf('SqlAdmins'),
      lab.onPrem.sidOf('DBAs'),
    ]);
  });

  it("mirrors an existing domain: its SID and a user's RID, as a real DC's PAC names them", async () => {
    const lab = createAzureSqlMiLab({ onPremDomainSid: 'S-1-5-21-1004336348-1177238915-682003330' });
    expect(lab.onPrem.domainSid).toBe('S-1-5-21-1004336348-1177238915-682003330');
    const carol = lab.onPrem.addUser('carol', { password: 'Passw0rd!', rid: 1105 });
    expect(carol.sid).toBe('S-1-5-21-1004336348-1177238915-682003330-1105');
    // Synced with that SID, and a Windows login maps it back to the name.
    expect(lab.tenant.sidOf(lab.tenant.user(carol.upn)!)).toBe(carol.sid);
    const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
    mi.enableWindowsAuthenticationPrerequisites();
    mi.authenticationMetadata = 'Windows';
    mi.createLogin('CONTOSO\\carol', 'WINDOWS');
    lab.setupCloudTrust();
    const pc = lab.adJoinedClient(carol);
    const session = mi.accept((await pc.initSecurityContext(mi.spn)).token, pc.participant);
    expect(session.sids!.user).toBe(carol.sid);
    expect(session.login).toBe('CONTOSO\\carol');
    // A RID the domain already gave is refused, and nothing is added.
    expect(() => lab.onPrem.addUser('dave', { password: 'Passw0rd!', rid: 1105 })).toThrow(/1105/);
    expect(lab.onPrem.users.map((u) => u.samAccountName)).toEqual(['carol']);
  });

  it('a cloud-only user has its cloud SID, S-1-12-1 and its object id as four little-endian numbers', async () => {
    // Worked by hand: 73d664e4 | 0886 4a73 -> bytes 86 08 73 4a | b7 45 c6 94 | da 45 dd b4.
    expect(cloudSid('73d664e4-0886-4a73-b745-c694da45ddb4')).toBe(
      'S-1-12-1-1943430372-1249052806-2496021943-3034400218',
    );
    expect(() => cloudSid('not-a-guid')).toThrow(RangeError);
    const { lab, mi } = setup();
    mi.authenticationMetadata = 'Paired';
    // A cloud-only user of the tenant first: CREATE LOGIN ... FROM EXTERNAL PROVIDER looks it up (33130 otherwise).
    const dave = lab.addCloudUser('dave@fabrikam.onmicrosoft.com');
    mi.createLogin('dave@fabrikam.onmicrosoft.com', 'EXTERNAL PROVIDER');
    const pc = lab.azureAdJoinedClient(dave);
    await pc.signIn();
    const session = mi.accept((await pc.initSecurityContext(mi.spn)).token);
    expect(session.sids!.user).toBe(cloudSid(dave.objectId));
    expect(session.loginSource).toBe('EXTERNAL PROVIDER');
    expect(session.login).toBe('dave@fabrikam.onmicrosoft.com');
  });

  it('CREATE LOGIN FROM WINDOWS of a name the directory does not know fails (15401)', () => {
    const { mi } = setup();
    expect(() => mi.createLogin('CONTOSO\\nobody', 'WINDOWS')).toThrow(LabError);
    expect(() => mi.createLogin('CONTOSO\\nobody', 'WINDOWS')).toThrow(/15401/);
  });

  it('CREATE LOGIN of a login the instance has fails (15025), in any case and of either kind', () => {
    const { mi } = setup(); // CONTOSO\alice and CONTOSO\SqlAdmins exist
    mi.createLogin('alice@contoso.com', 'EXTERNAL PROVIDER');
    for (const [name, source] of [
      ['contoso\\ALICE', 'WINDOWS'],
      ['CONTOSO\\SqlAdmins', 'EXTERNAL PROVIDER'],
      ['Alice@Contoso.com', 'EXTERNAL PROVIDER'],
    ] as const) {
      expect(() => mi.createLogin(name, source), name).toThrow(
        expect.objectContaining({
          reason: 'login-exists',
          sqlError: SqlErrorNumber.PRINCIPAL_EXISTS,
          message: `The server principal '${name}' already exists. (error 15025)`,
        }),
      );
    }
  });
});

describe('the referred PAC at the Azure AD KDC (incoming trust flow)', () => {
  const LEGACY = 'S-1-5-21-111111111-222222222-333333333-1106';

  it('is SID-filtered by default: SID history from outside the forest is removed, and reported', async () => {
    const { lab, mi } = setup();
    const dan = lab.onPrem.addUser('dan', { password: PASSWORD, sidHistory: [LEGACY] });
    lab.onPrem.addGroupMember('SqlAdmins', 'dan');
    const session = mi.accept(await token(lab, dan, mi.spn, 'trust'));
    expect(session.grantedBy.name).toBe('CONTOSO\\SqlAdmins');
    expect(session.sids!.groups).not.toContain(LEGACY);
    expect(session.sids!.groups).toContain('S-1-18-1');
    expect(lab.tenant.lastSidFilter).toEqual({
      client: 'dan@CONTOSO.COM',
      server: `${mi.spn}@KERBEROS.MICROSOFTONLINE.COM`,
      removed: [LEGACY],
    });
    // On-prem, the same user's service ticket still carries it: only the trust filters.
    const onPremPac = lab.onPrem.realm.directory.account('dan')!.sidHistory;
    expect(onPremPac).toEqual([LEGACY]);
  });

  it("with referredPac 'rebuild', carries the tenant's PAC for the synced user instead", async () => {
    const lab = createAzureSqlMiLab({
      onPremRealm: 'CONTOSO.COM',
      seed: 21,
      clock: new ManualClock(Date.UTC(2026, 0, 5, 9)),
      referredPac: 'rebuild',
    });
    const dan = lab.onPrem.addUser('dan', { password: PASSWORD, sidHistory: [LEGACY] });
    lab.onPrem.addGroup('SqlAdmins');
    lab.onPrem.addGroupMember('SqlAdmins', 'dan');
    const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
    mi.enableWindowsAuthenticationPrerequisites();
    mi.authenticationMetadata = 'Windows';
    mi.createLogin('CONTOSO\\SqlAdmins', 'WINDOWS');
    lab.setupCloudTrust();
    const session = mi.accept(await token(lab, dan, mi.spn, 'trust'));
    expect(session.grantedBy.name).toBe('CONTOSO\\SqlAdmins');
    expect(session.sids!.user).toBe(dan.sid);
    expect(session.sids!.groups).not.toContain(LEGACY);
    // Built by the tenant: its UPN_DNS_INFO names the tenant's realm, not the on-prem one.
    expect(session.kerberos.pac!.logonInfo!.effectiveName).toBe('dan@contoso.com');
  });
});
