/**
 * The password-change service (RFC 3244) against MIT krb5 1.20's clients on
 * loopback: `kpasswd` changes a password (protocol version 1, UDP and TCP),
 * `kinit` of a user who must change the password prompts for a new one and
 * changes it through the service before it gets its TGT, and the refusals
 * reach the user as MIT words them: kadmind's words in an MIT realm, and in an
 * Active Directory realm the domain's policy as AD_POLICY_INFO, which MIT's
 * `krb5_chpw_message` reads (the oracle for krbsim's bytes and words).
 *
 * Skipped with a printed reason when MIT's tools are missing; failing instead
 * under KRBSIM_REQUIRE_MIT=1.
 */

import { readFile, writeFile } from 'node:fs/promises';
import { type AdPolicyInfo, adPolicyInfoMessage, DomainPasswordProperties } from '@krbsim/asn1';
import { systemClock } from '@krbsim/core';
import { Realm } from '@krbsim/kdc';
import type { KdcServer } from '@krbsim/transport';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseTopology, startTopology } from '../../packages/cli/src/index';
import { kpasswdKrb5Conf, serveKpasswdRealm } from './helpers/kpasswd-realm';
import { makeTempDir, type TempDir } from './helpers/processes';
import { describeWithTools, runTool } from './mit-tools';

const REALM = 'KPASSWD.TEST';

/** A realm's KDC and password-change service on loopback, and the krb5.conf (UDP, or TCP) that names them. */
async function serveRealm(realm: Realm, dir: TempDir, log: string[]) {
  const { kdcPort, kpasswdPort, servers } = await serveKpasswdRealm(realm, { log: (l) => log.push(l) });
  const name = realm.name.toLowerCase();
  for (const tcp of [false, true]) {
    await writeFile(
      dir.file(`${name}${tcp ? '-tcp' : ''}.conf`),
      // MIT names one port for both; udp_preference_limit = 1 makes it use TCP.
      kpasswdKrb5Conf(
        realm.name,
        kdcPort,
        `127.0.0.1:${kpasswdPort}`,
        tcp ? ['udp_preference_limit = 1'] : [],
      ),
    );
  }
  const env = (tcp = false): Record<string, string> => ({
    KRB5_CONFIG: dir.file(`${name}${tcp ? '-tcp' : ''}.conf`),
    KRB5CCNAME: `FILE:${dir.file(`${name}.cc`)}`,
    KRB5_TRACE: dir.file(`${name}${tcp ? '-tcp' : ''}.trace`),
  });
  return { servers, env, trace: (tcp = false) => readFile(env(tcp).KRB5_TRACE!, 'utf8') };
}

describeWithTools(
  'MIT kpasswd and kinit against the password-change service',
  ['kinit', 'kpasswd'],
  (tools) => {
    let dir: TempDir;
    let realm: Realm;
    const servers: KdcServer[] = [];
    const log: string[] = [];
    let served: Awaited<ReturnType<typeof serveRealm>>;

    beforeAll(async () => {
      dir = await makeTempDir('kpasswd-mit');
      realm = new Realm({ name: REALM, clock: systemClock });
      realm.addPasswordChangeService();
      realm.addUser('alice', { password: 'Old-Passw0rd' });
      realm.addUser('frank', { password: 'Fr4nk-Old', mustChangePassword: true });
      // erin's password expired a minute ago (maximum age, or an administrator's date).
      realm.addUser('erin', { password: 'Er1n-Old', passwordExpires: Date.now() - 60_000 });
      served = await serveRealm(realm, dir, log);
      servers.push(...served.servers);
    });
    afterAll(async () => {
      for (const s of servers) await s.close();
      await dir?.remove();
    });

    const env = (tcp = false) => served.env(tcp);
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
      expect(await served.trace(true)).toMatch(/Sending TCP request/);
      expect((await kinit('alice', 'New-Passw0rd-2\n', true)).code).toBe(0);
    });

    it('kinit for frank, who must change his password, prompts for a new one, changes it, and gets his TGT', async () => {
      const r = await kinit('frank', 'Fr4nk-Old\nFr4nk-New-1\nFr4nk-New-1\n');
      expect(r.stdout + r.stderr).toMatch(/Password expired\.\s+You must change it now\./);
      expect(r.code, r.stdout + r.stderr + log.join('\n')).toBe(0);
      expect(log.at(-1)).toBe(`kpasswd frank@${REALM} -> SUCCESS`);
      expect((await kinit('frank', 'Fr4nk-New-1\n')).code).toBe(0);
    });

    it('kinit for erin, whose password expired, changes it and gets her TGT; the new password does not expire', async () => {
      const r = await kinit('erin', 'Er1n-Old\nEr1n-New-1\nEr1n-New-1\n');
      expect(r.stdout + r.stderr).toMatch(/Password expired\.\s+You must change it now\./);
      expect(r.code, r.stdout + r.stderr + log.join('\n')).toBe(0);
      expect((await kinit('erin', 'Er1n-New-1\n')).code).toBe(0);
    });

    it("the service's refusal reaches the user in kadmind's words", async () => {
      // kpasswd with a password that the service refuses: here, none at all (MIT lets it through).
      const r = await runTool(tools.kpasswd!, [`frank@${REALM}`], {
        input: 'Fr4nk-New-1\n\n\n',
        env: env(),
      });
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toContain('Password change rejected: Password is too short');
      expect(log.at(-1)).toBe(`kpasswd frank@${REALM} -> SOFTERROR: Password is too short`);
    });
  },
);

