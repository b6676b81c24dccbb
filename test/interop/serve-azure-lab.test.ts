/**
 * `krbsim serve azure-sql-mi` as a process, with real clients: MIT kinit
 * against CONTOSO.COM's KDC, the referral to KERBEROS.MICROSOFTONLINE.COM
 * reached only through the HTTPS KDC proxy (MIT's k5tls, http_anchors), and
 * FreeTDS's tsql logging in to mi1 over TDS with the resulting ticket. alice
 * has a Windows login, carol one through the group CONTOSO\SqlAdmins; bob
 * gets 18456. unixODBC's isql logs in through the odbc.ini and odbcinst.ini
 * the lab wrote. The lab's facts hold: the service ticket is etype 18. With
 * --kdc-keytab the KDCs' keys are written, as the instance's are, 0600.
 */

import { readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AzureLabPorts } from '../../packages/cli/src/azure-lab';
import { startKrbsimServe } from './helpers/krbsim-serve';
import { MitClient, parseKlist } from './helpers/mit';
import { makeTempDir, type RunningProcess, stopAllProcesses, type TempDir } from './helpers/processes';
import { describeWithTools, findTool, itNeeds, runTool } from './mit-tools';

describeWithTools(
  'krbsim serve azure-sql-mi with MIT and FreeTDS',
  ['kinit', 'kvno', 'klist', 'kdestroy', 'kpasswd', 'tsql'],
  (tools) => {
    let dir: TempDir;
    let serve: RunningProcess;
    let ports: AzureLabPorts;
    beforeAll(async () => {
      dir = await makeTempDir('serve-azure');
      serve = startKrbsimServe(['azure-sql-mi', '--dir', dir.path, '--kdc-keytab']);
      await serve.waitForOutput((out) => out.includes('ready; Ctrl-C to stop'), 90_000);
      ports = JSON.parse(await readFile(dir.file('ports.json'), 'utf8')) as AzureLabPorts;
    });
    afterAll(async () => {
      await stopAllProcesses();
      await dir?.remove();
    });

    const login = async (user: string, password: string) => {
      const mit = new MitClient(tools, dir.path, ports.krb5conf, dir.file(`cc-${user}`), () =>
        serve.stdout(),
      );
      await mit.ok('kinit', [`${user}@CONTOSO.COM`], { input: `${password}\n` });
      const r = await runTool(tools.tsql!, ['-S', 'mi1'], {
        input: 'SELECT SUSER_SNAME()\ngo\nexit\n',
        env: {
          KRB5_CONFIG: ports.krb5conf,
          FREETDSCONF: ports.freetdsconf,
          KRB5CCNAME: `FILE:${dir.file(`cc-${user}`)}`,
        },
      });
      return { mit, out: r.stdout + r.stderr };
    };

    it('alice logs in to mi1 with tsql across the trust, the Azure AD KDC reached through the proxy', async () => {
      const { mit, out } = await login('alice', 'Al1ce-Passw0rd');
      expect(out, serve.stdout()).toContain('CONTOSO\\alice');
      const list = await mit.ok('klist', ['-e']);
      const k = parseKlist(list.stdout);
      const st = k.tickets.find((t) => t.server.startsWith('MSSQLSvc/'));
      expect(st?.ticketEtype).toBe('aes256-cts-hmac-sha1-96');
      // The Azure AD KDC was asked over HTTPS only: its realm has no UDP or TCP port.
      expect(Object.keys(ports.kdcs)).toEqual(['CONTOSO.COM']);
      expect(ports.kdcProxy['KERBEROS.MICROSOFTONLINE.COM']).toMatch(
        /^https:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]{36}\/kerberos$/,
      );
      const principals = JSON.parse(await readFile(dir.file('principals.json'), 'utf8')) as {
        users: { principal: string; logins: Record<string, string[]> }[];
      };
      expect(principals.users.map((u) => [u.principal, u.logins.mi1])).toEqual([
        ['alice@CONTOSO.COM', ['CONTOSO\\alice']],
        ['bob@CONTOSO.COM', []],
        ['carol@CONTOSO.COM', ['CONTOSO\\SqlAdmins']],
      ]);
    });

    it('carol logs in through the Windows group login CONTOSO\\SqlAdmins (DBAs nested in it, from the PAC)', async () => {
      const { out } = await login('carol', 'C4rol-Passw0rd');
      expect(out, serve.stdout()).toContain('CONTOSO\\carol');
    });

    const isql = findTool('isql');
    itNeeds(
      isql === undefined ? 'isql not found on PATH (install unixodbc and tdsodbc)' : undefined,
      "unixODBC's isql logs alice in through the lab's odbc.ini DSN and odbcinst.ini driver",
      async () => {
        const odbcini = await readFile(ports.odbcini, 'utf8');
        expect(odbcini).toMatch(
          /^\[mi1\]\nDescription = .*\nDriver = FreeTDS\nServername = mi1\nTDS_Version = 7\.4$/m,
        );
        expect(await readFile(ports.odbcinstini, 'utf8')).toMatch(
          /^\[FreeTDS\]\n.*\nDriver = \/.*libtdsodbc\.so$/m,
        );
        await login('alice', 'Al1ce-Passw0rd');
        const r = await runTool(isql!, ['-v', '-b', '-e', 'mi1'], {
          input: 'SELECT SUSER_SNAME()\n',
          env: {
            KRB5_CONFIG: ports.krb5conf,
            FREETDSCONF: ports.freetdsconf,
            ODBCINI: ports.odbcini,
            ODBCSYSINI: dir.path,
            KRB5CCNAME: `FILE:${dir.file('cc-alice')}`,
          },
        });
        expect(r.stdout + r.stderr, serve.stdout()).toContain('CONTOSO\\alice');
      },
    );

    it("--kdc-keytab writes the KDCs' keys, and the instance's keytab is written too, both 0600, both read by klist", async () => {
      expect(ports.kdcKeytab).toBe(dir.file('kdc.keytab'));
      expect(serve.stdout()).toContain(
        `KDC keys in ${ports.kdcKeytab}: anyone holding them can forge tickets`,
      );
      const principalsOf = async (keytab: string) => {
        expect((await stat(keytab)).mode & 0o777).toBe(0o600);
        const r = await runTool(tools.klist!, ['-k', keytab]);
        expect(r.code, r.stderr).toBe(0);
        return r.stdout;
      };
      const kdc = await principalsOf(ports.kdcKeytab!);
      for (const p of [
        'krbtgt/CONTOSO.COM@CONTOSO.COM',
        'krbtgt/KERBEROS.MICROSOFTONLINE.COM@KERBEROS.MICROSOFTONLINE.COM',
        'krbtgt/KERBEROS.MICROSOFTONLINE.COM@CONTOSO.COM',
      ])
        expect(kdc).toContain(p);
      const mi = await principalsOf(ports.keytabs.mi1!);
      expect(mi).toContain('MSSQLSvc/mi1.abc123.database.windows.net:1433@KERBEROS.MICROSOFTONLINE.COM');
      expect(mi).toContain(`${ports.tds.mi1!.spn}@KERBEROS.MICROSOFTONLINE.COM`);
    });

    it('bob, without a login, gets 18456', async () => {
      const { out } = await login('bob', 'B0b-Passw0rd');
      expect(out).toMatch(/18456|Login failed/);
      // The error names him, as SQL Server's does; SUSER_SNAME() never answered for him.
      expect(out).toContain("Login failed for user 'CONTOSO\\bob'");
      expect(out).not.toMatch(/^\s*CONTOSO\\bob\s*$/m);
    });

    it("bob changes his password with MIT kpasswd through the domain controller's kpasswd_server", async () => {
      expect(ports.kdcs['CONTOSO.COM']!.kpasswd).toBeGreaterThan(0);
      expect(await readFile(ports.krb5conf, 'utf8')).toContain(
        `kpasswd_server = 127.0.0.1:${ports.kdcs['CONTOSO.COM']!.kpasswd}`,
      );
      const env = { KRB5_CONFIG: ports.krb5conf, KRB5CCNAME: `FILE:${dir.file('cc-kpasswd')}` };
      const r = await runTool(tools.kpasswd!, ['bob@CONTOSO.COM'], {
        input: 'B0b-Passw0rd\nB0b-N3w-Passw0rd\nB0b-N3w-Passw0rd\n',
        env,
      });
      expect(r.stdout + r.stderr, serve.stdout()).toMatch(/Password changed/);
      const k = await runTool(tools.kinit!, ['bob@CONTOSO.COM'], { input: 'B0b-N3w-Passw0rd\n', env });
      expect(k.code, k.stderr).toBe(0);
      // principals.json holds the password that works now, and is still the owner's alone.
      const file = dir.file('principals.json');
      const principals = JSON.parse(await readFile(file, 'utf8')) as {
        users: { principal: string; password: string }[];
      };
      expect(principals.users.map((u) => [u.principal, u.password])).toEqual([
        ['alice@CONTOSO.COM', 'Al1ce-Passw0rd'],
        ['bob@CONTOSO.COM', 'B0b-N3w-Passw0rd'],
        ['carol@CONTOSO.COM', 'C4rol-Passw0rd'],
      ]);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
    });
  },
);
