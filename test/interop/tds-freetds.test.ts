/**
 * A real SQL client logs in to the emulated managed instance over TDS:
 * FreeTDS's `tsql` (Debian freetds-bin, built with GSSAPI and GnuTLS),
 * holding MIT Kerberos tickets from the lab's on-prem KDC, in the incoming
 * trust-based flow: TGT from CONTOSO.COM, referral to
 * KERBEROS.MICROSOFTONLINE.COM, the MSSQLSvc ticket there, then PRELOGIN
 * (TLS inside), LOGIN7 with the raw krb5 GSS token, LOGINACK, and
 * `SELECT SUSER_SNAME()`.
 *
 * FreeTDS 1.3 names the service `MSSQLSvc/<host>:<port>` of the host and
 * port it connects to (there is no SPN setting), in the realm its `realm`
 * setting gives: the loopback listener's SPN is registered on the
 * instance's account, and the client crosses the trust with a cross-realm
 * TGT from CONTOSO.COM.
 */

import { writeFile } from 'node:fs/promises';
import { type AzureSqlMiLab, createAzureSqlMiLab, listenTds, type ManagedInstance } from '@krbsim/azure';
import { toCcache } from '@krbsim/client';
import { systemClock } from '@krbsim/core';
import { writeCcacheFile } from '@krbsim/files';
import type { TdsServer } from '@krbsim/tds';
import { createSelfSignedCa, issueServerCertificate, type KdcServer, serveKdc } from '@krbsim/transport';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from './helpers/processes';
import { describeWithTools, runTool } from './mit-tools';

const ALICE = 'Al1ce-Passw0rd';
const BOB = 'B0b-Passw0rd';

