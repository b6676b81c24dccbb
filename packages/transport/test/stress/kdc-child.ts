/**
 * A krbsim KDC behind serveKdc, or behind a KDC proxy (serveKdcProxy), in a
 * process of its own, for the stress runs (run.ts).
 * `node --expose-gc --import tsx kdc-child.ts '<options JSON>'` serves
 * STRESS.TEST (alice, no pre-authentication: an AS-REQ gets an AS-REP) on
 * 127.0.0.1 and prints one JSON line once listening; with `{ "proxy": {...} }`
 * the options are serveKdcProxy's (less the certificate, made here) and the
 * line has the proxy's URL and its CA. Each line "stats" on stdin is answered
 * with one JSON line: the server's stats and the process's memory after a
 * garbage collection. Exits when stdin ends.
 */

import { createInterface } from 'node:readline';
import { systemClock, systemRandom } from '@krbsim/core';
import { Kdc, Realm } from '@krbsim/kdc';
import {
  createSelfSignedCa,
  issueServerCertificate,
  KdcProxy,
  kdcProxyRoute,
  type ServeKdcOptions,
  type ServeKdcProxyOptions,
  serveKdc,
  serveKdcProxy,
} from '@krbsim/transport';

type ProxyOptions = Omit<ServeKdcProxyOptions, 'cert' | 'key'>;
const options = JSON.parse(process.argv[2] ?? '{}') as ServeKdcOptions & { proxy?: ProxyOptions };
const realm = new Realm({ name: 'STRESS.TEST', clock: systemClock, random: systemRandom });
realm.addUser('alice', { password: 'stress-Passw0rd', requiresPreauth: false });
const kdc = new Kdc(realm);

async function serve(): Promise<{ first: object; stats: () => unknown; close: () => Promise<void> }> {
  if (options.proxy !== undefined) {
    const ca = await createSelfSignedCa({ commonName: 'krbsim stress CA' });
    const cert = await issueServerCertificate(ca, { ipAddresses: ['127.0.0.1'] });
    const proxy = new KdcProxy(kdcProxyRoute({ 'STRESS.TEST': (request) => kdc.handle(request) }));
    const server = await serveKdcProxy(proxy, { ...options.proxy, cert: cert.certPem, key: cert.keyPem });
    return {
      first: { proxyUrl: server.url, proxyPort: server.port, ca: ca.certPem },
      stats: () => server.stats(),
      close: () => server.close(),
    };
  }
  const server = await serveKdc((request) => kdc.handle(request), { ...options, realm: 'STRESS.TEST' });
  return {
    first: { udpPort: server.udpPort, tcpPort: server.tcpPort },
    stats: () => server.stats(),
    close: () => server.close(),
  };
}
const server = await serve();

const gc = (globalThis as { gc?: () => void }).gc;
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
print({ ...server.first, pid: process.pid, stats: server.stats() });
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'stats') return;
  gc?.();
  const m = process.memoryUsage();
  print({ stats: server.stats(), rss: m.rss, arrayBuffers: m.arrayBuffers, heapUsed: m.heapUsed });
});
process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
