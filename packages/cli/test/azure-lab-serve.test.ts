/**
 * `krbsim serve` of an Azure lab file, where the file meets the lab: a mistake
 * the lab would refuse only while being built is a usage error naming the
 * field (exit 2), before any socket or directory; the lab serves on a host
 * name (`--host localhost`); its ready event names the CA and the temporary
 * directory as a topology's does; and a `kdc.keytab` an earlier run left in a
 * reused `--dir` goes when `--kdc-keytab` is not given.
 */

import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeKdcProxyMessage, decodeKrbError, encodeKdcProxyMessage } from '@krbsim/asn1';
import { AZURE_AD_REALM } from '@krbsim/azure';
import { KerberosClient } from '@krbsim/client';
import { ErrorCode, ManualClock } from '@krbsim/core';
import { connectTds } from '@krbsim/tds';
import { frameTcp, UdpTcpTransport, unframeKerbMessage } from '@krbsim/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AzureLabPorts, startAzureLab } from '../src/azure-lab';
import type { AzureLabFile } from '../src/azure-lab-file';
import { loadServeFile } from '../src/serve-file';
import { TopologyError } from '../src/topology';
import { cloudAsReq, httpsPost } from './https-post';
import { serveExit, serveUntilReady } from './run-serve';

let dir: string;
let builtIn: AzureLabFile;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'krbsim-azure-serve-'));
  const file = await loadServeFile('azure-sql-mi');
  if (file.kind !== 'azure-sql-mi') throw new Error('the built-in azure-sql-mi is a lab file');
  builtIn = file.lab;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const LAB_HEAD = `kind: azure-sql-mi
onPrem:
  realm: CONTOSO.COM
  users:
    - { name: alice, password: Al1ce-Passw0rd }
`;

