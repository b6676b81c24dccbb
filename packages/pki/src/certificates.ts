/**
 * Test certificates: a self-signed CA and the certificates it issues, as PEM,
 * for the two places krbsim needs X.509. A KDC proxy (MS-KKDCP) runs over
 * real TLS on loopback and MIT krb5 trusts it through `http_anchors`
 * ({@link issueServerCertificate}); a PKINIT realm has a KDC certificate
 * ({@link issuePkinitKdcCertificate}) and its users client certificates
 * ({@link issuePkinitClientCertificate}) that MIT's `kinit -X` and krbsim's
 * client present, trusted through `pkinit_anchors`.
 *
 * X.509 v3 (RFC 5280) built with pkijs over WebCrypto: ECDSA P-256 keys by
 * default for TLS, RSA-2048 for PKINIT (what every PKINIT implementation
 * accepts), SHA-256 signatures. The CA carries basicConstraints cA
 * (critical), keyUsage keyCertSign/cRLSign (critical) and a
 * subjectKeyIdentifier; a leaf carries basicConstraints cA=false, keyUsage
 * digitalSignature (plus keyEncipherment for RSA), its extendedKeyUsage,
 * subjectAltName, and subject/authority key identifiers. PKINIT names go in
 * the subjectAltName as RFC 4556 section 3.2.2's id-pkinit-san otherName
 * (a KRB5PrincipalName), and as Microsoft's UPN otherName on request.
 *
 * Serial numbers come from the injected {@link RandomSource} and validity
 * dates from the injected {@link Clock}; the key pairs come from WebCrypto
 * and are therefore fresh on every call.
 *
 * pkijs is an ES module and is loaded on first use, so importing this
 * package (or `@krbsim/transport`, `@krbsim/kdc`, `@krbsim/client`) never
 * loads it: only issuing a certificate does.
 *
 * @module
 */

import type { webcrypto } from 'node:crypto';
import { encodeKrb5PrincipalName, NameType, PkinitOid } from '@krbsim/asn1';
import {
  type Clock,
  ErrorCode,
  ipAddressBytes,
  KerberosError,
  type RandomSource,
  systemClock,
  systemRandom,
} from '@krbsim/core';
import { MicrosoftOid, SID_URL_PREFIX } from './x509';

/**
 * A certificate and its private key, both PEM (`CERTIFICATE`, PKCS #8 `PRIVATE KEY`). The ones this
 * module issues keep `keyPem` readable but not enumerable, and `util.inspect` and `JSON.stringify`
 * show `'<redacted>'` for it: a certificate that is logged or printed shows no private key, and a
 * spread copy (`{ ...cert }`) leaves it out (pass `keyPem` on by name).
 */
export interface PemCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** A PemCertificate whose private key is there to read (`.keyPem`) but not to print (see {@link PemCertificate}). */
function pemCertificate(certPem: string, keyPem: string): PemCertificate {
  const printed = () => ({ certPem, keyPem: '<redacted>' });
  const cert = { certPem } as PemCertificate;
  Object.defineProperties(cert, {
    keyPem: { value: keyPem, enumerable: false },
    toJSON: { value: printed, enumerable: false },
    [INSPECT]: {
      value: (_depth: number, options: object, inspect: (v: unknown, o: object) => string) =>
        inspect(printed(), options),
      enumerable: false,
    },
  });
  return cert;
}

/** The key type of a generated certificate. */
export type CertificateKeyType = 'ecdsa-p256' | 'rsa-2048';

/** Options for {@link createSelfSignedCa}. */
export interface CreateCaOptions {
  /** The CA's subject (and issuer) common name. */
  readonly commonName: string;
  /** notBefore is `clock.now()` less {@link CERTIFICATE_BACKDATE_MS}; default the system clock. */
  readonly clock?: Clock;
  /** Validity from `clock.now()` (default 365). */
  readonly validityDays?: number;
  /** Serial number source (default the system CSPRNG). */
  readonly random?: RandomSource;
  /** Default `'ecdsa-p256'`. */
  readonly keyType?: CertificateKeyType;
  /**
   * basicConstraints pathLenConstraint: how many intermediate CAs may stand
   * between this CA and a leaf (default 0: it signs leaves only).
   */
  readonly pathLenConstraint?: number;
}

