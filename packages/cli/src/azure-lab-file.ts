/**
 * The Azure SQL Managed Instance lab as a file `krbsim serve` reads
 * (`kind: azure-sql-mi`): the tenant, the on-prem domain with its users,
 * passwords and groups, the managed instances with their subnet,
 * authentication metadata mode, encryption and logins (Windows users and
 * groups, Azure AD principals), and what the SQL client files say.
 *
 * ```yaml
 * kind: azure-sql-mi
 * tenantId: 6f1c2a9e-0b7d-4c35-9a4e-2d5b8c7f1e30   # optional: derived from --seed
 * onPrem:
 *   realm: CONTOSO.COM
 *   netbiosName: CONTOSO                              # optional: the realm's first label
 *   policy: { minPasswordAge: 0 }                     # optional: a topology realm's policy keys
 *   users:
 *     - { name: alice, password: Al1ce-Passw0rd, groups: [DBAs] }
 *     - { name: bob, password: B0b-Passw0rd }
 *   groups:
 *     - { name: DBAs }
 *     - { name: SqlAdmins, scope: global, members: [DBAs] }   # nested
 * managedInstances:
 *   - name: mi1
 *     dnsZone: abc123
 *     subnet: 10.0.0.0/24
 *     authenticationMetadata: Windows                 # Windows | AzureAD | Paired
 *     encryption: required                            # required | login-only | not-supported | strict
 *     extendedProtection: off                         # off | allowed | required (channel bindings over TLS)
 *     logins:
 *       - CONTOSO\alice                               # CREATE LOGIN ... FROM WINDOWS
 *       - { name: CONTOSO\SqlAdmins, from: windows }  # a group login
 *       - { name: alice@contoso.com, from: external-provider }
 *       - { name: CONTOSO\dave, connect: deny }       # DENY CONNECT SQL
 * client:
 *   encryption: require                               # freetds.conf: require | request | off
 * ```
 *
 * Validation is strict, as for topologies: every error names the field,
 * e.g. `managedInstances[0].logins[1].from: expected one of windows,
 * external-provider, got string "sql"`.
 *
 * @module
 */

import { withSecretFields } from '@krbsim/core';
import {
  checkPolicy,
  list,
  obj,
  oneOf,
  optBool,
  optPort,
  optStr,
  type PolicySpec,
  policy,
  realmName,
  str,
  TopologyError,
} from './topology';

/** An on-prem user: `New-ADUser` with a password, and the groups it joins. */
export interface AzureLabUserSpec {
  readonly name: string;
  /** Readable, but not enumerable: printed and serialized as `'<redacted>'`. */
  readonly password: string;
  /** Default `<name>@<realm in lower case>`. */
  readonly upn?: string;
  /** Groups of `onPrem.groups` the user is a member of. */
  readonly groups: readonly string[];
  /** "User must change password at next logon": logons refused (0x773) until changed through kpasswd. */
  readonly mustChangePassword?: boolean;
}

/** An on-prem security group; members are users or groups of the domain. */
export interface AzureLabGroupSpec {
  readonly name: string;
  readonly scope: 'global' | 'universal' | 'domain-local';
  readonly members: readonly string[];
}

/** A login on an instance: `CREATE LOGIN [name] FROM WINDOWS` or `FROM EXTERNAL PROVIDER`. */
export interface AzureLabLoginSpec {
  readonly name: string;
  readonly from: 'windows' | 'external-provider';
  /** `deny`: `DENY CONNECT SQL TO` the login, which refuses everyone whose token holds it (default `grant`). */
  readonly connect: 'grant' | 'deny';
}

/** A managed instance of the lab and its TDS listener. */
export interface AzureLabInstanceSpec {
  readonly name: string;
  readonly dnsZone: string;
  readonly subnet: string;
  readonly authenticationMetadata: 'Windows' | 'AzureAD' | 'Paired';
  /** The listener's encryption (default `required`, as Azure SQL insists). */
  readonly encryption: 'required' | 'login-only' | 'not-supported' | 'strict';
  /** SQL Server's Extended Protection on the listener (default `off`): channel bindings over TLS. */
  readonly extendedProtection: 'off' | 'allowed' | 'required';
  readonly connectionType: 'Proxy' | 'Redirect';
  /** The TDS listener's port; unset: OS-chosen. */
  readonly port?: number;
  readonly logins: readonly AzureLabLoginSpec[];
}

/** What the client files (`freetds.conf`, `odbc.ini`) ask of the SQL clients. */
export interface AzureLabClientSpec {
  /** FreeTDS's `encryption`: `require` (default: the whole session in TLS), `request`, `off`. */
  readonly encryption: 'require' | 'request' | 'off';
  /** FreeTDS's `tds version` (default `7.4`). */
  readonly tdsVersion: '7.1' | '7.2' | '7.3' | '7.4';
}

