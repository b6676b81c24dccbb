/**
 * What PKINIT reads from X.509 certificates (RFC 5280): the issuer, serial
 * and subject for CMS signer identifiers, validity, basicConstraints, the
 * extended key usages (RFC 4556 section 3.2.4: id-pkinit-KPClientAuth,
 * id-pkinit-KPKdc) and the subjectAltName otherNames that name Kerberos
 * principals (id-pkinit-san's KRB5PrincipalName, section 3.2.2; Microsoft's
 * UPN). Signatures are checked by `node:crypto`'s X509Certificate, so all
 * of it is synchronous and fits the KDC's request path.
 *
 * Path validation ({@link verifyCertificatePath}) is what a realm's trust
 * anchors need: a chain of signatures from the leaf to an anchor through
 * the CA certificates the peer sent, each valid at the injected time, each
 * issuer a CA allowed to sign certificates (keyUsage keyCertSign) whose
 * pathLenConstraint the path respects, no certificate with a critical
 * extension this module does not handle (RFC 5280 section 4.2: name
 * constraints and policies are refused when critical, not ignored). It does
 * not fetch CRLs. Its work is bounded whatever the peer sends: issuers are
 * chosen by name and key identifier, and a few signatures are checked a level.
 *
 * @module
 */

import { type KeyObject, X509Certificate } from 'node:crypto';
import {
  Asn1Error,
  decodeKrb5PrincipalName,
  isAsn1Error,
  type Krb5PrincipalName,
  PkinitOid,
  parseKerberosTime,
} from '@krbsim/asn1';
import { ErrorCode, equalBytes, KerberosError } from '@krbsim/core';
import { children, expectTag, oidOf, readOne, Tag, type Tlv, tlv, unsignedOf } from './der';

/** A parsed certificate. */
export interface Certificate {
  readonly der: Uint8Array;
  /** DER of the issuer and subject Names, and of the serialNumber INTEGER TLV. */
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  readonly serialNumber: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
  /** basicConstraints cA. */
  readonly isCa: boolean;
  /**
   * basicConstraints pathLenConstraint: how many intermediate CA
   * certificates may follow this CA on a path (RFC 5280 section 4.2.1.9);
   * undefined when absent (no limit).
   */
  readonly pathLenConstraint: number | undefined;
  /** The extended key usages, or undefined when the extension is absent (any purpose). */
  readonly extKeyUsage: readonly string[] | undefined;
  /** The subjectKeyIdentifier's octets, when present. */
  readonly subjectKeyIdentifier: Uint8Array | undefined;
  /** The authorityKeyIdentifier's keyIdentifier octets, when present. */
  readonly authorityKeyIdentifier: Uint8Array | undefined;
  /**
   * The keyUsage bits (RFC 5280 section 4.2.1.3), bit `n` of {@link KeyUsageBit}
   * as `1 << n`; undefined when the extension is absent (any use).
   */
  readonly keyUsage: number | undefined;
  /** The OIDs of critical extensions this module does not handle (a path refuses them). */
  readonly unhandledCriticalExtensions: readonly string[];
  /**
   * The certificate carries nameConstraints (RFC 5280 section 4.2.1.10), critical or not: not enforced
   * here, so a path holding it is refused rather than taken as unconstrained (MIT's KDC enforces it).
   */
  readonly hasNameConstraints: boolean;
  /** The X.509 version: 1 or 3 (2 is read as what it is). */
  readonly version: number;
  /** Every id-pkinit-san otherName (RFC 4556 section 3.2.2). */
  readonly pkinitSans: readonly Krb5PrincipalName[];
  /** Every Microsoft UPN otherName. */
  readonly upnSans: readonly string[];
  /** Every dNSName (RFC 5280 section 4.2.1.6), as written. */
  readonly dnsSans: readonly string[];
  /**
   * Every uniformResourceIdentifier of the subjectAltName, as written: KB5014754's strong mapping
   * names the account's SID in one (`tag:microsoft.com,2022-09-14:sid:<SID>`, {@link certificateSids}).
   */
  readonly uriSans: readonly string[];
  /**
   * The extnValue of Microsoft's szOID_NTDS_CA_SECURITY_EXT (1.3.6.1.4.1.311.25.2, MS-WCCE
   * 2.2.2.7.7.4), unparsed: {@link certificateSids} reads it, for the realms that look at it.
   */
  readonly ntdsCaSecurityExtension: Uint8Array | undefined;
  /** The subject as `node:crypto` prints it (`CN=alice`, comma-separated), for messages and mapping. */
  readonly subjectText: string;
  /** SHA-256 of the DER, as colon-separated upper-case hex (`node:crypto`'s `fingerprint256`). */
  readonly fingerprint256: string;
  /**
   * The subject public key's algorithm, as `node:crypto` names it: `rsa` (rsaEncryption), `ec`,
   * `rsa-pss`, `ed25519`... Only an `rsa` key can take PKINIT's public-key encryption delivery
   * (RFC 4556 section 3.2.3.2).
   */
  readonly keyType: string;
}