/** Options for {@link issueServerCertificate}. */
export interface IssueServerCertificateOptions {
  /** Subject common name (default the first DNS name, else the first IP address). */
  readonly commonName?: string;
  /** subjectAltName dNSName entries (default `['localhost']`). */
  readonly dnsNames?: readonly string[];
  /** subjectAltName iPAddress entries, IPv4 or IPv6 (default `['127.0.0.1']`). */
  readonly ipAddresses?: readonly string[];
  readonly clock?: Clock;
  /** Validity from `clock.now()` (default 365), never past the CA's own notAfter. */
  readonly validityDays?: number;
  readonly random?: RandomSource;
  /** Default `'ecdsa-p256'`. */
  readonly keyType?: CertificateKeyType;
}

/** How far before `clock.now()` a certificate's notBefore lies, for peers whose clocks lag (5 minutes). */
export const CERTIFICATE_BACKDATE_MS = 5 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

const OID = {
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  ecPublicKey: '1.2.840.10045.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
} as const;

/** keyUsage bits (RFC 5280 section 4.2.1.3), as bit positions. */
const KU = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

type Pkijs = typeof import('pkijs');
type Asn1js = typeof import('asn1js');
interface Lib {
  readonly pkijs: Pkijs;
  readonly asn1js: Asn1js;
  readonly engine: InstanceType<Pkijs['CryptoEngine']>;
  readonly subtle: webcrypto.SubtleCrypto;
}

let lib: Promise<Lib> | undefined;

/**
 * pkijs with a WebCrypto engine of its own (the global pkijs engine is left
 * alone). pkijs and asn1js are optional peer dependencies: only issuing a
 * certificate needs them, so a user of the in-process lab who never does
 * installs neither; one who does and lacks them is told what to install.
 */
function loadLib(): Promise<Lib> {
  lib ??= (async () => {
    const [pkijs, asn1js] = await Promise.all([import('pkijs'), import('asn1js')]).catch((e: unknown) => {
      lib = undefined; // so that a later call, after the install, tries again
      throw new Error(
        'issuing a certificate (a KDC proxy, TDS listener or PKINIT certificate) needs pkijs and asn1js, ' +
          'optional peer dependencies of @krbsim/pki: npm i pkijs asn1js',
        { cause: e },
      );
    });
    const crypto = globalThis.crypto;
    const engine = new pkijs.CryptoEngine({ name: 'krbsim-webcrypto', crypto });
    return { pkijs, asn1js, engine, subtle: crypto.subtle };
  })();
  return lib;
}

function keyAlgorithm(type: CertificateKeyType): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams {
  return type === 'rsa-2048'
    ? {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 2048,
        publicExponent: Uint8Array.of(1, 0, 1),
        hash: 'SHA-256',
      }
    : { name: 'ECDSA', namedCurve: 'P-256' };
}

