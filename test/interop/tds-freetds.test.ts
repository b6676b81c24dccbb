/**
 * Real SQL clients log in to the emulated managed instance over TDS
 * (`mi.listen()`), holding MIT Kerberos tickets from the lab's KDCs:
 * FreeTDS's `tsql` (Debian freetds-bin, built with GSSAPI and GnuTLS),
 * pymssql (python3-pymssql, on FreeTDS's db-lib) and unixODBC's `isql`
 * through FreeTDS's ODBC driver (tdsodbc). The incoming trust-based flow:
 * MIT `kinit` at CONTOSO.COM, a cross-realm TGT to
 * KERBEROS.MICROSOFTONLINE.COM, the MSSQLSvc ticket there; then PRELOGIN
 * (TLS inside, the certificate checked against the lab's CA), LOGIN7 with
 * the raw krb5 GSS token, the AP-REP back, LOGINACK; and the modern flow's
 * cloud TGT, written to an MIT ccache.
 *
 * The SPN: FreeTDS 1.3 names the service `MSSQLSvc/<host>:<port>` of what
 * it connects to (it has no SPN setting), as an NT-PRINCIPAL name in the
 * realm of its `realm` setting, else the client's default realm. A KDC
 * that refers such names as AD does would let the client's realm do; until
 * the lab's does for loopback names, freetds.conf sets `realm` to the Azure
 * AD realm and `mi.listen()` registers the listener's SPN on the instance.
 */

import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import {
  type AzureSqlMiLab,
  createAzureSqlMiLab,
  type ManagedInstance,
  type TdsListener,
} from '@krbsim/azure';
import { toCcache } from '@krbsim/client';
import { systemClock } from '@krbsim/core';
import { writeCcacheFile, writeKrb5Conf } from '@krbsim/files';
import { createSelfSignedCa, type KdcServer, serveKdc } from '@krbsim/transport';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findTool, makeTempDir, type TempDir } from './helpers/processes';
import { describeWithTools, itNeeds, runTool } from './mit-tools';

const PASSWORDS = { alice: 'Al1ce-Passw0rd', bob: 'B0b-Passw0rd', carol: 'Car0l-Passw0rd' } as const;

/** A python3 that imports pymssql (Debian's, which pyenv shims may hide), or why there is none. */
function pythonWithPymssql(): { python?: string; reason?: string } {
  for (const p of ['/usr/bin/python3', findTool('python3')]) {
    if (p === undefined) continue;
    if (spawnSync(p, ['-c', 'import pymssql'], { stdio: 'ignore' }).status === 0) return { python: p };
  }
  return { reason: 'no python3 here imports pymssql (install python3-pymssql)' };
}

