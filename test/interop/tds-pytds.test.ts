/**
 * python-tds (Debian python3-tds), a TDS client written in Python with none
 * of FreeTDS's code, logs in to the emulated managed instance with its
 * `KerberosAuth`, which drives MIT's GSS-API through pykerberos
 * (python3-kerberos). A second, independent reader of the instance's
 * PRELOGIN, TLS-in-PRELOGIN, LOGINACK, ENVCHANGE, COLMETADATA, ROW, ERROR
 * and DONE tokens, and a second writer of transaction manager requests
 * (its default, out of autocommit, begins and ends transactions with them).
 *
 * The service name is GSS-API's host-based form with a port,
 * `MSSQLSvc@<host>:1433`, which MIT imports as `MSSQLSvc/<host>:1433` in
 * the referral realm: the on-prem KDC refers the name to
 * KERBEROS.MICROSOFTONLINE.COM across the trust, as the incoming trust-based
 * flow does for a Windows client, and the TCP connection goes to the
 * listener's loopback port. In the modern interactive flow the ccache holds
 * the cloud TGT alone, so the instance's domain maps to the Azure AD realm
 * (`[domain_realm]`), as a client configured for cloud tickets would have it.
 */

import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { type AzureSqlMiLab, createAzureSqlMiLab, type TdsListener } from '@krbsim/azure';
import { toCcache } from '@krbsim/client';
import { systemClock } from '@krbsim/core';
import { writeCcacheFile, writeKrb5Conf } from '@krbsim/files';
import { serveKdc } from '@krbsim/transport';
import { afterAll, beforeAll, expect } from 'vitest';
import { makeTempDir, type TempDir } from './helpers/processes';
import { describeWithTools, itNeeds, runTool } from './mit-tools';

const PASSWORDS = { alice: 'Al1ce-Passw0rd', bob: 'B0b-Passw0rd' } as const;
const MI_HOST = 'mi1.abc123.database.windows.net';

/** A python3 that imports pytds and pykerberos (Debian's, which pyenv shims may hide), or why there is none. */
function pythonWithPytds(): { python?: string; reason?: string } {
  for (const p of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(p, ['-c', 'import pytds, kerberos'], { stdio: 'ignore' }).status === 0)
      return { python: p };
  }
  return { reason: 'no python3 here imports pytds and kerberos (install python3-tds and python3-kerberos)' };
}