/** A fresh key pair and a v3 certificate with its serial number and subject set, for a CA or a leaf. */
async function newCertificate(
  l: Lib,
  options: {
    readonly commonName: string;
    readonly keyType?: CertificateKeyType;
    readonly clock?: Clock;
    readonly random?: RandomSource;
  },
): Promise<{ keys: webcrypto.CryptoKeyPair; now: number; cert: InstanceType<Pkijs['Certificate']> }> {
  const keys = (await l.subtle.generateKey(keyAlgorithm(options.keyType ?? 'ecdsa-p256'), true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const now = (options.clock ?? systemClock).now();
  const cert = new l.pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = serialNumber(l, options.random ?? systemRandom);
  setName(l, cert.subject, options.commonName);
  return { keys, now, cert };
}

/**
 * A self-signed CA for KDC proxy certificates.
 *
 * @example
 * ```ts
 * const ca = await createSelfSignedCa({ commonName: 'krbsim test CA' });
 * const server = await issueServerCertificate(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
 * // krb5.conf: http_anchors = FILE:/path/to/ca.pem (ca.certPem)
 * ```
 */
export async function createSelfSignedCa(options: CreateCaOptions): Promise<PemCertificate> {
  const pathLenConstraint = options.pathLenConstraint ?? 0;
  if (!Number.isSafeInteger(pathLenConstraint) || pathLenConstraint < 0) {
    invalid(`a CA's pathLenConstraint must be a non-negative integer, got ${pathLenConstraint}`);
  }
  const l = await loadLib();
  const { keys, now, cert } = await newCertificate(l, options);
  setName(l, cert.issuer, options.commonName);
  setValidity(l, cert, now - CERTIFICATE_BACKDATE_MS, now + days(options.validityDays ?? 365));
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey, l.engine);
  const ski = await keyIdentifier(l, cert);
  cert.extensions = [
    extension(l, OID.basicConstraints, true, new l.pkijs.BasicConstraints({ cA: true, pathLenConstraint })),
    bitsExtension(l, OID.keyUsage, true, [KU.digitalSignature, KU.keyCertSign, KU.cRLSign]),
    rawExtension(l, OID.subjectKeyIdentifier, false, new l.asn1js.OctetString({ valueHex: ski })),
  ];
  await cert.sign(keys.privateKey, 'SHA-256', l.engine);
  return pemCertificate(certificatePem(cert), await privateKeyPem(l, keys.privateKey));
}

/**
 * A TLS server certificate signed by `ca` (from {@link createSelfSignedCa}),
 * for `serveKdcProxy`'s `cert` and `key`.
 *
 * @throws KerberosError (KRB_ERR_GENERIC) for an unparsable CA, an invalid IP
 *   address, or no subject names at all.
 */
export async function issueServerCertificate(
  ca: PemCertificate,
  options: IssueServerCertificateOptions = {},
): Promise<PemCertificate> {
  const dnsNames = options.dnsNames ?? ['localhost'];
  const ipAddresses = options.ipAddresses ?? ['127.0.0.1'];
  const commonName = options.commonName ?? dnsNames[0] ?? ipAddresses[0];
  if (commonName === undefined) invalid('a server certificate needs a DNS name or an IP address');
  const altNames = [...dnsNames.map(dnsName), ...ipAddresses.map((ip) => tagged(0x87, ipAddressBytes(ip)))];
  return issueLeaf(ca, { ...options, commonName, altNames, purposes: [OID.serverAuth] });
}

/** Options for {@link issuePkinitKdcCertificate}. */
export interface IssuePkinitKdcCertificateOptions {
  /** The realm whose krbtgt/REALM@REALM the certificate names. */
  readonly realm: string;
  /** Subject common name (default `KDC <realm>`). */
  readonly commonName?: string;
  /** subjectAltName dNSName entries too (for MIT's `pkinit_kdc_hostname`). */
  readonly dnsNames?: readonly string[];
  /**
   * Name krbtgt/REALM@REALM in an id-pkinit-san otherName (default true). A
   * Windows domain controller's certificate has none, only dNSNames (the
   * domain's, the DC's: MS-PKCA 3.1.5.1): `false` with `dnsNames` issues one
   * like it.
   */
  readonly pkinitSan?: boolean;
  readonly clock?: Clock;
  readonly validityDays?: number;
  readonly random?: RandomSource;
  /** Default `'rsa-2048'`. */
  readonly keyType?: CertificateKeyType;
}

/**
 * A PKINIT KDC certificate signed by `ca` (RFC 4556 section 3.2.4):
 * extendedKeyUsage id-pkinit-KPKdc and a subjectAltName id-pkinit-san
 * naming krbtgt/REALM@REALM, which is what MIT's client checks by default.
 */
export async function issuePkinitKdcCertificate(
  ca: PemCertificate,
  options: IssuePkinitKdcCertificateOptions,
): Promise<PemCertificate> {
  const { realm } = options;
  if (realm.length === 0) invalid('a PKINIT KDC certificate needs a realm');
  const san = options.pkinitSan === false ? [] : [pkinitSan(realm, NameType.NT_SRV_INST, ['krbtgt', realm])];
  return issueLeaf(ca, {
    ...options,
    keyType: options.keyType ?? 'rsa-2048',
    commonName: options.commonName ?? `KDC ${realm}`.slice(0, 64),
    altNames: [...san, ...(options.dnsNames ?? []).map(dnsName)],
    purposes: [PkinitOid.id_pkinit_KPKdc],
  });
}

/** Which extended key usages a PKINIT client certificate carries. */
export type PkinitClientPurpose = 'pkinit' | 'smartcard-logon' | 'client-auth';

/** Options for {@link issuePkinitClientCertificate}. */
export interface IssuePkinitClientCertificateOptions {
  /** The client principal, without realm (`alice`, `host/pc1.contoso.com`). */
  readonly principal: string;
  readonly realm: string;
  /**
   * Put the principal in an id-pkinit-san otherName (default true). Without
   * it the KDC maps the certificate through its table or the UPN.
   */
  readonly pkinitSan?: boolean;
  /** A Microsoft UPN otherName (`alice@contoso.com`), as AD's smart card certificates carry. */
  readonly upn?: string;
  /** dNSName entries, as a Windows computer's certificate names it (`sql02.corp.contoso.com`, MS-PKCA 3.1.5.2.1). */
  readonly dnsNames?: readonly string[];
  /**
   * The account's SID in szOID_NTDS_CA_SECURITY_EXT (MS-WCCE 2.2.2.7.7.4), as AD CS writes it since
   * KB5014754: the strong mapping an `active-directory` realm checks (MS-PKCA 3.1.5.2.1.6), and which
   * its Full Enforcement needs of a certificate that maps by UPN or dNSName (3.1.5.2.1.5).
   */
  readonly sid?: string;
  /**
   * The account's SID, written as a subjectAltName URL `tag:microsoft.com,2022-09-14:sid:<SID>`
   * (`SID_URL_PREFIX`; KB5014754): a strong mapping as `sid` is.
   */
  readonly sidUrl?: string;
  /** The extended key usages (default `['pkinit']`: id-pkinit-KPClientAuth). */
  readonly purposes?: readonly PkinitClientPurpose[];
  /** Subject common name (default the principal). */
  readonly commonName?: string;
  readonly clock?: Clock;
  readonly validityDays?: number;
  readonly random?: RandomSource;
  /** Default `'rsa-2048'`. */
  readonly keyType?: CertificateKeyType;
}

const PURPOSE_OIDS: Readonly<Record<PkinitClientPurpose, string>> = {
  pkinit: PkinitOid.id_pkinit_KPClientAuth,
  'smartcard-logon': PkinitOid.id_ms_kp_sc_logon,
  'client-auth': OID.clientAuth,
};

/**
 * A PKINIT client certificate signed by `ca` (RFC 4556 section 3.2.2 and
 * 3.2.4): extendedKeyUsage id-pkinit-KPClientAuth (or as `purposes` says)
 * and the principal as an id-pkinit-san otherName.
 */
export async function issuePkinitClientCertificate(
  ca: PemCertificate,
  options: IssuePkinitClientCertificateOptions,
): Promise<PemCertificate> {
  const components = options.principal.split('/');
  if (options.principal.length === 0 || components.some((c) => c.length === 0)) {
    invalid(`${JSON.stringify(options.principal)} is not a principal name`);
  }
  const altNames: Uint8Array[] = [];
  if (options.pkinitSan !== false) {
    const type = components.length > 1 ? NameType.NT_SRV_INST : NameType.NT_PRINCIPAL;
    altNames.push(pkinitSan(options.realm, type, components));
  }
  if (options.upn !== undefined) {
    altNames.push(otherName(PkinitOid.id_ms_san_upn, tagged(0x0c, new TextEncoder().encode(options.upn))));
  }
  for (const name of options.dnsNames ?? []) altNames.push(dnsName(name));
  if (options.sidUrl !== undefined) {
    // uniformResourceIdentifier [6] IA5String, implicitly tagged.
    altNames.push(tagged(0x86, ia5(`${SID_URL_PREFIX}${options.sidUrl}`)));
  }
  return issueLeaf(ca, {
    ...options,
    keyType: options.keyType ?? 'rsa-2048',
    commonName: options.commonName ?? options.principal.slice(0, 64),
    altNames,
    purposes: (options.purposes ?? ['pkinit']).map((p) => PURPOSE_OIDS[p]),
    ...(options.sid !== undefined && {
      // GeneralNames { otherName { szOID_NTDS_OBJECTSID, [0] EXPLICIT OCTET STRING "<SID>" } }, non-critical.
      extra: [
        {
          id: MicrosoftOid.szOID_NTDS_CA_SECURITY_EXT,
          value: tagged(0x30, otherName(MicrosoftOid.szOID_NTDS_OBJECTSID, tagged(0x04, ia5(options.sid)))),
        },
      ],
    }),
  });
}

interface LeafOptions {
  readonly commonName: string;
  /** GeneralName DER values for the subjectAltName (none: no extension). */
  readonly altNames: readonly Uint8Array[];
  /** extendedKeyUsage key purposes (none: no extension). */
  readonly purposes: readonly string[];
  /** Further non-critical extensions, their extnValue as ready DER. */
  readonly extra?: readonly { readonly id: string; readonly value: Uint8Array }[];
  readonly clock?: Clock;
  readonly validityDays?: number;
  readonly random?: RandomSource;
  readonly keyType?: CertificateKeyType;
}

async function issueLeaf(ca: PemCertificate, options: LeafOptions): Promise<PemCertificate> {
  const l = await loadLib();
  const caCert = parseCertificate(l, ca.certPem);
  const caKey = await importCaKey(l, caCert, ca.keyPem);
  const caSki = await keyIdentifier(l, caCert);

  const keyType = options.keyType ?? 'ecdsa-p256';
  const { keys, now, cert } = await newCertificate(l, options);
  cert.issuer = caCert.subject;
  const caNotAfter = caCert.notAfter.value.getTime();
  const notBefore = now - CERTIFICATE_BACKDATE_MS;
  const notAfter = Math.min(now + days(options.validityDays ?? 365), caNotAfter);
  if (notAfter <= notBefore) {
    // Clamped to the CA's end, the certificate would end before it begins.
    throw new RangeError(
      `the CA's certificate ended ${new Date(caNotAfter).toISOString()}: it issues no certificate valid now`,
    );
  }
  setValidity(l, cert, notBefore, notAfter);
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey, l.engine);
  const ski = await keyIdentifier(l, cert);
  const usage = keyType === 'rsa-2048' ? [KU.digitalSignature, KU.keyEncipherment] : [KU.digitalSignature];
  cert.extensions = [
    extension(l, OID.basicConstraints, true, new l.pkijs.BasicConstraints({ cA: false })),
    bitsExtension(l, OID.keyUsage, true, usage),
    ...(options.purposes.length > 0
      ? [
          extension(
            l,
            OID.extKeyUsage,
            false,
            new l.pkijs.ExtKeyUsage({ keyPurposes: [...options.purposes] }),
          ),
        ]
      : []),
    ...(options.altNames.length > 0
      ? [rawExtension(l, OID.subjectAltName, false, derValue(tagged(0x30, ...options.altNames)))]
      : []),
    rawExtension(l, OID.subjectKeyIdentifier, false, new l.asn1js.OctetString({ valueHex: ski })),
    extension(
      l,
      OID.authorityKeyIdentifier,
      false,
      new l.pkijs.AuthorityKeyIdentifier({ keyIdentifier: new l.asn1js.OctetString({ valueHex: caSki }) }),
    ),
    ...(options.extra ?? []).map((e) => rawExtension(l, e.id, false, derValue(e.value))),
  ];
  await cert.sign(caKey, 'SHA-256', l.engine);
  return pemCertificate(certificatePem(cert), await privateKeyPem(l, keys.privateKey));
}