/** The keyUsage bits of RFC 5280 section 4.2.1.3, by position. */
export const KeyUsageBit = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;

/** Whether `cert`'s keyUsage allows `bit` (a certificate without the extension allows every use). */
export function allowsKeyUsage(cert: Certificate, bit: number): boolean {
  return cert.keyUsage === undefined || (cert.keyUsage & (1 << bit)) !== 0;
}

/** Microsoft's object identifiers for certificate mapping by SID (MS-WCCE 2.2.2.7.7.4, KB5014754). */
export const MicrosoftOid = {
  /** szOID_NTDS_CA_SECURITY_EXT: the extension naming the SID of the account the certificate was issued to. */
  szOID_NTDS_CA_SECURITY_EXT: '1.3.6.1.4.1.311.25.2',
  /** szOID_NTDS_OBJECTSID: the type-id of the otherName inside it. */
  szOID_NTDS_OBJECTSID: '1.3.6.1.4.1.311.25.2.1',
} as const;

/** The prefix of a subjectAltName URL that names a SID (KB5014754's SAN URL strong mapping). */
export const SID_URL_PREFIX = 'tag:microsoft.com,2022-09-14:sid:';

/** The SIDs a certificate names for strong certificate mapping (MS-PKCA 3.1.5.2.1.6). */
export interface CertificateSids {
  /** The SID of szOID_NTDS_CA_SECURITY_EXT, as written, when the certificate carries the extension. */
  readonly extension: string | undefined;
  /** The SIDs of subjectAltName URLs `tag:microsoft.com,2022-09-14:sid:<SID>`, as written, in order. */
  readonly urls: readonly string[];
}

/**
 * A SID's string form (MS-DTYP 2.4.2.1): `S-1-`, a decimal authority below 2^48 or a 12-digit hex one,
 * and up to 15 decimal sub-authorities below 2^32; the grammar `@krbsim/pac`'s parseSid reads.
 */
const SID_TEXT = /^[Ss]-1-(0[xX][0-9a-fA-F]{12}|[0-9]{1,15})((?:-[0-9]{1,10}){0,15})$/;

function sidText(text: string, path: string): string {
  const m = SID_TEXT.exec(text);
  const shown = JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
  if (m === null) throw new Asn1Error(`${path}: ${shown} is not a SID (S-1-<authority>-<sub-authority>...)`);
  const auth = m[1]!;
  const authority = auth.length === 14 ? Number.parseInt(auth.slice(2), 16) : Number(auth);
  if (authority >= 2 ** 48)
    throw new Asn1Error(`${path}: ${shown}: the identifier authority is not below 2^48`);
  for (const sub of m[2]!.split('-').slice(1)) {
    if (Number(sub) > 0xffffffff)
      throw new Asn1Error(`${path}: ${shown}: the sub-authority ${sub} is not below 2^32`);
  }
  return text;
}

const EXT = 'szOID_NTDS_CA_SECURITY_EXT';

