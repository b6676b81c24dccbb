import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KerberosClient } from '@krbsim/client';
import { parseKeytab } from '@krbsim/files';
import { UdpTcpTransport } from '@krbsim/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli';
import { loadTopologyFile } from '../src/serve';
import { type RequestLogEntry, startTopology } from '../src/start-topology';
import type { PortsJson } from '../src/topology-files';

const EXAMPLES = new URL('../examples/', import.meta.url).pathname;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'krbsim-start-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('startTopology', () => {
  it('builds realms, services and trusts from the examples without sockets', async () => {
    for (const example of ['contoso-fabrikam.yaml', 'azure-trust.yaml']) {
      const topo = await startTopology(await loadTopologyFile(join(EXAMPLES, example)), { listen: false });
      expect(topo.servers.size).toBe(0);
      expect([...topo.kdcs.keys()]).toEqual([...topo.realms.keys()]);
      await topo.close();
    }
  });

  it('is reproducible with a seed', async () => {
    const file = await loadTopologyFile(join(EXAMPLES, 'azure-trust.yaml'));
    const spn = 'MSSQLSvc/mi1.abc123.database.windows.net:1433';
    const keys = async (seed: number) => {
      const t = await startTopology(file, { listen: false, seed });
      const k = t.realms.get('KERBEROS.MICROSOFTONLINE.COM')!.keysFor(spn);
      await t.close();
      return k.map((x) => Buffer.from(x.bytes).toString('hex'));
    };
    expect(await keys(7)).toEqual(await keys(7));
    expect(await keys(7)).not.toEqual(await keys(8));
  });

  it('serves each realm on one port for UDP and TCP; krbsim client gets tickets across the trust', async () => {
    const log: RequestLogEntry[] = [];
    const out = join(dir, 'served');
    const topo = await startTopology(await loadTopologyFile(join(EXAMPLES, 'azure-trust.yaml')), {
      dir: out,
      log: (e) => log.push(e),
    });
    try {
      for (const s of topo.servers.values()) expect(s.udpPort).toBe(s.tcpPort);
      const ports = JSON.parse(await readFile(join(out, 'ports.json'), 'utf8')) as PortsJson;
      const kdcs = Object.fromEntries(
        Object.entries(ports.realms).map(([realm, p]) => [realm, [{ host: p.host, port: p.udp }]]),
      );
      for (const preferTcp of [false, true]) {
        const client = new KerberosClient({
          realm: 'CONTOSO.COM',
          transport: new UdpTcpTransport({ kdcs, preferTcp }),
        });
        await client.getInitialCredentials('alice', { password: 'Al1ce-Passw0rd' });
        const svc = await client.getServiceTicket('MSSQLSvc/mi1.abc123.database.windows.net:1433');
        expect(svc.server.realm).toBe('KERBEROS.MICROSOFTONLINE.COM');
      }
      expect(new Set(log.map((e) => e.transport))).toEqual(new Set(['udp', 'tcp']));
      expect(log.some((e) => /referral to KERBEROS\.MICROSOFTONLINE\.COM/.test(e.line))).toBe(true);
      // The service keytab holds the SPN, its alias, and every etype.
      const kt = parseKeytab(
        new Uint8Array(
          await readFile(
            ports.keytabs['MSSQLSvc/mi1.abc123.database.windows.net:1433@KERBEROS.MICROSOFTONLINE.COM']!,
          ),
        ),
      );
      expect(new Set(kt.entries.map((e) => e.principal.name.nameString.join('/')))).toEqual(
        new Set([
          'MSSQLSvc/mi1.abc123.database.windows.net:1433',
          'MSSQLSvc/mi1.abc123.database.windows.net',
        ]),
      );
      expect(kt.entries.map((e) => e.key.etype).sort()).toEqual([17, 17, 18, 18, 19, 19, 20, 20]);
    } finally {
      await topo.close();
    }
  });

  it('fails cleanly when a fixed port is taken', async () => {
    const blocker = createSocket('udp4');
    const port = await new Promise<number>((resolve) =>
      blocker.bind(0, '127.0.0.1', () => resolve(blocker.address().port)),
    );
    try {
      const file = await loadTopologyFile(join(EXAMPLES, 'azure-trust.yaml'));
      const busy = { ...file, realms: [file.realms[0]!, { ...file.realms[1]!, port }] };
      await expect(startTopology(busy, { listen: true })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});

describe('krbsim serve in process', () => {
  it('serves until aborted, then closes its sockets and exits 0', async () => {
    const controller = new AbortController();
    let out = '';
    let onOut: () => void = () => {};
    const io = {
      stdout: (t: string) => {
        out += t;
        onOut();
      },
      stderr: (t: string) => {
        out += t;
      },
      signal: controller.signal,
    };
    const ready = new Promise<void>((resolve) => {
      onOut = () => {
        if (out.includes('"event":"ready"')) resolve();
      };
    });
    const target = join(dir, 'inproc');
    const done = runCli(
      ['serve', join(EXAMPLES, 'contoso-fabrikam.yaml'), '--dir', target, '--json-log'],
      io,
    );
    await ready;
    const ports = JSON.parse(await readFile(join(target, 'ports.json'), 'utf8')) as PortsJson;
    controller.abort();
    expect(await done).toBe(0);
    expect(out.trimEnd().split('\n').at(-1)).toBe('{"event":"stopped"}');
    // The port is free again: bind it.
    const port = ports.realms['CONTOSO.COM']!.udp;
    const probe = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.bind(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
});
