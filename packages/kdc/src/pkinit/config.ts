/**
 * A realm's PKINIT configuration (RFC 4556): the CAs client certificates
 * must chain to, the KDC's own certificate and key, how a certificate maps
 * to a principal, and the policy choices where KDCs differ (the client EKU
 * required, the UPN subjectAltName, the Diffie-Hellman groups, RFC 8070
 * freshness). MIT's kdc.conf names are given beside each option.
 *
 * Everything is parsed once, when the realm is created, so a bad PEM fails
 * there and not on a client's request.
 *
 * @module
 */

import { PkinitOid } from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';
import {
  type Certificate,
  type CmsSigner,
  cmsSigner,
  type KeyAgreementGroup,
  parseCertificate,
  pemBlocks,
} from '@krbsim/pki';

/** One row of a realm's certificate mapping table. */
export interface PkinitCertificateMapping {
  /** The principal, without realm (`alice`, `host/pc1.contoso.com`). */
  readonly principal: string;
  /** Match the certificate's subject as `node:crypto` prints it, comma-separated (`CN=alice`). */
  readonly subject?: string;
  /** Match the certificate's SHA-256 fingerprint (hex, colons optional). */
  readonly fingerprint256?: string;
}

/** Which extended key usages a client certificate must carry (MIT `pkinit_eku_checking`, or a DC's rule). */
export type PkinitClientEku = 'kpClientAuth' | 'scLogin' | 'windows' | 'none';

/**
 * How an `active-directory` realm treats a certificate it can map only weakly (KB5014754; a DC's
 * StrongCertificateBindingEnforcement): `full` (2) refuses it, `compatibility` (1) serves it.
 */
export type CertificateMappingEnforcement = 'full' | 'compatibility';

/** PKINIT for a realm: `RealmOptions.pkinit`. */
export interface PkinitOptions {
  /** CA certificates, PEM, that client certificates must chain to (MIT `pkinit_anchors`). */
  readonly anchors: string | readonly string[];
  /**
   * The KDC's certificate, PEM, with its CA chain after it if any (MIT
   * `pkinit_identity`). It should carry id-pkinit-KPKdc and an
   * id-pkinit-san for krbtgt/REALM@REALM (`issuePkinitKdcCertificate`).
   */
  readonly certificate: string;
  /** The KDC's private key, PKCS #8 PEM. */
  readonly privateKey: string;
  /**
   * Certificates mapped to principals without an id-pkinit-san (and, when
   * they match, instead of it), as AD maps altSecurityIdentities.
   */
  readonly mapping?: readonly PkinitCertificateMapping[];
  /**
   * The client EKU required: `kpClientAuth` (id-pkinit-KPClientAuth; the
   * default, as MIT's `pkinit_eku_checking`), `scLogin` (that or Microsoft's
   * smart card logon EKU, MIT's `scLogin`), both with a keyUsage allowing
   * digitalSignature, as MIT's crypto_check_cert_eku asks; `windows` (the
   * default in an `active-directory` realm), a DC's rule: a certificate
   * without the extendedKeyUsage extension is taken, one with it must list
   * id-pkinit-KPClientAuth, smart card logon, TLS client authentication
   * (1.3.6.1.5.5.7.3.2) or anyExtendedKeyUsage, and a keyUsage, when there
   * is one, must allow digitalSignature; `none`.
   * KDC_ERR_INCONSISTENT_KEY_PURPOSE otherwise.
   */
  readonly clientEku?: PkinitClientEku;
  /**
   * Accept a Microsoft UPN subjectAltName equal to the account's UPN (MIT
   * `pkinit_allow_upn`; in an `active-directory` realm its implicit UPN,
   * `sAMAccountName@<the realm's DNS name>`, too, as AD resolves it).
   * Default: true for an `active-directory` realm.
   */
  readonly allowUpn?: boolean;
  /**
   * The key agreement groups served, in order of preference (sent in
   * TD-DH-PARAMETERS). Default modp14, modp16, P-256, P-384, P-521: the
   * 1024-bit modp2 only on request, as MIT's `pkinit_dh_min_bits` 2048.
   */
  readonly groups?: readonly KeyAgreementGroup[];
  /**
   * RFC 8070: refuse a PA-PK-AS-REQ without a freshness token (the
   * `pkinit_require_freshness` of MIT and AD's "freshness required" policy).
   */
  readonly requireFreshness?: boolean;
  /** How long a freshness token stays valid (default: the realm's clock skew). */
  readonly freshnessLifetimeMs?: number;
  /**
   * Negotiate RFC 8636's KDFs (SHA-1, SHA-256, SHA-512) when the client
   * lists them, as MIT's KDC does. Default true; false answers every client
   * with RFC 4556's octetstring2key.
   */
  readonly useKdf?: boolean;
  /**
   * KB5014754's enforcement of strong certificate mapping in an
   * `active-directory` realm (MS-PKCA 3.1.5.2.1.5; a DC's
   * StrongCertificateBindingEnforcement). A mapping is strong when the
   * certificate names the account's SID (szOID_NTDS_CA_SECURITY_EXT, or a SAN
   * URL `tag:microsoft.com,2022-09-14:sid:<SID>`) or when a `mapping` row with
   * `fingerprint256` maps it (as AD's X509IssuerSerialNumber or
   * X509SHA1PublicKey do); a UPN, a computer's dNSName, or a row by `subject`
   * alone (AD's X509SubjectOnly, X509IssuerSubject) is weak.
   *
   * - `full` (the default): Full Enforcement, what every DC runs since the
   *   September 2025 updates: a weakly mapped certificate is
   *   KDC_ERR_CLIENT_NAME_MISMATCH.
   * - `compatibility`: Compatibility mode, as DCs ran before the 2025 updates:
   *   a weak mapping is served. Its refusal of a weakly mapped certificate
   *   issued before the account was created is not modelled (krbsim records
   *   no account creation time).
   *
   * An `mit` realm ignores it: MIT's KDC has no such rule, and maps as
   * `mapping`, the id-pkinit-san and `allowUpn` say.
   */
  readonly certificateMappingEnforcement?: CertificateMappingEnforcement;
}

