/**
 * A served topology realm with `kdcProxy: true` against MIT krb5 1.20's
 * tools: `startTopology` (what `krbsim serve` runs) writes a krb5.conf whose
 * `kdc` and `kpasswd_server` for the realm are the HTTPS KDC proxy
 * (MS-KKDCP, `https://127.0.0.1:<port>/KdcProxy`) with `http_anchors =
 * FILE:<dir>/ca.pem`, as Azure AD's KERBEROS.MICROSOFTONLINE.COM is reached
 * only through `https://login.microsoftonline.com/<tenant>/kerberos`. MIT's
 * `kinit`, `kvno` and `kpasswd`, given only that krb5.conf, succeed, and
 * their KRB5_TRACE shows HTTPS requests and no UDP or TCP one; the realm's
 * request log records the proxied requests (`kkdcp`).
 *
 * MIT speaks HTTPS to KDC proxies through its k5tls plugin (Debian:
 * krb5-k5tls). Without it the suite is skipped, or fails under
 * KRBSIM_REQUIRE_MIT=1, like a missing tool.
 */

import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  parseTopology,
  type RequestLogEntry,
  type RunningTopology,
  startTopology,
} from '../../packages/cli/src/index';
import { describeWithK5tls } from './helpers/k5tls';
import { MIT_CLIENT_TOOLS, MitClient, type MitResult, parseKlist } from './helpers/mit';
import { makeTempDir, type TempDir } from './helpers/processes';

const REALM = 'PROXY.TEST';

const TOPOLOGY = `
realms:
  - name: ${REALM}
    kind: mit
    kdcProxy: true
    users:
      - { name: alice, password: Al1ce-Passw0rd }
      - { name: bob, password: B0b-0ld-Passw0rd }
    services:
      - { spn: HTTP/web.proxy.test, password: W3b-Passw0rd }
`;

describeWithK5tls(
  "MIT kinit, kvno and kpasswd through krbsim serve's KDC proxy (kdcProxy: true)",
  [...MIT_CLIENT_TOOLS, 'kpasswd'],
  (tools) => {
    let dir: TempDir;
    let topo: RunningTopology;
    let url: string;
    let port: number;
    const log: RequestLogEntry[] = [];
    let mit: MitClient;

    beforeAll(async () => {
      dir = await makeTempDir('serve-kdc-proxy');
      topo = await startTopology(parseTopology(TOPOLOGY), { dir: dir.path, log: (e) => log.push(e) });
      url = topo.servers.get(REALM)!.kdcProxyUrl!;
      port = Number(new URL(url).port);
      mit = new MitClient(tools, dir.path, topo.files!.krb5conf, dir.file('cc'), () =>
        log.map((e) => `${e.realm} ${e.transport} ${e.line}`).join('\n'),
      );
    });
    afterAll(async () => {
      await topo?.close();
      await dir?.remove();
    });

    /** Every exchange of `r` went to the proxy over HTTPS (at least `min` of them), none over UDP or TCP. */
    function throughProxyOnly(r: MitResult, min: number): void {
      const https = r.trace.match(/Sending HTTPS request to https 127\.0\.0\.1:(\d+)/g) ?? [];
      expect(https.length, mit.explain(r)).toBeGreaterThanOrEqual(min);
      for (const line of https) expect(line).toBe(`Sending HTTPS request to https 127.0.0.1:${port}`);
      expect(r.trace, mit.explain(r)).not.toMatch(/Sending (UDP|TCP) request/);
    }

    it('krb5.conf names the proxy, not the UDP/TCP port, with the CA written beside it', async () => {
      const conf = await readFile(topo.files!.krb5conf, 'utf8');
      expect(url).toBe(`https://127.0.0.1:${port}/KdcProxy`);
      expect(conf).toContain(`kdc = ${url}\n`);
      expect(conf).toContain(`kpasswd_server = ${url}\n`);
      expect(conf).toContain(`http_anchors = FILE:${dir.file('ca.pem')}\n`);
      expect(conf).not.toContain(`127.0.0.1:${topo.servers.get(REALM)!.udpPort}`);
      expect(await readFile(dir.file('ca.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
    });

    it('kinit gets a TGT through the proxy over HTTPS, and the request log records it as kkdcp', async () => {
      log.length = 0;
      const r = await mit.ok('kinit', [`alice@${REALM}`], { input: 'Al1ce-Passw0rd\n' });
      throughProxyOnly(r, 2);
      expect(r.trace).toContain('TLS certificate name matched "127.0.0.1"');
      expect(log.map((e) => `${e.transport} ${e.msgType} -> ${e.outcome}`)).toEqual([
        'kkdcp AS-REQ -> KRB-ERROR',
        'kkdcp AS-REQ -> AS-REP',
      ]);
      expect(parseKlist((await mit.ok('klist', [])).stdout).principal).toBe(`alice@${REALM}`);
    });

    it('kvno gets a service ticket through the proxy', async () => {
      log.length = 0;
      const r = await mit.ok('kvno', [`HTTP/web.proxy.test@${REALM}`]);
      expect(r.stdout).toContain(`HTTP/web.proxy.test@${REALM}: kvno = 1`);
      throughProxyOnly(r, 1);
      expect(log.map((e) => `${e.transport} ${e.line}`)).toEqual([
        `kkdcp TGS-REQ alice@${REALM} for HTTP/web.proxy.test@${REALM} -> TGS-REP (FAST)`,
      ]);
    });

    it('kpasswd changes a password through the proxy (kpasswd_server), and kinit logs on with it', async () => {
      const bob = new MitClient(tools, dir.path, topo.files!.krb5conf, dir.file('cc-bob'), () =>
        log.map((e) => `${e.realm} ${e.transport} ${e.line}`).join('\n'),
      );
      const r = await bob.ok('kpasswd', [`bob@${REALM}`], {
        input: 'B0b-0ld-Passw0rd\nB0b-N3w-Passw0rd\nB0b-N3w-Passw0rd\n',
      });
      expect(r.stdout + r.stderr).toMatch(/Password changed/);
      // The AS exchange for kadmin/changepw, then the kpasswd request: all through the proxy.
      throughProxyOnly(r, 2);
      expect(r.trace).toMatch(/kadmin\/changepw/);
      const old = await bob.run('kinit', [`bob@${REALM}`], { input: 'B0b-0ld-Passw0rd\n' });
      expect(old.code, bob.explain(old)).not.toBe(0);
      const fresh = await bob.ok('kinit', [`bob@${REALM}`], { input: 'B0b-N3w-Passw0rd\n' });
      throughProxyOnly(fresh, 1);
    });
  },
);
