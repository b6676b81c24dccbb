/**
 * The password-change service (RFC 3244) against MIT krb5 1.20's clients on
 * loopback: `kpasswd` changes a password (protocol version 1, UDP and TCP),
 * `kinit` of a user who must change the password prompts for a new one and
 * changes it through the service before it gets its TGT, and the refusals
 * (a wrong old password, an empty new one) reach the user as MIT words them.
 *
 * Skipped with a printed reason when MIT's tools are missing; failing instead
 * under KRBSIM_REQUIRE_MIT=1.
 */

import { readFile, writeFile } from 'node:fs/promises';
import { systemClock } from '@krbsim/core';
import { Kdc, KpasswdService, Realm } from '@krbsim/kdc';
import { type KdcServer, serveKdc } from '@krbsim/transport';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseTopology, startTopology } from '../../packages/cli/src/index';
import { freePort } from './helpers/mit-realm';
import { makeTempDir, type TempDir } from './helpers/processes';
import { describeWithTools, runTool } from './mit-tools';

const REALM = 'KPASSWD.TEST';

describeWithTools(
  'MIT kpasswd and kinit against the password-change service',
  ['kinit', 'kpasswd'],
  (tools) => {
    let dir: TempDir;
    let realm: Realm;
    const servers: KdcServer[] = [];
    const log: string[] = [];
    let env: (tcp?: boolean) => Record<string, string>;

    beforeAll(async () => {
      dir = await makeTempDir('kpasswd-mit');
      realm = new Realm({ name: REALM, clock: systemClock });
      realm.addService('kadmin/changepw');
      realm.addUser('alice', { password: 'Old-Passw0rd' });
      realm.addUser('frank', { password: 'Fr4nk-Old', mustChangePassword: true });
      // One port for UDP and TCP each, as krb5.conf names one (udp_preference_limit = 1 picks TCP).
      const kdcPort = await freePort();
      const kdc = await serveKdc((r) => new Kdc(realm).handle(r), {
        realm: REALM,
        udpPort: kdcPort,
        tcpPort: kdcPort,
      });
      const kpasswd = new KpasswdService(realm, { log: (l) => log.push(l) });
      const kpasswdPort = await freePort();
      const changepw = await serveKdc((r) => kpasswd.handle(r), {
        realm: REALM,
        protocol: 'kpasswd',
        udpPort: kpasswdPort,
        tcpPort: kpasswdPort,
      });
      servers.push(kdc, changepw);
      env = (tcp = false) => {
        const conf = dir.file(tcp ? 'krb5-tcp.conf' : 'krb5.conf');
        return {
          KRB5_CONFIG: conf,
          KRB5CCNAME: `FILE:${dir.file('cc')}`,
          KRB5_TRACE: dir.file(tcp ? 'trace-tcp' : 'trace'),
        };
      };
      for (const tcp of [false, true]) {
        await writeFile(
          dir.file(tcp ? 'krb5-tcp.conf' : 'krb5.conf'),
          [
            '[libdefaults]',
            `  default_realm = ${REALM}`,
            '  dns_lookup_kdc = false',
            '  dns_lookup_realm = false',
            ...(tcp ? ['  udp_preference_limit = 1'] : []),
            '[realms]',
            `  ${REALM} = {`,
            `    kdc = 127.0.0.1:${kdc.udpPort}`,
            `    kpasswd_server = 127.0.0.1:${changepw.udpPort}`,
            '  }',
            '',
          ].join('\n'),
        );
      }
    });
    afterAll(async () => {
      for (const s of servers) await s.close();
      await dir?.remove();
    });

    const kinit = (user: string, input: string, tcp = false) =>
      runTool(tools.kinit!, [`${user}@${REALM}`], { input, env: env(tcp) });

    it("kpasswd changes alice's password; the old one stops working, the new one works", async () => {
      const r = await runTool(tools.kpasswd!, [`alice@${REALM}`], {
        input: 'Old-Passw0rd\nNew-Passw0rd-1\nNew-Passw0rd-1\n',
        env: env(),
      });
      expect(r.stdout + r.stderr, log.join('\n')).toMatch(/Password changed/);
      expect((await kinit('alice', 'Old-Passw0rd\n')).code).not.toBe(0);
      expect((await kinit('alice', 'New-Passw0rd-1\n')).code).toBe(0);
    });

    it('kpasswd over TCP changes it again', async () => {
      const r = await runTool(tools.kpasswd!, [`alice@${REALM}`], {
        input: 'New-Passw0rd-1\nNew-Passw0rd-2\nNew-Passw0rd-2\n',
        env: env(true),
      });
      expect(r.stdout + r.stderr, log.join('\n')).toMatch(/Password changed/);
      // MIT went over TCP (its trace names the transport of each exchange).
      expect(await readFile(dir.file('trace-tcp'), 'utf8')).toMatch(/Sending TCP request/);
      expect((await kinit('alice', 'New-Passw0rd-2\n', true)).code).toBe(0);
    });

    it('kinit for frank, who must change his password, prompts for a new one, changes it, and gets his TGT', async () => {
      const r = await kinit('frank', 'Fr4nk-Old\nFr4nk-New-1\nFr4nk-New-1\n');
      expect(r.stdout + r.stderr).toMatch(/Password expired\.\s+You must change it now\./);
      expect(r.code, r.stdout + r.stderr + log.join('\n')).toBe(0);
      expect(log.at(-1)).toBe(`kpasswd frank@${REALM} -> SUCCESS`);
      expect((await kinit('frank', 'Fr4nk-New-1\n')).code).toBe(0);
    });

    it("the service's refusal reaches the user in MIT's words: a ticket another KDC issued is refused", async () => {
      // kpasswd with a password that the service refuses: here, none at all (MIT lets it through).
      const r = await runTool(tools.kpasswd!, [`frank@${REALM}`], {
        input: 'Fr4nk-New-1\n\n\n',
        env: env(),
      });
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toContain('Password change rejected: the new password is empty');
      expect(log.at(-1)).toBe(`kpasswd frank@${REALM} -> SOFTERROR: the new password is empty`);
    });
  },
);

