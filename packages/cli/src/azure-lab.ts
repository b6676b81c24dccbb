/**
 * `krbsim serve azure-sql-mi`: the Azure SQL Managed Instance lab on
 * loopback, for real clients, with the lab's facts intact:
 * - the on-prem KDC (CONTOSO.COM) over UDP and TCP;
 * - the Azure AD KDC (KERBEROS.MICROSOFTONLINE.COM) only through an HTTPS
 *   KDC proxy at `https://<host>:<port>/<tenantId>/kerberos`, its CA in
 *   `ca.pem` and `krb5.conf`'s `http_anchors`;
 * - a TDS listener per managed instance (TLS required), its SPN
 *   `MSSQLSvc/<host>:<port>` registered, and `freetds.conf` to reach it.
 *
 * The built-in lab: alice (a Windows login on mi1, and in CONTOSO\SqlAdmins)
 * and bob (no login), so both outcomes can be tried at once.
 *
 * @module
 */

import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AZURE_AD_REALM, type AzureSqlMiLab, createAzureSqlMiLab, listenTds } from '@krbsim/azure';
import { systemClock } from '@krbsim/core';
import { writeKrb5Conf } from '@krbsim/files';
import {
  createSelfSignedCa,
  issueServerCertificate,
  KdcProxy,
  serveKdc,
  serveKdcProxy,
} from '@krbsim/transport';

/** The built-in lab's users: principal, password, and the logins they have on each instance. */
const AZURE_LAB_USERS = [
  { name: 'alice', password: 'Al1ce-Passw0rd', logins: ['CONTOSO\\alice'] },
  { name: 'bob', password: 'B0b-Passw0rd', logins: [] },
] as const;

/** `ports.json` of an Azure lab. */
export interface AzureLabPorts {
  readonly lab: 'azure-sql-mi';
  readonly tenantId: string;
  readonly kdcs: Readonly<Record<string, { host: string; udp: number; tcp: number }>>;
  readonly kdcProxy: Readonly<Record<string, string>>;
  readonly tds: Readonly<Record<string, { host: string; port: number; spn: string }>>;
  readonly krb5conf: string;
  readonly freetdsconf: string;
  readonly ca: string;
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
  /** Where the files go (created 0700). */
  readonly dir: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** The lab's seed: its tenant id, keys and every other random choice (the lab is deterministic). */
  readonly seed?: number;
  /** One line per event (listeners, TDS logins); never key material. */
  readonly log?: (line: string) => void;
}

/** Build the built-in lab, serve it, and write its files. */
export async function startAzureLab(options: StartAzureLabOptions): Promise<RunningAzureLab> {
  const host = options.host ?? '127.0.0.1';
  const dir = resolve(options.dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const lab = createAzureSqlMiLab({
    onPremRealm: 'CONTOSO.COM',
    seed: options.seed ?? 42,
    clock: systemClock,
  });
  for (const u of AZURE_LAB_USERS) lab.onPrem.addUser(u.name, { password: u.password });
  lab.onPrem.addGroup('SqlAdmins');
  lab.onPrem.addGroupMember('SqlAdmins', 'alice');
  const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
  mi.enableWindowsAuthenticationPrerequisites();
  mi.authenticationMetadata = 'Windows';
  for (const u of AZURE_LAB_USERS) for (const l of u.logins) mi.createLogin(l, 'WINDOWS');
  lab.setupCloudTrust();

  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c();
  };
  try {
    const onPrem = await serveKdc((r) => lab.onPrem.handle(r), { host, realm: 'CONTOSO.COM' });
    closers.push(() => onPrem.close());
    const ca = await createSelfSignedCa({ commonName: 'krbsim Azure lab CA' });
    const proxyCert = await issueServerCertificate(ca, { ipAddresses: [host], dnsNames: ['localhost'] });
    const tenantPath = `/${lab.tenant.tenantId}/kerberos`;
    const proxy = await serveKdcProxy(
      new KdcProxy((realm) => (realm === AZURE_AD_REALM ? (req) => lab.tenant.handle(req) : undefined)),
      { cert: proxyCert.certPem, key: proxyCert.keyPem, host, path: tenantPath },
    );
    closers.push(() => proxy.close());
    const tdsCert = await issueServerCertificate(ca, { dnsNames: [mi.fqdn], ipAddresses: [host] });
    const tds = await listenTds(mi, {
      host,
      cert: tdsCert.certPem,
      key: tdsCert.keyPem,
      ...(options.log !== undefined && { log: options.log }),
    });
    closers.push(() => tds.close());

    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, ca.certPem);
    const krb5conf = join(dir, 'krb5.conf');
    await writeFile(
      krb5conf,
      writeKrb5Conf({
        defaultRealm: 'CONTOSO.COM',
        realms: [
          { name: 'CONTOSO.COM', kdcs: [`${host}:${onPrem.udpPort}`] },
          { name: AZURE_AD_REALM, kdcs: [`${proxy.origin}${tenantPath}`], httpAnchors: [`FILE:${caFile}`] },
        ],
      }),
    );
    const freetdsconf = join(dir, 'freetds.conf');
    await writeFile(
      freetdsconf,
      [
        '# FreeTDS names the service MSSQLSvc/<host>:<port> of what it connects to, in `realm`;',
        '# the lab registered that SPN on the instance. tsql -S mi1 (with tickets from kinit).',
        `[${mi.name}]`,
        `  host = ${host}`,
        `  port = ${tds.port}`,
        '  tds version = 7.4',
        '  encryption = require',
        `  realm = ${AZURE_AD_REALM}`,
        '',
      ].join('\n'),
    );
    const ports: AzureLabPorts = {
      lab: 'azure-sql-mi',
      tenantId: lab.tenant.tenantId,
      kdcs: { 'CONTOSO.COM': { host, udp: onPrem.udpPort!, tcp: onPrem.tcpPort! } },
      kdcProxy: { [AZURE_AD_REALM]: `${proxy.origin}${tenantPath}` },
      tds: { [mi.name]: { host, port: tds.port, spn: mi.spn } },
      krb5conf,
      freetdsconf,
      ca: caFile,
      pid: process.pid,
    };
    const principals = {
      users: AZURE_LAB_USERS.map((u) => ({
        principal: `${u.name}@CONTOSO.COM`,
        password: u.password,
        logins: { [mi.name]: [...u.logins] },
      })),
    };
    const principalsFile = join(dir, 'principals.json');
    await writeFile(principalsFile, `${JSON.stringify(principals, null, 2)}\n`, { mode: 0o600 });
    await chmod(principalsFile, 0o600);
    // Written last: a watcher that sees ports.json can rely on every other file.
    await writeFile(join(dir, 'ports.json'), `${JSON.stringify(ports, null, 2)}\n`);
    return { lab, ports, close };
  } catch (e) {
    await close();
    throw e;
  }
}