/**
 * The SIDs `cert` names for KB5014754's strong mapping: the szOID_NTDS_CA_SECURITY_EXT extension
 * (MS-WCCE 2.2.2.7.7.4), which AD CS writes as GeneralNames holding one otherName of type
 * szOID_NTDS_OBJECTSID whose value is `[0] EXPLICIT OCTET STRING` of the SID's ASCII string form,
 *
 * ```
 * SEQUENCE { [0] { OID 1.3.6.1.4.1.311.25.2.1, [0] { OCTET STRING "S-1-5-21-...-1104" } } }
 * ```
 *
 * and the subjectAltName URLs `tag:microsoft.com,2022-09-14:sid:<SID>`. Read strictly: nothing
 * else in the extension, one SID string in each. Only a realm that maps certificates as AD does
 * asks (MIT's KDC does not know either form).
 *
 * @throws KerberosError KDC_ERR_INVALID_CERTIFICATE, the message naming the field, for an
 *   extension of another shape or a URL with that prefix whose rest is not a SID.
 */
export function certificateSids(cert: Certificate): CertificateSids {
  try {
    let extension: string | undefined;
    const ext = cert.ntdsCaSecurityExtension;
    if (ext !== undefined) {
      const names = children(readOne(ext, Tag.SEQUENCE, EXT));
      if (names.length !== 1) throw new Asn1Error(`${EXT}: expected one GeneralName, got ${names.length}`);
      const otherName = children(expectTag(names[0], 0xa0, `${EXT}[0] (otherName)`));
      if (otherName.length !== 2) {
        throw new Asn1Error(`${EXT}[0]: expected type-id and value, got ${otherName.length} elements`);
      }
      const type = oidOf(otherName[0], `${EXT}[0].type-id`);
      if (type !== MicrosoftOid.szOID_NTDS_OBJECTSID) {
        throw new Asn1Error(
          `${EXT}[0].type-id: expected szOID_NTDS_OBJECTSID (${MicrosoftOid.szOID_NTDS_OBJECTSID}), got ${type}`,
        );
      }
      const value = expectTag(otherName[1], 0xa0, `${EXT}[0].value`).value;
      const octets = readOne(value, Tag.OCTET_STRING, `${EXT}[0].value`).value;
      extension = sidText(new TextDecoder('latin1').decode(octets), `${EXT}[0].value`);
    }
    const urls = cert.uriSans
      .filter((u) => u.startsWith(SID_URL_PREFIX))
      .map((u) =>
        sidText(
          u.slice(SID_URL_PREFIX.length),
          `subjectAltName uniformResourceIdentifier ${JSON.stringify(u)}`,
        ),
      );
    return { extension, urls };
  } catch (e) {
    if (isAsn1Error(e)) return invalid(e.message, e);
    throw e;
  }
}

/** nameConstraints (RFC 5280 section 4.2.1.10). */
const NAME_CONSTRAINTS = '2.5.29.30';

/** The extensions {@link parseCertificate} reads, and so may be critical. */
const HANDLED_EXTENSIONS = new Set([
  PkinitOid.basicConstraints,
  PkinitOid.extKeyUsage,
  PkinitOid.subjectAltName,
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.15', // keyUsage
  '2.5.29.35', // authorityKeyIdentifier
]);

/**
 * Largest RSA public exponent taken: 32 bits, as Windows holds it (RSAPUBKEY's
 * pubexp is a DWORD). A peer's huge exponent would make each signature check
 * cost milliseconds.
 */
const MAX_RSA_EXPONENT = 0xffffffffn;
/** Largest RSA modulus taken, in bits (OpenSSL's own limit for verification). */
const MAX_RSA_BITS = 16384;

/**
 * The `node:crypto` objects behind each parsed certificate, kept out of the
 * public type so that the package's declarations need no Node types.
 */
const native = new WeakMap<Certificate, { readonly x509: X509Certificate; readonly publicKey: KeyObject }>();

/** The certificate's public key (internal: for signature checks in this package). */
export function publicKeyOf(cert: Certificate): KeyObject {
  const n = native.get(cert);
  if (n === undefined) throw new TypeError('not a certificate from parseCertificate');
  return n.publicKey;
}

function x509Of(cert: Certificate): X509Certificate {
  const n = native.get(cert);
  if (n === undefined) throw new TypeError('not a certificate from parseCertificate');
  return n.x509;
}

function invalid(why: string, cause?: unknown): never {
  throw new KerberosError(ErrorCode.KDC_ERR_INVALID_CERTIFICATE, `invalid certificate: ${why}`, { cause });
}

