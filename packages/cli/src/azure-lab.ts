/**
 * `krbsim serve azure-sql-mi` (or any `kind: azure-sql-mi` file, see
 * `azure-lab-file.ts`): the Azure SQL Managed Instance lab on loopback, for
 * real clients, with the lab's facts intact:
 * - the on-prem KDC over UDP and TCP;
 * - the Azure AD KDC (KERBEROS.MICROSOFTONLINE.COM) through an HTTPS KDC
 *   proxy at `https://<host>:<port>/<tenantId>/kerberos`, its CA in
 *   `ca.pem` and `krb5.conf`'s `http_anchors` (with `directKdc`, also on a
 *   UDP and TCP port of its own, named by `krb5-direct.conf`);
 * - a TDS listener per managed instance, its SPN `MSSQLSvc/<host>:<port>`
 *   registered, `freetds.conf` and `odbc.ini` (with `odbcinst.ini`) to
 *   reach it, and `<instance>.keytab` (its service keys, so Wireshark
 *   decrypts its tickets; with `kdcKeytab` also the KDCs' own keys).
 *
 * The built-in lab (`examples/azure-sql-mi.yaml`): alice (a Windows login on
 * mi1), carol (in through the group login CONTOSO\SqlAdmins) and bob (no
 * login), so every outcome can be tried at once.
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import {
  AZURE_AD_REALM,
  type AzureSqlMiLab,
  type AzureSqlMiLabOptions,
  createAzureSqlMiLab,
  type TdsLoginEvent,
} from '@krbsim/azure';
import { type Clock, systemClock, systemRandom } from '@krbsim/core';
import { serializeKeytab, writeKrb5Conf, writeOwnerOnlyFile, writeOwnerOnlyFileSync } from '@krbsim/files';
import type { KdcRequestEvent } from '@krbsim/kdc';
import {
  createSelfSignedCa,
  issueServerCertificate,
  KdcProxy,
  kdcProxyRoute,
  serveKdc,
  serveKdcProxy,
} from '@krbsim/transport';
import { type AzureLabFile, loginsOf } from './azure-lab-file';
import { connectableHost, connectableHostPort } from './connect-address';
import { type LoginLogEntry, type RequestLogger, requestLogger } from './request-log';
import type { StartTopologyOptions } from './start-topology';
import { atField, policyOf } from './topology';
import { KDC_KEYTAB_FILE, kdcKeytabEntries, serviceKeytabEntries, spnFileName } from './topology-files';

/** `ports.json` of an Azure lab. */
export interface AzureLabPorts {
  readonly lab: 'azure-sql-mi';
  readonly tenantId: string;
  /**
   * The on-prem KDC, and `kpasswd`, its password-change service's port (RFC 3244, UDP and TCP);
   * with `directKdc`, Azure AD's KDC too.
   */
  readonly kdcs: Readonly<Record<string, { host: string; udp: number; tcp: number; kpasswd?: number }>>;
  readonly kdcProxy: Readonly<Record<string, string>>;
  readonly tds: Readonly<Record<string, { host: string; port: number; spn: string }>>;
  readonly krb5conf: string;
  /**
   * With `directKdc`: a krb5.conf naming Azure AD's KDC at its own UDP/TCP port instead of its KDC
   * proxy, for clients without an MS-KKDCP client (Java, Heimdal, gokrb5).
   */
  readonly krb5confDirect?: string;
  readonly freetdsconf: string;
  /** unixODBC's user DSNs, one per instance (`ODBCINI`), and its driver file (in `ODBCSYSINI`'s directory). */
  readonly odbcini: string;
  readonly odbcinstini: string;
  readonly ca: string;
  /** Each instance's service keys (`<instance>.keytab`, 0600). */
  readonly keytabs: Readonly<Record<string, string>>;
  /** With `kdcKeytab`: the KDCs' own keys (0600). */
  readonly kdcKeytab?: string;
  readonly pid: number;
}