describe('a lab file the lab would refuse', () => {
  it.each([
    [
      'two instances on overlapping subnets',
      `${LAB_HEAD}managedInstances:
  - { name: mi1, dnsZone: abc123, subnet: 10.0.0.0/24 }
  - { name: mi2, dnsZone: abc123, subnet: 10.0.0.128/25 }
`,
      'managedInstances[1].subnet: 10.0.0.128/25 (network 10.0.0.128/25) overlaps 10.0.0.0/24 of managedInstances[0]: one instance per subnet',
    ],
    [
      'a universal group in a global one (what only the directory knows)',
      `${LAB_HEAD}  groups:
    - { name: U, scope: universal }
    - { name: G, scope: global, members: [U] }
managedInstances:
  - { name: mi1, dnsZone: abc123, subnet: 10.0.0.0/24 }
`,
      'onPrem.groups[1].members[0]: a global group cannot hold the universal group U',
    ],
  ])('%s: exit 2 naming the field, with no directory made', async (what, text, message) => {
    const file = join(dir, `${what.replace(/\W+/g, '-')}.yaml`);
    await writeFile(file, text);
    const out = join(dir, `out-${what.replace(/\W+/g, '-')}`);
    const r = await serveExit([file, '--dir', out]);
    expect(r.code).toBe(2);
    expect(r.out).toContain(`krbsim serve: ${file}: ${message}`);
    expect(existsSync(out)).toBe(false);
  });

  it('startAzureLab: a step the lab refuses is a TopologyError naming the field, before anything listens', async () => {
    // As no validated file holds it: a second user with alice's UPN.
    const lab: AzureLabFile = {
      ...builtIn,
      onPrem: {
        ...builtIn.onPrem,
        users: [
          ...builtIn.onPrem.users,
          { name: 'eve', password: 'Ev3-Passw0rd', upn: 'alice@contoso.com', groups: [] },
        ],
      },
    };
    const out = join(dir, 'never');
    const e = await startAzureLab({ lab, dir: out }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TopologyError);
    expect((e as TopologyError).path).toBe('onPrem.users[3]');
    expect((e as Error).message).toMatch(/^onPrem\.users\[3\]: .*alice@contoso\.com/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('the Azure lab on a host name', () => {
  it('--host localhost: the certificates name localhost, and clients reach the proxy and the listener by it', async () => {
    const out = join(dir, 'localhost');
    // The lab's time, by which the request below is dated (never the system clock's).
    const now = Date.UTC(2026, 0, 1, 9);
    const running = await startAzureLab({
      lab: builtIn,
      dir: out,
      host: 'localhost',
      clock: new ManualClock(now),
    });
    try {
      const ports: AzureLabPorts = running.ports;
      expect(ports.kdcs['CONTOSO.COM']!.host).toBe('localhost');
      const url = ports.kdcProxy[AZURE_AD_REALM]!;
      expect(url).toMatch(/^https:\/\/localhost:\d+\//);
      const ca = await readFile(ports.ca, 'utf8');
      // The proxy's certificate is checked against the name in the URL.
      const asReq = cloudAsReq(now);
      const r = await httpsPost(
        url,
        encodeKdcProxyMessage({ kerbMessage: frameTcp(asReq), targetDomain: AZURE_AD_REALM }),
        ca,
      );
      expect(r.status).toBe(200);
      expect(decodeKrbError(unframeKerbMessage(decodeKdcProxyMessage(r.body).kerbMessage))).toMatchObject({
        errorCode: ErrorCode.KDC_ERR_PREAUTH_REQUIRED,
        stime: now,
      });
      // The listener's certificate holds the instance's FQDN, and FreeTDS's SPN is the host's.
      const mi = running.lab.managedInstances[0]!;
      const t = ports.tds[mi.name]!;
      expect(t.host).toBe('localhost');
      expect(running.lab.tenant.realm.lookup(`MSSQLSvc/localhost:${t.port}`)).toBeDefined();
      const c = await connectTds({ host: 'localhost', port: t.port, tls: { ca, servername: mi.fqdn } });
      expect(c.peerCertificate).toBeDefined();
      c.close();
      await c.closed;
    } finally {
      await running.close();
    }
  });
});

describe("the Azure lab's password-change service", () => {
  it('logs its line per request through kpasswdLog, as a served topology does, never the password', async () => {
    const now = Date.UTC(2026, 0, 1, 9);
    const clock = new ManualClock(now);
    const lines: string[] = [];
    const running = await startAzureLab({
      lab: builtIn,
      dir: join(dir, 'kpasswd-log'),
      clock,
      kpasswdLog: (realm, line) => lines.push(`${realm}: ${line}`),
    });
    try {
      const kdc = running.ports.kdcs['CONTOSO.COM']!;
      const at = (port: number) =>
        new UdpTcpTransport({ kdcs: { 'CONTOSO.COM': [{ host: kdc.host, port }] } });
      await new KerberosClient({ realm: 'CONTOSO.COM', transport: at(kdc.udp), clock }).changePassword(
        'alice',
        'Al1ce-Passw0rd',
        'N3w-Passw0rd-1',
        { transport: at(kdc.kpasswd!) },
      );
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^CONTOSO\.COM: .*alice@CONTOSO\.COM.*SUCCESS/);
      expect(lines.join('\n')).not.toMatch(/Passw0rd/);
    } finally {
      await running.close();
    }
  });
});

describe("the Azure lab's ready event and files", () => {
  it('names the lab CA and, without --dir, the temporary directory, as a topology does', async () => {
    const s = await serveUntilReady(['azure-sql-mi']);
    try {
      const ready = s.ready as { dir: string; temporary?: string; ca?: string };
      expect(ready.temporary).toBe('remove');
      expect(ready.ca).toBe(join(ready.dir, 'ca.pem'));
      expect(await readFile(ready.ca!, 'utf8')).toContain('BEGIN CERTIFICATE');
    } finally {
      expect((await s.stop()).code).toBe(0);
    }
    const kept = await serveUntilReady(['azure-sql-mi', '--dir', join(dir, 'kept-dir')]);
    try {
      expect(kept.ready.temporary).toBeUndefined();
    } finally {
      expect((await kept.stop()).code).toBe(0);
    }
  });

  it('removes a kdc.keytab an earlier run left in a reused --dir when --kdc-keytab is not given', async () => {
    const out = join(dir, 'reused');
    const first = await startAzureLab({ lab: builtIn, dir: out, kdcKeytab: true, seed: 5 });
    expect(first.ports.kdcKeytab).toBe(join(out, 'kdc.keytab'));
    await first.close();
    expect(existsSync(join(out, 'kdc.keytab'))).toBe(true);
    const second = await startAzureLab({ lab: builtIn, dir: out, seed: 5 });
    try {
      expect(second.ports.kdcKeytab).toBeUndefined();
      expect(existsSync(join(out, 'kdc.keytab'))).toBe(false);
    } finally {
      await second.close();
    }
  });
});
