/**
 * RFC 5929 section 4.1's tls-server-end-point: the certificate's DER hashed with its signature's
 * hash (SHA-256 for MD5 and SHA-1), after the `tls-server-end-point:` label, checked against the
 * hash OpenSSL computes and against certificates signed each way.
 */

import { createHash, X509Certificate } from 'node:crypto';
import { isKerberosError } from '@krbsim/core';
import { createSelfSignedCa, issueServerCertificate, tlsServerEndPoint } from '@krbsim/pki';
import { describe, expect, it } from 'vitest';

const text = (b: Uint8Array) => Buffer.from(b.subarray(0, 21)).toString('latin1');
const der = (pem: string) => new Uint8Array(new X509Certificate(pem).raw);

/** `certDer` with the last `from` (hex, byte-aligned: the outer signatureAlgorithm's OID) made `to`. */
function withSignatureOid(certDer: Uint8Array, from: string, to: Uint8Array): Uint8Array {
  const b = Buffer.from(certDer);
  const at = b.lastIndexOf(Buffer.from(from, 'hex'));
  if (at < 0) throw new Error(`no ${from} in the certificate`);
  return new Uint8Array(Buffer.concat([b.subarray(0, at), to, b.subarray(at + from.length / 2)]));
}

describe('tlsServerEndPoint (RFC 5929 section 4.1)', () => {
  it('hashes an RSA certificate signed with SHA-256 with SHA-256, its DER as OpenSSL has it, PEM or DER', async () => {
    const ca = await createSelfSignedCa({ commonName: 'cb CA' });
    const cert = await issueServerCertificate(ca, { dnsNames: ['mi1.test'] });
    const want = createHash('sha256').update(der(cert.certPem)).digest();
    const got = tlsServerEndPoint(cert.certPem);
    expect(text(got)).toBe('tls-server-end-point:');
    expect(Buffer.from(got.subarray(21))).toEqual(want);
    expect(tlsServerEndPoint(der(cert.certPem))).toEqual(got);
  });

  it('hashes an ECDSA P-256 CA certificate with SHA-256, and one whose signature says SHA-384 with SHA-384', async () => {
    const ca = await createSelfSignedCa({ commonName: 'ec CA', keyType: 'ecdsa-p256' });
    const d = der(ca.certPem);
    expect(Buffer.from(tlsServerEndPoint(d).subarray(21))).toEqual(createHash('sha256').update(d).digest());
    // ecdsa-with-SHA256 (06 08 2a 86 48 ce 3d 04 03 02) made ecdsa-with-SHA384 (... 03 03): the hash follows.
    const sha384 = withSignatureOid(
      d,
      '06082a8648ce3d040302',
      Uint8Array.of(6, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 4, 3, 3),
    );
    expect(Buffer.from(tlsServerEndPoint(sha384).subarray(21))).toEqual(
      createHash('sha384').update(sha384).digest(),
    );
  });

  it('hashes a certificate signed with SHA-1 with SHA-256', async () => {
    const ca = await createSelfSignedCa({ commonName: 'cb CA', keyType: 'rsa-2048' });
    // sha256WithRSAEncryption (1.2.840.113549.1.1.11) made sha1WithRSAEncryption (.1.1.5), same length.
    const sha1 = withSignatureOid(
      der(ca.certPem),
      '06092a864886f70d01010b',
      Uint8Array.of(6, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 5),
    );
    expect(Buffer.from(tlsServerEndPoint(sha1).subarray(21))).toEqual(
      createHash('sha256').update(sha1).digest(),
    );
  });

  it('refuses a certificate signed with an algorithm it gives no hash for, and what is no certificate', async () => {
    const ca = await createSelfSignedCa({ commonName: 'ec CA', keyType: 'ecdsa-p256' });
    // Ed25519's OID (06 03 2b 65 70) in place of ecdsa-with-SHA256: no hash of its own.
    const ed = withSignatureOid(
      der(ca.certPem),
      '300a06082a8648ce3d040302',
      Uint8Array.of(0x30, 5, 6, 3, 0x2b, 0x65, 0x70),
    );
    for (const bad of [ed, Uint8Array.of(0x30, 0), 'not a certificate']) {
      let err: unknown;
      try {
        tlsServerEndPoint(bad);
      } catch (e) {
        err = e;
      }
      expect(isKerberosError(err)).toBe(true);
    }
  });
});