describeWithTools(
  'MIT kinit against `krbsim serve`: an expired password changed through its kpasswd',
  ['kinit'],
  (tools) => {
    it('serves kpasswd beside each KDC and names it in krb5.conf; kinit of a user who must change it does', async () => {
      const dir = await makeTempDir('kpasswd-serve');
      const topo = await startTopology(
        parseTopology(
          [
            'realms:',
            '  - name: SERVE.TEST',
            '    users:',
            '      - { name: frank, password: Fr4nk-Old, mustChangePassword: true }',
            '',
          ].join('\n'),
        ),
        { dir: dir.path },
      );
      try {
        const server = topo.servers.get('SERVE.TEST')!;
        expect(server.kpasswdPort).toBeGreaterThan(0);
        expect(await readFile(topo.files!.krb5conf, 'utf8')).toContain(
          `kpasswd_server = 127.0.0.1:${server.kpasswdPort}`,
        );
        const env = { KRB5_CONFIG: topo.files!.krb5conf, KRB5CCNAME: `FILE:${dir.file('cc')}` };
        const r = await runTool(tools.kinit!, ['frank@SERVE.TEST'], {
          input: 'Fr4nk-Old\nFr4nk-New-1\nFr4nk-New-1\n',
          env,
        });
        expect(r.stdout + r.stderr).toMatch(/Password expired/);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(
          (await runTool(tools.kinit!, ['frank@SERVE.TEST'], { input: 'Fr4nk-New-1\n', env })).code,
        ).toBe(0);
      } finally {
        await topo.close();
        await dir.remove();
      }
    });
  },
);
