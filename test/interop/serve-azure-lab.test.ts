/**
 * `krbsim serve azure-sql-mi` as a process, with real clients: MIT kinit
 * against CONTOSO.COM's KDC, the referral to KERBEROS.MICROSOFTONLINE.COM
 * reached only through the HTTPS KDC proxy (MIT's k5tls, http_anchors), and
 * FreeTDS's tsql logging in to mi1 over TDS with the resulting ticket. alice
 * has a Windows login; bob gets 18456. The lab's facts hold: the service
 * ticket is etype 18.
 */

import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AzureLabPorts } from '../../packages/cli/src/azure-lab';
import { MitClient, parseKlist } from './helpers/mit';
import {
  makeTempDir,
  type RunningProcess,
  startProcess,
  stopAllProcesses,
  type TempDir,
} from './helpers/processes';
import { describeWithTools, runTool } from './mit-tools';

const ROOT = resolve(__dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

describeWithTools(
  'krbsim serve azure-sql-mi with MIT and FreeTDS',
  ['kinit', 'kvno', 'klist', 'kdestroy', 'tsql'],
  (tools) => {
    let dir: TempDir;
    let serve: RunningProcess;
    let ports: AzureLabPorts;
    beforeAll(async () => {
      dir = await makeTempDir('serve-azure');
      serve = startProcess(TSX, ['packages/cli/src/bin.ts', 'serve', 'azure-sql-mi', '--dir', dir.path], {
        cwd: ROOT,
        timeoutMs: 180_000,
      });
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
      ]);
    });

    it('bob, without a login, gets 18456', async () => {
      const { out } = await login('bob', 'B0b-Passw0rd');
      expect(out).toMatch(/18456|Login failed/);
      // The error names him, as SQL Server's does; SUSER_SNAME() never answered for him.
      expect(out).toContain("Login failed for user 'CONTOSO\\bob'");
      expect(out).not.toMatch(/^\s*CONTOSO\\bob\s*$/m);
    });
  },
);
