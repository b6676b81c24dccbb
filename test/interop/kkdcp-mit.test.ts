/**
 * MIT krb5 1.20 through a krbsim KDC proxy: `kinit` and `kvno` reach a
 * krbsim realm at `kdc = https://127.0.0.1:<port>/kerberos` (MS-KKDCP over
 * HTTPS, `serveKdcProxy`), trusting the test CA named by `http_anchors`, as
 * Windows clients reach Azure AD's KERBEROS.MICROSOFTONLINE.COM at
 * `https://login.microsoftonline.com:443:<tenantId>/kerberos`; and `kpasswd`
 * changes a password through the same proxy (`kpasswd_server = https://...`),
 * which relays kpasswd to the realm's password-change service.
 *
 * MIT speaks HTTPS to KDC proxies through its k5tls plugin (Debian:
 * krb5-k5tls). Without it the suite is skipped, or fails under
 * KRBSIM_REQUIRE_MIT=1, like a missing tool.
 */

import { writeFile } from 'node:fs/promises';
import { systemRandom } from '@krbsim/core';
import { writeKrb5Conf } from '@krbsim/files';
import { Kdc, KpasswdService, Realm } from '@krbsim/kdc';
import {
  createSelfSignedCa,
  issueServerCertificate,
  KdcProxy,
  type KdcProxyPath,
  type KdcProxyServer,
  kdcProxyRoute,
  type PemCertificate,
  serveKdcProxy,
} from '@krbsim/transport';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWithK5tls } from './helpers/k5tls';
import { MIT_CLIENT_TOOLS, MitClient, parseKlist } from './helpers/mit';
import { makeTempDir, type TempDir } from './helpers/processes';

const REALM = 'CONTOSO.COM';
const ALICE = 'correct horse battery staple';
const TENANT = '00000000-0000-0000-0000-000000000001';