/** A DER TLV with a one-octet tag around `parts`. */
function tagged(tag: number, ...parts: readonly Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  if (n > 0xffff) throw new RangeError(`a DER value of ${n} bytes: more than this encoder writes (65,535)`);
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  const out = new Uint8Array(1 + len.length + n);
  out[0] = tag;
  out.set(len, 1);
  let p = 1 + len.length;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

/** The octets of an IA5String (ASCII) value. */
function ia5(text: string): Uint8Array {
  if (!/^[\x20-\x7e]+$/.test(text)) invalid(`${JSON.stringify(text)} is not printable ASCII`);
  return new TextEncoder().encode(text);
}

/** GeneralName dNSName `[2] IA5String`. */
function dnsName(name: string): Uint8Array {
  if (!/^[\x21-\x7e]+$/.test(name)) invalid(`${JSON.stringify(name)} is not a DNS name`);
  return tagged(0x82, new TextEncoder().encode(name));
}

/** GeneralName otherName `[0] { type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY }`. */
function otherName(typeId: string, value: Uint8Array): Uint8Array {
  return tagged(0xa0, oidDer(typeId), tagged(0xa0, value));
}

/** The id-pkinit-san otherName for `components@realm` (RFC 4556 section 3.2.2). */
function pkinitSan(realm: string, nameType: number, components: readonly string[]): Uint8Array {
  const krb5PrincipalName = encodeKrb5PrincipalName({
    realm,
    principalName: { nameType, nameString: [...components] },
  });
  return otherName(PkinitOid.id_pkinit_san, krb5PrincipalName.slice());
}

function oidDer(text: string): Uint8Array {
  const arcs = text.split('.').map(Number);
  const out: number[] = [];
  for (const v of [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)]) {
    const enc = [v & 0x7f];
    for (let a = v >>> 7; a > 0; a >>>= 7) enc.unshift(0x80 | (a & 0x7f));
    out.push(...enc);
  }
  return tagged(0x06, Uint8Array.from(out));
}

