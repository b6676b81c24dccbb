/**
 * The client (`connectTds`): its side of TLS (the server's certificate is
 * checked against the CAs and the name the caller gives, connection by
 * connection, although connections that trust the same CAs share one TLS
 * context), and what it answers once the server has closed.
 */
import { connectTds, isTdsError, loginFailed, serveTds, type TdsAuthenticate } from '@krbsim/tds';
import { createSelfSignedCa, issueServerCertificate, type PemCertificate } from '@krbsim/transport';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

let ca: PemCertificate;
let otherCa: PemCertificate;
let cert: PemCertificate;
beforeAll(async () => {
  ca = await createSelfSignedCa({ commonName: 'tds client test CA' });
  otherCa = await createSelfSignedCa({ commonName: 'another CA' });
  cert = await issueServerCertificate(ca, { dnsNames: ['mi1.test'], ipAddresses: ['127.0.0.1'] });
});

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const authenticate: TdsAuthenticate = ({ sspi }) =>
  sspi[0] === 0x60
    ? { kind: 'accepted', responseToken: undefined, session: { login: 'CONTOSO\\alice' } }
    : { kind: 'refused', error: loginFailed('CONTOSO\\bob') };

async function listen(): Promise<number> {
  const server = await serveTds({ serverName: 'mi1', cert: cert.certPem, key: cert.keyPem, authenticate });
  closers.push(() => server.close());
  return server.port;
}

type Tls = NonNullable<Parameters<typeof connectTds>[0]['tls']>;

/** Connects with `tls` and logs in; resolves with 'ok' or the TdsError's reason and message. */
async function attempt(port: number, tls: Tls): Promise<string> {
  try {
    const c = await connectTds({ port, encryption: 'on', tls });
    closers.push(() => c.close());
    const r = await c.login({ sspi: Uint8Array.of(0x60, 0x00) });
    return r.ok ? 'ok' : `refused ${r.error.number}`;
  } catch (e) {
    if (!isTdsError(e)) throw e;
    return `${e.reason}: ${e.message}`;
  }
}

describe('connectTds TLS', () => {
  it('checks the certificate against the CAs given, on every connection, whichever came before', async () => {
    const port = await listen();
    const right = { ca: ca.certPem, servername: 'mi1.test' };
    expect(await attempt(port, right)).toBe('ok');
    // Another CA after the right one: refused, not served from the first's context.
    expect(await attempt(port, { ca: otherCa.certPem, servername: 'mi1.test' })).toMatch(
      /^tls: TLS: .*(self[- ]signed|unable to verify|unable to get)/i,
    );
    // The right CA in a list with another, and alone again.
    expect(await attempt(port, { ca: [otherCa.certPem, ca.certPem], servername: 'mi1.test' })).toBe('ok');
    expect(await attempt(port, right)).toBe('ok');
  });

  it('checks the name on every connection that shares a context', async () => {
    const port = await listen();
    expect(await attempt(port, { ca: ca.certPem, servername: 'mi1.test' })).toBe('ok');
    expect(await attempt(port, { ca: ca.certPem, servername: 'mi2.test' })).toMatch(
      /^tls: TLS: .*(mi2\.test|altnames|does not match)/i,
    );
    expect(await attempt(port, { ca: otherCa.certPem, rejectUnauthorized: false })).toBe('ok');
    expect(await attempt(port, { ca: otherCa.certPem, servername: 'mi1.test' })).toMatch(/^tls: /);
  });

  it('trusts only the CAs given: with none, the server must chain to a root CA Node knows', async () => {
    const port = await listen();
    expect(await attempt(port, { servername: 'mi1.test' })).toMatch(/^tls: /);
  });
});

describe('connectTds after the server closes', () => {
  it('rejects every later request with a closed TdsError, whether or not one was waiting', async () => {
    const port = await listen();
    const c = await connectTds({ port, encryption: 'on', tls: { ca: ca.certPem, servername: 'mi1.test' } });
    closers.push(() => c.close());
    // A refused login: the server sends its ERROR and DONE, then closes.
    const r = await c.login({ sspi: Uint8Array.of(0x01) });
    expect(r.ok).toBe(false);
    await c.closed;
    for (let i = 0; i < 2; i++) {
      const e = await c.batch('SELECT 1').then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(isTdsError(e) && [e.reason, e.message]).toEqual([
        'closed',
        'connection: the server closed the connection',
      ]);
    }
  });
});