describeWithTools(
  "MIT kpasswd against an Active Directory realm's password-change service: the policy as a DC sends it",
  ['kinit', 'kpasswd'],
  (tools) => {
    const AD_REALM = 'AD-KPASSWD.TEST';
    let dir: TempDir;
    const servers: KdcServer[] = [];
    const log: string[] = [];
    let served: Awaited<ReturnType<typeof serveRealm>>;
    let adPolicy: AdPolicyInfo;

    beforeAll(async () => {
      dir = await makeTempDir('kpasswd-ad');
      const realm = new Realm({ name: AD_REALM, clock: systemClock, kind: 'active-directory' });
      realm.addPasswordChangeService();
      realm.addUser('alice', { password: 'Old-Passw0rd' });
      realm.addUser('frank', { password: 'Fr4nk-Old', mustChangePassword: true });
      served = await serveRealm(realm, dir, log);
      servers.push(...served.servers);
      const p = realm.policy;
      adPolicy = {
        minLength: p.minPasswordLength,
        historyLength: p.passwordHistoryLength,
        properties: p.passwordComplexity ? DomainPasswordProperties.COMPLEX : 0,
        maxAgeMs: 0,
        minAgeMs: p.minPasswordAgeMs,
      };
    });
    afterAll(async () => {
      for (const s of servers) await s.close();
      await dir?.remove();
    });

    // The Default Domain Policy as MIT's krb5_chpw_message says AD_POLICY_INFO: the bytes and the words agree.
    const POLICY_WORDS =
      "Password change rejected: The password must include numbers or symbols.  Don't include any part of your name in the password." +
      '  The password must contain at least 7 characters.' +
      '  The password must be different from the previous 24 passwords.' +
      '  The password can only be changed once a day.';

    it("a refusal is AD_POLICY_INFO, which MIT's kpasswd puts in the same words as krbsim's client", async () => {
      // alice's password was set a moment ago: the domain's minimum age refuses even a good one.
      const r = await runTool(tools.kpasswd!, [`alice@${AD_REALM}`], {
        input: 'Old-Passw0rd\nNew-Passw0rd-1\nNew-Passw0rd-1\n',
        env: served.env(),
      });
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toContain(POLICY_WORDS);
      // krbsim's client words the same bytes the same way.
      expect(`Password change rejected: ${adPolicyInfoMessage(adPolicy)}`).toBe(POLICY_WORDS);
      expect(log.at(-1)).toBe(
        `kpasswd alice@${AD_REALM} -> SOFTERROR: Current password's minimum life has not expired`,
      );
      // frank must change his: a password of two kinds of character is refused the same way, a good one is not.
      const weak = await runTool(tools.kpasswd!, [`frank@${AD_REALM}`], {
        input: 'Fr4nk-Old\nlowercase-only\nlowercase-only\n',
        env: served.env(),
      });
      expect(weak.stdout + weak.stderr).toContain(POLICY_WORDS);
      expect(log.at(-1)).toBe(
        `kpasswd frank@${AD_REALM} -> SOFTERROR: Password does not meet complexity requirements`,
      );
      const good = await runTool(tools.kpasswd!, [`frank@${AD_REALM}`], {
        input: 'Fr4nk-Old\nFr4nk-New-1\nFr4nk-New-1\n',
        env: served.env(),
      });
      expect(good.stdout + good.stderr, log.join('\n')).toMatch(/Password changed/);
      expect(
        (await runTool(tools.kinit!, [`frank@${AD_REALM}`], { input: 'Fr4nk-New-1\n', env: served.env() }))
          .code,
      ).toBe(0);
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