/**
 * Parses a DER certificate. Throws KerberosError
 * (KDC_ERR_INVALID_CERTIFICATE) for anything that is not a well-formed
 * X.509 v3 certificate.
 */
export function parseCertificate(der: Uint8Array): Certificate {
  let x509: X509Certificate;
  let publicKey: KeyObject;
  try {
    x509 = new X509Certificate(der);
    // Read now: a damaged SubjectPublicKeyInfo fails here, not later inside a signature check.
    publicKey = x509.publicKey;
  } catch (e) {
    return invalid('not an X.509 certificate with a readable public key', e);
  }
  const details = publicKey.asymmetricKeyDetails;
  if (details?.publicExponent !== undefined && details.publicExponent > MAX_RSA_EXPONENT) {
    invalid('its RSA public exponent is longer than 32 bits');
  }
  if (details?.modulusLength !== undefined && details.modulusLength > MAX_RSA_BITS) {
    invalid(`its RSA modulus has ${details.modulusLength} bits, more than ${MAX_RSA_BITS}`);
  }
  try {
    const cert = readOne(der, Tag.SEQUENCE, 'Certificate');
    const tbs = children(expectTag(children(cert)[0], Tag.SEQUENCE, 'tbsCertificate'));
    let i = 0;
    let version = 1;
    if (tbs[0]?.tag === 0xa0) {
      // version [0] EXPLICIT INTEGER: v1(0), v2(1), v3(2)
      const v = unsignedOf(expectTag(children(tbs[0])[0], Tag.INTEGER, 'version'), 'version');
      version = v.length === 1 ? v[0]! + 1 : 0;
      i++;
    }
    const serial = expectTag(tbs[i++], Tag.INTEGER, 'serialNumber');
    i++; // signature AlgorithmIdentifier
    const issuer = expectTag(tbs[i++], Tag.SEQUENCE, 'issuer');
    const validity = children(expectTag(tbs[i++], Tag.SEQUENCE, 'validity'));
    const subject = expectTag(tbs[i++], Tag.SEQUENCE, 'subject');
    i++; // subjectPublicKeyInfo
    let exts: Tlv[] = [];
    for (; i < tbs.length; i++) {
      if (tbs[i]!.tag === 0xa3) exts = children(expectTag(children(tbs[i]!)[0], Tag.SEQUENCE, 'extensions'));
    }
    let isCa = false;
    let pathLenConstraint: number | undefined;
    let extKeyUsage: string[] | undefined;
    let ski: Uint8Array | undefined;
    let aki: Uint8Array | undefined;
    let keyUsage: number | undefined;
    const unhandledCritical: string[] = [];
    let nameConstraints = false;
    const pkinitSans: Krb5PrincipalName[] = [];
    const upnSans: string[] = [];
    const dnsSans: string[] = [];
    const uriSans: string[] = [];
    let ntdsCaSecurityExtension: Uint8Array | undefined;
    const seen = new Set<string>();
    for (const ext of exts) {
      const parts = children(ext);
      const id = oidOf(parts[0], 'extnID');
      // RFC 5280 section 4.2: at most one instance of an extension (OpenSSL, so MIT's PKINIT, refuses more).
      if (seen.has(id)) invalid(`it carries the extension ${id} twice (RFC 5280 section 4.2)`);
      seen.add(id);
      const value = expectTag(parts[parts.length - 1], Tag.OCTET_STRING, 'extnValue').value;
      const critical = parts.length === 3 && parts[1]!.tag === Tag.BOOLEAN && parts[1]!.value[0] !== 0;
      if (critical && !HANDLED_EXTENSIONS.has(id)) unhandledCritical.push(id);
      if (id === NAME_CONSTRAINTS) nameConstraints = true;
      if (id === '2.5.29.15') {
        // KeyUsage ::= BIT STRING: the first octet counts the unused bits; bit 0 is the first octet's top bit.
        const bits = readOne(value, Tag.BIT_STRING, 'keyUsage').value;
        keyUsage = 0;
        for (let b = 0; b < Math.min((bits.length - 1) * 8, 16); b++) {
          if ((bits[1 + (b >> 3)]! & (0x80 >> (b & 7))) !== 0) keyUsage |= 1 << b;
        }
      } else if (id === '2.5.29.35') {
        // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, ... }
        aki = children(readOne(value, Tag.SEQUENCE, 'authorityKeyIdentifier')).find(
          (t) => t.tag === 0x80,
        )?.value;
      } else if (id === PkinitOid.basicConstraints) {
        const bc = children(readOne(value, Tag.SEQUENCE, 'basicConstraints'));
        isCa = bc[0]?.tag === Tag.BOOLEAN && bc[0].value[0] !== 0;
        const limit = bc.find((t) => t.tag === Tag.INTEGER);
        if (limit !== undefined) {
          const n = unsignedOf(limit, 'basicConstraints.pathLenConstraint');
          // Beyond four octets no path is that long: no limit in practice.
          pathLenConstraint = n.length > 4 ? Number.MAX_SAFE_INTEGER : n.reduce((a, b) => a * 256 + b, 0);
        }
      } else if (id === PkinitOid.extKeyUsage) {
        extKeyUsage = children(readOne(value, Tag.SEQUENCE, 'extKeyUsage')).map((t) =>
          oidOf(t, 'KeyPurposeId'),
        );
      } else if (id === '2.5.29.14') {
        ski = readOne(value, Tag.OCTET_STRING, 'subjectKeyIdentifier').value;
      } else if (id === MicrosoftOid.szOID_NTDS_CA_SECURITY_EXT) {
        ntdsCaSecurityExtension = value;
      } else if (id === PkinitOid.subjectAltName) {
        for (const gn of children(readOne(value, Tag.SEQUENCE, 'subjectAltName'))) {
          // dNSName [2] IA5String, implicitly tagged.
          if (gn.tag === 0x82) dnsSans.push(new TextDecoder('latin1').decode(gn.value));
          // uniformResourceIdentifier [6] IA5String, implicitly tagged.
          if (gn.tag === 0x86) uriSans.push(new TextDecoder('latin1').decode(gn.value));
          if (gn.tag !== 0xa0) continue; // otherName [0]
          const [typeId, val] = children(gn);
          const type = oidOf(typeId, 'otherName.type-id');
          const inner = readOne(expectTag(val, 0xa0, 'otherName.value').value, undefined, 'otherName value');
          if (type === PkinitOid.id_pkinit_san) pkinitSans.push(decodeKrb5PrincipalName(inner.der));
          else if (type === PkinitOid.id_ms_san_upn && inner.tag === Tag.UTF8String) {
            upnSans.push(new TextDecoder().decode(inner.value));
          }
        }
      }
    }
    const parsed: Certificate = {
      der,
      issuer: issuer.der,
      subject: subject.der,
      serialNumber: serial.der,
      notBefore: timeOf(validity[0]),
      notAfter: timeOf(validity[1]),
      isCa,
      pathLenConstraint,
      extKeyUsage,
      subjectKeyIdentifier: ski,
      authorityKeyIdentifier: aki,
      keyUsage,
      unhandledCriticalExtensions: unhandledCritical,
      hasNameConstraints: nameConstraints,
      version,
      pkinitSans,
      upnSans,
      dnsSans,
      uriSans,
      ntdsCaSecurityExtension,
      // node:crypto gives no subject text for an empty subject Name.
      subjectText: (x509.subject ?? '').replace(/\n/g, ', '),
      fingerprint256: x509.fingerprint256,
      keyType: publicKey.asymmetricKeyType ?? 'unknown',
    };
    native.set(parsed, { x509, publicKey });
    return parsed;
  } catch (e) {
    if (isAsn1Error(e)) return invalid(e.message, e);
    throw e;
  }
}

