/** `await using` a KDC server or a KDC proxy closes it at the end of the scope. */

import { createServer } from 'node:net';
import { expect, it } from 'vitest';
import { createSelfSignedCa, issueServerCertificate, KdcProxy, serveKdc, serveKdcProxy } from '../src/index';

/** Resolves when a TCP listener can bind `port` on loopback: nothing holds it. */
function portIsFree(port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

it('serveKdc: await using closes the listeners', async () => {
  let port: number;
  {
    await using server = await serveKdc(() => new Uint8Array(0), { host: '127.0.0.1', realm: 'A.TEST' });
    port = server.tcpPort!;
    expect(port).toBeGreaterThan(0);
  }
  await portIsFree(port);
});

it('serveKdcProxy: await using closes the HTTPS listener', async () => {
  const ca = await createSelfSignedCa({ commonName: 'dispose test CA' });
  const cert = await issueServerCertificate(ca, { ipAddresses: ['127.0.0.1'] });
  let port: number;
  {
    await using proxy = await serveKdcProxy(new KdcProxy(() => undefined), {
      cert: cert.certPem,
      key: cert.keyPem,
      host: '127.0.0.1',
    });
    port = proxy.port;
  }
  await portIsFree(port);
});
