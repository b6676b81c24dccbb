/**
 * CMS SignedData (RFC 5652 section 5) as PKINIT uses it (RFC 4556 section
 * 3.2.1 and 3.2.3): one signer, identified by issuer and serial number,
 * signed attributes contentType and messageDigest, the signer's
 * certificate (and its CAs) in `certificates`. The client signs its AuthPack
 * (id-pkinit-authData), the KDC its KDCDHKeyInfo (id-pkinit-DHKeyData).
 *
 * Signing and verifying are synchronous (`node:crypto`), RSA PKCS #1 v1.5 or
 * ECDSA, with SHA-256 by default and SHA-1/384/512 accepted.
 *
 * @module
 */

import { createHash, createPrivateKey, type KeyObject, sign, verify } from 'node:crypto';
import { isAsn1Error, PkinitOid } from '@krbsim/asn1';
import { ErrorCode, equalBytes, isKerberosError, KerberosError } from '@krbsim/core';
import {
  algorithm,
  children,
  ctx,
  expectTag,
  NULL,
  octets,
  oid,
  oidOf,
  readOne,
  seq,
  setOf,
  smallInt,
  Tag,
  type Tlv,
  tlv,
} from './der';
import { type Certificate, parseCertificate, pemBlocks, publicKeyOf } from './x509';

/** Digest names `node:crypto` knows, by digest algorithm OID. */
const DIGESTS: Readonly<Record<string, string>> = {
  [PkinitOid.id_sha1]: 'sha1',
  [PkinitOid.id_sha256]: 'sha256',
  [PkinitOid.id_sha384]: 'sha384',
  [PkinitOid.id_sha512]: 'sha512',
};

/**
 * The `node:crypto` digest an AlgorithmIdentifier (DER) names: SHA-1, SHA-256, SHA-384 or SHA-512;
 * undefined for another algorithm or what does not parse as one. For MS-PKCA's paChecksum2.
 */
export function digestOfAlgorithm(algorithmIdentifier: Uint8Array): string | undefined {
  try {
    const [id] = children(readOne(algorithmIdentifier, Tag.SEQUENCE, 'AlgorithmIdentifier'));
    return DIGESTS[oidOf(id, 'AlgorithmIdentifier.algorithm')];
  } catch (e) {
    if (isAsn1Error(e) || isKerberosError(e)) return undefined;
    throw e;
  }
}

/** Signature algorithm OIDs: the digest they imply (undefined: the SignerInfo's digestAlgorithm). */
const SIGNATURES: Readonly<Record<string, string | undefined>> = {
  [PkinitOid.rsaEncryption]: undefined,
  [PkinitOid.sha1WithRSAEncryption]: 'sha1',
  [PkinitOid.sha256WithRSAEncryption]: 'sha256',
  [PkinitOid.sha384WithRSAEncryption]: 'sha384',
  [PkinitOid.sha512WithRSAEncryption]: 'sha512',
  [PkinitOid.ecdsa_with_SHA256]: 'sha256',
  [PkinitOid.ecdsa_with_SHA384]: 'sha384',
  [PkinitOid.ecdsa_with_SHA512]: 'sha512',
};

/**
 * A signer: its certificate, CA certificates to send along, and (held
 * inside, see {@link cmsSigner}) its private key.
 */
export interface CmsSigner {
  readonly certificate: Certificate;
  readonly chain: readonly Certificate[];
}

/** The signers' private keys, out of the public type (no Node types in the declarations). */
const keys = new WeakMap<CmsSigner, KeyObject>();

/**
 * The private key of a signer from {@link cmsSigner} (internal: for signing and decrypting in
 * this package); `caller` names the function for the TypeError a foreign object gets.
 */
export function privateKeyOf(signer: CmsSigner, caller: string): KeyObject {
  const key = keys.get(signer);
  if (key === undefined) throw new TypeError(`${caller}: the signer was not made by cmsSigner`);
  return key;
}

/**
 * A signer from PEM: the certificate (its CA chain may follow it) and its
 * PKCS #8 private key (RSA or EC).
 *
 * @throws KerberosError (KRB_ERR_GENERIC) when either cannot be read.
 */
export function cmsSigner(certificatePem: string, privateKeyPem: string): CmsSigner {
  const [certificate, ...chain] = pemBlocks(certificatePem, 'CERTIFICATE').map(parseCertificate);
  if (certificate === undefined)
    throw new KerberosError(ErrorCode.KRB_ERR_GENERIC, 'no PEM CERTIFICATE block');
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch (e) {
    throw new KerberosError(
      ErrorCode.KRB_ERR_GENERIC,
      'the private key cannot be read (PKCS #8 PEM expected)',
      {
        cause: e,
      },
    );
  }
  const signer: CmsSigner = { certificate, chain };
  keys.set(signer, key);
  return signer;
}