/** An extension value given as ready DER. */
function derValue(der: Uint8Array): { toBER(): ArrayBuffer } {
  return { toBER: () => der.slice().buffer };
}

function days(n: number): number {
  if (!Number.isFinite(n) || n <= 0) invalid(`validityDays must be a positive number, not ${n}`);
  return n * DAY_MS;
}

/** A positive 127-bit serial (RFC 5280 section 4.1.2.2: at most 20 octets, positive). */
function serialNumber(l: Lib, random: RandomSource) {
  const b = random.fill(new Uint8Array(16));
  b[0] = b[0]! & 0x7f || 0x01;
  return new l.asn1js.Integer({ valueHex: b });
}

function setName(l: Lib, name: InstanceType<Pkijs['RelativeDistinguishedNames']>, commonName: string): void {
  if (commonName.length === 0 || commonName.length > 64) invalid('a common name has 1 to 64 characters');
  name.typesAndValues.push(
    new l.pkijs.AttributeTypeAndValue({
      type: OID.commonName,
      value: new l.asn1js.Utf8String({ value: commonName }),
    }),
  );
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 section 4.1.2.5); whole seconds. */
function setValidity(l: Lib, cert: InstanceType<Pkijs['Certificate']>, from: number, to: number): void {
  const time = (ms: number) => {
    const value = new Date(Math.floor(ms / 1000) * 1000);
    const type = value.getUTCFullYear() < 2050 ? l.pkijs.TimeType.UTCTime : l.pkijs.TimeType.GeneralizedTime;
    return new l.pkijs.Time({ type, value });
  };
  cert.notBefore = time(from);
  cert.notAfter = time(to);
}

