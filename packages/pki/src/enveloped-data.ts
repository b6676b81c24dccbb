/**
 * CMS EnvelopedData (RFC 5652 section 6) as PKINIT's public-key encryption
 * delivery uses it (RFC 4556 section 3.2.3.2): one KeyTransRecipientInfo,
 * the recipient named by issuer and serial number, the content-encryption
 * key transported by RSAES-PKCS1-v1_5 (RFC 8017 section 7.2,
 * `rsaEncryption`, what MIT's and Windows' KDCs send), the content
 * encrypted with AES-256-CBC or AES-128-CBC (RFC 3565) or des-ede3-cbc (RFC
 * 3370 section 5.1).
 *
 * ContentInfo in, ContentInfo out: {@link createEnvelopedData} encrypts the
 * content of a ContentInfo and names its type in
 * encryptedContentInfo.contentType, so PKINIT's SignedData travels bare
 * under id-signedData, as MIT and Heimdal send and read it;
 * {@link openEnvelopedData} gives the ContentInfo back.
 *
 * Everything random (the content-encryption key, the IV, the PKCS #1
 * padding string) comes from the injected random source, so a seeded KDC's
 * reply is reproducible. `node:crypto` does the raw RSA operation; the PKCS
 * #1 v1.5 block is built and checked here (RFC 8017 section 7.2.1 steps 2
 * and 7.2.2 step 3), because the padding must draw from that source and
 * because Node 20 refuses PKCS #1 v1.5 private decryption (CVE-2023-46809).
 *
 * @module
 */

import { constants, createCipheriv, createDecipheriv, privateDecrypt, publicEncrypt } from 'node:crypto';
import { isAsn1Error, PkinitOid } from '@krbsim/asn1';
import { ErrorCode, equalBytes, KerberosError, type RandomSource } from '@krbsim/core';
import { type CmsSigner, privateKeyOf } from './cms';
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
import { type Certificate, issuerAndSerialNumber, publicKeyOf } from './x509';

/** A content-encryption algorithm krbsim encrypts and decrypts EnvelopedData with. */
export type ContentEncryptionAlgorithm = 'aes256-cbc' | 'aes128-cbc' | 'des-ede3-cbc';

/** krbsim's content-encryption algorithms, strongest first: the order a KDC prefers them in. */
export const CONTENT_ENCRYPTION_ALGORITHMS: readonly ContentEncryptionAlgorithm[] = [
  'aes256-cbc',
  'aes128-cbc',
  'des-ede3-cbc',
];

interface Cipher {
  readonly oid: string;
  /** The `node:crypto` cipher name. */
  readonly node: string;
  readonly keyBytes: number;
  readonly ivBytes: number;
}

const CIPHERS: Readonly<Record<ContentEncryptionAlgorithm, Cipher>> = {
  'aes256-cbc': { oid: PkinitOid.aes256_CBC, node: 'aes-256-cbc', keyBytes: 32, ivBytes: 16 },
  'aes128-cbc': { oid: PkinitOid.aes128_CBC, node: 'aes-128-cbc', keyBytes: 16, ivBytes: 16 },
  'des-ede3-cbc': { oid: PkinitOid.des_ede3_cbc, node: 'des-ede3-cbc', keyBytes: 24, ivBytes: 8 },
};

const BY_OID: ReadonlyMap<string, ContentEncryptionAlgorithm> = new Map(
  CONTENT_ENCRYPTION_ALGORITHMS.map((a) => [CIPHERS[a].oid, a]),
);

/**
 * Whether an OID names a content-encryption algorithm: the NIST AES arc
 * (2.16.840.1.101.3.4.1, CBC, GCM, CCM, wrap...), RSADSI's encryption
 * algorithms (1.2.840.113549.3: rc2-cbc, des-ede3-cbc...) and OIW's desCBC.
 * Signature and digest algorithms, which clients list in supportedCMSTypes
 * too, are under other arcs.
 */
function isContentEncryption(id: string): boolean {
  return (
    id.startsWith('2.16.840.1.101.3.4.1.') || id.startsWith('1.2.840.113549.3.') || id === '1.3.14.3.2.7'
  );
}

/**
 * The AlgorithmIdentifier of `alg` without parameters, as a client lists
 * it in AuthPack.supportedCMSTypes (RFC 4556 section 3.2.1).
 */
