/**
 * The Azure lab's file form (`kind: azure-sql-mi`): the shipped example
 * reads as documented, every field's error names its path, the names a
 * file uses must be ones it defines, and the logins principals.json lists
 * follow group nesting and the metadata mode. Built-in names resolve to
 * every shipped example.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { AZURE_AD_REALM, createAzureSqlMiLab, type LabError } from '@krbsim/azure';
import { describe, expect, it } from 'vitest';
import { freetdsOdbcDriver } from '../src/azure-lab';
import { loginsOf, validateAzureLab } from '../src/azure-lab-file';
import { builtInNames, examplesDir } from '../src/examples';
import { loadServeFile, parseServeFile } from '../src/serve-file';
import { TopologyError } from '../src/topology';

const EXAMPLES = new URL('../examples/', import.meta.url).pathname;

const base = () => ({
  kind: 'azure-sql-mi',
  onPrem: {
    realm: 'CONTOSO.COM',
    users: [
      { name: 'alice', password: 'a' },
      { name: 'carol', password: 'c', groups: ['DBAs'] },
    ],
    groups: [{ name: 'DBAs' }, { name: 'SqlAdmins', members: ['DBAs'] }],
  },
  managedInstances: [
    {
      name: 'mi1',
      dnsZone: 'abc123',
      subnet: '10.0.0.0/24',
      logins: ['CONTOSO\\alice', { name: 'CONTOSO\\SqlAdmins', from: 'windows' }],
    },
  ],
});

describe('validateAzureLab', () => {
  it("keeps each user's password readable but not printed: util.inspect and JSON.stringify show <redacted>", () => {
    const doc = base();
    const lab = validateAzureLab({
      ...doc,
      onPrem: { ...doc.onPrem, users: [{ name: 'alice', password: 'Al1ce-S3cret-Passw0rd' }] },
    });
    const alice = lab.onPrem.users[0]!;
    expect(alice.password).toBe('Al1ce-S3cret-Passw0rd');
    const printed = `${inspect(lab, { depth: 8 })}${JSON.stringify(lab)}${JSON.stringify({ ...alice })}`;
    expect(printed).not.toContain('S3cret');
    expect(JSON.parse(JSON.stringify(alice))).toEqual({ name: 'alice', password: '<redacted>', groups: [] });
  });

  it('reads the shipped example as documented, with defaults', async () => {
    const f = await loadServeFile('azure-sql-mi', EXAMPLES);
    expect(f.kind).toBe('azure-sql-mi');
    if (f.kind !== 'azure-sql-mi') return;
    expect(f.path).toBe(join(EXAMPLES, 'azure-sql-mi.yaml'));
    const lab = f.lab;
    expect(lab.tenantId).toBeUndefined();
    expect(lab.onPrem.users.map((u) => [u.name, u.groups])).toEqual([
      ['alice', []],
      ['bob', []],
      ['carol', ['DBAs']],
    ]);
    expect(lab.managedInstances[0]).toEqual({
      name: 'mi1',
      dnsZone: 'abc123',
      subnet: '10.0.0.0/24',
      authenticationMetadata: 'Windows',
      encryption: 'required',
      extendedProtection: 'off',
      connectionType: 'Proxy',
      logins: [
        { name: 'CONTOSO\\alice', from: 'windows', connect: 'grant' },
        { name: 'CONTOSO\\SqlAdmins', from: 'windows', connect: 'grant' },
      ],
    });
    expect(lab.client).toEqual({ encryption: 'require', tdsVersion: '7.4' });
    // AD's Default Domain Policy but its minimum age, so the lab's users may change passwords at once.
    expect(lab.onPrem.policy).toEqual({ minPasswordAgeMs: 0 });
    const mi = lab.managedInstances[0]!;
    expect(lab.onPrem.users.map((u) => loginsOf(lab, mi, u))).toEqual([
      ['CONTOSO\\alice'],
      [],
      ['CONTOSO\\SqlAdmins'], // carol, through DBAs nested in SqlAdmins
    ]);
  });

  it('reads the client TDS version as a string or as the YAML number an unquoted one is', () => {
    expect(validateAzureLab({ ...base(), client: { tdsVersion: 7.2 } }).client.tdsVersion).toBe('7.2');
    expect(parseServeFile(`${JSON.stringify(base())}\n`).kind).toBe('azure-sql-mi');
    const yaml = parseServeFile(
      'kind: azure-sql-mi\nonPrem: { realm: CONTOSO.COM, users: [{ name: alice, password: a }] }\n' +
        'managedInstances: [{ name: mi1, dnsZone: abc123, subnet: 10.0.0.0/24 }]\nclient: { tdsVersion: 7.3 }\n',
    );
    expect(yaml.kind === 'azure-sql-mi' && yaml.lab.client.tdsVersion).toBe('7.3');
  });

  it("compares instances' subnets as networks, as the lab does when it enables them", () => {
    const pairs: [string, string][] = [
      ['10.0.0.0/24', '10.0.0.0/24'],
      ['10.0.0.0/24', '10.0.0.9/24'],
      ['10.0.0.0/24', '10.0.0.128/25'],
      ['10.0.0.0/16', '10.0.200.0/24'],
      ['0.0.0.0/0', '192.168.1.0/24'],
      ['10.0.0.0/24', '10.0.1.0/24'],
      ['10.0.0.0/25', '10.0.0.128/25'],
      ['192.168.0.0/32', '192.168.0.1/32'],
    ];
    for (const [a, b] of pairs) {
      const doc = base();
      let fileRefuses = false;
      try {
        validateAzureLab({
          ...doc,
          managedInstances: [
            { ...doc.managedInstances[0]!, subnet: a },
            { ...doc.managedInstances[0]!, name: 'mi2', subnet: b },
          ],
        });
      } catch (e) {
        expect((e as TopologyError).path).toBe('managedInstances[1].subnet');
        fileRefuses = true;
      }
      const lab = createAzureSqlMiLab({ seed: 1 });
      lab
        .addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: a })
        .enableWindowsAuthenticationPrerequisites();
      const mi2 = lab.addManagedInstance({ name: 'mi2', dnsZone: 'abc123', subnet: b });
      let labRefuses = false;
      try {
        mi2.enableWindowsAuthenticationPrerequisites();
      } catch (e) {
        expect((e as LabError).reason).toBe('subnet-taken');
        labRefuses = true;
      }
      expect(fileRefuses, `${a} beside ${b}`).toBe(labRefuses);
    }
  });

  it('keeps the names it reserves and the Azure AD realm in step with the lab', () => {
    const lab = createAzureSqlMiLab({ seed: 1 });
    lab.setupCloudTrust();
    for (const name of ['krbtgt', 'krbtgt_AzureAD']) {
      expect(() =>
        validateAzureLab({ ...base(), onPrem: { ...base().onPrem, users: [{ name, password: 'p' }] } }),
      ).toThrow(/is the /);
    }
    expect(lab.onPrem.realm.lookup('krbtgt_AzureAD')).toBeDefined();
    expect(lab.getAzureAdKerberosServer()!.userAccount).toBe('krbtgt_AzureAD');
    expect(() =>
      validateAzureLab({ ...base(), onPrem: { ...base().onPrem, realm: AZURE_AD_REALM } }),
    ).toThrow(/^onPrem\.realm: /);
  });

  it('reads mustChangePassword for an on-prem user (kpasswd changes it)', () => {
    const lab = validateAzureLab({
      ...base(),
      onPrem: {
        ...base().onPrem,
        users: [...base().onPrem.users, { name: 'frank', password: 'f', mustChangePassword: true }],
      },
    });
    expect(lab.onPrem.users[2]!.mustChangePassword).toBe(true);
    expect(validateAzureLab(base()).onPrem.users[0]!.mustChangePassword).toBeUndefined();
  });

  it('lists the logins the metadata mode uses: Windows, AzureAD (by UPN), Paired', () => {
    const doc = base();
    doc.managedInstances[0]!.logins.push({ name: 'alice@contoso.com', from: 'external-provider' });
    const lab = (mode: string) =>
      validateAzureLab({
        ...doc,
        managedInstances: [{ ...doc.managedInstances[0]!, authenticationMetadata: mode }],
      });
    const alice = (mode: string) => {
      const l = lab(mode);
      return loginsOf(l, l.managedInstances[0]!, l.onPrem.users[0]!);
    };
    expect(alice('Windows')).toEqual(['CONTOSO\\alice']);
    expect(alice('AzureAD')).toEqual(['alice@contoso.com']);
    expect(alice('Paired')).toEqual(['CONTOSO\\alice', 'alice@contoso.com']);
  });

  it('a login with connect: deny admits no one whose token holds it, over any other login', () => {
    const withLogins = (logins: unknown[]) =>
      validateAzureLab({ ...base(), managedInstances: [{ ...base().managedInstances[0]!, logins }] });
    const own = withLogins([{ name: 'CONTOSO\\alice', connect: 'deny' }]);
    expect(own.managedInstances[0]!.logins).toEqual([
      { name: 'CONTOSO\\alice', from: 'windows', connect: 'deny' },
    ]);
    expect(loginsOf(own, own.managedInstances[0]!, own.onPrem.users[0]!)).toEqual([]);
    // carol holds SqlAdmins through DBAs: its DENY wins over her own login; alice is in no group.
    const group = withLogins([
      'CONTOSO\\alice',
      'CONTOSO\\carol',
      { name: 'CONTOSO\\SqlAdmins', from: 'windows', connect: 'deny' },
    ]);
    const [alice, carol] = group.onPrem.users.map((u) => loginsOf(group, group.managedInstances[0]!, u));
    expect(alice).toEqual(['CONTOSO\\alice']);
    expect(carol).toEqual([]);
  });

  const bad: [string, (d: ReturnType<typeof base>) => unknown, string][] = [
    ['an unknown field', (d) => ({ ...d, extra: 1 }), 'azure-sql-mi.extra: unknown field'],
    ['a bad tenant id', (d) => ({ ...d, tenantId: 'nope' }), 'tenantId: expected a GUID'],
    ['no onPrem', ({ onPrem: _, ...d }) => d, 'onPrem: expected an object, got nothing'],
    ['a lower-case realm', (d) => ({ ...d, onPrem: { ...d.onPrem, realm: 'contoso.com' } }), 'onPrem.realm:'],
    [
      'a user without a password',
      (d) => ({ ...d, onPrem: { ...d.onPrem, users: [{ name: 'alice' }] } }),
      'onPrem.users[0].password: expected a non-empty string',
    ],
    [
      'a user in an undefined group',
      (d) => ({ ...d, onPrem: { ...d.onPrem, users: [{ name: 'x', password: 'p', groups: ['Nope'] }] } }),
      'onPrem.users[0].groups[0]: no group Nope in onPrem.groups',
    ],
    [
      'a group member that is not defined',
      (d) => ({
        ...d,
        onPrem: { ...d.onPrem, groups: [...d.onPrem.groups, { name: 'G', members: ['zed'] }] },
      }),
      'onPrem.groups[2].members[0]: no user or group zed in onPrem',
    ],
    [
      'a group in itself',
      (d) => ({ ...d, onPrem: { ...d.onPrem, groups: [...d.onPrem.groups, { name: 'G', members: ['G'] }] } }),
      'onPrem.groups[2].members[0]: a group cannot be a member of itself',
    ],
    [
      'a group and a user of the same name',
      (d) => ({ ...d, onPrem: { ...d.onPrem, groups: [{ name: 'Alice' }] } }),
      'onPrem.groups[0].name: Alice is already defined at onPrem.users[0].name',
    ],
    [
      'a group scope',
      (d) => ({ ...d, onPrem: { ...d.onPrem, groups: [{ name: 'G', scope: 'local' }] } }),
      'onPrem.groups[0].scope: expected one of global, universal, domain-local',
    ],
    [
      'a NetBIOS name in lower case',
      (d) => ({ ...d, onPrem: { ...d.onPrem, netbiosName: 'contoso' } }),
      'onPrem.netbiosName: expected a NetBIOS domain name',
    ],
    [
      'a user name longer than a sAMAccountName',
      (d) => ({ ...d, onPrem: { ...d.onPrem, users: [{ name: 'a'.repeat(21), password: 'p' }] } }),
      'onPrem.users[0].name: expected a user name (sAMAccountName',
    ],
    [
      'a group name with a space',
      (d) => ({ ...d, onPrem: { ...d.onPrem, groups: [{ name: 'SQL Admins' }] } }),
      'onPrem.groups[0].name: expected a group name',
    ],
    [
      'a UPN without a domain',
      (d) => ({ ...d, onPrem: { ...d.onPrem, users: [{ name: 'alice', password: 'a', upn: 'alice' }] } }),
      'onPrem.users[0].upn: expected user@domain, got "alice"',
    ],
    ['no instances', (d) => ({ ...d, managedInstances: [] }), 'managedInstances: at least one'],
    [
      'an instance name in upper case',
      (d) => ({ ...d, managedInstances: [{ ...d.managedInstances[0]!, name: 'MI1' }] }),
      'managedInstances[0].name: expected an instance name',
    ],
    [
      'a DNS zone with a dot',
      (d) => ({ ...d, managedInstances: [{ ...d.managedInstances[0]!, dnsZone: 'abc.123' }] }),
      'managedInstances[0].dnsZone: expected a DNS zone id',
    ],
    [
      'a bad subnet',
      (d) => ({ ...d, managedInstances: [{ ...d.managedInstances[0]!, subnet: '10.0.0.300/24' }] }),
      'managedInstances[0].subnet: expected an IPv4 subnet',
    ],
    [
      'two instances on one subnet',
      (d) => ({
        ...d,
        managedInstances: [d.managedInstances[0]!, { ...d.managedInstances[0]!, name: 'mi2' }],
      }),
      'managedInstances[1].subnet: 10.0.0.0/24 is already used by managedInstances[0]',
    ],
    [
      "an instance on a subnet that is another instance's network (host bits set)",
      (d) => ({
        ...d,
        managedInstances: [
          d.managedInstances[0]!,
          { ...d.managedInstances[0]!, name: 'mi2', subnet: '10.0.0.9/24' },
        ],
      }),
      'managedInstances[1].subnet: 10.0.0.9/24 (network 10.0.0.0/24) overlaps 10.0.0.0/24 of managedInstances[0]: one instance per subnet',
    ],
    [
      "an instance on a subnet inside another instance's",
      (d) => ({
        ...d,
        managedInstances: [
          d.managedInstances[0]!,
          { ...d.managedInstances[0]!, name: 'mi2', subnet: '10.0.0.128/25' },
        ],
      }),
      'managedInstances[1].subnet: 10.0.0.128/25 (network 10.0.0.128/25) overlaps 10.0.0.0/24 of managedInstances[0]',
    ],
    [
      'two users with one UPN',
      (d) => ({
        ...d,
        onPrem: {
          ...d.onPrem,
          users: [...d.onPrem.users, { name: 'eve', password: 'e', upn: 'Alice@Contoso.com' }],
        },
      }),
      'onPrem.users[2].upn: UPN Alice@Contoso.com is already the UPN of onPrem.users[0]',
    ],
    [
      "a user whose default UPN is another user's",
      (d) => ({
        ...d,
        onPrem: {
          ...d.onPrem,
          users: [
            { name: 'eve', password: 'e', upn: 'alice@contoso.com' },
            { name: 'alice', password: 'a' },
          ],
        },
      }),
      'onPrem.users[1].name: its UPN (the default, name@realm) alice@contoso.com is already the UPN of onPrem.users[0]',
    ],
    [
      "a user named as the cloud trust's account",
      (d) => ({ ...d, onPrem: { ...d.onPrem, users: [{ name: 'krbtgt_AzureAD', password: 'k' }] } }),
      "onPrem.users[0].name: krbtgt_AzureAD is the Azure AD Kerberos server's account (krbtgt_AzureAD), which the cloud trust makes",
    ],
    [
      "a group named as the domain's krbtgt",
      (d) => ({ ...d, onPrem: { ...d.onPrem, groups: [{ name: 'KRBTGT' }] } }),
      "onPrem.groups[0].name: KRBTGT is the domain's KDC account (krbtgt)",
    ],
    [
      "Azure AD's realm as the on-prem realm",
      (d) => ({ ...d, onPrem: { ...d.onPrem, realm: 'KERBEROS.MICROSOFTONLINE.COM' } }),
      "onPrem.realm: KERBEROS.MICROSOFTONLINE.COM is Azure AD's realm, which the lab serves itself",
    ],
    [
      'requirePac where the domain issues no PAC',
      (d) => ({ ...d, onPrem: { ...d.onPrem, policy: { issuePac: false, requirePac: true } } }),
      'onPrem.policy.requirePac: the realm issues no PAC (issuePac: false)',
    ],
    [
      'allowAnonymous in a domain without PKINIT',
      (d) => ({ ...d, onPrem: { ...d.onPrem, policy: { allowAnonymous: true } } }),
      'onPrem.policy.allowAnonymous: anonymous tickets come by anonymous PKINIT',
    ],
    [
      'Extended Protection required on a listener without TLS',
      (d) => ({
        ...d,
        managedInstances: [
          { ...d.managedInstances[0]!, encryption: 'not-supported', extendedProtection: 'required' },
        ],
      }),
      'managedInstances[0].extendedProtection: required holds logins to their TLS channel, and encryption not-supported starts none',
    ],
    [
      'Extended Protection allowed on a listener without TLS',
      (d) => ({
        ...d,
        managedInstances: [
          { ...d.managedInstances[0]!, encryption: 'not-supported', extendedProtection: 'allowed' },
        ],
      }),
      'managedInstances[0].extendedProtection: allowed holds logins',
    ],
    [
      'a metadata mode',
      (d) => ({ ...d, managedInstances: [{ ...d.managedInstances[0]!, authenticationMetadata: 'windows' }] }),
      'managedInstances[0].authenticationMetadata: expected one of Windows, AzureAD, Paired',
    ],
    [
      'an encryption',
      (d) => ({ ...d, managedInstances: [{ ...d.managedInstances[0]!, encryption: 'optional' }] }),
      'managedInstances[0].encryption: expected one of required, login-only, not-supported, strict',
    ],
    [
      'an Extended Protection',
      (d) => ({ ...d, managedInstances: [{ ...d.managedInstances[0]!, extendedProtection: 'on' }] }),
      'managedInstances[0].extendedProtection: expected one of off, allowed, required',
    ],
    [
      'a login source',
      (d) => ({
        ...d,
        managedInstances: [{ ...d.managedInstances[0]!, logins: [{ name: 'x', from: 'sql' }] }],
      }),
      'managedInstances[0].logins[0].from: expected one of windows, external-provider',
    ],
    [
      'a login twice, in any case',
      (d) => ({
        ...d,
        managedInstances: [{ ...d.managedInstances[0]!, logins: ['CONTOSO\\alice', 'contoso\\ALICE'] }],
      }),
      'managedInstances[0].logins[1].name: contoso\\ALICE is already a login (logins[0])',
    ],
    [
      'a login connect permission',
      (d) => ({
        ...d,
        managedInstances: [
          { ...d.managedInstances[0]!, logins: [{ name: 'CONTOSO\\alice', connect: 'revoke' }] },
        ],
      }),
      'managedInstances[0].logins[0].connect: expected one of grant, deny',
    ],
    [
      'a Windows login of another domain',
      (d) => ({ ...d, managedInstances: [{ ...d.managedInstances[0]!, logins: ['FABRIKAM\\alice'] }] }),
      'managedInstances[0].logins[0].name: expected CONTOSO\\<user or group>',
    ],
    [
      'a Windows login of no one',
      (d) => ({ ...d, managedInstances: [{ ...d.managedInstances[0]!, logins: ['CONTOSO\\zed'] }] }),
      'managedInstances[0].logins[0].name: no user or group zed in onPrem',
    ],
    [
      'an Azure AD login that is not a UPN',
      (d) => ({
        ...d,
        managedInstances: [
          { ...d.managedInstances[0]!, logins: [{ name: 'alice', from: 'external-provider' }] },
        ],
      }),
      'managedInstances[0].logins[0].name: expected a UPN',
    ],
    [
      'a port used twice',
      (d) => ({
        ...d,
        onPrem: { ...d.onPrem, port: 18088 },
        managedInstances: [{ ...d.managedInstances[0]!, port: 18088 }],
      }),
      'managedInstances[0].port: port 18088 is already used by onPrem.port',
    ],
    [
      'a client encryption',
      (d) => ({ ...d, client: { encryption: 'strict' } }),
      'client.encryption: expected',
    ],
    ['a TDS version', (d) => ({ ...d, client: { tdsVersion: 8 } }), 'client.tdsVersion: expected one of 7.1'],
    [
      'a TDS version in a list',
      (d) => ({ ...d, client: { tdsVersion: ['7.4'] } }),
      'client.tdsVersion: expected one of 7.1, 7.2, 7.3, 7.4, got a list',
    ],
    [
      'a TDS version that is a boolean',
      (d) => ({ ...d, client: { tdsVersion: true } }),
      'client.tdsVersion: expected one of 7.1, 7.2, 7.3, 7.4, got boolean true',
    ],
    ['a client that is null', (d) => ({ ...d, client: null }), 'client: expected an object, got null'],
    [
      'a mustChangePassword that is not a boolean',
      (d) => ({
        ...d,
        onPrem: { ...d.onPrem, users: [{ name: 'frank', password: 'f', mustChangePassword: 'yes' }] },
      }),
      'onPrem.users[0].mustChangePassword: expected true or false',
    ],
  ];
  for (const [what, edit, message] of bad) {
    it(`refuses ${what}, naming the field`, () => {
      let error: unknown;
      try {
        validateAzureLab(edit(base()));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TopologyError);
      expect((error as Error).message).toContain(message);
      expect((error as TopologyError).path).toBe(message.split(':')[0]);
    });
  }
});

describe('the documented lab files', () => {
  it('docs/tds.md and the CLI README show lab files that validate', () => {
    const shown: string[] = [];
    for (const doc of ['../../../docs/tds.md', '../README.md']) {
      const text = readFileSync(new URL(doc, import.meta.url), 'utf8');
      for (const m of text.matchAll(/```yaml\n([\s\S]*?)```/g)) {
        if (m[1]!.startsWith('kind: azure-sql-mi')) shown.push(m[1]!);
      }
    }
    expect(shown).toHaveLength(2);
    const [every, other] = shown.map((t) => parseServeFile(t));
    if (every?.kind !== 'azure-sql-mi' || other?.kind !== 'azure-sql-mi') throw new Error('not labs');
    // The every-field example sets every field.
    expect(every.lab.onPrem).toMatchObject({ netbiosName: 'CONTOSO', port: 18088 });
    expect(every.lab.managedInstances[0]).toMatchObject({ port: 14330, connectionType: 'Proxy' });
    expect(every.lab.managedInstances[0]!.logins.map((l) => [l.from, l.connect])).toEqual([
      ['windows', 'grant'],
      ['windows', 'grant'],
      ['external-provider', 'grant'],
      ['windows', 'deny'],
    ]);
    expect(other.lab.managedInstances[0]!.authenticationMetadata).toBe('Paired');
    expect(loginsOf(other.lab, other.lab.managedInstances[0]!, other.lab.onPrem.users[1]!)).toEqual([
      'eve@fabrikam.com',
    ]);
  });
});

describe('serve files and built-in names', () => {
  it('tells a lab from a topology by kind, and refuses another kind, naming the field', () => {
    expect(parseServeFile(JSON.stringify(base()), 'json').kind).toBe('azure-sql-mi');
    expect(parseServeFile('realms: [{ name: A.TEST }]').kind).toBe('topology');
    expect(() => parseServeFile('kind: mit\nrealms: []')).toThrow(/^kind: expected azure-sql-mi/);
    expect(() => parseServeFile('kind: azure-sql-mi\nrealms: []')).toThrow(
      /^azure-sql-mi\.realms: unknown field/,
    );
  });

  it('resolves every shipped example by name, from the package (src/ and dist/ sit beside examples/)', async () => {
    expect(examplesDir()).toBe(join(EXAMPLES, '.').replace(/\/$/, ''));
    const names = builtInNames();
    expect(names).toEqual([
      'azure-sql-mi',
      'azure-trust',
      'contoso-fabrikam',
      'forest',
      'pkinit',
      'selective-trust',
    ]);
    for (const name of names) {
      const f = await loadServeFile(name);
      expect(f.path).toBe(join(EXAMPLES, `${name}.yaml`));
      expect(f.kind).toBe(name === 'azure-sql-mi' ? 'azure-sql-mi' : 'topology');
    }
  });

  it('prefers a file of that name, and names the built-ins when nothing matches', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'krbsim-serve-file-'));
    try {
      const own = join(dir, 'azure-trust');
      await writeFile(own, 'realms: [{ name: MINE.TEST }]\n');
      const f = await loadServeFile(own);
      expect(f.kind === 'topology' && f.topology.realms[0]!.name).toBe('MINE.TEST');
      await expect(loadServeFile('no-such-lab')).rejects.toThrow(
        /cannot read no-such-lab: .*; built-in: azure-sql-mi, azure-trust, contoso-fabrikam/,
      );
      await expect(loadServeFile(join(dir, 'missing.yaml'))).rejects.toThrow(
        /cannot read .*missing\.yaml: [^;]*$/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("names FreeTDS's ODBC driver where it is installed, else Debian's path", () => {
    expect(freetdsOdbcDriver((p) => p === '/usr/lib64/libtdsodbc.so')).toBe('/usr/lib64/libtdsodbc.so');
    expect(freetdsOdbcDriver(() => false)).toMatch(
      /^\/usr\/lib\/[a-z0-9_]+-linux-gnu\/odbc\/libtdsodbc\.so$/,
    );
  });
});
