/**
 * pkijs and asn1js are optional peer dependencies of @krbsim/pki: without
 * them everything but issuing certificates works, and issuing one says what
 * to install, and works once it can load them.
 */

import { describe, expect, it, vi } from 'vitest';

let installed = false;
vi.mock('pkijs', async (original) => {
  if (!installed) throw new Error("Cannot find package 'pkijs'");
  return original();
});

describe('without pkijs installed', () => {
  it('issuing a certificate names what to install; after the install it works', async () => {
    const pki = await import('@krbsim/pki');
    const failed = await pki.createSelfSignedCa({ commonName: 'no pkijs' }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(failed?.message).toMatch(
      /needs pkijs and asn1js, optional peer dependencies of @krbsim\/pki: npm i pkijs asn1js/,
    );
    expect(failed?.cause).toBeInstanceOf(Error); // the import's own failure, kept
    installed = true;
    const ca = await pki.createSelfSignedCa({ commonName: 'pkijs now' });
    expect(pki.certificateFrom(ca.certPem).isCa).toBe(true);
  });
});