export function contentEncryptionAlgorithmId(alg: ContentEncryptionAlgorithm): Uint8Array {
  return algorithm(CIPHERS[alg].oid);
}

/** What {@link selectContentEncryption} chose. */
export interface ContentEncryptionChoice {
  /**
   * The algorithm to encrypt with; undefined when the client lists
   * content-encryption algorithms and none of them is krbsim's.
   */
  readonly algorithm: ContentEncryptionAlgorithm | undefined;
  /** The content-encryption algorithms the client listed, by krbsim's name or dotted OID. */
  readonly offered: readonly string[];
}

/**
 * The content encryption for a client that listed `supportedCmsTypes`
 * (RFC 4556 section 3.2.1: the CMS algorithms it supports, in its order of
 * preference): krbsim's strongest that the client lists (AES-256-CBC, then
 * AES-128-CBC, then des-ede3-cbc, which only a client offering nothing
 * better gets); AES-256-CBC when the list is absent or names no
 * content-encryption algorithm (MIT's client lists signature algorithms
 * only, and decrypts what OpenSSL does); no algorithm when the client lists
 * some and none is krbsim's.
 *
 * @throws KerberosError KDC_ERR_PREAUTH_FAILED for an entry that is not an
 *   AlgorithmIdentifier, naming it (`AuthPack.supportedCMSTypes[2]: ...`).
 */
export function selectContentEncryption(
  supportedCmsTypes: readonly Uint8Array[] | undefined,
): ContentEncryptionChoice {
  const offered: string[] = [];
  const ours = new Set<ContentEncryptionAlgorithm>();
  (supportedCmsTypes ?? []).forEach((der, i) => {
    const path = `AuthPack.supportedCMSTypes[${i}]`;
    let id: string;
    try {
      id = oidOf(children(readOne(der, Tag.SEQUENCE, path))[0], `${path}.algorithm`);
    } catch (e) {
      if (!isAsn1Error(e)) throw e;
      throw new KerberosError(ErrorCode.KDC_ERR_PREAUTH_FAILED, `${path} is not an AlgorithmIdentifier`, {
        cause: e,
      });
    }
    const known = BY_OID.get(id);
    if (known !== undefined) ours.add(known);
    if (known !== undefined || isContentEncryption(id)) offered.push(known ?? id);
  });
  if (offered.length === 0) return { algorithm: 'aes256-cbc', offered };
  return { algorithm: CONTENT_ENCRYPTION_ALGORITHMS.find((a) => ours.has(a)), offered };
}

/** Options of {@link createEnvelopedData}. */
export interface CreateEnvelopedDataOptions {
  /** The content encryption (see {@link selectContentEncryption}). */
  readonly algorithm: ContentEncryptionAlgorithm;
  /** Where the content-encryption key, the IV and the PKCS #1 padding come from. */
  readonly random: RandomSource;
}

/** des-ede3-cbc keys carry odd parity in each octet's low bit (FIPS 46-3), as OpenSSL makes them. */
function setOddParity(key: Uint8Array): void {
  for (let i = 0; i < key.length; i++) {
    const b = key[i]! & 0xfe;
    let ones = 0;
    for (let v = b; v !== 0; v >>= 1) ones += v & 1;
    key[i] = b | (ones % 2 === 0 ? 1 : 0);
  }
}

/** The RSA modulus length of `cert`'s key, in octets. */
function modulusBytes(cert: Certificate): number {
  const bits = publicKeyOf(cert).asymmetricKeyDetails?.modulusLength;
  if (bits === undefined) throw new TypeError('createEnvelopedData: the recipient key is not RSA');
  return Math.ceil(bits / 8);
}

/**
 * RSAES-PKCS1-v1_5 encryption (RFC 8017 section 7.2.1):
 * EM = 0x00 || 0x02 || PS || 0x00 || M, PS at least eight non-zero random
 * octets filling EM to the modulus length, then the raw RSA operation.
 */
