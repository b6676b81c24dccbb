/**
 * Without a `log`, the client builds no log lines and formats no principal
 * names for them (issue 14): counted with a spy on `formatPrincipal`. What
 * is still formatted: the transport's trace labels (the sender and the
 * service asked for, two per round trip), the credential cache's key for
 * each ticket stored (client and server), and in the KDC the TGT's client
 * that acceptance returns (a TGS-REQ). A log adds its own lines.
 */

import { ManualClock, SeededRandom } from '@krbsim/core';
import { Kdc, Realm } from '@krbsim/kdc';
import { InProcessTransport } from '@krbsim/transport';
import { describe, expect, it, vi } from 'vitest';

const calls = vi.hoisted(() => ({ n: 0 }));
vi.mock('@krbsim/asn1', async (importOriginal) => {
  const asn1 = await importOriginal<typeof import('@krbsim/asn1')>();
  return {
    ...asn1,
    formatPrincipal: (...args: Parameters<typeof asn1.formatPrincipal>) => {
      calls.n++;
      return asn1.formatPrincipal(...args);
    },
  };
});

const { KerberosClient } = await import('@krbsim/client');
const REALM = 'EXAMPLE.COM';

async function run(log: ((line: string) => void) | undefined) {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 8));
  const realm = new Realm({ name: REALM, clock, random: new SeededRandom('realm') });
  realm.addUser('alice', { password: 'correct horse' });
  realm.addService('HTTP/web.example.com', { password: 'web' });
  const kdc = new Kdc(realm); // no log, no onRequest: it formats nothing either
  const transport = new InProcessTransport().register(REALM, (req) => kdc.handle(req));
  const client = new KerberosClient({
    realm: REALM,
    transport,
    clock,
    random: new SeededRandom('client'),
    ...(log === undefined ? {} : { log }),
  });
  calls.n = 0;
  await client.getInitialCredentials('alice', { password: 'correct horse' }); // PREAUTH_REQUIRED, then the TGT
  const as = calls.n;
  calls.n = 0;
  await client.getServiceTicket('HTTP/web.example.com');
  return { as, tgs: calls.n };
}

describe('a client without a log', () => {
  it("formats only the trace labels, the cache keys and the accepted TGT's client", async () => {
    const quiet = await run(undefined);
    expect(quiet).toEqual({ as: 2 * 2 + 2, tgs: 2 + 2 + 1 });
  });

  it('with a log, the lines name the principals', async () => {
    const lines: string[] = [];
    const loud = await run((l) => lines.push(l));
    expect(loud.as).toBeGreaterThan(6);
    expect(loud.tgs).toBeGreaterThan(5);
    expect(lines.some((l) => l.startsWith('AS-REQ alice for krbtgt/EXAMPLE.COM@EXAMPLE.COM'))).toBe(true);
    expect(lines.some((l) => l.startsWith('KRB-ERROR 25 from EXAMPLE.COM'))).toBe(true);
    expect(
      lines.some((l) => l.startsWith('TGS-REP from EXAMPLE.COM: HTTP/web.example.com@EXAMPLE.COM')),
    ).toBe(true);
  });
});