describeWithK5tls(
  'MIT kinit and kvno through a krbsim KDC proxy (MS-KKDCP over HTTPS)',
  MIT_CLIENT_TOOLS,
  (tools) => {
    let dir: TempDir;
    let ca: PemCertificate;
    let caFile: string;
    let cert: PemCertificate;
    let kdc: Kdc;
    const servers: KdcProxyServer[] = [];
    let log: string[] = [];

    beforeAll(async () => {
      dir = await makeTempDir('kkdcp-mit');
      // MIT checks validity against the real time: the system clock throughout.
      ca = await createSelfSignedCa({ commonName: 'krbsim KDC proxy test CA' });
      cert = await issueServerCertificate(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
      caFile = dir.file('ca.pem');
      await writeFile(caFile, ca.certPem);
      const realm = new Realm({ name: REALM, random: systemRandom });
      realm.addUser('alice', { password: ALICE });
      realm.addService('HTTP/web.contoso.com', { password: 'web-Passw0rd' });
      kdc = new Kdc(realm);
    });
    afterEach(async () => {
      await Promise.all(servers.splice(0).map((s) => s.close()));
      log = [];
    });
    afterAll(async () => {
      await dir?.remove();
    });

    async function startProxy(
      options: { path?: KdcProxyPath; cert?: PemCertificate } = {},
    ): Promise<KdcProxyServer> {
      const use = options.cert ?? cert;
      const proxy = new KdcProxy((r) => (r === REALM ? (req) => kdc.handle(req) : undefined));
      const server = await serveKdcProxy(proxy, {
        cert: use.certPem,
        key: use.keyPem,
        log: (l) => log.push(l),
        ...(options.path === undefined ? {} : { path: options.path }),
      });
      servers.push(server);
      return server;
    }

    /** A krb5.conf whose only KDC for CONTOSO.COM is `url`, trusting `anchor`; and an MIT client on it. */
    async function mitVia(name: string, url: string, anchor = caFile): Promise<MitClient> {
      const conf = dir.file(`krb5-${name}.conf`);
      await writeFile(
        conf,
        writeKrb5Conf({
          defaultRealm: REALM,
          realms: [{ name: REALM, kdcs: [url], httpAnchors: [`FILE:${anchor}`] }],
        }),
      );
      return new MitClient(tools, dir.path, conf, dir.file(`cc-${name}`), () => log.join('\n'));
    }

    it('kpasswd changes a password through the proxy (kpasswd_server = https://...), as MS-KKDCP 4.2 relays it', async () => {
      // A realm of its own, whose password-change service sits behind the same proxy as its KDC.
      const realm = new Realm({ name: 'CHANGE.TEST', random: systemRandom });
      realm.addPasswordChangeService();
      realm.addUser('bob', { password: 'B0b-0ld-Passw0rd' });
      const bobKdc = new Kdc(realm);
      const kpasswdLog: string[] = [];
      const changepw = new KpasswdService(realm, { log: (l) => kpasswdLog.push(l) });
      const proxy = new KdcProxy(kdcProxyRoute({ 'CHANGE.TEST': (req) => bobKdc.handle(req) }), {
        kpasswd: kdcProxyRoute({ 'CHANGE.TEST': (req) => changepw.handle(req) }),
      });
      const server = await serveKdcProxy(proxy, {
        cert: cert.certPem,
        key: cert.keyPem,
        log: (l) => log.push(l),
      });
      servers.push(server);
      const conf = dir.file('krb5-kpasswd.conf');
      await writeFile(
        conf,
        writeKrb5Conf({
          defaultRealm: 'CHANGE.TEST',
          realms: [
            { name: 'CHANGE.TEST', kdcs: [server.url], kpasswd: server.url, httpAnchors: [`FILE:${caFile}`] },
          ],
        }),
      );
      const mit = new MitClient(tools, dir.path, conf, dir.file('cc-kpasswd'), () =>
        [...log, ...kpasswdLog].join('\n'),
      );
      const r = await mit.ok('kpasswd', ['bob@CHANGE.TEST'], {
        input: 'B0b-0ld-Passw0rd\nB0b-N3w-Passw0rd\nB0b-N3w-Passw0rd\n',
      });
      expect(r.stdout + r.stderr).toMatch(/Password changed/);
      expect(kpasswdLog).toEqual(['kpasswd bob@CHANGE.TEST -> SUCCESS']);
      // Every exchange went over HTTPS through the proxy: the AS exchange for kadmin/changepw and kpasswd.
      expect(r.trace.match(/Sending HTTPS request/g)?.length).toBeGreaterThanOrEqual(2);
      expect(r.trace).not.toMatch(/Sending (UDP|TCP) request/);
      await mit.ok('kinit', ['bob@CHANGE.TEST'], { input: 'B0b-N3w-Passw0rd\n' });
    });

    it('kinit gets a TGT and kvno a service ticket at https://127.0.0.1:<port>/kerberos', async () => {
      const server = await startProxy();
      const mit = await mitVia('ip', server.url);
      expect(server.url).toBe(`https://127.0.0.1:${server.port}/kerberos`);

      const kinit = await mit.ok('kinit', [`alice@${REALM}`], { input: `${ALICE}\n` });
      expect(kinit.trace).toContain('TLS certificate name matched "127.0.0.1"');
      expect(kinit.trace).toContain(`Sending HTTPS request to https 127.0.0.1:${server.port}`);
      expect(log).toEqual([
        expect.stringMatching(
          /^kkdcp 127\.0\.0\.1:\d+ POST \/kerberos CONTOSO\.COM AS-REQ \d+ bytes -> 200 KRB-ERROR KDC_ERR_PREAUTH_REQUIRED \d+ bytes$/,
        ),
        expect.stringMatching(
          /^kkdcp 127\.0\.0\.1:\d+ POST \/kerberos CONTOSO\.COM AS-REQ \d+ bytes -> 200 AS-REP \d+ bytes$/,
        ),
      ]);

      log.length = 0;
      const kvno = await mit.ok('kvno', [`HTTP/web.contoso.com@${REALM}`]);
      expect(kvno.stdout).toContain(`HTTP/web.contoso.com@${REALM}: kvno = 1`);
      expect(log).toEqual([
        expect.stringMatching(
          /^kkdcp 127\.0\.0\.1:\d+ POST \/kerberos CONTOSO\.COM TGS-REQ \d+ bytes -> 200 TGS-REP \d+ bytes$/,
        ),
      ]);

      const klist = parseKlist((await mit.ok('klist', [])).stdout);
      expect(klist.principal).toBe(`alice@${REALM}`);
      expect(klist.tickets.map((t) => t.server)).toEqual([
        `krbtgt/${REALM}@${REALM}`,
        `HTTP/web.contoso.com@${REALM}`,
      ]);
      expect(log.join('\n')).not.toContain(ALICE);
    });

    it('matches the DNS name too: https://localhost:<port>/kerberos', async () => {
      const server = await startProxy();
      const mit = await mitVia('localhost', `https://localhost:${server.port}/kerberos`);
      const kinit = await mit.ok('kinit', [`alice@${REALM}`], { input: `${ALICE}\n` });
      expect(kinit.trace).toContain('TLS certificate name matched "localhost"');
      expect(log.at(-1)).toMatch(/AS-REQ \d+ bytes -> 200 AS-REP/);
    });

    it('serves an Azure-style tenant path, /<tenantId>/kerberos', async () => {
      const server = await startProxy({ path: /^\/[0-9a-f-]{36}\/kerberos$/ });
      const mit = await mitVia('tenant', `${server.origin}/${TENANT}/kerberos`);
      await mit.ok('kinit', [`alice@${REALM}`], { input: `${ALICE}\n` });
      await mit.ok('kvno', [`HTTP/web.contoso.com@${REALM}`]);
      expect(log.map((l) => / POST (\S+) /.exec(l)?.[1])).toEqual([
        `/${TENANT}/kerberos`,
        `/${TENANT}/kerberos`,
        `/${TENANT}/kerberos`,
      ]);
    });

    it('MIT refuses a proxy whose CA is not its http_anchors, and one whose certificate names another host', async () => {
      const server = await startProxy();
      const stranger = await createSelfSignedCa({ commonName: 'not the anchor' });
      const strangerFile = dir.file('stranger-ca.pem');
      await writeFile(strangerFile, stranger.certPem);
      const untrusted = await (await mitVia('untrusted', server.url, strangerFile)).run(
        'kinit',
        [`alice@${REALM}`],
        {
          input: `${ALICE}\n`,
        },
      );
      expect(untrusted.code).not.toBe(0);
      expect(untrusted.stderr).toMatch(/Cannot contact any KDC/);
      expect(untrusted.trace).toMatch(
        /TLS certificate error at 0 \(CN=localhost\): 20 \(unable to get local issuer certificate\)/,
      );
      expect(log.some((l) => / POST /.test(l))).toBe(false);

      const dnsOnly = await issueServerCertificate(ca, { dnsNames: ['localhost'], ipAddresses: [] });
      const misnamed = await startProxy({ cert: dnsOnly });
      const wrongName = await (await mitVia('misnamed', misnamed.url)).run('kinit', [`alice@${REALM}`], {
        input: `${ALICE}\n`,
      });
      expect(wrongName.code).not.toBe(0);
      expect(wrongName.trace).toMatch(/TLS certificate name mismatch/);
      expect(log.some((l) => / POST /.test(l))).toBe(false);
    });
  },
);