function rsaesPkcs1Encrypt(cert: Certificate, m: Uint8Array, random: RandomSource): Uint8Array {
  const k = modulusBytes(cert);
  if (m.length > k - 11) throw new TypeError('createEnvelopedData: the key is too long for the RSA modulus');
  const em = new Uint8Array(k);
  em[1] = 0x02;
  const ps = em.subarray(2, k - m.length - 1);
  random.fill(ps);
  const one = new Uint8Array(1);
  for (let i = 0; i < ps.length; i++) {
    while (ps[i] === 0) ps[i] = random.fill(one)[0]!;
  }
  em.set(m, k - m.length);
  try {
    return new Uint8Array(publicEncrypt({ key: publicKeyOf(cert), padding: constants.RSA_NO_PADDING }, em));
  } finally {
    em.fill(0);
  }
}

/**
 * A ContentInfo of type id-envelopedData holding the content of
 * `contentInfo`, encrypted to `recipient`'s RSA key: EnvelopedData version
 * 0, one KeyTransRecipientInfo (version 0, issuerAndSerialNumber,
 * rsaEncryption), encryptedContentInfo naming the inner content type, the
 * algorithm with its IV as parameters, the ciphertext as [0] IMPLICIT.
 *
 * @throws TypeError when `recipient`'s key is not RSA (`keyType` tells
 *   beforehand) or `contentInfo` is not a ContentInfo.
 */
export function createEnvelopedData(
  contentInfo: Uint8Array,
  recipient: Certificate,
  options: CreateEnvelopedDataOptions,
): Uint8Array {
  if (recipient.keyType !== 'rsa') {
    throw new TypeError(`createEnvelopedData: the recipient's key is ${recipient.keyType}, not RSA`);
  }
  let contentType: string;
  let content: Uint8Array;
  try {
    const ci = children(readOne(contentInfo, Tag.SEQUENCE, 'ContentInfo'));
    contentType = oidOf(ci[0], 'ContentInfo.contentType');
    content = expectTag(ci[1], 0xa0, 'ContentInfo.content').value;
  } catch (e) {
    if (isAsn1Error(e)) throw new TypeError(`createEnvelopedData: ${e.message}`);
    throw e;
  }
  const cipher = CIPHERS[options.algorithm];
  const cek = options.random.fill(new Uint8Array(cipher.keyBytes));
  if (options.algorithm === 'des-ede3-cbc') setOddParity(cek);
  const iv = options.random.fill(new Uint8Array(cipher.ivBytes));
  let encryptedContent: Uint8Array;
  let encryptedKey: Uint8Array;
  try {
    const c = createCipheriv(cipher.node, cek, iv); // PKCS #7 padding (RFC 5652 section 6.3)
    encryptedContent = new Uint8Array(Buffer.concat([c.update(content), c.final()]));
    encryptedKey = rsaesPkcs1Encrypt(recipient, cek, options.random);
  } finally {
    cek.fill(0); // Security: the content-encryption key opens the reply key.
  }
  const ktri = seq(
    smallInt(0), // rid is issuerAndSerialNumber (RFC 5652 section 6.2.1)
    issuerAndSerialNumber(recipient),
    algorithm(PkinitOid.rsaEncryption, NULL),
    octets(encryptedKey),
  );
  const encryptedContentInfo = seq(
    oid(contentType),
    algorithm(cipher.oid, octets(iv)),
    tlv(0x80, encryptedContent), // encryptedContent [0] IMPLICIT OCTET STRING
  );
  // Version 0: no originatorInfo, no unprotectedAttrs, only version 0 RecipientInfos (section 6.1).
  const envelopedData = seq(smallInt(0), setOf(ktri), encryptedContentInfo);
  return seq(oid(PkinitOid.id_envelopedData), ctx(0, envelopedData));
}

/** What {@link openEnvelopedData} found. */
export interface OpenedEnvelopedData {
  /** The decrypted content as a ContentInfo: encryptedContentInfo.contentType around it. */
  readonly contentInfo: Uint8Array;
  /** encryptedContentInfo.contentType, dotted. */
  readonly contentType: string;
  /** The content encryption the sender chose. */
  readonly algorithm: ContentEncryptionAlgorithm;
}

function malformed(why: string, cause?: unknown): never {
  throw new KerberosError(ErrorCode.KDC_ERR_PREAUTH_FAILED, `malformed CMS EnvelopedData: ${why}`, {
    cause,
  });
}

interface KeyTrans {
  readonly path: string;
  readonly keyEncryptionAlgorithm: string;
  readonly encryptedKey: Uint8Array;
}