/** UTCTime (two-digit years 1950..2049) or GeneralizedTime, whole seconds, `Z` (RFC 5280 section 4.1.2.5). */
function timeOf(t: Tlv | undefined): number {
  if (t === undefined) return invalid('validity: missing time');
  const s = new TextDecoder('latin1').decode(t.value);
  // As a KerberosTime (YYYYMMDDHHMMSSZ): UTCTime's two-digit years 50..99 are 19xx, 00..49 are 20xx.
  const text =
    t.tag === Tag.UTCTime && /^\d{12}Z$/.test(s)
      ? `${Number(s.slice(0, 2)) < 50 ? '20' : '19'}${s}`
      : t.tag === Tag.GeneralizedTime && /^\d{14}Z$/.test(s)
        ? s
        : undefined;
  if (text === undefined) return invalid(`validity: bad time ${JSON.stringify(s)}`);
  // A field out of its range (month 13, day 32, hour 24) is no date (OpenSSL: "format error in
  // certificate's notAfter field"), not a roll into the next period.
  const time = parseKerberosTime(new TextEncoder().encode(text), 0);
  if (Number.isNaN(time)) return invalid(`validity: ${JSON.stringify(s)} is no date`);
  return time;
}

/** A certificate from PEM (`CERTIFICATE`) or DER. */
export function certificateFrom(input: string | Uint8Array): Certificate {
  return parseCertificate(
    typeof input === 'string'
      ? (pemBlocks(input, 'CERTIFICATE')[0] ?? invalid('no PEM CERTIFICATE block'))
      : input,
  );
}