describeWithTools(
  'FreeTDS tsql logs in to the emulated managed instance (TDS 7.4, Kerberos)',
  ['kinit', 'tsql'],
  (tools) => {
    let dir: TempDir;
    let lab: AzureSqlMiLab;
    let mi: ManagedInstance;
    const servers: Array<{ close(): Promise<void> }> = [];
    let tds: TdsServer;
    let env: Record<string, string>;
    const tdsLog: string[] = [];

    beforeAll(async () => {
      dir = await makeTempDir('tds-freetds');
      // MIT checks times against the wall clock: the lab runs on it too.
      lab = createAzureSqlMiLab({ onPremRealm: 'CONTOSO.COM', seed: 11, clock: systemClock });
      lab.onPrem.addUser('alice', { password: ALICE });
      lab.onPrem.addUser('bob', { password: BOB });
      mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
      mi.enableWindowsAuthenticationPrerequisites();
      mi.authenticationMetadata = 'Windows';
      mi.createLogin('CONTOSO\\alice', 'WINDOWS');
      lab.setupCloudTrust();
      const onPrem: KdcServer = await serveKdc((r) => lab.onPrem.handle(r), { realm: 'CONTOSO.COM' });
      const cloud: KdcServer = await serveKdc((r) => lab.tenant.handle(r), {
        realm: 'KERBEROS.MICROSOFTONLINE.COM',
      });
      servers.push(onPrem, cloud);
      const ca = await createSelfSignedCa({ commonName: 'krbsim lab CA' });
      const cert = await issueServerCertificate(ca, { dnsNames: [mi.fqdn] });
      tds = await listenTds(mi, { cert: cert.certPem, key: cert.keyPem, log: (l) => tdsLog.push(l) });
      servers.push(tds);
      const krb5conf = dir.file('krb5.conf');
      await writeFile(
        krb5conf,
        [
          '[libdefaults]',
          '  default_realm = CONTOSO.COM',
          '  dns_lookup_kdc = false',
          '  dns_lookup_realm = false',
          '  dns_canonicalize_hostname = false',
          '  rdns = false',
          '[realms]',
          `  CONTOSO.COM = {\n    kdc = 127.0.0.1:${onPrem.udpPort}\n  }`,
          `  KERBEROS.MICROSOFTONLINE.COM = {\n    kdc = 127.0.0.1:${cloud.udpPort}\n  }`,
          '',
        ].join('\n'),
      );
      const freetds = dir.file('freetds.conf');
      await writeFile(
        freetds,
        [
          '[mi1]',
          '  host = 127.0.0.1',
          `  port = ${tds.port}`,
          '  tds version = 7.4',
          '  encryption = require',
          '  realm = KERBEROS.MICROSOFTONLINE.COM',
          '',
        ].join('\n'),
      );
      env = {
        KRB5_CONFIG: krb5conf,
        FREETDSCONF: freetds,
        KRB5CCNAME: `FILE:${dir.file('cc')}`,
        TDSDUMPCONFIG: dir.file('tdsdumpconfig'),
        TDSDUMP: dir.file('tdsdump'),
      };
    });
    afterAll(async () => {
      for (const s of servers.reverse()) await s.close();
      await dir?.remove();
    });

    const tsql = (sql: string) => runTool(tools.tsql!, ['-S', 'mi1'], { input: `${sql}\ngo\nexit\n`, env });

    it("alice's tsql login maps to CONTOSO\\alice; SELECT SUSER_SNAME() and the auth scheme say so", async () => {
      const k = await runTool(tools.kinit!, ['alice@CONTOSO.COM'], { input: `${ALICE}\n`, env });
      expect(k.code, k.stderr).toBe(0);
      const r = await tsql('SELECT SUSER_SNAME()');
      expect(r.stdout + r.stderr, tdsLog.join('\n')).toContain('CONTOSO\\alice');
      const scheme = await tsql('SELECT auth_scheme FROM sys.dm_exec_connections WHERE session_id = @@SPID');
      expect(scheme.stdout).toContain('KERBEROS');
      const other = await tsql('SELECT name FROM sys.databases');
      expect(other.stdout + other.stderr).toMatch(/does not run/);
      expect(tdsLog.some((l) => /TLS TLSv1\.2 \(whole session\)/.test(l))).toBe(true);
    });

    it('bob, who has no login, gets error 18456', async () => {
      const k = await runTool(tools.kinit!, ['bob@CONTOSO.COM'], { input: `${BOB}\n`, env });
      expect(k.code, k.stderr).toBe(0);
      const r = await tsql('SELECT SUSER_SNAME()');
      expect(r.stdout + r.stderr).toMatch(/18456|Login failed/);
      expect(r.stdout).not.toContain('CONTOSO\\bob');
    });

    it('pymssql (the same FreeTDS wire, through Python) logs alice in too', async () => {
      const k = await runTool(tools.kinit!, ['alice@CONTOSO.COM'], { input: `${ALICE}\n`, env });
      expect(k.code, k.stderr).toBe(0);
      const script = [
        'import pymssql',
        // pymssql passes its own default port (1433) unless given one; the rest is the conf section.
        `c = pymssql.connect(server='mi1', port='${tds.port}')`,
        'cur = c.cursor()',
        "cur.execute('SELECT SUSER_SNAME()')",
        'print(cur.fetchone()[0])',
      ].join('\n');
      const r = await runTool('/usr/bin/python3', ['-c', script], { env });
      expect(r.stdout + r.stderr, tdsLog.join('\n')).toContain('CONTOSO\\alice');
    });

    it('the modern flow: a cloud TGT from the PRT, written to an MIT ccache, logs in with tsql', async () => {
      const pc = lab.azureAdJoinedClient(lab.onPrem.user('alice')!);
      await pc.signIn();
      expect(pc.cloudTgt).toBeDefined();
      const cc = dir.file('cc-cloud');
      await writeCcacheFile(cc, toCcache(pc.kerberos.cache) as Parameters<typeof writeCcacheFile>[1]);
      const r = await runTool(tools.tsql!, ['-S', 'mi1'], {
        input: 'SELECT SUSER_SNAME()\ngo\nexit\n',
        env: { ...env, KRB5CCNAME: `FILE:${cc}` },
      });
      expect(r.stdout + r.stderr, tdsLog.join('\n')).toContain('CONTOSO\\alice');
    });
  },
);