/** The KeyTransRecipientInfo of `infos` addressed to `cert`, by issuer and serial or subjectKeyIdentifier. */
function recipientFor(infos: readonly Tlv[], cert: Certificate): KeyTrans | undefined {
  const mine = issuerAndSerialNumber(cert);
  for (const [i, info] of infos.entries()) {
    // [1] kari, [2] kekri, [3] pwri, [4] ori: not for a certificate's RSA key.
    if (info.tag !== Tag.SEQUENCE) continue;
    const path = `EnvelopedData.recipientInfos[${i}]`;
    const f = children(info);
    expectTag(f[0], Tag.INTEGER, `${path}.version`);
    const rid = f[1];
    if (rid === undefined) malformed(`${path}.rid: missing`);
    const matches =
      rid.tag === Tag.SEQUENCE
        ? equalBytes(rid.der, mine)
        : rid.tag === 0x80 &&
          cert.subjectKeyIdentifier !== undefined &&
          equalBytes(rid.value, cert.subjectKeyIdentifier);
    if (!matches) continue;
    const keyEncryptionAlgorithm = oidOf(
      children(expectTag(f[2], Tag.SEQUENCE, `${path}.keyEncryptionAlgorithm`))[0],
      `${path}.keyEncryptionAlgorithm.algorithm`,
    );
    const encryptedKey = expectTag(f[3], Tag.OCTET_STRING, `${path}.encryptedKey`).value;
    if (f.length > 4) malformed(`${path}: ${f.length - 4} unexpected fields after encryptedKey`);
    return { path, keyEncryptionAlgorithm, encryptedKey };
  }
  return undefined;
}

/**
 * RSAES-PKCS1-v1_5 decryption (RFC 8017 section 7.2.2): the raw RSA
 * operation, then EM = 0x00 || 0x02 || PS (eight or more non-zero octets)
 * || 0x00 || M. Undefined when the block is not one: every such failure
 * looks the same to the caller.
 */
function rsaesPkcs1Decrypt(recipient: CmsSigner, c: Uint8Array): Uint8Array | undefined {
  const key = privateKeyOf(recipient, 'openEnvelopedData');
  const k = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  if (c.length !== k) return undefined;
  let em: Uint8Array;
  try {
    em = new Uint8Array(privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, c));
  } catch {
    return undefined; // c is not below the modulus
  }
  try {
    const sep = em.indexOf(0, 2);
    if (em[0] !== 0 || em[1] !== 2 || sep < 10) return undefined;
    return em.slice(sep + 1);
  } finally {
    em.fill(0);
  }
}

/**
 * Opens a ContentInfo holding an EnvelopedData addressed to `recipient`
 * (a certificate and its RSA private key, from `cmsSigner`): finds the
 * KeyTransRecipientInfo naming its certificate, recovers the
 * content-encryption key, decrypts the content and returns it as a
 * ContentInfo of encryptedContentInfo.contentType.
 *
 * @throws KerberosError KDC_ERR_PREAUTH_FAILED for a malformed EnvelopedData,
 *   one with no KeyTransRecipientInfo for `recipient`'s certificate, or
 *   algorithms krbsim does not decrypt (the message names the field:
 *   `EnvelopedData.encryptedContentInfo.contentEncryptionAlgorithm ...`);
 *   KRB_AP_ERR_BAD_INTEGRITY when the encrypted key or content does not
 *   decrypt with `recipient`'s key.
 */
export function openEnvelopedData(contentInfo: Uint8Array, recipient: CmsSigner): OpenedEnvelopedData {
  try {
    return open(contentInfo, recipient);
  } catch (e) {
    if (isAsn1Error(e)) return malformed(e.message, e);
    throw e;
  }
}