describeWithTools(
  'real SQL clients log in to the emulated managed instance (TDS 7.4, Kerberos across the trust)',
  ['kinit', 'tsql'],
  (tools) => {
    let dir: TempDir;
    let lab: AzureSqlMiLab;
    let mi: ManagedInstance;
    const servers: Array<{ close(): Promise<void> }> = [];
    let required: TdsListener;
    let loginOnly: TdsListener;
    let epaAllowed: TdsListener;
    let epaRequired: TdsListener;
    let env: Record<string, string>;
    const tdsLog: string[] = [];
    const pymssql = pythonWithPymssql();
    const isql = findTool('isql');

    beforeAll(async () => {
      dir = await makeTempDir('tds-freetds');
      // MIT checks times against the wall clock: the lab runs on it too.
      lab = createAzureSqlMiLab({ onPremRealm: 'CONTOSO.COM', seed: 11, clock: systemClock });
      for (const [name, password] of Object.entries(PASSWORDS)) lab.onPrem.addUser(name, { password });
      lab.onPrem.addGroup('SqlAdmins');
      lab.onPrem.addGroupMember('SqlAdmins', 'carol');
      mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
      mi.enableWindowsAuthenticationPrerequisites();
      mi.authenticationMetadata = 'Windows';
      mi.createLogin('CONTOSO\\alice', 'WINDOWS');
      mi.createLogin('CONTOSO\\SqlAdmins', 'WINDOWS'); // carol gets in through the group
      lab.setupCloudTrust();
      const onPrem: KdcServer = await serveKdc((r) => lab.onPrem.handle(r), { realm: 'CONTOSO.COM' });
      const cloud: KdcServer = await serveKdc((r) => lab.tenant.handle(r), {
        realm: 'KERBEROS.MICROSOFTONLINE.COM',
      });
      servers.push(onPrem, cloud);
      const log = (l: string) => tdsLog.push(l);
      required = await mi.listen({ log });
      loginOnly = await mi.listen({ encryption: 'login-only', log });
      epaAllowed = await mi.listen({ extendedProtection: 'allowed', log });
      epaRequired = await mi.listen({ extendedProtection: 'required', log });
      servers.push(required, loginOnly, epaAllowed, epaRequired);

      const caFile = dir.file('ca.pem');
      await writeFile(caFile, (await lab.certificateAuthority()).certPem);
      const krb5conf = dir.file('krb5.conf');
      await writeFile(
        krb5conf,
        writeKrb5Conf({
          defaultRealm: 'CONTOSO.COM',
          realms: [
            { name: 'CONTOSO.COM', kdcs: [`127.0.0.1:${onPrem.udpPort}`] },
            { name: 'KERBEROS.MICROSOFTONLINE.COM', kdcs: [`127.0.0.1:${cloud.udpPort}`] },
          ],
        }),
      );
      const otherCaFile = dir.file('other-ca.pem');
      await writeFile(otherCaFile, (await createSelfSignedCa({ commonName: 'not the lab CA' })).certPem);
      const section = (name: string, port: number, encryption: string, ca = caFile, version = '7.4') => [
        `[${name}]`,
        '  host = 127.0.0.1',
        `  port = ${port}`,
        `  tds version = ${version}`,
        `  encryption = ${encryption}`,
        `  ca file = ${ca}`,
        '  realm = KERBEROS.MICROSOFTONLINE.COM',
      ];
      const freetds = dir.file('freetds.conf');
      await writeFile(
        freetds,
        [
          ...section('mi1', required.port, 'require'),
          ...section('mi1-login-only', loginOnly.port, 'request'),
          ...section('mi1-other-ca', required.port, 'require', otherCaFile),
          ...section('mi1-tds71', required.port, 'require', caFile, '7.1'),
          ...section('mi1-tds72', required.port, 'require', caFile, '7.2'),
          ...section('mi1-tds73', required.port, 'require', caFile, '7.3'),
          ...section('mi1-epa-allowed', epaAllowed.port, 'require'),
          ...section('mi1-epa-required', epaRequired.port, 'require'),
          '',
        ].join('\n'),
      );
      const odbcini = dir.file('odbc.ini');
      await writeFile(
        odbcini,
        [
          '[mi1]',
          'Driver = /usr/lib/x86_64-linux-gnu/odbc/libtdsodbc.so',
          'Servername = mi1',
          'TDS_Version = 7.4',
          '',
        ].join('\n'),
      );
      env = {
        KRB5_CONFIG: krb5conf,
        FREETDSCONF: freetds,
        ODBCINI: odbcini,
        ODBCSYSINI: dir.path,
        KRB5CCNAME: `FILE:${dir.file('cc')}`,
      };
    });
    afterAll(async () => {
      for (const s of servers.reverse()) await s.close();
      await dir?.remove();
    });

    const kinit = async (user: keyof typeof PASSWORDS, cc = dir.file('cc')) => {
      const k = await runTool(tools.kinit!, [`${user}@CONTOSO.COM`], {
        input: `${PASSWORDS[user]}\n`,
        env: { ...env, KRB5CCNAME: `FILE:${cc}` },
      });
      expect(k.code, k.stderr).toBe(0);
    };
    const tsql = async (sql: string, server = 'mi1', extra: Record<string, string> = {}) => {
      const r = await runTool(tools.tsql!, ['-S', server], {
        input: `${sql}\ngo\nexit\n`,
        env: { ...env, ...extra },
      });
      return { ...r, out: r.stdout + r.stderr };
    };

    it("alice, whole session in TLS (the lab CA's certificate checked): SUSER_SNAME() is CONTOSO\\alice, by Kerberos", async () => {
      await kinit('alice');
      const r = await tsql('SELECT SUSER_SNAME()');
      expect(r.out, tdsLog.join('\n')).toContain('CONTOSO\\alice');
      const conn = await tsql(
        'SELECT auth_scheme, encrypt_option FROM sys.dm_exec_connections WHERE session_id = @@SPID',
      );
      expect(conn.stdout).toMatch(/KERBEROS\s+TRUE/);
      const version = await tsql('SELECT @@VERSION');
      expect(version.stdout).toContain('Microsoft SQL Azure (RTM) - 12.0.2000.8');
      const other = await tsql('SELECT name FROM sys.databases');
      expect(other.out).toMatch(/does not run/);
      expect(tdsLog.some((l) => /TLS TLSv1\.2 .*\(whole session\)/.test(l))).toBe(true);
      expect(tdsLog.some((l) => /LOGIN7: TDS 0x74000004, .*app 'TSQL'/.test(l))).toBe(true);
    });

    it('alice, login-only encryption (FreeTDS encryption = request sends ENCRYPT_OFF): LOGIN7 in TLS, the session in the clear', async () => {
      await kinit('alice');
      const r = await tsql(
        'SELECT SUSER_SNAME(), encrypt_option FROM sys.dm_exec_connections WHERE session_id = @@SPID',
        'mi1-login-only',
      );
      // SUSER_SNAME() is not a column of the view: the emulator refuses the mix, as it answers one or the other.
      expect(r.out).toMatch(/does not run/);
      const enc = await tsql(
        'SELECT encrypt_option FROM sys.dm_exec_connections WHERE session_id = @@SPID',
        'mi1-login-only',
      );
      expect(enc.stdout).toMatch(/FALSE/);
      const who = await tsql('SELECT SUSER_SNAME()', 'mi1-login-only');
      expect(who.out, tdsLog.join('\n')).toContain('CONTOSO\\alice');
      expect(tdsLog.some((l) => /TLS TLSv1\.2 .*\(login only\)/.test(l))).toBe(true);
    });

    it('alice at TDS 7.1 (SQL Server 2000 SP1): the answers take 7.1 forms (a 2-byte UserType in COLMETADATA), and FreeTDS reads them', async () => {
      await kinit('alice');
      const before = tdsLog.length;
      const r = await tsql('SELECT SUSER_SNAME()', 'mi1-tds71');
      expect(r.out, tdsLog.join('\n')).toContain('CONTOSO\\alice');
      expect(tdsLog.slice(before).some((l) => /LOGIN7: TDS 0x71000001, /.test(l))).toBe(true);
      expect(tdsLog.slice(before).some((l) => /logged in as CONTOSO\\alice \(TDS 0x71000001, /.test(l))).toBe(
        true,
      );
    });

    it.each([
      ['7.2', 'mi1-tds72', '0x72090002'],
      ['7.3', 'mi1-tds73', '0x730b0003'],
      ['7.4', 'mi1', '0x74000004'],
    ])(
      'alice at TDS %s: a transaction in T-SQL, each batch naming its descriptor in ALL_HEADERS as FreeTDS keeps it',
      async (_, server, version) => {
        await kinit('alice');
        const before = tdsLog.length;
        const r = await tsql(
          ['SELECT SUSER_SNAME()', 'BEGIN TRAN', 'SELECT @@TRANCOUNT', 'COMMIT', 'SELECT @@TRANCOUNT'].join(
            '\ngo\n',
          ),
          server,
        );
        const session = tdsLog.slice(before);
        expect(r.out, session.join('\n')).toContain('CONTOSO\\alice');
        // A descriptor FreeTDS did not keep would be 3989 or 3971 (Msg lines) and leave @@TRANCOUNT at 1.
        expect(r.out).not.toMatch(/Msg \d+/);
        expect(r.stdout.match(/^\d+$/gm)).toEqual(['1', '0']);
        expect(session.some((l) => l.includes(`LOGIN7: TDS ${version}, `))).toBe(true);
      },
    );

    it('a certificate from another CA is refused by FreeTDS: the check is real', async () => {
      await kinit('alice');
      const before = tdsLog.length;
      const r = await tsql('SELECT SUSER_SNAME()', 'mi1-other-ca');
      expect(r.stdout).not.toContain('CONTOSO\\alice');
      expect(tdsLog.slice(before).some((l) => l.includes('logged in'))).toBe(false);
      // FreeTDS hangs up during the TLS handshake, when the server's certificate does not verify.
      expect(tdsLog.slice(before).some((l) => l.includes('closed (handshake)'))).toBe(true);
    });

    it('Extended Protection: FreeTDS binds no channel, so a listener that allows it lets alice in and one that requires it answers 18452', async () => {
      await kinit('alice');
      const allowed = await tsql('SELECT SUSER_SNAME()', 'mi1-epa-allowed');
      expect(allowed.out, tdsLog.join('\n')).toContain('CONTOSO\\alice');
      const before = tdsLog.length;
      const required = await tsql('SELECT SUSER_SNAME()', 'mi1-epa-required');
      expect(required.out).toMatch(/18452/);
      expect(required.stdout).not.toMatch(/^CONTOSO\\alice/m);
      expect(tdsLog.slice(before).some((l) => /login refused with 18452: .*channel/.test(l))).toBe(true);
    });

    it("bob, who has no login, gets 18456: Login failed for user 'CONTOSO\\bob'", async () => {
      await kinit('bob');
      const r = await tsql('SELECT SUSER_SNAME()');
      expect(r.out).toMatch(/18456/);
      expect(r.out).toContain("Login failed for user 'CONTOSO\\bob'");
      expect(r.stdout).not.toMatch(/^CONTOSO\\bob/m);
    });

    it('carol gets in through the group login CONTOSO\\SqlAdmins (from the PAC), and IS_MEMBER says so', async () => {
      await kinit('carol');
      const r = await tsql("SELECT SUSER_SNAME(), IS_MEMBER('CONTOSO\\SqlAdmins')");
      expect(r.out, tdsLog.join('\n')).toMatch(/CONTOSO\\carol\s+1/);
    });

    itNeeds(
      pymssql.reason,
      'pymssql (FreeTDS db-lib through Python) logs alice in, and commits and rolls back out of autocommit',
      async () => {
        await kinit('alice');
        const dmv = 'SELECT auth_scheme FROM sys.dm_exec_connections WHERE session_id = @@SPID';
        const script = [
          'import pymssql',
          // pymssql passes its own default port (1433) unless given one; the rest is the conf section.
          `c = pymssql.connect(server='mi1', port='${required.port}')`,
          'cur = c.cursor()',
          "cur.execute('SELECT SUSER_SNAME()')",
          'print(cur.fetchone()[0])',
          'cur.execute("SELECT IS_SRVROLEMEMBER(\'sysadmin\')")',
          'print(cur.fetchone()[0])',
          // Out of autocommit, pymssql's default: commit() and rollback() end the transaction it began.
          'c.commit()',
          `cur.execute('${dmv}')`,
          'print(cur.fetchone()[0])',
          'c.rollback()',
          'c.close()',
        ].join('\n');
        const before = tdsLog.length;
        const r = await runTool(pymssql.python!, ['-c', script], { env });
        expect(r.stdout + r.stderr, tdsLog.join('\n')).toContain('CONTOSO\\alice');
        expect(r.stdout.trim().split('\n')).toEqual(['CONTOSO\\alice', '0', 'KERBEROS']);
        // pymssql begins its transactions itself (BEGIN TRAN, not SET IMPLICIT_TRANSACTIONS ON), at
        // connect and after each commit() and rollback().
        const batches = tdsLog
          .slice(before)
          .filter((l) => l.includes(' batch: '))
          .map((l) => l.slice(l.indexOf(' batch: ') + 8));
        expect(
          batches.filter((b) => /TRAN|IMPLICIT/.test(b)),
          batches.join('\n'),
        ).toEqual(['BEGIN TRAN', 'COMMIT TRAN', 'BEGIN TRAN', 'ROLLBACK TRAN', 'BEGIN TRAN']);
      },
    );

    itNeeds(
      pymssql.reason,
      "pymssql reads the instance's column types: smallint and tinyint as numbers, varchar in Windows-1252 and nvarchar as text",
      async () => {
        await kinit('alice');
        // The SQL text is Python's, in double quotes; \u00e9 is é, which the non-Unicode literal carries
        // to the client as the byte 0xE9 of its column's collation (SQL_Latin1_General_CP1_CI_AS).
        const sql = "SELECT @@SPID, @@MAX_PRECISION, 'abc', N'abc', SYSTEM_USER, 'caf\\u00e9', N'caf\\u00e9'";
        const script = [
          'import pymssql',
          `c = pymssql.connect(server='mi1', port='${required.port}', autocommit=True)`,
          'cur = c.cursor()',
          `cur.execute("${sql}")`,
          'row = cur.fetchone()',
          'print([type(v).__name__ for v in row])',
          // DB-API type codes: pymssql.NUMBER 3, pymssql.STRING 1.
          'print([d[1] for d in cur.description])',
          'print(ascii(row[1:]))',
          'c.close()',
        ].join('\n');
        const r = await runTool(pymssql.python!, ['-c', script], { env });
        expect(r.stdout.trim().split('\n'), r.stderr + tdsLog.join('\n')).toEqual([
          "['int', 'int', 'str', 'str', 'str', 'str', 'str']",
          '[3, 3, 1, 1, 1, 1, 1]',
          "(38, 'abc', 'abc', 'CONTOSO\\\\alice', 'caf\\xe9', 'caf\\xe9')",
        ]);
      },
    );

    itNeeds(
      isql === undefined ? 'isql not found on PATH (install unixodbc and tdsodbc)' : undefined,
      "unixODBC's isql through FreeTDS's ODBC driver logs alice in",
      async () => {
        await kinit('alice');
        // -e: SQLExecDirect, a SQL batch; a prepared statement would be an RPC, which the emulator does not run.
        const r = await runTool(isql!, ['-v', '-b', '-e', 'mi1'], { input: 'SELECT SUSER_SNAME()\n', env });
        expect(r.stdout + r.stderr, tdsLog.join('\n')).toContain('CONTOSO\\alice');
      },
    );

    it('the modern flow: a cloud TGT from the PRT, written to an MIT ccache, logs in with tsql', async () => {
      const pc = lab.azureAdJoinedClient(lab.onPrem.user('alice')!);
      await pc.signIn();
      expect(pc.cloudTgt).toBeDefined();
      const cc = dir.file('cc-cloud');
      await writeCcacheFile(cc, toCcache(pc.kerberos.cache) as Parameters<typeof writeCcacheFile>[1]);
      const r = await tsql('SELECT SUSER_SNAME()', 'mi1', { KRB5CCNAME: `FILE:${cc}` });
      expect(r.out, tdsLog.join('\n')).toContain('CONTOSO\\alice');
    });
  },
);
