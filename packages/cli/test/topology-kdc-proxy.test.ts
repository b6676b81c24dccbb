/**
 * A topology realm with `kdcProxy: true`: validation, the HTTPS KDC proxy
 * (MS-KKDCP) startTopology serves for it beside its UDP/TCP KDC, the files
 * that name the proxy (krb5.conf's kdc, kpasswd_server and http_anchors,
 * ca.pem, ports.json), krbsim's client getting tickets and changing a
 * password through the proxy over real HTTPS (Node's https, trusting only
 * ca.pem), the request log recording the proxied requests, `krbsim serve`'s
 * lines naming the proxy, the refusal with `--replica-of`, and a worker that
 * leaves the proxy to its primary (test/interop/cli-workers.test.ts serves one).
 */

import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Trace } from '@krbsim/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../test/interop/helpers/processes';
import { runCli } from '../src/cli';
import { type RequestLogEntry, type RunningTopology, startTopology } from '../src/start-topology';
import { parseTopology, TopologyError } from '../src/topology';
import type { PortsJson } from '../src/topology-files';
import { proxiedClient } from './https-post';
import { serveUntilReady } from './run-serve';

const YAML = `
realms:
  - name: PROXIED.TEST
    kdcProxy: true
    users:
      - { name: alice, password: Al1ce-Passw0rd }
    services:
      - { spn: HTTP/web.proxied.test, password: W3b-Passw0rd }
  - name: PLAIN.TEST
    users:
      - { name: carol, password: C4rol-Passw0rd }
`;