/** The parsed configuration the PA-PK-AS-REQ handler uses. */
export interface PkinitConfig {
  readonly anchors: readonly Certificate[];
  readonly signer: CmsSigner;
  readonly mapping: readonly PkinitCertificateMapping[];
  readonly acceptedEkus: readonly string[] | undefined;
  /**
   * `clientEku: 'windows'`: the extendedKeyUsage and keyUsage extensions may be absent; when there,
   * they must allow PKINIT. Otherwise both must be there (MIT).
   */
  readonly ekuOptional: boolean;
  readonly allowUpn: boolean;
  /**
   * An `active-directory` realm: AD's mappings (a UPN subjectAltName may be the account's implicit
   * UPN; a computer's certificate maps by its dNSName to the account of that dNSHostName, MS-PKCA
   * 3.1.5.2.1; no id-pkinit-san, which Windows does not process; a SID the certificate names must
   * be the account's, 3.1.5.2.1.6) and MS-PKCA's paChecksum2, validated when present (2.2.3).
   */
  readonly activeDirectory: boolean;
  /**
   * An `active-directory` realm under Full Enforcement (`certificateMappingEnforcement: 'full'`):
   * a certificate it maps only weakly is refused (KB5014754).
   */
  readonly strongMappingRequired: boolean;
  readonly groups: readonly KeyAgreementGroup[];
  readonly requireFreshness: boolean;
  readonly freshnessLifetimeMs: number | undefined;
  readonly useKdf: boolean;
}

/** TLS client authentication (RFC 5280 section 4.2.1.12), which a Windows DC takes for PKINIT (MS-PKCA 3.1.5.1). */
const ID_KP_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
/** anyExtendedKeyUsage (RFC 5280 section 4.2.1.12): any purpose, PKINIT's included, for a DC. */
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

/** What each `clientEku` accepts. */
const CLIENT_EKUS: Readonly<Record<Exclude<PkinitClientEku, 'none'>, readonly string[]>> = {
  kpClientAuth: [PkinitOid.id_pkinit_KPClientAuth],
  scLogin: [PkinitOid.id_pkinit_KPClientAuth, PkinitOid.id_ms_kp_sc_logon],
  windows: [
    PkinitOid.id_pkinit_KPClientAuth,
    PkinitOid.id_ms_kp_sc_logon,
    ID_KP_CLIENT_AUTH,
    ANY_EXTENDED_KEY_USAGE,
  ],
};

const MAPPING_ENFORCEMENTS: readonly CertificateMappingEnforcement[] = ['full', 'compatibility'];

const DEFAULT_PKINIT_GROUPS: readonly KeyAgreementGroup[] = ['modp14', 'modp16', 'P-256', 'P-384', 'P-521'];

function bad(why: string, cause?: unknown): never {
  throw new KerberosError(ErrorCode.KRB_ERR_GENERIC, `PKINIT configuration: ${why}`, { cause });
}

/** Parses `options` for a realm of `kind`. */
export function resolvePkinit(options: PkinitOptions, activeDirectory: boolean): PkinitConfig {
  const anchorPem = typeof options.anchors === 'string' ? [options.anchors] : options.anchors;
  const anchors = anchorPem.flatMap((p) => pemBlocks(p, 'CERTIFICATE')).map(parseCertificate);
  if (anchors.length === 0) bad('no anchor certificate');
  let signer: CmsSigner;
  try {
    signer = cmsSigner(options.certificate, options.privateKey);
  } catch (e) {
    return bad(
      `the KDC certificate or key cannot be read (${e instanceof Error ? e.message : String(e)})`,
      e,
    );
  }
  const eku = options.clientEku ?? (activeDirectory ? 'windows' : 'kpClientAuth');
  if (eku !== 'none' && !Object.hasOwn(CLIENT_EKUS, eku))
    bad(`clientEku ${JSON.stringify(eku)} is not one of kpClientAuth, scLogin, windows, none`);
  // `undefined` alone takes the default: a `null` from a hand-written config is refused, not read as 'full'.
  const enforcement =
    options.certificateMappingEnforcement === undefined ? 'full' : options.certificateMappingEnforcement;
  if (!MAPPING_ENFORCEMENTS.includes(enforcement))
    bad(`certificateMappingEnforcement ${JSON.stringify(enforcement)} is not one of full, compatibility`);
  return {
    anchors,
    signer,
    mapping: options.mapping ?? [],
    acceptedEkus: eku === 'none' ? undefined : CLIENT_EKUS[eku],
    ekuOptional: eku === 'windows',
    allowUpn: options.allowUpn ?? activeDirectory,
    activeDirectory: activeDirectory,
    strongMappingRequired: activeDirectory && enforcement === 'full',
    groups: options.groups ?? DEFAULT_PKINIT_GROUPS,
    requireFreshness: options.requireFreshness ?? false,
    freshnessLifetimeMs: options.freshnessLifetimeMs,
    useKdf: options.useKdf ?? true,
  };
}
