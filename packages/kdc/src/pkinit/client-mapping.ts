/**
 * Which principal a client certificate may authenticate as (RFC 4556
 * section 3.2.2, step "the KDC MUST ... verify that the client's
 * certificate maps to the client principal"), and whether its key purpose
 * allows PKINIT (section 3.2.4).
 *
 * In order: the realm's mapping table (a row matching the certificate), the
 * id-pkinit-san otherNames, and, when the realm allows it, a Microsoft UPN
 * equal to the account's UPN. A certificate that names someone else is
 * KDC_ERR_CLIENT_NAME_MISMATCH.
 *
 * @module
 */

import { formatPrincipal, type PrincipalName } from '@krbsim/asn1';
import { ErrorCode } from '@krbsim/core';
import { allowsKeyUsage, type Certificate, KeyUsageBit } from '@krbsim/pki';
import { KdcError } from '../krb-error';
import type { PrincipalEntry } from '../principal-db';
import type { PkinitCertificateMapping, PkinitConfig } from './config';

const sameName = (a: PrincipalName, b: readonly string[]) =>
  a.nameString.length === b.length && a.nameString.every((c, i) => c === b[i]);

const hexOnly = (s: string) => s.replace(/:/g, '').toLowerCase();

function rowMatches(row: PkinitCertificateMapping, cert: Certificate): boolean {
  if (row.subject === undefined && row.fingerprint256 === undefined) return false;
  if (row.subject !== undefined && row.subject !== cert.subjectText) return false;
  if (row.fingerprint256 !== undefined && hexOnly(row.fingerprint256) !== hexOnly(cert.fingerprint256)) {
    return false;
  }
  return true;
}

/**
 * Throws KDC_ERR_INCONSISTENT_KEY_PURPOSE unless `cert` carries an EKU the
 * realm accepts and a keyUsage with digitalSignature: it signs the AuthPack.
 * MIT's crypto_check_cert_eku asks both, and refuses a certificate without
 * keyUsage; so does this, unless EKU checking is off.
 */
export function checkClientEku(config: PkinitConfig, cert: Certificate): void {
  const accepted = config.acceptedEkus;
  if (accepted === undefined) return;
  if (!cert.extKeyUsage?.some((e) => accepted.includes(e))) {
    throw new KdcError(
      ErrorCode.KDC_ERR_INCONSISTENT_KEY_PURPOSE,
      `the client certificate ${cert.subjectText} is not for PKINIT (extendedKeyUsage ${cert.extKeyUsage?.join(', ') ?? 'absent'})`,
    );
  }
  if (cert.keyUsage === undefined || !allowsKeyUsage(cert, KeyUsageBit.digitalSignature)) {
    throw new KdcError(
      ErrorCode.KDC_ERR_INCONSISTENT_KEY_PURPOSE,
      `the client certificate ${cert.subjectText} may not sign (keyUsage ${cert.keyUsage === undefined ? 'absent' : 'without digitalSignature'})`,
    );
  }
}

/** Throws KDC_ERR_CLIENT_NAME_MISMATCH unless `cert` maps to `client` of `realm`. */
export function checkClientMapping(
  config: PkinitConfig,
  cert: Certificate,
  client: PrincipalEntry,
  realm: string,
): void {
  const name = client.name;
  const rows = config.mapping.filter((r) => rowMatches(r, cert));
  if (rows.some((r) => sameName(name, r.principal.split('/')))) return;
  if (cert.pkinitSans.some((s) => s.realm === realm && sameName(s.principalName, name.nameString))) return;
  if (config.allowUpn && cert.upnSans.some((u) => upnNames(u, client, realm, config.activeDirectory))) {
    return;
  }
  // MS-PKCA 3.1.5.2.1: a computer's certificate names it by dNSName, the account's dNSHostName
  // (its host/<dnsHostName> SPN here).
  if (config.activeDirectory && isComputer(client) && cert.dnsSans.some((d) => hasHostSpn(client, d))) return;
  const named = [
    ...rows.map((r) => `${r.principal}@${realm} (mapping table)`),
    ...cert.pkinitSans.map((s) => formatPrincipal(s.principalName, s.realm)),
    ...(config.allowUpn ? cert.upnSans.map((u) => `${u} (UPN)`) : []),
    ...(config.activeDirectory ? cert.dnsSans.map((d) => `${d} (dNSName)`) : []),
  ];
  throw new KdcError(
    ErrorCode.KDC_ERR_CLIENT_NAME_MISMATCH,
    `the client certificate ${cert.subjectText} does not map to ${formatPrincipal(name, realm)}` +
      (named.length > 0 ? `; it names ${named.join(', ')}` : '; it names no principal'),
  );
}

/**
 * Whether a UPN subjectAltName names `client`: its UPN or, with `implicit`
 * (AD), its implicit UPN, `sAMAccountName@<the domain's DNS name>`, which AD
 * resolves for every account (as the AS exchange finds an enterprise name
 * `alice@corp.contoso.com` in realm CORP.CONTOSO.COM). Case does not matter.
 */
function upnNames(upn: string, client: PrincipalEntry, realm: string, implicit: boolean): boolean {
  const u = upn.toLowerCase();
  if (client.upn !== undefined && client.upn.toLowerCase() === u) return true;
  if (!implicit) return false;
  const at = u.lastIndexOf('@');
  const account = client.name.nameString;
  return (
    at > 0 &&
    account.length === 1 &&
    u.slice(at + 1) === realm.toLowerCase() &&
    u.slice(0, at) === account[0]!.toLowerCase()
  );
}

function isComputer(client: PrincipalEntry): boolean {
  const n = client.name.nameString;
  return n.length === 1 && n[0]!.endsWith('$');
}

/** Whether `client` has the SPN `host/<dnsName>` (a computer's dNSHostName), in any case. */
function hasHostSpn(client: PrincipalEntry, dnsName: string): boolean {
  const d = dnsName.toLowerCase();
  return client.aliases.some(
    (a) =>
      a.nameString.length === 2 &&
      a.nameString[0]!.toLowerCase() === 'host' &&
      a.nameString[1]!.toLowerCase() === d,
  );
}