describe('topology kdcProxy', () => {
  it('validates: true or false (false is the default, left out), anything else names the field', () => {
    const t = parseTopology(YAML);
    expect(t.realms[0]!.kdcProxy).toBe(true);
    expect(t.realms[1]!.kdcProxy).toBeUndefined();
    expect(parseTopology('realms: [{ name: A.TEST, kdcProxy: false }]').realms[0]).not.toHaveProperty(
      'kdcProxy',
    );
    for (const bad of ['yes please', '1', '{ path: /kerberos }']) {
      let err: unknown;
      try {
        parseTopology(`realms: [{ name: A.TEST }, { name: B.TEST, kdcProxy: ${bad} }]`);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TopologyError);
      expect((err as TopologyError).path).toBe('realms[1].kdcProxy');
      expect((err as TopologyError).message).toMatch(/^realms\[1\]\.kdcProxy: expected true or false, got /);
    }
  });

  it('serve --replica-of refuses a kdcProxy realm as a usage error (exit 2), naming the field', async () => {
    const dir = await makeTempDir('topology-kdc-proxy-usage');
    try {
      const file = join(dir.path, 'proxied.yaml');
      await writeFile(file, YAML);
      let err = '';
      const code = await runCli(['serve', file, '--replica-of', join(dir.path, 'ports.json')], {
        stdout: () => {},
        stderr: (t) => {
          err += t;
        },
      });
      expect(code).toBe(2);
      expect(err).toBe(
        `krbsim serve: ${file}: realms[0].kdcProxy: a replica serves no KDC proxy (not with --replica-of): its copy of the realm is its own\n`,
      );
    } finally {
      await dir.remove();
    }
  });

  it('startTopology refuses kdcProxy with replicaOf before anything listens; a worker (shared sockets) leaves the proxy to its primary', async () => {
    const topology = parseTopology(YAML);
    await expect(startTopology(topology, { replicaOf: '/nonexistent/ports.json' })).rejects.toThrow(
      /^realms\[0\]\.kdcProxy: a replica serves no KDC proxy/,
    );
    const worker = await startTopology(topology, { shareSockets: true });
    try {
      expect(worker.kdcProxyCa).toBeUndefined();
      expect([...worker.servers.values()].every((s) => s.kdcProxyUrl === undefined)).toBe(true);
    } finally {
      await worker.close();
    }
  });

  describe('served', () => {
    let dir: TempDir;
    let topo: RunningTopology;
    const log: RequestLogEntry[] = [];
    beforeAll(async () => {
      dir = await makeTempDir('topology-kdc-proxy');
      topo = await startTopology(parseTopology(YAML), { dir: dir.path, log: (e) => log.push(e) });
    });
    afterAll(async () => {
      await topo?.close();
      await dir?.remove();
    });

    it('names the proxy in krb5.conf (kdc, kpasswd_server, http_anchors) for the kdcProxy realm only', async () => {
      const proxied = topo.servers.get('PROXIED.TEST')!;
      const plain = topo.servers.get('PLAIN.TEST')!;
      const url = proxied.kdcProxyUrl!;
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/KdcProxy$/);
      expect(plain.kdcProxyUrl).toBeUndefined();
      // The realm's UDP/TCP KDC and kpasswd still listen: only krb5.conf sends clients to the proxy.
      expect(proxied.udpPort).toBeGreaterThan(0);
      expect(proxied.kpasswdPort).toBeGreaterThan(0);
      const ca = join(dir.path, 'ca.pem');
      const conf = await readFile(topo.files!.krb5conf, 'utf8');
      expect(conf).toContain(
        [
          '    PROXIED.TEST = {',
          `        kdc = ${url}`,
          `        kpasswd_server = ${url}`,
          `        http_anchors = FILE:${ca}`,
          '    }',
          '    PLAIN.TEST = {',
          `        kdc = 127.0.0.1:${plain.udpPort}`,
          `        kpasswd_server = 127.0.0.1:${plain.kpasswdPort}`,
          '    }',
        ].join('\n'),
      );
      expect(conf).not.toContain(`127.0.0.1:${proxied.udpPort}\n`);
    });

    it('writes krb5-direct.conf naming every realm at its own port, for clients without MS-KKDCP', async () => {
      const proxied = topo.servers.get('PROXIED.TEST')!;
      const plain = topo.servers.get('PLAIN.TEST')!;
      const direct = join(dir.path, 'krb5-direct.conf');
      expect(topo.files!.krb5confDirect).toBe(direct);
      const conf = await readFile(direct, 'utf8');
      expect(conf).toContain(
        [
          '    PROXIED.TEST = {',
          `        kdc = 127.0.0.1:${proxied.udpPort}`,
          `        kpasswd_server = 127.0.0.1:${proxied.kpasswdPort}`,
          '    }',
          '    PLAIN.TEST = {',
          `        kdc = 127.0.0.1:${plain.udpPort}`,
          `        kpasswd_server = 127.0.0.1:${plain.kpasswdPort}`,
          '    }',
        ].join('\n'),
      );
      expect(conf).not.toMatch(/https:|http_anchors/);
      const ports = JSON.parse(await readFile(topo.files!.portsJson, 'utf8')) as PortsJson;
      expect(ports.krb5confDirect).toBe(direct);
    });

    it('writes ca.pem (0644), the CA that signed the proxy certificate, and names it and the proxy in ports.json', async () => {
      const ca = join(dir.path, 'ca.pem');
      expect(topo.files!.ca).toBe(ca);
      expect(await readFile(ca, 'utf8')).toBe(topo.kdcProxyCa);
      expect(topo.kdcProxyCa).toMatch(/^-----BEGIN CERTIFICATE-----/);
      expect((await stat(ca)).mode & 0o777).toBe(0o644);
      const ports = JSON.parse(await readFile(topo.files!.portsJson, 'utf8')) as PortsJson;
      const url = topo.servers.get('PROXIED.TEST')!.kdcProxyUrl!;
      expect(ports.ca).toBe(ca);
      expect(ports.realms['PROXIED.TEST']).toMatchObject({ kdcProxy: url, kdcs: [url] });
      expect(ports.realms['PLAIN.TEST']).not.toHaveProperty('kdcProxy');
    });

    it("krbsim's client gets a TGT and a service ticket through the proxy over HTTPS, logged as kkdcp", async () => {
      const url = topo.servers.get('PROXIED.TEST')!.kdcProxyUrl!;
      const ca = await readFile(topo.files!.ca!, 'utf8');
      log.length = 0;
      const client = proxiedClient('PROXIED.TEST', url, ca);
      await client.getInitialCredentials('alice', { password: 'Al1ce-Passw0rd' });
      const svc = await client.getServiceTicket('HTTP/web.proxied.test');
      expect(svc.server.realm).toBe('PROXIED.TEST');
      // The listener's own handler answered: the request log has every proxied request.
      expect(log.map((e) => `${e.realm} ${e.transport} ${e.msgType} -> ${e.outcome}`)).toEqual([
        'PROXIED.TEST kkdcp AS-REQ -> KRB-ERROR',
        'PROXIED.TEST kkdcp AS-REQ -> AS-REP',
        'PROXIED.TEST kkdcp TGS-REQ -> TGS-REP',
      ]);
      // localhost is in the certificate too.
      const local = proxiedClient('PROXIED.TEST', url.replace('127.0.0.1', 'localhost'), ca);
      await local.getInitialCredentials('alice', { password: 'Al1ce-Passw0rd' });
    });

    it('is TLS with its own CA only, and serves only the kdcProxy realms', async () => {
      const url = topo.servers.get('PROXIED.TEST')!.kdcProxyUrl!;
      // Node's default roots do not know the run's CA.
      await expect(
        proxiedClient('PROXIED.TEST', url, undefined).getInitialCredentials('alice', {
          password: 'Al1ce-Passw0rd',
        }),
      ).rejects.toThrow(/self.signed|unable to (get|verify)/i);
      // PLAIN.TEST is reached over UDP/TCP only: the proxy discards requests for it (400).
      await expect(
        proxiedClient('PLAIN.TEST', url, topo.kdcProxyCa).getInitialCredentials('carol', {
          password: 'C4rol-Passw0rd',
        }),
      ).rejects.toThrow(/HTTP 400: discarded: the KDC proxy does not serve realm PLAIN\.TEST/);
    });

    it("changes a password through the proxy's kpasswd route, then logs on with it", async () => {
      const url = topo.servers.get('PROXIED.TEST')!.kdcProxyUrl!;
      const client = proxiedClient('PROXIED.TEST', url, topo.kdcProxyCa);
      await client.changePassword('alice', 'Al1ce-Passw0rd', 'Al1ce-N3w-Passw0rd');
      await client.getInitialCredentials('alice', { password: 'Al1ce-N3w-Passw0rd' });
      await expect(
        proxiedClient('PROXIED.TEST', url, topo.kdcProxyCa).getInitialCredentials('alice', {
          password: 'Al1ce-Passw0rd',
        }),
      ).rejects.toThrow(/PREAUTH_FAILED|pre-?auth/i);
    });
  });

  it('serves on 0.0.0.0 with a certificate and URL for 127.0.0.1', async () => {
    const topo = await startTopology(parseTopology(YAML), { host: '0.0.0.0' });
    try {
      const url = topo.servers.get('PROXIED.TEST')!.kdcProxyUrl!;
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/KdcProxy$/);
      await proxiedClient('PROXIED.TEST', url, topo.kdcProxyCa).getInitialCredentials('alice', {
        password: 'Al1ce-Passw0rd',
      });
    } finally {
      await topo.close();
    }
  });

  it('records the proxied exchanges in the trace (--html, --pcap), from the client via the proxy', async () => {
    const trace = new Trace({ maxEntries: 100 });
    const topo = await startTopology(parseTopology(YAML), { trace });
    try {
      const url = topo.servers.get('PROXIED.TEST')!.kdcProxyUrl!;
      await proxiedClient('PROXIED.TEST', url, topo.kdcProxyCa).getInitialCredentials('alice', {
        password: 'Al1ce-Passw0rd',
      });
      expect(trace.entries.map((e) => `${e.from} -> ${e.to} ${e.transport}`)).toEqual([
        'client (via KDC proxy) -> KDC PROXIED.TEST kkdcp',
        'client (via KDC proxy) -> KDC PROXIED.TEST kkdcp',
      ]);
      expect(trace.toPcap().length).toBeGreaterThan(0);
    } finally {
      await topo.close();
    }
  });

  it("krbsim serve's listening and ready lines name the proxy and its CA; stopping closes the proxy", async () => {
    const dir = await makeTempDir('topology-kdc-proxy-serve');
    try {
      const file = join(dir.path, 'proxied.yaml');
      await writeFile(file, YAML);
      const served = await serveUntilReady([file, '--dir', join(dir.path, 'out')]);
      const url = served.ports.realms['PROXIED.TEST']!.kdcProxy!;
      const ca = await readFile(served.ports.ca!, 'utf8');
      await proxiedClient('PROXIED.TEST', url, ca).getInitialCredentials('alice', {
        password: 'Al1ce-Passw0rd',
      });
      const { code, out } = await served.stop();
      expect(code).toBe(0);
      const events = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(events.find((e) => e.event === 'listening' && e.realm === 'PROXIED.TEST')).toMatchObject({
        kdcProxy: url,
        kdcs: [url],
      });
      expect(events.find((e) => e.event === 'listening' && e.realm === 'PLAIN.TEST')).not.toHaveProperty(
        'kdcProxy',
      );
      expect(events.find((e) => e.event === 'ready')).toMatchObject({ ca: served.ports.ca });
      await expect(
        proxiedClient('PROXIED.TEST', url, ca).getInitialCredentials('alice', { password: 'Al1ce-Passw0rd' }),
      ).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await dir.remove();
    }
  });

  it("krbsim serve's text listening line names the proxy URL", async () => {
    const dir = await makeTempDir('topology-kdc-proxy-text');
    try {
      const file = join(dir.path, 'proxied.yaml');
      await writeFile(file, YAML);
      const controller = new AbortController();
      let out = '';
      let onOut = () => {};
      const ready = new Promise<void>((resolve) => {
        onOut = () => {
          if (out.includes('ready; Ctrl-C')) resolve();
        };
      });
      const done = runCli(['serve', file, '--dir', join(dir.path, 'out'), '--quiet'], {
        stdout: (t) => {
          out += t;
          onOut();
        },
        stderr: (t) => {
          out += t;
        },
        signal: controller.signal,
      });
      await Promise.race([ready, done]);
      controller.abort();
      expect(await done).toBe(0);
      expect(out).toMatch(
        /PROXIED\.TEST: KDC on 127\.0\.0\.1:\d+ \(udp\+tcp\), kpasswd on 127\.0\.0\.1:\d+, KDC proxy https:\/\/127\.0\.0\.1:\d+\/KdcProxy \(krb5\.conf names it\)\n/,
      );
      expect(out).toMatch(/PLAIN\.TEST: KDC on 127\.0\.0\.1:\d+ \(udp\+tcp\), kpasswd on 127\.0\.0\.1:\d+\n/);
      expect(out).toContain(`KDC proxy CA in ${join(dir.path, 'out', 'ca.pem')} (krb5.conf's http_anchors)`);
      expect(out).toContain(
        `without MS-KKDCP (Java, Heimdal, gokrb5): ${join(dir.path, 'out', 'krb5-direct.conf')}, every realm at its own port`,
      );
    } finally {
      await dir.remove();
    }
  });
});
