/**
 * `@krbsim/pki`: the X.509 and CMS krbsim needs, in one place. Test CAs and
 * the certificates they issue (TLS for KDC proxies; KDC and client
 * certificates for PKINIT), built with pkijs, which loads only when a
 * certificate is issued; and, synchronous over `node:crypto`, what a PKINIT
 * KDC and client do with certificates: parse them (EKUs, id-pkinit-san),
 * validate a path to a realm's anchors, sign and verify CMS SignedData,
 * encrypt and open CMS EnvelopedData (public-key encryption delivery), and
 * agree on a key by Diffie-Hellman or ECDH (RFC 4556, RFC 5349).
 *
 * @packageDocumentation
 */

export { ipAddressBytes } from '@krbsim/core';
export {
  CERTIFICATE_BACKDATE_MS,
  type CertificateKeyType,
  type CreateCaOptions,
  createSelfSignedCa,
  type IssuePkinitClientCertificateOptions,
  type IssuePkinitKdcCertificateOptions,
  type IssueServerCertificateOptions,
  issuePkinitClientCertificate,
  issuePkinitKdcCertificate,
  issueServerCertificate,
  type PemCertificate,
  type PkinitClientPurpose,
} from './certificates';
export { tlsServerEndPoint } from './channel-binding';
export {
  type CmsSigner,
  cmsSigner,
  createSignedData,
  createUnsignedData,
  digestOfAlgorithm,
  readUnsignedData,
  type VerifiedSignedData,
  verifySignedData,
} from './cms';
export {
  CONTENT_ENCRYPTION_ALGORITHMS,
  type ContentEncryptionAlgorithm,
  type ContentEncryptionChoice,
  type CreateEnvelopedDataOptions,
  contentEncryptionAlgorithmId,
  createEnvelopedData,
  type OpenedEnvelopedData,
  openEnvelopedData,
  selectContentEncryption,
} from './enveloped-data';
export {
  generateKeyAgreement,
  groupAlgorithm,
  groupBits,
  groupOfAlgorithm,
  groupStrength,
  KEY_AGREEMENT_GROUPS,
  type KeyAgreementGroup,
  type KeyAgreementPair,
  type PeerPublicValue,
  parseClientPublicValue,
  parseKdcPublicValue,
} from './key-agreement';
export { type KdfContext, octetString2Key, PKINIT_KDFS, pkinitKdf } from './reply-key';
export {
  allowsKeyUsage,
  type Certificate,
  type CertificateSids,
  certificateFrom,
  certificateSids,
  issuerAndSerialNumber,
  KeyUsageBit,
  MicrosoftOid,
  type PathOptions,
  parseCertificate,
  pemBlocks,
  SID_URL_PREFIX,
  verifyCertificatePath,
} from './x509';