/** A running lab: its files and a way to stop it. */
export interface RunningAzureLab {
  readonly lab: AzureSqlMiLab;
  readonly ports: AzureLabPorts;
  close(): Promise<void>;
}

/** Options for {@link startAzureLab}. */
export interface StartAzureLabOptions {
  /** What to serve (a validated `kind: azure-sql-mi` file; `examples/azure-sql-mi.yaml` is the built-in one). */
  readonly lab: AzureLabFile;
  /** Where the files go (created 0700). */
  readonly dir: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** The lab's seed: its tenant id (unless the file gives one), keys and every other random choice. */
  readonly seed?: number;
  /**
   * The lab's clock (the lab's `clock` option): what its KDCs and instances take for now, and
   * the time of each login in the log. Default: the system clock, which `krbsim serve` needs,
   * since the clients it serves compare tickets and authenticators with their own clocks. A
   * test may pass a `ManualClock` and date its requests by it. The TLS certificates the lab
   * issues are dated by the system clock whatever this is: TLS clients check them by theirs.
   */
  readonly clock?: Clock;
  /** Also write `kdc.keytab`, the KDCs' own keys (anyone holding them can forge tickets). */
  readonly kdcKeytab?: boolean;
  /**
   * Also serve Azure AD's KDC over UDP and TCP (in `ports.kdcs`) and write `krb5-direct.conf`
   * naming it, for clients without an MS-KKDCP client. Azure serves it through the proxy only.
   */
  readonly directKdc?: boolean;
  /**
   * Where the KDCs' requests (`log`, filtered by `logRequests`), their
   * internal errors and the listeners' own lines (`transportLog`: the KDCs'
   * and each TDS connection's) go, as for a topology: `serveLog(...).labOptions`.
   */
  readonly log?: StartTopologyOptions['log'];
  readonly logRequests?: StartTopologyOptions['logRequests'];
  readonly onInternalError?: StartTopologyOptions['onInternalError'];
  readonly transportLog?: StartTopologyOptions['transportLog'];
  /** The domain controller's password-change service's line per request, as a topology's. */
  readonly kpasswdLog?: StartTopologyOptions['kpasswdLog'];
  /** Each TDS login's outcome, accepted or refused. */
  readonly onLogin?: (entry: LoginLogEntry) => void;
  /** Lines for every level: a file the lab could not rewrite. Never key material. */
  readonly notice?: (line: string) => void;
}

/**
 * Where FreeTDS's ODBC driver is: the first of the places distributions
 * install `libtdsodbc.so` that exists (Debian's multiarch directory first),
 * else Debian's x86-64 path, for `odbcinst.ini` to name.
 */
export function freetdsOdbcDriver(exists: (path: string) => boolean = existsSync): string {
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  const candidates = [
    `/usr/lib/${arch}-linux-gnu/odbc/libtdsodbc.so`,
    '/usr/lib/odbc/libtdsodbc.so',
    '/usr/lib64/libtdsodbc.so',
    '/usr/local/lib/libtdsodbc.so',
    '/opt/homebrew/lib/libtdsodbc.so',
  ];
  return candidates.find(exists) ?? candidates[0]!;
}

