/**
 * pkijs loads only when a certificate is issued: importing @krbsim/pki,
 * @krbsim/kdc, @krbsim/client and @krbsim/transport, and even parsing and
 * verifying certificates and CMS for PKINIT, never imports it.
 */

import { describe, expect, it, vi } from 'vitest';

const loaded: string[] = [];
vi.mock('pkijs', async (original) => {
  loaded.push('pkijs');
  return original();
});

describe('pkijs is loaded lazily', () => {
  it('is not loaded by importing the packages, and is by issuing a certificate', async () => {
    await import('@krbsim/kdc');
    await import('@krbsim/client');
    await import('@krbsim/transport');
    const pki = await import('@krbsim/pki');
    expect(loaded).toEqual([]);
    const ca = await pki.createSelfSignedCa({ commonName: 'lazy' });
    expect(loaded).toEqual(['pkijs']);
    // Reading a certificate is node:crypto's work.
    expect(pki.certificateFrom(ca.certPem).isCa).toBe(true);
  });
});