/** What {@link verifySignedData} found. */
export interface VerifiedSignedData {
  /** The eContent that was signed. */
  readonly content: Uint8Array;
  /** The signer's certificate. */
  readonly signer: Certificate;
  /** Every certificate the SignedData carried (the signer's included). */
  readonly certificates: readonly Certificate[];
  /** The digest algorithm the signer used (`sha256`...). */
  readonly digest: string;
}

function malformed(why: string, cause?: unknown): never {
  throw new KerberosError(ErrorCode.KDC_ERR_PREAUTH_FAILED, `malformed CMS SignedData: ${why}`, { cause });
}

const DIGEST_OID: Readonly<Record<string, string>> = {
  sha1: PkinitOid.id_sha1,
  sha256: PkinitOid.id_sha256,
  sha384: PkinitOid.id_sha384,
  sha512: PkinitOid.id_sha512,
};

/**
 * A ContentInfo holding a SignedData over `content` of type `contentType`,
 * signed by `signer` with `digest` (default SHA-256).
 */
export function createSignedData(
  contentType: string,
  content: Uint8Array,
  signer: CmsSigner,
  digest: 'sha1' | 'sha256' | 'sha384' | 'sha512' = 'sha256',
): Uint8Array {
  const digestAlg = algorithm(DIGEST_OID[digest]!, NULL);
  const md = createHash(digest).update(content).digest();
  // Signed attributes (RFC 5652 section 5.3): contentType and messageDigest, a DER SET OF.
  const attrs = [
    seq(oid(PkinitOid.id_contentType), setOf(oid(contentType))),
    seq(oid(PkinitOid.id_messageDigest), setOf(octets(md))),
  ];
  const signedAttrsSet = setOf(...attrs);
  const key = privateKeyOf(signer, 'createSignedData');
  const ec = key.asymmetricKeyType === 'ec';
  // No ECDSA with SHA-1 here: its algorithm (ecdsa-with-SHA1) is not one this package signs or verifies.
  if (ec && digest === 'sha1')
    throw new RangeError('createSignedData: an EC key signs with sha256, sha384 or sha512, not sha1');
  const sigAlg = ec
    ? algorithm(
        digest === 'sha384'
          ? PkinitOid.ecdsa_with_SHA384
          : digest === 'sha512'
            ? PkinitOid.ecdsa_with_SHA512
            : PkinitOid.ecdsa_with_SHA256,
      )
    : algorithm(
        {
          sha1: PkinitOid.sha1WithRSAEncryption,
          sha256: PkinitOid.sha256WithRSAEncryption,
          sha384: PkinitOid.sha384WithRSAEncryption,
          sha512: PkinitOid.sha512WithRSAEncryption,
        }[digest],
        NULL,
      );
  // The signature covers the attributes' DER with the SET tag (section 5.4), sent as [0] IMPLICIT.
  const signature = sign(digest, signedAttrsSet, key);
  const signedAttrs = new Uint8Array(signedAttrsSet);
  signedAttrs[0] = 0xa0;
  const cert = signer.certificate;
  const signerInfo = seq(
    smallInt(1),
    seq(cert.issuer, cert.serialNumber),
    digestAlg,
    signedAttrs,
    sigAlg,
    octets(signature),
  );
  const certs = [cert, ...signer.chain].map((c) => c.der);
  const signedData = seq(
    smallInt(3), // eContentType is not id-data (RFC 5652 section 5.1)
    setOf(digestAlg),
    seq(oid(contentType), ctx(0, octets(content))),
    tlv(0xa0, ...certs), // certificates [0] IMPLICIT CertificateSet
    setOf(signerInfo),
  );
  return seq(oid(PkinitOid.id_signedData), ctx(0, signedData));
}

/**
 * Verifies a ContentInfo holding a SignedData with one signer: the content
 * type is `contentType`, the signer's certificate is among the SignedData's
 * certificates, the signed attributes name the content type and carry its
 * digest, and the signature verifies with the certificate's key. Does not
 * validate the certificate itself (see `verifyCertificatePath`).
 *
 * @throws KerberosError KDC_ERR_PREAUTH_FAILED for a malformed SignedData,
 *   KDC_ERR_CANT_VERIFY_CERTIFICATE when the signer's certificate is not
 *   included, KDC_ERR_INVALID_SIG when the signature or digest is wrong.
 */
