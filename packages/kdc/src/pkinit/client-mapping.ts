/**
 * Which principal a client certificate may authenticate as (RFC 4556
 * section 3.2.2, step "the KDC MUST ... verify that the client's
 * certificate maps to the client principal"), and whether its key purpose
 * allows PKINIT (section 3.2.4).
 *
 * In order: the realm's mapping table (a row matching the certificate), the
 * id-pkinit-san otherNames (not in an `active-directory` realm: MS-PKCA 3.1.5
 * says Windows does not process id-pkinit-san), and, when the realm allows
 * it, a Microsoft UPN equal to the account's UPN; in an `active-directory`
 * realm a computer's dNSName too. A certificate that names someone else is
 * KDC_ERR_CLIENT_NAME_MISMATCH. An `active-directory` realm then checks the
 * SIDs the certificate names (szOID_NTDS_CA_SECURITY_EXT, the SAN URL of
 * KB5014754): each must be the mapped account's, else
 * KDC_ERR_CERTIFICATE_MISMATCH (MS-PKCA 3.1.5.2.1.6). Under KB5014754's Full
 * Enforcement (`certificateMappingEnforcement: 'full'`, the default) it then
 * refuses a certificate mapped only weakly (MS-PKCA 3.1.5.2.1.5): one that
 * names no SID and no mapping-table row by `fingerprint256` maps, with
 * KDC_ERR_CLIENT_NAME_MISMATCH.
 *
 * @module
 */

import { formatPrincipal, type PrincipalName } from '@krbsim/asn1';
import { ErrorCode } from '@krbsim/core';
import { formatSid, isPacError, parseSid, sidEquals } from '@krbsim/pac';
import { allowsKeyUsage, type Certificate, certificateSids, KeyUsageBit, SID_URL_PREFIX } from '@krbsim/pki';
import { KdcError } from '../krb-error';
import { accountOf, accountSid } from '../pac-builder';
import type { PrincipalEntry } from '../principal-db';
import type { Realm } from '../realm';
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
 * keyUsage; so does this, unless EKU checking is off. A DC's rule
 * (`clientEku: 'windows'`, MS-PKCA 3.1.5) takes a certificate without either
 * extension, and checks only the ones it carries.
 */
export function checkClientEku(config: PkinitConfig, cert: Certificate): void {
  const accepted = config.acceptedEkus;
  if (accepted === undefined) return;
  const ekuAbsentAllowed = config.ekuOptional && cert.extKeyUsage === undefined;
  if (!ekuAbsentAllowed && !cert.extKeyUsage?.some((e) => accepted.includes(e))) {
    throw new KdcError(
      ErrorCode.KDC_ERR_INCONSISTENT_KEY_PURPOSE,
      `the client certificate ${cert.subjectText} is not for PKINIT (extendedKeyUsage ${cert.extKeyUsage?.join(', ') ?? 'absent'})`,
    );
  }
  if (
    (cert.keyUsage === undefined && !config.ekuOptional) ||
    !allowsKeyUsage(cert, KeyUsageBit.digitalSignature)
  ) {
    throw new KdcError(
      ErrorCode.KDC_ERR_INCONSISTENT_KEY_PURPOSE,
      `the client certificate ${cert.subjectText} may not sign (keyUsage ${cert.keyUsage === undefined ? 'absent' : 'without digitalSignature'})`,
    );
  }
}

/**
 * Throws KDC_ERR_CLIENT_NAME_MISMATCH unless `cert` maps to `client` of
 * `realm`; in an `active-directory` realm, KDC_ERR_CERTIFICATE_MISMATCH when
 * it names a SID that is not the account's, and under Full Enforcement
 * KDC_ERR_CLIENT_NAME_MISMATCH when it maps only weakly.
 */
export function checkClientMapping(
  config: PkinitConfig,
  cert: Certificate,
  client: PrincipalEntry,
  realm: Realm,
): void {
  const mapping = mappingOf(config, cert, client, realm.name);
  if (mapping === undefined) nameMismatch(config, cert, client, realm.name);
  if (!config.activeDirectory) return;
  const namesSid = checkCertificateSids(cert, client, realm);
  if (config.strongMappingRequired && !namesSid && !mapping.strong) weakMapping(cert, client, realm, mapping);
}

/** How a certificate maps to the client, and whether AD rates that mapping strong (MS-PKCA 3.1.5.2.1.5). */
interface CertificateMapping {
  /** What mapped it, for messages: `its UPN alice@contoso.com`. */
  readonly by: string;
  readonly strong: boolean;
}