/** Build the lab a file describes, serve it, and write its files. */
export async function startAzureLab(options: StartAzureLabOptions): Promise<RunningAzureLab> {
  const spec = options.lab;
  const host = options.host ?? '127.0.0.1';
  // A wildcard bind (0.0.0.0, ::) is no address to connect to: the files name loopback instead.
  const reach = connectableHost(host);
  const dir = resolve(options.dir);
  const onPremRealm = spec.onPrem.realm;
  // Each realm's requests logged as a topology's are: from its KDC's event, with the transport's peer.
  const errorsOnly = options.logRequests === 'errors';
  const loggers = new Map<string, RequestLogger>();
  const logged = (realm: string, handle: (request: Uint8Array) => Uint8Array) =>
    loggers.get(realm)?.wrap(handle) ?? handle;
  const listenerLog = options.transportLog;
  // Before anything listens: the lab as the file describes it. What the lab refuses that validation
  // let through is the file's fault, reported as a TopologyError naming the field (serve: exit 2).
  const lab = buildAzureLab(spec, options.seed, options.clock ?? systemClock, {
    ...(options.log !== undefined && {
      onRequest: (realm: string, event: KdcRequestEvent) => loggers.get(realm)?.onRequest(event),
    }),
    ...(options.onInternalError !== undefined && { onInternalError: options.onInternalError }),
  });
  if (options.log !== undefined) {
    for (const realm of [lab.onPrem.realm, lab.tenant.realm]) {
      loggers.set(realm.name, requestLogger(realm.name, realm.clock, options.log, errorsOnly));
    }
  }
  const instances = lab.managedInstances;
  // Made only once the lab is built: a file the lab refuses leaves no directory behind.
  await mkdir(dir, { recursive: true, mode: 0o700 });

  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c();
  };
  try {
    const onPrem = await serveKdc(
      logged(lab.onPrem.realm.name, (r) => lab.onPrem.handle(r)),
      {
        host,
        realm: onPremRealm,
        ...(listenerLog !== undefined && { log: (line: string) => listenerLog(`${onPremRealm} ${line}`) }),
        ...(spec.onPrem.port !== undefined && { udpPort: spec.onPrem.port, tcpPort: spec.onPrem.port }),
      },
    );
    closers.push(() => onPrem.close());
    // The domain controller's password-change service (kpasswd, RFC 3244) beside its KDC.
    const changepw = lab.onPrem.passwordChangeService();
    const kpasswdLog = options.kpasswdLog;
    if (kpasswdLog !== undefined) lab.onPrem.kpasswdLog = (line) => kpasswdLog(onPremRealm, line);
    const kpasswd = await serveKdc((r) => changepw.handle(r), {
      host,
      realm: onPremRealm,
      protocol: 'kpasswd',
      ...(listenerLog !== undefined && {
        log: (line: string) => listenerLog(`${onPremRealm} kpasswd ${line}`),
      }),
    });
    closers.push(() => kpasswd.close());
    const ca = await createSelfSignedCa({ commonName: 'krbsim Azure lab CA' });
    const proxyCert = await issueServerCertificate(ca, certificateNames(reach, ['localhost']));
    const tenantPath = `/${lab.tenant.tenantId}/kerberos`;
    const proxy = await serveKdcProxy(
      new KdcProxy(kdcProxyRoute({ [AZURE_AD_REALM]: logged(AZURE_AD_REALM, (r) => lab.tenant.handle(r)) })),
      {
        cert: proxyCert.certPem,
        key: proxyCert.keyPem,
        host,
        path: tenantPath,
        ...(listenerLog !== undefined && { log: (line: string) => listenerLog(`${AZURE_AD_REALM} ${line}`) }),
      },
    );
    closers.push(() => proxy.close());
    const proxyUrl = `https://${connectableHostPort(host, proxy.port)}${tenantPath}`;
    const tenantKdc =
      options.directKdc === true
        ? await serveKdc(
            logged(AZURE_AD_REALM, (r) => lab.tenant.handle(r)),
            {
              host,
              realm: AZURE_AD_REALM,
              ...(listenerLog !== undefined && {
                log: (line: string) => listenerLog(`${AZURE_AD_REALM} ${line}`),
              }),
            },
          )
        : undefined;
    if (tenantKdc !== undefined) closers.push(() => tenantKdc.close());
    const tds: Record<string, { host: string; port: number; spn: string }> = {};
    for (const [i, mi] of instances.entries()) {
      const m = spec.managedInstances[i]!;
      const cert = await issueServerCertificate(ca, certificateNames(reach, [mi.fqdn]));
      const listener = await mi.listen({
        host,
        cert: cert.certPem,
        key: cert.keyPem,
        encryption: m.encryption,
        extendedProtection: m.extendedProtection,
        ...(m.port !== undefined && { port: m.port }),
        ...(listenerLog !== undefined && { log: listenerLog }),
        ...(options.onLogin !== undefined && {
          onLogin: (event: TdsLoginEvent) =>
            options.onLogin!({ time: new Date(lab.clock.now()).toISOString(), ...event }),
        }),
      });
      closers.push(() => listener.close());
      // The listener registered MSSQLSvc/<bound address>:<port>; bound to a wildcard, clients reach it at
      // loopback (freetds.conf says so), and FreeTDS asks for the SPN of the address it connects to.
      if (reach !== host) mi.addSpn(`MSSQLSvc/${reach}:${listener.port}`);
      tds[mi.name] = { host: reach, port: listener.port, spn: mi.spn };
    }

    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, ca.certPem);
    // The on-prem realm's KDC and kpasswd, and Azure AD's as `tenant` names it.
    const krb5ConfText = (tenant: { kdcs: string[]; httpAnchors?: string[] }) =>
      writeKrb5Conf({
        defaultRealm: onPremRealm,
        realms: [
          {
            name: onPremRealm,
            kdcs: [connectableHostPort(host, onPrem.udpPort!)],
            kpasswd: connectableHostPort(host, kpasswd.udpPort!),
          },
          { name: AZURE_AD_REALM, ...tenant },
        ],
      });
    const krb5conf = join(dir, 'krb5.conf');
    await writeFile(krb5conf, krb5ConfText({ kdcs: [proxyUrl], httpAnchors: [`FILE:${caFile}`] }));
    let krb5confDirect: string | undefined;
    if (tenantKdc !== undefined) {
      krb5confDirect = join(dir, 'krb5-direct.conf');
      await writeFile(
        krb5confDirect,
        krb5ConfText({ kdcs: [connectableHostPort(host, tenantKdc.udpPort!)] }),
      );
    }
    const freetdsconf = join(dir, 'freetds.conf');
    await writeFile(freetdsconf, freetdsConf(spec, tds));
    const odbcinstini = join(dir, 'odbcinst.ini');
    await writeFile(
      odbcinstini,
      [
        "# unixODBC's drivers (ODBCSYSINI=<this directory>): FreeTDS's, as Debian's tdsodbc installs it.",
        '[FreeTDS]',
        'Description = FreeTDS ODBC driver (tdsodbc)',
        `Driver = ${freetdsOdbcDriver()}`,
        '',
      ].join('\n'),
    );
    const odbcini = join(dir, 'odbc.ini');
    await writeFile(odbcini, odbcIni(spec));
    const now = Date.now();
    const keytabs: Record<string, string> = {};
    for (const mi of instances) {
      const entry = lab.tenant.realm.lookup(mi.spn);
      const aliases = (entry?.aliases ?? []).map((a) => a.nameString.join('/'));
      const path = join(dir, `${spnFileName(mi.name)}.keytab`);
      const entries = serviceKeytabEntries(lab.tenant.realm, mi.spn, aliases, now);
      await writeOwnerOnlyFile(path, serializeKeytab({ entries }));
      keytabs[mi.name] = path;
    }
    // Security: the KDCs' keys forge any ticket of the lab's realms; written only when asked for, 0600,
    // and one an earlier run left in a reused --dir is removed: it may hold this lab's keys (same seed).
    let kdcKeytab: string | undefined;
    if (options.kdcKeytab === true) {
      kdcKeytab = join(dir, KDC_KEYTAB_FILE);
      const entries = kdcKeytabEntries([lab.onPrem.realm, lab.tenant.realm], now);
      await writeOwnerOnlyFile(kdcKeytab, serializeKeytab({ entries }));
    } else {
      await rm(join(dir, KDC_KEYTAB_FILE), { force: true });
    }
    const ports: AzureLabPorts = {
      lab: 'azure-sql-mi',
      tenantId: lab.tenant.tenantId,
      kdcs: {
        [onPremRealm]: { host: reach, udp: onPrem.udpPort!, tcp: onPrem.tcpPort!, kpasswd: kpasswd.udpPort! },
        ...(tenantKdc !== undefined && {
          [AZURE_AD_REALM]: { host: reach, udp: tenantKdc.udpPort!, tcp: tenantKdc.tcpPort! },
        }),
      },
      kdcProxy: { [AZURE_AD_REALM]: proxyUrl },
      tds,
      krb5conf,
      ...(krb5confDirect !== undefined && { krb5confDirect }),
      freetdsconf,
      odbcini,
      odbcinstini,
      ca: caFile,
      keytabs,
      ...(kdcKeytab !== undefined && { kdcKeytab }),
      pid: process.pid,
    };
    // The users' passwords as the domain holds them now: a change through kpasswd rewrites the file.
    const principals = () => ({
      users: spec.onPrem.users.map((u) => ({
        principal: `${u.name}@${onPremRealm}`,
        password: lab.onPrem.user(u.name)?.password ?? u.password,
        logins: Object.fromEntries(spec.managedInstances.map((m) => [m.name, loginsOf(spec, m, u)])),
      })),
    });
    const principalsFile = join(dir, 'principals.json');
    const principalsBytes = () => new TextEncoder().encode(`${JSON.stringify(principals(), null, 2)}\n`);
    // Replaced whole (a reader never sees half of it), 0600 whatever was there: it holds passwords.
    await writeOwnerOnlyFile(principalsFile, principalsBytes());
    // Rewritten before kpasswd answers: whoever reads "Password changed" finds the new password here.
    lab.onPrem.onPasswordChanged = () => {
      try {
        writeOwnerOnlyFileSync(principalsFile, principalsBytes());
      } catch (e) {
        options.notice?.(`principals.json not rewritten: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    // Written last, and whole: a watcher that sees ports.json can rely on every other file.
    const portsFile = join(dir, 'ports.json');
    await writeFile(`${portsFile}.tmp`, `${JSON.stringify(ports, null, 2)}\n`);
    await rename(`${portsFile}.tmp`, portsFile);
    return { lab, ports, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * The lab `spec` describes, before anything listens: its users, groups, instances (every
 * Windows-authentication prerequisite met) and logins, and the cloud trust. A step the lab refuses
 * throws a TopologyError naming the field, as validation does.
 */
function buildAzureLab(
  spec: AzureLabFile,
  seed: number | undefined,
  clock: Clock,
  hooks: Pick<AzureSqlMiLabOptions, 'onRequest' | 'onInternalError'>,
): AzureSqlMiLab {
  const lab = atField('onPrem', () =>
    createAzureSqlMiLab({
      onPremRealm: spec.onPrem.realm,
      ...(spec.onPrem.netbiosName !== undefined && { netbiosName: spec.onPrem.netbiosName }),
      onPremPolicy: policyOf(spec.onPrem.policy),
      ...(spec.tenantId !== undefined && { tenantId: spec.tenantId }),
      // Without a seed, a random one: the lab's keys, session keys included, come from its seeded
      // stream, which must not be the same public default on every served lab.
      seed: seed ?? randomLabSeed(),
      clock,
      ...hooks,
    }),
  );
  const users = spec.onPrem.users;
  const groups = spec.onPrem.groups;
  users.forEach((u, i) => {
    atField(`onPrem.users[${i}]`, () =>
      lab.onPrem.addUser(u.name, {
        password: u.password,
        ...(u.upn !== undefined && { upn: u.upn }),
        ...(u.mustChangePassword === true && { mustChangePassword: true }),
      }),
    );
  });
  groups.forEach((g, i) => {
    atField(`onPrem.groups[${i}].name`, () => lab.onPrem.addGroup(g.name, { scope: g.scope }));
  });
  users.forEach((u, i) => {
    u.groups.forEach((g, j) => {
      atField(`onPrem.users[${i}].groups[${j}]`, () => lab.onPrem.addGroupMember(g, u.name));
    });
  });
  groups.forEach((g, i) => {
    g.members.forEach((m, j) => {
      atField(`onPrem.groups[${i}].members[${j}]`, () => lab.onPrem.addGroupMember(g.name, m));
    });
  });
  spec.managedInstances.forEach((m, i) => {
    const path = `managedInstances[${i}]`;
    const mi = atField(path, () => {
      const mi = lab.addManagedInstance({ name: m.name, dnsZone: m.dnsZone, subnet: m.subnet });
      mi.enableWindowsAuthenticationPrerequisites();
      mi.authenticationMetadata = m.authenticationMetadata;
      mi.connectionType = m.connectionType;
      return mi;
    });
    m.logins.forEach((l, j) => {
      atField(`${path}.logins[${j}]`, () => {
        mi.createLogin(l.name, l.from === 'windows' ? 'WINDOWS' : 'EXTERNAL PROVIDER');
        if (l.connect === 'deny') mi.denyConnectSql(l.name);
      });
    });
  });
  // Set-AzureADKerberosServer: the trust of the on-prem realm, and its accounts there.
  atField('onPrem.realm', () => lab.setupCloudTrust());
  return lab;
}

/**
 * The names a lab certificate carries for clients that reach it at `host`: an address as an IP
 * address, a host name (`--host localhost`) as a DNS name, beside `dnsNames`.
 */
function certificateNames(
  host: string,
  dnsNames: readonly string[],
): { ipAddresses: string[]; dnsNames: string[] } {
  if (isIP(host) !== 0) return { ipAddresses: [host], dnsNames: [...dnsNames] };
  return { ipAddresses: [], dnsNames: [...new Set([host, ...dnsNames])] };
}

/**
 * `freetds.conf`: an entry per instance. FreeTDS names the service after the
 * host and port it connects to (`MSSQLSvc/127.0.0.1:<port>`) in the entry's
 * `realm`; the lab registered that SPN on the instance.
 */
function freetdsConf(spec: AzureLabFile, tds: Record<string, { host: string; port: number }>): string {
  const lines = [
    '# FreeTDS names the service MSSQLSvc/<host>:<port> of what it connects to, in `realm`;',
    '# the lab registered that SPN on each instance. tsql -S <instance> (with tickets from kinit).',
  ];
  for (const m of spec.managedInstances) {
    lines.push(
      `[${m.name}]`,
      `  host = ${tds[m.name]!.host}`,
      `  port = ${tds[m.name]!.port}`,
      `  tds version = ${spec.client.tdsVersion}`,
      `  encryption = ${spec.client.encryption}`,
      `  realm = ${AZURE_AD_REALM}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `odbc.ini`: a DSN per instance, through FreeTDS's driver and its `freetds.conf` entry. */
function odbcIni(spec: AzureLabFile): string {
  const lines = [
    '# unixODBC DSNs (ODBCINI=<this file>, ODBCSYSINI=<this directory>, FREETDSCONF=<freetds.conf>):',
    '# isql -v -b -e <instance> with tickets from kinit.',
  ];
  for (const m of spec.managedInstances) {
    lines.push(
      `[${m.name}]`,
      `Description = ${m.name}.${m.dnsZone}.database.windows.net (krbsim)`,
      'Driver = FreeTDS',
      `Servername = ${m.name}`,
      `TDS_Version = ${spec.client.tdsVersion}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A lab seed from the CSPRNG: 48 random bits, a safe integer. */
function randomLabSeed(): number {
  const b = systemRandom.fill(new Uint8Array(6));
  return b.reduce((n, x) => n * 256 + x, 0);
}