export function verifySignedData(contentInfo: Uint8Array, contentType: string): VerifiedSignedData {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(contentInfo, contentType);
  } catch (e) {
    if (isAsn1Error(e)) return malformed(e.message, e);
    throw e;
  }
  const { content, certs, si } = parsed;
  if (si === undefined) return malformed('0 signers, expected one');
  const signer = certs.find((c) => si.sid(c));
  if (signer === undefined) {
    throw new KerberosError(
      ErrorCode.KDC_ERR_CANT_VERIFY_CERTIFICATE,
      'the SignedData does not carry its signer certificate',
    );
  }
  const digest = DIGESTS[si.digestAlg];
  if (digest === undefined) {
    throw new KerberosError(
      ErrorCode.KDC_ERR_DIGEST_IN_SIGNED_DATA_NOT_ACCEPTED,
      `digest ${si.digestAlg} not accepted`,
    );
  }
  if (!(si.sigAlg in SIGNATURES)) {
    throw new KerberosError(ErrorCode.KDC_ERR_INVALID_SIG, `signature algorithm ${si.sigAlg} not supported`);
  }
  const sigDigest = SIGNATURES[si.sigAlg] ?? digest;
  let signedBytes = content;
  if (si.signedAttrs !== undefined) {
    const md = createHash(digest).update(content).digest();
    if (si.messageDigest === undefined || !md.equals(si.messageDigest)) {
      throw new KerberosError(
        ErrorCode.KDC_ERR_INVALID_SIG,
        'the messageDigest attribute does not match the content',
      );
    }
    if (si.contentType !== contentType) {
      throw new KerberosError(ErrorCode.KDC_ERR_INVALID_SIG, 'the contentType attribute does not match');
    }
    signedBytes = si.signedAttrs;
  }
  let ok = false;
  try {
    ok = verify(sigDigest, signedBytes, publicKeyOf(signer), si.signature);
  } catch {
    ok = false;
  }
  if (!ok)
    throw new KerberosError(
      ErrorCode.KDC_ERR_INVALID_SIG,
      `the signature by ${signer.subjectText} does not verify`,
    );
  return { content, signer, certificates: certs, digest };
}

/**
 * The content of an unsigned AuthPack (RFC 8062 section 4.1, anonymous
 * PKINIT), in either form a client sends: a ContentInfo of `contentType`
 * itself around an OCTET STRING (MIT's `kinit -n`), or a SignedData with no
 * signerInfos and no certificates. Throws KDC_ERR_PREAUTH_FAILED when it is
 * malformed, of another content type, or signed after all.
 */
export function readUnsignedData(contentInfo: Uint8Array, contentType: string): Uint8Array {
  let parsed: ReturnType<typeof parse>;
  try {
    const ci = children(readOne(contentInfo, Tag.SEQUENCE, 'ContentInfo'));
    if (oidOf(ci[0], 'contentType') === contentType) {
      return readOne(expectTag(ci[1], 0xa0, 'content').value, Tag.OCTET_STRING, 'content').value;
    }
    parsed = parse(contentInfo, contentType);
  } catch (e) {
    if (isAsn1Error(e)) return malformed(e.message, e);
    throw e;
  }
  if (parsed.si !== undefined || parsed.certs.length > 0) {
    malformed('an anonymous request must carry no signer and no certificate');
  }
  return parsed.content;
}

/**
 * An unsigned SignedData around `content` (RFC 8062 section 4.1): version
 * 3, no digest algorithms, no certificates, no signerInfos, as an anonymous
 * PKINIT client sends its AuthPack.
 */
export function createUnsignedData(contentType: string, content: Uint8Array): Uint8Array {
  const signedData = seq(smallInt(3), setOf(), seq(oid(contentType), ctx(0, octets(content))), setOf());
  return seq(oid(PkinitOid.id_signedData), ctx(0, signedData));
}

interface SignerInfo {
  sid(c: Certificate): boolean;
  digestAlg: string;
  sigAlg: string;
  signature: Uint8Array;
  /** The signed attributes re-tagged as a SET (what was signed). */
  signedAttrs?: Uint8Array;
  contentType?: string;
  messageDigest?: Uint8Array;
}

/**
 * Most certificates a SignedData may carry: the signer's and its CAs (a real
 * client sends a handful). Each costs a parse before anything is trusted, so
 * a peer does not get to send a thousand.
 */
const MAX_CERTIFICATES = 16;

/** RFC 5652 section 5.1: a SignedData's CMSVersion is 1, 3, 4 or 5. */
const SIGNED_DATA_VERSIONS: ReadonlySet<number> = new Set([1, 3, 4, 5]);
/** RFC 5652 section 5.3: 1 with an IssuerAndSerialNumber, 3 with a SubjectKeyIdentifier. */
const SIGNER_INFO_VERSIONS: ReadonlySet<number> = new Set([1, 3]);