/** RFC 5280 section 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits. */
async function keyIdentifier(l: Lib, cert: InstanceType<Pkijs['Certificate']>): Promise<ArrayBuffer> {
  const bits = cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
  return l.subtle.digest('SHA-1', bits.slice());
}

function extension(
  l: Lib,
  extnID: string,
  critical: boolean,
  value: { toSchema(): { toBER(): ArrayBuffer } },
) {
  return new l.pkijs.Extension({ extnID, critical, extnValue: value.toSchema().toBER() });
}

function rawExtension(l: Lib, extnID: string, critical: boolean, value: { toBER(): ArrayBuffer }) {
  return new l.pkijs.Extension({ extnID, critical, extnValue: value.toBER() });
}

/** A named-bit BIT STRING in DER: trailing zero bits dropped (X.690 section 11.2.2). */
function bitsExtension(l: Lib, extnID: string, critical: boolean, bits: readonly number[]) {
  const top = Math.max(...bits);
  const bytes = new Uint8Array((top >> 3) + 1);
  for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b & 7);
  const unusedBits = 7 - (top & 7);
  return rawExtension(l, extnID, critical, new l.asn1js.BitString({ valueHex: bytes, unusedBits }));
}

function parseCertificate(l: Lib, pem: string): InstanceType<Pkijs['Certificate']> {
  try {
    return l.pkijs.Certificate.fromBER(pemBody(pem, 'CERTIFICATE'));
  } catch (e) {
    return invalid(`the CA certificate cannot be parsed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The CA's PKCS #8 key, imported for the algorithm its certificate names. */
async function importCaKey(
  l: Lib,
  caCert: InstanceType<Pkijs['Certificate']>,
  pem: string,
): Promise<webcrypto.CryptoKey> {
  const alg = caCert.subjectPublicKeyInfo.algorithm.algorithmId;
  const params =
    alg === OID.ecPublicKey
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : alg === OID.rsaEncryption
        ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
        : invalid(`the CA key algorithm ${alg} is not supported`);
  try {
    return await l.subtle.importKey('pkcs8', pemBody(pem, 'PRIVATE KEY'), params, false, ['sign']);
  } catch (e) {
    return invalid(`the CA private key cannot be imported: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function certificatePem(cert: InstanceType<Pkijs['Certificate']>): string {
  return pem('CERTIFICATE', new Uint8Array(cert.toSchema().toBER()));
}

async function privateKeyPem(l: Lib, key: webcrypto.CryptoKey): Promise<string> {
  return pem('PRIVATE KEY', new Uint8Array(await l.subtle.exportKey('pkcs8', key)));
}

function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function pemBody(text: string, label: string): Uint8Array {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(text);
  if (m === null) return invalid(`no PEM ${label} block`);
  return new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}

function invalid(message: string): never {
  throw new KerberosError(ErrorCode.KRB_ERR_GENERIC, message);
}