describeWithTools(
  'python-tds logs in to the emulated managed instance by Kerberos across the trust',
  ['kinit'],
  (tools) => {
    let dir: TempDir;
    let lab: AzureSqlMiLab;
    const servers: Array<{ close(): Promise<void> }> = [];
    let required: TdsListener;
    let loginOnly: TdsListener;
    let env: Record<string, string>;
    const tdsLog: string[] = [];
    const pytds = pythonWithPytds();

    beforeAll(async () => {
      dir = await makeTempDir('tds-pytds');
      // MIT checks times against the wall clock: the lab runs on it too.
      lab = createAzureSqlMiLab({ onPremRealm: 'CONTOSO.COM', seed: 12, clock: systemClock });
      for (const [name, password] of Object.entries(PASSWORDS)) lab.onPrem.addUser(name, { password });
      const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
      mi.enableWindowsAuthenticationPrerequisites();
      mi.authenticationMetadata = 'Windows';
      mi.createLogin('CONTOSO\\alice', 'WINDOWS'); // bob has no login
      lab.setupCloudTrust();
      const onPrem = await serveKdc((r) => lab.onPrem.handle(r), { realm: 'CONTOSO.COM' });
      const cloud = await serveKdc((r) => lab.tenant.handle(r), { realm: 'KERBEROS.MICROSOFTONLINE.COM' });
      servers.push(onPrem, cloud);
      const log = (l: string) => tdsLog.push(l);
      required = await mi.listen({ log });
      loginOnly = await mi.listen({ encryption: 'login-only', log });
      servers.push(required, loginOnly);

      await writeFile(dir.file('ca.pem'), (await lab.certificateAuthority()).certPem);
      const krb5conf = dir.file('krb5.conf');
      const realms = [
        { name: 'CONTOSO.COM', kdcs: [`127.0.0.1:${onPrem.udpPort}`] },
        { name: 'KERBEROS.MICROSOFTONLINE.COM', kdcs: [`127.0.0.1:${cloud.udpPort}`] },
      ];
      await writeFile(krb5conf, writeKrb5Conf({ defaultRealm: 'CONTOSO.COM', realms }));
      await writeFile(
        dir.file('krb5-cloud.conf'),
        writeKrb5Conf({
          defaultRealm: 'CONTOSO.COM',
          realms,
          domainRealm: { '.database.windows.net': 'KERBEROS.MICROSOFTONLINE.COM' },
        }),
      );
      env = { KRB5_CONFIG: krb5conf, KRB5CCNAME: `FILE:${dir.file('cc')}` };
    });
    afterAll(async () => {
      for (const s of servers.reverse()) await s.close();
      await dir?.remove();
    });

    const kinit = async (user: keyof typeof PASSWORDS) => {
      const k = await runTool(tools.kinit!, [`${user}@CONTOSO.COM`], { input: `${PASSWORDS[user]}\n`, env });
      expect(k.code, k.stderr).toBe(0);
    };

    /**
     * Runs `body` (Python, one statement a line) with `c`, a pytds connection to
     * `listener` (TLS checked against the lab's CA unless `tls` says otherwise),
     * and `show(x)`, which prints `x` with `ascii`. An exception's class, SQL
     * Server number, severity and message are printed, not raised.
     */
    const python = async (
      listener: () => TdsListener,
      body: readonly string[],
      opts: { tls?: 'none' | 'login-only'; autocommit?: boolean; env?: Record<string, string> } = {},
    ) => {
      const tls =
        opts.tls === 'none'
          ? ''
          : `, cafile=${JSON.stringify(dir.file('ca.pem'))}, validate_host=False${opts.tls === 'login-only' ? ', enc_login_only=True' : ''}`;
      const script = [
        'import pytds',
        'from pytds.login import KerberosAuth',
        'def show(x): print(ascii(x))',
        'try:',
        `  c = pytds.connect('127.0.0.1', port=${listener().port}, auth=KerberosAuth('MSSQLSvc@${MI_HOST}:1433'), ` +
          `autocommit=${opts.autocommit === false ? 'False' : 'True'}, disable_connect_retry=True${tls})`,
        '  cur = c.cursor()',
        ...body.map((line) => `  ${line}`),
        'except Exception as e:',
        "  print('error', type(e).__name__, getattr(e, 'msg_no', None), getattr(e, 'severity', None), str(e).splitlines()[0])",
      ].join('\n');
      const r = await runTool(pytds.python!, ['-c', script], { env: { ...env, ...opts.env } });
      return { lines: r.stdout.trim().split('\n'), why: `${r.stdout}${r.stderr}\n${tdsLog.join('\n')}` };
    };

    itNeeds(
      pytds.reason,
      'alice logs in, the whole session in TLS checked against the lab CA: SUSER_SNAME() is CONTOSO\\alice, by Kerberos',
      async () => {
        await kinit('alice');
        const before = tdsLog.length;
        const r = await python(
          () => required,
          [
            "cur.execute('SELECT SUSER_SNAME()')",
            'show(cur.fetchall())',
            "cur.execute('SELECT auth_scheme, encrypt_option FROM sys.dm_exec_connections WHERE session_id = @@SPID')",
            'show(cur.fetchall())',
          ],
        );
        expect(r.lines, r.why).toEqual(["[('CONTOSO\\\\alice',)]", "[('KERBEROS', 'TRUE')]"]);
        const session = tdsLog.slice(before);
        expect(session.some((l) => /TLS TLSv1\.[23] .*\(whole session\)/.test(l))).toBe(true);
        expect(session.some((l) => /LOGIN7: TDS 0x74000004, .*app 'pytds'/.test(l))).toBe(true);
      },
    );

    itNeeds(
      pytds.reason,
      "pytds reads the columns' SQL Server types: nvarchar(300) @@VERSION, smallint @@SPID, tinyint @@MAX_PRECISION, nvarchar(40) DMV columns",
      async () => {
        await kinit('alice');
        // DB-API description: (name, type code, display size, internal size, precision, scale, nullable);
        // type codes are TDS's (231 NVARCHAR, 52 INT2, 48 INT1), internal sizes are characters or bytes.
        const r = await python(
          () => required,
          [
            "cur.execute('SELECT @@VERSION, @@SPID, @@MAX_PRECISION')",
            'row = cur.fetchone()',
            'show([d[1:4] for d in cur.description])',
            "show((row[0].startswith('Microsoft SQL Azure (RTM) - 12.0.2000.8'), row[1] > 0, row[2]))",
            "cur.execute('SELECT auth_scheme, net_transport FROM sys.dm_exec_connections WHERE session_id = @@SPID')",
            'cur.fetchall()',
            'show([(d[0], d[1], d[3]) for d in cur.description])',
          ],
        );
        expect(r.lines, r.why).toEqual([
          '[(231, None, 300.0), (52, None, 2), (48, None, 1)]',
          '(True, True, 38)',
          "[('auth_scheme', 231, 40.0), ('net_transport', 231, 40.0)]",
        ]);
      },
    );

    itNeeds(pytds.reason, 'login-only encryption: LOGIN7 in TLS, the session in the clear', async () => {
      await kinit('alice');
      const r = await python(
        () => loginOnly,
        [
          "cur.execute('SELECT encrypt_option FROM sys.dm_exec_connections WHERE session_id = @@SPID')",
          'show(cur.fetchall())',
        ],
        { tls: 'login-only' },
      );
      expect(r.lines, r.why).toEqual(["[('FALSE',)]"]);
    });

    itNeeds(
      pytds.reason,
      'a client that does not support encryption is refused by an instance that requires it, before LOGIN7',
      async () => {
        await kinit('alice');
        const before = tdsLog.length;
        const r = await python(() => required, ["show('logged in')"], { tls: 'none' });
        expect(r.lines, r.why).toEqual([
          'error Error None None Client does not have encryption enabled but it is required by server, enable encryption and try connecting again',
        ]);
        expect(tdsLog.slice(before).some((l) => l.includes('LOGIN7'))).toBe(false);
      },
    );

    itNeeds(pytds.reason, 'bob, a user with a ticket but no login, gets 18456 and no session', async () => {
      await kinit('bob');
      const r = await python(() => required, ["show('logged in')"]);
      expect(r.lines, r.why).toEqual([
        "error OperationalError 18456 14 Login failed for user 'CONTOSO\\bob'.",
      ]);
    });

    itNeeds(
      pytds.reason,
      'refusals arrive as SQL Server errors and the session goes on: a syntax error (156), an RPC (50000)',
      async () => {
        await kinit('alice');
        const r = await python(
          () => required,
          [
            'for q, p in [("SELECT nope FROM", None), ("SELECT %s", (1,))]:',
            '  try:',
            '    cur.execute(q, p)',
            '  except pytds.OperationalError as e:',
            '    print(e.msg_no, e.severity, str(e).splitlines()[0][:48])',
            "cur.execute('SELECT 1')",
            'show(cur.fetchall())',
          ],
        );
        expect(r.lines, r.why).toEqual([
          "156 15 Incorrect syntax near the keyword 'FROM'.",
          '50000 16 krbsim emulates the login, not a database: it do',
          '[(1,)]',
        ]);
      },
    );

    itNeeds(
      pytds.reason,
      "out of autocommit, pytds's default: transaction manager requests begin a transaction at connect, and commit() and rollback() end it and begin the next",
      async () => {
        await kinit('alice');
        const before = tdsLog.length;
        const trancount = ["cur.execute('SELECT @@TRANCOUNT')", 'show(cur.fetchall())'];
        const r = await python(
          () => required,
          [
            ...trancount,
            'c.commit()',
            ...trancount,
            'c.rollback()',
            ...trancount,
            // Back to autocommit: pytds rolls the open transaction back, beginning none.
            'c.autocommit = True',
            ...trancount,
          ],
          { autocommit: false },
        );
        // Each batch names the transaction the last ENVCHANGE 8 handed out, or the endpoint refuses it (3989).
        expect(r.lines, r.why).toEqual(['[(1,)]', '[(1,)]', '[(1,)]', '[(0,)]']);
        const session = tdsLog.slice(before);
        expect(
          session.flatMap((l) => {
            const at = l.indexOf(' transaction manager: ');
            return at < 0 ? [] : [l.slice(at + 22)];
          }),
          r.why,
        ).toEqual(["begin ''", "commit '' and begin ''", "rollback '' and begin ''", "rollback ''"]);
        // The requests came after the login, in its session, and none was refused.
        expect(session.some((l) => l.includes('not run: '))).toBe(false);
      },
    );

    itNeeds(
      pytds.reason,
      'the modern interactive flow: the cloud TGT from the PRT, in an MIT ccache, logs alice in',
      async () => {
        const pc = lab.azureAdJoinedClient(lab.onPrem.user('alice')!);
        await pc.signIn();
        expect(pc.cloudTgt).toBeDefined();
        const cc = dir.file('cc-cloud');
        await writeCcacheFile(cc, toCcache(pc.kerberos.cache) as Parameters<typeof writeCcacheFile>[1]);
        const r = await python(
          () => required,
          ["cur.execute('SELECT SUSER_SNAME()')", 'show(cur.fetchall())'],
          {
            env: { KRB5_CONFIG: dir.file('krb5-cloud.conf'), KRB5CCNAME: `FILE:${cc}` },
          },
        );
        expect(r.lines, r.why).toEqual(["[('CONTOSO\\\\alice',)]"]);
      },
    );
  },
);