function mappingOf(
  config: PkinitConfig,
  cert: Certificate,
  client: PrincipalEntry,
  realm: string,
): CertificateMapping | undefined {
  const name = client.name;
  const rows = config.mapping.filter((r) => rowMatches(r, cert) && sameName(name, r.principal.split('/')));
  // KB5014754: a row that pins the certificate itself is strong, as altSecurityIdentities'
  // X509IssuerSerialNumber and X509SHA1PublicKey are; a row by subject alone is weak, as
  // X509SubjectOnly and X509IssuerSubject are (anyone the CA names so matches it).
  if (rows.some((r) => r.fingerprint256 !== undefined)) {
    return { by: 'its mapping-table row by fingerprint256', strong: true };
  }
  if (rows.length > 0) return { by: `its mapping-table row by subject (${rows[0]!.subject})`, strong: false };
  // MS-PKCA 3.1.5 (and its <9>): a Windows KDC does not process id-pkinit-san; an AD realm maps by
  // UPN (users), dNSName (computers) and explicit mappings (the table, as altSecurityIdentities).
  // Only an AD realm rates a mapping, so `strong` means nothing for the id-pkinit-san of an MIT one.
  if (
    !config.activeDirectory &&
    cert.pkinitSans.some((s) => s.realm === realm && sameName(s.principalName, name.nameString))
  ) {
    return { by: 'its id-pkinit-san', strong: false };
  }
  const upn = config.allowUpn
    ? cert.upnSans.find((u) => upnNames(u, client, realm, config.activeDirectory))
    : undefined;
  if (upn !== undefined) return { by: `its UPN ${upn}`, strong: false };
  // MS-PKCA 3.1.5.2.1: a computer's certificate names it by dNSName, the account's dNSHostName
  // (its host/<dnsHostName> SPN here).
  const dns =
    config.activeDirectory && isComputer(client)
      ? cert.dnsSans.find((d) => hasHostSpn(client, d))
      : undefined;
  return dns === undefined ? undefined : { by: `its dNSName ${dns}`, strong: false };
}

/**
 * KB5014754's Full Enforcement (MS-PKCA 3.1.5.2.1.5): a certificate mapped only weakly is refused.
 * MS-PKCA allows KDC_ERR_CERTIFICATE_MISMATCH here; a patched DC answers KDC_ERR_CLIENT_NAME_MISMATCH,
 * as Certipy's users report it for a certificate without a SID (ly4k/Certipy#208), and so does this.
 */
function weakMapping(
  cert: Certificate,
  client: PrincipalEntry,
  realm: Realm,
  mapping: CertificateMapping,
): never {
  const account = accountOf(realm, client);
  const sid = account === undefined ? undefined : formatSid(accountSid(realm, account));
  throw new KdcError(
    ErrorCode.KDC_ERR_CLIENT_NAME_MISMATCH,
    `the client certificate ${cert.subjectText} maps to ${formatPrincipal(client.name, realm.name)} only weakly, by ${mapping.by}, ` +
      "which KB5014754's Full Enforcement refuses; a strong mapping needs " +
      (sid === undefined
        ? 'a mapping-table row by fingerprint256 (the principal has no SID for the certificate to name)'
        : `the account's SID ${sid} in the certificate (szOID_NTDS_CA_SECURITY_EXT, or a SAN URL ${SID_URL_PREFIX}${sid}) or a mapping-table row by fingerprint256`) +
      " (or the realm's certificateMappingEnforcement: 'compatibility')",
  );
}

function nameMismatch(config: PkinitConfig, cert: Certificate, client: PrincipalEntry, realm: string): never {
  const name = client.name;
  const rows = config.mapping.filter((r) => rowMatches(r, cert));
  const named = [
    ...rows.map((r) => `${r.principal}@${realm} (mapping table)`),
    ...cert.pkinitSans.map(
      (s) =>
        `${formatPrincipal(s.principalName, s.realm)}${config.activeDirectory ? ' (id-pkinit-san, which an active-directory realm does not read)' : ''}`,
    ),
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
 * MS-PKCA 3.1.5.2.1.6: a SID the certificate names, in szOID_NTDS_CA_SECURITY_EXT or a SAN URL
 * (KB5014754), must be the SID of the account it mapped to, else KDC_ERR_CERTIFICATE_MISMATCH.
 * Returns whether it names one (a strong mapping); one naming none passes here, its mapping then
 * rated by {@link checkClientMapping}.
 */
function checkCertificateSids(cert: Certificate, client: PrincipalEntry, realm: Realm): boolean {
  const sids = certificateSids(cert);
  const named = [
    ...(sids.extension === undefined ? [] : [{ sid: sids.extension, where: 'szOID_NTDS_CA_SECURITY_EXT' }]),
    ...sids.urls.map((sid) => ({ sid, where: 'its SAN URL' })),
  ];
  if (named.length === 0) return false;
  const account = accountOf(realm, client);
  const own = account === undefined ? undefined : accountSid(realm, account);
  for (const { sid, where } of named) {
    let matches = false;
    try {
      matches = own !== undefined && sidEquals(parseSid(sid), own);
    } catch (e) {
      if (!isPacError(e)) throw e;
    }
    if (!matches) {
      throw new KdcError(
        ErrorCode.KDC_ERR_CERTIFICATE_MISMATCH,
        `the client certificate ${cert.subjectText} names the SID ${sid} (${where}), not ${formatPrincipal(client.name, realm.name)}'s` +
          (own === undefined ? ' (it has no SID)' : ` (${formatSid(own)})`),
      );
    }
  }
  return true;
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