/** A validated `kind: azure-sql-mi` file. */
export interface AzureLabFile {
  readonly kind: 'azure-sql-mi';
  readonly tenantId?: string;
  readonly onPrem: {
    readonly realm: string;
    readonly netbiosName?: string;
    readonly port?: number;
    /** The domain controller's policy where it differs from AD's defaults (the topology file's `policy` keys). */
    readonly policy: PolicySpec;
    readonly users: readonly AzureLabUserSpec[];
    readonly groups: readonly AzureLabGroupSpec[];
  };
  readonly managedInstances: readonly AzureLabInstanceSpec[];
  readonly client: AzureLabClientSpec;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$/;
const INSTANCE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const SUBNET = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function account(v: unknown, path: string, what: string): string {
  const name = str(v, path);
  if (!NAME.test(name)) {
    throw new TopologyError(
      path,
      `expected a ${what} name (sAMAccountName: up to 20 letters, digits, '_', '.' or '-'), got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

function subnet(v: unknown, path: string): string {
  const s = str(v, path);
  const m = SUBNET.exec(s);
  if (m === null || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
    throw new TopologyError(path, `expected an IPv4 subnet like 10.0.0.0/24, got ${JSON.stringify(s)}`);
  }
  return s;
}

/**
 * A validated subnet as its network: the first address (host bits cleared) and the prefix length.
 * The lab compares networks as `@krbsim/azure`'s `subnet.ts` does (10.0.0.9/24 is 10.0.0.0/24;
 * 10.0.0.128/25 lies in it); this file keeps to its own few lines so that validating loads no lab.
 */
function network(s: string): { base: number; prefix: number } {
  const m = SUBNET.exec(s)!;
  const prefix = Number(m[5]);
  const address = m.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0);
  return { base: (address & maskOf(prefix)) >>> 0, prefix };
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** `a.b.c.d/len` of a network. */
function formatNetwork(n: { base: number; prefix: number }): string {
  return `${[24, 16, 8, 0].map((s) => (n.base >>> s) & 0xff).join('.')}/${n.prefix}`;
}

/** True when two networks share an address (one contains the other). */
function overlaps(a: { base: number; prefix: number }, b: { base: number; prefix: number }): boolean {
  const m = maskOf(Math.min(a.prefix, b.prefix));
  return (a.base & m) >>> 0 === (b.base & m) >>> 0;
}

/** The Azure AD realm the lab serves itself (`AZURE_AD_REALM` of `@krbsim/azure`). */
const AZURE_AD_REALM = 'KERBEROS.MICROSOFTONLINE.COM';

/**
 * Accounts the lab's on-prem domain has before the file's are added, which a user or group of the
 * file cannot be (names without case, as AD's): the domain's `krbtgt`, and `krbtgt_AzureAD`, the
 * disabled account `Set-AzureADKerberosServer` makes to hold the Azure AD Kerberos server's key.
 */
const RESERVED_ACCOUNTS: ReadonlyMap<string, string> = new Map([
  ['krbtgt', "the domain's KDC account (krbtgt)"],
  ['krbtgt_azuread', "the Azure AD Kerberos server's account (krbtgt_AzureAD), which the cloud trust makes"],
]);

function login(v: unknown, path: string): AzureLabLoginSpec {
  if (typeof v === 'string') return { name: str(v, path), from: 'windows', connect: 'grant' };
  const o = obj(v, path, ['name', 'from', 'connect']);
  return {
    name: str(o.name, `${path}.name`),
    from: oneOf(o.from, `${path}.from`, ['windows', 'external-provider'] as const, 'windows'),
    connect: oneOf(o.connect, `${path}.connect`, ['grant', 'deny'] as const, 'grant'),
  };
}

function instance(v: unknown, path: string): AzureLabInstanceSpec {
  const o = obj(v, path, [
    'name',
    'dnsZone',
    'subnet',
    'authenticationMetadata',
    'encryption',
    'extendedProtection',
    'connectionType',
    'port',
    'logins',
  ]);
  const name = str(o.name, `${path}.name`);
  if (!INSTANCE.test(name)) {
    throw new TopologyError(
      `${path}.name`,
      `expected an instance name (lower-case letters, digits and '-'), got ${JSON.stringify(name)}`,
    );
  }
  const dnsZone = str(o.dnsZone, `${path}.dnsZone`);
  if (!INSTANCE.test(dnsZone)) {
    throw new TopologyError(
      `${path}.dnsZone`,
      `expected a DNS zone id like abc123 (lower-case letters and digits), got ${JSON.stringify(dnsZone)}`,
    );
  }
  const port = optPort(o.port, `${path}.port`);
  const encryption = oneOf(
    o.encryption,
    `${path}.encryption`,
    ['required', 'login-only', 'not-supported', 'strict'] as const,
    'required',
  );
  const extendedProtection = oneOf(
    o.extendedProtection,
    `${path}.extendedProtection`,
    ['off', 'allowed', 'required'] as const,
    'off',
  );
  // Extended Protection binds a login to its TLS channel: a listener that never starts TLS has none.
  if (extendedProtection !== 'off' && encryption === 'not-supported') {
    throw new TopologyError(
      `${path}.extendedProtection`,
      `${extendedProtection} holds logins to their TLS channel, and encryption not-supported starts none: every login would go unchecked (set encryption to required, login-only or strict, or extendedProtection to off)`,
    );
  }
  return {
    name,
    dnsZone,
    subnet: subnet(o.subnet, `${path}.subnet`),
    authenticationMetadata: oneOf(
      o.authenticationMetadata,
      `${path}.authenticationMetadata`,
      ['Windows', 'AzureAD', 'Paired'] as const,
      'Windows',
    ),
    encryption,
    extendedProtection,
    connectionType: oneOf(
      o.connectionType,
      `${path}.connectionType`,
      ['Proxy', 'Redirect'] as const,
      'Proxy',
    ),
    ...(port !== undefined && { port }),
    logins: list(o.logins, `${path}.logins`).map((l, i) => login(l, `${path}.logins[${i}]`)),
  };
}

/**
 * Validates a parsed `kind: azure-sql-mi` document: the fields above, and
 * that names refer to what the file defines (a user's groups, a group's
 * members, a Windows login's domain and account), one instance per subnet
 * (networks that overlap are one subnet), unique names, UPNs and ports, no
 * account the lab makes itself (`krbtgt`, `krbtgt_AzureAD`), an on-prem realm
 * that is not Azure AD's, and settings that work together (Extended
 * Protection needs TLS; the policy's `requirePac` needs PACs,
 * `allowAnonymous` PKINIT).
 */
export function validateAzureLab(doc: unknown): AzureLabFile {
  const o = obj(doc, 'azure-sql-mi', ['kind', 'tenantId', 'onPrem', 'managedInstances', 'client']);
  oneOf(o.kind, 'kind', ['azure-sql-mi'] as const);
  const tenantId = optStr(o.tenantId, 'tenantId');
  if (tenantId !== undefined && !GUID.test(tenantId)) {
    throw new TopologyError(
      'tenantId',
      `expected a GUID in lower case like 6f1c2a9e-0b7d-4c35-9a4e-2d5b8c7f1e30, got ${JSON.stringify(tenantId)}`,
    );
  }
  const p = obj(o.onPrem, 'onPrem', ['realm', 'netbiosName', 'port', 'policy', 'users', 'groups']);
  const realm = realmName(p.realm, 'onPrem.realm');
  if (realm === AZURE_AD_REALM) {
    throw new TopologyError(
      'onPrem.realm',
      `${realm} is Azure AD's realm, which the lab serves itself: the on-prem domain needs a realm of its own, e.g. CONTOSO.COM`,
    );
  }
  const netbiosName = optStr(p.netbiosName, 'onPrem.netbiosName');
  if (netbiosName !== undefined && !/^[A-Z0-9][A-Z0-9-]{0,14}$/.test(netbiosName)) {
    throw new TopologyError(
      'onPrem.netbiosName',
      `expected a NetBIOS domain name (up to 15 upper-case letters, digits or '-'), got ${JSON.stringify(netbiosName)}`,
    );
  }
  const netbios = netbiosName ?? realm.split('.')[0]!;
  const groups = list(p.groups, 'onPrem.groups').map((g, i): AzureLabGroupSpec => {
    const path = `onPrem.groups[${i}]`;
    const go = obj(g, path, ['name', 'scope', 'members']);
    return {
      name: account(go.name, `${path}.name`, 'group'),
      scope: oneOf(go.scope, `${path}.scope`, ['global', 'universal', 'domain-local'] as const, 'global'),
      members: list(go.members, `${path}.members`).map((m, j) => str(m, `${path}.members[${j}]`)),
    };
  });
  const users = list(p.users, 'onPrem.users', false).map((u, i): AzureLabUserSpec => {
    const path = `onPrem.users[${i}]`;
    const uo = obj(u, path, ['name', 'password', 'upn', 'groups', 'mustChangePassword']);
    const upn = optStr(uo.upn, `${path}.upn`);
    if (upn !== undefined && !/^[^@\s]+@[^@\s]+$/.test(upn)) {
      throw new TopologyError(`${path}.upn`, `expected user@domain, got ${JSON.stringify(upn)}`);
    }
    // The password is read where it is needed, never printed (as the lab's own users keep theirs).
    return withSecretFields(
      {
        name: account(uo.name, `${path}.name`, 'user'),
        password: str(uo.password, `${path}.password`),
        ...(upn !== undefined && { upn }),
        groups: list(uo.groups, `${path}.groups`).map((g, j) => str(g, `${path}.groups[${j}]`)),
        ...(optBool(uo.mustChangePassword, `${path}.mustChangePassword`) === true && {
          mustChangePassword: true,
        }),
      },
      ['password'],
    );
  });
  // One namespace for accounts and groups, as in a domain.
  const names = new Map<string, string>();
  const claim = (name: string, path: string) => {
    const reserved = RESERVED_ACCOUNTS.get(name.toLowerCase());
    if (reserved !== undefined) throw new TopologyError(path, `${name} is ${reserved}: choose another name`);
    const other = names.get(name.toLowerCase());
    if (other !== undefined) throw new TopologyError(path, `${name} is already defined at ${other}`);
    names.set(name.toLowerCase(), path);
  };
  for (const [i, u] of users.entries()) claim(u.name, `onPrem.users[${i}].name`);
  for (const [i, g] of groups.entries()) claim(g.name, `onPrem.groups[${i}].name`);
  // One user per UPN (without case, as AD's): the tenant knows its synced users by UPN.
  const upns = new Map<string, string>();
  for (const [i, u] of users.entries()) {
    const upn = (u.upn ?? `${u.name}@${realm}`).toLowerCase();
    const path = u.upn === undefined ? `onPrem.users[${i}].name` : `onPrem.users[${i}].upn`;
    const other = upns.get(upn);
    if (other !== undefined) {
      const what = u.upn === undefined ? `its UPN (the default, name@realm) ${upn}` : `UPN ${u.upn}`;
      throw new TopologyError(path, `${what} is already the UPN of ${other}`);
    }
    upns.set(upn, `onPrem.users[${i}]`);
  }
  const groupNames = new Set(groups.map((g) => g.name.toLowerCase()));
  for (const [i, u] of users.entries()) {
    for (const [j, g] of u.groups.entries()) {
      if (!groupNames.has(g.toLowerCase())) {
        throw new TopologyError(`onPrem.users[${i}].groups[${j}]`, `no group ${g} in onPrem.groups`);
      }
    }
  }
  for (const [i, g] of groups.entries()) {
    for (const [j, m] of g.members.entries()) {
      const path = `onPrem.groups[${i}].members[${j}]`;
      if (!names.has(m.toLowerCase())) throw new TopologyError(path, `no user or group ${m} in onPrem`);
      if (m.toLowerCase() === g.name.toLowerCase()) {
        throw new TopologyError(path, 'a group cannot be a member of itself');
      }
    }
  }

  const managedInstances = list(o.managedInstances, 'managedInstances', false).map((m, i) =>
    instance(m, `managedInstances[${i}]`),
  );
  if (managedInstances.length === 0) {
    throw new TopologyError('managedInstances', 'at least one managed instance is needed');
  }
  const seen = {
    name: new Map<string, number>(),
    port: new Map<number, number>(),
  };
  const onPremPort = optPort(p.port, 'onPrem.port');
  managedInstances.forEach((m, i) => {
    const path = `managedInstances[${i}]`;
    const other = seen.name.get(m.name);
    if (other !== undefined) {
      throw new TopologyError(`${path}.name`, `${m.name} is already used by managedInstances[${other}]`);
    }
    seen.name.set(m.name, i);
    // Windows authentication is enabled per subnet: one instance per subnet, as Azure requires. Networks,
    // not strings: 10.0.0.9/24 is 10.0.0.0/24, and 10.0.0.128/25 lies in it (the lab refuses both).
    const net = network(m.subnet);
    const k = managedInstances.slice(0, i).findIndex((n) => overlaps(network(n.subnet), net));
    if (k >= 0) {
      const taken = managedInstances[k]!.subnet;
      throw new TopologyError(
        `${path}.subnet`,
        taken === m.subnet
          ? `${m.subnet} is already used by managedInstances[${k}]`
          : `${m.subnet} (network ${formatNetwork(net)}) overlaps ${taken} of managedInstances[${k}]: one instance per subnet`,
      );
    }
    if (m.port !== undefined) {
      const other = m.port === onPremPort ? 'onPrem.port' : seen.port.get(m.port);
      if (other !== undefined) {
        const by = typeof other === 'string' ? other : `managedInstances[${other}]`;
        throw new TopologyError(`${path}.port`, `port ${m.port} is already used by ${by}`);
      }
      seen.port.set(m.port, i);
    }
    const loginNames = new Map<string, number>();
    m.logins.forEach((l, j) => {
      const lp = `${path}.logins[${j}].name`;
      // CREATE LOGIN of a name the instance has is SQL Server's error 15025.
      const first = loginNames.get(l.name.toLowerCase());
      if (first !== undefined) throw new TopologyError(lp, `${l.name} is already a login (logins[${first}])`);
      loginNames.set(l.name.toLowerCase(), j);
      if (l.from === 'external-provider') {
        if (!l.name.includes('@'))
          throw new TopologyError(lp, `expected a UPN like alice@contoso.com, got ${JSON.stringify(l.name)}`);
        return;
      }
      const [domain, who, ...rest] = l.name.split('\\');
      if (who === undefined || rest.length > 0 || domain!.toUpperCase() !== netbios) {
        throw new TopologyError(lp, `expected ${netbios}\\<user or group>, got ${JSON.stringify(l.name)}`);
      }
      if (!names.has(who.toLowerCase())) throw new TopologyError(lp, `no user or group ${who} in onPrem`);
    });
  });

  const c = obj(o.client === undefined ? {} : o.client, 'client', ['encryption', 'tdsVersion']);
  // "7.4", or the YAML number 7.4 an unquoted version reads as; nothing else (a list, true, 8).
  const versions = ['7.1', '7.2', '7.3', '7.4'] as const;
  const tdsVersion =
    typeof c.tdsVersion === 'number' && (versions as readonly string[]).includes(String(c.tdsVersion))
      ? String(c.tdsVersion)
      : c.tdsVersion;
  const onPremPolicy = policy(p.policy, 'onPrem.policy');
  checkPolicy(onPremPolicy, 'onPrem.policy', { kind: 'active-directory', pkinit: false });
  return {
    kind: 'azure-sql-mi',
    ...(tenantId !== undefined && { tenantId }),
    onPrem: {
      realm,
      ...(netbiosName !== undefined && { netbiosName }),
      ...(onPremPort !== undefined && { port: onPremPort }),
      policy: onPremPolicy,
      users,
      groups,
    },
    managedInstances,
    client: {
      encryption: oneOf(c.encryption, 'client.encryption', ['require', 'request', 'off'] as const, 'require'),
      tdsVersion: oneOf(tdsVersion, 'client.tdsVersion', versions, '7.4'),
    },
  };
}

/**
 * The logins of `instance` that admit `user`, as the instance maps them:
 * a Windows login naming the user or a group it is in (directly or
 * nested), an Azure AD login naming its UPN, as the metadata mode allows;
 * none when CONNECT SQL is denied to one of those (a DENY takes precedence).
 */
export function loginsOf(
  lab: AzureLabFile,
  instance: AzureLabInstanceSpec,
  user: AzureLabUserSpec,
): string[] {
  const netbios = (lab.onPrem.netbiosName ?? lab.onPrem.realm.split('.')[0]!).toLowerCase();
  // The user's groups, through nesting: memberships come from both users[].groups and groups[].members.
  const memberOf = new Map<string, Set<string>>();
  const join = (member: string, group: string) => {
    const k = member.toLowerCase();
    memberOf.set(k, (memberOf.get(k) ?? new Set()).add(group.toLowerCase()));
  };
  for (const u of lab.onPrem.users) for (const g of u.groups) join(u.name, g);
  for (const g of lab.onPrem.groups) for (const m of g.members) join(m, g.name);
  const held = new Set([user.name.toLowerCase()]);
  const queue = [user.name.toLowerCase()];
  while (queue.length > 0) {
    for (const g of memberOf.get(queue.pop()!) ?? []) {
      if (held.has(g)) continue;
      held.add(g);
      queue.push(g);
    }
  }
  const upn = (user.upn ?? `${user.name}@${lab.onPrem.realm}`).toLowerCase();
  const mode = instance.authenticationMetadata;
  const token = instance.logins.filter((l) =>
    l.from === 'windows'
      ? mode !== 'AzureAD' &&
        l.name.toLowerCase().startsWith(`${netbios}\\`) &&
        held.has(l.name.slice(netbios.length + 1).toLowerCase())
      : mode !== 'Windows' && l.name.toLowerCase() === upn,
  );
  return token.some((l) => l.connect === 'deny') ? [] : token.map((l) => l.name);
}