/** Every PEM block labelled `label` in `text`, as DER. */
export function pemBlocks(text: string, label: string): Uint8Array[] {
  const re = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+?)-----END ${label}-----`, 'g');
  return [...text.matchAll(re)].map((m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
}

/** What {@link verifyCertificatePath} checks against. */
export interface PathOptions {
  /** The trust anchors (the realm's CAs). */
  readonly anchors: readonly Certificate[];
  /** Other certificates the peer sent (intermediate CAs). */
  readonly intermediates?: readonly Certificate[];
  /** The time to validate at (ms). */
  readonly now: number;
  /** Longest chain accepted, anchor excluded (default 5). */
  readonly maxDepth?: number;
  /** Whose certificate the leaf is, for errors: `'client'` (default, the KDC's check) or `'KDC'` (the client's). */
  readonly role?: 'client' | 'KDC';
}

/**
 * Signature checks a path may spend on the certificates the peer sent, at
 * each level: a peer sending many certificates named as the issuer gets no
 * more work done than this (MIT, through OpenSSL, checks one a level).
 */
const SIGNATURE_CHECKS_PER_LEVEL = 3;

/**
 * Could `issuer` have issued `cert`, before any signature is checked: its
 * subject is `cert`'s issuer, and their key identifiers, when both are
 * there, agree (RFC 5280 section 4.2.1.1).
 */
function mayHaveIssued(cert: Certificate, issuer: Certificate): boolean {
  if (!equalBytes(cert.issuer, issuer.subject)) return false;
  const aki = cert.authorityKeyIdentifier;
  const ski = issuer.subjectKeyIdentifier;
  return aki === undefined || ski === undefined || equalBytes(aki, ski);
}

function signedBy(cert: Certificate, issuer: Certificate): boolean {
  try {
    return x509Of(cert).verify(publicKeyOf(issuer));
  } catch {
    return false;
  }
}

/**
 * RFC 5280 section 4.2: a critical extension not understood makes the certificate unusable. So does
 * nameConstraints, critical or not (a conforming CA marks it critical, section 4.2.1.10): its
 * constraints are not enforced here, and a path under it must not pass as one that meets them.
 */
function checkCriticalExtensions(cert: Certificate): void {
  if (cert.unhandledCriticalExtensions.length > 0) {
    invalid(
      `${cert.subjectText} has a critical extension this KDC does not process (${cert.unhandledCriticalExtensions.join(', ')})`,
    );
  }
  if (cert.hasNameConstraints) {
    invalid(
      `${cert.subjectText} carries nameConstraints (${NAME_CONSTRAINTS}), which this KDC does not enforce`,
    );
  }
}

/**
 * RFC 5280 sections 4.2.1.3 and 4.2.1.9: an issuer is a CA (basicConstraints
 * cA) whose keyUsage, if any, allows keyCertSign. A trust anchor may also be
 * a v1 self-signed root, which has no extensions (as OpenSSL allows).
 */
function checkIssuer(ca: Certificate, role: string): void {
  const v1Root = ca.version === 1 && equalBytes(ca.issuer, ca.subject);
  if (!ca.isCa && !v1Root) invalid(`${ca.subjectText} signed a certificate but is not a CA (${role})`);
  if (!allowsKeyUsage(ca, KeyUsageBit.keyCertSign)) {
    invalid(`${ca.subjectText} signed a certificate but its keyUsage does not allow keyCertSign (${role})`);
  }
}

function checkTime(cert: Certificate, now: number, role: string): void {
  if (now < cert.notBefore || now > cert.notAfter) {
    invalid(
      `the ${role} certificate ${cert.subjectText} is valid from ${new Date(cert.notBefore).toISOString()} to ${new Date(cert.notAfter).toISOString()}, not now`,
    );
  }
}

/**
 * RFC 5280 section 6.1.4 (l), (m): `ca`, about to sign the top of `below`
 * (the path from the leaf up), allows at most its pathLenConstraint
 * intermediate CA certificates under it; self-issued ones do not count.
 * Checked for the anchor too, as OpenSSL (and so MIT's PKINIT) does.
 */
function checkPathLength(ca: Certificate, below: readonly Certificate[]): void {
  if (ca.pathLenConstraint === undefined) return;
  let intermediates = 0;
  for (let i = 1; i < below.length; i++)
    if (!equalBytes(below[i]!.issuer, below[i]!.subject)) intermediates++;
  if (intermediates > ca.pathLenConstraint) {
    invalid(
      `${ca.subjectText} allows ${ca.pathLenConstraint} intermediate CA certificate${ca.pathLenConstraint === 1 ? '' : 's'} below it (pathLenConstraint), and the path has ${intermediates}`,
    );
  }
}

/**
 * The DER of `cert`'s IssuerAndSerialNumber (RFC 5652 section 10.2.4): how
 * RFC 4556's ExternalPrincipalIdentifier names a certificate.
 */
export function issuerAndSerialNumber(cert: Certificate): Uint8Array {
  return tlv(Tag.SEQUENCE, cert.issuer, cert.serialNumber);
}

/**
 * Checks that `leaf` chains to one of `anchors` (RFC 5280 section 6, the
 * parts a lab needs). Returns the chain from the leaf to the anchor.
 *
 * @throws KerberosError KDC_ERR_CANT_VERIFY_CERTIFICATE when no path leads
 *   to an anchor; KDC_ERR_INVALID_CERTIFICATE when a certificate on the
 *   path is outside its validity, has a critical extension not handled
 *   here, an issuer is not a CA or may not sign certificates, or a CA's
 *   pathLenConstraint is exceeded.
 */
export function verifyCertificatePath(leaf: Certificate, options: PathOptions): Certificate[] {
  const max = options.maxDepth ?? 5;
  const chain: Certificate[] = [leaf];
  checkTime(leaf, options.now, options.role ?? 'client');
  checkCriticalExtensions(leaf);
  let cur = leaf;
  for (let depth = 0; depth <= max; depth++) {
    // The realm's own anchors are few and trusted: each that may have issued `cur` is tried.
    const anchor = options.anchors.find((a) => mayHaveIssued(cur, a) && signedBy(cur, a));
    if (anchor !== undefined) {
      checkIssuer(anchor, 'trust anchor');
      checkCriticalExtensions(anchor);
      checkTime(anchor, options.now, 'CA');
      checkPathLength(anchor, chain);
      chain.push(anchor);
      return chain;
    }
    const candidates = (options.intermediates ?? []).filter(
      (c) => c !== cur && !chain.includes(c) && mayHaveIssued(cur, c),
    );
    const next = candidates.slice(0, SIGNATURE_CHECKS_PER_LEVEL).find((c) => signedBy(cur, c));
    if (next === undefined) break;
    checkIssuer(next, 'intermediate CA');
    checkCriticalExtensions(next);
    checkTime(next, options.now, 'intermediate CA');
    checkPathLength(next, chain);
    chain.push(next);
    cur = next;
  }
  throw new KerberosError(
    ErrorCode.KDC_ERR_CANT_VERIFY_CERTIFICATE,
    `the certificate ${leaf.subjectText} does not chain to a trusted CA`,
  );
}
