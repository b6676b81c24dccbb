/**
 * X.509 certificates built by hand for tests of certificate checks: any
 * extension, critical or not, any key usage, a v1 certificate, an issuer
 * that should not be one. Keys are ECDSA P-256 (fast to make); the signature
 * is the issuer key's (ecdsa-with-SHA256, or sha256WithRSAEncryption under an
 * RSA CA), made with `node:crypto`; nothing is checked,
 * so a test can build exactly the certificate a rule must refuse.
 *
 * @module
 */

import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { encodeKrb5PrincipalName, NameType, PkinitOid } from '@krbsim/asn1';
import { parseTlvs, serializeTlvs } from '../der/tlv';
import { derInt, derOid, derSeq, tlv } from '../der/write';

/** A certificate and its private key, in PEM (the shape `@krbsim/pki` issues). */
export interface HandMadeCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  readonly der: Uint8Array;
}

/** What {@link handMadeCertificate} builds. */
export interface HandMadeCertificateOptions {
  /** The subject's common name. */
  readonly subject: string;
  /** The issuer (PEM certificate and key); self-signed when absent. */
  readonly issuer?: { readonly certPem: string; readonly keyPem: string };
  /** Extensions, from {@link certificateExtension} and the helpers beside it (none for a v1 certificate). */
  readonly extensions?: readonly Uint8Array[];
  /** Validity, ms since the epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** 3 (default) or 1: a v1 certificate has no version field and no extensions. */
  readonly version?: 1 | 3;
  /** The serial number (default 1). */
  readonly serial?: number;
  /**
   * A subjectPublicKeyInfo (DER) to put in place of the new key's: for keys a
   * rule must refuse. The returned `keyPem` then does not match it.
   */
  readonly subjectPublicKeyInfo?: Uint8Array;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const ECDSA_SHA256 = derSeq(derOid('1.2.840.10045.4.3.2'));
const RSA_SHA256 = derSeq(derOid('1.2.840.113549.1.1.11'), Uint8Array.of(0x05, 0));

/** `Name` with one CN. */
function name(cn: string): Uint8Array {
  return derSeq(tlv(0x31, derSeq(derOid('2.5.4.3'), tlv(0x0c, utf8(cn)))));
}

/** GeneralizedTime, whole seconds (RFC 5280 allows it for any year). */
function time(ms: number): Uint8Array {
  return tlv(0x18, utf8(`${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`));
}

/** The subject Name's DER of a PEM certificate (tbsCertificate's subject). */
function subjectOf(certPem: string): Uint8Array {
  const tbs = parseTlvs(pemDer(certPem))?.[0]?.children?.[0]?.children;
  if (tbs === undefined) throw new TypeError('handMadeCertificate: the issuer is not a certificate');
  // version [0] is there in v3; then serialNumber, signature, issuer, validity, subject.
  return serializeTlvs([tbs[tbs[0]!.tag[0] === 0xa0 ? 5 : 4]!]);
}

function pemDer(pem: string): Uint8Array {
  const b64 = /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/.exec(pem)?.[1];
  if (b64 === undefined) throw new TypeError('handMadeCertificate: no PEM CERTIFICATE in the issuer');
  return new Uint8Array(Buffer.from(b64.replace(/\s+/g, ''), 'base64'));
}

function pem(der: Uint8Array): string {
  const lines = Buffer.from(der)
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN CERTIFICATE-----\n${lines}\n-----END CERTIFICATE-----\n`;
}

/** A certificate as `options` say, signed by its issuer's key (or its own). */
export function handMadeCertificate(options: HandMadeCertificateOptions): HandMadeCertificate {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const spki =
    options.subjectPublicKeyInfo ?? new Uint8Array(keys.publicKey.export({ type: 'spki', format: 'der' }));
  const issuerName = options.issuer === undefined ? name(options.subject) : subjectOf(options.issuer.certPem);
  const signingKey = createPrivateKey(options.issuer?.keyPem ?? keyPem);
  // The signature algorithm of the issuer's key: an RSA CA signs sha256WithRSAEncryption.
  const algorithm = signingKey.asymmetricKeyType === 'rsa' ? RSA_SHA256 : ECDSA_SHA256;
  const v3 = (options.version ?? 3) === 3;
  const tbs = derSeq(
    ...(v3 ? [tlv(0xa0, derInt(2))] : []),
    derInt(options.serial ?? 1),
    algorithm,
    issuerName,
    derSeq(time(options.notBefore), time(options.notAfter)),
    name(options.subject),
    spki,
    ...(v3 && (options.extensions?.length ?? 0) > 0 ? [tlv(0xa3, derSeq(...options.extensions!))] : []),
  );
  const signature = new Uint8Array(sign('sha256', tbs, signingKey));
  const der = derSeq(tbs, algorithm, tlv(0x03, Uint8Array.of(0), signature));
  return { der, certPem: pem(der), keyPem };
}

/** An Extension: `extnID`, `critical` when true, `extnValue` wrapping `value`. */
export function certificateExtension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return derSeq(derOid(id), ...(critical ? [tlv(0x01, Uint8Array.of(0xff))] : []), tlv(0x04, value));
}

/** keyUsage (critical) with the bits at `positions` (RFC 5280 section 4.2.1.3: 0 digitalSignature, 5 keyCertSign...). */
export function keyUsageExtension(...positions: readonly number[]): Uint8Array {
  const top = Math.max(0, ...positions);
  const bytes = new Uint8Array((top >> 3) + 1);
  for (const p of positions) bytes[p >> 3]! |= 0x80 >> (p & 7);
  return certificateExtension('2.5.29.15', true, tlv(0x03, Uint8Array.of(7 - (top & 7)), bytes));
}

/** basicConstraints (critical): `cA` as given. */
export function basicConstraintsExtension(ca: boolean): Uint8Array {
  return certificateExtension('2.5.29.19', true, ca ? derSeq(tlv(0x01, Uint8Array.of(0xff))) : derSeq());
}

/** extendedKeyUsage with these key purposes. */
export function extKeyUsageExtension(...purposes: readonly string[]): Uint8Array {
  return certificateExtension(PkinitOid.extKeyUsage, false, derSeq(...purposes.map(derOid)));
}

/** subjectAltName with one id-pkinit-san otherName: `components@realm` (RFC 4556 section 3.2.2). */
export function pkinitSanExtension(realm: string, ...components: readonly string[]): Uint8Array {
  const principal = encodeKrb5PrincipalName({
    realm,
    principalName: {
      nameType: components.length > 1 ? NameType.NT_SRV_INST : NameType.NT_PRINCIPAL,
      nameString: [...components],
    },
  });
  return certificateExtension(
    PkinitOid.subjectAltName,
    false,
    derSeq(tlv(0xa0, derOid(PkinitOid.id_pkinit_san), tlv(0xa0, principal))),
  );
}
