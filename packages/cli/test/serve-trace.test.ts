/**
 * `krbsim serve --html FILE --pcap FILE`: at exit, every exchange the KDCs
 * and the password-change services served, as one HTML page and as a pcap; refused where no one process sees
 * every exchange, and checked before anything listens.
 */

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KerberosClient } from '@krbsim/client';
import { UdpTcpTransport } from '@krbsim/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveExit, serveUntilReady } from './run-serve';

let dir: string;
let topology: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'krbsim-serve-trace-'));
  topology = join(dir, 'single.yaml');
  await writeFile(
    topology,
    'realms:\n  - name: A.TEST\n    users: [{ name: alice, password: Al1ce-Passw0rd }]\n' +
      '    services: [{ spn: host/web.a.test }]\n',
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('krbsim serve --html and --pcap', () => {
  it('write every exchange served, at exit: the page decodes them, the capture holds them', async () => {
    const html = join(dir, 'served.html');
    const pcap = join(dir, 'served.pcap');
    const s = await serveUntilReady([topology, '--dir', join(dir, 'files'), '--html', html, '--pcap', pcap]);
    const r = s.ports.realms['A.TEST']!;
    const client = new KerberosClient({
      realm: 'A.TEST',
      transport: new UdpTcpTransport({ kdcs: { 'A.TEST': [{ host: r.host, port: r.udp }] } }),
    });
    await client.getInitialCredentials('alice', { password: 'Al1ce-Passw0rd' });
    await client.getServiceTicket('host/web.a.test');
    await expect(client.getServiceTicket('host/nowhere.a.test')).rejects.toThrow();
    // A password change: the AS exchange for kadmin/changepw (two), then the kpasswd exchange.
    await client.changePassword('alice', 'Al1ce-Passw0rd', 'Al1ce-N3w-Passw0rd', {
      transport: new UdpTcpTransport({ kdcs: { 'A.TEST': [{ host: r.host, port: r.kpasswd! }] } }),
    });
    const { code, out } = await s.stop();
    expect(code).toBe(0);
    // PREAUTH_REQUIRED, the AS-REP, the TGS-REP, the refusal, and the password change's three.
    expect(out).toContain(`"event":"wrote","path":${JSON.stringify(html)},"exchanges":7`);
    expect(out).toContain(`"event":"wrote","path":${JSON.stringify(pcap)},"exchanges":7`);

    const page = await readFile(html, 'utf8');
    expect(page).toContain('<svg');
    expect(page).toContain('client 127.0.0.1');
    expect(page).toContain('KDC A.TEST');
    expect(page).toContain('KDC_ERR_PREAUTH_REQUIRED');
    expect(page).toContain('KDC_ERR_S_PRINCIPAL_UNKNOWN');
    // Each message decoded, as krbsim decode shows it.
    expect(page).toMatch(/&#34;type&#34;: &#34;TGS-REQ&#34;/);
    expect(page).toContain('host/nowhere.a.test');
    expect(page).toContain('KPASSWD-REQ');
    expect(page).toContain('&#34;type&#34;: &#34;kpasswd&#34;'); // decoded as krbsim decode shows it
    // Opened with the realm's keys at exit, as decode --keytab does: the tickets and the authenticators,
    // keys redacted; what alice's old password sealed no longer opens (the page says so), and the new
    // password's KRB-PRIV stays sealed.
    expect(page).toContain('&#34;decrypted&#34;');
    expect(page).toContain('&#34;type&#34;: &#34;EncTicketPart&#34;');
    expect(page).toContain('&#34;type&#34;: &#34;Authenticator&#34;');
    expect(page).toContain('&#60;redacted 32 bytes&#62;');
    expect(page).toContain('no key in the keytab opens PA-ENC-TIMESTAMP (alice@A.TEST, etype 20;');
    for (const secret of ['Al1ce-N3w-Passw0rd', Buffer.from('Al1ce-N3w-Passw0rd').toString('hex')]) {
      expect(page).not.toContain(secret);
    }

    const capture = await readFile(pcap);
    expect(capture.readUInt32LE(0)).toBe(0xa1b2c3d4); // the classic pcap magic
    expect(capture.length).toBeGreaterThan(24 + 8 * 16);
    // The kpasswd exchange went to port 464 (Ethernet 14 + IPv4 20 bytes, then the UDP header's destination port).
    const ports: number[] = [];
    for (let at = 24; at + 16 <= capture.length; ) {
      const length = capture.readUInt32LE(at + 8);
      if (capture[at + 16 + 23] === 17) ports.push(capture.readUInt16BE(at + 16 + 14 + 20 + 2));
      at += 16 + length;
    }
    expect(ports).toContain(464);
  });

  it('an output path in a missing directory is a usage error before anything listens', async () => {
    const s = await serveExit([topology, '--html', join(dir, 'missing', 'x.html')]);
    expect(s.code).toBe(2);
    expect(s.out).toMatch(/--html .*missing.*x\.html: the directory .* does not exist/);
    expect(s.out).not.toContain('"event":"listening"');
  });

  it('is refused with --workers, whose processes each see a share of the requests', async () => {
    const s = await serveExit([topology, '--workers', '2', '--pcap', join(dir, 'w.pcap')]);
    expect(s.code).toBe(2);
    expect(s.out).toContain('--pcap: not with --workers');
  });

  it('is refused for an Azure lab file, whose KDCs serve real clients without a trace', async () => {
    const s = await serveExit(['azure-sql-mi', '--html', join(dir, 'lab.html')]);
    expect(s.code).toBe(2);
    expect(s.out).toContain('--html: not for an Azure lab');
    expect(s.out).toContain('its KDCs keep no trace of what they serve');
  });
});