/** A CMSVersion (an INTEGER) that `allowed` holds; unsigned, so checked here, as a strict decoder checks every field. */
function cmsVersion(t: Tlv | undefined, what: string, allowed: ReadonlySet<number>): void {
  const v = expectTag(t, Tag.INTEGER, `${what}.version`).value;
  if (v.length !== 1 || !allowed.has(v[0]!)) {
    malformed(`${what}.version is not one of ${[...allowed].join(', ')} (RFC 5652)`);
  }
}

function parse(contentInfo: Uint8Array, contentType: string) {
  const ci = children(readOne(contentInfo, Tag.SEQUENCE, 'ContentInfo'));
  if (oidOf(ci[0], 'contentType') !== PkinitOid.id_signedData) malformed('the ContentInfo is not signedData');
  const sd = children(readOne(expectTag(ci[1], 0xa0, 'content').value, Tag.SEQUENCE, 'SignedData'));
  cmsVersion(sd[0], 'SignedData', SIGNED_DATA_VERSIONS);
  let i = 1;
  expectTag(sd[i++], Tag.SET, 'digestAlgorithms');
  const encap = children(expectTag(sd[i++], Tag.SEQUENCE, 'encapContentInfo'));
  const eType = oidOf(encap[0], 'eContentType');
  if (eType !== contentType) malformed(`content type ${eType}, expected ${contentType}`);
  const content = readOne(expectTag(encap[1], 0xa0, 'eContent').value, Tag.OCTET_STRING, 'eContent').value;
  const certs: Certificate[] = [];
  if (sd[i]?.tag === 0xa0) {
    const set = children(sd[i]!).filter((c) => c.tag === Tag.SEQUENCE);
    if (set.length > MAX_CERTIFICATES) malformed(`${set.length} certificates, more than ${MAX_CERTIFICATES}`);
    for (const c of set) certs.push(parseCertificate(c.der));
    i++;
  }
  if (sd[i]?.tag === 0xa1) i++; // crls
  const infos = children(expectTag(sd[i], Tag.SET, 'signerInfos'));
  if (infos.length > 1) malformed(`${infos.length} signers, expected one`);
  return { content, certs, si: infos[0] === undefined ? undefined : signerInfo(infos[0]) };
}

function signerInfo(t: Tlv): SignerInfo {
  const f = children(expectTag(t, Tag.SEQUENCE, 'SignerInfo'));
  cmsVersion(f[0], 'SignerInfo', SIGNER_INFO_VERSIONS);
  let i = 1;
  const sidT = f[i++];
  if (sidT === undefined) return malformed('the SignerInfo has no SignerIdentifier');
  let sid: (c: Certificate) => boolean;
  if (sidT.tag === Tag.SEQUENCE) {
    const [issuer, serial] = children(sidT);
    if (issuer === undefined || serial === undefined) {
      return malformed('the IssuerAndSerialNumber needs an issuer and a serialNumber');
    }
    sid = (c) => equalBytes(c.issuer, issuer.der) && equalBytes(c.serialNumber, serial.der);
  } else if (sidT.tag === 0x80 || sidT.tag === 0xa0) {
    // [0] IMPLICIT SubjectKeyIdentifier (RFC 5652); Heimdal's client writes it EXPLICIT, around an OCTET STRING.
    const ski =
      sidT.tag === 0x80 ? sidT.value : readOne(sidT.value, Tag.OCTET_STRING, 'subjectKeyIdentifier').value;
    sid = (c) => c.subjectKeyIdentifier !== undefined && equalBytes(c.subjectKeyIdentifier, ski);
  } else return malformed(`unknown SignerIdentifier (tag 0x${sidT.tag.toString(16)})`);
  const digestAlg = oidOf(children(expectTag(f[i++], Tag.SEQUENCE, 'digestAlgorithm'))[0], 'digestAlgorithm');
  const out: SignerInfo = { sid, digestAlg, sigAlg: '', signature: new Uint8Array(0) };
  if (f[i]?.tag === 0xa0) {
    const attrsT = f[i++]!;
    const set = new Uint8Array(attrsT.der);
    set[0] = Tag.SET;
    out.signedAttrs = set;
    for (const a of children(attrsT)) {
      const [typ, vals] = children(a);
      const type = oidOf(typ, 'attrType');
      const v = children(expectTag(vals, Tag.SET, 'attrValues'));
      if (type === PkinitOid.id_contentType) out.contentType = oidOf(v[0], 'contentType');
      if (type === PkinitOid.id_messageDigest)
        out.messageDigest = expectTag(v[0], Tag.OCTET_STRING, 'messageDigest').value;
    }
  }
  out.sigAlg = oidOf(
    children(expectTag(f[i++], Tag.SEQUENCE, 'signatureAlgorithm'))[0],
    'signatureAlgorithm',
  );
  out.signature = expectTag(f[i++], Tag.OCTET_STRING, 'signature').value;
  return out;
}
