/**
 * `krbsim serve azure-sql-mi --host 0.0.0.0`: the lab listens on every
 * interface, and the files it writes name an address a client can connect to.
 * And its KDC proxy serves the Azure AD realm however a client cases it; with
 * --direct-kdc, Azure AD's KDC answers on a port of its own too.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeKdcProxyMessage, decodeKrbError, encodeKdcProxyMessage } from '@krbsim/asn1';
import { AZURE_AD_REALM } from '@krbsim/azure';
import { ErrorCode, ManualClock } from '@krbsim/core';
import { tlsServerEndPoint } from '@krbsim/pki';
import { connectTds } from '@krbsim/tds';
import { frameTcp, UdpTcpTransport, unframeKerbMessage } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';
import { type AzureLabPorts, startAzureLab } from '../src/azure-lab';
import { runCli } from '../src/cli';
import { loadServeFile } from '../src/serve-file';
import { cloudAsReq, httpsPost } from './https-post';
import { serveExit, serveUntilReady } from './run-serve';

/** The time of the labs whose KDCs these tests ask: requests are dated by it, never by the system clock. */
const NOW = Date.UTC(2026, 0, 1, 9);

describe('the Azure lab served on a wildcard address', () => {
  it('writes loopback, not 0.0.0.0, into krb5.conf, freetds.conf and ports.json', async () => {
    const file = await loadServeFile('azure-sql-mi');
    if (file.kind !== 'azure-sql-mi') throw new Error('the built-in azure-sql-mi is a lab file');
    const dir = await mkdtemp(join(tmpdir(), 'krbsim-azure-host-'));
    const running = await startAzureLab({ lab: file.lab, dir, host: '0.0.0.0' });
    try {
      const krb5 = await readFile(running.ports.krb5conf, 'utf8');
      const freetds = await readFile(running.ports.freetdsconf, 'utf8');
      const ports = await readFile(join(dir, 'ports.json'), 'utf8');
      for (const text of [krb5, freetds, ports]) expect(text).not.toContain('0.0.0.0');
      const kdc = Object.values(running.ports.kdcs)[0]!;
      expect(krb5).toContain(`kdc = 127.0.0.1:${kdc.udp}`);
      expect(krb5).toMatch(/kdc = https:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+\/kerberos/);
      expect(kdc.host).toBe('127.0.0.1');
      for (const t of Object.values(running.ports.tds)) expect(t.host).toBe('127.0.0.1');
      expect(freetds).toContain('host = 127.0.0.1');
      // FreeTDS asks for the SPN of the address it connects to: the instance answers to it.
      const mi = running.lab.managedInstances[0]!;
      const t = Object.values(running.ports.tds)[0]!;
      expect(running.lab.tenant.realm.lookup(`MSSQLSvc/127.0.0.1:${t.port}`)?.name.nameString).toEqual(
        mi.spn.split('/'),
      );
    } finally {
      await running.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the served Azure lab's KDC proxy", () => {
  it('forwards a target-domain in any case to the Azure AD KDC (MS-KKDCP 2.2.2)', async () => {
    const file = await loadServeFile('azure-sql-mi');
    if (file.kind !== 'azure-sql-mi') throw new Error('the built-in azure-sql-mi is a lab file');
    const dir = await mkdtemp(join(tmpdir(), 'krbsim-azure-proxy-'));
    const running = await startAzureLab({ lab: file.lab, dir, clock: new ManualClock(NOW) });
    try {
      const url = running.ports.kdcProxy[AZURE_AD_REALM]!;
      const ca = await readFile(running.ports.ca, 'utf8');
      const asReq = cloudAsReq(NOW);
      for (const targetDomain of [AZURE_AD_REALM, 'kerberos.microsoftonline.com']) {
        // Before the fix the lower-case name was answered 400 "does not serve realm".
        const r = await httpsPost(
          url,
          encodeKdcProxyMessage({ kerbMessage: frameTcp(asReq), targetDomain }),
          ca,
        );
        expect(r.status, targetDomain).toBe(200);
        const reply = decodeKrbError(unframeKerbMessage(decodeKdcProxyMessage(r.body).kerbMessage));
        expect(reply, targetDomain).toMatchObject({
          realm: AZURE_AD_REALM,
          errorCode: ErrorCode.KDC_ERR_PREAUTH_REQUIRED,
          stime: NOW, // the lab's clock, as given
        });
      }
      const other = encodeKdcProxyMessage({ kerbMessage: frameTcp(asReq), targetDomain: 'contoso.com' });
      expect((await httpsPost(url, other, ca)).status).toBe(400);
    } finally {
      await running.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the Azure lab with --direct-kdc, for clients without an MS-KKDCP client', () => {
  it("serves Azure AD's KDC on a UDP and TCP port of its own, named by krb5-direct.conf; krb5.conf keeps the proxy", async () => {
    const file = await loadServeFile('azure-sql-mi');
    if (file.kind !== 'azure-sql-mi') throw new Error('the built-in azure-sql-mi is a lab file');
    const dir = await mkdtemp(join(tmpdir(), 'krbsim-azure-direct-'));
    const running = await startAzureLab({ lab: file.lab, dir, directKdc: true, clock: new ManualClock(NOW) });
    try {
      const tenant = running.ports.kdcs[AZURE_AD_REALM]!;
      expect(tenant.udp).toBe(tenant.tcp);
      expect(running.ports.krb5confDirect).toBe(join(dir, 'krb5-direct.conf'));
      const direct = await readFile(running.ports.krb5confDirect!, 'utf8');
      expect(direct).toContain(`kdc = 127.0.0.1:${tenant.udp}`);
      expect(direct).not.toContain('https:');
      expect(await readFile(running.ports.krb5conf, 'utf8')).toMatch(/kdc = https:\/\/127\.0\.0\.1:\d+\//);
      // The tenant's own KDC answers there, over UDP as over TCP.
      for (const preferTcp of [false, true]) {
        const transport = new UdpTcpTransport({
          kdcs: { [AZURE_AD_REALM]: [{ host: '127.0.0.1', port: tenant.udp }] },
          preferTcp,
        });
        const reply = decodeKrbError(await transport.send(AZURE_AD_REALM, cloudAsReq(NOW)));
        expect(reply, `preferTcp ${preferTcp}`).toMatchObject({
          realm: AZURE_AD_REALM,
          errorCode: ErrorCode.KDC_ERR_PREAUTH_REQUIRED,
          stime: NOW,
        });
      }
      // ports.json names it beside the on-prem KDC (without --direct-kdc, only the on-prem one).
      expect(Object.keys(running.ports.kdcs)).toEqual(['CONTOSO.COM', AZURE_AD_REALM]);
    } finally {
      await running.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('krbsim serve azure-sql-mi --direct-kdc --host 0.0.0.0: the ready line and ports.json name it at loopback', async () => {
    const s = await serveUntilReady(['azure-sql-mi', '--direct-kdc', '--host', '0.0.0.0']);
    try {
      const ready = s.ready as { readonly dir: string; readonly krb5confDirect?: string };
      expect(ready.krb5confDirect).toBe(join(ready.dir, 'krb5-direct.conf'));
      const ports = s.ports as unknown as AzureLabPorts;
      expect(ports.kdcs[AZURE_AD_REALM]).toMatchObject({ host: '127.0.0.1' });
      const direct = await readFile(ready.krb5confDirect!, 'utf8');
      expect(direct).toContain(`kdc = 127.0.0.1:${ports.kdcs[AZURE_AD_REALM]!.udp}`);
      expect(direct).not.toContain('0.0.0.0');
    } finally {
      expect((await s.stop()).code).toBe(0);
    }
  });

  it('is refused for a topology file, whose realms all have their own port', async () => {
    const s = await serveExit(['azure-trust', '--direct-kdc']);
    expect(s.code).toBe(2);
    expect(s.out).toContain('--direct-kdc is for an Azure lab');
  });
});

describe("an Azure lab file's extendedProtection", () => {
  it('reaches the listener: a token bound to no channel is refused with 18452 under required', async () => {
    const file = await loadServeFile('azure-sql-mi');
    if (file.kind !== 'azure-sql-mi') throw new Error('the built-in azure-sql-mi is a lab file');
    const dir = await mkdtemp(join(tmpdir(), 'krbsim-azure-epa-'));
    const [first, ...rest] = file.lab.managedInstances;
    const running = await startAzureLab({
      lab: { ...file.lab, managedInstances: [{ ...first!, extendedProtection: 'required' }, ...rest] },
      dir,
    });
    try {
      const mi = running.lab.managedInstances[0]!;
      const t = running.ports.tds[mi.name]!;
      const ca = await readFile(running.ports.ca, 'utf8');
      const pc = running.lab.adJoinedClient(running.lab.onPrem.user('alice')!);
      const login = async (bind: boolean) => {
        const c = await connectTds({ host: t.host, port: t.port, tls: { ca, servername: mi.fqdn } });
        try {
          const ctx = await pc.initSecurityContext(
            mi.spn,
            bind ? { channelBindings: tlsServerEndPoint(c.peerCertificate!) } : {},
          );
          const r = await c.login({ sspi: ctx.token });
          return r.ok ? 'accepted' : r.error.number;
        } finally {
          c.close();
        }
      };
      expect(await login(false)).toBe(18452);
      expect(await login(true)).toBe('accepted');
    } finally {
      await running.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('serve --help', () => {
  it('lists --keep among the options an Azure lab takes', async () => {
    let out = '';
    const code = await runCli(['serve', '--help'], {
      stdout: (s: string) => {
        out += s;
      },
      stderr: () => {},
    });
    expect(code).toBe(0);
    const lab = out.slice(out.indexOf('An Azure lab file'), out.indexOf('Serve every realm'));
    expect(lab).toMatch(/--kdc-keytab, --dir, --keep, --host,\s+--seed and the log options apply/);
  });
});

describe('the Azure lab file', () => {
  it("serves the on-prem KDC on the file's onPrem.port, UDP and TCP", async () => {
    const file = await loadServeFile('azure-sql-mi');
    if (file.kind !== 'azure-sql-mi') throw new Error('the built-in azure-sql-mi is a lab file');
    // A port free now (another process may take it before the lab binds: then try another).
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const dir = await mkdtemp(join(tmpdir(), 'krbsim-azure-port-'));
      try {
        const running = await startAzureLab({
          lab: { ...file.lab, onPrem: { ...file.lab.onPrem, port } },
          dir,
        });
        try {
          const kdc = Object.values(running.ports.kdcs)[0]!;
          expect([kdc.udp, kdc.tcp]).toEqual([port, port]);
          return;
        } finally {
          await running.close();
        }
      } catch (e) {
        if (attempt === 3 || !String(e).includes('EADDRINUSE')) throw e;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  });
});

/** A port no socket holds now (TCP and UDP). */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
