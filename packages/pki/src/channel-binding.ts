/**
 * TLS channel bindings for a server certificate: RFC 5929 section 4's
 * `tls-server-end-point`, what Windows and MIT put in a Kerberos
 * authenticator's channel bindings (RFC 4121 section 4.1.1.2) over TLS, and
 * what SQL Server's Extended Protection checks them against.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { PkinitOid } from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';
import { children, expectTag, oidOf, readOne, Tag } from './der';
import { certificateFrom } from './x509';

/**
 * The hash of each signature algorithm (RFC 5929 section 4.1: the certificate's own signature
 * hash, except that MD5 and SHA-1 become SHA-256).
 */
const END_POINT_HASH: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'sha256', // md5WithRSAEncryption
  [PkinitOid.sha1WithRSAEncryption]: 'sha256',
  [PkinitOid.sha256WithRSAEncryption]: 'sha256',
  [PkinitOid.sha384WithRSAEncryption]: 'sha384',
  [PkinitOid.sha512WithRSAEncryption]: 'sha512',
  '1.2.840.10045.4.1': 'sha256', // ecdsa-with-SHA1
  [PkinitOid.ecdsa_with_SHA256]: 'sha256',
  [PkinitOid.ecdsa_with_SHA384]: 'sha384',
  [PkinitOid.ecdsa_with_SHA512]: 'sha512',
};

const PREFIX = new TextEncoder().encode('tls-server-end-point:');

/**
 * The channel bindings' application data for a TLS server whose certificate is `certificate`
 * (PEM or DER): `tls-server-end-point:` and the certificate's hash (RFC 5929 section 4.1).
 *
 * @throws KerberosError KRB_ERR_GENERIC for what is no certificate, or one signed with an
 *   algorithm RFC 5929 gives no hash for here (RSASSA-PSS, EdDSA).
 */
export function tlsServerEndPoint(certificate: string | Uint8Array): Uint8Array {
  const { der } = certificateFrom(certificate);
  const fields = children(readOne(der, Tag.SEQUENCE, 'Certificate'));
  const algorithm = oidOf(
    children(expectTag(fields[1], Tag.SEQUENCE, 'signatureAlgorithm'))[0],
    'signatureAlgorithm',
  );
  const hash = END_POINT_HASH[algorithm];
  if (hash === undefined) {
    throw new KerberosError(
      ErrorCode.KRB_ERR_GENERIC,
      `tls-server-end-point: the certificate is signed with ${algorithm}, for which RFC 5929 section 4.1 gives no hash here (RSA and ECDSA with MD5, SHA-1 or SHA-2 are served)`,
    );
  }
  const digest = createHash(hash).update(der).digest();
  const out = new Uint8Array(PREFIX.length + digest.length);
  out.set(PREFIX);
  out.set(digest, PREFIX.length);
  return out;
}