function open(contentInfo: Uint8Array, recipient: CmsSigner): OpenedEnvelopedData {
  const ci = children(readOne(contentInfo, Tag.SEQUENCE, 'ContentInfo'));
  const type = oidOf(ci[0], 'ContentInfo.contentType');
  if (type !== PkinitOid.id_envelopedData) {
    malformed(
      `ContentInfo.contentType is ${type}, expected id-envelopedData (${PkinitOid.id_envelopedData})`,
    );
  }
  const env = children(
    readOne(expectTag(ci[1], 0xa0, 'ContentInfo.content').value, Tag.SEQUENCE, 'EnvelopedData'),
  );
  let i = 0;
  expectTag(env[i++], Tag.INTEGER, 'EnvelopedData.version');
  if (env[i]?.tag === 0xa0) i++; // originatorInfo [0] IMPLICIT
  const infos = children(expectTag(env[i++], Tag.SET, 'EnvelopedData.recipientInfos'));
  const eci = children(expectTag(env[i++], Tag.SEQUENCE, 'EnvelopedData.encryptedContentInfo'));
  if (env[i]?.tag === 0xa1) i++; // unprotectedAttrs [1] IMPLICIT
  if (i < env.length) malformed(`EnvelopedData: ${env.length - i} unexpected fields at the end`);

  const cert = recipient.certificate;
  const ktri = recipientFor(infos, cert);
  if (ktri === undefined) {
    throw new KerberosError(
      ErrorCode.KDC_ERR_PREAUTH_FAILED,
      `EnvelopedData.recipientInfos: none of the ${infos.length} is for the certificate ${cert.subjectText} (by issuer and serial number or subjectKeyIdentifier)`,
    );
  }
  if (ktri.keyEncryptionAlgorithm !== PkinitOid.rsaEncryption) {
    throw new KerberosError(
      ErrorCode.KDC_ERR_PREAUTH_FAILED,
      `${ktri.path}.keyEncryptionAlgorithm ${ktri.keyEncryptionAlgorithm} is not rsaEncryption (${PkinitOid.rsaEncryption}), the one krbsim decrypts`,
    );
  }

  const contentType = oidOf(eci[0], 'EnvelopedData.encryptedContentInfo.contentType');
  const algPath = 'EnvelopedData.encryptedContentInfo.contentEncryptionAlgorithm';
  const alg = children(expectTag(eci[1], Tag.SEQUENCE, algPath));
  const algId = oidOf(alg[0], `${algPath}.algorithm`);
  const name = BY_OID.get(algId);
  if (name === undefined) {
    throw new KerberosError(
      ErrorCode.KDC_ERR_PREAUTH_FAILED,
      `${algPath} ${algId} is not one krbsim decrypts (${CONTENT_ENCRYPTION_ALGORITHMS.join(', ')})`,
    );
  }
  const cipher = CIPHERS[name];
  const iv = expectTag(alg[1], Tag.OCTET_STRING, `${algPath}.parameters`).value;
  if (iv.length !== cipher.ivBytes) {
    malformed(`${algPath}.parameters: a ${iv.length}-octet IV, ${name} takes ${cipher.ivBytes}`);
  }
  const encryptedContent = encryptedContentOf(eci[2]);
  if (eci.length > 3) malformed(`EnvelopedData.encryptedContentInfo: ${eci.length - 3} unexpected fields`);

  const cek = rsaesPkcs1Decrypt(recipient, ktri.encryptedKey);
  if (cek === undefined || cek.length !== cipher.keyBytes) {
    cek?.fill(0);
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_BAD_INTEGRITY,
      `${ktri.path}.encryptedKey does not decrypt to a key for ${name} with the private key of ${cert.subjectText}`,
    );
  }
  let content: Uint8Array;
  try {
    const d = createDecipheriv(cipher.node, cek, iv);
    content = new Uint8Array(Buffer.concat([d.update(encryptedContent), d.final()]));
  } catch (e) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_BAD_INTEGRITY,
      `EnvelopedData.encryptedContentInfo.encryptedContent does not decrypt with its ${name} key (bad length or padding)`,
      { cause: e },
    );
  } finally {
    cek.fill(0);
  }
  readOne(content, undefined, 'decrypted content'); // one DER value, to go inside a ContentInfo
  return { contentInfo: seq(oid(contentType), ctx(0, content)), contentType, algorithm: name };
}

/** encryptedContent [0] IMPLICIT OCTET STRING: primitive, or constructed from OCTET STRING segments (BER). */
function encryptedContentOf(t: Tlv | undefined): Uint8Array {
  const path = 'EnvelopedData.encryptedContentInfo.encryptedContent';
  if (t === undefined) return malformed(`${path}: missing (PKINIT's content is never detached)`);
  if (t.tag === 0x80) return t.value;
  expectTag(t, 0xa0, path);
  return Buffer.concat(children(t).map((s, i) => expectTag(s, Tag.OCTET_STRING, `${path}[${i}]`).value));
}
